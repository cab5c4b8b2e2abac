"""Office-style Excel tables written from the shipped indicator systems, for the table importer.

Each writer lays a system out the way its source document really looks once an office has
pasted it from Word into Excel: title rows above the header, hierarchy cells merged vertically
(real ``ws.merge_cells``) or left blank meaning "same as above", the header repeated at the
top of each printed page, several units or persons on separate lines of one cell, letter-spaced
unit names, long headings wrapped inside their cell, and a footnote row under the table.

Nothing here reads the importer: the tables are built from the shipped YAML only, so importing
them and comparing with the YAML tests the importer against the transcriptions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from xlbridge.system.model import Indicator, IndicatorSystem

WRAP = Alignment(wrap_text=True, vertical="center")


# --------------------------------------------------------------------------- sheet writer
@dataclass
class _Run:
    """A vertical run of rows that share one hierarchy value in one column."""

    key: Any
    start: int
    end: int
    mode: str  # "merge" | "blank" | "repeat"


@dataclass
class OfficeSheet:
    """Writes rows top to bottom; hierarchy columns become merged ranges or blank cells.

    ``row(values, runs)``: ``runs`` maps a column (1-based) to ``(key, mode)``. Consecutive rows
    with the same key in a column form one run: ``merge`` merges the run's cells, ``blank``
    leaves all but the first cell empty (same as above), ``repeat`` writes every cell.
    ``page_break()`` closes every run; after it, ``continuation`` says per column whether the
    running value is printed again at the top of the new page (``repeat``) or left blank.
    """

    ws: Worksheet
    header: Sequence[str]
    rows_per_page: int | None = None
    continuation: dict[int, str] = field(default_factory=dict)
    repeat_header: bool = True
    next_row: int = 1
    _runs: dict[int, _Run] = field(default_factory=dict)
    _page_rows: int = 0
    _after_break: set[int] = field(default_factory=set)
    header_rows: list[int] = field(default_factory=list)

    @property
    def width(self) -> int:
        return len(self.header)

    def title(self, text: str, merged: bool = True) -> None:
        r = self.next_row
        self.ws.cell(r, 1, text).font = Font(bold=True, size=14)
        if merged:
            self.ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=self.width)
        self.next_row += 1

    def write_header(self, names: Sequence[str] | None = None) -> None:
        r = self.next_row
        for c, name in enumerate(names or self.header, start=1):
            self.ws.cell(r, c, name).font = Font(bold=True)
        self.header_rows.append(r)
        self.next_row += 1

    def row(self, values: dict[int, Any], runs: dict[int, tuple[Any, str]] | None = None) -> int:
        runs = runs or {}
        if self.rows_per_page and self._page_rows >= self.rows_per_page:
            self.page_break()
        r = self.next_row
        for c in range(1, self.width + 1):
            value = values.get(c)
            if c in runs:
                value = self._run_value(r, c, *runs[c], value)
            if value not in (None, ""):
                self.ws.cell(r, c, value).alignment = WRAP
        self.next_row += 1
        self._page_rows += 1
        self._after_break.clear()
        return r

    def _run_value(self, r: int, c: int, key: Any, mode: str, value: Any) -> Any:
        run = self._runs.get(c)
        if run is not None and run.key == key and run.end == r - 1:
            run.end = r
            return value if mode == "repeat" else None
        self._close(c)
        self._runs[c] = _Run(key, r, r, mode)
        if run is not None and run.key == key and c in self._after_break:
            # the same value continued from the previous page
            return value if self.continuation.get(c, "repeat") == "repeat" else None
        return value

    def _close(self, c: int) -> None:
        run = self._runs.pop(c, None)
        if run and run.mode == "merge" and run.end > run.start:
            self.ws.merge_cells(start_row=run.start, start_column=c, end_row=run.end, end_column=c)

    def page_break(self, header: Sequence[str] | None = None) -> None:
        """Close every run; keep the last keys so a continued run is recognised."""
        last = {c: run for c, run in self._runs.items()}
        for c in list(self._runs):
            self._close(c)
        for c, run in last.items():  # remembered (not merged any more) for the continuation rule
            self._runs[c] = _Run(run.key, -10, -10, run.mode)
        self._after_break = set(last)
        if self.repeat_header:
            self.write_header(header)
        self._page_rows = 0

    def footnote(self, text: str) -> None:
        self.close()
        r = self.next_row
        self.ws.cell(r, 1, text)
        self.ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=self.width)
        self.next_row += 1

    def close(self) -> None:
        for c in list(self._runs):
            self._close(c)


def _new_sheet(title: str) -> tuple[Workbook, Worksheet]:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    return wb, ws


def _code_cell(code: str) -> Any:
    """Codes as a clerk's Excel holds them: plain numbers are numbers, （1） keeps full-width brackets."""
    if code.isdigit():
        return int(code)
    return code.replace("(", "（").replace(")", "）")


def _wrap_every(text: str, n: int) -> str:
    """Word wraps a narrow heading cell: 一、政府\\n职能依法\\n全面履行."""
    return "\n".join(text[i : i + n] for i in range(0, len(text), n))


def _spelling(system: IndicatorSystem, name: str, counter: list[int]) -> str:
    """A unit as offices print it: letter-spaced where the source spaces it (市 支 队), not always."""
    unit = system.unit(name)
    spaced_alias = next((a for a in unit.aliases if " " in a), None) if unit else None
    if spaced_alias is None:
        return name
    counter[0] += 1
    return name if counter[0] % 3 == 0 else spaced_alias


def _materials_cell(items: Sequence[str]) -> str:
    """``1.…；2.…。`` then trailing remarks such as （以上同时提供网络检索佐证材料） on their own line."""
    numbered = [m for m in items if not m.startswith("（以上")]
    trailer = [m for m in items if m.startswith("（以上")]
    body = numbered[0] if len(numbered) == 1 else "；".join(f"{n}.{m}" for n, m in enumerate(numbered, 1))
    return "\n".join([body, *trailer]) if body else "\n".join(trailer)


# --------------------------------------------------------------------------- 001 Jinfeng
JINFENG_HEADER = ("序号", "一级指标", "二级指标", "三级指标", "考评要点", "责任单位", "备注")
JINFENG_FOOTNOTE = "注:根据前期网上申报资料情况,备注栏中★代表重要等级,需要进一步加强整改。"
JINFENG_SHEET = "责任表"


def write_jinfeng(system: IndicatorSystem, path: Path, *, rows_per_page: int = 25) -> Path:
    """001: 序号/一级指标/二级指标/三级指标/考评要点/责任单位/备注.

    Title rows; level-1, level-2 and repeated 考评要点 cells merged over their rows; the header
    repeated on every page (once with the source's own typo, 序号 for 考评要点); level 1 left
    blank at the top of a page it continues onto; a footnote row at the end.
    """
    wb, ws = _new_sheet(JINFENG_SHEET)
    sheet = OfficeSheet(ws, JINFENG_HEADER, rows_per_page=rows_per_page, continuation={2: "blank", 3: "repeat"})
    sheet.title("附件")
    sheet.title(system.title)
    sheet.write_header()
    pages = 0
    for ind in system.indicators:
        if sheet._page_rows >= rows_per_page:
            pages += 1
            typo = pages == 2  # one repeated header carries a typo in the source
            sheet.page_break([*JINFENG_HEADER[:4], "序号", *JINFENG_HEADER[5:]] if typo else None)
        sheet.row(
            {1: _code_cell(ind.code), 2: ind.level1, 3: ind.level2, 4: ind.level3, 5: ind.points,
             6: ind.units_text, 7: ind.note},
            {2: (ind.level1, "merge"), 3: ((ind.level1, ind.level2), "merge"), 5: (ind.points, "merge")},
        )
    sheet.footnote(JINFENG_FOOTNOTE)
    wb.save(path)
    return path


# --------------------------------------------------------------------------- 000 Changzhou
CHANGZHOU_HEADER = ("考评项目", "考评内容", "基本要求", "责任部门")
CHANGZHOU_SHEET = "Sheet1"
# Where the source's pages break: before an item (its heading continues with an empty 考评内容
# cell), or inside an item's text (the rest of the sentence is on the next page, under the
# heading printed again without its points).
CHANGZHOU_BREAKS: dict[str, str | None] = {"5.3.(7)": None, "7.4.(4)": "法定职"}


def _chunks(items: list[Indicator]) -> Iterable[list[Indicator]]:
    """Consecutive requirements with the same responsible units share one cell, as in the source."""
    chunk: list[Indicator] = []
    for ind in items:
        page_starts_here = ind.key in CHANGZHOU_BREAKS and CHANGZHOU_BREAKS[ind.key] is None
        if chunk and (ind.lead != chunk[-1].lead or page_starts_here):
            yield chunk
            chunk = []
        chunk.append(ind)
    if chunk:
        yield chunk


def write_changzhou(system: IndicatorSystem, path: Path) -> Path:
    """000: 考评项目/考评内容/基本要求/责任部门.

    考评内容 holds the heading line and the numbered points; 基本要求 holds one or several
    （n） requirements; 责任部门 one unit per line, some letter-spaced (市 支 队). Even-numbered
    categories leave the hierarchy cells blank ("same as above") instead of merging them.
    """
    wb, ws = _new_sheet(CHANGZHOU_SHEET)
    sheet = OfficeSheet(ws, CHANGZHOU_HEADER, repeat_header=False, continuation={1: "repeat", 2: "blank"})
    sheet.title("常州市政府工作部门法治政府建设")
    sheet.title("考核评价标准责任分解表")
    sheet.write_header()
    counter = [0]
    headings: dict[tuple[str, str | None], list[Indicator]] = {}
    for ind in system.indicators:
        headings.setdefault((ind.level1, ind.level2), []).append(ind)
    for (level1, level2), items in headings.items():
        category = int(items[0].key.split(".")[0])
        mode = "merge" if category % 2 else "blank"
        content = f"{level2}\n{items[0].points}"
        for chunk in _chunks(items):
            split = CHANGZHOU_BREAKS.get(chunk[0].key, "absent")
            if split is None:
                sheet.page_break()
            units = "\n".join(_spelling(system, u, counter) for u in chunk[0].lead)
            lines = [f"{_code_cell(i.code)}{i.level3}" for i in chunk]
            rest = None
            if chunk[-1].key in CHANGZHOU_BREAKS and CHANGZHOU_BREAKS[chunk[-1].key]:
                cut = CHANGZHOU_BREAKS[chunk[-1].key]
                head, tail = chunk[-1].level3.split(cut, 1)
                lines[-1] = f"{_code_cell(chunk[-1].code)}{head}{cut}"
                rest = tail
            runs = {1: (level1, mode), 2: ((level1, level2), mode)}
            sheet.row({1: level1, 2: content, 3: "\n".join(lines), 4: units}, runs)
            if rest is not None:
                sheet.page_break()
                # the heading is printed again on the new page, without its points
                sheet.row({1: level1, 2: level2, 3: rest, 4: units})
    sheet.close()
    wb.save(path)
    return path


# --------------------------------------------------------------------------- 003 Suzhou
SUZHOU_HEADER = ("序号", "名称", "工作任务", "牵头部门", "责任部门")
SUZHOU_SHEET = "任务分解表"
_GROUP = re.compile(r"^(\([一二三四五六七八九十]+\))(.+)$")


def _suzhou_line(name: str) -> str:
    """A long collective name wraps in the narrow 责任部门 column: 市政府 / 有关部门."""
    return "市政府\n有关部门" if name == "市政府有关部门" else name


def write_suzhou(system: IndicatorSystem, path: Path) -> Path:
    """003: 序号 (group codes (一)… merged over the group)/名称/工作任务 (``1、…``)/牵头部门/责任部门."""
    wb, ws = _new_sheet(SUZHOU_SHEET)
    sheet = OfficeSheet(ws, SUZHOU_HEADER, repeat_header=False)
    sheet.title("附件:")
    sheet.title(system.title)
    sheet.write_header()
    for ind in system.indicators:
        m = _GROUP.match(ind.level1)
        assert m, ind.level1
        group, name = m.groups()
        lead_keys = set(ind.lead)
        items = (ind.units_text or "").split("、")
        leads = [i for i in items if i in lead_keys]
        others = [_suzhou_line(i) for i in items if i and i not in lead_keys]
        separator = "." if ind.key == "2.1" else "、"  # the source numbers one task 1. instead of 1、
        sheet.row(
            {1: group, 2: name, 3: f"{ind.code}{separator}{ind.level3}", 4: "\n".join(leads), 5: "\n".join(others)},
            {1: (group, "merge"), 2: (ind.level1, "merge")},
        )
    sheet.close()
    wb.save(path)
    return path


# --------------------------------------------------------------------------- 004 Puyang
PUYANG_HEADER = ("一级指标", "二级指标", "序号", "三级指标", "测评方法", "上报资料", "责任科室", "责任人")
PUYANG_SHEET = "附件2"


def _puyang_level2(text: str) -> str:
    head, sep, tail = text.partition("、")
    return f"{head}{sep}\n{tail}" if sep and len(text) > 14 else text


def _person(name: str) -> str:
    """Two-character names are padded with an ideographic space to line up with three-character ones."""
    return f"{name[0]}\u3000{name[1]}" if len(name) == 2 else name


def write_puyang(system: IndicatorSystem, path: Path, *, code_under_level3: bool = False,
                 rows_per_page: int = 20) -> Path:
    """004 附件2: 一级指标/二级指标/序号/三级指标/测评方法/上报资料/责任科室/责任人.

    Codes 1, （1） and ★1; 测评方法, 责任科室 and 责任人 one per line; the 加分项/减分项 rows with
    their remark written across the 责任科室 cells. ``code_under_level3`` prints the header as the
    source does: 三级指标 merged over the code column and the text column, no 序号 header.
    """
    wb, ws = _new_sheet(PUYANG_SHEET)
    sheet = OfficeSheet(ws, PUYANG_HEADER, rows_per_page=rows_per_page, repeat_header=False,
                        continuation={1: "repeat", 2: "blank"})
    sheet.title("附件2")
    sheet.title(system.title)
    if code_under_level3:
        r = sheet.next_row
        sheet.write_header([*PUYANG_HEADER[:2], "三级指标", None, *PUYANG_HEADER[4:]])
        ws.merge_cells(start_row=r, start_column=3, end_row=r, end_column=4)
    else:
        sheet.write_header()
    for n, ind in enumerate(system.indicators):
        level1 = _wrap_every(ind.level1, 4) if ind.level1.startswith("一") else ind.level1
        units = ind.units_text or ind.note
        if ind.units_text and "牵头" not in ind.units_text:
            units = "\n".join(ind.units_text.split("、"))
        persons = "\n".join(_person(p.name) if n % 2 else p.name for p in ind.persons)
        sheet.row(
            {1: level1, 2: _puyang_level2(ind.level2 or ""), 3: _code_cell(ind.code), 4: ind.level3,
             5: "\n".join(ind.methods), 6: _materials_cell(ind.materials), 7: units, 8: persons},
            {1: (ind.level1, "merge"), 2: ((ind.level1, ind.level2), "merge"),
             **({7: (units, "merge")} if not ind.units_text else {})},
        )
    sheet.close()
    wb.save(path)
    return path


WRITERS = {
    "jinfeng-2020": write_jinfeng,
    "changzhou-2014": write_changzhou,
    "suzhou-2011": write_suzhou,
    "puyang-2020": write_puyang,
}
SHEETS = {
    "jinfeng-2020": JINFENG_SHEET,
    "changzhou-2014": CHANGZHOU_SHEET,
    "suzhou-2011": SUZHOU_SHEET,
    "puyang-2020": PUYANG_SHEET,
}


# --------------------------------------------------------------------------- other shapes (issue 13)
# Tables of the shapes offices also use, composed from the seeds' wording. Each writer returns the
# path; the rows are written as given, the merges are real ``ws.merge_cells`` ranges (the cells
# under a merge are left empty, as Excel leaves them), strings go to the shared-string table.
def write_grid(path: Path, rows: Sequence[Sequence[Any]], merges: Sequence[str] = (), sheet: str = "Sheet1") -> Path:
    wb, ws = _new_sheet(sheet)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value not in (None, ""):
                ws.cell(r, c, value).alignment = WRAP
    for rng in merges:
        ws.merge_cells(rng)
    wb.save(path)
    return path


TASK_DIVISION = [
    ["附件"],
    ["金凤区2021年法治政府建设重点任务分工表"],
    ["序号", "主要任务", "具体任务", "工作措施", "牵头单位", "参与单位", "完成时限"],
    [1, "一、依法全面履行政府职能", "深化行政审批制度改革",
     "向社会公布本级政府全部行政审批事项清单，实行目录化、编码化、动态化管理。", "行政审批局", "各部门(单位)", "2021年12月底前"],
    [2, None, "落实权责清单制度",
     "编制并对外公布全部政府工作部门的权责清单，并根据法律法规的变化实行动态调整。", "编办、司法局、财政局", None, "长期坚持"],
    [3, None, "优化法治化营商环境",
     "全面清理废除妨碍统一市场公平竞争的各种规定和做法。", "发展与改革局\n市场监管分局", "司法局", "2021年9月底前"],
    [4, "二、完善依法行政制度体系", "加强行政规范性文件监督管理",
     "行政规范性文件的合法性审核率达100%。", "司法局等部门", None, "2021年12月底前"],
    [5, None, "提高制度建设公众参与度",
     "涉及人民群众切身利益的行政规范性文件，公开征求意见期限一般不少于7个工作日。", "司法局", "政府办、网信办", "长期坚持"],
]
TASK_DIVISION_MERGES = ["A1:G1", "A2:G2", "B4:B6", "B7:B8"]


def write_task_division(path: Path) -> Path:
    """实施方案的任务分工表: 序号 │ 主要任务 (merged down) │ 具体任务 │ 工作措施 │ 牵头单位 │ 参与单位 │ 完成时限."""
    return write_grid(path, TASK_DIVISION, TASK_DIVISION_MERGES, sheet="任务分工")


SCORING_STANDARD = [
    ["2021年度法治政府建设考核评分标准（满分20分）"],
    ["序号", "考核项目", "考核内容", "分值", "评分标准", "得分"],
    [1, "一、组织领导工作 12分", "成立法治政府建设领导小组，主要负责人履行推进法治建设第一责任人职责。", 6,
     "未成立领导小组的扣3分；主要负责人未听取法治工作汇报的扣3分。", None],
    [2, None, "年度法治政府建设工作计划及时制定并向社会公开。", 6, "未制定计划的不得分，未公开的扣2分。", None],
    [3, "二、制度建设 8分", "行政规范性文件的合法性审核率达100%。", "5分", "每发现一件未经审核的扣1分。", None],
    [4, None, "建立行政规范性文件清理长效机制。", 2, "未建立的不得分。", None],
    [1, "加分项（加分总和不超过10分）", "法治政府建设有关工作获得省部级以上表彰、奖励的。", None, "每项加2分，最高加4分。", None],
    [2, None, "法治政府建设工作经验被上级推广的。", None, "每项加1分。", None],
    [1, "扣分项", "发生严重违法行政行为，造成恶劣社会影响的。", None, "每起扣2分，最高扣6分。", None],
]
SCORING_STANDARD_MERGES = ["A1:F1", "B3:B4", "B5:B6", "B7:B8"]


def write_scoring_standard(path: Path) -> Path:
    """考核评分标准: 序号 │ 考核项目 (一、组织领导工作 12分, merged) │ 考核内容 │ 分值 │ 评分标准 │ 得分
    (blank, for the assessor); a 加分项 block with its cap in the heading, a 扣分项 block."""
    return write_grid(path, SCORING_STANDARD, SCORING_STANDARD_MERGES, sheet="评分标准")


GROUP_ROWS = [
    ["法治政府建设工作考核细则"],
    ["序号", "考核内容", "分值", "考 核 标 准", "责任单位"],
    ["一", "组织管理", 10, None, None],
    [1, "制定年度法治政府建设工作计划。", 4, "未制定的扣4分。", "司法局"],
    [2, "按时报送法治政府建设年度报告。（6分）", None, "未按时报送的扣3分。", "政府办"],
    ["二", "制度建设", 8, None, None],
    [1, "行政规范性文件全部经过合法性审核。", 5, "每发现一件扣1分。", "司法局"],
    [2, "规范性文件按规定报备。", 3, "未报备的不得分。", "政府办"],
    ["三、依法决策（占总分值的20%）"],
    [1, "重大行政决策履行法定程序。", None, "程序缺失的不得分。", "司法局"],
    ["予以加分情形（加分总和不超过10分）"],
    [1, "获得省部级以上表彰的。", None, "每项加3分。", "司法局"],
    ["扣分项"],
    [1, "行政诉讼败诉的。", None, "每起扣2分，最高扣6分。", "司法局"],
]
GROUP_ROWS_MERGES = ["A1:E1", "A9:E9", "A11:E11", "A13:E13"]


def write_group_rows(path: Path) -> Path:
    """Level 1 as rows of their own: ``一 │ 组织管理 │ 10``, or merged across (三、依法决策（占总分值的20%）),
    codes restarting in each group, a letter-spaced header (考 核 标 准), bonus/penalty blocks."""
    return write_grid(path, GROUP_ROWS, GROUP_ROWS_MERGES, sheet="考核细则")


NATIONAL = [
    ["法治政府建设示范指标体系"],
    ["一级指标", "二级指标", None, "三级指标"],
    ["一、政府职能\n依法全面履行", "1.行政审批制度改革全面推行", 1,
     "向社会公布本级政府全部行政审批事项清单，实行目录化、编码化、动态化管理。"],
    [None, None, 2, "非行政许可审批事项全部取消。"],
    [None, "2.落实权责清单、负面清单制度并实行动态管理", 3, "编制并对外公布全部政府工作部门的权责清单。"],
    ["二、依法行政制度\n体系完善", "3.提高制度建设公众参与度", 4,
     "涉及人民群众切身利益的行政规范性文件，公开征求意见期限一般不少于7个工作日。"],
    [None, None, 5, "行政规范性文件的合法性审核率达100%。"],
    ["本指标体系适用于市县两级政府，各地可结合实际细化，但不得降低标准。"],
]
NATIONAL_MERGES = ["A1:D1", "A3:A5", "B3:B4", "A6:A7", "B6:B7", "A8:D8"]


def write_national(path: Path) -> Path:
    """The national 示范指标体系: 一级指标 │ 二级指标 │ (codes, no header) │ 三级指标; no units; a
    sentence merged across below the table (a footnote without 注)."""
    return write_grid(path, NATIONAL, NATIONAL_MERGES, sheet="指标体系")


NO_CODE_COLUMN = [
    ["法治政府建设任务清单"],
    ["一级指标", "考核内容", "责任单位"],
    ["政府职能依法全面履行", "1、全面推行“证照分离”“多证合一”。", "行政审批局"],
    [None, "2、全面实施行政事业性收费清单制度。\n3、优化政府组织结构。", "编办"],
    ["依法行政制度体系完善", "（一）提高制度建设公众参与度。", "司法局"],
    [None, "（二）加强行政规范性文件制定和监督管理。", "司法局,各部门(单位)配合"],
    ["重大行政决策科学民主合法", "（1）重大行政决策履行法定程序。", "政府办"],
    [None, "(2)决策后评估制度建立健全。", "政府办"],
]
NO_CODE_COLUMN_MERGES = ["A1:C1", "A3:A4", "A5:A6", "A7:A8"]


def write_no_code_column(path: Path) -> Path:
    """No 序号 column: the code at the start of the text (1、 / （一） / （1）), two items in one cell."""
    return write_grid(path, NO_CODE_COLUMN, NO_CODE_COLUMN_MERGES, sheet="任务清单")


AWKWARD_HEADER = [
    ["重点工作任务分解表"],
    ["序号", "考核内容", None, "责任单位", None, "完成", "工作要点"],
    [None, None, None, "牵头", "配合", "时限", None],
    [1, "规范性文件管理", "行政规范性文件的合法性审核率达100%。", "司法局", "政府办", "2021年底", "每季度通报。"],
    [2, "法律顾问", "建立政府法律顾问制度。", "司法局", None, "2021年6月", None],
    ["以上任务须于每季度末报送进展情况，由综合协调组汇总。"],
]
AWKWARD_HEADER_MERGES = ["A1:G1", "A2:A3", "B2:C2", "D2:E2", "G2:G3", "A6:G6"]


def write_awkward_header(path: Path) -> Path:
    """The header over two rows: 考核内容 merged over content │ requirement, 责任单位 over 牵头 │ 配合,
    完成 / 时限 one name cut in two; a sentence merged across below the table."""
    return write_grid(path, AWKWARD_HEADER, AWKWARD_HEADER_MERGES, sheet="分解表")

"""Import an indicator table as offices really keep it: an Excel sheet, often converted from Word.

What such sheets look like: a title row or two above the header; header names that vary by
office (考评要点 / 基本要求 / 考评内容 …); the header repeated at the top of every printed page;
merged cells and blank "same as above" cells in the hierarchy columns; several units or persons
on separate lines of one cell; several numbered requirements in one cell; a sentence cut by a
page break; footnote rows (注：…). Whatever cannot be placed is reported with sheet and row,
never dropped silently.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from xlbridge.errors import SchemaError
from xlbridge.findings import Finding, Severity, column_letter
from xlbridge.normalise import fold_width, no_spaces, squash, tidy_multiline
from xlbridge.system import scores
from xlbridge.system.model import (
    KIND_LABELS,
    Indicator,
    IndicatorSystem,
    Kind,
    Level1,
    Person,
    Unit,
    unit_key,
)
from xlbridge.system.responsibility import cell_lines, is_group, looks_like_note, parse_responsibility
from xlbridge.system.table_header import (
    Columns,
    apply_map,
    cell_text,
    find_header,
    header_name,
    no_header_message,
    settle_columns,
)
from xlbridge.xlsx.safety import open_untrusted_workbook

HIERARCHY = ("level1", "level2")
TEXT_FIELDS = ("level3", "points")
SCORE_FIELDS = ("score", "scoring", "deadline")
# Columns whose content belongs to an indicator but is not its text; a row holding only these
# (no code, no text) is reported rather than skipped.
DETAIL_FIELDS = ("methods", "materials", "lead", "units", "cooperating", "persons", "note", "scoring", "deadline")
SYSTEM_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_CODE = re.compile(r"^(?:★\s*\d+|\(\d+\)|\d+(?:[.-]\d+)*)$")  # 1, (1), ★1, and 1.2 / 1.2.3 / 1-2 in scoring tables
_GROUP_CODE = re.compile(r"^\(?[一二三四五六七八九十]+\)?[、.]?$")
# A code printed at the start of the text: （1） needs no separator, 1、 / 1. / ★1、 do; a digit
# right after the separator is a decimal (1.5倍), not a code.
_LEADING_CODE = re.compile(r"^\s*(?:(\((?:\d+|[一二三四五六七八九十]+)\))\s*[、.．]?|(★\s*\d+|\d+)\s*[、.．](?!\d))\s*")
_NUMBERED_HEADING = re.compile(r"^[一二三四五六七八九十]+\s*[、.．]")
_BRACKETED_NUMERAL = re.compile(r"^\s*[(（][一二三四五六七八九十]+[)）]")
_BLOCK = re.compile(r"加分|扣分|减分|附加")
_FOOTNOTE = re.compile(r"^(注|说明|备注|附注)\s*[:：\d]")
_ATTACHMENT = re.compile(r"^附件\s*\d*\s*[:：]?\s*")
_FORM_LINE = re.compile(r"(单位|科室|时间|日期|填表人|联系人)\s*[:：]")
_ITEM_SPLIT = re.compile(r"(?:^|(?<=[;；。\n]))\s*(?:[(（]\d+[)）]|\d+[.、．])\s*")
_LIST_SPLIT = re.compile(r"[\n、，,;；/]+")
_SENTENCE_END = "。；;！？!?"
_CJK_NAME = re.compile(r"^[\u3400-\u9fff·\s]+$")


@dataclass
class ImportResult:
    system: IndicatorSystem
    findings: list[Finding] = field(default_factory=list)
    # every column of the table: (column, header as printed, field or None when not imported)
    columns: list[tuple[int, str, str | None]] = field(default_factory=list)


def import_table(path: Path, *, system_id: str, issuer: str = "未注明", sheet: str | None = None,
                 overrides: list[str] | tuple[str, ...] = ()) -> ImportResult:
    """``overrides``: ``列名=字段`` pairs (``--map``) that win over the recognised header."""
    if not SYSTEM_ID.match(system_id):
        raise SchemaError(
            f"指标体系 id「{system_id}」只能由小写字母、数字、-、_ 组成（默认取输出文件名），"
            "请用 --id 另行指定，例如 --id my-system-2021"
        )
    wb = open_untrusted_workbook(path)
    ws = _pick_sheet(wb, sheet, path)
    grid = _unmerged_grid(ws)
    cols = find_header(grid)
    if cols is None:
        raise SchemaError(no_header_message(grid, f"{path.name} 工作表「{ws.title}」"))
    data = _unmerged_grid(ws, across=False)
    settle_columns(cols, data[cols.header_row + 1 :])
    apply_map(cols, list(overrides), path.name)
    builder = _Builder(path.name, ws.title, cols, _wide_rows(ws, len(cols.header)))
    builder.account_columns(data[cols.header_row + 1 :])
    for index in range(cols.header_row + 1, len(data)):
        builder.row(index + 1, data[index])
    indicators = builder.finish()
    if not indicators:
        raise SchemaError(builder.nothing_imported())
    try:
        system = IndicatorSystem(
            id=system_id,
            title=_title(grid[: cols.first_row if cols.first_row is not None else cols.header_row]) or path.stem,
            issuer=issuer,
            source=path.name,
            level_names=builder.level_names(),
            points_label=builder.points_label(),
            units=builder.units(),
            total_score=scores.total(" ".join(cell_text(v) for row in grid[: cols.header_row] for v in row)) or builder.total,
            bonus_cap=builder.caps.get(Kind.bonus),
            penalty_cap=builder.caps.get(Kind.penalty),
            level1_scores=builder.level1_scores(indicators),
            indicators=indicators,
        )
    except ValidationError as exc:  # a bug here, not the user's: still no traceback for them
        raise SchemaError(f"{path.name}：导入结果不是有效的指标体系（{exc.errors()[0]['msg']}）") from None
    return ImportResult(system=system, findings=builder.findings, columns=builder.column_map())


def _wide_rows(ws: Any, width: int) -> set[int]:
    """Rows (1-based) that are one cell merged across most of the table: a heading or a footnote."""
    return {
        rng.min_row
        for rng in ws.merged_cells.ranges
        if rng.min_row == rng.max_row and rng.max_col - rng.min_col + 1 >= max(2, width - 1)
    }


def _pick_sheet(wb: Any, sheet: str | None, path: Path) -> Any:
    if sheet is not None:
        if sheet not in wb.sheetnames:
            raise SchemaError(f"{path.name}：没有名为「{sheet}」的工作表（有：{'、'.join(wb.sheetnames)}）")
        if not hasattr(wb[sheet], "iter_rows"):
            raise SchemaError(f"{path.name}：「{sheet}」是图表，不是工作表")
        return wb[sheet]
    for ws in wb.worksheets:
        if find_header(_unmerged_grid(ws, limit=40)) is not None:
            return ws
    if len(wb.worksheets) == 1:
        return wb.worksheets[0]  # the header error below names it
    raise SchemaError(
        f"{path.name}：所有工作表（{'、'.join(wb.sheetnames)}）的前 40 行都找不到表头行。表头应包含 序号、"
        "一级指标、三级指标、考评要点/基本要求、责任单位 等列名中的至少三个；也可用 --sheet 指定工作表"
    )


def _unmerged_grid(ws: Any, limit: int | None = None, across: bool = True) -> list[list[Any]]:
    """Cell values with every merged range's value copied down all its rows.

    ``across``: also into every column of the range. Right for headers (三级指标 printed over
    the code and the text column); wrong for data, where a remark merged over 责任科室 and
    责任人 would otherwise become a person too.
    """
    rows = [list(r) for r in ws.iter_rows(values_only=True, max_row=limit)]
    for rng in ws.merged_cells.ranges:
        top = rng.min_row - 1
        if top >= len(rows):
            continue
        value = rows[top][rng.min_col - 1]
        last_col = rng.max_col if across else rng.min_col
        for r in range(rng.min_row - 1, min(rng.max_row, len(rows))):
            for c in range(rng.min_col - 1, last_col):
                rows[r][c] = value
    return rows


def _title(rows: list[list[Any]]) -> str:
    """The title printed right above the header, on one or two lines.

    Skipped: 附件2 labels, lines such as 填表单位：… / 填表时间：…, and whatever is further up
    (a whole notice pasted above the table would otherwise become the title).
    """
    lines: list[str] = []
    for row in reversed(rows):
        texts = [_ATTACHMENT.sub("", _one_line(t)) for t in dict.fromkeys(cell_text(v) for v in row if cell_text(v))]
        texts = [t for t in texts if t and not _FORM_LINE.search(t)]
        if not texts:
            if lines:
                break  # a blank line ends the title block
            continue
        lines.insert(0, "".join(texts))
        if len(lines) == 2:
            break
    return "".join(lines)


def _one_line(text: str) -> str:
    """Word wraps a long heading inside its cell (一、政府\\n职能依法\\n全面履行): join the lines
    back, with a space only where two Latin words meet — Chinese has no spaces between words."""
    out = ""
    for line in (squash(x) for x in text.replace("\r", "\n").split("\n")):
        if not line:
            continue
        if out and out[-1].isascii() and out[-1].isalnum() and line[0].isascii() and line[0].isalnum():
            out += " "
        out += line
    return out


def split_content(text: str) -> tuple[str, str]:
    """000's 考评内容 cell: a heading (perhaps wrapped over two lines), then numbered points.

    The points start at the first numbered line (1.…); without one, the first line is the heading.
    """
    lines = tidy_multiline(text).split("\n")
    first = next((i for i, line in enumerate(lines) if i and _LEADING_CODE.match(fold_width(line))), None)
    if first is None:
        first = 1
    return _one_line("\n".join(lines[:first])), "\n".join(lines[first:])


_NUMERALS = "一二三四五六七八九十"


def _next_code(code: str) -> str:
    """(1) → (2), 3 → 4, ★1 → ★2, (一) → (二), (九) → (十)."""
    m = re.search(r"\d+", code)
    if m:
        return code[: m.start()] + str(int(m.group()) + 1) + code[m.end() :]
    m = re.search(f"[{_NUMERALS}]+", code)
    if m and m.group() in _NUMERALS[:-1]:
        return code[: m.start()] + _NUMERALS[_NUMERALS.index(m.group()) + 1] + code[m.end() :]
    return code


def split_numbered(text: str) -> list[tuple[str, str]]:
    """``（1）…\\n（2）…`` → [("(1)", "…"), ("(2)", "…")]; [] when the text does not start with a code.

    A line starts a new item only when it carries the next number in sequence, so a quoted
    ``1.`` inside an item, or a remark line, stays with the item above.
    """
    items: list[tuple[str, str]] = []
    for line in tidy_multiline(text).split("\n"):
        m = _LEADING_CODE.match(fold_width(line))  # fold_width maps one char to one char
        code = (m.group(1) or m.group(2)).replace(" ", "") if m else None
        if code and (not items or code == _next_code(items[-1][0])):
            items.append((code, line[m.end() :].strip()))
        elif items:
            items[-1] = (items[-1][0], f"{items[-1][1]}\n{line}")
        else:
            return []
    return items


class _Builder:
    def __init__(self, file: str, sheet: str, cols: Columns, wide_rows: set[int] | None = None) -> None:
        self.file, self.sheet, self.cols = file, sheet, cols
        self.wide_rows = wide_rows or set()  # rows merged across the table: headings, footnotes
        self.caps: dict[Kind, float] = {}  # 加分总和不超过10分, per bonus / penalty block
        self.total: float | None = None  # 满分100分, in a note under the table
        self._level1_row = False  # a level 1 printed as a row of its own has been seen
        self._headings: dict[str, scores.Heading] = {}  # level-1 name → the numbers its heading printed
        self.indicators: list[Indicator] = []
        self.rows: list[int] = []  # the sheet row of each indicator, for findings about it
        self.findings: list[Finding] = []
        self._above: dict[str, str] = {}
        self._group_code = ""
        self._spellings: dict[str, set[str]] = {}
        self._first_row: dict[str, int] = {}
        self._seen_rows: dict[tuple[str, ...], int] = {}

    def report(self, row: int | None, severity: Severity, rule: str, message: str, column: int | None = None) -> None:
        self.findings.append(
            Finding(rule=rule, severity=severity, message=message, file=self.file, sheet=self.sheet,
                    row=row, column=None if column is None else column + 1)
        )

    def cell(self, values: list[Any], name: str) -> str:
        col = self.cols.by_field.get(name)
        return cell_text(values[col]) if col is not None and col < len(values) else ""

    # ----------------------------------------------------------------------- the columns
    def account_columns(self, data: list[list[Any]]) -> None:
        """Every column is mapped to a field or reported here, by name and position."""
        width = max(len(self.cols.header), max((len(r) for r in data), default=0))
        for col in range(width):
            if self.cols.field_at(col) is not None:
                continue
            filled = sum(1 for r in data if col < len(r) and cell_text(r[col]))
            named = col < len(self.cols.header) and self.cols.header[col]
            what, row = self.cols.describe(col), self.cols.header_row + 1
            if col in self.cols.assessor:
                state = f"有 {filled} 格已填写" if filled else "表中为空"
                self.report(row, Severity.warning if filled else Severity.info, "column-assessor",
                            f"{what}是考核时填写的评分栏（{state}），未导入", col)
            elif col in self.cols.ignored:
                self.report(row, Severity.info, "column-ignored", f"{what}按 --map 指定不导入（{filled} 格有内容）", col)
            elif filled or named:
                name = self.cols.header[col] if named else column_letter(col + 1)
                self.report(row, Severity.warning if filled else Severity.info, "column-unmapped",
                            f"{what}不对应任何字段，其内容（{filled} 格）未导入；"
                            f"如需导入请用 --map '{name}=字段'（如 points、note）", col)

        if not any(f in self.cols.by_field for f in ("lead", "units", "cooperating")):
            self.report(self.cols.header_row + 1, Severity.warning, "units-column-missing",
                        "表中没有责任单位（牵头单位）列：导入的指标都没有责任单位，不会出现在任何单位的台账中。"
                        "请在导入结果中补充 lead，或用 --map '列名=lead' 指定")

    def column_map(self) -> list[tuple[int, str, str | None]]:
        return [(c, name, self.cols.field_at(c)) for c, name in enumerate(self.cols.header)]

    def _is_repeated_header(self, values: list[Any]) -> bool:
        """The header printed again at the top of a page: most of its names in their own columns."""
        names = [header_name(v) for v in values]
        same = sum(1 for c, n in enumerate(names) if n and c < len(self.cols.header) and n == self.cols.header[c])
        return same >= min(3, len([n for n in self.cols.header if n]))

    # ----------------------------------------------------------------------- one row
    def row(self, number: int, values: list[Any]) -> None:
        cells = [cell_text(v) for v in values]
        if not any(cells):
            return
        if self._is_repeated_header(values):
            return  # the header repeated at the top of a printed page
        distinct = list(dict.fromkeys(c for c in cells if c))  # a merged row repeats its text
        if _FOOTNOTE.match(distinct[0]) and len(distinct) <= 2:
            self._footnote(number, distinct[0])
            return
        if self._heading_row(number, values, distinct):
            return
        fields = {name: self.cell(values, name) for name in (*HIERARCHY, *TEXT_FIELDS)}
        code, items = self._code(number, values, fields)
        self._fill_hierarchy(fields)
        if code is None and not items:
            self._uncoded(number, values, fields)
            return
        for item_code, text in items or [(code, None)]:
            row_fields = dict(fields)
            if text is not None:
                row_fields[self._text_field()] = text
            self._add_once(number, item_code, row_fields, values)
        if len(items) > 1:
            self.report(number, Severity.info, "items-split",
                        f"一格内有 {len(items)} 条编号的{self._label(self._text_field())}（{items[0][0]}…{items[-1][0]}），"
                        "已拆分为各自的指标", self.cols.by_field.get(self._text_field()))

    def _footnote(self, number: int, text: str) -> None:
        self.report(number, Severity.info, "footnote", f"脚注行已跳过：{squash(text)[:40]}")
        self.total = self.total if self.total is not None else scores.total(text)
        kind = _kind(text, "")
        limit = scores.cap(text)
        if kind is not Kind.normal and limit is not None and kind not in self.caps:
            self.caps[kind] = limit
            self.report(number, Severity.info, "cap-read", f"已记录{KIND_LABELS[kind]}上限 {limit:g} 分")

    def _heading_row(self, number: int, values: list[Any], distinct: list[str]) -> bool:
        """A row that only names a level 1: ``一 │ 组织管理 │ 10``, ``一、组织领导工作 12分`` merged
        across, ``加分项（加分总和不超过10分）``; or a sentence merged across below the table (a
        footnote without 注)."""
        if any(self.cell(values, n) for n in ("lead", "units", "cooperating", "persons")):
            return False
        code_cell, score_cell = self.cell(values, "code"), self.cell(values, "score")
        code = fold_width(code_cell).replace(" ", "")
        numbered = bool(code) and _GROUP_CODE.match(code) is not None
        texts = [t for t in distinct if t != score_cell and not (numbered and t == code_cell)]
        if len(texts) != 1:
            return False
        text = _one_line(texts[0])
        if numbered:
            name = f"{code}{text}" if code.startswith("(") else f"{code.rstrip('、.')}、{text}"
        elif _NUMBERED_HEADING.match(text) or _BLOCK.search(text) and len(text) <= 40:
            name = text
        elif number in self.wide_rows and self.indicators:
            self._footnote(number, text)
            return True
        else:
            return False
        heading = scores.heading(name)
        if heading.score is None and score_cell:
            heading.score = scores.number(score_cell)
        if self._level1_row and _BRACKETED_NUMERAL.match(name) and "level2" not in self.cols.by_field:
            self._above["level2"] = heading.name  # （一）领导体制 under 一、组织领导: a level 2 of its own
            self.report(number, Severity.info, "level2-row", f"二级指标「{heading.name}」单独成行{_numbers(heading)}")
            return True
        self._heading(heading)
        self._above = {"level1": heading.name}
        self._group_code = ""
        self._level1_row = True
        self.report(number, Severity.info, "level1-row", f"一级指标「{heading.name}」单独成行{_numbers(heading)}")
        return True

    def _heading(self, heading: scores.Heading) -> None:
        if heading.score is not None or heading.weight is not None:
            self._headings.setdefault(heading.name, heading)
        kind = _kind(heading.name, "")
        if heading.cap is not None and kind is not Kind.normal:
            self.caps.setdefault(kind, heading.cap)

    def level1_scores(self, indicators: list[Indicator]) -> list[Level1]:
        names = dict.fromkeys(i.level1 for i in indicators)
        return [Level1(name=n, score=h.score, weight=h.weight) for n in names if (h := self._headings.get(n))]

    def _text_field(self) -> str:
        return "level3" if "level3" in self.cols.by_field else "points"

    def _label(self, name: str) -> str:
        return self.cols.label(name) or name

    def _fill_hierarchy(self, fields: dict[str, str]) -> None:
        """Blank (or merged) hierarchy cells mean "same as above".

        A heading printed again at the top of a page without its details (考评内容 without the
        numbered points) is the heading above, not a new one.
        """
        for name in HIERARCHY:
            value, above = fields[name], self._above.get(name, "")
            if value and not (above and self._same_heading(name, value, above)):
                if name == "level1":
                    self._above.pop("level2", None)  # a new level 1 does not inherit the old level 2
                self._above[name] = value
            elif name in self.cols.by_field or name in HIERARCHY:  # a level may be a row of its own
                fields[name] = above

    def _same_heading(self, name: str, value: str, above: str) -> bool:
        if name == "level2" and self.cols.content_is_level2:
            heading, points = split_content(value)
            return not points and heading == split_content(above)[0]
        return _one_line(value) == _one_line(above)

    def _code(self, number: int, values: list[Any], fields: dict[str, str]) -> tuple[str | None, list[tuple[str, str]]]:
        """The code from the code column; without one, the numbered items at the start of the
        text (000: several （n） requirements in one cell, 003: ``1、`` before each task)."""
        raw = fold_width(self.cell(values, "code")).replace(" ", "")
        raw = raw[:-1] if len(raw) > 1 and raw[-1] in "、." and raw[:-1].isdigit() else raw  # 1、 / 1. in the code column
        if _GROUP_CODE.match(raw):  # 003: the 序号 column numbers groups (一)(二); tasks carry theirs
            self._group_code = raw if raw.startswith("(") else f"({raw.rstrip('、.')})"
            raw = ""
        if raw and _CODE.match(raw):
            return raw, []
        if raw:
            self.report(number, Severity.warning, "code-unparsed",
                        f"编号「{raw}」不是可识别的指标编号，已改从指标文字开头读取",
                        self.cols.by_field.get("code"))
        name = self._text_field()
        items = split_numbered(fields[name]) if fields[name] else []
        if items:
            fields[name] = ""
        return None, items

    def _uncoded(self, number: int, values: list[Any], fields: dict[str, str]) -> None:
        """A row without a code: the rest of a sentence cut by a page break, another unit of the
        indicator above (code and text left blank as "same as above"), or a mistake to report."""
        text = fields[self._text_field()] or fields["points"]
        if text:
            if self._continues(number, fields, values):
                self._continue(number, fields)
                return
            self.report(number, Severity.error, "code-missing",
                        f"有指标内容「{squash(text)[:20]}…」但没有编号，无法识别为指标，请补上序号",
                        self.cols.by_field.get("code", self.cols.by_field.get(self._text_field())))
            return
        units = [self.cell(values, n) for n in ("lead", "units", "cooperating", "persons") if self.cell(values, n)]
        if units and self.indicators and not looks_like_note(self.cell(values, "units")):
            added = self._extend(number, values)
            self.report(number, Severity.warning, "row-units-only",
                        f"该行只有责任单位/责任人，视为上一项指标（编号 {self.indicators[-1].code}，第 {self.rows[-1]} 行）"
                        f"的另一行责任单位，已并入：{'、'.join(added) or '（无新单位）'}。请核对")
            return
        stray = [(self._label(n), self.cell(values, n)) for n in DETAIL_FIELDS if self.cell(values, n)]
        if stray:
            what = "；".join(f"{label}「{squash(v)[:20]}」" for label, v in stray)
            self.report(number, Severity.warning, "row-unplaced",
                        f"该行没有编号和指标内容，其中的 {what} 未导入，请核对是否属于上一项指标")

    def _continues(self, number: int, fields: dict[str, str], values: list[Any]) -> bool:
        """The previous indicator stops mid-sentence, and this row sits under the same headings
        with no responsible unit of its own (blank, or the same units printed again)."""
        if not self.indicators:
            return False
        last = self.indicators[-1]
        text = last.level3 if self._text_field() == "level3" else last.points
        if not text or text.rstrip().endswith(tuple(_SENTENCE_END)):
            return False
        if self._level1(fields) != last.level1 or self._level2_points(fields)[0] != last.level2:
            return False
        lead, coop, _, _ = self._units(number, values, quiet=True)
        return {*lead, *coop} <= {*last.lead, *last.cooperating}

    def _continue(self, number: int, fields: dict[str, str]) -> None:
        last = self.indicators[-1]
        name = self._text_field()
        tail = tidy_multiline(fields[name])
        self.indicators[-1] = last.model_copy(update={name: (getattr(last, name) or "") + tail})
        self.report(number, Severity.warning, "row-continued",
                    f"该行没有编号，上一项指标（编号 {last.code}，第 {self.rows[-1]} 行）的文字在句中断开，"
                    f"视为分页造成的续行，已接在其后：「…{tail[:15]}」。请核对",
                    self.cols.by_field.get(name))

    def _extend(self, number: int, values: list[Any], index: int = -1) -> list[str]:
        """Add the units and persons of another row of the same indicator; returns the new units."""
        ind = self.indicators[index]
        lead, coop, all_units, _ = self._units(number, values, quiet=True)
        new_lead = [u for u in lead if u not in (*ind.lead, *ind.cooperating)]
        new_coop = [u for u in coop if u not in (*ind.lead, *ind.cooperating, *new_lead)]
        persons = self._persons(number, values, lead + coop)
        known = {(p.name, p.unit) for p in ind.persons}
        text = self._units_text(values)
        self.indicators[index] = ind.model_copy(update={
            "lead": [*ind.lead, *new_lead],
            "cooperating": [*ind.cooperating, *new_coop],
            "all_units_cooperate": ind.all_units_cooperate or all_units,
            "persons": [*ind.persons, *(p for p in persons if (p.name, p.unit) not in known)],
            "units_text": "、".join(filter(None, (ind.units_text, text))) if new_lead or new_coop else ind.units_text,
        })
        return new_lead + new_coop

    # ----------------------------------------------------------------------- one indicator
    def _add_once(self, number: int, code: str, fields: dict[str, str], values: list[Any]) -> None:
        identity = (code, fields["level3"], fields["points"], fields["level1"])
        first = self._seen_rows.get(identity)
        if first is None:
            self._seen_rows[identity] = number
            self._add(number, code, fields, values)
            return
        # The code and text cells are merged over several rows, one row per responsible unit
        # (and person): one indicator, its units gathered from every row.
        index = self.rows.index(first)
        added = self._extend(number, values, index)
        if index != len(self.rows) - 1:
            self.report(number, Severity.warning, "row-repeated",
                        f"该行与第 {first} 行是同一项指标（编号 {code}）但不相邻，已合并其责任单位："
                        f"{'、'.join(added) or '（无新单位）'}。请核对")
        elif added:
            self.report(number, Severity.info, "row-merged",
                        f"编号 {code} 的合并单元格跨到本行，本行的责任单位已并入：{'、'.join(added)}")

    def _level1(self, fields: dict[str, str]) -> str:
        heading = scores.heading(_one_line(fields["level1"]))  # 一、组织领导工作 12分
        self._heading(heading)
        level1 = heading.name
        if self._group_code and not level1.startswith(self._group_code):
            level1 = self._group_code + level1
        return level1

    def _level2_points(self, fields: dict[str, str]) -> tuple[str | None, str | None]:
        if self.cols.content_is_level2:
            heading, points = split_content(fields["level2"])
            return heading or None, points or None
        return _one_line(fields["level2"]) or None, tidy_multiline(fields["points"]) or None

    def _add(self, number: int, code: str, fields: dict[str, str], values: list[Any]) -> None:
        level1 = self._level1(fields)
        level2, points = self._level2_points(fields)
        level3 = tidy_multiline(fields["level3"]) or None
        if not level1:
            self.report(number, Severity.warning, "level1-missing", "一级指标为空，且上方没有可沿用的值",
                        self.cols.by_field.get("level1"))
        if not (level3 or points):
            self.report(number, Severity.error, "text-missing",
                        f"编号 {code} 没有指标内容（{self._label(self._text_field())}为空）",
                        self.cols.by_field.get(self._text_field()))
        lead, cooperating, all_units, units_note = self._units(number, values)
        note = squash(self.cell(values, "note")) or units_note
        kind = _kind(level1, level2 or "")
        scoring = tidy_multiline(self.cell(values, "scoring")) or None
        score, cap = self._score(number, values, kind, " ".join(filter(None, (level3, points))), scoring)
        indicator = Indicator(
            key=code,
            code=code,
            level1=level1,
            level2=level2,
            level3=level3,
            points=points,
            methods=[m for m in (no_spaces(x) for x in _LIST_SPLIT.split(self.cell(values, "methods"))) if m],
            materials=self._materials(values, points),
            units_text=None if units_note else self._units_text(values),
            lead=lead,
            cooperating=cooperating,
            all_units_cooperate=all_units,
            persons=self._persons(number, values, lead + cooperating),
            key_item="★" in (note or "") or code.startswith("★"),
            note=note,
            kind=kind,
            deadline=squash(self.cell(values, "deadline")) or None,
            score=score,
            scoring=scoring,
            cap=cap,
        )
        self.indicators.append(indicator)
        self.rows.append(number)

    def _score(self, number: int, values: list[Any], kind: Kind, text: str,
               scoring: str | None) -> tuple[float | None, float | None]:
        """分值 from its column, else from the text: …3分 at the end of a normal item (never from
        its 评分标准, which says what is deducted), 加2分 / 扣1分 in a bonus or penalty item or
        its 评分标准, whose cap (最高扣5分) is read too."""
        cell = self.cell(values, "score")
        score = scores.number(cell) if cell else None
        if cell and score is None:
            self.report(number, Severity.warning, "score-unparsed", f"分值「{cell}」不是数字，未记录",
                        self.cols.by_field.get("score"))
        if kind is Kind.normal:
            return (score if score is not None else scores.trailing_score(text)), None
        text = " ".join(filter(None, (text, scoring)))
        return (score if score is not None else scores.per_case(text)), scores.cap(text)

    def _materials(self, values: list[Any], points: str | None) -> list[str]:
        if "materials" in self.cols.by_field:
            return split_items(self.cell(values, "materials"))
        if header_name(self.cols.label("points")) == "考评要点":
            # 001-style tables have no 上报资料 column: their 考评要点 lists the evidence to submit
            return split_items(points or "")
        return []

    def _units_text(self, values: list[Any]) -> str | None:
        """The responsibility cell(s) as printed, one line per unit joined with 、."""
        cells = (self.cell(values, "lead"), self.cell(values, "units") or self.cell(values, "cooperating"))
        return "、".join(no_spaces(line) for cell in cells for line in cell_lines(cell)) or None

    def _units(self, number: int, values: list[Any],
               quiet: bool = False) -> tuple[list[str], list[str], bool, str | None]:
        """Lead units, cooperating units, 各部门配合, and a remark written in the units column."""
        text = self.cell(values, "units") or self.cell(values, "cooperating")
        if looks_like_note(text):
            if not quiet:
                self.report(number, Severity.warning, "units-note",
                            f"{self._label('units') or self._label('cooperating')}栏是一句说明而不是单位名称，"
                            f"已记为备注：「{squash(text)[:20]}…」；此项没有责任单位",
                            self.cols.by_field.get("units", self.cols.by_field.get("cooperating")))
            return [], [], False, squash(text)
        if "lead" in self.cols.by_field:
            leads = parse_responsibility(self.cell(values, "lead"))
            lead = self._canonical(number, leads.lead + leads.cooperating)
            coop = parse_responsibility(text)
            coop_names = [n for n in self._canonical(number, coop.lead + coop.cooperating) if n not in lead]
            if not lead and not quiet:
                self.report(number, Severity.warning, "lead-missing", f"{self._label('lead')}为空",
                            self.cols.by_field["lead"])
            return lead, coop_names, coop.all_units_cooperate or leads.all_units_cooperate, None
        if not text and not quiet and "units" in self.cols.by_field:
            self.report(number, Severity.warning, "units-missing", f"{self._label('units') or '责任单位'}为空",
                        self.cols.by_field.get("units"))
        parsed = parse_responsibility(text)
        return (self._canonical(number, parsed.lead), self._canonical(number, parsed.cooperating),
                parsed.all_units_cooperate, None)

    def _canonical(self, number: int, names: list[str]) -> list[str]:
        out: list[str] = []
        for name in names:
            if not name.strip():
                continue
            canonical = unit_key(name)
            self._spellings.setdefault(canonical, set()).add(squash(name))
            self._first_row.setdefault(squash(name), number)
            if canonical not in out:
                out.append(canonical)
        return out

    def _persons(self, number: int, values: list[Any], units: list[str]) -> list[Person]:
        names = [_person_name(p) for p in _LIST_SPLIT.split(self.cell(values, "persons")) if p.strip()]
        if not names:
            return []
        if len(names) == len(units):
            return [Person(name=n, unit=u) for n, u in zip(names, units)]
        if len(names) > 1 and len(units) != 1:
            self.report(number, Severity.warning, "persons-unaligned",
                        f"责任人 {len(names)} 人与责任单位 {len(units)} 个不能逐行对应，未记录所属单位",
                        self.cols.by_field.get("persons"))
            return [Person(name=n) for n in names]
        return [Person(name=n, unit=units[0] if units else None) for n in names]

    # ----------------------------------------------------------------------- the whole table
    def finish(self) -> list[Indicator]:
        """Unit spellings merged, then keys: the printed code, unless codes repeat (then 加n/减n,
        or level1.level2.code); keys still equal after that are reported and numbered apart."""
        rename = self._merge_spellings()
        indicators = [_renamed(i, rename) for i in self.indicators]
        counts = Counter(i.code for i in indicators)
        normal = Counter(i.code for i in indicators if i.kind is Kind.normal)
        hierarchical = any(n > 1 for n in normal.values())
        # 加分项/减分项 numbered 1, 2 again: all of them keyed 加n/减n, not only the clashing ones
        extra_prefixed = any(counts[i.code] > 1 for i in indicators if i.kind is not Kind.normal)
        ordinals: dict[tuple[str, ...], int] = {}

        def ordinal(*path: str) -> int:
            if path not in ordinals:
                ordinals[path] = sum(1 for p in ordinals if p[:-1] == path[:-1]) + 1
            return ordinals[path]

        keyed: list[Indicator] = []
        for ind in indicators:
            key = ind.code
            if ind.kind is not Kind.normal and extra_prefixed:
                key = ("加" if ind.kind is Kind.bonus else "减") + ind.code
            elif hierarchical:
                parts = [str(ordinal(ind.level1))]
                if ind.level2:
                    parts.append(str(ordinal(ind.level1, ind.level2)))
                key = ".".join([*parts, ind.code])
            keyed.append(ind.model_copy(update={"key": key}))
        return self._unique_keys(keyed)

    def _unique_keys(self, indicators: list[Indicator]) -> list[Indicator]:
        rows: dict[str, list[int]] = {}
        for ind, row in zip(indicators, self.rows):
            rows.setdefault(ind.key, []).append(row)
        out: list[Indicator] = []
        seen: Counter[str] = Counter()
        for ind in indicators:
            seen[ind.key] += 1
            if len(rows[ind.key]) > 1:
                if seen[ind.key] == 1:
                    self.report(rows[ind.key][0], Severity.error, "code-duplicate",
                                f"编号「{ind.code}」在同一级指标下重复出现（第 {'、'.join(map(str, rows[ind.key]))} 行），"
                                f"已暂记为 {ind.key}-1、{ind.key}-2…，请核对原表")
                ind = ind.model_copy(update={"key": f"{ind.key}-{seen[ind.key]}"})
            out.append(ind)
        return out

    def _merge_spellings(self) -> dict[str, str]:
        """基层科 and 基层工作指导科, 各行政执法部门 and 各行政执法部门(单位): one unit, the full name.

        An abbreviation is reported as a warning, since the table cannot prove it; the user
        confirms or splits them in the YAML. Only a name with exactly one possible full name
        is merged.
        """
        names = list(self._spellings)
        rename: dict[str, str] = {}
        for short in names:
            fulls = [n for n in names if n != short and _abbreviates(short, n)]
            if len(fulls) == 1:
                rename[short] = fulls[0]
        for short in rename:  # 基层科 → 基层指导科 → 基层工作指导科: straight to the last
            while rename[short] in rename and rename[short] != short:
                rename[short] = rename[rename[short]]
        for short, full in rename.items():
            row = min(self._first_row.get(s, 0) for s in self._spellings[short])
            if _bracketed_variant(short, full):  # only (单位) added: no doubt, but say what was done
                self.report(row or None, Severity.info, "unit-variant", f"「{short}」与「{full}」视为同一单位，已合并")
            else:
                self.report(row or None, Severity.warning, "unit-abbreviation",
                            f"「{short}」视为「{full}」的简称，已合并为同一单位（别名）。"
                            "如不是同一单位，请在导入结果中分开")
        merged: dict[str, set[str]] = {}  # a unit is listed where any of its spellings first appears
        for name, spellings in self._spellings.items():
            merged.setdefault(rename.get(name, name), set()).update(spellings)
        self._spellings = merged
        return rename

    def units(self) -> list[Unit]:
        return [
            Unit(name=name, aliases=sorted(s for s in spellings if s != name), group=is_group(name))
            for name, spellings in self._spellings.items()
        ]

    def level_names(self) -> list[str]:
        """The hierarchy columns' own header names: 一级指标…, 考评项目/考评内容/基本要求, 名称/工作任务."""
        return [label for name in ("level1", "level2", "level3") if (label := self.cols.label(name))]

    def points_label(self) -> str:
        if self.cols.content_is_level2:
            return self.cols.label("level2") or "考评内容"
        return self.cols.label("points") or self.cols.label("level3") or "考评要点"

    def nothing_imported(self) -> str:
        errors = [f for f in self.findings if f.severity is Severity.error]
        where = f"{self.file} 工作表「{self.sheet}」"
        if not errors:
            return f"{where}：表头（第 {self.cols.header_row + 1} 行）下面没有任何带编号的指标行，没有导入任何指标"
        first = errors[0]
        example = first.where.removeprefix(where).strip()
        return f"{where}：没有导入任何指标，{len(errors)} 行无法识别，例如{example}：{first.message}"


def _bracketed_variant(short: str, full: str) -> bool:
    """各行政执法部门 and 各行政执法部门(单位)."""
    return full.startswith(short) and re.fullmatch(r"\(.+\)", full[len(short) :]) is not None


def _abbreviates(short: str, full: str) -> bool:
    """各行政执法部门 ⊂ 各行政执法部门(单位); 基层科 ⊂ 基层工作指导科 (same start, same kind of office)."""
    if _bracketed_variant(short, full):
        return True
    if len(short) < 3 or len(short) >= len(full) or short[:2] != full[:2] or short[-1] != full[-1]:
        return False
    rest = iter(full)
    return all(ch in rest for ch in short)  # a subsequence of the full name


def _renamed(ind: Indicator, rename: dict[str, str]) -> Indicator:
    if not rename:
        return ind

    def names(units: list[str]) -> list[str]:
        return list(dict.fromkeys(rename.get(u, u) for u in units))

    lead = names(ind.lead)
    return ind.model_copy(update={
        "lead": lead,
        "cooperating": [u for u in names(ind.cooperating) if u not in lead],
        "persons": [p.model_copy(update={"unit": rename.get(p.unit, p.unit)}) if p.unit else p for p in ind.persons],
    })


def _person_name(text: str) -> str:
    """徐　鉴 → 徐鉴: two-character names are padded to line up; a Chinese name has no spaces."""
    return no_spaces(text) if _CJK_NAME.match(text) else squash(text)


def _kind(level1: str, level2: str) -> Kind:
    joined = level1 + level2
    if "加分" in joined:
        return Kind.bonus
    if "减分" in joined or "扣分项" in joined or "扣分情形" in joined or "予以扣分" in joined:
        return Kind.penalty
    return Kind.normal


def split_items(text: str) -> list[str]:
    """`1.…；2.…` or `(1)…;(2)…` into items, numbering and trailing separators removed."""
    text = tidy_multiline(text or "")
    if not text:
        return []
    parts = [p.strip().rstrip(";；").strip() for p in _ITEM_SPLIT.split(text)]
    items: list[str] = []
    for part in parts:
        items += [line.strip() for line in part.split("\n") if line.strip()]
    return items


def _numbers(heading: scores.Heading) -> str:
    parts = [f"{heading.score:g} 分" if heading.score is not None else "",
             f"占 {heading.weight:g}%" if heading.weight is not None else "",
             f"上限 {heading.cap:g} 分" if heading.cap is not None else ""]
    shown = "，".join(p for p in parts if p)
    return f"（{shown}）" if shown else ""

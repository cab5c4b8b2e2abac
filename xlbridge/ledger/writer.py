"""Write a unit's ledger workbook (openpyxl), everything native so it works with no add-in:
dropdowns from defined names, length limits, Chinese input prompts, conditional formatting for
missing input, text format on every free-text input column, sheet protection of pre-filled
cells, explicit row heights (LibreOffice resets them to 15 pt otherwise)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from copy import copy
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation

from xlbridge.errors import XlbridgeError
from xlbridge.ledger import carried, rectification
from xlbridge.ledger import layout as L
from xlbridge.ledger.content import campaign_years, issued_ledger
from xlbridge.ledger.package import MAGIC_ROWS, Skeleton, token
from xlbridge.ledger.signature import sign
from xlbridge.system.members import member_of_value
from xlbridge.system.model import IndicatorSystem
from xlbridge.system.model import Kind as RowKind
from xlbridge.xlsx.owned import save_atomically, temp_name
from xlbridge.xlsx.printing import Page, row_height, row_heights, setup_openpyxl

_PROTECT = L.PROTECTION_PASSWORD
_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_LOCKED_FILL = PatternFill("solid", fgColor=L.LOCKED_FILL)
_INPUT_FILL = PatternFill("solid", fgColor=L.INPUT_FILL)
_HEADER_FILL = PatternFill("solid", fgColor=L.HEADER_FILL)
_MISSING_FILL = PatternFill("solid", fgColor="FFE699")
_TOO_LONG_FILL = PatternFill("solid", fgColor="F8CBAD")
_WRAP = Alignment(wrap_text=True, vertical="top")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_LINE_PT = 15


def ledger_filename(unit: str, campaign: int) -> str:
    return f"{unit}_{campaign}_工作台账.xlsx"


def write_ledger(
    system: IndicatorSystem,
    unit: str,
    campaign: int,
    path: Path,
    key: bytes,
    years: list[int] | None = None,
    issued_at: datetime | None = None,
    period: str | None = None,
    answers: Mapping[tuple[int, str], Mapping[str, object]] | None = None,
    items: Sequence[Mapping[str, object]] = (),
) -> Path:
    """One unit's ledger; for ``period`` (YYYY-MM, pre-filled and signed) and with ``answers``
    (year, indicator key → the unit's last accepted input values) pre-filled in the white cells;
    with its open rectification ``items`` in a 整改 sheet (ledger/rectification.py), when it has any.

    Written from the workbook openpyxl builds once for the system's wording, the campaign and
    the years (xlbridge.ledger.package says why), filled in with this unit's rows."""
    years = campaign_years(system, campaign, years)
    issued = issued_ledger(system, unit, years)  # built once per process and unit, with its digest
    rows = issued.rows
    items_digest = rectification.digest([rectification.cells(i) for i in items]) if items else None
    meta = ledger_meta(system, unit, campaign, years, issued.digest, key, issued_at, period, items_digest)
    answers = answers or {}
    cells = []
    issued_height: dict[str, float] = {}  # an indicator's pre-filled cells are the same every year: measured once
    for r in rows:
        row = _row_values(r, answers.get(r.identity, {}))
        issued = issued_height.get(r.indicator.key) or issued_height.setdefault(r.indicator.key, _locked_height(row))
        cells.append((max(issued, _input_height(row)), row))
    ranges = _progress_ranges([r.indicator.kind for r in rows])
    values: dict[str, str | None] = {"unit": unit, "period": period,
                                     **{f"meta_{k}": meta.get(k, "") for k in L.META_KEYS if k != L.SYSTEM_DATA},
                                     **_system_data_cells(carried.cells(meta.get(L.SYSTEM_DATA))),
                                     **{_range_token(key, k): _in_column(key, sqref) for k, sqref in ranges.items()
                                        for key in L.BY_KIND}}
    skeleton = _skeleton(system.title, system.issuer, system.document, campaign, tuple(years), tuple(ranges))
    if not items:
        return skeleton.write(path, values, cells)
    return _with_items(path, items, L.ledger_title(unit, campaign), lambda base: skeleton.write(base, values, cells))


def _with_items(path: Path, items: Sequence[Mapping[str, object]], title: str,
                write_base: Callable[[Path], Path]) -> Path:
    """The ledger with its 整改 sheet: the rows differ per unit, so the sheet is no part of the
    skeleton; the ledger is written beside ``path``, the sheet added (one more openpyxl load and
    save, for the few units with open items), and only then renamed over ``path``."""
    base = temp_name(path, ".base")  # a name the daemon's temp sweep knows
    try:
        wb = load_workbook(write_base(base))
        rectification.write_sheet(wb, items, title)
        save_atomically(wb, path)
    finally:
        base.unlink(missing_ok=True)
    return path


_EXTRA_ROWS = 500  # how far validations reach past the last row
_SKELETONS: dict[tuple[object, ...], Skeleton] = {}


def _skeleton(title: str, issuer: str, document: str | None, campaign: int, years: tuple[int, ...],
              kinds: tuple[RowKind, ...] = (RowKind.normal,)) -> Skeleton:
    """The ledger workbook for this wording, campaign and years, with placeholders (built once);
    with a 完成进度 dropdown for each row kind in ``kinds``, its cells a placeholder too."""
    key = (title, issuer, document, campaign, years, kinds)
    if key not in _SKELETONS:
        wording = IndicatorSystem.model_construct(title=title, issuer=issuer, document=document)
        template = _TemplateRow({c.key: token("row") for c in L.LOCKED})
        meta: dict[str, Any] = {k: token(f"meta_{k}") for k in L.META_KEYS}
        meta[L.SYSTEM_DATA] = [token(name) for name in _system_data_cells(carried.cells(None))]
        # openpyxl takes only a cell range for a validation's cells: a marker cell, made a placeholder after.
        markers = {k: f"{_PROGRESS_LETTER}{_MARKER_ROW + n}" for n, k in enumerate(kinds)}  # in the 完成进度 column
        wb = _workbook(wording, token("unit"), campaign, list(years), [template], meta, token("period"), MAGIC_ROWS,
                       progress_ranges=markers)
        with tempfile.TemporaryDirectory() as tmp:
            built = Path(tmp) / "skeleton.xlsx"
            wb.save(built)
            skeleton = Skeleton.from_package(built, L.LEDGER_SHEET, L.META_SHEET, L.FIRST_DATA_ROW, _EXTRA_ROWS)
        for kind, marker in markers.items():
            for column in L.BY_KIND:
                placeholder = f'sqref="{token(_range_token(column, kind))}"'
                skeleton.tail = [t.replace(f'sqref="{_in_column(column, marker)}"', placeholder) for t in skeleton.tail]
        _SKELETONS[key] = skeleton
    return _SKELETONS[key]


_PROGRESS_LETTER = get_column_letter(L.COLUMN["progress"].index)
_MARKER_ROW = 1_048_000  # near the sheet's last row: no ledger reaches it


def _range_token(key: str, kind: RowKind) -> str:
    return f"{key}_{kind.value}"


def _in_column(key: str, cells: str) -> str:
    """The same rows in column ``key``: the 完成进度 cells of a kind's rows → their 进度说明 cells."""
    return cells.replace(_PROGRESS_LETTER, get_column_letter(L.COLUMN[key].index))


def _progress_ranges(kinds: Sequence[RowKind], extra: int = _EXTRA_ROWS) -> dict[RowKind, str]:
    """Each row kind's 完成进度 cells, as a validation's cells (runs of rows, space-separated); the
    常规 ones reach past the last row, as the other columns' validations do, for inserted rows."""
    runs: dict[RowKind, list[list[int]]] = {}
    for row, kind in enumerate(kinds, start=L.FIRST_DATA_ROW):
        kind_runs = runs.setdefault(kind, [])
        if kind_runs and kind_runs[-1][1] == row - 1:
            kind_runs[-1][1] = row
        else:
            kind_runs.append([row, row])
    end = L.FIRST_DATA_ROW + len(kinds)
    normal = runs.setdefault(RowKind.normal, [])
    if normal and normal[-1][1] == end - 1:
        normal[-1][1] = end + extra
    else:
        normal.append([end, end + extra])
    letter = _PROGRESS_LETTER
    return {kind: " ".join(f"{letter}{a}" if a == b else f"{letter}{a}:{letter}{b}" for a, b in kind_runs)
            for kind, kind_runs in sorted(runs.items(), key=lambda item: list(RowKind).index(item[0]))}


def _system_data_cells(parts: list[str | None]) -> dict[str, str | None]:
    """The skeleton's placeholders of system_data's cells, each with its part."""
    return {f"meta_{L.SYSTEM_DATA}_{n}": part for n, part in enumerate(parts)}


@dataclass
class _TemplateRow:
    """The skeleton's one data row: a placeholder in every cell, so that openpyxl styles them all."""

    values: dict[str, object]
    identity: tuple[int, str] = (0, "")


def _workbook(system: IndicatorSystem, unit: str, campaign: int, years: list[int], rows: Sequence[Any],
              meta: dict[str, str], period: str | None, n_rows: int,
              answers: Mapping[tuple[int, str], Mapping[str, object]] | None = None,
              progress_ranges: Mapping[RowKind, str] | None = None) -> Workbook:
    """The whole ledger as openpyxl writes it: the skeleton (one template row), or — in a test — a
    unit's ledger cell for cell, which the skeleton's copies must equal."""
    wb = Workbook()
    ws = wb.active
    ws.title = L.LEDGER_SHEET
    _write_lists(wb)
    _write_header_block(ws, system, unit, campaign, period)
    _write_rows(ws, rows, answers or {})
    # Every page: the column headers on top, the ledger's title in the page header, page numbers.
    # The print area ends at the last row (the skeleton's n_rows is replaced per ledger).
    setup_openpyxl(ws, Page(L.ledger_title(unit, campaign), [c.width for c in L.COLUMNS],
                            L.FIRST_DATA_ROW + n_rows - 2, header_rows=(L.HEADER_ROW - 1, L.HEADER_ROW - 1)))
    _add_validations(ws, n_rows, progress_ranges or _progress_ranges([r.indicator.kind for r in rows]))
    _add_conditional_formats(ws, n_rows)
    _protect(ws)
    _write_guide(wb.create_sheet(L.GUIDE_SHEET), system, years)
    _write_meta(wb.create_sheet(L.META_SHEET), meta)
    wb.security = WorkbookProtection(workbookPassword=_PROTECT, lockStructure=True)
    wb.active = 0
    return wb


def ledger_meta(
    system: IndicatorSystem,
    unit: str,
    campaign: int,
    years: list[int],
    digest: str,
    key: bytes,
    issued_at: datetime | None = None,
    period: str | None = None,
    items_digest: str | None = None,
) -> dict[str, str]:
    meta = {
        "unit": unit,
        "system_id": system.id,
        "system_version": system.version,
        "system_title": system.title,
        "campaign": str(campaign),
        "years": ",".join(str(y) for y in years),
        "template_version": L.TEMPLATE_VERSION,
        "issued_at": (issued_at or datetime.now()).isoformat(timespec="seconds"),
        "rows_digest": digest,  # of the issued rows (ledger/content.py)
    }
    if period:
        meta["period"] = period
    if items_digest:
        meta["items_digest"] = items_digest
    if groups := member_of_value(system, unit):  # the clerk's check has only the shipped system
        meta["member_of"] = groups
    if data := carried.system_data(system, unit):  # ... which may not be this one
        meta[L.SYSTEM_DATA] = data
    meta["signature"] = sign(meta, key)
    return meta


def write_choice_lists(wb: Workbook, title: str, columns: Iterable[L.Column]) -> Any:
    """A hidden sheet ``title`` with one column per dropdown of ``columns`` (those with a
    list_name), each a workbook-level name the native validation refers to."""
    ws = wb.create_sheet(title)
    for col, column in enumerate((c for c in columns if c.list_name), start=1):
        for row, choice in enumerate(column.choices, start=1):
            ws.cell(row, col, choice)
        letter = get_column_letter(col)
        ref = f"{quote_sheetname(title)}!${letter}$1:${letter}${len(column.choices)}"
        wb.defined_names[column.list_name] = DefinedName(column.list_name, attr_text=ref)
    ws.sheet_state = "hidden"
    return ws


def _write_lists(wb: Workbook) -> None:
    extra = [c for c in L.PROGRESS_COLUMNS.values() if c is not L.COLUMN["progress"]]
    ws = write_choice_lists(wb, L.LISTS_SHEET, [*L.COLUMNS, *extra])
    ws.protection.sheet = True
    ws.protection.password = _PROTECT


def _write_header_block(ws, system: IndicatorSystem, unit: str, campaign: int, period: str | None) -> None:  # type: ignore[no-untyped-def]
    last = get_column_letter(len(L.COLUMNS))
    ws.merge_cells(f"A{L.TITLE_ROW}:{last}{L.TITLE_ROW}")
    title = ws.cell(L.TITLE_ROW, 1, L.ledger_title(unit, campaign))
    title.font = Font(size=16, bold=True)
    title.alignment = _CENTER
    ws.row_dimensions[L.TITLE_ROW].height = 30
    values = {"unit": unit, "system": system.title, "campaign": campaign, "period": period}
    for f in L.HEADER_FIELDS:
        label = ws.cell(f.row, f.label_col, f.label)
        label.font = Font(bold=True)
        label.alignment = _CENTER
        cell = ws.cell(f.row, f.value_col, values.get(f.key))
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        cell.border = _BORDER
        if not f.locked:
            cell.protection = Protection(locked=False)
            cell.number_format = "@"
            cell.fill = _INPUT_FILL
    ws.merge_cells(start_row=L.UNIT_ROW, start_column=6, end_row=L.UNIT_ROW, end_column=7)
    for row in (L.UNIT_ROW, L.INPUT_ROW):
        ws.row_dimensions[row].height = 32
    for column in L.COLUMNS:
        cell = ws.cell(L.HEADER_ROW, column.index, column.header)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = _CENTER
        cell.border = _BORDER
        ws.column_dimensions[get_column_letter(column.index)].width = column.width
    ws.row_dimensions[L.HEADER_ROW].height = 30
    ws.freeze_panes = ws.cell(L.FIRST_DATA_ROW, 3)


def _write_rows(ws, rows: Sequence[Any], answers: Mapping[tuple[int, str], Mapping[str, object]]) -> None:  # type: ignore[no-untyped-def]
    # Each column's style is set on the first row and copied to the others: setting a cell's
    # border, alignment, fill and protection looks each up in the workbook's style tables (a
    # hash of the style object each time), which was over half of writing a 200-row ledger.
    first: dict[int, StyleArray] = {}
    for offset, issued in enumerate(rows):
        r = L.FIRST_DATA_ROW + offset
        answer = answers.get(issued.identity, {})
        row = _row_values(issued, answer)
        for column, value in zip(L.COLUMNS, row):
            cell = ws.cell(r, column.index, value)
            if column.index in first:
                cell._style = copy(first[column.index])
                continue
            cell.border = _BORDER
            cell.alignment = _CENTER if column.key in ("year", "code", "role") else _WRAP
            if column.locked:
                cell.fill = _LOCKED_FILL
            else:
                cell.protection = Protection(locked=False)
                if column.kind is not L.Kind.year:
                    cell.number_format = "@"
            first[column.index] = cell._style
        ws.row_dimensions[r].height = _row_height(row)


def _answer(column: L.Column, answer: Mapping[str, object]) -> object:
    """A carried-over value as the clerk would have typed it (涉密 as 是/否, lists one per line)."""
    value = answer.get(column.key)
    if column.key == "secret":
        return L.SECRET_YES if value else L.SECRET_NO
    return value if value not in (None, "") else None


def _row_values(issued: Any, answer: Mapping[str, object]) -> list[object]:
    """A data row's cells in column order: the issued values, the carried-over answers."""
    values = [issued.values.get(c.key) if c.locked else _answer(c, answer) for c in L.COLUMNS]
    progress = answer.get("progress")
    if progress and issued.indicator.kind is not RowKind.normal \
            and progress not in L.progress_column(issued.indicator.kind).choices:
        values[_PROGRESS] = None  # from before rows had kinds (已完成 on a 减分项): chosen again, not refused
    return values


_PROGRESS = L.COLUMN["progress"].index - 1


# A data row's height: enough lines for the longest cell (pre-filled or carried over), at least two;
# the larger of its pre-filled cells' and its input cells' heights.
_row_height = row_heights([(n, c.width) for n, c in enumerate(L.COLUMNS)], line_pt=_LINE_PT, min_lines=2)
_locked_height = row_heights([(n, c.width) for n, c in enumerate(L.COLUMNS) if c.locked], line_pt=_LINE_PT, min_lines=2)
_input_height = row_heights([(n, c.width) for n, c in enumerate(L.COLUMNS) if not c.locked], line_pt=_LINE_PT, min_lines=2)



def _data_range(column: L.Column, n: int, extra: int = _EXTRA_ROWS) -> str:
    # Reach past the issued rows so inserted continuation rows are covered too.
    letter = get_column_letter(column.index)
    return f"{letter}{L.FIRST_DATA_ROW}:{letter}{L.FIRST_DATA_ROW + n + extra}"


def _add_validations(ws, n: int, progress_ranges: Mapping[RowKind, str]) -> None:  # type: ignore[no-untyped-def]
    for column in L.INPUTS:
        if column.key in L.BY_KIND:  # one dropdown or prompt per row kind, on that kind's rows
            for kind, cells in progress_ranges.items():
                _add_validation(ws, L.kind_column(column.key, kind), _in_column(column.key, cells))
        else:
            _add_validation(ws, column, _data_range(column, n))
    for f in L.HEADER_FIELDS:
        if not f.prompt:
            continue
        if f.key == "period":
            dv = DataValidation(type="textLength", operator="between", formula1="6", formula2="10", allow_blank=True)
        else:  # every prompt the layout declares is shown, not only the period's
            dv = DataValidation(type="custom", formula1="TRUE", allow_blank=True)  # prompt only
        dv.promptTitle, dv.prompt, dv.showInputMessage = f.label, f.prompt, True
        dv.add(ws.cell(f.row, f.value_col).coordinate)
        ws.add_data_validation(dv)


def _add_validation(ws, column: L.Column, cells: str) -> None:  # type: ignore[no-untyped-def]
    dv = None
    if column.kind is L.Kind.choice:
        # OOXML stores the formula without "=" (as Excel and XlsxWriter write it).
        dv = DataValidation(type="list", formula1=column.list_name, allow_blank=True)
        dv.error = f"请从下拉列表中选择：{' / '.join(column.choices)}"
    elif column.max_length:
        dv = DataValidation(type="textLength", operator="lessThanOrEqual", formula1=str(column.max_length), allow_blank=True)
        dv.error = f"「{column.header}」最多 {column.max_length} 个字"
    elif column.prompt:
        dv = DataValidation(type="custom", formula1="TRUE", allow_blank=True)  # prompt only
    if dv is None:
        return
    dv.errorTitle = "输入不符合要求"
    dv.showErrorMessage = True
    if column.prompt:
        dv.promptTitle = column.header
        dv.prompt = column.prompt[:255]
        dv.showInputMessage = True
    for cell_range in cells.split():
        dv.add(cell_range)
    ws.add_data_validation(dv)


def _add_conditional_formats(ws, n: int) -> None:  # type: ignore[no-untyped-def]
    code = get_column_letter(L.COLUMN["code"].index)
    progress = get_column_letter(L.COLUMN["progress"].index)
    description = get_column_letter(L.COLUMN["description"].index)
    first = L.FIRST_DATA_ROW
    ws.conditional_formatting.add(
        _data_range(L.COLUMN["progress"], n),
        FormulaRule(formula=[f'AND(${code}{first}<>"",LEN(TRIM(${progress}{first}))=0)'], fill=_MISSING_FILL),
    )
    ws.conditional_formatting.add(
        _data_range(L.COLUMN["description"], n),
        FormulaRule(formula=[f'LEN(${description}{first})>{L.DESCRIPTION_HARD_LIMIT}'], fill=_TOO_LONG_FILL),
    )
    ws.conditional_formatting.add(
        _data_range(L.COLUMN["description"], n),
        # 无此情形 and 不申报 need no 进度说明: nothing happened, nothing claimed.
        FormulaRule(formula=[f'AND(${code}{first}<>"",LEN(TRIM(${description}{first}))=0'
                             + "".join(f',${progress}{first}<>"{v}"' for v in L.NOTHING_TO_SAY) + ")"], fill=_MISSING_FILL),
    )


def _protect(ws) -> None:  # type: ignore[no-untyped-def]
    p = ws.protection
    p.sheet = True
    p.password = _PROTECT
    # In OOXML these flags mean "forbidden"; clear the ones clerks need.
    p.insertRows = False  # 附件3: "表格容纳不下，请自行增加表格行"
    p.formatRows = False
    p.formatColumns = False
    p.autoFilter = False
    p.sort = True


GUIDE = [
    "填报说明",
    "1. 本台账由系统按责任分工生成，灰色单元格为预填内容（年度、指标、测评方法、应报材料、职责），已锁定，请勿修改；报送时将逐格核对。",
    "2. 每月1日前报送上月台账（附件3）。请先填写第3行的报送月份（如 2021-05）、填表时间和填表人。",
    ("3. 完成进度：从下拉列表选择。常规指标选“已完成”或“未完成”；【减分项】不是要完成的任务，而是不得发生的情形：没有的选“无此情形”，"
     "存在的选“存在此情形”并在进度说明中写明发生了什么、采取了哪些措施；【加分项】申报的选“申报加分”，写明依据并列出上报材料或网址链接作为佐证，不申报的选“不申报”。"),
    "4. 进度说明：已完成的，写上月具体完成情况；未完成的，写正在推进情况；选“无此情形”“不申报”的可不填。简明扼要，一般不超过500字，最多不超过1000字。",
    "5. 上报材料：列出材料目录，按时间顺序（2016年—2021年）、按类别（规范性文件、规章等）排列，一行一项。",
    "6. 测评方法含“网络检索”的指标，必须在“网址链接”栏填写已公开内容的网址（http:// 或 https:// 开头，每行一个）。",
    "7. 涉密材料不在系统中提供，只报送纸质件：涉密栏选“是”，不填网址链接和材料内容。",
    "8. 案卷评查类指标，材料目录应包括序号、案件文号和卷宗名称。",
    "9. 表格容纳不下时，在该指标行下方插入新行（右键 → 插入），只在“上报材料”“网址链接”“涉密”栏续写；年度和指标编号留空，系统会将其并入上方指标。",
    f"10. 请勿删除、移动或排序指标行，请勿修改表头，请勿使用公式。“{L.COLUMNS[-1].header}”右侧各列不属于台账，填在那里的内容不会被报送。",
    "11. 已安装“法治台账”加载项的，点功能区“校验”按钮检查；使用 WPS 或 LibreOffice 的，直接保存后报送，系统收到后会校验并发回执。",
    "12. 编造、虚构数据资料属于减分项。",
]


def _write_guide(ws, system: IndicatorSystem, years: list[int]) -> None:  # type: ignore[no-untyped-def]
    # One portrait page wide wherever it is printed: a LibreOffice with no Calibri measures the
    # column with a wider font, and at 95 characters each line's end ran past the page.
    width = 80
    ws.column_dimensions["A"].width = width
    lines = [*GUIDE, "", f"指标体系：{system.title}（{system.issuer} {system.document or ''}）；台账年度：{years[0]}–{years[-1]}"]
    for row, text in enumerate(lines, start=1):
        cell = ws.cell(row, 1, text or None)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[row].height = row_height([(text, width)], line_pt=_LINE_PT) if row > 1 else 24
    ws["A1"].font = Font(size=14, bold=True)
    setup_openpyxl(ws, Page(system.title, [width], len(lines) - 1))
    ws.protection.sheet = True
    ws.protection.password = _PROTECT


def _write_meta(ws, meta: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    """One key | value row per key; system_data over its row's cells (the skeleton's: a placeholder each)."""
    for row, key in enumerate(L.META_KEYS, start=1):
        ws.cell(row, 1, key)
        value = meta.get(key, "")
        if key == L.SYSTEM_DATA and not isinstance(value, list):
            value = carried.cells(value or None)
        for col, part in enumerate(value if isinstance(value, list) else [value], start=2):
            ws.cell(row, col, part).number_format = "@"  # an optional key unset: empty
    ws.sheet_state = "veryHidden"
    ws.protection.sheet = True
    ws.protection.password = _PROTECT


def build_ledgers(
    system: IndicatorSystem,
    campaign: int,
    out: Path,
    key: bytes,
    units: list[str] | None = None,
    years: list[int] | None = None,
    period: str | None = None,
) -> list[Path]:
    """One ledger per reporting unit (or the named ones) into ``out``."""
    names = units or [u.name for u in system.reporting_units]
    for name in names:  # all checked before the first file is written
        unit = system.unit(name)
        if unit is None or unit.group:
            known = "、".join(u.name for u in system.reporting_units)
            raise XlbridgeError(f"单位「{name}」不在指标体系「{system.title}」的报送单位中。报送单位：{known}")
    paths = []
    for name in names:
        unit = system.unit(name)
        paths.append(write_ledger(system, unit.name, campaign, out / ledger_filename(unit.name, campaign), key, years,
                                  period=period))
    return paths

"""Write an inspection workbook (openpyxl), native as a ledger is so that it works with no
add-in: dropdowns from defined names, input prompts, text format on free-text inputs, locked
pre-filled cells under sheet protection, the signed metadata in a very hidden sheet."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation

from xlbridge.ledger.layout import HEADER_FILL, INPUT_FILL, LOCKED_FILL, PROTECTION_PASSWORD, Column
from xlbridge.ledger.signature import sign
from xlbridge.ledger.writer import write_choice_lists
from xlbridge.supervision import layout as S
from xlbridge.supervision.content import IssuedInspection
from xlbridge.system.model import IndicatorSystem
from xlbridge.xlsx.owned import fit_name, save_atomically
from xlbridge.xlsx.printing import Page, row_height, setup_openpyxl

_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="top")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_EXTRA_ROWS = 200  # validations reach past the rows, as a ledger's do

GUIDE = [
    "填写说明（督导检查组）",
    "1. 灰色单元格为预填内容（指标、分值、被检查单位截至本轮所报送的完成情况），已锁定并签名，请勿修改。",
    "2. 检查结论：从下拉列表选择 符合 / 基本符合 / 不符合 / 未检查。",
    "3. 不符合的，必须写明发现问题、整改要求和整改期限（如 2021-07-31，不得早于本轮检查）；系统据此生成整改事项。",
    "4. 扣分：不超过该指标的分值；不扣分可不填。加分项不扣分。",
    ("5. 加分：只填在加分项（附加项）的行，并写明加分依据；“已加分”为本年度以前已加的分，照计，请勿重复填写；"
     "本次加分与已加分合计不超过该项分值。"),
    "6. “整改复核”表列出本单位以前提出、尚未销号的整改事项：复核结论选 销号 或 未通过；未通过的写明原因。",
    "7. 填好后保存为 .xlsx，放入收件箱（inbox/）；系统校验后在 outbox/督导检查/ 中生成回执。",
]


def inspection_filename(unit: str, round_: str) -> str:
    return fit_name(f"督导检查_{unit}_{round_}", ".xlsx")


def inspection_meta(system: IndicatorSystem, issued: IssuedInspection, key: bytes,
                    issued_at: datetime | None = None) -> dict[str, str]:
    meta = {
        "kind": S.KIND, "unit": issued.unit, "system_id": system.id, "system_version": system.version,
        "campaign": str(issued.campaign), "round": issued.round, "template_version": S.TEMPLATE_VERSION,
        "issued_at": (issued_at or datetime.now()).isoformat(timespec="seconds"),
        "rows_digest": issued.rows_digest, "items_digest": issued.items_digest,
    }
    meta["signature"] = sign(meta, key, S.META_KEYS)
    return meta


def write_inspection(system: IndicatorSystem, issued: IssuedInspection, path: Path, key: bytes,
                     issued_at: datetime | None = None) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = S.INSPECTION_SHEET
    write_choice_lists(wb, S.LISTS_SHEET, (*S.INSPECTION_COLUMNS, *S.REVIEW_COLUMNS))
    _header_block(ws, system, issued)
    title = f"{issued.unit} {issued.round} 督导检查表"
    _table(ws, title, S.INSPECTION_COLUMNS, S.HEADER_ROW, issued.rows)
    review = wb.create_sheet(S.REVIEW_SHEET)
    review.cell(1, 1, f"{issued.unit} 尚未销号的整改事项（{len(issued.items)} 项）").font = Font(size=14, bold=True)
    _table(review, title, S.REVIEW_COLUMNS, S.REVIEW_HEADER_ROW, issued.items)
    guide = wb.create_sheet(S.GUIDE_SHEET)
    width = 95  # one portrait page wide
    guide.column_dimensions["A"].width = width
    lines = [*GUIDE, f"8. 分值：{issued.marks.note}。"]
    for row, line in enumerate(lines, start=1):
        guide.cell(row, 1, line).alignment = _WRAP
        guide.row_dimensions[row].height = row_height([(line, width)], line_pt=15)
    setup_openpyxl(guide, Page(title, [width], len(lines) - 1))
    meta = wb.create_sheet(S.META_SHEET)
    for row, (name, value) in enumerate(inspection_meta(system, issued, key, issued_at).items(), start=1):
        meta.cell(row, 1, name)
        meta.cell(row, 2, value).number_format = "@"
    meta.sheet_state = "veryHidden"
    for sheet in (ws, review, guide, meta):
        sheet.protection.sheet = True
        sheet.protection.password = PROTECTION_PASSWORD
    wb.security = WorkbookProtection(workbookPassword=PROTECTION_PASSWORD, lockStructure=True)
    wb.active = 0
    return save_atomically(wb, path)


def _header_block(ws, system: IndicatorSystem, issued: IssuedInspection) -> None:  # type: ignore[no-untyped-def]
    last = get_column_letter(len(S.INSPECTION_COLUMNS))
    ws.merge_cells(f"A{S.TITLE_ROW}:{last}{S.TITLE_ROW}")
    title = ws.cell(S.TITLE_ROW, 1, f"{issued.unit} {issued.round} 督导检查表")  # also the page header
    title.font = Font(size=16, bold=True)
    title.alignment = _CENTER
    ws.row_dimensions[S.TITLE_ROW].height = 30
    values = {"unit": issued.unit, "round": issued.round, "system": system.title}
    for f in S.HEADER_FIELDS:
        ws.cell(f.row, f.label_col, f.label).font = Font(bold=True)
        cell = ws.cell(f.row, f.value_col, values.get(f.key))
        cell.border = _BORDER
        if not f.locked:
            cell.protection = Protection(locked=False)
            cell.number_format = "@"
            cell.fill = PatternFill("solid", fgColor=INPUT_FILL)
            dv = DataValidation(type="custom", formula1="TRUE", allow_blank=True)  # prompt only
            dv.promptTitle, dv.prompt, dv.showInputMessage = f.label, f.prompt, True
            dv.add(cell.coordinate)
            ws.add_data_validation(dv)
    ws.freeze_panes = ws.cell(S.FIRST_ROW, 3)


def _table(ws, title: str, columns: tuple[Column, ...], header_row: int, rows: list[dict[str, Any]]) -> None:  # type: ignore[no-untyped-def]
    """The header row and one row per entry; printed one page wide with the header on every page."""
    for column in columns:
        cell = ws.cell(header_row, column.index, column.header)
        cell.font, cell.alignment, cell.border = Font(bold=True), _CENTER, _BORDER
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        ws.column_dimensions[get_column_letter(column.index)].width = column.width
    first = header_row + 1
    for offset, values in enumerate(rows):
        for column in columns:
            cell = ws.cell(first + offset, column.index)
            cell.border, cell.alignment = _BORDER, _WRAP
            if column.locked:
                cell.value = values.get(column.key) or None
                cell.number_format = "@"  # text, as signed: 分值 "3.33" must come back as written
                cell.fill = PatternFill("solid", fgColor=LOCKED_FILL)
            elif column.key in S.BONUS_INPUTS and not values.get("bonus_item"):
                cell.fill = PatternFill("solid", fgColor=LOCKED_FILL)  # locked, empty: only a 加分项 adds points
            else:
                cell.protection = Protection(locked=False)
                if column.key not in S.NUMBER_INPUTS:
                    cell.number_format = "@"
        ws.row_dimensions[first + offset].height = row_height(((values.get(c.key), c.width) for c in columns), line_pt=15,
                                                              min_lines=3)
    setup_openpyxl(ws, Page(title, [c.width for c in columns], first + len(rows) - 2,
                            header_rows=(header_row - 1, header_row - 1)))
    last = first + len(rows) + _EXTRA_ROWS
    for column in columns:
        if column.locked or not column.prompt:
            continue
        if column.list_name:
            dv = DataValidation(type="list", formula1=column.list_name, allow_blank=True)
            dv.error, dv.showErrorMessage = f"请从下拉列表中选择：{' / '.join(column.choices)}", True
        elif column.key in S.NUMBER_INPUTS:
            dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
            dv.error, dv.showErrorMessage = f"{column.header}应为不小于 0 的数字", True
        else:
            dv = DataValidation(type="custom", formula1="TRUE", allow_blank=True)
        dv.errorTitle = "输入不符合要求"
        dv.promptTitle, dv.prompt, dv.showInputMessage = column.header, column.prompt, True
        letter = get_column_letter(column.index)
        dv.add(f"{letter}{first}:{letter}{last}")
        ws.add_data_validation(dv)

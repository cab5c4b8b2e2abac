"""The ledger's 整改 sheet: the unit's open rectification items (整改事项), as the supervision group
left them, for the unit to answer in its own ledger. Declared, written and digested here; the
engine checks the answers (xlbridge/check/rectification.py). The ledger layer knows the items
only as plain rows: who keeps them (the supervision group's tables) hands them in.

    row 1   title
    row 2   column headers
    row 3…  one row per item: 事项编号, 指标编号, ★, 问题, 整改要求, 整改期限, 状态 locked;
            整改措施, 完成情况 (已整改 / 整改中), 佐证材料 to fill in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from xlbridge.ledger import layout as L
from xlbridge.ledger.content import locked_digest
from xlbridge.xlsx.printing import Page, row_height, setup_openpyxl

SHEET = "整改"
DONE, ONGOING = "已整改", "整改中"
COMPLETIONS = (DONE, ONGOING)
KEY_MARK = "★"
HEADER_ROW, FIRST_ROW = 2, 3


COLUMNS = L.numbered((
    L.Column("item", "事项编号", 9, locked=True),
    L.Column("code", "指标编号", 9, locked=True),
    L.Column("key_item", "重点", 6, locked=True),
    L.Column("problem", "问题", 36, locked=True),
    L.Column("requirement", "整改要求", 36, locked=True),
    L.Column("due", "整改期限", 12, locked=True),
    L.Column("status", "状态", 9, locked=True),
    L.Column("measures", "整改措施", 40, prompt="写明已采取或正在采取的整改措施"),
    L.Column("completion", "完成情况", 10, L.Kind.choice, choices=COMPLETIONS, list_name="完成情况选项",
             prompt="请选择：已整改 / 整改中"),
    L.Column("evidence", "佐证材料", 32, prompt="列出佐证材料（文件名或网址），一行一项"),
))
COLUMN = {c.key: c for c in COLUMNS}
INDEX = {c.key: c.index for c in COLUMNS}


def cells(item: Mapping[str, Any]) -> dict[str, str]:
    """An item's locked cells as the sheet shows them (★ for a key item)."""
    return {"item": str(item["item"]), "code": str(item.get("code") or ""),
            "key_item": KEY_MARK if item.get("key_item") else "", "problem": str(item["problem"]),
            "requirement": str(item.get("requirement") or ""), "due": str(item["due"]), "status": str(item["status"])}


def digest(rows: Sequence[Mapping[str, Any]]) -> str:
    return locked_digest(rows, COLUMNS)


def write_sheet(wb: Any, items: Sequence[Mapping[str, Any]], title: str) -> None:
    """The 整改 sheet, after the 台账 sheet; its dropdown from a list on the lists sheet. Prints
    like the 台账 sheet (``title`` in the page header, the column headers on every page)."""
    # openpyxl only here: the engine reads this module's layout, and the daemon need not load it
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
    from openpyxl.utils import get_column_letter

    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    ws = wb.create_sheet(SHEET, 1)
    ws.cell(1, 1, f"整改事项（{len(items)} 项，★ 为重点指标；请填写整改措施、完成情况和佐证材料，随台账一并报送）").font = \
        Font(size=13, bold=True)
    for column in COLUMNS:
        cell = ws.cell(HEADER_ROW, INDEX[column.key], column.header)
        cell.font, cell.border = Font(bold=True), border
        cell.fill = PatternFill("solid", fgColor=L.HEADER_FILL)
        ws.column_dimensions[get_column_letter(INDEX[column.key])].width = column.width
    for offset, item in enumerate(items):
        row, values = FIRST_ROW + offset, cells(item)
        for column in COLUMNS:
            cell = ws.cell(row, INDEX[column.key], values.get(column.key) or None)
            cell.border, cell.alignment, cell.number_format = border, Alignment(wrap_text=True, vertical="top"), "@"
            if column.locked:
                cell.fill = PatternFill("solid", fgColor=L.LOCKED_FILL)
                if values["key_item"]:
                    cell.font = Font(bold=True, color="9C0006")
            else:
                cell.protection = Protection(locked=False)
        # room for the answer to be typed in, more when the problem or requirement is long
        ws.row_dimensions[row].height = row_height(((values.get(c.key), c.width) for c in COLUMNS), min_lines=3)
    setup_openpyxl(ws, Page(title, [c.width for c in COLUMNS], HEADER_ROW + max(len(items), 1) - 1,
                            header_rows=(HEADER_ROW - 1, HEADER_ROW - 1)))
    _validations(wb, ws, len(items))
    ws.protection.sheet, ws.protection.password = True, L.PROTECTION_PASSWORD


def _validations(wb: Any, ws: Any, n: int) -> None:
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.datavalidation import DataValidation

    lists = wb[L.LISTS_SHEET]
    col = lists.max_column + 1
    for row, choice in enumerate(COMPLETIONS, start=1):
        lists.cell(row, col, choice)
    letter = get_column_letter(col)
    ref = f"{quote_sheetname(L.LISTS_SHEET)}!${letter}$1:${letter}${len(COMPLETIONS)}"
    name = COLUMN["completion"].list_name
    wb.defined_names[name] = DefinedName(name, attr_text=ref)
    last = FIRST_ROW + max(n, 1) - 1
    for column in COLUMNS:
        if column.locked:
            continue
        if column.key == "completion":
            dv = DataValidation(type="list", formula1=name, allow_blank=True)
            dv.error, dv.showErrorMessage = "请从下拉列表中选择：已整改 / 整改中", True
        else:
            dv = DataValidation(type="custom", formula1="TRUE", allow_blank=True)  # prompt only
        dv.promptTitle, dv.prompt, dv.showInputMessage = column.header, column.prompt, True
        letter = get_column_letter(INDEX[column.key])
        dv.add(f"{letter}{FIRST_ROW}:{letter}{last}")
        ws.add_data_validation(dv)


@dataclass(frozen=True)
class Answer:
    """A unit's answer to one item, as read from its ledger."""

    row: int
    item: int
    measures: str
    completion: str
    evidence: str

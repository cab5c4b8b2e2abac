"""The page setup of a written workbook, read back by openpyxl: what every visible sheet of every
workbook the system writes must carry to print (xlbridge/xlsx/printing.py). What the pages look
like is tests/test_print.py (LibreOffice). Not a conftest: test modules import what they use.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl

from xlbridge.xlsx.printing import A4, FOOTER

# Sheets of running text in one column: no header row to repeat.
GUIDES = frozenset({"填报说明", "填写说明"})
FINDINGS_HEADER = "级别"  # a receipt form's findings table starts with it


def page_setup_problems(path: Path) -> list[str]:
    """What is missing from the page setup of each visible sheet of ``path`` (empty: all there):
    A4; the page header (title, sheet name) and footer 第 n 页，共 N 页; a print area; one page wide
    or page-sized column blocks at a set scale; the header row repeated on every page (a receipt
    form: its findings' header row, when it lists findings)."""
    wb = openpyxl.load_workbook(path)
    problems = []
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue

        def problem(what: str, sheet: str = ws.title) -> None:
            problems.append(f"{path.name}「{sheet}」：{what}")

        if str(ws.page_setup.paperSize) != str(A4):
            problem(f"纸张 {ws.page_setup.paperSize}，不是 A4")
        if ws.oddFooter.center.text != FOOTER:
            problem(f"页脚 {ws.oddFooter.center.text!r}")
        if not ws.oddHeader.center.text or ws.oddHeader.right.text != "&A":
            problem(f"页眉 {ws.oddHeader.center.text!r} / {ws.oddHeader.right.text!r}")
        if not ws.print_area:
            problem("没有打印区域")
        fit = ws.sheet_properties.pageSetUpPr is not None and ws.sheet_properties.pageSetUpPr.fitToPage
        if fit and int(ws.page_setup.fitToWidth or 1) != 1:
            problem(f"缩放为 {ws.page_setup.fitToWidth} 页宽")
        if not fit and not (ws.col_breaks.brk and ws.page_setup.scale):
            problem("既不是一页宽，也没有按页分块")
        problems += [f"{path.name}「{ws.title}」：{p}" for p in _title_problems(ws)]
    return problems


def _title_problems(ws: openpyxl.worksheet.worksheet.Worksheet) -> list[str]:
    titles = ws.print_title_rows
    if ws.title in GUIDES:
        return []
    column_a = [c.value for c in ws["A"]]
    if ws.title == "回执" and FINDINGS_HEADER not in column_a:
        return []  # a one-page form
    if not titles:
        return ["没有每页重复的标题行"]
    first = int(titles.split(":")[0].replace("$", ""))
    header = [c.value for c in ws[first]]
    if not all(header[:2]):
        return [f"重复的第 {first} 行不是标题行：{header[:3]}"]
    if ws.title == "回执" and header[0] != FINDINGS_HEADER:
        return [f"重复的第 {first} 行不是问题清单的标题行：{header[:3]}"]
    return []

"""The page setup every written workbook gets (xlbridge.xlsx.printing), read back from the files
by openpyxl, and the estimates it rests on. What the pages look like is tests/test_print.py."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from openpyxl import Workbook

from xlbridge.xlsx.owned import owned_workbook
from xlbridge.xlsx.printing import (
    FOOTER,
    MAX_ROW_PT,
    Page,
    blocks,
    per_page,
    row_height,
    setup_openpyxl,
    setup_xlsxwriter,
    text_lines,
)


def test_cjk_counts_double_and_lines_add_up() -> None:
    assert text_lines("a" * 19, 21) == 1 and text_lines("字" * 9, 21) == 1
    assert text_lines("字" * 11, 21) == 2  # 22 units in a column 21 wide
    assert text_lines("字" * 40, 21) == 5  # 80 units, 5 % spare: 84 / 20.5
    assert text_lines("一\n二\n三", 40) == 3
    assert text_lines("", 10) == 1
    assert row_height([("字" * 10_000, 10)]) == MAX_ROW_PT  # Excel's limit
    assert row_height([(12345, 3), (None, 3)]) == row_height([])  # only text wraps


@pytest.mark.parametrize(("n", "size", "starts"), [(23, 10, [8, 16]), (10, 10, []), (11, 10, [6]), (3, 1, [1, 2])])
def test_blocks_are_even_so_no_page_holds_a_lone_column(n: int, size: int, starts: list[int]) -> None:
    assert blocks(n, size) == starts
    sizes = [b - a for a, b in zip([0, *starts], [*starts, n])]
    assert max(sizes) <= size and (len(sizes) == 1 or min(sizes) >= max(sizes) - 1)


def test_a_landscape_page_at_85_percent_takes_eight_units_beside_the_indicator_columns() -> None:
    assert per_page((7, 36), 9, 85) == 8 and blocks(23, 8) == [8, 16]  # 23 units → 8 + 8 + 7
    assert per_page((7, 36), 9, 100) < 8


def _read(path: Path, sheet: str) -> openpyxl.worksheet.worksheet.Worksheet:
    return openpyxl.load_workbook(path)[sheet]


def test_xlsxwriter_and_openpyxl_write_the_same_page_setup(tmp_path: Path) -> None:
    wide = Page("某单位 & 汇总", [20] * 10, 40, header_rows=(2, 2))
    blocked = Page("某单位", [7, 30, *([9] * 20)], 60, header_rows=(1, 1), left_cols=(0, 1), col_breaks=[10, 18],
                   row_breaks=[30], landscape=True, scale=85)
    narrow = Page("回执", [14, 80], 12)
    with owned_workbook(tmp_path / "x.xlsx", small=True) as (wb, _):
        for name, page in (("宽", wide), ("分块", blocked), ("窄", narrow)):
            ws = wb.add_worksheet(name)
            ws.write_string(0, 0, name)
            setup_xlsxwriter(ws, page)
    book = Workbook()
    for name, page in (("宽", wide), ("分块", blocked), ("窄", narrow)):
        ws = book.create_sheet(name)
        ws["A1"] = name
        setup_openpyxl(ws, page)
    book.save(tmp_path / "o.xlsx")

    for path in (tmp_path / "x.xlsx", tmp_path / "o.xlsx"):
        ws = _read(path, "宽")
        assert ws.page_setup.paperSize in (9, "9") and ws.page_setup.orientation == "landscape"  # 10 × 20 is wider than portrait
        assert ws.sheet_properties.pageSetUpPr.fitToPage and int(ws.page_setup.fitToWidth or 1) == 1
        assert int(ws.page_setup.fitToHeight) == 0  # as many pages down as it takes
        assert ws.print_title_rows.replace("$", "") == "3:3"
        assert str(ws.print_area).replace("$", "").endswith("A1:J41")
        assert "某单位 && 汇总" in ws.oddHeader.center.text and ws.oddHeader.right.text == "&A"
        assert ws.oddFooter.center.text == FOOTER
        assert ws.page_margins.left == pytest.approx(0.4) and ws.page_margins.top == pytest.approx(0.7)

        ws = _read(path, "分块")
        assert not ws.sheet_properties.pageSetUpPr.fitToPage and int(ws.page_setup.scale) == 85
        assert [b.id for b in ws.col_breaks.brk] == [10, 18] and [b.id for b in ws.row_breaks.brk] == [30]
        assert ws.print_title_cols.replace("$", "") == "A:B" and ws.print_title_rows.replace("$", "") == "2:2"

        ws = _read(path, "窄")
        assert ws.page_setup.orientation == "portrait"

"""How every workbook the system writes prints: A4, landscape when a sheet is wide, one page
wide (or page-sized column blocks), the header rows (and left columns) repeated on every page,
the workbook's title in the page header and 「第 n 页，共 N 页」 in the footer, a print area.

One description of a page (:class:`Page`) applied by xlsxwriter (receipts, 汇总) or openpyxl
(ledgers, inspection workbooks). Neither Excel nor LibreOffice sizes a row to its wrapped text when the file was
written by a library (they show the default 15 pt and cut the rest), so the writers give every
row of wrapped text a height from :func:`row_height`: an estimate from the text's length and its
column's width, CJK characters counting double.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from xlbridge.findings import column_letter

FOOTER = "第 &P 页，共 &N 页"
A4 = 9  # OOXML paperSize
# Margins in inches: room for the page header and footer, narrow enough sides for wide tables.
MARGINS = {"left": 0.4, "right": 0.4, "top": 0.7, "bottom": 0.7}
HEADER_MARGIN = 0.3
# A4 is 595 × 842 pt; what is left inside the side margins, in points.
PORTRAIT_PT = 595 - 72 * (MARGINS["left"] + MARGINS["right"])
LANDSCAPE_PT = 842 - 72 * (MARGINS["left"] + MARGINS["right"])
LINE_PT = 13.5  # one line of 10 pt text (the owned workbooks' font)
MAX_ROW_PT = 409  # Excel's limit
_MAX_HEADER = 250  # Excel allows 255 characters in a page header


@dataclass(frozen=True)
class Page:
    """How one worksheet prints. Rows and columns are 0-based, ranges inclusive."""

    title: str  # the workbook's title, in the page header
    widths: Sequence[float]  # the printed columns' widths (Excel's character units), from column 0
    last_row: int
    header_rows: tuple[int, int] | None = None  # repeated at the top of every page
    left_cols: tuple[int, int] | None = None  # repeated at the left of every page
    col_breaks: Sequence[int] = ()  # a new page starts at each of these columns
    row_breaks: Sequence[int] = ()  # … and at each of these rows
    landscape: bool | None = None  # None: landscape when the columns are wider than a portrait page
    scale: int = 100  # percent, for a sheet printed in blocks (fit_width scales by itself)

    @property
    def last_col(self) -> int:
        return len(self.widths) - 1

    @property
    def is_landscape(self) -> bool:
        return self.landscape if self.landscape is not None else columns_pt(self.widths) > PORTRAIT_PT

    @property
    def fit_width(self) -> bool:
        """One page wide, unless the columns print in blocks."""
        return not self.col_breaks

    @property
    def header_title(self) -> str:
        return self.title.replace("&", "&&")[:_MAX_HEADER]


def column_pt(width: float) -> float:
    """A column's printed width: Excel's pixels (7 per character unit plus 5 of padding, for the
    default font), at 96 dpi."""
    return (int(width * 7 + 0.5) + 5) * 0.75


def columns_pt(widths: Iterable[float]) -> float:
    return sum(column_pt(w) for w in widths)


def column_px(widths: Iterable[float]) -> int:
    return round(columns_pt(widths) / 0.75)


def text_width(text: str) -> float:
    """Display width in character units: ASCII 1, CJK (3 bytes in UTF-8) 2, computed in C:
    (characters + UTF-8 bytes) / 2."""
    return (len(text) + len(text.encode("utf-8", "replace"))) / 2


def _per_unit(width: float) -> float:
    """Lines per (characters + UTF-8 bytes) in a column ``width`` wide: half a unit each, 5 %
    spare for breaks at word ends."""
    return 0.5 * 1.05 / max(width - 0.5, 1.0)


def _lines(text: str, k: float) -> int:
    if "\n" not in text:
        return max(1, math.ceil((len(text) + len(text.encode("utf-8", "replace"))) * k))
    return sum(max(1, math.ceil((len(part) + len(part.encode("utf-8", "replace"))) * k)) for part in text.split("\n"))


def text_lines(text: str, width: float) -> int:
    """Lines ``text`` wraps to in a column ``width`` wide."""
    return _lines(text, _per_unit(width))


def row_height(cells: Iterable[tuple[Any, float]], line_pt: float = LINE_PT, min_lines: int = 1) -> float:
    """Height in points that shows every (value, column width) of a row whole, up to Excel's 409."""
    lines = min_lines
    for value, width in cells:
        if value.__class__ is str and value:
            lines = max(lines, text_lines(value, width))
    return min(MAX_ROW_PT, lines * line_pt + 3)


def row_heights(columns: Sequence[tuple[int, float]], line_pt: float = LINE_PT,
                min_lines: int = 1) -> Callable[[Sequence[Any]], float]:
    """:func:`row_height` for many rows of values of which only the (index, width) ``columns``
    wrap: 60,000 rows of 明细 (or 200 of a ledger) each get a height, in a tenth of the time."""
    # (index, k, the longest text that fits on one line even if every character is CJK)
    spec = [(n, _per_unit(width), int(1 / (4 * _per_unit(width)))) for n, width in columns]

    def height(values: Sequence[Any]) -> float:
        lines = min_lines
        for n, k, one_line in spec:
            value = values[n]
            if value.__class__ is str and (len(value) > one_line or "\n" in value):
                found = _lines(value, k)
                lines = max(lines, found)
        return min(MAX_ROW_PT, lines * line_pt + 3)

    return height


def blocks(n: int, per_page: int) -> list[int]:
    """Where page-sized blocks of ``n`` columns start (offsets after the first), evened out so
    that no page holds a lone column: 23 in blocks of 10 → 8, 8, 7."""
    if n <= per_page:
        return []
    pages = math.ceil(n / per_page)
    size = math.ceil(n / pages)
    return list(range(size, n, size))


def per_page(left_widths: Sequence[float], width: float, scale: int = 100) -> int:
    """How many columns ``width`` wide fit on a landscape page beside the repeated left columns,
    at ``scale`` percent, measured the widest way a column renders (:func:`wide_pt`)."""
    room = LANDSCAPE_PT * 100 / scale - sum(wide_pt(w) for w in left_widths)
    return max(1, int(room // wide_pt(width)))


def wide_pt(width: float) -> float:
    """A column's printed width where it is widest: LibreOffice without the workbook's font
    measures character units in DejaVu Sans, a third wider than Excel's Calibri (68 pt against
    51 pt for a column 9 wide, measured on its PDF). Manual page breaks must hold there too."""
    return width * 7.1 + 4


def spanning(widths: Sequence[float], px: float, default: float = 8.43) -> list[float]:
    """``widths`` with default-width columns added until they reach ``px``: the print area of a
    sheet whose chart is wider than its table."""
    out = list(widths)
    while column_px(out) < px:
        out.append(default)
    return out


def rows_for_px(px: float, row_pt: float = 15) -> int:
    """Default-height rows an object ``px`` high covers (a chart below a table)."""
    return math.ceil(px * 0.75 / row_pt)


CHART_PAGE_PX = (960, 520)  # a chart filling a landscape A4 page below a repeated header row


def chart_page(ws: Any, chart: Any, row: int) -> tuple[int, int]:
    """``chart`` (xlsxwriter) inserted below ``row`` at the size of a landscape page, to print on
    a page of its own: the row that page starts at (a row break) and the next free row."""
    chart.set_size({"width": CHART_PAGE_PX[0], "height": CHART_PAGE_PX[1]})
    # a little below the page's first row: LibreOffice draws (clipped) on the page before an
    # object that touches the break
    ws.insert_chart(row + 1, 0, chart, {"y_offset": 6})
    return row + 1, row + 1 + rows_for_px(CHART_PAGE_PX[1] + 6)


def setup_xlsxwriter(ws: Any, page: Page) -> None:
    ws.set_paper(A4)
    if page.is_landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.set_margins(**MARGINS)
    ws.set_header(f"&C&\"-,Bold\"{page.header_title}&R&A", margin=HEADER_MARGIN)
    ws.set_footer(f"&C{FOOTER}", margin=HEADER_MARGIN)
    ws.print_area(0, 0, max(page.last_row, 0), page.last_col)
    if page.header_rows:
        ws.repeat_rows(*page.header_rows)
    if page.left_cols:
        ws.repeat_columns(*page.left_cols)
    if page.fit_width:
        ws.fit_to_pages(1, 0)
    else:
        ws.set_print_scale(page.scale)
        ws.set_v_pagebreaks(list(page.col_breaks))
    if page.row_breaks:
        ws.set_h_pagebreaks(list(page.row_breaks))


def setup_openpyxl(ws: Any, page: Page) -> None:
    # openpyxl only here: the daemon writes its receipts and 汇总 with xlsxwriter and need not load it
    from openpyxl.worksheet.page import PageMargins
    from openpyxl.worksheet.pagebreak import Break, ColBreak, RowBreak

    ws.page_setup.paperSize = A4
    ws.page_setup.orientation = "landscape" if page.is_landscape else "portrait"
    ws.page_margins = PageMargins(**MARGINS, header=HEADER_MARGIN, footer=HEADER_MARGIN)
    ws.oddHeader.center.text = page.header_title
    ws.oddHeader.center.font = "-,Bold"
    ws.oddHeader.right.text = "&A"
    ws.oddFooter.center.text = FOOTER
    ws.print_area = f"A1:{column_letter(page.last_col + 1)}{page.last_row + 1}"
    if page.header_rows:
        ws.print_title_rows = f"{page.header_rows[0] + 1}:{page.header_rows[1] + 1}"
    if page.left_cols:
        ws.print_title_cols = f"{column_letter(page.left_cols[0] + 1)}:{column_letter(page.left_cols[1] + 1)}"
    if page.fit_width:
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    else:
        ws.page_setup.scale = page.scale
        ws.col_breaks = ColBreak(brk=[Break(id=c) for c in page.col_breaks])
    if page.row_breaks:
        ws.row_breaks = RowBreak(brk=[Break(id=r) for r in page.row_breaks])

"""Small workbooks written many times a month (receipts) from a package xlsxwriter writes once
per shape.

Why this module exists: a receipt took ~13 ms through xlsxwriter (some 650 cells, each a Python
dispatch; a shared-strings table; every part deflated again at level 6), 4.3 s for a
carried-forward month's 300 receipts, all of it in the process that merges. What differs between
two receipts is small: their cells, row heights, merged ranges, page header (the unit) and the
print area's last row. Everything else — formats, column widths, frozen panes, paper, margins,
fit to width, print titles, footer — is the same for every receipt with the same sheets.

So the receipt code calls the xlsxwriter API it always did, on a recorder (:class:`ReplayedWorkbook`,
:class:`ReplayedSheet`). The calls that shape a sheet, and the formats, make the workbook's
*shape*; xlsxwriter writes a workbook of that shape once per process (with one blank cell per
format, so that its styles part holds each, and placeholders for the page header and the print
area's end). Each receipt is then that package with its own sheet data spliced in: strings as
inline strings (``t="inlineStr"``, escaped as :mod:`xlbridge.xlsx.stream` escapes them), each cell
with the style id xlsxwriter gave its format, each row with the height set for it, the merged
ranges, the header, the print area. :mod:`xlbridge.xlsx.zip_writer` writes it, the parts no
receipt changes deflated once. A call the recorder does not know fails loudly.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
import zipfile
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from xlbridge.xlsx.owned import OPTIONS, Styles
from xlbridge.xlsx.pieces import Piece
from xlbridge.xlsx.stream import escape_free, worksheet_parts, xml_text
from xlbridge.xlsx.zip_writer import core_stamped, deflated, write_zip

MAGIC_ROW = 900_000  # the skeleton's print area of sheet i ends at row MAGIC_ROW + i (0-based), replaced per workbook
HEADER_TOKEN = "{{xlbridge:header}}"
MAX_SHAPES = 16  # skeletons kept per process (receipts have four)
_STRING_LIMIT = 32767  # UTF-16 units, as xlsxwriter cuts a string
# The calls that shape a sheet alike for every workbook of its kind, recorded and replayed as they are.
_SHAPING = frozenset({
    "set_column", "freeze_panes", "set_paper", "set_landscape", "set_portrait", "set_margins", "set_footer",
    "repeat_rows", "repeat_columns", "fit_to_pages", "set_print_scale", "set_v_pagebreaks", "set_h_pagebreaks",
})
_DIMENSION = re.compile(r'<dimension ref="[^"]*"/>')
_SHEET_DATA = re.compile(r"<sheetData>.*</sheetData>|<sheetData/>", re.DOTALL)
_STYLE = re.compile(r'<c r="[A-Z]+1"(?: s="(\d+)")?')


@dataclass(frozen=True)
class _Format:
    """What Styles gets from ``add_format``: its number, replayed on the real workbook in order."""

    number: int


@dataclass
class ReplayedSheet:
    name: str
    shape: list[tuple[str, tuple[Any, ...], tuple[tuple[str, Any], ...]]] = field(default_factory=list)
    cells: dict[tuple[int, int], tuple[str | None, _Format | None]] = field(default_factory=dict)
    heights: dict[int, float] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    header: str = ""
    print_end: int | None = None  # the print area's last row (0-based)

    def __getattr__(self, name: str) -> Any:
        if name not in _SHAPING:
            raise AttributeError(f"ReplayedSheet does not record {name}()")
        return lambda *args, **kwargs: self.shape.append((name, args, tuple(sorted(kwargs.items()))))

    def write_string(self, row: int, col: int, string: str, cell_format: _Format | None = None) -> None:
        if len(string) > _STRING_LIMIT // 2:  # as xlsxwriter: within Excel's limit, in UTF-16 units
            string = string.encode("utf-16-le", "surrogatepass")[:2 * _STRING_LIMIT].decode("utf-16-le", "ignore")
        self.cells[row, col] = (string, cell_format)

    def merge_range(self, first_row: int, first_col: int, last_row: int, last_col: int, data: Any,
                    cell_format: _Format | None = None) -> None:
        """As xlsxwriter: the value in the first cell, the others blank in the same format."""
        for row in range(first_row, last_row + 1):
            for col in range(first_col, last_col + 1):
                self.cells[row, col] = (None, cell_format)
        self.write_string(first_row, first_col, str(data), cell_format)
        self.merges.append((first_row, first_col, last_row, last_col))

    def set_row(self, row: int, height: float) -> None:
        self.heights[row] = height

    def set_header(self, header: str = "", margin: float | None = None) -> None:
        self.header = header
        self.shape.append(("set_header", (HEADER_TOKEN,), (("margin", margin),)))

    def print_area(self, first_row: int, first_col: int, last_row: int, last_col: int) -> None:
        self.print_end = last_row
        self.shape.append(("print_area", (first_row, first_col, None, last_col), ()))  # None: MAGIC_ROW + i


@dataclass
class ReplayedWorkbook:
    formats: list[dict[str, Any]] = field(default_factory=list)
    sheets: list[ReplayedSheet] = field(default_factory=list)

    def add_format(self, properties: dict[str, Any] | None = None) -> _Format:
        self.formats.append(dict(properties or {}))
        return _Format(len(self.formats) - 1)

    def add_worksheet(self, name: str) -> ReplayedSheet:
        sheet = ReplayedSheet(name)
        self.sheets.append(sheet)
        return sheet

    def save(self, path: Path) -> Path:
        skeleton = _skeleton(self)
        parts: list[tuple[str, bytes | Piece]] = []
        for name, data in skeleton.parts:
            if name in skeleton.sheet_parts:
                index = skeleton.sheet_parts[name]
                data = skeleton.sheet_xml(index, self.sheets[index]).encode("utf-8")
            elif name == "xl/workbook.xml":
                data = skeleton.print_areas(data, self.sheets)  # type: ignore[arg-type]
            elif name == "docProps/core.xml":
                data = core_stamped(data)  # type: ignore[arg-type]
            parts.append((name, data))
        return write_zip(path, parts)


@contextlib.contextmanager
def replayed_workbook(path: Path) -> Iterator[tuple[ReplayedWorkbook, Styles]]:
    """Like ``owned_workbook(path, small=True)``: the workbook built in the block is written to
    ``path`` (temp file + rename) when the block ends without an error, else nothing is written."""
    wb = ReplayedWorkbook()
    yield wb, Styles(wb)  # type: ignore[arg-type]
    wb.save(path)


@dataclass
class _Skeleton:
    parts: list[tuple[str, bytes | Piece]]
    sheet_parts: dict[str, int]  # part name → sheet index
    dims: list[tuple[str, str]]  # each sheet's XML up to <sheetData>, cut where its <dimension> goes
    tails: list[str]  # after </sheetData>, the header as HEADER_TOKEN
    styles: list[str]  # ' s="N"' (or "") of each format

    def sheet_xml(self, index: int, sheet: ReplayedSheet) -> str:
        styles = self.styles
        rows: dict[int, list[str]] = {row: [] for row in sheet.heights}
        cells = sorted(sheet.cells.items())
        free = escape_free("".join([value for _, (value, _) in cells if value]))  # one look: any escaping?
        for (row, col), (value, fmt) in cells:
            ref = f"{_column(col)}{row + 1}"
            style = styles[fmt.number] if fmt is not None else ""
            if value is None:
                cell = f'<c r="{ref}"{style}/>'
            else:
                text = value if free and len(value) <= _STRING_LIMIT // 2 else xml_text(value)
                space = ' xml:space="preserve"' if text and (text[0].isspace() or text[-1].isspace()) else ""
                cell = f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>'
            rows.setdefault(row, []).append(cell)
        data = []
        for row in sorted(rows):
            height = sheet.heights.get(row)
            ht = f' ht="{height:g}" customHeight="1"' if height is not None else ""
            data.append(f'<row r="{row + 1}"{ht}>{"".join(rows[row])}</row>')
        dimension = _dimension(rows, [c for _, c in sheet.cells])
        merges = "".join(f'<mergeCell ref="{xl_col_to_name(c1)}{r1 + 1}:{xl_col_to_name(c2)}{r2 + 1}"/>'
                         for r1, c1, r2, c2 in sheet.merges)
        merged = f'<mergeCells count="{len(sheet.merges)}">{merges}</mergeCells>' if sheet.merges else ""
        before, after = self.dims[index]
        tail = self.tails[index].replace(HEADER_TOKEN, xml_text(sheet.header))
        return f'{before}<dimension ref="{dimension}"/>{after}<sheetData>{"".join(data)}</sheetData>{merged}{tail}'

    def print_areas(self, workbook_xml: bytes, sheets: list[ReplayedSheet]) -> bytes:
        for index, sheet in enumerate(sheets):
            if sheet.print_end is not None:
                workbook_xml = workbook_xml.replace(f"${MAGIC_ROW + index + 1}<".encode(), f"${sheet.print_end + 1}<".encode())
        return workbook_xml


_COLUMNS = [xl_col_to_name(c) for c in range(64)]


def _column(col: int) -> str:
    return _COLUMNS[col] if col < 64 else xl_col_to_name(col)


def _dimension(rows: Any, cols: list[int]) -> str:
    """The used range as xlsxwriter gives it: every row written or sized, every column written."""
    if not rows:
        return "A1"
    first = f"{xl_col_to_name(min(cols, default=0))}{min(rows) + 1}"
    last = f"{xl_col_to_name(max(cols, default=0))}{max(rows) + 1}"
    return first if first == last else f"{first}:{last}"


_SKELETONS: OrderedDict[str, _Skeleton] = OrderedDict()


def _skeleton(wb: ReplayedWorkbook) -> _Skeleton:
    """The package of ``wb``'s shape, written by xlsxwriter once (per process and shape)."""
    key = repr((wb.formats, [(s.name, s.shape) for s in wb.sheets]))
    if key in _SKELETONS:
        _SKELETONS.move_to_end(key)
        return _SKELETONS[key]
    with tempfile.TemporaryDirectory() as tmp:
        built = Path(tmp) / "skeleton.xlsx"
        real = xlsxwriter.Workbook(str(built), {**OPTIONS, "in_memory": True})
        formats = [real.add_format(props) for props in wb.formats]
        for index, sheet in enumerate(wb.sheets):
            ws = real.add_worksheet(sheet.name)
            for method, args, kwargs in sheet.shape:
                if method == "print_area":
                    args = (args[0], args[1], MAGIC_ROW + index, args[3])
                getattr(ws, method)(*args, **dict(kwargs))
            if index == 0:  # one blank cell per format: styles.xml holds them all, row 1 says their ids
                for col, fmt in enumerate(formats):
                    ws.write_blank(0, col, None, fmt)
        real.close()
        with zipfile.ZipFile(built) as zf:
            names = worksheet_parts(zf)
            read = [(info.filename, zf.read(info)) for info in zf.infolist()]
    by_name = dict(read)
    sheet_parts = {names[s.name]: i for i, s in enumerate(wb.sheets)}
    dims, tails = [], []
    styles: list[str] = []
    for part in sorted(sheet_parts, key=sheet_parts.__getitem__):
        xml = by_name[part].decode("utf-8")
        data = _SHEET_DATA.search(xml)
        dimension = _DIMENSION.search(xml)
        if data is None or dimension is None or re.search(r"<(autoFilter|sheetProtection|sheetCalcPr)\b", xml):
            raise ValueError(f"unexpected worksheet layout in the skeleton's {part}")
        if not styles:
            styles = [f' s="{s}"' if s else "" for s in _STYLE.findall(data[0])]
        dims.append((xml[:dimension.start()], xml[dimension.end():data.start()]))
        tails.append(xml[data.end():])
    changing = {*sheet_parts, "xl/workbook.xml", "docProps/core.xml"}
    parts = [(name, data if name in changing else deflated(data)) for name, data in read]
    skeleton = _Skeleton(parts, sheet_parts, dims, tails, styles)
    _SKELETONS[key] = skeleton
    while len(_SKELETONS) > MAX_SHAPES:
        _SKELETONS.popitem(last=False)
    return skeleton

"""A ledger workbook that openpyxl wrote once, filled in for each ledger.

Why this module exists: the daemon writes every accepted unit's next-month ledger, pre-filled.
Through openpyxl a 200-row ledger took ~130 ms (a cell object per cell, the style tables, its XML
writer), some 40 s for a month of 300 units — more than all of the month's ingest. What differs
between two ledgers of one indicator system, campaign and set of years is small: the unit's
name, the month, the metadata (signature included), and the rows. So openpyxl still writes the
whole workbook — styles, validations, conditional formats, protection, the lists, guide and
metadata sheets, the header block and one data row — once per process, with placeholders
(``{{xlbridge:NAME}}``) for what differs; :meth:`Skeleton.write` then copies that package with
the placeholders filled and the 台账 rows written as SpreadsheetML, each cell with the style id
(``s=``) openpyxl gave its column in the data row, each row with its height, the validation
ranges and ``<dimension>`` set to the ledger's own row count.

A cell is written as openpyxl writes it: a string as an inline string (``&``, ``<``, ``>``
escaped; leading or trailing whitespace kept with ``xml:space="preserve"``; characters XML 1.0
forbids removed, where openpyxl would raise), an int or float as a number, ``None`` as a styled
empty cell.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from xlbridge.xlsx.pieces import Piece
from xlbridge.xlsx.stream import plain_text, worksheet_parts, xml_text
from xlbridge.xlsx.zip_writer import core_stamped, deflated, write_zip

MAGIC_ROWS = 900_000  # the row count the skeleton's validation ranges are written for, replaced per ledger
_TOKEN = re.compile(r"\{\{xlbridge:(\w+)\}\}")
_TOKEN_CELL = re.compile(r'<c r="([A-Z]{1,3}\d+)"((?: s="\d+")?) t="inlineStr"><is><t>\{\{xlbridge:(\w+)\}\}</t></is></c>')
_CELL_STYLE = re.compile(r'<c r="([A-Z]{1,3})\d+"(?: s="(\d+)")?')
_DIMENSION = re.compile(r'<dimension ref="([A-Z]{1,3}\d+):([A-Z]{1,3})\d+" ?/>')


def token(name: str) -> str:
    """The placeholder a skeleton carries where ``name``'s value goes."""
    return f"{{{{xlbridge:{name}}}}}"


@dataclass
class Skeleton:
    """A package as openpyxl wrote it, split where each ledger differs."""

    parts: list[tuple[str, bytes | Piece]]  # in package order; the parts no ledger changes deflated once
    ledger_part: str
    meta_part: str
    head: str  # the 台账 sheet's XML up to its template data row
    tail: list[str]  # what follows that row, split where the validation ranges end (MAGIC_ROWS)
    columns: list[tuple[str, str]]  # (letter, ' s="N"') of each column of the template row
    first_row: int
    extra_rows: int  # how far the validation ranges reach past the last row

    @classmethod
    def from_package(cls, data: Path, ledger_sheet: str, meta_sheet: str, first_row: int, extra_rows: int) -> Skeleton:
        with zipfile.ZipFile(data) as zf:
            names = worksheet_parts(zf)
            read = [(info.filename, zf.read(info)) for info in zf.infolist()]
        ledger_part, meta_part = names[ledger_sheet], names[meta_sheet]
        xml = dict(read)[ledger_part].decode("utf-8")
        start = xml.index(f'<row r="{first_row}"')
        end = xml.index("</row>", start) + len("</row>")
        template = xml[start:end]
        columns = [(letters, f' s="{s}"' if s else "") for letters, s in _CELL_STYLE.findall(template)]
        tail = xml[end:].split(str(first_row + MAGIC_ROWS + extra_rows))
        if len(tail) < 2 or not _DIMENSION.search(xml[:start]):
            raise ValueError("the skeleton's ledger sheet has no validation ranges or no <dimension>")
        changing = {ledger_part, meta_part, *_PER_LEDGER}
        parts = [(name, part if name in changing else deflated(part)) for name, part in read]
        return cls(parts, ledger_part, meta_part, xml[:start], tail, columns, first_row, extra_rows)

    def write(self, path: Path, values: Mapping[str, str | None], rows: Sequence[tuple[float, Sequence[object]]]) -> Path:
        """The ledger at ``path`` (atomically): placeholders filled from ``values``, then
        ``rows`` as (height in points, cell values from column A on)."""
        last = self.first_row + len(rows) - 1
        head = _DIMENSION.sub(lambda m: f'<dimension ref="{m[1]}:{m[2]}{max(last, self.first_row - 1)}" />',
                              self.head, count=1)
        # The tail holds the page header (the unit's name) as well as the validation ranges.
        sheet = "".join([_filled(head, values), *self._rows_xml(rows),
                         str(last + 1 + self.extra_rows).join(_filled(t, values) for t in self.tail)])
        print_end = (f"${self.first_row + MAGIC_ROWS - 1}<".encode(), f"${max(last, self.first_row - 1)}<".encode())
        filled: dict[str, Callable[[bytes], bytes]] = {
            self.ledger_part: lambda _: sheet.encode("utf-8"),
            self.meta_part: lambda data: _filled(data.decode("utf-8"), values).encode("utf-8"),
            "xl/workbook.xml": lambda data: data.replace(*print_end),  # the print area ends at the last row
            "docProps/core.xml": core_stamped,
        }
        return write_zip(path, [(name, filled[name](data) if name in filled else data)  # type: ignore[arg-type]
                                for name, data in self.parts])

    def _rows_xml(self, rows: Iterable[tuple[float, Sequence[object]]]) -> Iterable[str]:
        columns = self.columns
        for number, (height, values) in enumerate(rows, start=self.first_row):
            # One look at the row's text decides whether any cell needs escaping (xlsx/stream.py).
            if plain_text("".join([v for v in values if v.__class__ is str])):
                cells = "".join([f'<c r="{letter}{number}"{style} t="inlineStr"><is><t>{value}</t></is></c>'
                                 if value.__class__ is str and value and not value[0].isspace() and not value[-1].isspace()
                                 else _cell(f"{letter}{number}", style, value) for (letter, style), value in zip(columns, values)])
            else:
                cells = "".join([_cell(f"{letter}{number}", style, value) for (letter, style), value in zip(columns, values)])
            yield f'<row r="{number}" ht="{height:g}" customHeight="1">{cells}</row>'


_PER_LEDGER = ("xl/workbook.xml", "docProps/core.xml")  # besides the 台账 and metadata sheets


def _filled(xml: str, values: Mapping[str, str | None]) -> str:
    """Placeholders replaced: a cell that is one placeholder becomes the value's cell, one inside
    a longer text gets the value's text."""
    xml = _TOKEN_CELL.sub(lambda m: _cell(m[1], m[2], values[m[3]], empty_text=True), xml)
    return _TOKEN.sub(lambda m: xml_text(values[m[1]] or ""), xml)


def _cell(ref: str, style: str, value: object, empty_text: bool = False) -> str:
    if value is None:
        return f'<c r="{ref}"{style} t="n" />'
    if value.__class__ in (int, float):
        return f'<c r="{ref}"{style} t="n"><v>{value}</v></c>'
    text = xml_text(str(value))
    if not text:  # openpyxl writes "" as an inline string with no text
        return f'<c r="{ref}"{style} t="inlineStr" />' if empty_text or value == "" else f'<c r="{ref}"{style} t="n" />'
    space = ' xml:space="preserve"' if text[0].isspace() or text[-1].isspace() else ""
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>'

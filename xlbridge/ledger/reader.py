"""Fast reading of a ledger workbook from disk into a :class:`LedgerGrid` (values, metadata,
formula positions). python-calamine reads the values; the engine does all interpretation.

calamine does not report formulas, and an openpyxl-written formula has no cached value at
all, so formulas are found in the sheet XML itself (only when the XML contains any ``<f``).
"""

from __future__ import annotations

import re
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from defusedxml import DefusedXmlException, ElementTree
from python_calamine import CalamineError, CalamineWorkbook

from xlbridge.errors import LedgerError
from xlbridge.ledger import layout as L
from xlbridge.ledger import rectification as R
from xlbridge.xlsx.safety import check_workbook_zip

_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}
_FORMULA_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]+)"[^>]*?(?<!/)>(?:<v>[^<]*</v>)?<f[ >/]')


@dataclass
class LedgerGrid:
    """What the engine needs from a workbook, however it was read (file, xlwings, test)."""

    rows: list[list[Any]]  # the 台账 sheet from A1; rows[0] is sheet row 1
    meta: dict[str, str] | None  # the metadata sheet, None when absent
    file: str | None = None
    formulas: set[tuple[int, int]] = field(default_factory=set)  # (row, col), 1-based
    sheet_names: list[str] = field(default_factory=list)
    # merged ranges of the 台账 sheet: (first row, first col, last row, last col), 1-based, inclusive;
    # only the first cell of each holds a value
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    rectification: list[list[Any]] | None = None  # the 整改 sheet from A1, when the ledger has one


# Above this size the formula scan runs beside calamine's parse (both release the GIL while they
# inflate and parse); below it starting a thread costs more than the scan (a 200-row ledger).
_SCAN_BESIDE_BYTES = 256 * 1024


def read_ledger(path: Path) -> LedgerGrid:
    check_workbook_zip(path)
    if path.stat().st_size < _SCAN_BESIDE_BYTES:
        grid = _read_values(path)
        grid.formulas = _formula_cells(path)
        return grid
    with ThreadPoolExecutor(max_workers=1) as pool:
        formulas = pool.submit(_formula_cells, path)
        grid = _read_values(path)
        grid.formulas = formulas.result()
    return grid


def _read_values(path: Path) -> LedgerGrid:
    try:
        wb = CalamineWorkbook.from_path(str(path))
        names = list(wb.sheet_names)
        if L.LEDGER_SHEET not in names:
            raise LedgerError(
                f"{path.name}：找不到工作表「{L.LEDGER_SHEET}」（有：{'、'.join(names)}）。"
                "请使用系统下发的台账模板，不要重命名工作表"
            )
        sheet = wb.get_sheet_by_name(L.LEDGER_SHEET)
        rows = sheet.to_python(skip_empty_area=False)
        merged = [(top + 1, left + 1, bottom + 1, right + 1)
                  for (top, left), (bottom, right) in sheet.merged_cell_ranges or ()]
        meta = meta_values(wb.get_sheet_by_name(L.META_SHEET).to_python()) if L.META_SHEET in names else None
        items = wb.get_sheet_by_name(R.SHEET).to_python() if R.SHEET in names else None
    except CalamineError as exc:
        raise LedgerError(f"{path.name}：工作簿内容无法解析（{exc}）") from None
    return LedgerGrid(rows=rows, meta=meta, file=path.name, sheet_names=names, merged=merged, rectification=items)


def meta_values(rows: list[list[Any]]) -> dict[str, str]:
    """The metadata sheet's key | value rows (readers hand whole numbers back as floats)."""
    meta = {}
    for row in rows:
        if len(row) >= 2 and isinstance(row[0], str) and row[0]:
            value = row[1]
            if value is None:  # an optional key left unset
                value = ""
            elif isinstance(value, float) and value.is_integer():
                value = int(value)
            meta[row[0]] = str(value)
    return meta


def _formula_cells(path: Path) -> set[tuple[int, int]]:
    from openpyxl.utils import column_index_from_string

    # This pass inflates the sheet itself: a CRC or size that does not match the zip directory
    # must end as a LedgerError, not a traceback, whichever reader meets it first.
    try:
        with zipfile.ZipFile(path) as zf:
            data = zf.read(_sheet_part(zf, L.LEDGER_SHEET))
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise LedgerError(f"{path.name}：工作簿已损坏（{exc}）") from None
    # `<f>` / `<f ` open a cell formula; `<formula>` of conditional formats must not count.
    if b"<f>" not in data and b"<f " not in data:
        return set()
    return {(int(row), column_index_from_string(col.decode())) for col, row in _FORMULA_CELL.findall(data)}


def _sheet_part(zf: zipfile.ZipFile, name: str) -> str:
    """The zip member holding sheet ``name`` (workbook.xml → relationship → target)."""
    try:
        workbook = ElementTree.fromstring(zf.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError, DefusedXmlException) as exc:
        # DefusedXmlException: an entity declaration (billion laughs) in workbook.xml, which
        # calamine skips over; it is not a ParseError.
        raise LedgerError(f"工作簿结构损坏或含不安全的 XML（{type(exc).__name__}）") from None
    rid = next(
        (s.get(f"{{{_NS['r']}}}id") for s in workbook.iterfind("m:sheets/m:sheet", _NS) if s.get("name") == name), None
    )
    target = next((r.get("Target") for r in rels.iterfind("rel:Relationship", _NS) if r.get("Id") == rid), None)
    if not target:
        raise LedgerError(f"工作簿结构损坏（找不到工作表「{name}」的数据）")
    return target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)

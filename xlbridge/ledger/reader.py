"""Fast reading of a ledger workbook from disk into a :class:`LedgerGrid` (values, metadata,
formula positions). python-calamine reads the values; the engine does all interpretation.

calamine does not report formulas, and an openpyxl-written formula has no cached value at
all, so formulas are found in the sheet XML itself, by the bounds scan that walks it anyway
before calamine may (:mod:`xlbridge.xlsx.bounds`). The file's bytes are read once, and shared
by the archive, the scan and calamine.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

from python_calamine import CalamineError, CalamineWorkbook

from xlbridge.errors import LedgerError, os_reason, unparsable
from xlbridge.ledger import layout as L
from xlbridge.ledger import rectification as R
from xlbridge.system.model import IndicatorSystem
from xlbridge.xlsx.bounds import BoundsError, Limits, Package, SheetLimits, open_package, read_capped


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
    external_links: int = 0  # links to other workbooks or DDE (xl/externalLinks/), never followed


def read_ledger(path: Path, limits: Limits | None = None, system: IndicatorSystem | None = None) -> LedgerGrid:
    """A ledger file from disk: its bytes read once, then :func:`read_ledger_bytes`."""
    limits = limits or Limits()
    try:
        with open(path, "rb") as fh:
            data = read_capped(fh, limits.file_bytes)  # never more than the limit lets through
    except OSError as exc:
        raise LedgerError(f"{path.name}：无法读取（{os_reason(exc)}）") from None
    return read_ledger_bytes(data, path.name, limits, system)


def read_ledger_bytes(data: bytes, name: str, limits: Limits | None = None,
                      system: IndicatorSystem | None = None) -> LedgerGrid:
    """The bounds first (:mod:`xlbridge.xlsx.bounds`: sizes, ratios, the farthest cell of the two
    sheets read, formulas), then calamine on the same bytes, those sheets stored inflated. On a
    large file the other members' real sizes are checked and calamine opens the workbook (shared
    strings, styles) beside the scan of the sheets, as zlib and calamine release the GIL; no sheet
    is parsed before its scan passed."""
    limits = limits or Limits()
    sheets = ledger_sheet_limits(limits, system)
    package = open_package(data, name, limits, sheets, verify=False)
    if package.macros:
        raise BoundsError(f"{name}：工作簿含宏（VBA 代码），系统不接收含宏的工作簿；请在 Excel 中“另存为”"
                          "Excel 工作簿（*.xlsx）后再报送", "file-macros")
    if L.LEDGER_SHEET not in package.names:
        raise LedgerError(
            f"{name}：找不到工作表「{L.LEDGER_SHEET}」（有：{'、'.join(package.names)}）。"
            "请使用系统下发的台账模板，不要重命名工作表"
        )
    # Calamine gets the workbook with these sheets stored as inflated here: it parses the very
    # bytes the scan checks, and does not inflate them a second time (~15 ms on a 2,000-row sheet).
    xmls = package.inflate(sheets)
    repacked = package.with_stored(xmls)
    if len(data) < _OPEN_BESIDE_BYTES:
        scans = package.scan_inflated(xmls, sheets)
        workbook = _open(package, repacked)
    else:
        with ThreadPoolExecutor(max_workers=1) as pool:
            opened = pool.submit(_open, package, repacked)
            scans = package.scan_inflated(xmls, sheets)
            workbook = opened.result()
    grid = _read_values(workbook, name)
    grid.formulas = scans[L.LEDGER_SHEET].formulas
    grid.external_links = package.external_links
    return grid


# Above this size calamine's open runs beside the scan; below it starting a thread costs more than
# it saves (a 200-row ledger).
_OPEN_BESIDE_BYTES = 256 * 1024


# The metadata sheet holds one key | value row per META_KEYS (system_data over its cells, B onwards):
# anything much bigger is not ours.
_META_LIMITS = SheetLimits(rows=4 * len(L.META_KEYS), columns=1 + L.SYSTEM_DATA_CELLS, cells=1000,
                           what="台账标识表的范围")
# The 整改 sheet: a unit's open rectification items, one row each; a few hundred at the very most.
_ITEMS_LIMITS = SheetLimits(rows=R.FIRST_ROW + 2000, columns=len(R.COLUMNS) + 10, cells=50_000, what="整改表的范围")
_ISSUED_MAX: dict[int, tuple[IndicatorSystem, int]] = {}


def ledger_sheet_limits(limits: Limits, system: IndicatorSystem | None) -> dict[str, SheetLimits]:
    """The sheets calamine parses, each with its limits. The 台账 sheet's rows follow from the
    largest ledger the system can issue (every indicator, every year) and room for many
    continuation rows (four per indicator row, and 500 more); the settings cap them."""
    rows = limits.rows
    if system is not None:
        cached = _ISSUED_MAX.get(id(system))
        if cached is None or cached[0] is not system:
            cached = _ISSUED_MAX[id(system)] = (system, len(system.indicators) * max(len(system.years), 1))
        rows = min(rows, L.HEADER_ROW + 5 * cached[1] + 500)
    return {L.LEDGER_SHEET: SheetLimits(rows, limits.columns, limits.cells, "台账范围"), L.META_SHEET: _META_LIMITS,
            R.SHEET: _ITEMS_LIMITS}


def _open(package: Package, data: bytes) -> CalamineWorkbook:
    """calamine's open of ``data`` (``package`` repacked; it reads the shared strings and styles),
    once their real sizes are checked."""
    package.verify()
    try:
        return CalamineWorkbook.from_filelike(BytesIO(data))
    except CalamineError:
        raise LedgerError(unparsable(package.file)) from None


def _read_values(wb: CalamineWorkbook, name: str) -> LedgerGrid:
    try:
        names = list(wb.sheet_names)
        sheet = wb.get_sheet_by_name(L.LEDGER_SHEET)
        rows = sheet.to_python(skip_empty_area=False)
        merged = [(top + 1, left + 1, bottom + 1, right + 1)
                  for (top, left), (bottom, right) in sheet.merged_cell_ranges or ()]
        meta = meta_values(wb.get_sheet_by_name(L.META_SHEET).to_python()) if L.META_SHEET in names else None
        items = wb.get_sheet_by_name(R.SHEET).to_python() if R.SHEET in names else None
    except CalamineError:
        raise LedgerError(unparsable(name)) from None
    return LedgerGrid(rows=rows, meta=meta, file=name, sheet_names=names, merged=merged, rectification=items)


def meta_values(rows: list[list[Any]]) -> dict[str, str]:
    """The metadata sheet's key | value rows (readers hand whole numbers back as floats);
    system_data joined from the cells of its row."""
    meta = {}
    for row in rows:
        if len(row) >= 2 and isinstance(row[0], str) and row[0]:
            value = row[1]
            if row[0] == L.SYSTEM_DATA:
                value = "".join(v for v in row[1:] if isinstance(v, str))
            if value is None:  # an optional key left unset
                value = ""
            elif isinstance(value, float) and value.is_integer():
                value = int(value)
            meta[row[0]] = str(value)
    return meta

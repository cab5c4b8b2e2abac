"""Real ledger files for the tests: a signed ledger written for one unit of a shipped indicator
system, filled validly by the sample clerk, then edited with openpyxl the way a clerk (or a
broken tool, or an attacker) would, and read back through ``validate_file``.

Not a conftest: test modules import what they use (``from ledger_fixtures import ...``);
pytest finds the fixtures imported into a test module's namespace.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.workbook.workbook import Workbook

from xlbridge.check.files import FileResult, validate_file
from xlbridge.findings import Finding
from xlbridge.ledger import layout as L
from xlbridge.ledger.content import issued_rows
from xlbridge.ledger.sample import clerk_answer, fill_ledger
from xlbridge.ledger.writer import write_ledger
from xlbridge.system.files import load_system
from xlbridge.system.model import IndicatorSystem

SYSTEM_ID = "puyang-2020"  # period 2016–2021: six years of rows per indicator
UNIT = "司法鉴定管理科"  # 5 indicators (9, 18, 19 checked by 网络检索; (12), (13) not) → 30 rows
CAMPAIGN = 2021
KEY = bytes.fromhex("5c0ffee0" * 8)  # the coordination group's key in these tests
OTHER_KEY = bytes.fromhex("0badf00d" * 8)
ISSUED_AT = datetime(2021, 1, 4, 9, 0, 0)
HEADER = {"period": "2021-05", "filled_on": "2021-05-28", "filled_by": "王伟"}

Edit = Callable[[Workbook], None]
_CJK = re.compile(r"[\u4e00-\u9fff]")


# --------------------------------------------------------------------------- building
def system(system_id: str = SYSTEM_ID) -> IndicatorSystem:
    return load_system(system_id)


def build_ledger(
    directory: Path,
    *,
    indicator_system: IndicatorSystem | None = None,
    unit: str = UNIT,
    years: list[int] | None = None,
    key: bytes = KEY,
    name: str = "blank.xlsx",
) -> Path:
    """A signed, empty ledger as the coordination group issues it."""
    sys_ = indicator_system or system()
    return write_ledger(sys_, unit, CAMPAIGN, directory / name, key, years=years, issued_at=ISSUED_AT)


def filled_ledger(
    directory: Path,
    *,
    indicator_system: IndicatorSystem | None = None,
    unit: str = UNIT,
    years: list[int] | None = None,
    key: bytes = KEY,
    header: dict[str, Any] | None = None,
    continuations: dict[tuple[int, str], list[dict[str, Any]]] | None = None,
    name: str = "filled.xlsx",
) -> Path:
    """The ledger filled validly by the sample clerk (no error, no warning, no normalisation)."""
    sys_ = indicator_system or system()
    blank = build_ledger(directory, indicator_system=sys_, unit=unit, years=years, key=key, name=f"blank-{name}")
    return fill_ledger(
        blank, directory / name, clerk_answer(sys_, unit),
        header=HEADER if header is None else header, continuations=continuations,
    )


def edited(src: Path, dst: Path, *edits: Edit) -> Path:
    """``src`` opened with openpyxl, changed by each edit in turn, saved as ``dst``."""
    wb = openpyxl.load_workbook(src)
    for edit in edits:
        edit(wb)
    dst.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dst)
    return dst


def copy(src: Path, dst: Path) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    return dst


# --------------------------------------------------------------------------- edits
def set_cells(values: dict[str, Any], sheet: str = L.LEDGER_SHEET) -> Edit:
    """Type values into cells by reference ({"H5": "已完成"}); None clears a cell."""

    def edit(wb: Workbook) -> None:
        ws = wb[sheet]
        for ref, value in values.items():
            ws[ref].value = value

    return edit


def set_meta(key: str, value: Any) -> Edit:
    """Change one value on the very hidden metadata sheet (column B, row of ``key``)."""

    def edit(wb: Workbook) -> None:
        wb[L.META_SHEET].cell(L.META_KEYS.index(key) + 1, 2).value = value

    return edit


def merge_cells(*ranges: str) -> Edit:
    """Merge cell ranges on the ledger sheet, as Excel does: the first cell keeps its value."""

    def edit(wb: Workbook) -> None:
        for cells in ranges:
            wb[L.LEDGER_SHEET].merge_cells(cells)

    return edit


def delete_sheet(name: str) -> Edit:
    def edit(wb: Workbook) -> None:
        del wb[name]

    return edit


def delete_row(row: int) -> Edit:
    def edit(wb: Workbook) -> None:
        wb[L.LEDGER_SHEET].delete_rows(row)

    return edit


def insert_row(row: int, values: dict[str, Any] | None = None, *, copy_of: int | None = None) -> Edit:
    """Insert a blank row at ``row`` (what is there moves down), with values by column key, or a
    copy of every value of row ``copy_of`` (numbered before the insertion)."""

    def edit(wb: Workbook) -> None:
        ws = wb[L.LEDGER_SHEET]
        source = [ws.cell(copy_of, c.index).value for c in L.COLUMNS] if copy_of else None
        ws.insert_rows(row)
        if source:
            for column, value in zip(L.COLUMNS, source):
                ws.cell(row, column.index, value)
        for key, value in (values or {}).items():
            ws.cell(row, L.COLUMN[key].index, value)

    return edit


def swap_rows(a: int, b: int) -> Edit:
    def edit(wb: Workbook) -> None:
        ws = wb[L.LEDGER_SHEET]
        for column in L.COLUMNS:
            x, y = ws.cell(a, column.index), ws.cell(b, column.index)
            x.value, y.value = y.value, x.value

    return edit


def rewrite_member(src: Path, dst: Path, member: str, change: Callable[[bytes], bytes]) -> Path:
    """Copy an xlsx zip member by member, replacing one member's bytes (for XML no API writes)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            zout.writestr(info.filename, change(data) if info.filename == member else data)
    return dst


def understate_member(path: Path, member: str, declared: int) -> None:
    """Write ``declared`` as ``member``'s uncompressed size in both zip headers (a lying header)."""
    raw = bytearray(path.read_bytes())
    name = member.encode()
    # (signature, length of the fixed header before the name, offset of the uncompressed size)
    for sig, fixed, size_at in ((b"PK\x01\x02", 46, 24), (b"PK\x03\x04", 30, 22)):
        at = raw.find(sig)
        while at >= 0:
            if raw[at + fixed: at + fixed + len(name)] == name:
                raw[at + size_at: at + size_at + 4] = declared.to_bytes(4, "little")
            at = raw.find(sig, at + 1)
    path.write_bytes(bytes(raw))


def ledger_sheet_member(path: Path) -> str:
    """The zip member of the 台账 sheet (openpyxl writes it first)."""
    from xlbridge.xlsx.bounds import Limits, sheet_members

    return sheet_members(path.read_bytes(), path.name, Limits())[L.LEDGER_SHEET]


# --------------------------------------------------------------------------- positions
def data_row(year: int, code: str, *, unit: str = UNIT, years: list[int] | None = None) -> int:
    """Sheet row of (year, indicator) in a freshly issued ledger."""
    sys_ = system()
    rows = issued_rows(sys_, unit, years or sys_.years)
    index = next(i for i, r in enumerate(rows) if r.identity == (year, code))
    return L.FIRST_DATA_ROW + index


def cell(key: str, row: int) -> str:
    """A1 reference of the column with layout key ``key`` in ``row``."""
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(L.COLUMN[key].index)}{row}"


# --------------------------------------------------------------------------- validating
def validate(path: Path, key: bytes | None = KEY, system_name: str | None = None) -> FileResult:
    return validate_file(path, system_name, key)


def rule_ids(result: FileResult) -> set[str]:
    return {f.rule for f in result.findings}


def findings(result: FileResult, rule: str) -> list[Finding]:
    return [f for f in result.findings if f.rule == rule]


def positions(result: FileResult, rule: str) -> list[str | None]:
    """Where ``rule`` was reported: cell references, or None for the whole workbook."""
    return [f.cell for f in findings(result, rule)]


def is_chinese(text: str | None) -> bool:
    return bool(text and _CJK.search(text))


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def ledger_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ledgers")


@pytest.fixture(scope="session")
def blank(ledger_dir: Path) -> Path:
    """The issued, unfilled ledger (read-only: tests copy or edit it into their tmp_path)."""
    return build_ledger(ledger_dir, name="issued.xlsx")


@pytest.fixture(scope="session")
def baseline(ledger_dir: Path) -> Path:
    """The validly filled ledger every rule test starts from (read-only)."""
    return filled_ledger(ledger_dir, name="baseline.xlsx")


# A unit with 加分项 and 减分项 rows: jinfeng-2020's 司法局 (加分项 96, 97; 减分项 98, 99 — 99 is 故意编造…).
KINDS_SYSTEM, KINDS_UNIT = "jinfeng-2020", "司法局"


def kinds_row(code: str) -> int:
    """Sheet row of indicator ``code`` in the 司法局 ledger of jinfeng-2020 (one year: the campaign)."""
    rows = issued_rows(system(KINDS_SYSTEM), KINDS_UNIT, [CAMPAIGN])
    return L.FIRST_DATA_ROW + next(i for i, r in enumerate(rows) if r.indicator.key == code)


@pytest.fixture(scope="session")
def kinds_ledger(ledger_dir: Path) -> Path:
    """司法局's ledger filled validly by the sample clerk: 不申报 on its 加分项, 无此情形 on its 减分项."""
    return filled_ledger(ledger_dir, indicator_system=system(KINDS_SYSTEM), unit=KINDS_UNIT, name="kinds.xlsx")

"""Distinct valid submissions in numbers, for the tests of batches (daemon, worker processes).

Real filled ledgers (puyang-2020, three small units). Tests need dozens of distinct files;
filling a ledger with openpyxl takes ~0.1 s, so one ledger per unit is filled once per module
with a placeholder 填表人 and the variants are made by rewriting that header cell inside the
zip (bytes differ, the ledger stays valid and signed).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from ledger_fixtures import CAMPAIGN, ISSUED_AT, KEY

from xlbridge.ledger.sample import clerk_answer, fill_ledger
from xlbridge.ledger.writer import write_ledger
from xlbridge.system.files import load_system

SYSTEM_ID = "puyang-2020"
UNITS = ("司法鉴定管理科", "律师公证管理科", "行政财务装备科")  # the smallest ledgers of the system
PERIOD = "2021-05"
PLACEHOLDER = "填表人0000"
LEDGER_SHEET_XML = "xl/worksheets/sheet1.xml"


class Submissions:
    """Distinct filled ledgers, made on demand from one filled ledger per unit."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.count = 0
        system = load_system(SYSTEM_ID)
        header = {"period": PERIOD, "filled_on": f"{PERIOD}-28", "filled_by": PLACEHOLDER}
        self.bases = []
        for unit in UNITS:
            blank = write_ledger(system, unit, CAMPAIGN, directory / f"blank-{unit}.xlsx", KEY,
                                 issued_at=ISSUED_AT)
            answer = clerk_answer(system, unit)
            self.bases.append(fill_ledger(blank, directory / f"base-{unit}.xlsx", answer, header=header))

    def make(self, n: int) -> list[Path]:
        """``n`` new files, never made before in this module: ``<unit>_<number>.xlsx``."""
        return [self._variant() for _ in range(n)]

    def _variant(self) -> Path:
        self.count += 1
        base = self.bases[self.count % len(self.bases)]
        unit = base.stem.removeprefix("base-")
        dst = self.directory / f"{unit}_{self.count:04d}.xlsx"
        marker = f"<t>{PLACEHOLDER}</t>".encode()
        with zipfile.ZipFile(base) as src, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as out:
            for item in src.infolist():
                data = src.read(item)
                if item.filename == LEDGER_SHEET_XML:
                    assert data.count(marker) == 1, "the 填表人 placeholder must be there exactly once"
                    data = data.replace(marker, f"<t>填表人{self.count:04d}</t>".encode())
                out.writestr(item, data)
        return dst


@pytest.fixture(scope="module")
def submissions(tmp_path_factory: pytest.TempPathFactory) -> Submissions:
    return Submissions(tmp_path_factory.mktemp("submissions"))

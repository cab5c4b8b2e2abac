"""A workspace where one unit has reported May and June, and helpers to plan, fill and submit
inspection workbooks the way the supervision group does: openpyxl typing into the 检查 and
整改复核 sheets, the file dropped in the inbox and taken by the real intake.

Not a conftest: test modules import what they use.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from ledger_fixtures import KEY, UNIT, filled_ledger
from ws_fixtures import drop, make_workspace

from xlbridge.service import store
from xlbridge.service.ingest import Outcome, ingest_file
from xlbridge.service.workspace import Workspace
from xlbridge.supervision import hooks
from xlbridge.supervision import layout as S
from xlbridge.supervision.plan import plan_round
from xlbridge.system.files import load_system, save_system
from xlbridge.system.model import IndicatorSystem

CODES = ("9", "18", "19", "(12)", "(13)")  # UNIT's indicators, in sheet order: rows 5–9
ROW = {code: S.FIRST_ROW + n for n, code in enumerate(CODES)}


@pytest.fixture(autouse=True)
def inspection_kind() -> Iterator[None]:
    hooks.register()  # as the faces do (cli ingest / daemon / ledgers next, the demo)
    yield
    hooks.unregister()


def reported_workspace(root: Path, months: tuple[str, ...] = ("2021-05", "2021-06")) -> Workspace:
    """UNIT's ledgers for ``months`` accepted into a fresh workspace (only UNIT expected)."""
    ws = make_workspace(root, campaign=2021, expected_units=[UNIT])
    db = store.open_store(ws.store)
    try:
        for month in months:
            src = filled_ledger(root.parent / f"ledgers-{month}", header={"period": month, "filled_on": f"{month}-28",
                                                                        "filled_by": "王伟"})
            when = datetime(int(month[:4]), int(month[5:]), 28, 10)
            outcome = ingest_file(ws, db, drop(ws, src, f"{UNIT}/{UNIT}_{month}.xlsx", when), KEY, received_at=when)
            assert outcome.status == "accepted", outcome.summary
    finally:
        db.close()
    return ws


def system_workspace(tmp_path: Path, system: IndicatorSystem) -> Workspace:
    """A workspace on ``system`` (saved as a YAML file beside it) where UNIT has reported June."""
    system_file = tmp_path / f"{system.id}-{system.version}.yaml"
    save_system(system, system_file)
    root = tmp_path / "ws"
    root.mkdir()
    (root / "xlbridge.toml").write_text(f'system = "{system_file}"\ncampaign = 2021\nexpected_units = ["{UNIT}"]\n',
                                        encoding="utf-8")
    (root / "xlbridge.key").write_text(KEY.hex() + "\n", encoding="ascii")
    ws = Workspace.load(root).ensure()
    db = store.open_store(ws.store)
    try:
        ledger = filled_ledger(tmp_path / "ledger", indicator_system=load_system(system_file),
                               header={"period": "2021-06", "filled_on": "2021-06-28", "filled_by": "王伟"})
        when = datetime(2021, 6, 28, 10)
        assert ingest_file(ws, db, drop(ws, ledger, f"{UNIT}/6月.xlsx", when), KEY, received_at=when).status == "accepted"
    finally:
        db.close()
    return ws


def plan(ws: Workspace, round_: str, today: date | None = None) -> Path:
    db = store.open_store(ws.store)
    try:
        [path] = plan_round(ws, db, round_, [UNIT], today=today or date(int(round_[:4]), int(round_[5:]), 1))
    finally:
        db.close()
    return path


def col(key: str) -> int:
    return S.INSPECTION_COLUMN[key].index


def fill(src: Path, dst: Path, conclusions: dict[str, dict[str, Any]], reviews: dict[int, tuple[str, str]] | None = None,
         inspector: str = "李检查", on: str = "2021-06-20", rows: dict[str, int] | None = None) -> Path:
    """Type an inspection's results: per code {conclusion, problem, deduction, requirement, due};
    every other indicator 符合 (``rows``: code → sheet row, UNIT's by default); per review-sheet row
    offset (0 = first item) (verdict, note)."""
    wb = openpyxl.load_workbook(src)
    ws = wb[S.INSPECTION_SHEET]
    ws.cell(S.INPUT_ROW, S.HEADER_FIELD["inspector"].value_col, inspector)
    ws.cell(S.INPUT_ROW, S.HEADER_FIELD["inspected_on"].value_col, on)
    for code, row in (rows or ROW).items():
        values = {"conclusion": S.CONFORM, **conclusions.get(code, {})}
        for key, value in values.items():
            ws.cell(row, col(key), value)
    review = wb[S.REVIEW_SHEET]
    for offset, (verdict, note) in (reviews or {}).items():
        review.cell(S.REVIEW_FIRST_ROW + offset, S.REVIEW_COLUMN["review"].index, verdict)
        review.cell(S.REVIEW_FIRST_ROW + offset, S.REVIEW_COLUMN["review_note"].index, note)
    dst.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dst)
    return dst


def submit(ws: Workspace, path: Path, when: datetime = datetime(2021, 6, 21, 9)) -> Outcome:
    db = store.open_store(ws.store)
    try:
        return ingest_file(ws, db, drop(ws, path, path.name, when), KEY, received_at=when)
    finally:
        db.close()


def review_rows(path: Path) -> list[tuple[Any, ...]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return [tuple(r) for r in wb[S.REVIEW_SHEET].iter_rows(min_row=S.REVIEW_FIRST_ROW, values_only=True) if any(r)]
    finally:
        wb.close()

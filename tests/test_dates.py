"""Dates in the ledger's header as spreadsheets really store them: a date typed or pasted into the
填表时间 or 报送月份 cell, which the ledger formats as text (``@``), is stored as its Excel day
number (44344.0 for 2021-05-28) and must read as the date, not as 「44344.0」无法识别. The same
file re-saved by LibreOffice is in test_libreoffice.py."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from ledger_fixtures import UNIT, baseline, edited, ledger_dir, validate  # noqa: F401  (fixtures)
from ws_fixtures import clean_environment, connect, drop, ingest, make_workspace  # noqa: F401  (an autouse fixture)

from xlbridge.check.cells import as_date, as_month, day_number
from xlbridge.ledger import layout as L
from xlbridge.ledger.reader import read_ledger

FILLED_ON = L.HEADER_FIELD["filled_on"]
PERIOD = L.HEADER_FIELD["period"]


def with_date(src: Path, dst: Path, field: L.HeaderField, value: Any, number_format: str = "@") -> Path:
    """``src`` with ``value`` in a header cell, the cell keeping (or getting) ``number_format``."""
    def edit(wb: Any) -> None:
        cell = wb[L.LEDGER_SHEET].cell(field.row, field.value_col)
        cell.value = value  # openpyxl gives a datetime a date format of its own…
        cell.number_format = number_format  # …the ledger's text format stays, as when a clerk pastes a date
    return edited(src, dst, edit)


def raw(path: Path, field: L.HeaderField) -> Any:
    return read_ledger(path).rows[field.row - 1][field.value_col - 1]


def header_findings(path: Path, field: L.HeaderField) -> list[tuple[str, str]]:
    return [(f.rule, f.message) for f in validate(path).findings if (f.row, f.column) == (field.row, field.value_col)]


@pytest.mark.parametrize("value", [datetime(2021, 5, 28), date(2021, 5, 28), datetime(2021, 5, 28, 16, 40), 44344])
def test_a_date_in_the_text_cell_reads_as_the_date(baseline: Path, tmp_path: Path, value: Any) -> None:
    path = with_date(baseline, tmp_path / "dated.xlsx", FILLED_ON, value)
    assert int(raw(path, FILLED_ON)) == 44344  # what the reader really hands over: the day number
    result = validate(path)
    assert result.valid and result.validation is not None
    assert result.validation.header["filled_on"] == "2021-05-28"
    found = header_findings(path, FILLED_ON)
    assert [rule for rule, _ in found] == ["normalised-date"], found  # a note, shown; never an error
    assert "2021-05-28" in found[0][1]


def test_a_date_formatted_cell_reads_as_the_date(baseline: Path, tmp_path: Path) -> None:
    path = with_date(baseline, tmp_path / "formatted.xlsx", FILLED_ON, datetime(2021, 5, 28), 'yyyy"年"m"月"d"日"')
    assert raw(path, FILLED_ON) == date(2021, 5, 28)
    assert validate(path).validation.header["filled_on"] == "2021-05-28"  # type: ignore[union-attr]
    assert header_findings(path, FILLED_ON) == []


def test_a_date_in_the_period_cell_reads_as_its_month(baseline: Path, tmp_path: Path) -> None:
    path = with_date(baseline, tmp_path / "period.xlsx", PERIOD, datetime(2021, 5, 1))
    assert raw(path, PERIOD) == 44317.0
    result = validate(path)
    assert result.valid and result.validation.header["period"] == "2021-05"  # type: ignore[union-attr]


@pytest.mark.parametrize("number", [12, 2021, 1e9])
def test_a_number_that_is_no_plausible_date_stays_an_error(baseline: Path, tmp_path: Path, number: float) -> None:
    path = with_date(baseline, tmp_path / "number.xlsx", FILLED_ON, number, "General")
    assert [rule for rule, _ in header_findings(path, FILLED_ON)] == ["date-invalid"]


def test_day_numbers() -> None:
    assert day_number(44344.0) == date(2021, 5, 28) and day_number(36526) == date(2000, 1, 1)
    assert day_number(73050.99) == date(2099, 12, 31) and day_number(73051) is None
    assert day_number(True) is None and day_number("44344") is None and day_number(36525) is None
    changes: list[str] = []
    assert (as_date(44344.0, changes), as_month(44317.0, changes), changes) == \
        ("2021-05-28", "2021-05", ["normalised-date", "normalised-date"])


def test_the_store_keeps_the_date(baseline: Path, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    path = with_date(baseline, tmp_path / "dated.xlsx", FILLED_ON, datetime(2021, 5, 28))
    outcome = ingest(ws, drop(ws, path, f"{UNIT}/台账.xlsx"))
    assert outcome.status == "accepted"
    with connect(ws.store) as conn:
        assert conn.execute("SELECT filled_on FROM submissions").fetchall() == [("2021-05-28",)]
        assert conn.execute("SELECT COUNT(*) FROM findings WHERE rule = 'date-invalid'").fetchone() == (0,)


def test_dates_typed_into_an_inspection_workbook_read_as_dates(tmp_path: Path) -> None:
    """The supervision group's 检查日期 and a 整改期限 entered as dates (Excel's date cells, day
    numbers after a paste) are stored as the dates, never as 「44408.0」."""
    from supervision_fixtures import fill, plan, reported_workspace, submit

    from xlbridge.supervision import hooks
    from xlbridge.supervision import layout as S

    ws = reported_workspace(tmp_path / "ws")
    filled = fill(plan(ws, "2021-06"), tmp_path / "检查.xlsx", {
        "18": {"conclusion": S.NONCONFORM, "problem": "未公开行政许可事项", "requirement": "在门户网站公开", "due": datetime(2021, 7, 31)},
        "19": {"conclusion": S.NONCONFORM, "problem": "材料目录缺失", "requirement": "补齐目录", "due": 44469.0},  # 2021-09-30
    }, on=datetime(2021, 6, 20))
    hooks.register()  # the inspection workbook as a kind of file, as the faces do
    try:
        outcome = submit(ws, filled)
    finally:
        hooks.unregister()
    assert outcome.status == "accepted", outcome.summary
    with connect(ws.store) as conn:
        assert conn.execute("SELECT inspected_on FROM inspections").fetchall() == [("2021-06-20",)]
        assert conn.execute("SELECT due FROM rectification_items ORDER BY id").fetchall() == [("2021-07-31",), ("2021-09-30",)]

"""A unit sees its open rectification items in the 整改 sheet of its next-month ledger, answers
them there, and its receipt says which it answered and which are still open."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from ledger_fixtures import KEY, UNIT, set_cells
from print_fixtures import page_setup_problems
from supervision_fixtures import fill, inspection_kind, plan, reported_workspace, submit  # noqa: F401
from ws_fixtures import clean_environment, connect, drop, make_workspace, run, sheet_rows  # noqa: F401

from xlbridge.ledger import layout as L
from xlbridge.ledger import rectification as R
from xlbridge.ledger.sample import clerk_answer, fill_ledger
from xlbridge.service import store
from xlbridge.service.ingest import ingest_file
from xlbridge.supervision import layout as S
from xlbridge.system.files import load_system

JULY = {"period": "2021-07", "filled_on": "2021-07-28", "filled_by": "王伟"}


@pytest.fixture
def ws(tmp_path: Path):  # type: ignore[no-untyped-def]
    ws = reported_workspace(tmp_path / "ws")
    outcome = submit(ws, fill(plan(ws, "2021-06"), tmp_path / "r1.xlsx", {
        "18": {"conclusion": S.NONCONFORM, "problem": "未公开行政许可事项", "requirement": "在门户网站公开", "due": "2021-07-31"},
        "19": {"conclusion": S.NONCONFORM, "problem": "材料目录缺失", "requirement": "补齐目录", "due": "2021-09-30"},
    }))
    assert outcome.status == "accepted", outcome.summary
    return ws


def july_ledger(ws) -> Path:  # type: ignore[no-untyped-def]
    result = run("ledgers", "next", "-w", ws.root, "--period", "2021-07")
    assert result.exit_code == 0, result.output
    return ws.outbox / UNIT / f"{UNIT}_2021-07_工作台账.xlsx"


def send(ws, path: Path, name: str, when: datetime = datetime(2021, 7, 29, 9)):  # type: ignore[no-untyped-def]
    db = store.open_store(ws.store)
    try:
        return ingest_file(ws, db, drop(ws, path, f"{UNIT}/{name}", when), KEY, received_at=when)
    finally:
        db.close()


def history(ws) -> list[tuple]:  # type: ignore[no-untyped-def]
    with connect(ws.store) as conn:
        return conn.execute("SELECT item_id, old_status, new_status, by, source FROM rectification_history"
                            " WHERE source = 'ledger' ORDER BY id").fetchall()


def test_next_ledger_lists_the_units_open_items_locked_with_inputs_beside(ws) -> None:
    wb = openpyxl.load_workbook(july_ledger(ws))
    assert wb.sheetnames[:2] == [L.LEDGER_SHEET, R.SHEET]
    sheet = wb[R.SHEET]
    assert [c.value for c in sheet[R.HEADER_ROW]] == [c.header for c in R.COLUMNS]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=R.FIRST_ROW)]
    assert [r[:7] for r in rows] == [
        ["1", "18", None, "未公开行政许可事项", "在门户网站公开", "2021-07-31", "待整改"],
        ["2", "19", None, "材料目录缺失", "补齐目录", "2021-09-30", "待整改"]]
    assert sheet.protection.sheet and sheet.cell(R.FIRST_ROW, R.INDEX["problem"]).protection.locked
    for key in ("measures", "completion", "evidence"):
        assert not sheet.cell(R.FIRST_ROW, R.INDEX[key]).protection.locked
    lists = [dv for dv in sheet.data_validations.dataValidation if dv.type == "list"]
    assert [dv.formula1 for dv in lists] == ["完成情况选项"] and "完成情况选项" in wb.defined_names
    meta = {r[0]: r[1] for r in wb[L.META_SHEET].iter_rows(values_only=True)}
    assert meta["items_digest"] and meta["period"] == "2021-07"


def test_the_units_answers_mark_items_answered_and_the_receipt_lists_both(ws, tmp_path: Path) -> None:
    ledger = july_ledger(ws)
    filled = fill_ledger(ledger, tmp_path / "july.xlsx", clerk_answer(load_system(ws.system), UNIT), header=JULY)
    wb = openpyxl.load_workbook(filled)
    set_cells({"H3": "已在门户网站公开许可事项", "I3": R.DONE, "J3": "https://www.example.gov.cn/xkgs/1.html"}, sheet=R.SHEET)(wb)
    wb.save(filled)
    outcome = send(ws, filled, "7月.xlsx")
    assert outcome.status == "accepted", outcome.summary
    with connect(ws.store) as conn:
        assert conn.execute("SELECT id, status, measures, completion, evidence FROM rectification_items ORDER BY id").fetchall() == [
            (1, "已反馈", "已在门户网站公开许可事项", "已整改", "https://www.example.gov.cn/xkgs/1.html"), (2, "待整改", None, None, None)]
    assert history(ws) == [(1, "待整改", "已反馈", "王伟", "ledger")]
    receipt = sheet_rows(outcome.receipt, "整改")
    assert [r[0] for r in receipt[1:]] == ["1", "2"]
    assert receipt[1][5] == "已反馈" and "已在门户网站公开" in receipt[1][6]
    assert receipt[2][5] == "待整改" and receipt[2][6] == "尚未答复" and receipt[2][4] == "2021-09-30"
    assert page_setup_problems(ledger) == [] and page_setup_problems(outcome.receipt) == []  # both 整改 sheets print
    # the same answers sent again (another file): nothing changes, nothing is added to the history
    again = tmp_path / "july-again.xlsx"
    wb = openpyxl.load_workbook(filled)
    wb[L.LEDGER_SHEET].cell(L.INPUT_ROW, L.HEADER_FIELD["filled_on"].value_col, "2021-07-29")
    wb.save(again)
    assert send(ws, again, "7月-2.xlsx", datetime(2021, 7, 30, 9)).status == "accepted"
    assert len(history(ws)) == 1


def test_an_altered_item_returns_the_ledger(ws, tmp_path: Path) -> None:
    filled = fill_ledger(july_ledger(ws), tmp_path / "july.xlsx", clerk_answer(load_system(ws.system), UNIT), header=JULY)
    wb = openpyxl.load_workbook(filled)
    set_cells({"F3": "2021-12-31", "H3": "延期", "I3": R.ONGOING}, sheet=R.SHEET)(wb)
    wb.save(filled)
    outcome = send(ws, filled, "7月.xlsx")
    assert outcome.status == "rejected" and "整改事项" in outcome.summary
    assert history(ws) == []


def test_a_key_item_is_marked_in_the_ledger(tmp_path: Path) -> None:
    unit = "法律援助工作科"
    ws = make_workspace(tmp_path / "ws", campaign=2021, expected_units=[unit])
    store.open_store(ws.store).close()
    added = run("rectify", "add", "-w", ws.root, "--unit", unit, "--indicator", "★2", "--problem", "援助案件未按期归档",
                "--due", "2021-08-31")
    assert added.exit_code == 0, added.output
    assert run("ledgers", "next", "-w", ws.root, "--period", "2021-07").exit_code == 0
    sheet = openpyxl.load_workbook(ws.outbox / unit / f"{unit}_2021-07_工作台账.xlsx")[R.SHEET]
    first = [c for c in sheet[R.FIRST_ROW]]
    assert [c.value for c in first[:3]] == ["1", "★2", "★"]
    assert first[R.INDEX["problem"] - 1].font.bold
    assert "★ 为重点指标" in sheet.cell(1, 1).value
    # and in the receipt of the ledger that answers it
    issued = ws.outbox / unit / f"{unit}_2021-07_工作台账.xlsx"
    filled = fill_ledger(issued, tmp_path / "july.xlsx", clerk_answer(load_system(ws.system), unit), header=JULY)
    wb = openpyxl.load_workbook(filled)
    set_cells({"H3": "已补齐归档", "I3": R.DONE}, sheet=R.SHEET)(wb)
    wb.save(filled)
    db = store.open_store(ws.store)
    try:
        when = datetime(2021, 7, 29, 9)
        outcome = ingest_file(ws, db, drop(ws, filled, f"{unit}/7月.xlsx", when), KEY, received_at=when)
    finally:
        db.close()
    assert outcome.status == "accepted", outcome.summary
    assert [r[:3] for r in sheet_rows(outcome.receipt, "整改")[1:]] == [("1", "★2", "★")]

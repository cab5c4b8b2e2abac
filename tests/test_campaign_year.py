"""The campaign year month by month, on real files: the state as of each month, late files,
old months re-sent, a skipped month, a misfiled then corrected file, a blank ledger, and next
month's pre-filled ledgers."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from ledger_fixtures import (  # noqa: F401  (baseline, blank, ledger_dir are fixtures)
    HEADER,
    UNIT,
    baseline,
    blank,
    edited,
    filled_ledger,
    ledger_dir,
    set_cells,
)
from ws_fixtures import (  # noqa: F401  (clean_environment is an autouse fixture)
    ON_TIME,
    clean_environment,
    connect,
    drop,
    ingest,
    make_workspace,
    receipt_summary,
    run,
    sheet_rows,
)

from xlbridge.service import store
from xlbridge.service.consolidate import affected_months, consolidate
from xlbridge.service.ingest import Outcome
from xlbridge.service.next_ledgers import closed_month, issue_after_deadline
from xlbridge.service.workspace import Workspace

OTHER = "信息化工作科"
MAY, JUNE, JULY = "2021-05", "2021-06", "2021-07"
ROW = 5  # the first indicator row; I = 进度说明


def month_ledger(baseline: Path, tmp_path: Path, period: str, text: str, name: str) -> Path:
    """The unit's ledger for ``period`` whose first 进度说明 says ``text``."""
    return edited(baseline, tmp_path / name, set_cells({"B3": period, f"I{ROW}": text}))


def send(ws: Workspace, baseline: Path, tmp_path: Path, period: str, text: str, when: datetime = ON_TIME) -> Outcome:
    """The unit's ledger for ``period`` (first 进度说明 ``text``) dropped into the inbox at ``when`` and ingested."""
    name = f"{period}-{text}.xlsx"
    return ingest(ws, drop(ws, month_ledger(baseline, tmp_path, period, text, name), f"{UNIT}_{int(period[5:])}.xlsx",
                           when=when))


def state(ws: Workspace, sql: str, *params: object) -> list[tuple[object, ...]]:
    with connect(ws.store) as conn:
        return conn.execute(sql, params).fetchall()


def first_description(ws: Workspace, view: str, where: str = "1", *params: object) -> set[object]:
    return {r[0] for r in state(ws, f"SELECT r.description FROM {view} v JOIN rows r ON r.id = v.row_id"
                                    f" WHERE v.unit = ? AND r.sheet_row = ? AND {where}", UNIT, ROW, *params)}


@pytest.fixture()
def ws(tmp_path: Path) -> Workspace:
    return make_workspace(tmp_path / "ws", campaign=2021)


def test_an_old_month_resent_never_replaces_a_newer_one(ws: Workspace, baseline: Path, tmp_path: Path) -> None:
    may = month_ledger(baseline, tmp_path, MAY, "五月的进展情况", "may.xlsx")
    june = month_ledger(baseline, tmp_path, JUNE, "六月的进展情况", "june.xlsx")
    may_again = month_ledger(baseline, tmp_path, MAY, "五月的进展情况（更正）", "may2.xlsx")
    ingest(ws, drop(ws, may, f"{UNIT}_5月.xlsx", when=datetime(2021, 5, 30, 9)))
    ingest(ws, drop(ws, june, f"{UNIT}_6月.xlsx", when=datetime(2021, 6, 29, 9)))
    resent = ingest(ws, drop(ws, may_again, f"{UNIT}_5月更正.xlsx", when=datetime(2021, 7, 2, 9)))

    assert resent.status == "accepted"
    assert first_description(ws, "current") == {"六月的进展情况"}  # the newest month stays the state
    by_month = dict(state(ws, "SELECT month, submission_id FROM monthly_submissions WHERE unit = ?", UNIT))
    assert by_month[MAY] == resent.submission_id and by_month[JUNE] != resent.submission_id
    assert first_description(ws, "monthly_state", "v.month = ?", MAY) == {"五月的进展情况（更正）"}
    assert receipt_summary(resent.receipt)["计入情况"] == "替换 5月30日 报送的 2021-05 台账；2021-06 已报送，本份只计入 2021-05"

    db = store.open_store(ws.store)
    try:
        assert affected_months(db, "puyang-2020", 2021, MAY) == [MAY, JUNE]
        june_book = consolidate(ws, db, JUNE)
    finally:
        db.close()
    header, *rows = sheet_rows(june_book, "明细")
    described = {r[header.index("进度说明")] for r in rows if r[0] == UNIT}
    assert "六月的进展情况" in described and "五月的进展情况（更正）" not in described


def test_a_skipped_month_counts_the_month_before(ws: Workspace, baseline: Path, tmp_path: Path) -> None:
    send(ws, baseline, tmp_path, MAY, "五月")
    send(ws, baseline, tmp_path, JULY, "七月", when=datetime(2021, 7, 30))
    assert first_description(ws, "monthly_state", "v.month = ?", JUNE) == {"五月"}
    assert first_description(ws, "monthly_state", "v.month = ?", JULY) == {"七月"}
    assert state(ws, "SELECT COUNT(*) FROM monthly_submissions WHERE unit = ? AND month < ?", UNIT, MAY) == [(0,)]


def test_a_late_may_file_rewrites_the_may_consolidation(ws: Workspace, baseline: Path, tmp_path: Path) -> None:
    june = month_ledger(baseline, tmp_path, JUNE, "六月", "june.xlsx")
    first = run("ingest", "-w", ws.root, drop(ws, june, f"{UNIT}_6.xlsx"))
    assert first.exit_code == 0 and "汇总台账_2021-06" in first.output
    may = month_ledger(baseline, tmp_path, MAY, "五月", "may.xlsx")
    late = run("ingest", "-w", ws.root, drop(ws, may, f"{UNIT}_5.xlsx"))
    assert late.exit_code == 0
    assert "汇总台账_2021-05" in late.output and "汇总台账_2021-06" in late.output  # both months it affects
    overview = {r[1]: r[2] for r in sheet_rows(ws.consolidated_dir / "汇总台账_2021-05.xlsx", "总览")[4:] if r[1]}
    assert overview[UNIT] in ("按时报送", "逾期报送")
    every = run("consolidate", "-w", ws.root, "--all")
    assert every.exit_code == 0 and every.output.count("汇总台账_") == 2


def test_a_misfiled_ledger_can_be_sent_again_correctly(ws: Workspace, baseline: Path) -> None:
    wrong = ingest(ws, drop(ws, baseline, f"{OTHER}/台账.xlsx"))
    assert wrong.status == "rejected"
    right = ingest(ws, drop(ws, baseline, f"{UNIT}/台账.xlsx"))  # the same bytes, now under its own unit
    assert right.status == "accepted" and right.unit == UNIT
    assert state(ws, "SELECT COUNT(*) FROM current WHERE unit = ?", UNIT) == [(30,)]
    again = ingest(ws, drop(ws, baseline, f"{UNIT}/又一次.xlsx"))
    assert again.status == "duplicate" and again.receipt is not None and "重复" in again.receipt.name


def test_a_blank_ledger_never_wipes_the_state(ws: Workspace, baseline: Path, blank: Path, tmp_path: Path) -> None:
    ingest(ws, drop(ws, baseline, f"{UNIT}_5.xlsx"))
    before = state(ws, "SELECT * FROM current ORDER BY row_id")
    untouched = edited(blank, tmp_path / "untouched.xlsx", set_cells({"B3": JUNE}))
    outcome = ingest(ws, drop(ws, untouched, f"{UNIT}_6.xlsx"))
    assert outcome.status == "rejected" and "未填写任何内容" in outcome.summary
    assert state(ws, "SELECT * FROM current ORDER BY row_id") == before


@pytest.mark.parametrize("typed, rule", [(None, "period-missing"), ("6月", "period-invalid"),
                                         ("2022-01", "period-outside-campaign"), ("2020-12", "period-outside-campaign")])
def test_the_month_is_never_guessed(ws: Workspace, baseline: Path, tmp_path: Path, typed: str | None, rule: str) -> None:
    outcome = ingest(ws, drop(ws, edited(baseline, tmp_path / "m.xlsx", set_cells({"B3": typed})), f"{UNIT}_x.xlsx"))
    assert outcome.status == "rejected"
    assert state(ws, "SELECT COUNT(*) FROM rows") == [(0,)]
    assert state(ws, "SELECT rule, cell FROM findings WHERE rule = ?", rule) == [(rule, "B3")]


def test_next_months_ledgers_are_pre_filled(ws: Workspace, baseline: Path, tmp_path: Path) -> None:
    may = month_ledger(baseline, tmp_path, MAY, "五月的进展情况", "may.xlsx")
    ingest(ws, drop(ws, may, f"{UNIT}_5.xlsx"))
    result = run("ledgers", "next", "-w", ws.root, "--period", JUNE)
    assert result.exit_code == 0, result.output
    mine = ws.outbox / UNIT / f"{UNIT}_{JUNE}_工作台账.xlsx"
    other = ws.outbox / OTHER / f"{OTHER}_{JUNE}_工作台账.xlsx"
    assert mine.is_file() and other.is_file()
    sheet = openpyxl.load_workbook(mine)["台账"]
    assert sheet["B3"].value == JUNE and sheet[f"I{ROW}"].value == "五月的进展情况"
    blank_sheet = openpyxl.load_workbook(other)["台账"]
    assert blank_sheet[f"H{ROW}"].value is None  # never reported: blank

    # Sent back unchanged as June, it is accepted for June with the same answers, no note on the month.
    june = ingest(ws, drop(ws, mine, f"{UNIT}_6.xlsx", when=datetime(2021, 6, 28)))
    assert june.status == "accepted", june.summary
    assert state(ws, "SELECT period FROM submissions WHERE id = ?", june.submission_id) == [(JUNE,)]
    assert state(ws, "SELECT COUNT(*) FROM findings WHERE submission_id = ? AND severity != 'info'", june.submission_id) == [(0,)]
    assert first_description(ws, "current") == {"五月的进展情况"}


def test_after_the_deadline_every_unit_gets_next_months_ledger_once(ws: Workspace, baseline: Path,
                                                                    tmp_path: Path) -> None:
    """next_ledgers = after-deadline: May closes on 1 June (deadline_day 1); June's ledgers go out,
    pre-filled where a unit reported, and only once, even when the group deletes one."""
    send(ws, baseline, tmp_path, MAY, "五月的进展情况")
    with store.open_store(ws.store) as db:
        may = issue_after_deadline(ws, db, datetime(2021, 5, 31, 23, 59))  # April has closed: May's ledgers
        assert {p.name for p in may} >= {f"{UNIT}_{MAY}_工作台账.xlsx", f"{OTHER}_{MAY}_工作台账.xlsx"}
        june = issue_after_deadline(ws, db, datetime(2021, 6, 1, 0, 5))
        assert {p.name for p in june} >= {f"{UNIT}_{JUNE}_工作台账.xlsx", f"{OTHER}_{JUNE}_工作台账.xlsx"}
        assert openpyxl.load_workbook(ws.outbox / UNIT / f"{UNIT}_{JUNE}_工作台账.xlsx")["台账"][f"I{ROW}"].value == "五月的进展情况"
        (ws.outbox / OTHER / f"{OTHER}_{JUNE}_工作台账.xlsx").unlink()
        assert issue_after_deadline(ws, db, datetime(2021, 6, 20)) == []
        assert not (ws.outbox / OTHER / f"{OTHER}_{JUNE}_工作台账.xlsx").exists()
        assert issue_after_deadline(ws, db, datetime(2022, 1, 2)) == []  # December closed: no 2022 ledger
    assert closed_month(2021, 5, datetime(2021, 6, 4)) == "2021-04"  # May is due before 5 June


def test_ledgers_next_needs_the_workspace_key(ws: Workspace) -> None:
    ws.key_file.unlink()
    result = run("ledgers", "next", "-w", ws.root, "--period", JUNE)
    assert result.exit_code == 1 and "xlbridge key init" in result.output
    assert not list(ws.outbox.rglob("*.xlsx"))


def test_the_year_at_a_glance(ws: Workspace, baseline: Path, tmp_path: Path) -> None:
    send(ws, baseline, tmp_path, MAY, "五月", when=datetime(2021, 5, 28))
    send(ws, baseline, tmp_path, JULY, "七月", when=datetime(2021, 8, 5))
    db = store.open_store(ws.store)
    try:
        june, july = consolidate(ws, db, JUNE), consolidate(ws, db, JULY)
    finally:
        db.close()
    overview = {r[1]: r for r in sheet_rows(june, "总览")[4:] if r[1]}
    assert overview[UNIT][2] == "未报送" and overview[UNIT][13] == "沿用 2021-05 的填报（本月未报送）"
    assert overview[OTHER][13] == "尚无被接收的报送"
    trend = sheet_rows(july, "趋势")
    assert trend[1][:4] == ("单位 / 一级指标", "05月", "06月", "07月")  # from the first report: no empty January–April
    mine = next(r for r in trend if r[0] == UNIT)
    assert mine[1].startswith("按时 ") and mine[2].startswith("未报送 ") and mine[3].startswith("逾期 ")
    assert any(r[0] == "各一级指标完成率（截至当月）" for r in trend)  # the per-一级指标 block with its line chart
    missing = {r[0]: r for r in sheet_rows(june, "未报送")[1:] if r[0]}
    filled_by, person, phone = missing[UNIT][6:9]  # who to call, from the May submission
    assert filled_by == HEADER["filled_by"] and person and phone and phone.isdigit()


def test_the_trend_follows_a_late_earlier_month(ws: Workspace, baseline: Path, tmp_path: Path) -> None:
    """Each month's 趋势 figures are computed once and kept while the store holds nothing new for
    that month: a June file arriving after July's 汇总 shows in July's 趋势 when July is rewritten."""
    send(ws, baseline, tmp_path, MAY, "五月", when=datetime(2021, 5, 28))
    send(ws, baseline, tmp_path, JULY, "七月", when=datetime(2021, 7, 28))
    db = store.open_store(ws.store)
    try:
        before = next(r for r in sheet_rows(consolidate(ws, db, JULY), "趋势") if r[0] == UNIT)
        assert before[2].startswith("未报送 ")  # June: nothing sent, May's figures carried
        send(ws, baseline, tmp_path, JUNE, "六月", when=datetime(2021, 7, 29))
        after = next(r for r in sheet_rows(consolidate(ws, db, JULY), "趋势") if r[0] == UNIT)
    finally:
        db.close()
    assert after[2].startswith("逾期 ") and after[1] == before[1] and after[3] == before[3]

"""Inspection workbooks: planned from the store's state of the round's month, filled with
openpyxl, submitted through the real intake, checked by typed rules, stored in one transaction."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from ledger_fixtures import KEY, OTHER_KEY, UNIT
from supervision_fixtures import CODES, ROW, col, fill, inspection_kind, plan, reported_workspace, submit  # noqa: F401
from ws_fixtures import clean_environment, connect, count, dumps, is_chinese, receipt_summary, run, sheet_rows  # noqa: F401

from xlbridge.ledger.signature import verify
from xlbridge.supervision import layout as S
from xlbridge.supervision.store import TABLES
from xlbridge.supervision.writer import inspection_filename

SUPERVISION = TABLES


@pytest.fixture
def ws(tmp_path: Path):  # type: ignore[no-untyped-def]
    return reported_workspace(tmp_path / "ws")


def test_plan_writes_one_locked_row_per_indicator_with_the_state_of_the_month(ws, tmp_path: Path) -> None:
    path = plan(ws, "2021-06")
    assert path == ws.outbox / "督导检查" / "2021-06" / inspection_filename(UNIT, "2021-06")
    wb = openpyxl.load_workbook(path)
    sheet = wb[S.INSPECTION_SHEET]
    assert [sheet.cell(S.HEADER_ROW, c.index).value for c in S.INSPECTION_COLUMNS] == [c.header for c in S.INSPECTION_COLUMNS]
    assert [sheet.cell(r, col("code")).value for r in ROW.values()] == list(CODES)
    assert sheet.cell(ROW["(13)"] + 1, col("code")).value is None
    with connect(ws.store) as conn:  # the state the store holds for June, 2021 (puyang: six years of rows)
        progress, description = conn.execute(
            "SELECT r.progress, r.description FROM monthly_state ms JOIN rows r ON r.id = ms.row_id"
            " WHERE ms.unit = ? AND ms.month = '2021-06' AND ms.year = 2021 AND ms.indicator_key = '9'", [UNIT]).fetchone()
    assert sheet.cell(ROW["9"], col("progress")).value == progress
    assert sheet.cell(ROW["9"], col("description")).value == description
    assert sheet.cell(ROW["9"], col("reported")).value == "2021-06"
    # 分值: the system gives none, so five equal shares of 100, and the guide says so
    assert [sheet.cell(r, col("points")).value for r in ROW.values()] == ["20"] * 5
    assert any("等权重" in (c.value or "") for c in wb[S.GUIDE_SHEET]["A"])
    # locked pre-filled cells, unlocked inputs, dropdowns from defined names, protection
    assert sheet.protection.sheet
    assert sheet.cell(ROW["9"], col("description")).protection.locked
    for key in ("conclusion", "problem", "deduction", "requirement", "due"):
        assert not sheet.cell(ROW["9"], col(key)).protection.locked, key
    lists = {dv.formula1: dv for dv in sheet.data_validations.dataValidation if dv.type == "list"}
    assert set(lists) == {"检查结论选项"} and "检查结论选项" in wb.defined_names
    assert all(dv.prompt and is_chinese(dv.prompt) for dv in sheet.data_validations.dataValidation if dv.showInputMessage)
    # signed metadata with its own kind, very hidden
    meta_sheet = wb[S.META_SHEET]
    meta = {r[0]: r[1] for r in meta_sheet.iter_rows(values_only=True)}
    assert meta_sheet.sheet_state == "veryHidden"
    assert meta["kind"] == S.KIND and meta["unit"] == UNIT and meta["round"] == "2021-06"
    assert verify(meta, KEY, S.META_KEYS) and not verify(meta, OTHER_KEY, S.META_KEYS)


def test_state_as_of_an_earlier_month_and_a_unit_that_never_reported(tmp_path: Path) -> None:
    ws = reported_workspace(tmp_path / "ws", months=("2021-06",))
    may = openpyxl.load_workbook(plan(ws, "2021-05"))[S.INSPECTION_SHEET]
    assert may.cell(ROW["9"], col("reported")).value == "未报送"
    assert may.cell(ROW["9"], col("progress")).value is None


def test_a_filled_inspection_is_stored_and_opens_an_item(ws, tmp_path: Path) -> None:
    src = plan(ws, "2021-06")
    filled = fill(src, tmp_path / "filled.xlsx", {
        "18": {"conclusion": S.NONCONFORM, "problem": "未公开2021年行政许可事项", "deduction": 5,
               "requirement": "7月底前在门户网站公开", "due": "2021-07-31"},
        "19": {"conclusion": S.MOSTLY, "problem": "材料目录不全", "deduction": 1.5},
    })
    outcome = submit(ws, filled)
    assert outcome.status == "accepted", outcome.summary
    assert outcome.receipt == ws.outbox / "督导检查" / "2021-06" / f"回执_{UNIT}_2021-06_{outcome.submission_id:06d}.xlsx"
    with connect(ws.store) as conn:
        rows = conn.execute("SELECT indicator_key, conclusion, problem, deduction, requirement, due, points"
                            " FROM inspection_rows ORDER BY sheet_row").fetchall()
        items = conn.execute("SELECT unit, indicator_key, round, source, problem, requirement, due, status"
                             " FROM rectification_items").fetchall()
        history = conn.execute("SELECT old_status, new_status, by, source FROM rectification_history").fetchall()
        score = conn.execute("SELECT full_marks, deductions, score, equal_weights FROM scores").fetchone()
        inspection = conn.execute("SELECT unit, round, inspector, inspected_on, signature, status FROM inspections").fetchone()
    assert [r[0] for r in rows] == list(CODES) and rows[1][1:] == (
        "不符合", "未公开2021年行政许可事项", 5.0, "7月底前在门户网站公开", "2021-07-31", 20.0)
    assert items == [(UNIT, "18", "2021-06", "督导检查", "未公开2021年行政许可事项", "7月底前在门户网站公开", "2021-07-31", "待整改")]
    assert history == [(None, "待整改", "李检查", "inspection")]
    assert score == (100.0, 6.5, 93.5, 1)
    assert inspection == (UNIT, "2021-06", "李检查", "2021-06-20", "valid", "accepted")
    summary = receipt_summary(outcome.receipt)
    assert summary["处理结果"] == "已接收" and "新提出 1 项" in summary["整改事项"]
    assert summary["本轮得分"].startswith("93.5")
    assert not (ws.inbox / filled.name).exists()


def test_the_same_bytes_again_are_a_duplicate_and_the_round_only_once(ws, tmp_path: Path) -> None:
    src = plan(ws, "2021-06")
    filled = fill(src, tmp_path / "a.xlsx", {})
    assert submit(ws, filled).status == "accepted"
    again = submit(ws, filled)
    assert again.status == "duplicate" and receipt_summary(again.receipt)["处理结果"].startswith("重复报送")
    other = fill(src, tmp_path / "b.xlsx", {}, inspector="张复查")
    second = submit(ws, other)
    assert second.status == "rejected" and "检查结果已于" in second.summary
    assert count(ws.store, "inspections", "status = 'accepted'") == 1


@pytest.mark.parametrize(("values", "rule", "cell_key"), [
    ({"conclusion": S.NONCONFORM, "requirement": "整改", "due": "2021-07-31"}, "problem-missing", "problem"),
    ({"conclusion": S.NONCONFORM, "problem": "问题", "due": "2021-07-31"}, "requirement-missing", "requirement"),
    ({"conclusion": S.NONCONFORM, "problem": "问题", "requirement": "整改"}, "due-missing", "due"),
    ({"conclusion": S.NONCONFORM, "problem": "问题", "requirement": "整改", "due": "2021-05-31"}, "due-before-round", "due"),
    ({"conclusion": S.NONCONFORM, "problem": "问题", "requirement": "整改", "due": "下月底"}, "due-invalid", "due"),
    ({"conclusion": S.MOSTLY, "problem": "问题", "deduction": 25}, "deduction-over-points", "deduction"),
    ({"conclusion": S.MOSTLY, "problem": "问题", "deduction": "很多"}, "deduction-invalid", "deduction"),
    ({"conclusion": "还行"}, "conclusion-invalid", "conclusion"),
    ({"conclusion": None}, "conclusion-missing", "conclusion"),
])
def test_content_errors_return_the_inspection_and_store_nothing_of_it(ws, tmp_path: Path, values, rule, cell_key) -> None:
    before = dumps(ws.store, ("rows", "submissions"))
    outcome = submit(ws, fill(plan(ws, "2021-06"), tmp_path / "bad.xlsx", {"18": values}))
    assert outcome.status == "rejected"
    with connect(ws.store) as conn:
        found = conn.execute("SELECT rule, sheet, cell, message FROM inspection_findings WHERE severity = 'error'").fetchall()
        assert conn.execute("SELECT COUNT(*) FROM rectification_items").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM inspection_rows").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM scores").fetchone()[0] == 0
    expected_cell = f"{openpyxl.utils.get_column_letter(col(cell_key))}{ROW['18']}"
    assert [(r, s, c) for r, s, c, _ in found] == [(rule, S.INSPECTION_SHEET, expected_cell)]
    assert is_chinese(found[0][3])
    assert dumps(ws.store, ("rows", "submissions")) == before  # the ledger side untouched
    problems = sheet_rows(outcome.receipt, "问题清单")
    assert problems[1][2] == expected_cell and problems[1][3] == rule
    assert receipt_summary(outcome.receipt)["处理结果"].startswith("已退回")


def test_altered_prefilled_cell_or_signature_is_refused(ws, tmp_path: Path) -> None:
    src = plan(ws, "2021-06")
    wb = openpyxl.load_workbook(fill(src, tmp_path / "f.xlsx", {}))
    wb[S.INSPECTION_SHEET].cell(ROW["9"], col("progress"), "已完成（改）")
    wb.save(tmp_path / "tampered.xlsx")
    outcome = submit(ws, tmp_path / "tampered.xlsx")
    assert outcome.status == "rejected" and "锁定" in outcome.summary
    wb = openpyxl.load_workbook(fill(src, tmp_path / "g.xlsx", {}))
    meta = wb[S.META_SHEET]
    meta.cell(S.META_KEYS.index("round") + 1, 2, "2021-08")
    wb.save(tmp_path / "resigned.xlsx")
    outcome = submit(ws, tmp_path / "resigned.xlsx", when=datetime(2021, 6, 22))
    assert outcome.status == "rejected" and "签名" in outcome.summary


def test_an_untouched_inspection_is_blank(ws, tmp_path: Path) -> None:
    outcome = submit(ws, plan(ws, "2021-06"))
    assert outcome.status == "rejected"
    with connect(ws.store) as conn:
        rules = {r for (r,) in conn.execute("SELECT rule FROM inspection_findings")}
    assert "inspection-blank" in rules


def test_cli_plans_and_ingests_an_inspection_beside_a_ledger(ws, tmp_path: Path) -> None:
    from ledger_fixtures import filled_ledger
    from ws_fixtures import run

    result = run("inspect", "plan", "-w", ws.root, "--round", "2021-06", "--as-of", "2021-06-01")
    assert result.exit_code == 0, result.output
    assert "共生成 1 份 2021-06 检查表" in result.output
    planned = ws.outbox / "督导检查" / "2021-06" / inspection_filename(UNIT, "2021-06")
    inspection = fill(planned, ws.inbox / "检查_1.xlsx", {"9": {"conclusion": S.MOSTLY, "problem": "链接失效"}})
    ledger = filled_ledger(tmp_path / "july", header={"period": "2021-07", "filled_on": "2021-07-28", "filled_by": "王伟"})
    (ws.inbox / UNIT).mkdir(exist_ok=True)
    (ws.inbox / UNIT / "7月.xlsx").write_bytes(ledger.read_bytes())
    # two files: prepared by forked worker processes, which tell the kinds apart too
    result = run("ingest", "-w", ws.root, inspection, ws.inbox / UNIT / "7月.xlsx")
    assert result.exit_code == 0, result.output
    assert result.output.count("已接收") == 2
    with connect(ws.store) as conn:
        assert conn.execute("SELECT status FROM inspections").fetchall() == [("accepted",)]
        assert conn.execute("SELECT period FROM submissions ORDER BY id").fetchall()[-1] == ("2021-07",)
    bad = run("inspect", "plan", "-w", ws.root, "--round", "2022-01")
    assert bad.exit_code == 1 and "不在 2021 考核年度内" in bad.output


def test_the_daemon_takes_inspection_workbooks_from_the_inbox(ws, tmp_path: Path) -> None:
    from test_daemon import DaemonProcess

    ws.root.joinpath("xlbridge.toml").write_text(
        ws.root.joinpath("xlbridge.toml").read_text(encoding="utf-8") + "debounce_ms = 300\n", encoding="utf-8")
    good = fill(plan(ws, "2021-06"), tmp_path / "good.xlsx", {"9": {
        "conclusion": S.NONCONFORM, "problem": "链接失效", "requirement": "更新链接", "due": "2021-07-31"}})
    bad = fill(plan(ws, "2021-06"), tmp_path / "bad.xlsx", {"9": {"conclusion": S.NONCONFORM}})
    daemon = DaemonProcess(ws.root).start()
    try:
        for src in (good, bad):  # one burst: the daemon's workers (forkserver) prepare both
            (ws.inbox / src.name).write_bytes(src.read_bytes())
        receipts = ws.outbox / "督导检查" / "2021-06"
        july = ws.outbox / UNIT / f"{UNIT}_2021-07_工作台账.xlsx"  # the month after the unit's latest ledger
        daemon.wait_for(lambda: len(list(receipts.glob("回执_*.xlsx"))) == 2 and not list(ws.inbox.glob("*.xlsx"))
                        and "预填台账" in daemon.log(), "two inspection receipts, the inbox emptied, the next ledger written")
    finally:
        daemon.ensure_stopped()
    with connect(ws.store) as conn:
        assert sorted(conn.execute("SELECT file_name, status FROM inspections").fetchall()) == [
            ("bad.xlsx", "rejected"), ("good.xlsx", "accepted")]
    # the item the inspection opened is in the unit's next ledger, rewritten by the daemon
    items = [[c.value for c in r[:4]] for r in openpyxl.load_workbook(july)["整改"].iter_rows(min_row=3)]
    assert items == [["1", "9", None, "链接失效"]]


def test_an_inspection_taken_by_ingest_rewrites_the_summaries_it_changes(ws, tmp_path: Path) -> None:
    """A round counts for the month it inspected: `xlbridge ingest` (as the daemon) rewrites that
    month's 汇总 and the later ones, whose 得分 and 整改 then show it, with no `consolidate` by hand."""
    filled = fill(plan(ws, "2021-05"), tmp_path / "r.xlsx", {"18": {
        "conclusion": S.NONCONFORM, "problem": "未公开行政许可事项", "deduction": 5, "requirement": "在门户网站公开",
        "due": "2021-07-31"}}, on="2021-05-31")
    inbox = ws.inbox / filled.name
    inbox.write_bytes(filled.read_bytes())
    result = run("ingest", "-w", ws.root, inbox, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [(f["status"], f["period"]) for f in data["files"]] == [("accepted", "2021-05")]
    summaries = [ws.outbox / "汇总" / f"汇总台账_{month}.xlsx" for month in ("2021-05", "2021-06")]
    assert data["consolidated"] == [str(p) for p in summaries]  # not only the latest month
    for path in summaries:
        assert sheet_rows(path, "得分")[3][2] == 95
        assert [(r[0], r[2], r[7]) for r in sheet_rows(path, "整改")[3:]] == [("1", "18", "待整改")]

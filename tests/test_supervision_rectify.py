"""Rectification items: opened by inspections or `xlbridge rectify add`, reviewed in the next
round's 整改复核 sheet (销号 / 未通过), 逾期 once their deadline passes unanswered; every change
kept in rectification_history with who and when."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
from ledger_fixtures import UNIT
from supervision_fixtures import fill, inspection_kind, plan, reported_workspace, review_rows, submit  # noqa: F401
from ws_fixtures import clean_environment, connect, receipt_summary, run  # noqa: F401

from xlbridge.supervision import layout as S

NONCONFORM_18 = {"18": {"conclusion": S.NONCONFORM, "problem": "未公开行政许可事项", "requirement": "在门户网站公开",
                        "due": "2021-07-31"}}


@pytest.fixture
def ws(tmp_path: Path):  # type: ignore[no-untyped-def]
    return reported_workspace(tmp_path / "ws")


def history(ws) -> list[tuple[int, str | None, str, str]]:  # type: ignore[no-untyped-def]
    with connect(ws.store) as conn:
        return conn.execute("SELECT item_id, old_status, new_status, by FROM rectification_history ORDER BY id").fetchall()


def test_rectify_add_records_a_daily_item_and_refuses_what_is_not_the_units(ws) -> None:
    result = run("rectify", "add", "-w", ws.root, "--unit", UNIT, "--indicator", "9", "--problem", "网站栏目未更新",
                 "--requirement", "每月更新", "--due", "2021-07-15", "--by", "王督导")
    assert result.exit_code == 0, result.output
    assert "已记录整改事项 1" in result.output and "待整改" in result.output
    with connect(ws.store) as conn:
        assert conn.execute("SELECT unit, indicator_key, source, round, problem, due, status, created_by"
                            " FROM rectification_items").fetchall() == [
            (UNIT, "9", "日常督导", None, "网站栏目未更新", "2021-07-15", "待整改", "王督导")]
    assert history(ws) == [(1, None, "待整改", "王督导")]
    wrong = run("rectify", "add", "-w", ws.root, "--unit", UNIT, "--indicator", "1", "--problem", "x", "--due", "2021-07-15")
    assert wrong.exit_code == 1 and "不是司法鉴定管理科牵头或配合的指标" in wrong.output
    bad_day = run("rectify", "add", "-w", ws.root, "--unit", UNIT, "--indicator", "9", "--problem", "x", "--due", "7月15日")
    assert bad_day.exit_code == 1 and "格式不对" in bad_day.output
    stranger = run("rectify", "add", "-w", ws.root, "--unit", "不存在的局", "--indicator", "9", "--problem", "x",
                   "--due", "2021-07-15")
    assert stranger.exit_code == 1 and "不在本工作区的报送单位中" in stranger.output


def test_an_item_goes_overdue_once_its_deadline_passes_unanswered(ws) -> None:
    run("rectify", "add", "-w", ws.root, "--unit", UNIT, "--indicator", "9", "--problem", "p", "--due", "2021-07-15")
    before = json.loads(run("rectify", "list", "-w", ws.root, "--json", "--as-of", "2021-07-15").output)
    assert [i["status"] for i in before] == ["待整改"]
    after = run("rectify", "list", "-w", ws.root, "--as-of", "2021-07-16")
    assert "逾期" in after.output and "共 1 项" in after.output
    assert history(ws) == [(1, None, "待整改", "督导检查组"), (1, "待整改", "逾期", "系统")]
    run("rectify", "list", "-w", ws.root, "--as-of", "2021-07-20")
    assert len(history(ws)) == 2  # noticed once


def test_next_round_lists_open_items_closes_one_and_sends_one_back(ws, tmp_path: Path) -> None:
    first = submit(ws, fill(plan(ws, "2021-06"), tmp_path / "r1.xlsx", {
        **NONCONFORM_18,
        "19": {"conclusion": S.NONCONFORM, "problem": "材料目录缺失", "requirement": "补齐目录", "due": "2021-09-30"},
    }))
    assert first.status == "accepted", first.summary
    second_round = plan(ws, "2021-08", today=date(2021, 8, 1))
    listed = review_rows(second_round)
    # item 1 (due 07-31) was not answered: 逾期 when the round is planned; item 2 still 待整改
    assert [(r[0], r[1], r[2], r[3], r[6]) for r in listed] == [
        ("1", "18", "2021-06", "未公开行政许可事项", "逾期"), ("2", "19", "2021-06", "材料目录缺失", "待整改")]
    second = submit(ws, fill(second_round, tmp_path / "r2.xlsx", {}, on="2021-08-20",
                             reviews={0: (S.CLOSE, "已公开，核验通过"), 1: (S.REJECT, "目录仍不完整")}),
                    when=datetime(2021, 8, 21))
    assert second.status == "accepted", second.summary
    with connect(ws.store) as conn:
        assert conn.execute("SELECT id, status FROM rectification_items ORDER BY id").fetchall() == [
            (1, "已销号"), (2, "待整改")]
    assert history(ws) == [
        (1, None, "待整改", "李检查"), (2, None, "待整改", "李检查"), (1, "待整改", "逾期", "系统"),
        (1, "逾期", "已销号", "李检查"), (2, "待整改", "待整改", "李检查")]
    assert "销号 1 项" in receipt_summary(second.receipt)["整改事项"]
    # the third round lists only what is still open
    assert [r[0] for r in review_rows(plan(ws, "2021-10", today=date(2021, 10, 1)))] == ["2"]


def test_a_review_of_an_item_already_closed_is_refused(ws, tmp_path: Path) -> None:
    submit(ws, fill(plan(ws, "2021-06"), tmp_path / "r1.xlsx", NONCONFORM_18))
    august = plan(ws, "2021-08")
    october = plan(ws, "2021-10")  # planned before August came back: it lists item 1 too
    assert submit(ws, fill(august, tmp_path / "r2.xlsx", {}, reviews={0: (S.CLOSE, "")}),
                  when=datetime(2021, 8, 21)).status == "accepted"
    late = submit(ws, fill(october, tmp_path / "r3.xlsx", {}, reviews={0: (S.REJECT, "复查")}),
                  when=datetime(2021, 10, 21))
    assert late.status == "rejected" and "已销号" in late.summary
    with connect(ws.store) as conn:
        assert conn.execute("SELECT status FROM rectification_items").fetchall() == [("已销号",)]


def test_store_export_includes_the_supervision_tables(ws, tmp_path: Path) -> None:
    import csv

    submit(ws, fill(plan(ws, "2021-06"), tmp_path / "r1.xlsx", NONCONFORM_18))
    labelled = run("store", "export", "-w", ws.root, "--out", tmp_path / "out")
    assert labelled.exit_code == 0, labelled.output
    with open(tmp_path / "out" / "整改事项.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["单位"], r["指标标识"], r["问题"], r["整改期限"], r["重点"]) for r in rows] == [
        (UNIT, "18", "未公开行政许可事项", "2021-07-31", "")]
    with open(tmp_path / "out" / "检查结果.csv", encoding="utf-8-sig", newline="") as fh:
        results = list(csv.DictReader(fh))
    assert {r["检查结论"] for r in results} == {"符合", "不符合"} and {r["分值"] for r in results} == {"20.0"}
    raw = run("store", "export", "-w", ws.root, "--out", tmp_path / "raw", "--raw")
    assert raw.exit_code == 0, raw.output
    for table in ("inspections", "inspection_rows", "inspection_findings", "rectification_items",
                  "rectification_history", "scores", "bonuses"):
        assert (tmp_path / "raw" / f"{table}.csv").exists(), table
    assert (tmp_path / "out" / "加分记录.csv").exists()


def test_rectify_close_and_reopen_from_the_command_line_keep_the_history(ws) -> None:
    run("rectify", "add", "-w", ws.root, "--unit", UNIT, "--indicator", "9", "--problem", "网站栏目未更新",
        "--due", "2021-07-15")
    not_closed = run("rectify", "reopen", "-w", ws.root, "--item", "1", "--reason", "复查")
    assert not_closed.exit_code == 1 and "整改事项 1 当前为「待整改」，尚未销号，无需重新打开" in not_closed.output
    unknown = run("rectify", "close", "-w", ws.root, "--item", "7", "--reason", "核验")
    assert unknown.exit_code == 1 and "整改事项 7 不存在" in unknown.output
    blank = run("rectify", "close", "-w", ws.root, "--item", "1", "--reason", "  ")
    assert blank.exit_code == 1 and "请写明原因" in blank.output
    closed = run("rectify", "close", "-w", ws.root, "--item", "1", "--reason", "经网站核验已更新", "--by", "王督导")
    assert closed.exit_code == 0 and "整改事项 1 已销号" in closed.output
    june = ws.outbox / "汇总" / "汇总台账_2021-06.xlsx"  # the latest month's 汇总, rewritten
    assert f"汇总表：{june}" in closed.output and june.exists()
    again = run("rectify", "close", "-w", ws.root, "--item", "1", "--reason", "x")
    assert again.exit_code == 1 and "已于" in again.output and "销号，无需再次销号" in again.output
    bad_due = run("rectify", "reopen", "-w", ws.root, "--item", "1", "--reason", "问题反弹", "--due", "10月底")
    assert bad_due.exit_code == 1 and "格式不对" in bad_due.output
    reopened = run("rectify", "reopen", "-w", ws.root, "--item", "1", "--reason", "复查发现栏目又停更",
                   "--due", "2021-10-31", "--by", "李督导")
    assert reopened.exit_code == 0 and "整改事项 1 已重新打开" in reopened.output and "期限 2021-10-31（待整改）" in reopened.output
    with connect(ws.store) as conn:
        assert conn.execute("SELECT status, due FROM rectification_items").fetchall() == [("待整改", "2021-10-31")]
        trail = conn.execute("SELECT old_status, new_status, by, note, source, at FROM rectification_history"
                             " ORDER BY id").fetchall()
    assert [t[:5] for t in trail] == [
        (None, "待整改", "督导检查组", "提出整改事项", "cli"),
        ("待整改", "已销号", "王督导", "销号：经网站核验已更新", "cli"),
        ("已销号", "待整改", "李督导", "重新打开：复查发现栏目又停更（整改期限由 2021-07-15 改为 2021-10-31）", "cli")]
    assert all(t[5][:4].isdigit() and "T" in t[5] for t in trail)  # when, to the second
    shown = run("rectify", "show", "-w", ws.root, "--item", "1")
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert lines[0] == f"整改事项 1：{UNIT} 指标 9（日常督导）"
    assert "已销号 → 待整改  重新打开：复查发现栏目又停更" in lines[-1] and "李督导" in lines[-1]
    as_json = json.loads(run("rectify", "show", "-w", ws.root, "--item", "1", "--json").output)
    assert [h["new_status"] for h in as_json["history"]] == ["待整改", "已销号", "待整改"]
    # the reopened item is listed again, and goes to the unit's next review sheet
    assert "共 1 项" in run("rectify", "list", "-w", ws.root, "--as-of", "2021-08-01").output
    assert "共 1 项" in run("rectify", "list", "-w", ws.root, "--unit", UNIT).output
    stranger = run("rectify", "list", "-w", ws.root, "--unit", "不存在的局")
    assert stranger.exit_code == 1 and "不在本工作区的报送单位中" in stranger.output

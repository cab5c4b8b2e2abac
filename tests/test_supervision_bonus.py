"""加分项 earn points: recorded in the inspection workbook's 加分 / 加分依据 cells (checked like its
扣分: not negative, not above the item's 分值, only on a 加分项, with a reason) or by
`xlbridge bonus add` outside a round; the awards of an item add up within its 分值, all of them
within the system's bonus_cap; the score CLI, the 汇总's 得分 sheet and the 通报 show them with
their reasons. On a real system file, real workbooks, the real intake and store."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from ledger_fixtures import UNIT
from supervision_fixtures import ROW, col, fill, inspection_kind, submit, system_workspace  # noqa: F401
from test_supervision_scoring import scored_system
from ws_fixtures import clean_environment, connect, receipt_summary, run, sheet_rows  # noqa: F401

from xlbridge.ledger import layout as L
from xlbridge.service import store as service_store
from xlbridge.supervision import layout as S
from xlbridge.supervision import store
from xlbridge.supervision.plan import plan_round
from xlbridge.supervision.scoring import full_marks, score
from xlbridge.system.files import load_system
from xlbridge.system.model import IndicatorSystem

BONUS_ROWS = {**ROW, "加1": ROW["(13)"] + 1, "加2": ROW["(13)"] + 2, "减1": ROW["(13)"] + 3}
AWARD = {"conclusion": S.CONFORM, "bonus": 2, "bonus_reason": "获省司法厅通报表扬（豫司〔2021〕12号）"}


def bonus_system(bonus_cap: float | None = 4.0) -> IndicatorSystem:
    """scored_system with UNIT also leading 加1 (at most 3) and 加2 (1 a case, at most 2)."""
    base = scored_system()
    caps = {"加1": {"cap": 3.0}, "加2": {"score": 1.0, "cap": 2.0}}
    data = base.model_dump(exclude={"indicators"})
    indicators = [i.model_copy(update={"lead": [UNIT], **caps[i.key]}) if i.key in caps else i for i in base.indicators]
    return IndicatorSystem.model_validate({**data, "version": "bonus", "bonus_cap": bonus_cap,
                                           "indicators": [i.model_dump(exclude={"targets"}) for i in indicators]})


@pytest.fixture
def ws(tmp_path: Path):  # type: ignore[no-untyped-def]
    return system_workspace(tmp_path, bonus_system())


def planned(ws, round_: str = "2021-06") -> Path:  # type: ignore[no-untyped-def]
    db = service_store.open_store(ws.store)
    try:
        [path] = plan_round(ws, db, round_)
    finally:
        db.close()
    return path


def test_awards_add_up_within_each_items_points_and_the_systems_cap() -> None:
    system = bonus_system(bonus_cap=4.0)
    marks = full_marks(system, UNIT)
    assert marks.bonuses == {"加1", "加2"} and (marks.points["加1"], marks.points["加2"]) == (3.0, 2.0)
    assert "加分项在规定分值内加分，加分合计不超过 4 分" in marks.note
    result = score(system, UNIT, [("18", 10.0, "未公开")],
                   [("加1", 2.0, "表彰", "2021-06"), ("加1", 2.0, "又一次表彰", "2021-08"), ("加2", 2.0, "经验推广", "2021-08")])
    # 加1: 2, then only 1 left of its 3; 加2: its 2 would pass the total cap of 4, so 1
    assert [(b.code, b.points, b.awarded) for b in result.bonuses] == [("加1", 2.0, 2.0), ("加1", 1.0, 2.0),
                                                                      ("加2", 1.0, 2.0)]
    assert result.bonus == 4.0 and result.score == 100 - 10 + 4 and result.full_marks == 100.0
    # full marks never include a 加分项, and a deduction typed against one never counts
    assert score(system, UNIT, [("加1", 3.0, "x")]).score == 100.0
    uncapped = score(bonus_system(bonus_cap=None), UNIT, [], [("加1", 3.0, "a", "2021-06"), ("加2", 2.0, "b", "2021-06")])
    assert uncapped.score == 105.0


def test_the_shipped_systems_bonus_items_carry_no_points_and_the_note_says_so() -> None:
    puyang = load_system("puyang-2020")
    marks = full_marks(puyang, "规范性文件管理科")  # it leads 加1 and 加2, printed without 分值
    assert not marks.bonuses and "加分项（加1、加2）未规定分值，不计分" in marks.note
    assert score(puyang, "规范性文件管理科", [], [("加1", 2.0, "表彰", "2021-06")]).bonus == 0.0
    assert full_marks(puyang, UNIT).note == marks.note  # UNIT has none: one note for every unit, said once


def test_the_workbook_records_bonus_checked_like_deductions(ws, tmp_path: Path) -> None:
    path = planned(ws)
    sheet = openpyxl.load_workbook(path)[S.INSPECTION_SHEET]
    assert [sheet.cell(BONUS_ROWS[c], col("code")).value for c in ("加1", "加2")] == ["加1", "加2"]
    assert [sheet.cell(BONUS_ROWS[c], col("points")).value for c in ("加1", "加2")] == ["3", "2"]
    assert [sheet.cell(S.HEADER_ROW, col(k)).value for k in ("bonus", "bonus_reason")] == ["加分", "加分依据"]
    for key in ("bonus", "bonus_reason"):  # open on a 加分项's row; locked and grey on the others
        assert not sheet.cell(BONUS_ROWS["加1"], col(key)).protection.locked
        assert sheet.cell(BONUS_ROWS["18"], col(key)).protection.locked and sheet.cell(BONUS_ROWS["减1"], col(key)).protection.locked
        assert sheet.cell(BONUS_ROWS["18"], col(key)).fill.fgColor.rgb.endswith(L.LOCKED_FILL)
    prompts = {dv.promptTitle: dv for dv in sheet.data_validations.dataValidation}
    assert prompts["加分"].type == "decimal" and "加分项" in prompts["加分"].prompt
    refused = {
        "over": ({"加1": {**AWARD, "bonus": 5}}, "加分 5 超过本加分项还可加的 3 分"),
        "normal": ({"18": {**AWARD}}, "本指标不是加分项，不能加分"),
        "reason": ({"加1": {"conclusion": S.CONFORM, "bonus": 1}}, "加分的，请写明加分依据"),
        "negative": ({"加1": {**AWARD, "bonus": -1}}, "加分「-1」不是不小于 0 的数字"),
        "deducted": ({"加1": {"conclusion": S.CONFORM, "deduction": 1}}, "加分项不扣分"),
    }
    for name, (values, message) in refused.items():
        out = submit(ws, fill(path, tmp_path / f"{name}.xlsx", values, rows=BONUS_ROWS))
        assert out.status == "rejected" and message in out.summary, (name, out.summary)
    with connect(ws.store) as conn:
        assert conn.execute("SELECT COUNT(*) FROM bonuses").fetchone() == (0,)  # nothing of a returned workbook
    ok = submit(ws, fill(path, tmp_path / "ok.xlsx", {
        "19": {"conclusion": S.MOSTLY, "problem": "目录不全", "deduction": 5}, "加1": AWARD}, rows=BONUS_ROWS),
        when=datetime(2021, 6, 22))
    assert ok.status == "accepted", ok.summary
    receipt = receipt_summary(ok.receipt)
    assert receipt["加分"] == f"指标 加1 加 2 分：{AWARD['bonus_reason']}" and receipt["本轮得分"] == "97（满分 100，扣 5 分，加 2 分）"
    with connect(ws.store) as conn:
        assert conn.execute("SELECT indicator_key, month, bonus, bonus_reason, source, created_by FROM bonuses").fetchall() == [
            ("加1", "2021-06", 2.0, AWARD["bonus_reason"], "督导检查", "李检查")]
        assert conn.execute("SELECT bonus, bonus_reason FROM inspection_rows WHERE indicator_key = '加1'").fetchone() == (
            2.0, AWARD["bonus_reason"])
        assert conn.execute("SELECT deductions, bonus, score FROM scores").fetchone() == (5.0, 2.0, 97.0)
    unit = json.loads(run("score", "-w", ws.root, "--period", "2021-06", "--json").output)["units"][0]
    assert (unit["score"], unit["bonus"]) == (97.0, 2.0)
    assert unit["bonuses"] == [{"code": "加1", "points": 2.0, "reason": AWARD["bonus_reason"], "awarded": 2.0,
                                "month": "2021-06"}]


def test_bonus_add_outside_a_round_counts_from_its_month_within_the_caps(ws, tmp_path: Path) -> None:
    path = planned(ws)
    assert submit(ws, fill(path, tmp_path / "r1.xlsx", {"加1": AWARD}, rows=BONUS_ROWS)).status == "accepted"
    cli = ("bonus", "add", "-w", ws.root, "--unit", UNIT)
    for args, message in (
        (("--indicator", "18", "--points", "1", "--reason", "x", "--period", "2021-07"), "指标「18」不是司法鉴定管理科的加分项"),
        (("--indicator", "加2", "--points", "3", "--reason", "x", "--period", "2021-07"), "不超过加分项「加2」的分值 2"),
        (("--indicator", "加2", "--points", "0", "--reason", "x", "--period", "2021-07"), "应大于 0"),
        (("--indicator", "加2", "--points", "1", "--reason", " ", "--period", "2021-07"), "请写明加分依据"),
        (("--indicator", "加2", "--points", "1", "--reason", "x", "--period", "2022-01"), "不在 2021 考核年度内"),
    ):
        result = run(*cli, *args)
        assert result.exit_code == 1 and message in result.output, (args, result.output)
    over = run(*cli, "--indicator", "加1", "--points", "2", "--reason", "经验在全省推广", "--period", "2021-08")
    assert over.exit_code == 1 and "加分 2 超过加分项「加1」还可加的 1 分（分值 3，已加 2 分）" in over.output
    added = run(*cli, "--indicator", "加1", "--points", "1", "--reason", "经验在全省推广", "--period", "2021-08",
                "--by", "王督导")
    assert added.exit_code == 0 and "已记录加分" in added.output and "加 1 分" in added.output
    june = run("score", "-w", ws.root, "--period", "2021-07").output
    assert "102 / 100（2021-06 检查，含加分 2）" in june and "加 2 分：指标 加1" in june
    assert "103 / 100（2021-06 检查，含加分 3）" in run("score", "-w", ws.root, "--period", "2021-08").output
    # 加2 (分值 2) takes 2, but the system's bonus_cap of 4 leaves 1 of them: the score says so
    assert run(*cli, "--indicator", "加2", "--points", "2", "--reason", "做法被推广", "--period", "2021-08").exit_code == 0
    august = run("score", "-w", ws.root, "--period", "2021-08").output
    assert "104 / 100（2021-06 检查，含加分 4）" in august
    assert "加 1 分：指标 加2，做法被推广（2021-08，记 2 分，超出上限按 1 分计）" in august
    listed = json.loads(run("bonus", "list", "-w", ws.root, "--json").output)
    assert [(b["id"], b["source"], b["created_by"]) for b in listed] == [
        (1, "督导检查", "李检查"), (2, "日常督导", "王督导"), (3, "日常督导", "督导检查组")]
    # revoked: kept with who, when and why, and no longer counted
    revoked = run("bonus", "revoke", "-w", ws.root, "--id", "2", "--reason", "推广文件不属本单位", "--by", "李督导")
    assert revoked.exit_code == 0 and "已撤销" in revoked.output
    twice = run("bonus", "revoke", "-w", ws.root, "--id", "2", "--reason", "x")
    assert twice.exit_code == 1 and "已于" in twice.output and "由李督导撤销" in twice.output
    unknown = run("bonus", "revoke", "-w", ws.root, "--id", "9", "--reason", "x")
    assert unknown.exit_code == 1 and "加分记录 9 不存在" in unknown.output
    assert "104 / 100（2021-06 检查，含加分 4）" in run("score", "-w", ws.root, "--period", "2021-08").output  # 2 + 2
    text = run("bonus", "list", "-w", ws.root).output
    assert "由李督导撤销：推广文件不属本单位" in text and "共 3 项" in text


def test_the_next_round_shows_what_was_awarded_and_checks_what_is_left(ws, tmp_path: Path) -> None:
    assert submit(ws, fill(planned(ws), tmp_path / "r1.xlsx", {"加1": AWARD}, rows=BONUS_ROWS)).status == "accepted"
    august = planned(ws, "2021-08")
    sheet = openpyxl.load_workbook(august)[S.INSPECTION_SHEET]
    assert sheet.cell(S.HEADER_ROW, col("awarded")).value == "已加分"
    assert [sheet.cell(BONUS_ROWS[c], col("awarded")).value for c in ("加1", "加2", "18")] == ["2", None, None]
    assert sheet.cell(BONUS_ROWS["加1"], col("awarded")).protection.locked  # signed with the rest
    over = submit(ws, fill(august, tmp_path / "over.xlsx", {"加1": AWARD}, on="2021-08-20", rows=BONUS_ROWS),
                  when=datetime(2021, 8, 21))
    assert over.status == "rejected" and "加分 2 超过本加分项还可加的 1 分（分值减已加分）" in over.summary
    ok = submit(ws, fill(august, tmp_path / "ok.xlsx", {"加1": {**AWARD, "bonus": 1, "bonus_reason": "再获表彰"}},
                         on="2021-08-20", rows=BONUS_ROWS), when=datetime(2021, 8, 22))
    assert ok.status == "accepted", ok.summary
    unit = json.loads(run("score", "-w", ws.root, "--period", "2021-08", "--json").output)["units"][0]
    assert (unit["round"], unit["bonus"], unit["score"]) == ("2021-08", 3.0, 103.0)


def test_the_summary_and_the_bulletin_show_bonus_with_its_reason(ws, tmp_path: Path) -> None:
    path = planned(ws)
    assert submit(ws, fill(path, tmp_path / "r1.xlsx", {"加1": AWARD}, rows=BONUS_ROWS)).status == "accepted"
    # an award outside the round rewrites the 汇总 of its month (and the later ones), as a submission does
    result = run("bonus", "add", "-w", ws.root, "--unit", UNIT, "--indicator", "加2", "--points", "1", "--reason",
                 "经验推广", "--period", "2021-06")
    summary = ws.outbox / "汇总" / "汇总台账_2021-06.xlsx"
    assert result.exit_code == 0 and f"汇总表：{summary}" in result.output, result.output
    scores = sheet_rows(summary, "得分")
    assert scores[2][6] == "加分及理由" and "加分合计不超过 4 分" in scores[0][0]
    assert scores[3][2] == 103 and f"加 2 分：指标 加1，{AWARD['bonus_reason']}" in scores[3][6]
    assert "加 1 分：指标 加2，经验推广" in scores[3][6]
    revoked = run("bonus", "revoke", "-w", ws.root, "--id", "2", "--reason", "重复记录")
    assert f"汇总表：{summary}" in revoked.output and sheet_rows(summary, "得分")[3][2] == 102
    out = tmp_path / "通报.docx"
    assert run("bulletin", "-w", ws.root, "--quarter", "2021Q2", "-o", out).exit_code == 0
    doc = Document(str(out))
    table = [[c.text for c in row.cells] for row in doc.tables[1].rows]
    assert table[0][:5] == ["名次", "单位", "得分", "满分", "加分"] and table[1][:5] == ["1", UNIT, "102", "100", "2"]
    assert f"加分情况：{UNIT}（指标 加1）加 2 分，{AWARD['bonus_reason']}。" in [p.text for p in doc.paragraphs]


def test_a_store_from_before_bonus_gains_its_columns(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with sqlite3.connect(path) as conn:  # the supervision tables as the first release made them
        conn.execute("CREATE TABLE inspection_rows (id INTEGER PRIMARY KEY, inspection_id INTEGER, indicator_key TEXT,"
                     " deduction FLOAT)")
        conn.execute("CREATE TABLE scores (id INTEGER PRIMARY KEY, score FLOAT)")
        conn.execute("INSERT INTO scores (score) VALUES (89.0)")
        conn.execute("CREATE TABLE rectification_items (id INTEGER PRIMARY KEY, status TEXT)")
    db = service_store.open_store(path)
    try:
        assert store.has_tables(db)  # the group had started: its items still reach ledgers and receipts
        store.ensure_tables(db)
        assert {"bonus", "bonus_reason"} <= set(db["inspection_rows"].columns_dict)
        assert "bonus" in db["scores"].columns_dict and "bonuses" in db.table_names()
        assert [r["score"] for r in db["scores"].rows] == [89.0]
    finally:
        db.close()

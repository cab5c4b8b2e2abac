"""`xlbridge status`: one month per unit (reported or not, on time or late, findings, who to
call) from a real store filled by the ingest pipeline, as text and as JSON; without --period the
list of every submission plus the latest month."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from ledger_fixtures import HEADER, edited, filled_ledger, set_cells
from ws_fixtures import clean_environment, drop, ingest, make_workspace, run, sheet_rows  # noqa: F401  (an autouse fixture)

from xlbridge.ledger.sample import clerk_answer
from xlbridge.service.workspace import Workspace
from xlbridge.system.files import load_system

SYSTEM = "puyang-2020"
ON_TIME_UNIT = "司法鉴定管理科"
LATE_UNIT = "法律援助工作科"
MAY_ONLY_UNIT = "法治调研科"  # reported May, not June: June counts its May figures
REJECTED_UNIT = "基层工作指导科"  # June's file altered a locked cell
SILENT_UNIT = "办公室"  # never reported
UNITS = [ON_TIME_UNIT, LATE_UNIT, MAY_ONLY_UNIT, REJECTED_UNIT, SILENT_UNIT]
JUNE = {**HEADER, "period": "2021-06", "filled_on": "2021-06-28"}


def contact(unit: str) -> tuple[str, str]:
    """The 责任人 and phone the sample clerk of ``unit`` writes on every row."""
    system = load_system(SYSTEM)
    answer = clerk_answer(system, unit)(2021, system.assigned(unit)[0].code)
    return answer["person"], answer["phone"]


@pytest.fixture(scope="module")
def june(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("status")
    ws = make_workspace(root / "ws", expected_units=UNITS, deadline_day=3)
    src = root / "ledgers"
    arrivals: list[tuple[Path, str, datetime]] = [
        (filled_ledger(src, unit=MAY_ONLY_UNIT, name="m5.xlsx"), f"{MAY_ONLY_UNIT}/5.xlsx", datetime(2021, 5, 30, 9)),
        (filled_ledger(src, unit=ON_TIME_UNIT, header=JUNE, name="a6.xlsx"), f"{ON_TIME_UNIT}/6.xlsx",
         datetime(2021, 7, 2, 17, 30)),  # before the 3rd of July: on time
        (filled_ledger(src, unit=LATE_UNIT, header=JUNE, name="b6.xlsx"), f"{LATE_UNIT}/6.xlsx",
         datetime(2021, 7, 5, 8, 0)),
        (edited(filled_ledger(src, unit=REJECTED_UNIT, header=JUNE, name="r6.xlsx"), src / "r6-bad.xlsx",
                set_cells({"D5": "（改写）"})), f"{REJECTED_UNIT}/6.xlsx", datetime(2021, 6, 30, 12)),
    ]
    for path, relative, when in arrivals:
        ingest(ws, drop(ws, path, relative, when=when))
    return ws


def by_unit(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {u["unit"]: u for u in data["units"]}


def test_status_of_a_month_as_json(june: Workspace) -> None:
    result = run("status", "-w", june.root, "--period", "2021-06", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["period"], data["deadline"]) == ("2021-06", "2021-07-03")
    assert data["counts"] == {"on_time": 1, "late": 1, "rejected": 1, "missing": 1 + 1}
    units = by_unit(data)
    assert list(units) == UNITS  # the workspace's expected units, in its order
    states = {u: (v["state"], v["state_label"], v["reported"]) for u, v in units.items()}
    assert states == {ON_TIME_UNIT: ("on_time", "按时报送", True), LATE_UNIT: ("late", "逾期报送", True),
                      MAY_ONLY_UNIT: ("missing", "未报送", False), REJECTED_UNIT: ("rejected", "已退回", False),
                      SILENT_UNIT: ("missing", "未报送", False)}
    for unit in (ON_TIME_UNIT, LATE_UNIT):
        person, phone = contact(unit)
        assert (units[unit]["filled_by"], units[unit]["person"], units[unit]["phone"]) == ("王伟", person, phone)
        assert units[unit]["counted_from"] == "2021-06"
        assert (units[unit]["errors"], units[unit]["warnings"]) == (0, 0)
        assert units[unit]["done"] > 0 and units[unit]["expected_rows"] >= units[unit]["done"]
    assert units[LATE_UNIT]["received_at"].startswith("2021-07-05T08:00")
    # June's figures of the May-only unit are May's: who to call comes from there.
    assert (units[MAY_ONLY_UNIT]["counted_from"], units[MAY_ONLY_UNIT]["phone"]) == ("2021-05", contact(MAY_ONLY_UNIT)[1])
    assert units[MAY_ONLY_UNIT]["submission_id"] is None
    assert units[REJECTED_UNIT]["errors"] >= 1 and units[REJECTED_UNIT]["reason"]
    assert units[SILENT_UNIT]["counted_from"] is None and units[SILENT_UNIT]["phone"] is None
    assert "\\u" not in result.output  # Chinese as it is


def test_status_of_a_month_as_text(june: Workspace) -> None:
    result = run("status", "-w", june.root, "--period", "2021-6")
    assert result.exit_code == 0, result.output
    first, *lines, last = result.output.splitlines()
    assert first == "2021-06 报送情况（截止 2021-07-03 前）：应报 5 个单位，按时报送 1，逾期报送 1，已退回 1，未报送 2"
    line = dict(zip(UNITS, lines, strict=True))
    person, phone = contact(ON_TIME_UNIT)
    assert line[ON_TIME_UNIT].startswith(f"   1. {ON_TIME_UNIT}  按时报送  2021-07-02 17:30  错误 0 警告 0")
    assert f"本月报送  填表人 王伟  责任人 {person}  联系电话 {phone}" in line[ON_TIME_UNIT]
    assert "逾期报送  2021-07-05 08:00" in line[LATE_UNIT]
    assert "未报送  —  —" in line[MAY_ONLY_UNIT] and "沿用 2021-05" in line[MAY_ONLY_UNIT]
    assert f"联系电话 {contact(MAY_ONLY_UNIT)[1]}" in line[MAY_ONLY_UNIT]
    assert "已退回" in line[REJECTED_UNIT] and "退回原因：" in line[REJECTED_UNIT]
    assert "尚无被接收的报送  填表人 —  责任人 —  联系电话 —" in line[SILENT_UNIT]
    assert last == f"本月未报送（含已退回）：{MAY_ONLY_UNIT}、{REJECTED_UNIT}、{SILENT_UNIT}"


def test_status_without_a_period_adds_the_latest_month(june: Workspace) -> None:
    text = run("status", "-w", june.root).output
    head, month = text.split("\n\n")
    assert head.splitlines()[0] == "待处理 0，已接收 3，已退回 1"
    assert month.startswith("2021-06 报送情况")
    data = json.loads(run("status", "-w", june.root, "--json").output)
    assert [s["status"] for s in data["submissions"]] == ["accepted", "accepted", "accepted", "rejected"]
    assert data["month"] == json.loads(run("status", "-w", june.root, "--period", "2021-06", "--json").output)


def test_status_of_a_month_never_reported_and_a_bad_month(june: Workspace) -> None:
    data = json.loads(run("status", "-w", june.root, "--period", "2021-03", "--json").output)
    assert {u["state"] for u in data["units"]} == {"missing"}
    bad = run("status", "-w", june.root, "--period", "6月")
    assert bad.exit_code == 1 and "报送月份「6月」格式不对" in bad.output
    other_year = run("status", "-w", june.root, "--period", "2020-06")
    assert other_year.exit_code == 0  # the campaign is the reporting year's unless the workspace fixes it


def test_status_and_the_months_workbook_agree(june: Workspace) -> None:
    """The command and the 汇总's 总览 sheet say the same of every unit (one computation)."""
    data = json.loads(run("consolidate", "-w", june.root, "--period", "2021-06", "--json").output)
    rows = sheet_rows(Path(data["workbooks"][0]["path"]), "总览")
    header = next(r for r in rows if r and r[0] == "序号")
    table = [dict(zip(header, r)) for r in rows[rows.index(header) + 1:] if r and r[1]]
    units = by_unit(json.loads(run("status", "-w", june.root, "--period", "2021-06", "--json").output))
    assert [(r["单位"], r["状态"], r["已完成"], r["错误"]) for r in table] == \
        [(u, v["state_label"], v["done"], v["errors"] or 0) for u, v in units.items()]
    assert data["workbooks"][0]["counts"] == {"on_time": 1, "late": 1, "rejected": 1, "missing": 2}

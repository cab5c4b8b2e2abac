"""The scoring method on a system that gives 分值, level-1 weights and a 减分项 with a cap — none of
the shipped systems does yet — and on one that gives none (equal weights summing to 100)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
from ledger_fixtures import UNIT
from supervision_fixtures import ROW, col, fill, inspection_kind, submit, system_workspace  # noqa: F401
from ws_fixtures import clean_environment, connect, drop, run  # noqa: F401

from xlbridge.service import store
from xlbridge.supervision import layout as S
from xlbridge.supervision.plan import plan_round
from xlbridge.supervision.scoring import full_marks, score
from xlbridge.system.files import load_system
from xlbridge.system.model import IndicatorSystem, Level1

POINTS = {"9": 30.0, "18": 30.0, "19": 20.0, "(12)": 10.0, "(13)": 10.0}
LEVEL1 = ("一、政府职能依法全面履行", "（一）服务型行政执法建设整体推进")


def scored_system(weights: dict[str, float] | None = None, penalty_cap: float | None = None) -> IndicatorSystem:
    """puyang-2020 with 分值 on UNIT's indicators and UNIT leading 减1 (2 a case, at most 5)."""
    base = load_system("puyang-2020")
    indicators = []
    for ind in base.indicators:
        if ind.key in POINTS:
            ind = ind.model_copy(update={"score": POINTS[ind.key]})
        elif ind.key == "减1":
            ind = ind.model_copy(update={"lead": [UNIT], "score": 2.0, "cap": 5.0})
        indicators.append(ind)
    # Validated afresh: a model_copy would keep the base's cached assignments (of its own indicators)
    data = base.model_dump(exclude={"indicators"})
    return IndicatorSystem.model_validate({
        **data, "version": "scored", "penalty_cap": penalty_cap,
        "indicators": [i.model_dump(exclude={"targets"}) for i in indicators],
        "level1_scores": [Level1(name=n, weight=w).model_dump() for n, w in (weights or {}).items()]})


def test_equal_weights_when_the_system_gives_no_points() -> None:
    marks = full_marks(load_system("jinfeng-2020"), "司法局")
    normal = [p for p in marks.points.values() if p is not None]
    assert marks.equal_weights and round(sum(normal), 2) == 100.0 and "等权重" in marks.note
    assert len({p for p in normal}) <= 2  # equal shares, the last taking the rounding remainder


def test_system_points_and_a_capped_penalty() -> None:
    system = scored_system(penalty_cap=3.0)
    marks = full_marks(system, UNIT)
    assert not marks.equal_weights and marks.points["9"] == 30.0 and marks.points["减1"] == 5.0
    assert marks.penalties == {"减1"} and "规定的分值" in marks.note
    result = score(system, UNIT, [("18", 40.0, "超过分值的扣分按分值计"), ("(12)", 4.0, "服务指南未更新"),
                                  ("减1", 5.0, "编造材料")])
    assert result.full_marks == 100.0
    assert [(d.code, d.points) for d in result.deductions] == [("18", 30.0), ("(12)", 4.0), ("减1", 5.0)]
    assert result.subtotals == [{"level1": LEVEL1[0], "full_marks": 80.0, "score": 50.0},
                                {"level1": LEVEL1[1], "full_marks": 20.0, "score": 16.0}]
    assert result.score == 100 - 30 - 4 - 3  # the penalties within the system's cap of 3


def test_level1_weights_scale_each_share() -> None:
    system = scored_system(weights={LEVEL1[0]: 60.0, LEVEL1[1]: 20.0})
    result = score(system, UNIT, [("18", 30.0, "x"), ("(12)", 10.0, "y")])
    # 一: 50/80 of its 60; （一）: 10/20 of its 20; scaled to 100 over the weights 80
    assert result.score == round(100 * (60 / 80 * 50 / 80 + 20 / 80 * 10 / 20), 2)
    assert "权重" in full_marks(system, UNIT).note


def test_the_workbook_shows_the_systems_points_and_checks_deductions_against_them(tmp_path: Path) -> None:
    ws = system_workspace(tmp_path, scored_system())
    db = store.open_store(ws.store)
    try:
        [planned] = plan_round(ws, db, "2021-06")
    finally:
        db.close()
    sheet = openpyxl.load_workbook(planned)[S.INSPECTION_SHEET]
    assert [sheet.cell(r, col("points")).value for r in ROW.values()] == ["30", "30", "20", "10", "10"]
    assert sheet.cell(ROW["(13)"] + 1, col("code")).value == "减1"
    assert sheet.cell(ROW["(13)"] + 1, col("points")).value == "5"
    rows = {**ROW, "减1": ROW["(13)"] + 1}  # UNIT leads 减1 here: a sixth row
    over = submit(ws, fill(planned, tmp_path / "over.xlsx", {"19": {"conclusion": S.MOSTLY, "problem": "p", "deduction": 25}},
                           rows=rows))
    assert over.status == "rejected" and "超过本指标分值 20" in over.summary
    ok = submit(ws, fill(planned, tmp_path / "ok.xlsx", {"19": {"conclusion": S.MOSTLY, "problem": "p", "deduction": 5}},
                         rows=rows), when=datetime(2021, 6, 22))
    assert ok.status == "accepted", ok.summary
    with connect(ws.store) as conn:
        assert conn.execute("SELECT full_marks, deductions, score, equal_weights FROM scores").fetchone() == (100.0, 5.0, 95.0, 0)


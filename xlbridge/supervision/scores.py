"""Scores as of a month, per unit (the method: scoring.py). A unit's score is its latest accepted
inspection of the campaign up to that month: its indicators' full marks less the deductions that
inspection recorded, each within its indicator's marks; by level-1 indicator too; plus every bonus
awarded in the campaign up to that month (within the caps). Units are
ranked by score (equal scores share a rank); a unit not yet inspected has no score and no rank."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import sqlite_utils

from xlbridge.supervision import store
from xlbridge.supervision.scoring import Bonus, Deduction, full_marks, score
from xlbridge.system.model import IndicatorSystem


@dataclass
class UnitScore:
    unit: str
    round: str | None  # the inspection the score comes from; None: not inspected yet
    full_marks: float
    score: float | None
    method: str
    subtotals: list[dict[str, Any]] = field(default_factory=list)  # level1, full_marks, score
    deductions: list[Deduction] = field(default_factory=list)
    rank: int | None = None
    bonuses: list[Bonus] = field(default_factory=list)  # awards with what each counts for
    bonus: float = 0.0  # their sum, in the score

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def unit_scores(db: sqlite_utils.Database, system: IndicatorSystem, campaign: int, period: str,
                units: list[str]) -> list[UnitScore]:
    store.ensure_tables(db)
    scores = [_unit_score(db, system, campaign, period, unit) for unit in units]
    ranked = sorted((s for s in scores if s.score is not None), key=lambda s: -s.score)  # type: ignore[operator]
    for n, s in enumerate(ranked):
        s.rank = ranked[n - 1].rank if n and ranked[n - 1].score == s.score else n + 1
    return sorted(scores, key=lambda s: (s.rank is None, s.rank or 0, s.unit))


def _unit_score(db: sqlite_utils.Database, system: IndicatorSystem, campaign: int, period: str, unit: str) -> UnitScore:
    marks = full_marks(system, unit)
    latest = db.execute(
        "SELECT id, round FROM inspections WHERE status = 'accepted' AND system_id = ? AND campaign = ? AND unit = ?"
        " AND round <= ? ORDER BY round DESC, id DESC LIMIT 1", [system.id, campaign, unit, period]).fetchone()
    rows = db.execute("SELECT indicator_key, deduction, COALESCE(NULLIF(problem, ''), conclusion) FROM inspection_rows"
                      " WHERE inspection_id = ? ORDER BY sheet_row", [latest[0] if latest else 0]).fetchall()
    result = score(system, unit, rows, awards(db, system.id, campaign, unit, period))
    if latest is None:
        return UnitScore(unit, None, result.full_marks, None, marks.note, bonuses=result.bonuses, bonus=result.bonus)
    return UnitScore(unit, latest[1], result.full_marks, result.score, marks.note, result.subtotals, result.deductions,
                     bonuses=result.bonuses, bonus=result.bonus)


def awards(db: sqlite_utils.Database, system_id: str, campaign: int, unit: str, period: str) -> list[tuple[str, float, str, str]]:
    """The unit's bonus awards up to ``period``, as scoring.score takes them."""
    return [(b["indicator_key"], b["bonus"], b["bonus_reason"], b["month"])
            for b in store.bonuses(db, system_id, campaign, unit, period)]

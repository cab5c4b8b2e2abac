"""The scoring method, one place for the inspection workbook's 分值, the scores table and
`xlbridge score`.

Full marks (分值) of a unit's normal (常规) indicators are the system's ``score`` when it gives one
for each of them; otherwise (every shipped system today) they share 100 equally, rounded to two
decimals, the last taking the remainder so they sum to exactly 100, and the output says so.
A 减分项's 分值 is the most it can deduct (its ``cap``, else its ``score``); a 加分项 carries none here:
the inspection workbook records deductions only.

A unit's score from one inspection: per level-1 indicator, its full marks less the deductions
recorded (each within its indicator's 分值); summed, or — where the system weights every one of
the unit's level-1 indicators (占总分值的15%) — each level-1's share of its marks times its weight,
scaled to 100 over the unit's weights; then less the 减分项 deductions (within the system's
``penalty_cap``), never below 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from xlbridge.system.model import IndicatorSystem, Kind

TOTAL = 100.0
EQUAL_NOTE = "指标体系未规定分值：本单位各常规指标按等权重折算，合计 100 分；加分项不计分"
SYSTEM_NOTE = "按指标体系规定的分值计分；加分项不计分"
WEIGHTED_NOTE = "，一级指标按规定权重折算为 100 分"


@dataclass(frozen=True)
class Marks:
    points: dict[str, float | None]  # indicator key → 分值; None: carries no marks
    equal_weights: bool
    penalties: frozenset[str] = frozenset()  # 减分项: their 分值 is the most they deduct, not full marks
    level1_weights: dict[str, float] = field(default_factory=dict)  # only when the system weights each of them

    @property
    def note(self) -> str:
        return (EQUAL_NOTE if self.equal_weights else SYSTEM_NOTE) + (WEIGHTED_NOTE if self.level1_weights else "")


@dataclass
class Deduction:
    code: str
    points: float
    reason: str


@dataclass
class Result:
    full_marks: float
    score: float
    subtotals: list[dict[str, object]]  # level1, full_marks, score
    deductions: list[Deduction]


def full_marks(system: IndicatorSystem, unit: str) -> Marks:
    assigned = system.assigned(unit)
    normal = [i for i in assigned if i.kind is Kind.normal]
    points: dict[str, float | None] = {i.key: None for i in assigned}
    equal = not normal or any(i.score is None for i in normal)
    if not equal:
        points.update({i.key: float(i.score) for i in normal})  # type: ignore[arg-type]
    elif normal:
        share = round(TOTAL / len(normal), 2)
        points.update({i.key: share for i in normal})
        points[normal[-1].key] = round(TOTAL - share * (len(normal) - 1), 2)
    penalties = [i for i in assigned if i.kind is Kind.penalty and (i.cap or i.score)]
    points.update({i.key: float(i.cap or i.score) for i in penalties})  # type: ignore[arg-type]
    weights = {l.name: l.weight for l in system.level1_scores if l.weight}
    levels = {i.level1 for i in normal}
    return Marks(points, equal, frozenset(i.key for i in penalties),
                 {name: weights[name] for name in levels} if levels and levels <= set(weights) else {})


def score(system: IndicatorSystem, unit: str, deducted: Iterable[tuple[str, float, str]]) -> Result:
    """The unit's score from one inspection's (indicator key, 扣分, reason) rows."""
    marks = full_marks(system, unit)
    taken: dict[str, float] = {}
    deductions = []
    for code, deduction, reason in deducted:
        points = marks.points.get(code)
        if points is None or not deduction:
            continue
        taken[code] = min(float(deduction), points)
        deductions.append(Deduction(code, taken[code], reason))
    subtotals: dict[str, dict[str, float]] = {}
    for ind in system.assigned(unit):
        points = marks.points.get(ind.key)
        if points is None or ind.key in marks.penalties:
            continue
        sub = subtotals.setdefault(ind.level1, {"full_marks": 0.0, "score": 0.0})
        sub["full_marks"] += points
        sub["score"] += points - taken.get(ind.key, 0.0)
    if marks.level1_weights:
        weight = sum(marks.level1_weights.values())
        full = TOTAL
        total = sum(TOTAL * marks.level1_weights[name] / weight * s["score"] / s["full_marks"]
                    for name, s in subtotals.items() if s["full_marks"])
    else:
        full = sum(s["full_marks"] for s in subtotals.values())
        total = sum(s["score"] for s in subtotals.values())
    penalty = sum(taken.get(key, 0.0) for key in marks.penalties)
    if system.penalty_cap is not None:
        penalty = min(penalty, system.penalty_cap)
    return Result(round(full, 2), round(max(total - penalty, 0.0), 2),
                  [{"level1": name, "full_marks": round(s["full_marks"], 2), "score": round(s["score"], 2)}
                   for name, s in subtotals.items()], deductions)


def shown(points: float | None) -> str:
    """分值 as the workbook shows it: 3.33, 20, or empty."""
    if points is None:
        return ""
    return str(int(points)) if float(points).is_integer() else f"{points:g}"

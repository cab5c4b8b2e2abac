"""The scoring method, one place for the inspection workbook's 分值, the scores table and
`xlbridge score`.

Full marks (分值) of a unit's normal (常规) indicators are the system's ``score`` when it gives one
for each of them; otherwise (every shipped system today) they share 100 equally, rounded to two
decimals, the last taking the remainder so they sum to exactly 100, and the output says so.
A 减分项's 分值 is the most it can deduct, a 加分项's the most it can add: its ``cap``, else its
``score``; a 加分项 with neither adds nothing (the output says so).

A unit's score from one inspection: per level-1 indicator, its full marks less the deductions
recorded (each within its indicator's 分值); summed, or — where the system weights every one of
the unit's level-1 indicators (占总分值的15%) — each level-1's share of its marks times its weight,
scaled to 100 over the unit's weights; then less the 减分项 deductions (within the system's
``penalty_cap``), never below 0; then plus the bonus awarded (加分), each 加分项's awards within
its 分值 and all of them within the system's ``bonus_cap``, in the order they were awarded.
Bonus points are events (an award, an experience promoted), not a state: they add up over the
campaign, where deductions come from the latest inspection alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from xlbridge.system.model import IndicatorSystem, Kind

TOTAL = 100.0
EQUAL_NOTE = "指标体系未规定分值：本单位各常规指标按等权重折算，合计 100 分"
SYSTEM_NOTE = "按指标体系规定的分值计分"
WEIGHTED_NOTE = "，一级指标按规定权重折算为 100 分"
BONUS_NOTE = "；加分项在规定分值内加分"
BONUS_CAP_NOTE = "，加分合计不超过 {cap:g} 分"
BONUS_UNSCORED_NOTE = "；加分项（{codes}）未规定分值，不计分"


@dataclass(frozen=True)
class Marks:
    points: dict[str, float | None]  # indicator key → 分值; None: carries no marks
    equal_weights: bool
    penalties: frozenset[str] = frozenset()  # 减分项: their 分值 is the most they deduct, not full marks
    level1_weights: dict[str, float] = field(default_factory=dict)  # only when the system weights each of them
    bonuses: frozenset[str] = frozenset()  # the unit's 加分项 with a 分值: the most each adds
    bonus_cap: float | None = None
    bonus_note: str = ""  # how the system's 加分项 count: the same for every unit, so said once

    @property
    def note(self) -> str:
        return ((EQUAL_NOTE if self.equal_weights else SYSTEM_NOTE) + (WEIGHTED_NOTE if self.level1_weights else "")
                + self.bonus_note)


@dataclass
class Deduction:
    code: str
    points: float
    reason: str


@dataclass
class Bonus:
    code: str
    points: float  # what counts, within the item's 分值 and the system's bonus_cap
    reason: str
    awarded: float  # as recorded
    month: str = ""


@dataclass
class Result:
    full_marks: float
    score: float
    subtotals: list[dict[str, object]]  # level1, full_marks, score
    deductions: list[Deduction]
    bonuses: list[Bonus] = field(default_factory=list)

    @property
    def bonus(self) -> float:
        return round(sum(b.points for b in self.bonuses), 2)


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
    extra = [i for i in assigned if i.kind is not Kind.normal and (i.cap or i.score)]
    points.update({i.key: float(i.cap or i.score) for i in extra})  # type: ignore[arg-type]
    weights = {l.name: l.weight for l in system.level1_scores if l.weight}
    levels = {i.level1 for i in normal}
    return Marks(points, equal, frozenset(i.key for i in extra if i.kind is Kind.penalty),
                 {name: weights[name] for name in levels} if levels and levels <= set(weights) else {},
                 frozenset(i.key for i in extra if i.kind is Kind.bonus), system.bonus_cap, _bonus_note(system))


def _bonus_note(system: IndicatorSystem) -> str:
    bonus = [i for i in system.indicators if i.kind is Kind.bonus]
    unscored = [i.key for i in bonus if not (i.cap or i.score)]
    note = BONUS_NOTE if len(unscored) < len(bonus) else ""
    if note and system.bonus_cap is not None:
        note += BONUS_CAP_NOTE.format(cap=system.bonus_cap)
    return note + (BONUS_UNSCORED_NOTE.format(codes="、".join(unscored)) if unscored else "")


def score(system: IndicatorSystem, unit: str, deducted: Iterable[tuple[str, float, str]],
          awarded: Iterable[tuple[str, float, str, str]] = ()) -> Result:
    """The unit's score from one inspection's (indicator key, 扣分, reason) rows and the bonus
    awarded up to then, as (indicator key, 加分, reason, month) in the order awarded."""
    marks = full_marks(system, unit)
    taken: dict[str, float] = {}
    deductions = []
    for code, deduction, reason in deducted:
        points = marks.points.get(code)
        if points is None or not deduction or code in marks.bonuses:
            continue
        taken[code] = min(float(deduction), points)
        deductions.append(Deduction(code, taken[code], reason))
    subtotals: dict[str, dict[str, float]] = {}
    for ind in system.assigned(unit):
        points = marks.points.get(ind.key)
        if points is None or ind.key in marks.penalties or ind.key in marks.bonuses:
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
    bonuses = _within_caps(marks, awarded)
    return Result(round(full, 2), round(max(total - penalty, 0.0) + sum(b.points for b in bonuses), 2),
                  [{"level1": name, "full_marks": round(s["full_marks"], 2), "score": round(s["score"], 2)}
                   for name, s in subtotals.items()], deductions, bonuses)


def _within_caps(marks: Marks, awarded: Iterable[tuple[str, float, str, str]]) -> list[Bonus]:
    """Each award as it counts: what is left of its item's 分值, then of the system's bonus_cap."""
    used: dict[str, float] = {}
    left = marks.bonus_cap if marks.bonus_cap is not None else float("inf")
    out = []
    for code, points, reason, month in awarded:
        if code not in marks.bonuses or not points:
            continue
        counted = max(min(float(points), marks.points[code] - used.get(code, 0.0), left), 0.0)  # type: ignore[operator]
        used[code] = used.get(code, 0.0) + counted
        left -= counted
        out.append(Bonus(code, round(counted, 2), reason, float(points), month))
    return out


def shown(points: float | None) -> str:
    """分值 as the workbook shows it: 3.33, 20, or empty."""
    if points is None:
        return ""
    return str(int(points)) if float(points).is_integer() else f"{points:g}"


def bonus_text(b: Bonus) -> str:
    """加 2 分：指标 加1，获省级表彰（2021-06）, saying so when a cap cut it."""
    return f"加 {b.points:g} 分：指标 {b.code}，{b.reason}（{b.month}{cut_text(b)}）"


def cut_text(b: Bonus) -> str:
    return f"，记 {b.awarded:g} 分，超出上限按 {b.points:g} 分计" if b.points != b.awarded else ""

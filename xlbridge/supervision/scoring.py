"""The scoring method, one place for the inspection workbook's 分值 and the scores.

An indicator's full marks (分值) are the system's ``score`` where it gives one. Where it gives none
for any of the unit's indicators, the unit's normal (常规) indicators share 100 equally, rounded
to two decimals, the last taking the rounding remainder so they sum to exactly 100; 加分项 and
减分项 then carry no marks of their own (they count only with a system score, within it as cap).
A unit's score = Σ full marks − Σ deductions recorded by inspections (each within its indicator's
marks) + bonus − penalty; the output says which method applied.
"""

from __future__ import annotations

from dataclasses import dataclass

from xlbridge.system.model import IndicatorSystem, Kind

TOTAL = 100.0
EQUAL_NOTE = "指标体系未规定分值：本单位各常规指标按等权重折算，合计 100 分；加分项、减分项不计分"
SYSTEM_NOTE = "按指标体系规定的分值计分"


@dataclass(frozen=True)
class Marks:
    points: dict[str, float | None]  # indicator key → full marks; None: carries no marks
    equal_weights: bool

    @property
    def note(self) -> str:
        return EQUAL_NOTE if self.equal_weights else SYSTEM_NOTE


def full_marks(system: IndicatorSystem, unit: str) -> Marks:
    assigned = system.assigned(unit)
    if assigned and all(i.score is not None for i in assigned):
        return Marks({i.key: float(i.score) for i in assigned}, equal_weights=False)  # type: ignore[arg-type]
    normal = [i.key for i in assigned if i.kind is Kind.normal]
    points: dict[str, float | None] = {i.key: None for i in assigned}
    if normal:
        share = round(TOTAL / len(normal), 2)
        for key in normal:
            points[key] = share
        points[normal[-1]] = round(TOTAL - share * (len(normal) - 1), 2)
    return Marks(points, equal_weights=True)


def shown(points: float | None) -> str:
    """分值 as the workbook shows it: 3.33, 20, or empty."""
    if points is None:
        return ""
    return str(int(points)) if float(points).is_integer() else f"{points:g}"

"""Quantitative targets read out of indicator text.

Indicators state checkable numbers in a handful of fixed phrasings: 不少于2次,
达到95%以上, 达100%, 不少于40学时, 5个工作日(以内), 每年12月20日前. Each match becomes a
:class:`Target` kept beside the text; the text stays the authority.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel

from xlbridge.normalise import fold_width

Comparison = Literal[">=", "<=", "=", "before"]

_NUM = r"(\d+(?:\.\d+)?)"
_UNITS = r"(%|个工作日|工作日|学时|次|天|日|名|人|个|年|项|小时|分)"

# Order matters: the first pattern to claim a span wins.
_PATTERNS: list[tuple[Comparison, re.Pattern[str]]] = [
    ("before", re.compile(r"每年(\d{1,2})月(\d{1,2})日(?:前|之前)")),
    (">=", re.compile(rf"(?:不少于|不低于|至少|达到|达)(?:本单位[^，,。；;\d]{{0,12}})?{_NUM}\s*{_UNITS}(?:以上)?")),
    (">=", re.compile(rf"{_NUM}\s*{_UNITS}以上")),
    ("<=", re.compile(rf"(?:不超过|不多于|不高于|最长不超过|最多){_NUM}\s*{_UNITS}")),
    ("<=", re.compile(rf"{_NUM}\s*{_UNITS}(?:以内|之内|内|以下)")),
    ("=", re.compile(rf"{_NUM}\s*(%)")),
]


class Target(BaseModel):
    text: str
    comparison: Comparison
    quantity: float
    unit: str
    month_day: tuple[int, int] | None = None

    def describe(self) -> str:
        if self.month_day:
            return f"每年{self.month_day[0]}月{self.month_day[1]}日前"
        sign = {">=": "≥", "<=": "≤", "=": "=", "before": "早于"}[self.comparison]
        q = int(self.quantity) if self.quantity.is_integer() else self.quantity
        return f"{sign}{q}{self.unit}"


def find_targets(text: str) -> list[Target]:
    text = fold_width(text or "")
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, Target]] = []
    for comparison, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() < end and start < m.end() for start, end in taken):
                continue
            taken.append(m.span())
            found.append((m.start(), _target(comparison, m)))
    return [t for _, t in sorted(found, key=lambda pair: pair[0])]


def _target(comparison: Comparison, m: re.Match[str]) -> Target:
    if comparison == "before":
        month, day = int(m.group(1)), int(m.group(2))
        return Target(text=m.group(0), comparison="before", quantity=0, unit="日期", month_day=(month, day))
    unit = m.group(2)
    if unit == "工作日":
        unit = "个工作日"
    return Target(text=m.group(0), comparison=comparison, quantity=float(m.group(1)), unit=unit)

"""Quantitative targets read out of indicator text.

Indicators state checkable numbers in a handful of fixed phrasings: 不少于2次,
达到95%以上, 达100%, 不少于40学时, 5个工作日(以内), 每年12月20日前. Each match becomes a
:class:`Target` kept beside the text; the text stays the authority.
"""

from __future__ import annotations

import calendar
import re
from typing import Literal

from pydantic import BaseModel

from xlbridge.normalise import fold_width

Comparison = Literal[">=", "<=", "=", "before"]

_NUM = r"(\d+(?:\.\d+)?)"
# After a comparison word small numbers are also written in Chinese: 至少组织一次, 不少于两名.
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUM_OR_CN = r"(\d+(?:\.\d+)?|[一二两三四五六七八九十]{1,3})"
# Longer units first: 个工作日 before 个, 个月 before 个, 分钟 before 分.
_UNITS = r"(%|个工作日|工作日|学时|个月|小时|分钟|次|天|日|名|人|个|年|项|期|分)"
# Between the comparison word and the number: 不少于本单位执法人员总数的5%, 不低于总分值的10%.
_OF = r"(?:[\u4e00-\u9fff]{1,12}?的)?"
# 至少 may be followed by a short verb: 至少组织1次, 至少举办2期 (never by a numeral: 至少十五次).
_VERB = r"(?:(?<=至少)(?:(?![一二两三四五六七八九十])[\u4e00-\u9fff]){1,4}?)?"
# 达 alone, but not 下达, 传达, 送达, 到达, 长达 (长达5年 describes, it does not require).
_AT_LEAST = r"(?:不少于|不低于|不得少于|不得低于|不应少于|不应低于|至少|达到|(?<![下传送到抵通转表发长高])达)"
_AT_MOST = r"(?:最长不超过|不超过|不得超过|不应超过|不多于|不得多于|不高于|不得高于|最多)"

# Order matters: the first pattern to claim a span wins.
_PATTERNS: list[tuple[Comparison, re.Pattern[str]]] = [
    ("before", re.compile(r"每年(\d{1,2})月(\d{1,2}|底)日?(?:以前|之前|前)")),
    (">=", re.compile(rf"{_AT_LEAST}\s*{_OF}{_VERB}{_NUM_OR_CN}\s*{_UNITS}(?:\s*以上)?")),
    (">=", re.compile(rf"{_NUM}\s*{_UNITS}\s*以上")),
    ("<=", re.compile(rf"{_AT_MOST}\s*{_OF}{_NUM_OR_CN}\s*{_UNITS}(?:\s*(?:以内|之内|内|以下))?")),
    ("<=", re.compile(rf"{_NUM}\s*{_UNITS}\s*(?:以内|之内|内|以下)")),
    # A bare time limit is a maximum: 承诺办理时限5个工作日.
    ("<=", re.compile(rf"{_NUM}\s*(个工作日|工作日)")),
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
            target = _target(comparison, m)
            if target is None:
                continue
            taken.append(m.span())
            found.append((m.start(), target))
    return [t for _, t in sorted(found, key=lambda pair: pair[0])]


def _target(comparison: Comparison, m: re.Match[str]) -> Target | None:
    if comparison == "before":
        month = int(m.group(1))
        if not 1 <= month <= 12:
            return None
        last = calendar.monthrange(2001, month)[1]  # 月底: a common year, so February ends on the 28th
        day = last if m.group(2) == "底" else int(m.group(2))
        if not 1 <= day <= last + (month == 2):
            return None
        return Target(text=m.group(0), comparison="before", quantity=0, unit="日期", month_day=(month, day))
    quantity, unit = _number(m.group(1)), m.group(2)
    if quantity is None:
        return None
    if unit == "年" and quantity >= 1000:
        return None  # a calendar year (2015年内), not a duration
    if unit == "工作日":
        unit = "个工作日"
    return Target(text=m.group(0), comparison=comparison, quantity=quantity, unit=unit)


def _number(text: str) -> float | None:
    """2, 2.5, 两, 十五, 二十, 三十五 → a number; anything else (十十, 两十) → None."""
    if text[0].isdigit():
        return float(text)
    tens, _, ones = text.partition("十")
    if "十" not in text:
        return float(_CN_DIGITS[text]) if len(text) == 1 else None
    if "十" in ones or len(tens) > 1 or len(ones) > 1 or tens == "两":
        return None
    return float(_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)

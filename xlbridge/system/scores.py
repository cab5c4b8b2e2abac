"""Scores as assessment standards print them, and whether they add up.

分值 sits in its own column, at the end of the text (…建立法律顾问制度。3分), or in a level-1
heading (一、组织领导工作 12分 / 组织领导（占总分值的15%）); bonus and penalty items say how
much they add or deduct (加2分, 每发现一起扣1分，最高扣5分) and their blocks cap the total
(加分总和不超过10分). The text stays as printed; the numbers are read beside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from xlbridge.normalise import fold_width

_NUM = r"(\d+(?:\.\d+)?)"
_TRAILING = re.compile(rf"[(\[（【]?\s*(?:计|共|满分)?\s*{_NUM}\s*分\s*[)\]）】]?\s*[。.;；]?\s*$")
_CELL = re.compile(rf"^\s*{_NUM}\s*分?\s*$")
_WEIGHT = re.compile(rf"(?:占|权重)[^0-9%]{{0,8}}?{_NUM}\s*%")
_CAP = re.compile(rf"(?:最高|最多|累计|总和|合计|总计|总分|共计)?\s*(?:不超过|不得超过|不超|最高|最多)\s*(?:加|扣|减)?\s*{_NUM}\s*分")
_PER_CASE = re.compile(rf"(?:加|扣|减|扣除)\s*{_NUM}\s*分")
_HEADING_SCORE = re.compile(rf"\s*[(（]?\s*(?:计|共|满分)?\s*{_NUM}\s*分\s*[)）]?\s*$")
_HEADING_WEIGHT = re.compile(rf"\s*[(（][^()（）]*?{_NUM}\s*%[^()（）]*[)）]\s*$")
_HEADING_CAP = re.compile(r"\s*[(（][^()（）]*不超过[^()（）]*[)）]\s*$")


def number(text: str | float | None) -> float | None:
    """A score cell: 3, 3.0, '3', '3分'."""
    if isinstance(text, int | float):
        return float(text)
    m = _CELL.match(fold_width(text or ""))
    return float(m.group(1)) if m else None


def trailing_score(text: str | None) -> float | None:
    """…3分 / …（3分） at the very end of an indicator's text."""
    m = _TRAILING.search(fold_width(text or ""))
    return float(m.group(1)) if m else None


def per_case(text: str | None) -> float | None:
    """A bonus/penalty item's points: 加2分, 扣1分 (not the cap: 最高扣5分)."""
    folded = fold_width(text or "")
    for m in _PER_CASE.finditer(folded):
        if not any(w in folded[max(0, m.start() - 3) : m.start()] for w in ("最高", "最多", "超过")):
            return float(m.group(1))
    return None


def cap(text: str | None) -> float | None:
    """最高扣5分 / 加分总和不超过10分."""
    m = _CAP.search(fold_width(text or ""))
    return float(m.group(1)) if m else None


@dataclass
class Heading:
    """A level-1 (or bonus/penalty block) heading with its numbers taken off the name."""

    name: str
    score: float | None = None
    weight: float | None = None
    cap: float | None = None


def heading(text: str) -> Heading:
    """一、组织领导工作 12分 → 一、组织领导工作, 12; 组织领导（占总分值的15%） → 15 %;
    加分项（加分总和不超过10分） → cap 10."""
    name = fold_width(text).strip()
    out = Heading(name=name)
    if m := _HEADING_CAP.search(name):
        out.cap, name = cap(m.group(0)), name[: m.start()]
    elif m := _HEADING_WEIGHT.search(name):
        out.weight, name = float(m.group(1)), name[: m.start()]
    elif m := _HEADING_SCORE.search(name):
        out.score, name = float(m.group(1)), name[: m.start()]
    out.name = text.strip()[: len(name.rstrip())] if name else text.strip()
    return out

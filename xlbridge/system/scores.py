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
from xlbridge.system.model import IndicatorSystem, Kind

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


_TOTAL = re.compile(rf"(?:总分值|总分|满分)\s*(?:为|是|:)?\s*{_NUM}\s*分")


def total(text: str | None) -> float | None:
    """满分100分 / 总分为100分, in a title or a note under the table."""
    m = _TOTAL.search(fold_width(text or ""))
    return float(m.group(1)) if m else None


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


def totals(system: IndicatorSystem) -> list[str]:
    """What the scores add up to, and every place they do not (for ``schema show``)."""
    normal = [i for i in system.indicators if i.kind is Kind.normal]
    scored = [i for i in normal if i.score is not None]
    weights = [lv for lv in system.level1_scores if lv.weight is not None]
    if not scored and not system.level1_scores and system.bonus_cap is None and system.penalty_cap is None \
            and not any(i.score is not None for i in system.indicators):
        return ["分值：表中没有分值" + (f"（{system.scores_note}）" if system.scores_note else "")]
    total = sum(i.score or 0 for i in scored)
    lines = [f"分值：常规指标 {len(scored)} 项有分值，合计 {total:g} 分"]
    if system.scores_note:
        lines.append(f"  依据：{system.scores_note}")
    if system.total_score is not None and system.total_score != total:
        lines.append(f"  不一致：总分标明 {system.total_score:g} 分，各项合计 {total:g} 分")
    missing = [i.key for i in normal if i.score is None]
    if scored and missing:
        lines.append(f"  没有分值的常规指标 {len(missing)} 项：{' '.join(missing)}")
    for level1 in system.level1_scores:
        items = [i for i in normal if i.level1 == level1.name]
        got = sum(i.score or 0 for i in items)
        if level1.score is not None:
            verdict = "" if got == level1.score else f"，不一致（相差 {got - level1.score:+g} 分）"
            lines.append(f"  {level1.name}：标明 {level1.score:g} 分，所含 {len(items)} 项合计 {got:g} 分{verdict}")
        if level1.weight is not None:
            lines.append(f"  {level1.name}：占总分值的 {level1.weight:g}%")
    if weights:
        named = {lv.name for lv in weights}
        unweighted = [n for n in dict.fromkeys(i.level1 for i in normal) if n not in named]
        share = sum(lv.weight or 0 for lv in weights)
        if unweighted:
            lines.append(f"  未标明权重的一级指标 {len(unweighted)} 个：{'、'.join(unweighted)}")
        elif share != 100:
            lines.append(f"  不一致：各一级指标权重合计 {share:g}%，不是 100%")
    for kind, label, limit in ((Kind.bonus, "加分项", system.bonus_cap), (Kind.penalty, "减分项", system.penalty_cap)):
        items = [i for i in system.indicators if i.kind is kind]
        if not items and limit is None:
            continue
        each = "、".join(f"{i.key} {i.score:g} 分" + (f"（最多 {i.cap:g}）" if i.cap is not None else "")
                        for i in items if i.score is not None)
        cap_text = f"，合计不超过 {limit:g} 分" if limit is not None else "，未标明上限"
        lines.append(f"  {label} {len(items)} 项{cap_text}" + (f"：{each}" if each else ""))
        over = [i.key for i in items if limit is not None and i.cap is not None and i.cap > limit]
        if over:
            lines.append(f"  不一致：{'、'.join(over)} 的单项上限超过{label}总上限 {limit:g} 分")
    return lines

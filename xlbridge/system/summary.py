"""Plain-text summaries of an indicator system, for the CLI and the demo."""

from __future__ import annotations

from collections import Counter

from xlbridge.findings import column_letter
from xlbridge.system.model import KIND_LABELS, IndicatorSystem
from xlbridge.system.scores import totals
from xlbridge.system.table_header import FIELD_LABELS


def describe(system: IndicatorSystem) -> list[str]:
    inds = system.indicators
    period = f"{system.period[0]}–{system.period[1]}" if system.period else (system.year or "")
    lines = [
        f"{system.title}（{system.id}，第 {system.version} 版）",
        f"发文单位：{system.issuer}  {system.document or ''}  年度：{period}",
        f"指标 {len(inds)} 项；责任单位 {len(system.units)} 个（需报送台账 {len(system.reporting_units)} 个）",
        f"一级指标 {_distinct(i.level1 for i in inds)} 个，二级指标 {_distinct(i.level2 for i in inds if i.level2)} 个，"
        f"三级指标/要求 {sum(1 for i in inds if i.level3 or i.points)} 项",
    ]
    kinds = Counter(i.kind for i in inds)
    lines.append("类别：" + "，".join(f"{KIND_LABELS[k]} {n}" for k, n in kinds.items()))
    lines.append(f"重点指标（★）{sum(i.key_item for i in inds)} 项；含量化目标 {sum(bool(i.targets) for i in inds)} 项")
    methods = Counter(m for i in inds for m in i.methods)
    if methods:
        lines.append("测评方法：" + "，".join(f"{m} {n}" for m, n in methods.most_common()))
    unknown = sorted({m for i in inds for m in i.unknown_methods})
    if unknown:
        lines.append("未知测评方法（已保留）：" + "、".join(unknown))
    lines += totals(system)
    lines.append("各一级指标：")
    per_level1 = Counter(i.level1 for i in inds)
    lines += [f"  {name}：{n} 项" for name, n in per_level1.items()]
    return lines


def unit_assignments(system: IndicatorSystem) -> list[str]:
    lines = []
    blanket = [i.key for i in system.indicators if i.all_units_cooperate]
    for unit in system.units:
        lead = [i.key for i in system.indicators if unit.name in i.lead]
        coop = [i.key for i in system.indicators if unit.name in i.cooperating]
        tag = "（集体，不单独报送）" if unit.group else ""
        lines.append(f"{unit.name}{tag}：牵头 {len(lead)} 项，配合 {len(coop)} 项")
        if lead:
            lines.append("  牵头：" + " ".join(lead))
        if coop:
            lines.append("  配合：" + " ".join(coop))
    if blanket:
        lines.append(f"各部门（单位）均需配合的指标 {len(blanket)} 项：" + " ".join(blanket))
    return lines


def _distinct(values) -> int:  # type: ignore[no-untyped-def]
    return len(set(values))


def import_preview(system: IndicatorSystem, columns: list[tuple[int, str, str | None]], n: int) -> list[str]:
    """How ``schema import`` read a table: each column's field, then the first indicators as parsed."""
    lines = ["列的对应关系："]
    for col, name, field in columns:
        target = f"{field}（{FIELD_LABELS[field]}）" if field else "（未导入）"
        lines.append(f"  {column_letter(col + 1)}「{name or '无表头'}」→ {target}")
    lines.append(f"前 {min(n, len(system.indicators))} 项指标（共 {len(system.indicators)} 项）：")
    for ind in system.indicators[:n]:
        lines.append(f"  [{ind.key}] 编号 {ind.code}｜{KIND_LABELS[ind.kind]}｜一级：{ind.level1}"
                     + (f"｜二级：{short(ind.level2)}" if ind.level2 else ""))
        lines.append(f"      内容：{short(ind.text)}")
        extra = [f"牵头：{'、'.join(ind.lead)}" if ind.lead else "牵头：（无）"]
        if ind.cooperating:
            extra.append(f"配合：{'、'.join(ind.cooperating)}")
        if ind.score is not None:
            extra.append(f"分值 {ind.score:g}")
        if ind.cap is not None:
            extra.append(f"上限 {ind.cap:g}")
        if ind.deadline:
            extra.append(f"时限：{ind.deadline}")
        lines.append("      " + "；".join(extra))
    return lines


def short(text: str | None, n: int = 40) -> str:
    """One line, cut at n characters with …"""
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[:n] + "…"

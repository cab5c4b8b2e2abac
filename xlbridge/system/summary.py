"""Plain-text summaries of an indicator system, for the CLI and the demo."""

from __future__ import annotations

from collections import Counter

from xlbridge.system.model import KIND_LABELS, IndicatorSystem


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

"""Summaries of an indicator system, for the CLI and the demo: the figures (:func:`overview`,
:func:`assignments`; ``--json`` prints them) and the text lines made from them."""

from __future__ import annotations

from collections import Counter
from typing import Any

from xlbridge.findings import column_letter
from xlbridge.system.model import KIND_LABELS, IndicatorSystem, Kind
from xlbridge.system.scores import totals
from xlbridge.system.table_header import FIELD_LABELS


def overview(system: IndicatorSystem) -> dict[str, Any]:
    inds = system.indicators
    kinds = Counter(i.kind for i in inds)
    return {
        "id": system.id, "title": system.title, "version": system.version, "issuer": system.issuer,
        "document": system.document,
        "period": f"{system.period[0]}–{system.period[1]}" if system.period else (system.year or ""),
        "indicators": len(inds), "units": len(system.units), "reporting_units": len(system.reporting_units),
        "level1": _distinct(i.level1 for i in inds), "level2": _distinct(i.level2 for i in inds if i.level2),
        "level3": sum(1 for i in inds if i.level3 or i.points),
        "kinds": {k.value: n for k, n in kinds.items()},  # normal / bonus / penalty
        "key_items": sum(i.key_item for i in inds), "with_targets": sum(bool(i.targets) for i in inds),
        "methods": [{"method": m, "indicators": n} for m, n in Counter(m for i in inds for m in i.methods).most_common()],
        "unknown_methods": sorted({m for i in inds for m in i.unknown_methods}),
        "per_level1": [{"level1": name, "indicators": n} for name, n in Counter(i.level1 for i in inds).items()],
    }


def describe(system: IndicatorSystem) -> list[str]:
    o = overview(system)
    lines = [
        f"{o['title']}（{o['id']}，第 {o['version']} 版）",
        f"发文单位：{o['issuer']}  {o['document'] or ''}  年度：{o['period']}",
        f"指标 {o['indicators']} 项；责任单位 {o['units']} 个（需报送台账 {o['reporting_units']} 个）",
        f"一级指标 {o['level1']} 个，二级指标 {o['level2']} 个，三级指标/要求 {o['level3']} 项",
        "类别：" + "，".join(f"{KIND_LABELS[Kind(k)]} {n}" for k, n in o["kinds"].items()),
        f"重点指标（★）{o['key_items']} 项；含量化目标 {o['with_targets']} 项",
    ]
    if o["methods"]:
        lines.append("测评方法：" + "，".join(f"{m['method']} {m['indicators']}" for m in o["methods"]))
    if o["unknown_methods"]:
        lines.append("未知测评方法（已保留）：" + "、".join(o["unknown_methods"]))
    lines += totals(system)
    lines.append("各一级指标：")
    lines += [f"  {x['level1']}：{x['indicators']} 项" for x in o["per_level1"]]
    return lines


def assignments(system: IndicatorSystem) -> dict[str, Any]:
    """Each unit's lead and cooperating indicator keys, and those every unit cooperates on."""
    return {
        "units": [{"unit": unit.name, "group": unit.group,
                   "lead": [i.key for i in system.indicators if unit.name in i.lead],
                   "cooperating": [i.key for i in system.indicators if unit.name in i.cooperating],
                   "members": list(unit.members) if unit.group else [],
                   "as_member": _as_member(system, unit.name)}
                  for unit in system.units],
        "all_units_cooperate": [i.key for i in system.indicators if i.all_units_cooperate],
    }


def _as_member(system: IndicatorSystem, unit: str) -> dict[str, list[str]]:
    """Group → the indicators this unit reports as one of its members (not named itself)."""
    found = {}
    for group in (g for g in system.units if g.group and unit in g.members):
        via = [i.key for i in system.indicators if group.name in (*i.lead, *i.cooperating)
               and unit not in (*i.lead, *i.cooperating)]
        if via:
            found[group.name] = via
    return found


def unit_assignments(system: IndicatorSystem) -> list[str]:
    lines = []
    data = assignments(system)
    for u in data["units"]:
        tag = "（集体，不单独报送）" if u["group"] else ""
        lines.append(f"{u['unit']}{tag}：牵头 {len(u['lead'])} 项，配合 {len(u['cooperating'])} 项")
        if u["lead"]:
            lines.append("  牵头：" + " ".join(u["lead"]))
        if u["cooperating"]:
            lines.append("  配合：" + " ".join(u["cooperating"]))
        if u["group"]:
            lines.append("  成员：" + ("、".join(u["members"]) if u["members"] else "（未登记，见 schema check）"))
        for group, via in u["as_member"].items():
            lines.append(f"  作为「{group}」的成员报送：" + " ".join(via))
    if data["all_units_cooperate"]:
        blanket = data["all_units_cooperate"]
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

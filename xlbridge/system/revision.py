"""What changed between two versions of an indicator system (``xlbridge schema diff OLD NEW``).

Indicators are matched by key: a key only in the new version is added, only in the old one
removed; a key in both may be re-worded (its text changed) or re-assigned (its lead or
cooperating units changed). A unit is renamed when the new version lists the old name among
the aliases of another unit; a rename alone does not re-assign anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xlbridge.system.model import Indicator, IndicatorSystem
from xlbridge.system.summary import short

TEXT_FIELDS = {"level1": "一级指标", "level2": "二级指标", "level3": "三级指标", "points": "考评要点"}


@dataclass
class Revision:
    old: IndicatorSystem
    new: IndicatorSystem
    added: list[Indicator] = field(default_factory=list)
    removed: list[Indicator] = field(default_factory=list)
    reworded: list[tuple[Indicator, Indicator, list[str]]] = field(default_factory=list)  # fields changed
    reassigned: list[tuple[Indicator, Indicator]] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)  # old unit name → new
    units_added: list[str] = field(default_factory=list)
    units_removed: list[str] = field(default_factory=list)

    @property
    def persisting(self) -> list[str]:
        """Keys in both versions: answers given against the old version carry over to the new."""
        return [i.key for i in self.new.indicators if self.old.indicator(i.key) is not None]

    def unit_in_new(self, name: str) -> str:
        return self.renamed.get(name, name)


def compare(old: IndicatorSystem, new: IndicatorSystem) -> Revision:
    rev = Revision(old, new)
    old_units = {u.name for u in old.units}
    for unit in new.units:
        for alias in unit.aliases:
            if alias in old_units and alias != unit.name and new.unit(alias) is unit and unit.name not in old_units:
                rev.renamed[alias] = unit.name
    rev.units_added = [u.name for u in new.units if u.name not in old_units and u.name not in rev.renamed.values()]
    new_units = {u.name for u in new.units}
    rev.units_removed = [n for n in old_units if n not in new_units and n not in rev.renamed]
    for ind in new.indicators:
        before = old.indicator(ind.key)
        if before is None:
            rev.added.append(ind)
            continue
        changed = [f for f in TEXT_FIELDS if getattr(before, f) != getattr(ind, f)]
        if changed:
            rev.reworded.append((before, ind, changed))
        if _units(before, rev) != (ind.lead, ind.cooperating, ind.all_units_cooperate):
            rev.reassigned.append((before, ind))
    rev.removed = [i for i in old.indicators if new.indicator(i.key) is None]
    return rev


def _units(ind: Indicator, rev: Revision) -> tuple[list[str], list[str], bool]:
    return [rev.unit_in_new(u) for u in ind.lead], [rev.unit_in_new(u) for u in ind.cooperating], ind.all_units_cooperate


def describe(rev: Revision) -> list[str]:
    old, new = rev.old, rev.new
    lines = [f"{new.title}：{old.id} 第 {old.version} 版 → {new.id} 第 {new.version} 版"]
    if not any((rev.added, rev.removed, rev.reworded, rev.reassigned, rev.renamed, rev.units_added, rev.units_removed)):
        return [*lines, "两个版本的指标和责任单位没有差别"]
    if rev.added:
        lines.append(f"新增指标 {len(rev.added)} 项：")
        lines += [f"  + {i.key}（{i.level1}）{short(i.text)}〔牵头：{_names(i.lead)}〕" for i in rev.added]
    if rev.removed:
        lines.append(f"删除指标 {len(rev.removed)} 项：")
        lines += [f"  - {i.key}（{i.level1}）{short(i.text)}" for i in rev.removed]
    if rev.reworded:
        lines.append(f"改写指标 {len(rev.reworded)} 项：")
        for before, after, changed in rev.reworded:
            parts = [f"{TEXT_FIELDS[f]}「{short(getattr(before, f))}」→「{short(getattr(after, f))}」" for f in changed]
            lines.append(f"  ~ {after.key} " + "；".join(parts))
    if rev.reassigned:
        lines.append(f"调整责任单位 {len(rev.reassigned)} 项：")
        for before, after in rev.reassigned:
            lead, coop, everyone = _units(before, rev)
            parts = []
            if lead != after.lead:
                parts.append(f"牵头 {_names(lead)} → {_names(after.lead)}")
            if coop != after.cooperating:
                parts.append(f"配合 {_names(coop)} → {_names(after.cooperating)}")
            if everyone != after.all_units_cooperate:
                parts.append("各部门(单位)配合 " + ("取消" if everyone else "新增"))
            lines.append(f"  ~ {after.key} " + "；".join(parts))
    if rev.renamed:
        lines.append(f"单位更名 {len(rev.renamed)} 个（旧名称作为新名称的别名保留）：")
        lines += [f"  {a} → {b}" for a, b in rev.renamed.items()]
    if rev.units_added:
        lines.append(f"新增单位 {len(rev.units_added)} 个：" + "、".join(rev.units_added))
    if rev.units_removed:
        lines.append(f"撤销单位 {len(rev.units_removed)} 个：" + "、".join(rev.units_removed))
    return lines


def _names(units: list[str]) -> str:
    return "、".join(units) or "（无）"

"""Members a workspace gives a group the indicator table does not fill (the towns and sub-districts
of 各镇、街道办事处, which the coordination group knows and the table never names).

The result is the system every part of a workspace works from: its members are units of their
own, reach the ledgers the group leads, and are remembered as supplied, so a ledger issued to one
carries its groups in the signed metadata (``member_of``) and a clerk's check, which has only the
shipped system, gives it the same rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from xlbridge.errors import SchemaError
from xlbridge.system.model import IndicatorSystem, Unit, unit_key

# Frozen members → the system derived from a loaded one; keyed by id() and checked by identity,
# so a reloaded (changed) schema file derives anew.
_DERIVED: dict[tuple[int, tuple[tuple[str, tuple[str, ...]], ...]], tuple[IndicatorSystem, IndicatorSystem]] = {}


def with_members(system: IndicatorSystem, members: Mapping[str, Sequence[str]], source: str) -> IndicatorSystem:
    """``system`` with each group's extra ``members`` registered as units and listed as members.

    ``source`` names where the members were written (the settings file and its key), for errors.
    Unchanged (the same object) when there are none.
    """
    frozen = tuple((group, tuple(names)) for group, names in members.items() if names)
    if not frozen:
        return system
    cache_key = (id(system), frozen)
    cached = _DERIVED.get(cache_key)
    if cached is None or cached[0] is not system:
        if len(_DERIVED) > 64:
            _DERIVED.clear()
        cached = _DERIVED[cache_key] = (system, _derive(system, frozen, source))
    return cached[1]


def _derive(system: IndicatorSystem, members: tuple[tuple[str, tuple[str, ...]], ...], source: str) -> IndicatorSystem:
    added: dict[str, list[str]] = {}  # new unit → the groups it joins, in the order written
    extra: dict[str, list[str]] = {}  # group (canonical) → its new members
    for written, names in members:
        where = f"{source}「{written}」"
        group = system.unit(written)
        if group is None:
            groups = "、".join(u.name for u in system.units if u.group) or "（无）"
            raise SchemaError(f"{where}：指标体系「{system.title}」中没有这个单位；其中的集体有：{groups}")
        if not group.group:
            raise SchemaError(f"{where}：「{group.name}」在指标体系中是单个单位，不是集体（group: true），不能补充成员")
        for name in names:
            name = name.strip() if isinstance(name, str) else name
            if not isinstance(name, str) or not name:
                raise SchemaError(f"{where}：成员名称为空")
            known = system.unit(name)
            if known is not None:
                spelled = "" if known.name == name else f"（即「{known.name}」）"
                raise SchemaError(f"{where}：成员「{name}」已是指标体系中的单位{spelled}；"
                                  "这里只补充指标体系中没有的单位（如各镇、街道），已有的单位请在指标体系的 members 中列出")
            if name in extra.get(group.name, ()):
                raise SchemaError(f"{where}：成员「{name}」重复")
            extra.setdefault(group.name, []).append(name)
            added.setdefault(name, []).append(group.name)
    units = [_supplied(u, extra[u.name], source) if u.name in extra else u for u in system.units]
    units += [Unit(name=name) for name in added]
    derived = system.model_copy(update={"units": units})
    derived._supplied = {name: tuple(groups) for name, groups in added.items()}
    return derived


def _supplied(group: Unit, names: list[str], source: str) -> Unit:
    note = f"{len(names)} 个成员由 {source} 补充"
    return group.model_copy(update={"members": [*group.members, *names],
                                    "members_note": f"{group.members_note}；{note}" if group.members_note else note})


def member_of(meta: Mapping[str, str]) -> list[str]:
    """The groups a ledger's signed metadata says its unit was issued as a member of."""
    return [g for g in (meta.get("member_of") or "").split("\n") if g.strip()]


def member_of_value(system: IndicatorSystem, unit: str) -> str | None:
    """The ``member_of`` a ledger issued to ``unit`` carries: set only for a supplied member."""
    groups = system.supplied_groups(unit)
    return "\n".join(groups) if groups else None


def as_issued(system: IndicatorSystem, meta: Mapping[str, str], source: str) -> IndicatorSystem:
    """The system a ledger was issued under, from its metadata: the shipped system, with its unit
    a member of the groups ``member_of`` names (those it is not a member of already)."""
    unit = (meta.get("unit") or "").strip()
    groups = [g for g in member_of(meta) if unit and unit_key(unit) not in
              {unit_key(m) for m in system.members_of(g)}]
    return with_members(system, {g: [unit] for g in groups}, source) if groups else system

"""Reading a responsibility cell (责任单位) into lead and cooperating units.

The cells are free text written by hand:
    行政审批局,各部门(单位)配合
    编办、司法局,各部门(单位)配合
    法制仲裁科牵头，办公室配合
    财政局、各部门(单位)、各镇、街道办事处配合
    政策法规处\n市 支 队            (one unit per line, letter-spaced)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from xlbridge.normalise import fold_width, no_spaces

_CLAUSES = re.compile(r"[,，;；\n]+")
_ITEMS = re.compile(r"[、/]+")
ALL_UNITS = {"各部门(单位)", "市政府各部门", "各部门", "各单位", "各部门单位", "各有关部门", "各有关单位", "各相关部门"}
# Pairs printed as two items that name one collective.
_JOINED = {("各镇", "街道办事处"): "各镇、街道办事处"}


@dataclass
class Responsibility:
    lead: list[str] = field(default_factory=list)
    cooperating: list[str] = field(default_factory=list)
    all_units_cooperate: bool = False

    def add(self, names: list[str], lead: bool) -> None:
        for name in names:
            if name in ALL_UNITS:
                self.all_units_cooperate = True
            elif name not in self.lead and name not in self.cooperating:
                (self.lead if lead else self.cooperating).append(name)


def is_group(name: str) -> bool:
    """Collectives (各镇、街道办事处, 各县(区)政府) cooperate but never get a ledger of their own."""
    return name.startswith("各") or name in _JOINED.values()


def parse_responsibility(text: str) -> Responsibility:
    result = Responsibility()
    clauses = [c for c in _CLAUSES.split(fold_width(text or "")) if no_spaces(c)]
    explicit_lead = any(no_spaces(c).endswith("牵头") for c in clauses)
    for clause in clauses:
        clause = no_spaces(clause)
        if clause.endswith("牵头"):
            result.add(_items(clause.removesuffix("牵头")), lead=True)
        elif clause.endswith("配合"):
            items = _items(clause.removesuffix("配合"))
            # 财政局、各部门(单位)…配合: the names before the first collective lead, unless
            # the cell names its lead explicitly elsewhere.
            split = next((i for i, n in enumerate(items) if is_group(n)), len(items))
            if explicit_lead or split == len(items) or result.lead:
                split = 0
            result.add(items[:split], lead=True)
            result.add(items[split:], lead=False)
        else:
            result.add(_items(clause), lead=True)
    return result


def _items(clause: str) -> list[str]:
    items = [i for i in _ITEMS.split(clause) if i]
    merged: list[str] = []
    for item in items:
        pair = (merged[-1], item) if merged else None
        if pair in _JOINED:
            merged[-1] = _JOINED[pair]
        else:
            merged.append(item)
    return merged

"""Reading a responsibility cell (责任单位) into lead and cooperating units.

The cells are free text written by hand:
    行政审批局,各部门(单位)配合
    编办、司法局,各部门(单位)配合
    法制仲裁科牵头，办公室配合
    财政局、各部门(单位)、各镇、街道办事处配合
    政策法规处\n市 支 队            (one unit per line, letter-spaced)
    审计局\n政府法制办等部门        (等部门: "and others", not part of the name)
    信访局\n市政府\n有关部门        (a long name wrapped by Word in a narrow column)

Names come back spelled as printed (inner spaces squashed, full-width brackets folded), so
the importer can keep 市 支 队 as an alias of 市支队; compare them with ``unit_key``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from xlbridge.normalise import fold_width, no_spaces, squash, tidy_multiline

_CLAUSES = re.compile(r"[,，;；\n]+")
_ITEMS = re.compile(r"[、/]+")
# "and the other departments" after the last name: 政府法制办等部门 is 政府法制办.
_ET_AL = re.compile(r"\s*等\s*(?:有关|相关)?\s*(?:部门|单位)?\s*$")
_END_PUNCTUATION = "。.!！"
ALL_UNITS = {"各部门(单位)", "市政府各部门", "各部门", "各单位", "各部门单位", "各有关部门", "各有关单位", "各相关部门"}
# Pairs printed as two items that name one collective.
_JOINED = {("各镇", "街道办事处"): "各镇、街道办事处"}
# Parts of a name that make it a collective rather than one office.
_GROUP_MARKS = ("各部门", "各单位", "有关部门", "有关单位", "相关部门")
# How the name of an office ends: 司法局, 法制仲裁科, 政策法规处, 办公室, 市支队, 行政服务中心, (单位) …
_OFFICE_ENDINGS = tuple("局科处室办部委院队所站会组厅府团社校心区县镇位门)")


@dataclass
class Responsibility:
    lead: list[str] = field(default_factory=list)
    cooperating: list[str] = field(default_factory=list)
    all_units_cooperate: bool = False

    def add(self, names: list[str], lead: bool) -> None:
        seen = {no_spaces(n) for n in (*self.lead, *self.cooperating)}
        for name in names:
            key = no_spaces(name)
            if key in ALL_UNITS:
                self.all_units_cooperate = True
            elif key not in seen:
                seen.add(key)
                (self.lead if lead else self.cooperating).append(name)


def is_group(name: str) -> bool:
    """Collectives (各镇、街道办事处, 政府各部门(单位), 市政府有关部门) cooperate but get no ledger."""
    key = no_spaces(fold_width(name))
    return key.startswith("各") or any(m in key for m in _GROUP_MARKS) or key in _JOINED.values()


def cell_lines(text: str | None) -> list[str]:
    """The lines of a cell, blank lines dropped and wrapped names joined back.

    Word wraps 市政府有关部门 in a narrow column as 市政府 / 有关部门; a line that starts with
    有关/各/相关 right under a line ending in 政府 is the rest of that name, not a second unit.
    """
    lines: list[str] = []
    for line in tidy_multiline(text or "").split("\n"):
        if not line:
            continue
        if lines and no_spaces(lines[-1]).endswith("政府") and no_spaces(line).startswith(("有关", "各", "相关")):
            lines[-1] += line
        else:
            lines.append(line)
    return lines


def looks_like_note(text: str | None) -> bool:
    """A sentence written across the responsibility column (如有所列情形发生，依法…责任。), not names.

    Only a cell with a full stop is suspected (names never carry one, but a clerk may end a list
    with it); it is a remark when one of its "names" does not end like an office does.
    """
    if "。" not in (text or ""):
        return False
    parsed = parse_responsibility(text)
    return any(not no_spaces(n).endswith(_OFFICE_ENDINGS) for n in (*parsed.lead, *parsed.cooperating))


def parse_responsibility(text: str | None) -> Responsibility:
    result = Responsibility()
    clauses = [squash(c) for line in cell_lines(fold_width(text or "")) for c in _CLAUSES.split(line) if no_spaces(c)]
    clauses = [c.rstrip(_END_PUNCTUATION).strip() for c in clauses]
    explicit_lead = any(no_spaces(c).endswith("牵头") for c in clauses)
    for clause in clauses:
        if no_spaces(clause).endswith("牵头"):
            result.add(_items(_drop_suffix(clause, "牵头")), lead=True)
        elif no_spaces(clause).endswith("配合"):
            items = _items(_drop_suffix(clause, "配合"))
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


def _drop_suffix(clause: str, word: str) -> str:
    """Remove 牵头 / 配合 from the end, even when letter-spaced (配 合)."""
    return re.sub(r"\s*".join(word) + r"\s*$", "", clause).strip()


def _items(clause: str) -> list[str]:
    items = [_ET_AL.sub("", i).strip() for i in _ITEMS.split(clause)]
    merged: list[str] = []
    for item in filter(None, items):
        pair = (no_spaces(merged[-1]), no_spaces(item)) if merged else None
        if pair in _JOINED:
            merged[-1] = _JOINED[pair]
        else:
            merged.append(item)
    return merged

"""Pydantic models of an indicator system (指标体系).

The schema files under ``schema/`` are these models serialised to YAML; the JSON
Schema exported next to them is generated from here (``xlbridge schema jsonschema``).
"""

from __future__ import annotations

from enum import Enum
from functools import cached_property
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, computed_field, model_validator

from xlbridge.normalise import fold_width, no_spaces
from xlbridge.system.targets import Target, find_targets

KNOWN_METHODS: tuple[str, ...] = (
    "网络检索",
    "材料查证",
    "随机访谈",
    "实地核验",
    "案卷评查",
    "随机抽考",
    "随机走访",
    "日常掌握",
)
WEB_SEARCH = "网络检索"
CASE_REVIEW = "案卷评查"


def unit_key(name: str) -> str:
    """Spellings of one unit compare equal: 市 支 队 = 市支队, （单位） = (单位)."""
    return no_spaces(fold_width(name))


class Kind(str, Enum):
    normal = "normal"
    bonus = "bonus"  # 加分项
    penalty = "penalty"  # 减分项


KIND_LABELS = {Kind.normal: "常规", Kind.bonus: "加分项", Kind.penalty: "减分项"}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Unit(Strict):
    """One responsible unit under its canonical name, with the spellings seen in sources."""

    name: str
    aliases: list[str] = Field(default_factory=list)
    group: bool = Field(
        default=False,
        description="A collective such as 各镇、街道办事处: receives no ledger itself; its members do.",
    )
    members: list[str] = Field(
        default_factory=list,
        description="A group's member units (canonical names): each reports what the group leads.",
    )
    members_note: str | None = Field(
        default=None,
        description="What the member list rests on, or why it is missing (the towns are not named in the table).",
    )


class Person(Strict):
    name: str
    unit: str | None = Field(default=None, description="Canonical unit the person answers for.")


class Indicator(Strict):
    key: str = Field(description="Unique within the system; equals code unless codes repeat.")
    code: str = Field(description="The number exactly as printed: 1, 45, (1), ★1.")
    level1: str
    level2: str | None = None
    level3: str | None = Field(default=None, description="Level-3 indicator text.")
    points: str | None = Field(
        default=None, description="考评要点 / 基本要求 / 考评内容 as printed."
    )
    methods: list[str] = Field(default_factory=list, description="测评方法")
    materials: list[str] = Field(default_factory=list, description="上报资料, one item each")
    units_text: str | None = Field(
        default=None, description="The responsibility cell as printed (normalised spaces)."
    )
    lead: list[str] = Field(default_factory=list, description="Lead units (canonical).")
    cooperating: list[str] = Field(default_factory=list, description="Cooperating units.")
    all_units_cooperate: bool = Field(default=False, description="各部门(单位)配合")
    persons: list[Person] = Field(default_factory=list)
    key_item: bool = Field(default=False, description="★ in 备注, or a ★n code")
    note: str | None = Field(default=None, description="备注 as printed")
    kind: Kind = Kind.normal
    deadline: str | None = Field(default=None, description="完成时限 as printed")
    score: float | None = Field(
        default=None, description="分值: points of a normal item; points added (加分) or deducted (扣分) per case."
    )
    scoring: str | None = Field(default=None, description="评分标准 / 扣分标准 / 评分细则 as printed")
    cap: float | None = Field(default=None, description="Most points this bonus/penalty item can add or deduct.")
    weight: float | None = Field(default=None, description="Share of the total score in percent (占总分值的15% → 15).")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def targets(self) -> list[Target]:
        """Quantitative targets read from the indicator's own text."""
        return find_targets(" ".join(filter(None, (self.level3, self.points))))

    @property
    def text(self) -> str:
        """The most specific wording: what a ledger row shows as the indicator."""
        return self.level3 or self.points or self.level2 or self.level1

    @property
    def unknown_methods(self) -> list[str]:
        return [m for m in self.methods if m not in KNOWN_METHODS]

    def role_of(self, unit: str) -> Literal["牵头", "配合"] | None:
        if unit in self.lead:
            return "牵头"
        if unit in self.cooperating or self.all_units_cooperate:
            return "配合"
        return None


class Level1(Strict):
    """A level-1 indicator's own score or weight, as its heading prints it (一、组织领导 12分)."""

    name: str
    score: float | None = None
    weight: float | None = Field(default=None, description="Percent of the total (占总分值的15% → 15).")


class IndicatorSystem(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    version: str = "1"
    title: str
    issuer: str
    document: str | None = Field(default=None, description="文号, e.g. 濮司〔2020〕50号")
    year: int | None = None
    period: tuple[int, int] | None = Field(
        default=None, description="First and last year the ledger covers, e.g. 2016–2021."
    )
    source: str | None = Field(default=None, description="Source document file name.")
    level_names: list[str] = Field(default_factory=lambda: ["一级指标", "二级指标", "三级指标"])
    points_label: str = Field(default="考评要点", description="考评要点 / 基本要求 / 考评内容")
    units: list[Unit] = Field(default_factory=list)
    total_score: float | None = Field(default=None, description="总分 as printed, when the table states it.")
    bonus_cap: float | None = Field(default=None, description="加分总和不超过…分")
    penalty_cap: float | None = Field(default=None, description="扣分/减分总和不超过…分")
    level1_scores: list[Level1] = Field(default_factory=list)
    scores_note: str | None = Field(
        default=None,
        description="What the scores rest on, or why there are none (the table prints no points).",
    )
    indicators: list[Indicator]
    # Units a workspace's settings added as members of groups (system/members.py): unit → groups.
    _supplied: dict[str, tuple[str, ...]] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _keys_unique(self) -> IndicatorSystem:
        seen: set[str] = set()
        dupes = [i.key for i in self.indicators if i.key in seen or seen.add(i.key)]
        if dupes:
            raise ValueError(f"指标编号(key)重复: {', '.join(dupes)}")
        return self

    def model_copy(self, *, update=None, deep: bool = False) -> IndicatorSystem:
        # pydantic copies __dict__, where cached_property keeps its values: a copy with other
        # units or indicators would answer with the original's assignments.
        copy = super().model_copy(update=update, deep=deep)
        for name in _CACHED:
            copy.__dict__.pop(name, None)
        return copy

    @property
    def years(self) -> list[int]:
        if self.period:
            return list(range(self.period[0], self.period[1] + 1))
        return [self.year] if self.year else []

    @cached_property
    def _by_key(self) -> dict[str, Indicator]:
        return {i.key: i for i in self.indicators}

    def indicator(self, key: str) -> Indicator | None:
        return self._by_key.get(key)

    def unit(self, name: str) -> Unit | None:
        """Find a unit by canonical name or alias, ignoring inner spaces (市 支 队)."""
        return self._by_unit_key.get(unit_key(name))

    @cached_property
    def _by_unit_key(self) -> dict[str, Unit]:
        found: dict[str, Unit] = {}
        for u in self.units:  # names first, then aliases: a name wins over another unit's alias
            found.setdefault(unit_key(u.name), u)
        for u in self.units:
            for alias in u.aliases:
                found.setdefault(unit_key(alias), u)
        return found

    @property
    def reporting_units(self) -> list[Unit]:
        """Units that receive a ledger: every non-group unit that leads or cooperates, itself or
        as a member of a group that does."""
        return [u for u in self.units if not u.group and u.name in self._assignments]

    def assigned(self, unit: str) -> list[Indicator]:
        """Indicators a unit must report on: where it leads or is named as cooperating, or a
        group it belongs to is.

        Blanket 各部门(单位)配合 is not an assignment: those rows would drown every
        ledger; the lead unit collects them.
        """
        return [ind for ind, _ in self._assignments.get(unit, ())]

    def role(self, ind: Indicator, unit: str) -> Literal["牵头", "配合"] | None:
        """The role an indicator is assigned to a unit with (None: not on its ledger)."""
        return self._roles.get(unit, {}).get(ind.key)

    @cached_property
    def _roles(self) -> dict[str, dict[str, Literal["牵头", "配合"]]]:
        # By indicator key (unique in a system; an id would not survive the pickling to a worker
        # process): the 汇总 asks for every indicator × unit.
        return {unit: {i.key: role for i, role in pairs} for unit, pairs in self._assignments.items()}

    def reached(self, ind: Indicator) -> dict[str, Literal["牵头", "配合"]]:
        """Every unit whose ledger carries the indicator, with its role: the units named, then the
        members of the groups named; a unit both named and a member keeps the stronger role."""
        out: dict[str, Literal["牵头", "配合"]] = {}
        for names, role in ((ind.lead, "牵头"), (ind.cooperating, "配合")):
            for name in names:
                for unit in (name, *self.members_of(name)):
                    if out.get(unit) != "牵头":
                        out[unit] = role  # type: ignore[assignment]
        return out

    def supplied_groups(self, unit: str) -> tuple[str, ...]:
        """The groups a workspace made ``unit`` a member of (empty for the system's own units)."""
        return self._supplied.get(unit, ())

    def members_of(self, group: str) -> list[str]:
        unit = self.unit(group)
        return list(unit.members) if unit and unit.group else []

    @cached_property
    def _assignments(self) -> dict[str, list[tuple[Indicator, Literal["牵头", "配合"]]]]:
        groups = {u.name for u in self.units if u.group}
        by_unit: dict[str, list[tuple[Indicator, Literal["牵头", "配合"]]]] = {}
        for i in self.indicators:
            for unit, role in self.reached(i).items():
                if unit not in groups:
                    by_unit.setdefault(unit, []).append((i, role))
        return by_unit


_CACHED = [name for name, attr in vars(IndicatorSystem).items() if isinstance(attr, cached_property)]

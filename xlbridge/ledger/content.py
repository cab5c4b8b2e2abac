"""What a unit's ledger is issued with: the pre-filled rows, derived from the indicator system.

The server never trusts the pre-filled cells it reads back; it derives them again from here
and compares, cell by cell.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from xlbridge.ledger.layout import LOCKED, Column
from xlbridge.normalise import cell_text
from xlbridge.system.model import KIND_LABELS, Indicator, IndicatorSystem, Kind


@dataclass(frozen=True, slots=True)
class IssuedRow:
    year: int
    indicator: Indicator
    values: dict[str, object]  # locked column key → value
    # Derived once, not lazily: the engine asks for both on every submitted row.
    identity: tuple[int, str]  # (year, indicator key)
    compared: list[object]  # the locked cells after year and code, as a reader returns them; shared by the years


def campaign_years(system: IndicatorSystem, campaign: int, years: list[int] | None = None) -> list[int]:
    """Years a ledger has rows for: explicit, else the system's period, else the campaign year."""
    if years:
        return sorted(years)
    return system.years if system.period else [campaign]


@dataclass(frozen=True)
class IssuedLedger:
    """A unit's issued rows and the look-ups the engine asks of them for every submitted row."""

    rows: list[IssuedRow]

    @cached_property
    def by_identity(self) -> dict[tuple[int, str], tuple[int, IssuedRow]]:
        """(year, code) → (position, row). A float year (calamine's 2021.0) finds it too."""
        return {r.identity: (i, r) for i, r in enumerate(self.rows)}

    @cached_property
    def locked(self) -> list[list[object]]:
        """Every row's locked cells in sheet order, as a reader returns them."""
        return _locked_cells(self.rows)

    @cached_property
    def locked_columns(self) -> list[tuple[object, ...]]:
        """The locked cells column by column, as the engine compares a submission's columns."""
        return list(zip(*self.locked))

    @cached_property
    def identity_columns(self) -> tuple[list[int], list[str]]:
        """(years, codes) of the rows, copied into a submission's table as they are."""
        return [r.year for r in self.rows], [r.indicator.key for r in self.rows]

    @cached_property
    def codes(self) -> frozenset[str]:
        return frozenset(r.indicator.key for r in self.rows)

    @cached_property
    def years(self) -> frozenset[int]:
        return frozenset(r.year for r in self.rows)

    @cached_property
    def digest(self) -> str:
        return _digest(self.locked)


_ISSUED_CACHE: dict[tuple[int, str, tuple[int, ...]], tuple[IndicatorSystem, IssuedLedger]] = {}


def issued_ledger(system: IndicatorSystem, unit: str, years: list[int]) -> IssuedLedger:
    """Cached per loaded system: the daemon validates the same units' ledgers all month."""
    key = (id(system), unit, tuple(years))
    cached = _ISSUED_CACHE.get(key)
    if cached is None or cached[0] is not system:
        if len(_ISSUED_CACHE) > 4096:
            _ISSUED_CACHE.clear()
        cached = _ISSUED_CACHE[key] = (system, IssuedLedger(_issued_rows(system, unit, years)))
    return cached[1]


def issued_rows(system: IndicatorSystem, unit: str, years: list[int]) -> list[IssuedRow]:
    return issued_ledger(system, unit, years).rows


def _issued_rows(system: IndicatorSystem, unit: str, years: list[int]) -> list[IssuedRow]:
    # Built for every unit whose ledger arrives: what does not depend on the year, once per indicator.
    assigned = []
    for ind in system.assigned(unit):
        values = _locked_values(ind, system.role(ind, unit) or "")
        assigned.append((ind, values, [values[c.key] for c in LOCKED[2:]]))
    return [IssuedRow(year, ind, {**values, "year": year}, (year, ind.key), compared)
            for year in years for ind, values, compared in assigned]


def _locked_values(ind: Indicator, role: str) -> dict[str, object]:
    """An indicator's locked cells for a unit with this role; the year is set per row."""
    text = ind.text
    if ind.kind is not Kind.normal:
        text = f"【{KIND_LABELS[ind.kind]}】{text}"
    if ind.key_item and not text.startswith("★"):
        text = f"★ {text}"
    values: dict[str, object] = {
        "year": 0,
        "code": ind.key,
        "level1": ind.level1,
        "indicator": text,
        "methods": "\n".join(ind.methods),
        "required_materials": "\n".join(ind.materials),
        "role": role,
    }
    assert set(values) == {c.key for c in LOCKED}, "layout and issued content disagree"
    return values


def rows_digest(rows: list[IssuedRow]) -> str:
    return _digest(_locked_cells(rows))


def _locked_cells(rows: list[IssuedRow]) -> list[list[object]]:
    return [[r.values[c.key] for c in LOCKED] for r in rows]


def _digest(locked: list[list[object]]) -> str:
    canonical = json.dumps(locked, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def locked_digest(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column]) -> str:
    """The digest of other sheets' locked cells (the 整改 sheet, inspection workbooks), taken as
    text on issue and on return, so a reader's 20.0 for "20" does not count as a change."""
    return _digest([[cell_text(r.get(c.key)) for c in columns if c.locked] for r in rows])

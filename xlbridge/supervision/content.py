"""What an inspection workbook is issued with: the unit's indicators with their state as of the
round's month (the store's ``monthly_state``), their 分值, and the unit's open rectification
items. Every locked cell is text; the digests over them are signed, so the server checks a
returned workbook against what it issued, even after later submissions changed the state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlite_utils

from xlbridge.ledger.content import campaign_years, locked_digest
from xlbridge.normalise import cell_text
from xlbridge.supervision import layout as S
from xlbridge.supervision import store
from xlbridge.supervision.scoring import Marks, full_marks, shown
from xlbridge.system.model import IndicatorSystem, Kind

NOT_REPORTED = "未报送"


@dataclass(frozen=True)
class IssuedInspection:
    unit: str
    round: str
    campaign: int
    rows: list[dict[str, Any]]  # locked cells of the 检查 sheet, by column key (and bonus_item)
    items: list[dict[str, str]]  # locked cells of the 整改复核 sheet
    marks: Marks

    @property
    def rows_digest(self) -> str:
        return locked_digest(self.rows, S.INSPECTION_COLUMNS)

    @property
    def items_digest(self) -> str:
        return locked_digest(self.items, S.REVIEW_COLUMNS)


def state_year(system: IndicatorSystem, campaign: int) -> int:
    """The ledger year an inspection looks at: the campaign's, or the latest before it."""
    years = [y for y in campaign_years(system, campaign) if y <= campaign]
    return max(years) if years else campaign


def issued_inspection(db: sqlite_utils.Database, system: IndicatorSystem, unit: str, round_: str,
                      campaign: int) -> IssuedInspection:
    marks = full_marks(system, unit)
    state = _state(db, system.id, campaign, unit, round_, state_year(system, campaign))
    awarded: dict[str, float] = {}
    for b in store.bonuses(db, system.id, campaign, unit, round_):
        awarded[b["indicator_key"]] = awarded.get(b["indicator_key"], 0.0) + b["bonus"]
    rows = []
    for ind in system.assigned(unit):
        found = state.get(ind.key, {})
        text = f"★ {ind.text}" if ind.key_item and not ind.text.startswith("★") else ind.text
        rows.append({
            "code": ind.key, "level1": ind.level1, "indicator": text, "methods": "\n".join(ind.methods),
            "points": shown(marks.points.get(ind.key)), "reported": found.get("reported_period") or NOT_REPORTED,
            **{k: cell_text(found.get(k)) for k in ("progress", "description", "materials", "links")},
            "awarded": shown(awarded[ind.key]) if ind.key in awarded else "",
            "bonus_item": ind.kind is Kind.bonus,  # not a cell: where the writer opens the 加分 inputs
        })
    items = [{"item": str(i["id"]), "code": i["indicator_key"] or "", "round": i["round"] or i["source"],
              "problem": i["problem"], "requirement": i["requirement"] or "", "due": i["due"], "status": i["status"],
              "measures": cell_text(i["measures"])}
             for i in store.open_items(db, system.id, unit)]
    return IssuedInspection(unit, round_, campaign, rows, items, marks)


def _state(db: sqlite_utils.Database, system_id: str, campaign: int, unit: str, month: str,
           year: int) -> dict[str, dict[str, Any]]:
    sql = """SELECT ms.indicator_key, ms.reported_period, r.progress, r.description, r.materials, r.links
             FROM monthly_state ms JOIN rows r ON r.id = ms.row_id
             WHERE ms.system_id = ? AND ms.campaign = ? AND ms.unit = ? AND ms.month = ? AND ms.year = ?"""
    cursor = db.execute(sql, [system_id, campaign, unit, month, year])
    names = [d[0] for d in cursor.description]
    return {row[0]: dict(zip(names, row)) for row in cursor}

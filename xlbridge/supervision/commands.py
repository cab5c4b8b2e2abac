"""What the supervision group's commands do besides planning (one call each from cli.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlite_utils

from xlbridge.errors import XlbridgeError
from xlbridge.service import store as service_store
from xlbridge.service.workspace import Workspace
from xlbridge.supervision import items, store
from xlbridge.supervision.plan import expected_units
from xlbridge.system.files import load_system

_ORDER = {items.OVERDUE: 0, items.OPEN: 1, items.ANSWERED: 2, items.CLOSED: 3}


def add_daily_item(ws: Workspace, db: sqlite_utils.Database, unit: str, indicator: str, problem: str,
                   requirement: str, due: str, by: str) -> dict[str, Any]:
    """An item found in daily supervision (日常督导), outside any round."""
    system = load_system(ws.system)
    [unit] = expected_units(ws, [system.unit(unit).name if system.unit(unit) else unit])
    found = system.indicator(indicator)
    if found is None or found not in system.assigned(unit):
        codes = "、".join(i.key for i in system.assigned(unit))
        raise XlbridgeError(f"指标「{indicator}」不是{unit}牵头或配合的指标（{unit}的指标：{codes}）")
    if not problem.strip():
        raise XlbridgeError("请写明发现的问题（--problem）")
    service_store.register_system(db, system)
    store.ensure_tables(db)
    with db.atomic():
        item_id = items.add_item(db, system_id=system.id, campaign=ws.campaign or int(due[:4]), unit=unit,
                                 indicator_key=found.key, problem=problem.strip(), requirement=requirement.strip(),
                                 due=due, by=by, key_item=found.key_item)
    return dict(db["rectification_items"].get(item_id))


def list_items(ws: Workspace, db: sqlite_utils.Database, today: date, closed_too: bool = False) -> list[dict[str, Any]]:
    """Every item (open ones only unless ``closed_too``), overdue first, with its history."""
    system = load_system(ws.system)
    store.ensure_tables(db)
    items.mark_overdue(db, system.id, today)
    found = [i for i in store.items(db, system.id) if closed_too or i["status"] != items.CLOSED]
    for item in found:
        item["history"] = store.history(db, item["id"])
    return sorted(found, key=lambda i: (_ORDER[i["status"]], i["due"], i["id"]))

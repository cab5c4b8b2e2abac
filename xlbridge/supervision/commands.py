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
from xlbridge.supervision.scores import UnitScore, unit_scores

_ORDER = {items.OVERDUE: 0, items.OPEN: 1, items.ANSWERED: 2, items.CLOSED: 3}


def add_daily_item(ws: Workspace, db: sqlite_utils.Database, unit: str, indicator: str, problem: str,
                   requirement: str, due: str, by: str) -> dict[str, Any]:
    """An item found in daily supervision (日常督导), outside any round."""
    system = ws.indicator_system()
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
    system = ws.indicator_system()
    store.ensure_tables(db)
    items.mark_overdue(db, system.id, today)
    found = [i for i in store.items(db, system.id) if closed_too or i["status"] != items.CLOSED]
    for item in found:
        item["history"] = store.history(db, item["id"])
    return sorted(found, key=lambda i: (_ORDER[i["status"]], i["due"], i["id"]))


def scores_as_of(ws: Workspace, db: sqlite_utils.Database, period: str) -> list[UnitScore]:
    system = ws.indicator_system()
    return unit_scores(db, system, ws.campaign or int(period[:4]), period, expected_units(ws))


def score_lines(scores: list[UnitScore], period: str) -> list[str]:
    """`xlbridge score` as text: the method once, then each unit by rank."""
    methods = sorted({s.method for s in scores})
    lines = [f"{period} 督导检查得分（计分方法：{'；'.join(methods)}）"]
    for s in scores:
        if s.score is None:
            lines.append(f"  —  {s.unit}：尚未检查（满分 {s.full_marks:g}）")
            continue
        lines.append(f"{s.rank:>3}  {s.unit}：{s.score:g} / {s.full_marks:g}（{s.round} 检查）")
        lines += [f"       {sub['level1']}：{sub['score']:g} / {sub['full_marks']:g}" for sub in s.subtotals]
        lines += [f"       扣 {d.points:g} 分：指标 {d.code}，{d.reason}" for d in s.deductions]
    return lines

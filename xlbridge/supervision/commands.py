"""What the supervision group's commands do besides planning (one call each from cli.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import sqlite_utils

from xlbridge.errors import XlbridgeError
from xlbridge.service import store as service_store
from xlbridge.service.workspace import Workspace
from xlbridge.supervision import items, store
from xlbridge.supervision.plan import expected_units, workspace_unit
from xlbridge.supervision.scores import UnitScore, unit_scores
from xlbridge.supervision.scoring import bonus_text
from xlbridge.system.model import Indicator, IndicatorSystem

_ORDER = {items.OVERDUE: 0, items.OPEN: 1, items.ANSWERED: 2, items.CLOSED: 3}


def unit_indicator(ws: Workspace, system: IndicatorSystem, unit: str, code: str,
                   among: Callable[[str], list[Indicator]], what: str, kind: str) -> tuple[str, Indicator]:
    """The workspace's unit (by any spelling) and one of ``among(unit)`` by its code, or a Chinese
    error listing the codes it could have been."""
    unit = workspace_unit(ws, system, unit)
    found = system.indicator(code)
    if found is None or found not in among(unit):
        codes = "、".join(i.key for i in among(unit)) or "无"
        raise XlbridgeError(f"指标「{code}」不是{unit}{what}（{unit}的{kind}：{codes}）")
    return unit, found


def add_daily_item(ws: Workspace, db: sqlite_utils.Database, unit: str, indicator: str, problem: str,
                   requirement: str, due: str, by: str) -> dict[str, Any]:
    """An item found in daily supervision (日常督导), outside any round."""
    system = ws.indicator_system()
    unit, found = unit_indicator(ws, system, unit, indicator, system.assigned, "牵头或配合的指标", "指标")
    if not problem.strip():
        raise XlbridgeError("请写明发现的问题（--problem）")
    service_store.register_system(db, system)
    store.ensure_tables(db)
    with db.atomic():
        item_id = items.add_item(db, system_id=system.id, campaign=ws.campaign or int(due[:4]), unit=unit,
                                 indicator_key=found.key, problem=problem.strip(), requirement=requirement.strip(),
                                 due=due, by=by, key_item=found.key_item)
    return dict(db["rectification_items"].get(item_id))


def close_item(ws: Workspace, db: sqlite_utils.Database, item_id: int, reason: str, by: str) -> dict[str, Any]:
    """销号 outside a round: the group has verified the rectification in daily supervision."""
    item = _item(ws, db, item_id)
    if item["status"] == items.CLOSED:
        raise XlbridgeError(f"整改事项 {item_id} 已于 {item['updated_at'][:10]} 销号，无需再次销号")
    with db.atomic():
        items.change(db, item, items.CLOSED, by=by, note=f"销号：{_reason(reason)}", source="cli")
    return item


def reopen_item(ws: Workspace, db: sqlite_utils.Database, item_id: int, reason: str, by: str,
                due: str | None = None) -> dict[str, Any]:
    """A closed (已销号) item back to 待整改 — the problem came back, or it was closed in error —
    with a new deadline if one is given."""
    item = _item(ws, db, item_id)
    if item["status"] != items.CLOSED:
        raise XlbridgeError(f"整改事项 {item_id} 当前为「{item['status']}」，尚未销号，无需重新打开")
    note = f"重新打开：{_reason(reason)}" + (f"（整改期限由 {item['due']} 改为 {due}）" if due and due != item["due"] else "")
    with db.atomic():
        items.change(db, item, items.OPEN, by=by, note=note, source="cli", **({"due": due} if due else {}))
    return item


def _item(ws: Workspace, db: sqlite_utils.Database, item_id: int) -> dict[str, Any]:
    system = ws.indicator_system()
    store.ensure_tables(db)
    found = list(db["rectification_items"].rows_where("id = ? AND system_id = ?", [item_id, system.id]))
    if not found:
        raise XlbridgeError(f"整改事项 {item_id} 不存在（用 xlbridge rectify list --all 查看全部事项及其编号）")
    return found[0]


def _reason(reason: str) -> str:
    if not reason.strip():
        raise XlbridgeError("请写明原因（--reason）")
    return reason.strip()


def item_lines(item: dict[str, Any]) -> list[str]:
    """`xlbridge rectify show`: the item, then every change with who and when."""
    star = "★" if item["key_item"] else ""
    lines = [f"整改事项 {item['id']}：{item['unit']} 指标 {star}{item['indicator_key'] or '—'}（{item['round'] or item['source']}）",
             f"  问题：{item['problem']}", f"  整改要求：{item['requirement'] or '—'}",
             f"  整改期限：{item['due']}　当前状态：{item['status']}"]
    if item["measures"]:
        lines.append(f"  单位整改措施：{item['measures']}（{item['completion'] or ''}）")
    lines.append("  变更记录：")
    lines += [f"    {h['at'].replace('T', ' ')[:16]}  {h['by']}  {h['old_status'] or '—'} → {h['new_status']}  {h['note'] or ''}"
              for h in item["history"]]
    return lines


def show_item(ws: Workspace, db: sqlite_utils.Database, item_id: int) -> dict[str, Any]:
    item = _item(ws, db, item_id)
    item["history"] = store.history(db, item_id)
    return item


def list_items(ws: Workspace, db: sqlite_utils.Database, today: date, closed_too: bool = False,
               unit: str | None = None) -> list[dict[str, Any]]:
    """Every item (open ones only unless ``closed_too``; of one unit if given), overdue first, with its history."""
    system = ws.indicator_system()
    unit = workspace_unit(ws, system, unit) if unit else None
    store.ensure_tables(db)
    items.mark_overdue(db, system.id, today)
    found = [i for i in store.items(db, system.id) if (closed_too or i["status"] != items.CLOSED)
             and (not unit or i["unit"] == unit)]
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
            lines.append(f"  —  {s.unit}：尚未检查（满分 {s.full_marks:g}）" + (f"，已加 {s.bonus:g} 分" if s.bonus else ""))
            continue
        plus = f"，含加分 {s.bonus:g}" if s.bonuses else ""
        lines.append(f"{s.rank:>3}  {s.unit}：{s.score:g} / {s.full_marks:g}（{s.round} 检查{plus}）")
        lines += [f"       {sub['level1']}：{sub['score']:g} / {sub['full_marks']:g}" for sub in s.subtotals]
        lines += [f"       扣 {d.points:g} 分：指标 {d.code}，{d.reason}" for d in s.deductions]
        lines += [f"       {bonus_text(b)}" for b in s.bonuses]
    return lines


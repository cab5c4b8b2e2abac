"""Bonus points (加分) awarded to a unit on a 加分项: by an inspection (its 加分 and 加分依据 cells)
or, outside a round, by ``xlbridge bonus add`` (an award announced any day). Each award counts
from its month on, for the rest of the campaign; scoring.py keeps the awards of an item within
its 分值 and all of them within the system's bonus_cap. A mistaken award is revoked (who, when,
why kept), never deleted."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from xlbridge.errors import XlbridgeError
from xlbridge.service import store as service_store
from xlbridge.service.workspace import Workspace
from xlbridge.supervision import store
from xlbridge.supervision.commands import unit_indicator
from xlbridge.supervision.scoring import full_marks, shown
from xlbridge.system.model import Kind


def award(db: sqlite_utils.Database, *, system_id: str, campaign: int, unit: str, indicator_key: str, month: str,
          bonus: float, reason: str, by: str, inspection_id: int | None = None, at: str | None = None) -> int:
    return int(db["bonuses"].insert({
        "system_id": system_id, "campaign": campaign, "unit": unit, "indicator_key": indicator_key, "month": month,
        "bonus": bonus, "bonus_reason": reason, "source": "督导检查" if inspection_id else "日常督导",
        "inspection_id": inspection_id, "created_at": at or store.now(), "created_by": by}).last_pk)


def add_bonus(ws: Workspace, db: sqlite_utils.Database, unit: str, indicator: str, points: float, reason: str,
              month: str, by: str) -> dict[str, Any]:
    """An award recorded outside a round, checked as the inspection workbook's 加分 cell is."""
    system = ws.indicator_system()
    unit, found = unit_indicator(ws, system, unit, indicator,
                                 lambda u: [i for i in system.assigned(u) if i.kind is Kind.bonus], "的加分项", "加分项")
    campaign = ws.campaign or int(month[:4])
    if int(month[:4]) != campaign:
        raise XlbridgeError(f"月份 {month} 不在 {campaign} 考核年度内")
    cap = full_marks(system, unit).points.get(found.key)
    if cap is None:
        raise XlbridgeError(f"指标体系未规定加分项「{found.key}」的分值，加分无法计入得分"
                            "（请在指标体系中为它写明 score 或 cap）")
    if points <= 0 or points > cap:
        raise XlbridgeError(f"加分 {points:g} 应大于 0，且不超过加分项「{found.key}」的分值 {shown(cap)}")
    store.ensure_tables(db)
    given = sum(b["bonus"] for b in store.bonuses(db, system.id, campaign, unit) if b["indicator_key"] == found.key)
    if points > cap - given:  # as the workbook's 已加分 checks it
        raise XlbridgeError(f"加分 {points:g} 超过加分项「{found.key}」还可加的 {shown(max(cap - given, 0))} 分"
                            f"（分值 {shown(cap)}，已加 {shown(given)} 分）")
    if not reason.strip():
        raise XlbridgeError("请写明加分依据（--reason），如 表彰文件名称、文号")
    service_store.register_system(db, system)
    with db.atomic():
        bonus_id = award(db, system_id=system.id, campaign=campaign, unit=unit, indicator_key=found.key, month=month,
                         bonus=float(points), reason=reason.strip(), by=by)
    return dict(db["bonuses"].get(bonus_id))


def revoke(ws: Workspace, db: sqlite_utils.Database, bonus_id: int, reason: str, by: str) -> dict[str, Any]:
    system = ws.indicator_system()
    store.ensure_tables(db)
    found = list(db["bonuses"].rows_where("id = ? AND system_id = ?", [bonus_id, system.id]))
    if not found:
        raise XlbridgeError(f"加分记录 {bonus_id} 不存在（用 xlbridge bonus list 查看全部加分记录及其编号）")
    if found[0]["revoked_at"]:
        raise XlbridgeError(f"加分记录 {bonus_id} 已于 {found[0]['revoked_at'][:10]} 由{found[0]['revoked_by']}撤销")
    if not reason.strip():
        raise XlbridgeError("请写明撤销原因（--reason）")
    with db.atomic():
        db["bonuses"].update(bonus_id, {"revoked_at": store.now(), "revoked_by": by, "revoke_reason": reason.strip()})
    return dict(db["bonuses"].get(bonus_id))


def list_bonuses(ws: Workspace, db: sqlite_utils.Database) -> list[dict[str, Any]]:
    system = ws.indicator_system()
    store.ensure_tables(db)
    return list(db["bonuses"].rows_where("system_id = ?", [system.id], order_by="month, id"))


def bonus_line(b: dict[str, Any]) -> str:
    revoked = f"（已于 {b['revoked_at'][:10]} 由{b['revoked_by']}撤销：{b['revoke_reason']}）" if b["revoked_at"] else ""
    return (f"{b['id']:>4}  {b['month']}  {b['unit']}  指标 {b['indicator_key']}  加 {b['bonus']:g} 分  "
            f"{b['bonus_reason']}（{b['source']}，{b['created_by']}）{revoked}")

"""催报 notices for a month: one page per unit that has not reported it, or that has open
rectification items whose deadline is near (within NEAR_DAYS) or past. Documents, not messages:
the office sends them its own way. Written to outbox/督导检查/催报/<月份>/."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from xlbridge.service import store as service_store
from xlbridge.service.consolidate import deadline_for
from xlbridge.service.workspace import Workspace
from xlbridge.supervision import document as D
from xlbridge.supervision import items as I
from xlbridge.supervision import store
from xlbridge.supervision.plan import expected_units
from xlbridge.supervision.receipt import FOLDER
from xlbridge.supervision.timeline import end_of, items_on, month_day

NEAR_DAYS = 7


@dataclass
class Reminder:
    unit: str
    period: str
    missing: bool  # the month's ledger not received
    deadline: date
    items: list[dict[str, Any]] = field(default_factory=list)  # open, due within NEAR_DAYS or overdue
    contact: str = ""  # person and phone from the unit's last accepted submission
    as_of: date | None = None  # the notice's date


def reminders(ws: Workspace, db: sqlite_utils.Database, period: str, today: date | None = None) -> list[Reminder]:
    """The notices as of ``today`` (by default the month's last on-time day, or today if earlier:
    timeline.py): the ledger not received by then; items the unit has still to answer (待整改,
    逾期) due within NEAR_DAYS of then or past due."""
    day = today or month_day(period, ws.deadline_day)
    system = ws.indicator_system()
    campaign = ws.campaign or int(period[:4])
    store.ensure_tables(db)
    I.mark_overdue(db, system.id, day)
    near = (day + timedelta(days=NEAR_DAYS)).isoformat()
    found = []
    for unit in expected_units(ws):
        reported = db.execute("SELECT 1 FROM submissions WHERE status = 'accepted' AND system_id = ? AND campaign = ?"
                              " AND unit = ? AND period = ? AND received_at < ? LIMIT 1",
                              [system.id, campaign, unit, period, end_of(day)]).fetchone()
        urgent = [i for i in items_on(db, system.id, day, campaign, unit)
                  if i["status"] in (I.OPEN, I.OVERDUE) and i["due"] <= near]
        if reported and not urgent:
            continue
        found.append(Reminder(unit, period, not reported, deadline_for(period, ws.deadline_day).date(), urgent,
                              _contact(db, system.id, campaign, unit, period), day))
    return found


def _contact(db: sqlite_utils.Database, system_id: str, campaign: int, unit: str, period: str) -> str:
    last = service_store.counting_submission(db, system_id, campaign, unit, period)  # the latest up to the month
    if last is None:
        return "（本单位尚未报送过台账，无联系人记录）"
    pairs = Counter((r["person"], r["phone"]) for r in service_store.submission_rows(db, last["id"]).values()
                    if r["person"] or r["phone"])
    if not pairs:
        return f"（{last['period']} 台账未填联系人）"
    (person, phone), _ = pairs.most_common(1)[0]
    return f"{person or ''} {phone or ''}（据 {last['period']} 台账）".strip()


def reminder_path(ws: Workspace, reminder: Reminder) -> Path:
    return ws.outbox / FOLDER / "催报" / reminder.period / f"催报_{ws.unit_outbox(reminder.unit).name}_{reminder.period}.docx"


def write_reminder(ws: Workspace, reminder: Reminder, issuer: str = "法治政府建设督导检查组") -> Path:
    doc = D.new_document(issuer, f"{reminder.unit} {reminder.period} 催报通知")
    D.title(doc, "催报通知")
    D.body(doc, f"{reminder.unit}：", indent=False)
    month = f"{reminder.period[:4]}年{int(reminder.period[5:])}月"
    if reminder.missing:
        D.body(doc, f"截至目前，尚未收到贵单位{month}的法治政府建设工作台账。报送截止时间为 "
                    f"{reminder.deadline:%Y年%m月%d日} 前（次月 {reminder.deadline.day} 日前），请抓紧填报并报送。")
    if reminder.items:
        D.body(doc, f"贵单位有 {len(reminder.items)} 项整改事项临近或已过整改期限，请在台账“整改”表中填写整改措施、"
                    "完成情况和佐证材料，随台账一并报送：")
        D.table(doc, ["编号", "指标", "问题", "整改期限", "状态"],
                [[i["id"], ("★" if i["key_item"] else "") + (i["indicator_key"] or ""), i["problem"], i["due"],
                  i["status"]] for i in reminder.items], [14, 18, 82, 24, 18])
    D.body(doc, f"联系人：{reminder.contact}")
    D.right(doc, issuer)
    D.right(doc, f"{reminder.as_of or date.today():%Y年%m月%d日}")
    return D.save(doc, reminder_path(ws, reminder))

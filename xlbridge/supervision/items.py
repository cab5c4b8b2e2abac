"""Rectification items (整改事项) and their lifecycle:

    待整改 ──(unit reports its measures)──→ 已反馈 ──(销号)──→ 已销号
       │  ↖────────────(未通过)──────────────┘                  │
       └──(deadline passes unanswered)──→ 逾期 ──(measures)──→ 已反馈
    已销号 ──(reopened)──→ 待整改

Every change is a row of ``rectification_history`` (who, when, from, to, why); the item row
holds only the current status and the unit's latest answer. 逾期 is recorded when it is noticed
(:func:`mark_overdue`, run by every command that reads the items), with the system as its author.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlite_utils

from xlbridge.errors import XlbridgeError
from xlbridge.supervision.store import now

OPEN, ANSWERED, CLOSED, OVERDUE = "待整改", "已反馈", "已销号", "逾期"
STATUSES = (OPEN, ANSWERED, CLOSED, OVERDUE)
SYSTEM_ACTOR = "系统"
_ALLOWED = {
    OPEN: {ANSWERED, CLOSED, OVERDUE},
    ANSWERED: {CLOSED, OPEN, OVERDUE},
    OVERDUE: {ANSWERED, CLOSED},
    CLOSED: {OPEN},
}


def add_item(db: sqlite_utils.Database, *, system_id: str, campaign: int, unit: str, indicator_key: str | None,
             problem: str, requirement: str, due: str, by: str, key_item: bool = False, round_: str | None = None,
             inspection_id: int | None = None, at: str | None = None) -> int:
    """A new item (待整改), from an inspection or from daily supervision (日常督导)."""
    at = at or now()
    item_id = int(db["rectification_items"].insert({
        "system_id": system_id, "campaign": campaign, "unit": unit, "indicator_key": indicator_key, "round": round_,
        "source": "督导检查" if inspection_id else "日常督导", "inspection_id": inspection_id, "problem": problem,
        "requirement": requirement, "due": due, "key_item": int(key_item), "status": OPEN, "created_at": at,
        "created_by": by, "updated_at": at}).last_pk)
    _history(db, item_id, None, OPEN, by, at, "提出整改事项", "inspection" if inspection_id else "cli", inspection_id)
    return item_id


def change(db: sqlite_utils.Database, item: dict[str, Any], new: str, *, by: str, note: str, source: str,
           ref: int | None = None, at: str | None = None, **fields: Any) -> None:
    """Move ``item`` to ``new`` (kept in its history); ``fields`` update the unit's answer."""
    old = item["status"]
    if new != old and new not in _ALLOWED[old]:
        raise XlbridgeError(f"整改事项 {item['id']} 当前为「{old}」，不能改为「{new}」")
    at = at or now()
    db["rectification_items"].update(item["id"], {"status": new, "updated_at": at, **fields})
    _history(db, item["id"], old, new, by, at, note, source, ref)
    item.update(status=new, updated_at=at, **fields)


def reopened_status(item: dict[str, Any], today: date) -> str:
    """Where an item goes back to when a review does not close it: 逾期 once its deadline is past."""
    return OVERDUE if item["due"] < today.isoformat() else OPEN


def mark_overdue(db: sqlite_utils.Database, system_id: str, today: date) -> int:
    """Unanswered items whose deadline has passed become 逾期; the number marked. Recorded at the
    start of ``today``, or at the item's last change if that came later (an --as-of in the past):
    an item's history never runs backwards."""
    due = list(db["rectification_items"].rows_where("system_id = ? AND status = ? AND due < ?",
                                                    [system_id, OPEN, today.isoformat()]))
    with db.atomic():
        for item in due:
            change(db, item, OVERDUE, by=SYSTEM_ACTOR, note=f"整改期限 {item['due']} 已过，尚未反馈", source="system",
                   at=max(f"{today.isoformat()}T00:00:00", item["updated_at"]))
    return len(due)


def _history(db: sqlite_utils.Database, item_id: int, old: str | None, new: str, by: str, at: str, note: str,
             source: str, ref: int | None) -> None:
    db["rectification_history"].insert({"item_id": item_id, "at": at, "by": by, "old_status": old,
                                        "new_status": new, "note": note, "source": source, "ref": ref})

"""Rectification items as they stood on a day, replayed from their history — so that a 汇总, a
通报 or a 催报 notice written years later says what it would have said then — and the day each
of those is "as of" when no --as-of is given:

    汇总 of a month      the day before the month's reporting deadline (次月 deadline_day 日; by
                         default the 1st, so the month's last day), or today if earlier
    催报 of a month      the same day
    通报 of a quarter    the quarter's last day, or today if earlier

An item counts from its first change on or before that day, with the status of its last change
by then; one still 待整改 past its deadline shows as 逾期 (whether or not a command had yet
recorded that in the store). An inspection round's items count in the views of the month it
inspected even when the round was carried out (received) after that day, as they were found.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any

import sqlite_utils

from xlbridge.service.consolidate import deadline_for
from xlbridge.supervision import items as I
from xlbridge.supervision import store


def month_day(period: str, deadline_day: int) -> date:
    """What a month's 汇总 and 催报 are as of: the last day ledgers of the month are on time."""
    return min(date.today(), deadline_for(period, deadline_day).date() - timedelta(days=1))


def quarter_day(months: list[str]) -> date:
    year, month = (int(p) for p in months[-1].split("-"))
    return min(date.today(), date(year, month, calendar.monthrange(year, month)[1]))


def end_of(day: date) -> str:
    """The first moment after ``day``, as stored times compare: ``at < end_of(day)`` is on or before it."""
    return (day + timedelta(days=1)).isoformat()


def items_on(db: sqlite_utils.Database, system_id: str, day: date, campaign: int | None = None,
             unit: str | None = None, rounds_to: str | None = None) -> list[dict[str, Any]]:
    """Every item that existed by the end of ``day``, its ``status`` as of then (``changed_at``:
    the change that gave it), oldest first. With ``rounds_to`` (YYYY-MM), also the items of the
    inspection rounds up to that month received after ``day``, as they were found: a round's
    findings belong to the month it inspected, though it is carried out after that month ends."""
    end = end_of(day)
    history: dict[int, list[dict[str, Any]]] = {}
    for h in db["rectification_history"].rows_where(
            "item_id IN (SELECT id FROM rectification_items WHERE system_id = ?)", [system_id], order_by="at, id"):
        history.setdefault(h["item_id"], []).append(h)
    out = []
    for item in store.items(db, system_id, campaign):
        changes = history.get(item["id"], [])
        known = [h for h in changes if h["at"] < end]
        if not known and changes and rounds_to and item["round"] and item["round"] <= rounds_to:
            known = changes[:1]
        if (unit and item["unit"] != unit) or not known:
            continue
        status = known[-1]["new_status"]
        out.append({**item, "status": I.OVERDUE if status == I.OPEN and item["due"] < day.isoformat() else status,
                    "changed_at": known[-1]["at"]})
    return out

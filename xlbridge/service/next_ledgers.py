"""Next month's ledgers: each expected unit's ledger for a month, signed with the workspace key,
its white cells pre-filled with the unit's latest accepted answers (as of that month) (so a clerk changes
what changed instead of re-typing a 336-row ledger). Units that never reported get it blank.

A carried-over answer is checked like a typed one when the ledger comes back (a 已完成 still
needs its 进度说明). Continuation rows come back folded into their indicator row, one material
or link per line, as the store keeps them.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from xlbridge.errors import XlbridgeError
from xlbridge.ledger.signature import load_key
from xlbridge.service import open_items, store
from xlbridge.service.consolidate import campaign_months, deadline_for
from xlbridge.service.workspace import Workspace
from xlbridge.xlsx.owned import fit_name

_CARRIED = ("progress", "description", "materials", "links", "secret", "person", "phone")


def following_month(period: str) -> str | None:
    """The next month of the same campaign year; None after December."""
    year, month = int(period[:4]), int(period[5:7])
    return None if month == 12 else f"{year:04d}-{month + 1:02d}"


def closed_month(campaign: int, deadline_day: int, now: datetime) -> str | None:
    """The campaign's latest month whose deadline has passed at ``now``."""
    closed = [m for m in campaign_months(campaign) if deadline_for(m, deadline_day) <= now]
    return closed[-1] if closed else None


def issue_after_deadline(ws: Workspace, db: sqlite_utils.Database, now: datetime) -> list[Path]:
    """Once a month's deadline has passed, every expected unit's ledger for the month after it,
    written once: the store remembers the issue, so a restart or the group deleting an outbox
    file does not bring it back. Nothing after December, nothing before the campaign's first month."""
    system = ws.indicator_system()
    campaign = ws.campaign or now.year
    closed = closed_month(campaign, ws.deadline_day, now)
    month = following_month(closed) if closed else None
    if month is None:
        return []
    mark = f"ledgers_issued/{system.id}/{month}"
    if db["meta"].count_where("key = ?", [mark]):
        return []
    paths = write_next_ledgers(ws, db, month)
    db["meta"].insert({"key": mark, "value": now.isoformat(timespec="seconds")}, pk="key", replace=True)
    return paths


def next_ledger_path(ws: Workspace, unit: str, period: str) -> Path:
    folder = ws.unit_outbox(unit)
    return folder / fit_name(f"{folder.name}_{period}_工作台账", ".xlsx")


def write_next_ledgers(ws: Workspace, db: sqlite_utils.Database, period: str,
                       units: list[str] | None = None) -> list[Path]:
    """The ledger for ``period`` of every expected unit (or ``units``) into outbox/<单位>/."""
    system = ws.indicator_system()
    campaign = ws.campaign or int(period[:4])
    if int(period[:4]) != campaign:
        raise XlbridgeError(f"报送月份 {period} 不在 {campaign} 考核年度内")
    expected = ws.expected_units or [u.name for u in system.reporting_units]
    for name in units or []:
        if name not in expected:
            raise XlbridgeError(f"单位「{name}」不在本工作区的报送单位中。报送单位：{'、'.join(expected)}")
    from xlbridge.ledger.writer import write_ledger  # openpyxl: in the workers, not loaded by every daemon

    key = load_key(ws.key_file)  # never created here: ledgers signed with another key would all be rejected
    store.register_system(db, system)
    items = open_items.source()
    paths = []
    for unit in units or expected:
        answers = _answers(db, system.id, campaign, unit, period)
        paths.append(write_ledger(system, unit, campaign, next_ledger_path(ws, unit, period), key,
                                  period=period, answers=answers,
                                  items=items.open_items(db, system.id, unit) if items else ()))
    return paths


def write_apart(ws: Workspace, period: str, units: list[str]) -> list[tuple[str, list[Path] | Exception]]:
    """Each unit's ledger for ``period``, on a read-only connection of its own (in a worker
    process, beside the daemon's other work); per unit its paths, or the error that stopped it."""
    conn = store.read_only(ws.store)
    out: list[tuple[str, list[Path] | Exception]] = []
    try:
        db = sqlite_utils.Database(conn)
        for unit in units:
            try:
                out.append((unit, write_next_ledgers(ws, db, period, [unit])))
            except Exception as exc:  # noqa: BLE001  (told per unit by the caller)
                out.append((unit, exc))
    finally:
        conn.close()
    return out


def _answers(db: sqlite_utils.Database, system_id: str, campaign: int, unit: str,
             as_of: str) -> dict[tuple[int, str], dict[str, Any]]:
    counting = store.counting_submission(db, system_id, campaign, unit, as_of)
    if counting is None:
        return {}
    # One plain query (a ledger is written for every unit every month): the carried fields of each row.
    cursor = db.execute(f"SELECT year, indicator_key, {', '.join(_CARRIED)} FROM rows WHERE submission_id = ?", [counting["id"]])
    return {(year, key): dict(zip(_CARRIED, values)) for year, key, *values in cursor}

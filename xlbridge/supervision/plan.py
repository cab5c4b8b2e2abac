"""An inspection round's workbooks: one per expected unit (or the named ones), pre-filled with
the unit's state as of the round's month and its open rectification items, signed with the
workspace key, written to outbox/督导检查/<轮次>/."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import sqlite_utils

from xlbridge.errors import XlbridgeError
from xlbridge.ledger.signature import load_key
from xlbridge.service import store as service_store
from xlbridge.service.workspace import Workspace
from xlbridge.supervision import items, store
from xlbridge.supervision.content import issued_inspection
from xlbridge.supervision.receipt import round_folder
from xlbridge.system.model import IndicatorSystem


def expected_units(ws: Workspace, units: list[str] | None = None) -> list[str]:
    system = ws.indicator_system()
    expected = ws.expected_units or [u.name for u in system.reporting_units]
    for name in units or []:
        if name not in expected:
            raise XlbridgeError(f"单位「{name}」不在本工作区的报送单位中。报送单位：{'、'.join(expected)}")
    return list(units or expected)


def workspace_unit(ws: Workspace, system: IndicatorSystem, name: str) -> str:
    """One of the workspace's units by any spelling the system knows (市 支 队, an alias), or a Chinese error."""
    found = system.unit(name)
    [unit] = expected_units(ws, [found.name if found else name])
    return unit


def plan_round(ws: Workspace, db: sqlite_utils.Database, round_: str, units: list[str] | None = None,
               today: date | None = None) -> list[Path]:
    # openpyxl: loaded by the command that plans a round, not by every daemon (summary_sheets imports this module)
    from xlbridge.supervision.writer import inspection_filename, write_inspection

    system = ws.indicator_system()
    campaign = ws.campaign or int(round_[:4])
    if int(round_[:4]) != campaign:
        raise XlbridgeError(f"检查轮次 {round_} 不在 {campaign} 考核年度内")
    names = expected_units(ws, units)
    key = load_key(ws.key_file)  # never created here: a workbook signed with another key would be refused
    service_store.register_system(db, system)
    store.ensure_tables(db)
    items.mark_overdue(db, system.id, today or date.today())  # the review sheet shows the status as of now
    folder = round_folder(ws, round_)
    return [write_inspection(system, issued_inspection(db, system, unit, round_, campaign),
                             folder / inspection_filename(unit, round_), key) for unit in names]

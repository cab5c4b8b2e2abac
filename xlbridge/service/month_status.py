"""One month at a glance, per expected unit (``xlbridge status --period``): reported or not, on
time or late, its findings, where its figures come from, and who to call.

The statuses and contacts are the 汇总's own (consolidate's 总览 and 未报送 sheets compute them the
same way), so the command and the workbook never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

from xlbridge.ledger.content import campaign_years
from xlbridge.service.consolidate import (
    UnitStatus,
    _snapshot_rows,
    _snapshot_sources,
    _unit_statuses,
    check_period,
    deadline_for,
)
from xlbridge.service.workspace import Workspace
from xlbridge.system.files import load_system

# The 汇总's status words → stable codes for JSON.
STATE_CODES = {"按时报送": "on_time", "逾期报送": "late", "已退回": "rejected", "未报送": "missing"}


@dataclass
class UnitMonth:
    status: UnitStatus
    counted_from: str | None  # the reporting month its figures come from (earlier: it did not report this month)
    filled_by: str | None
    person: str | None
    phone: str | None

    @property
    def submission(self) -> dict[str, Any]:
        return self.status.submission or {}

    def as_json(self) -> dict[str, Any]:
        s, sub = self.status, self.submission
        return {"unit": s.unit, "state": STATE_CODES[s.status], "state_label": s.status,
                "reported": s.status in ("按时报送", "逾期报送"), "submission_id": sub.get("id"),
                "received_at": sub.get("received_at"), "file_name": sub.get("file_name"),
                "errors": sub.get("errors"), "warnings": sub.get("warnings"), "reason": sub.get("reason"),
                "expected_rows": s.expected, "done": s.done, "pending": s.pending, "missing": s.missing,
                "counted_from": self.counted_from, "filled_by": self.filled_by, "person": self.person,
                "phone": self.phone}


@dataclass
class MonthStatus:
    period: str
    deadline: datetime
    units: list[UnitMonth]

    def count(self, state: str) -> int:
        return sum(u.status.status == state for u in self.units)

    def not_reported(self) -> list[str]:
        return [u.status.unit for u in self.units if u.status.status in ("未报送", "已退回")]

    def as_json(self) -> dict[str, Any]:
        return {"period": self.period, "deadline": f"{self.deadline:%Y-%m-%d}",
                "counts": {code: self.count(label) for label, code in STATE_CODES.items()},
                "units": [u.as_json() for u in self.units]}


def month_status(ws: Workspace, db: sqlite_utils.Database, period: str) -> MonthStatus:
    system = load_system(ws.system)
    period = check_period(period)
    campaign = ws.campaign or int(period[:4])
    units = ws.expected_units or [u.name for u in system.reporting_units]
    snapshot = _snapshot_rows(db, system.id, campaign, period)
    statuses = _unit_statuses(db, system, units, campaign, period, ws.deadline_day,
                              len(campaign_years(system, campaign)), snapshot)
    sources = _snapshot_sources(db, system.id, campaign, period)
    out = []
    for s in statuses:
        who = sources.get(s.unit, {})
        out.append(UnitMonth(s, who.get("period"), who.get("filled_by"), who.get("person"), who.get("phone")))
    return MonthStatus(period, deadline_for(period, ws.deadline_day), out)

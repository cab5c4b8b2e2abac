"""One month at a glance, per expected unit (``xlbridge status --period``): reported or not, on
time or late, its findings, where its figures come from, and who to call; as figures (JSON) and
as the lines the command prints.

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
    check_period,
    deadline_for,
    snapshot_rows,
    snapshot_sources,
    unit_statuses,
)
from xlbridge.service.receipt import local_time
from xlbridge.service.workspace import Workspace

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

    def line(self, period: str) -> str:
        s, sub = self.status, self.submission
        source = "本月报送" if self.counted_from == period else f"沿用 {self.counted_from}" if self.counted_from \
            else "尚无被接收的报送"
        findings = f"错误 {sub.get('errors') or 0} 警告 {sub.get('warnings') or 0}" if sub else "—"
        return (f"{s.unit}  {s.status}  {local_time(sub.get('received_at')) or '—'}  {findings}  "
                f"已完成 {s.done}/{s.expected}  {_kind_rows(s)}{source}  填表人 {self.filled_by or '—'}  责任人 {self.person or '—'}  "
                f"联系电话 {self.phone or '—'}" + (f"  退回原因：{sub['reason']}" if sub.get("reason") else ""))

    def as_json(self) -> dict[str, Any]:
        s, sub = self.status, self.submission
        return {"unit": s.unit, "state": STATE_CODES[s.status], "state_label": s.status,
                "reported": s.status in ("按时报送", "逾期报送"), "submission_id": sub.get("id"),
                "received_at": sub.get("received_at"), "file_name": sub.get("file_name"),
                "errors": sub.get("errors"), "warnings": sub.get("warnings"), "reason": sub.get("reason"),
                "expected_rows": s.expected, "done": s.done, "pending": s.pending, "missing": s.missing,
                "penalties_present": list(s.present), "bonuses_claimed": list(s.claimed),
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

    def lines(self) -> list[str]:
        """The month as `status --period` prints it: a tally, one line per unit, who has not reported."""
        counts = "，".join(f"{label} {self.count(label)}" for label in STATE_CODES)
        lines = [f"{self.period} 报送情况（截止 {self.deadline:%Y-%m-%d} 前）：应报 {len(self.units)} 个单位，{counts}"]
        lines += [f"  {n:>2}. {u.line(self.period)}" for n, u in enumerate(self.units, start=1)]
        missing = self.not_reported()
        lines.append(f"本月未报送（含已退回）：{'、'.join(missing)}" if missing else "各单位本月均已报送")
        return lines

    def as_json(self) -> dict[str, Any]:
        return {"period": self.period, "deadline": f"{self.deadline:%Y-%m-%d}",
                "counts": {code: self.count(label) for label, code in STATE_CODES.items()},
                "units": [u.as_json() for u in self.units]}


def month_status(ws: Workspace, db: sqlite_utils.Database, period: str) -> MonthStatus:
    system = ws.indicator_system()
    period = check_period(period)
    campaign = ws.campaign or int(period[:4])
    units = ws.expected_units or [u.name for u in system.reporting_units]
    snapshot = snapshot_rows(db, system.id, campaign, period)
    statuses = unit_statuses(db, system, units, campaign, period, ws.deadline_day,
                              len(campaign_years(system, campaign)), snapshot)
    sources = snapshot_sources(db, system.id, campaign, period)
    out = []
    for s in statuses:
        who = sources.get(s.unit, {})
        out.append(UnitMonth(s, who.get("period"), who.get("filled_by"), who.get("person"), who.get("phone")))
    return MonthStatus(period, deadline_for(period, ws.deadline_day), out)


def _kind_rows(s: UnitStatus) -> str:
    """The 减分项 it declares and the 加分项 it claims, when any (they count in no done-rate)."""
    present = f"存在减分情形 {'、'.join(s.present)}  " if s.present else ""
    return present + (f"申报加分 {'、'.join(s.claimed)}  " if s.claimed else "")

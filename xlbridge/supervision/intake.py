"""The intake's handler for inspection workbooks (registered with :mod:`xlbridge.service.kinds`
by the faces): checked in the worker like a ledger, stored in one transaction with the items it
opens, closes or sends back and the unit's score, then answered with a receipt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import sqlite_utils

from xlbridge.errors import XlbridgeError
from xlbridge.findings import Finding, Severity
from xlbridge.service.ingest import Outcome
from xlbridge.service.prepare import Prepared
from xlbridge.service.workspace import Workspace
from xlbridge.supervision import items as I
from xlbridge.supervision import layout as S
from xlbridge.supervision import store
from xlbridge.supervision.bonuses import award
from xlbridge.supervision.check import InspectionCheck, Review, check_inspection, read_inspection
from xlbridge.supervision.receipt import write_inspection_receipt
from xlbridge.supervision.rules import REJECTING, severity
from xlbridge.supervision.scores import awards
from xlbridge.supervision.scoring import full_marks, score
from xlbridge.system.model import IndicatorSystem

GROUP = "督导检查组"


@dataclass
class PreparedInspection:
    check: InspectionCheck | None  # None: unreadable
    findings: list[Finding]


class InspectionKind:
    kind = S.KIND

    def prepare(self, archived: Path, name: str, key: bytes, system: IndicatorSystem) -> PreparedInspection:
        try:
            result = check_inspection(read_inspection(archived, name), system, key)
        except XlbridgeError as exc:
            return PreparedInspection(None, [_finding("file-unreadable", str(exc), name)])
        return PreparedInspection(result, list(result.report.findings))

    def stage(self, ws: Workspace, db: sqlite_utils.Database, p: Prepared) -> Outcome:
        store.ensure_tables(db)
        known = store.known_inspection(db, p.sha256)
        if known:
            return Outcome(p.path, "duplicate", p.sha256, known["unit"], known["id"], kind=S.KIND,
                           summary="重复报送（内容与已收到的检查表相同），未重复计入")
        prepared: PreparedInspection = p.other
        result, findings = prepared.check, list(prepared.findings)
        meta = result.meta if result else {}
        system = ws.indicator_system()
        unit, round_ = meta.get("unit") or p.claimed, meta.get("round")
        if result is not None and not _has_errors(findings):
            findings += _store_checks(db, system.id, unit, round_, result.reviews, p.path.name)
        rejecting = [f for f in findings if f.severity is Severity.error and f.rule in REJECTING]
        status = "rejected" if rejecting or result is None else "accepted"
        header = result.header if result else {}
        record = {
            "sha256": p.sha256, "file_name": p.path.name, "archive_path": str(p.archived.relative_to(ws.archive)),
            "size": p.size, "received_at": p.received.isoformat(timespec="seconds"), "processed_at": store.now(),
            "unit": unit, "claimed_unit": p.claimed, "system_id": meta.get("system_id"),
            "campaign": int(meta["campaign"]) if meta.get("campaign", "").isdecimal() else None, "round": round_,
            "inspector": header.get("inspector") or None, "inspected_on": header.get("inspected_on"),
            "signature": _signature(result), "status": status,
            "reason": "；".join(dict.fromkeys(f.message for f in rejecting))[:2000] or None,
            "errors": sum(f.severity is Severity.error for f in findings),
            "warnings": sum(f.severity is Severity.warning for f in findings),
        }
        inspection_id = store.insert_inspection(db, record, findings)
        if status == "accepted" and result is not None:
            apply_inspection(db, system, {**record, "id": inspection_id}, result)
        summary = record["reason"] or ""
        # An accepted round counts for the month it inspected: its 汇总 (得分, 整改) and the later ones change.
        accepted = status == "accepted"
        return Outcome(p.path, status, p.sha256, unit, inspection_id, None, summary, kind=S.KIND,
                       period=round_ if accepted else None, campaign=record["campaign"] if accepted else None)

    def finish(self, ws: Workspace, db: sqlite_utils.Database, outcome: Outcome) -> Path:
        return write_inspection_receipt(ws, db, outcome.submission_id, duplicate=outcome.status == "duplicate",
                                        file_name=outcome.path.name)


INSPECTION = InspectionKind()


def _has_errors(findings: list[Finding]) -> bool:
    return any(f.severity is Severity.error for f in findings)


def _store_checks(db: sqlite_utils.Database, system_id: str, unit: str, round_: str | None, reviews: list[Review],
                  file: str) -> list[Finding]:
    """What only the store can tell: the round already stored, a reviewed item no longer open."""
    found = []
    stored = store.round_stored(db, system_id, unit, round_ or "")
    if stored:
        found.append(_finding("round-already-stored", f"{unit} {round_} 的检查结果已于 {stored['received_at'][:16]} 收到"
                              f"（{stored['file_name']}）", file, hint="同一轮只收一次；如需更正，请用“xlbridge rectify”逐项处理"))
    for review in (r for r in reviews if r.verdict):
        item = db["rectification_items"].get(review.item_id) if review.item_id else None
        if not item or item["unit"] != unit or item["status"] == I.CLOSED:
            found.append(_finding("review-item-unknown", f"整改事项 {review.item_id} 不存在、已销号或不属于{unit}", file,
                                  sheet=S.REVIEW_SHEET, row=review.sheet_row))
    return found


def apply_inspection(db: sqlite_utils.Database, system: IndicatorSystem, inspection: dict[str, Any],
                     result: InspectionCheck) -> None:
    """An accepted inspection's rows, the items it opens, closes or sends back, and the unit's score."""
    inspection_id, unit, round_ = inspection["id"], inspection["unit"], inspection["round"]
    by, at = inspection["inspector"] or GROUP, inspection["received_at"]  # changes date from when it arrived
    db.conn.executemany(
        "INSERT INTO inspection_rows (inspection_id, indicator_key, sheet_row, points, conclusion, problem, deduction,"
        " requirement, due, bonus, bonus_reason) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        [(inspection_id, r.code, r.sheet_row, r.points, r.conclusion, r.problem, r.deduction, r.requirement, r.due,
          r.bonus, r.bonus_reason or None) for r in result.rows])
    for row in (r for r in result.rows if r.bonus):
        award(db, system_id=system.id, campaign=inspection["campaign"], unit=unit, indicator_key=row.code,
              month=round_, bonus=row.bonus, reason=row.bonus_reason, by=by, inspection_id=inspection_id, at=at)
    for row in result.rows:
        if row.conclusion == S.NONCONFORM or (row.conclusion == S.MOSTLY and row.requirement and row.due):
            indicator = system.indicator(row.code)
            I.add_item(db, system_id=system.id, campaign=inspection["campaign"], unit=unit, indicator_key=row.code,
                       problem=row.problem, requirement=row.requirement, due=row.due or "", by=by, round_=round_,
                       key_item=bool(indicator and indicator.key_item), inspection_id=inspection_id, at=at)
    today = date.fromisoformat((inspection["inspected_on"] or at)[:10])
    for review in (r for r in result.reviews if r.verdict):
        item = dict(db["rectification_items"].get(review.item_id))
        new = I.CLOSED if review.verdict == S.CLOSE else I.reopened_status(item, today)
        note = f"{round_} 复核{review.verdict}" + (f"：{review.note}" if review.note else "")
        I.change(db, item, new, by=by, note=note, source="inspection", ref=inspection_id, at=at)
    scored = score(system, unit, [(r.code, r.deduction, r.problem) for r in result.rows],
                   awards(db, system.id, inspection["campaign"], unit, round_))
    db["scores"].insert({"inspection_id": inspection_id, "system_id": system.id, "campaign": inspection["campaign"],
                         "unit": unit, "round": round_, "full_marks": scored.full_marks,
                         "deductions": round(sum(d.points for d in scored.deductions), 2), "score": scored.score,
                         "equal_weights": int(full_marks(system, unit).equal_weights), "bonus": scored.bonus})


def _signature(result: InspectionCheck | None) -> str:
    if result is None or not result.meta.get("signature"):
        return "missing"
    return {True: "valid", False: "invalid", None: "unchecked"}[result.signature_ok]


def _finding(rule: str, message: str, file: str, hint: str | None = None, sheet: str | None = None,
             row: int | None = None) -> Finding:
    return Finding(rule=rule, severity=severity(rule), message=message.removeprefix(f"{file}："), hint=hint, file=file,
                   sheet=sheet, row=row)

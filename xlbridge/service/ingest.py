"""The ingest pipeline: one submitted file → archive → validate → store → receipt.

Two halves: :func:`xlbridge.service.prepare.prepare` (archive, read, validate: no store) and
:func:`merge` (store, receipt, inbox). A batch prepares files ahead in worker processes
(:class:`xlbridge.service.workers.Preparer`) while this process merges them in order.

Order is what makes it crash-safe: the raw bytes are archived (content-addressed, fsynced)
before anything else; the store merge is one transaction keyed by the file's sha256; the inbox
file is removed last. Killed at any point, a restart re-runs the file: the archive write is
skipped (same hash), a merged file is recognised as a duplicate and not merged twice.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from xlbridge.check.engine import Validation
from xlbridge.errors import StoreError, sqlite_reason
from xlbridge.findings import Finding, Severity
from xlbridge.service import kinds, open_items, store
from xlbridge.service.inbox import move_out
from xlbridge.service.prepare import Prepared
from xlbridge.service.receipt import receipt_path, write_duplicate_receipt, write_receipt
from xlbridge.service.workers import Preparer
from xlbridge.service.workspace import Workspace

# Rules that mean "this is not an untouched ledger we issued to this unit": rejected outright.
REJECTING_RULES = frozenset({
    "file-unreadable", "file-over-limit", "file-unsafe", "file-macros",
    "meta-missing", "signature-missing", "signature-invalid", "unit-unknown", "unit-mismatch",
    "system-unknown", "system-changed", "template-version", "header-changed", "prefilled-changed", "row-missing",
    "row-order", "code-unknown", "code-unassigned", "row-duplicate", "year-out-of-range",
    # the month a ledger counts for is never guessed
    "period-missing", "period-invalid", "period-outside-campaign", "period-future",
    "ledger-blank",  # an untouched ledger would reset every answer to 未填
    "rectify-changed",  # the 整改 sheet's items are issued content too
})


@dataclass
class Outcome:
    path: Path
    status: str  # accepted / rejected / duplicate
    sha256: str
    unit: str | None = None
    submission_id: int | None = None
    receipt: Path | None = None
    summary: str = ""
    period: str | None = None  # the reporting month it counts for (accepted only)
    campaign: int | None = None
    quarantine: bool = False  # moved to inbox-rejected/ once its receipt is written, never read again
    kind: str = kinds.LEDGER  # another kind's period, if any, is the 汇总 month it changes
    left_over: bool = False  # a duplicate that is the stored file itself, left in the inbox by a kill


def ingest_file(ws: Workspace, db: sqlite_utils.Database, path: Path, key: bytes, received_at: datetime | None = None) -> Outcome:
    """One file through the pipeline. Parsed, as every submitted file is, in a worker process that
    may die alone (a reader that aborts costs this file, rejected 工作簿无法安全读取, not the
    caller); the worker is kept for the next file."""
    prepared = _preparer(ws, key).submit(path).result()
    if received_at is not None:
        prepared.received = received_at
    return merge(ws, db, prepared)


_kept: tuple[tuple[Any, ...], Preparer] | None = None  # ingest_file's worker


def _preparer(ws: Workspace, key: bytes) -> Preparer:
    """ingest_file's worker: kept while the indicator system, memory limit and kinds it started
    with stay the same (each file is sent with its workspace and key, so one worker serves
    every workspace of a system; a caller going through many keeps one process, not many)."""
    global _kept
    system = ws.indicator_system()  # the same object while the file and the members are unchanged
    wanted = (id(system), ws.worker_memory_mb, kinds.registered(), open_items.source())
    if _kept is None or _kept[0] != wanted or _kept[1].system is not system:
        if _kept is not None:
            _kept[1].close()
        _kept = (wanted, Preparer(ws, key, workers=0, fork=True))
    preparer = _kept[1]
    preparer.ws, preparer.key = ws, key
    return preparer


def ingest_groups(ws: Workspace, db: sqlite_utils.Database, preparer: Preparer,
                  paths: Sequence[Path]) -> Iterator[list[tuple[Path, Outcome | Exception]]]:
    """The batch pipeline (``xlbridge ingest``, the daemon): files prepared ahead by ``preparer``,
    merged in arrival order a group at a time; each file's outcome, or the error that stopped it
    (that file stays in the inbox). Stopping between groups leaves nothing half done."""
    for group in preparer.in_groups(paths):
        ready: dict[int, Prepared] = {}
        failed: dict[int, Exception] = {}
        for n, pending in enumerate(group):
            try:
                ready[n] = pending.result()
            except Exception as exc:  # taken back (FileNotFoundError), a dead worker, a bug: not this batch's end  # noqa: BLE001
                failed[n] = exc
        merged = iter(merge_group(ws, db, list(ready.values())))  # in the order of ``ready``, which is the group's
        yield [(pending.path, failed[n] if n in failed else next(merged)) for n, pending in enumerate(group)]


def merge(ws: Workspace, db: sqlite_utils.Database, prepared: Prepared) -> Outcome:
    """Merge a prepared file into the store, write its receipt, take it from the inbox."""
    outcome = merge_group(ws, db, [prepared])[0]
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def merge_group(ws: Workspace, db: sqlite_utils.Database, group: list[Prepared]) -> list[Outcome | Exception]:
    """Merge prepared files with one commit (one fsync) for all: each file in its own savepoint,
    so one the store refuses leaves the others. Receipts are written and files taken from the
    inbox only once the commit is on disk; if it fails, every file of the group stays."""
    staged: list[Outcome | Exception] = []
    try:
        with db.atomic():
            for p in group:
                try:
                    staged.append(_stage(ws, db, p))
                except StoreError as exc:
                    if not db.conn.in_transaction:
                        raise  # the error ended the whole transaction: nothing of the group is stored
                    staged.append(exc)
    except sqlite3.Error as exc:  # the commit itself failed (disk full, locked): all rolled back
        return [StoreError(f"写入中心库失败（{sqlite_reason(exc)}），已回滚，原有数据未改变") for _ in group]
    except StoreError as exc:
        return [exc for _ in group]
    return [_finish(ws, db, o) if isinstance(o, Outcome) else o for o in staged]


def _stage(ws: Workspace, db: sqlite_utils.Database, p: Prepared) -> Outcome:
    """Store one file (inside the caller's transaction); the outcome, its receipt still to write."""
    if p.kind != kinds.LEDGER:
        return _handler(p.kind).stage(ws, db, p)
    known = store.known_hash(db, p.sha256)
    if known:  # sent twice, or killed between the merge and the receipt: nothing is stored twice
        # The same name arriving at the same moment is the stored file itself, not a second send.
        left_over = (known["file_name"], known["received_at"]) == (p.path.name, p.received.isoformat(timespec="seconds"))
        return Outcome(p.path, "duplicate", p.sha256, known["unit"], known["id"],
                       summary="重复报送（内容与已收到的文件相同），未重复计入", left_over=left_over)
    refused = store.known_hash(db, p.sha256, "rejected")
    if refused and not receipt_path(ws, refused).exists():  # killed before its receipt: finish that job
        return Outcome(p.path, "rejected", p.sha256, refused["unit"], refused["id"], summary=refused["reason"] or "")
    # A rejected file sent again is processed again: the name or the configuration may be fixed now.
    validation, findings = p.validation, list(p.findings)
    unit = (validation.meta.get("unit") if validation else None) or p.claimed
    if unit and (renamed := ws.indicator_system().unit(unit)):
        unit = renamed.name  # a ledger issued before its unit was renamed (old name kept as alias)
    if validation and p.sender and p.sender != unit:
        findings.insert(0, Finding(
            rule="unit-mismatch", severity=Severity.error, file=p.path.name,
            message=f"这是「{unit}」的台账，却以「{p.claimed}」的名义报送",
            hint="请使用本单位的台账报送"))
        unit = p.sender  # the sender gets the receipt; the unit named in the file sent nothing
    rejecting = sorted({f.rule for f in findings if f.rule in REJECTING_RULES and f.severity is Severity.error})
    status = "rejected" if rejecting or validation is None else "accepted"
    submission = _submission_record(ws, p, unit, findings, status, rejecting)
    if validation is not None and not store.system_stored(db, validation.meta["system_id"], validation.meta.get("system_version")):
        store.register_system(db, ws.indicator_system())  # prepare checked the file is of this system
    with db.atomic():  # the answers to rectification items go with the submission, or neither
        sub_id = store.merge_submission(db, submission, validation.table if validation else None, findings)
        items = open_items.source()
        if status == "accepted" and validation is not None and validation.answers and items:
            items.record_answers(db, {**submission, "id": sub_id}, validation.answers)
    summary = submission["reason"] or (f"{submission['errors']} 个错误需整改" if submission["errors"] else "")
    accepted = status == "accepted"
    return Outcome(p.path, status, p.sha256, unit, sub_id, None, summary,
                   submission["period"] if accepted else None, submission["campaign"] if accepted else None,
                   p.quarantine)


def _finish(ws: Workspace, db: sqlite_utils.Database, outcome: Outcome) -> Outcome | Exception:
    try:
        if outcome.kind != kinds.LEDGER:
            receipt = _handler(outcome.kind).finish(ws, db, outcome)
        elif outcome.status == "duplicate":
            first = store.submission(db, outcome.submission_id)
            receipt = receipt_path(ws, first)
            if not receipt.exists():  # killed before the first receipt: finish that job
                receipt = write_receipt(ws, db, outcome.submission_id)
            elif not outcome.left_over:  # a genuine second send (the clerk is told it counted once)
                receipt = write_duplicate_receipt(ws, first, outcome.path.name)
        else:
            receipt = write_receipt(ws, db, outcome.submission_id)
    except Exception as exc:  # stored, but no receipt: the file stays and comes round as a duplicate  # noqa: BLE001
        return exc
    if outcome.quarantine:
        _quarantine(ws, outcome.path)
    else:
        _remove_from_inbox(ws, outcome.path)
    outcome.receipt = receipt
    return outcome


def _handler(kind: str) -> kinds.SubmittedKind:
    handler = kinds.handler(kind)
    if handler is None:  # prepared by a worker that had it: this process must have it too
        raise StoreError(f"本进程未登记「{kind}」类文件的处理程序，文件留在收件箱")
    return handler


def _submission_record(ws: Workspace, p: Prepared, unit: str | None, findings: list[Finding], status: str,
                       rejecting: list[str]) -> dict[str, Any]:
    validation = p.validation
    meta = validation.meta if validation else {}
    header = validation.header if validation else {}
    period = header.get("period")  # never guessed from the arrival: a ledger without one is rejected
    campaign = meta.get("campaign")
    reason = "；".join(f.message for f in findings if f.rule in rejecting)[:2000] if status == "rejected" else None
    return {
        "sha256": p.sha256, "file_name": p.path.name, "archive_path": str(p.archived.relative_to(ws.archive)),
        "size": p.size, "received_at": p.received.isoformat(timespec="seconds"),
        "processed_at": datetime.now().isoformat(timespec="seconds"),
        "unit": unit, "claimed_unit": p.claimed, "system_id": meta.get("system_id"), "system_version": meta.get("system_version"),
        "campaign": int(campaign) if campaign and campaign.isdigit() else None, "period": period,
        "template_version": meta.get("template_version"), "signature": _signature_status(validation),
        "status": status, "reason": reason or None,
        "errors": sum(f.severity is Severity.error for f in findings),
        "warnings": sum(f.severity is Severity.warning for f in findings),
        "rows": len(validation.table) if validation else 0,
        "filled_by": header.get("filled_by") or None, "filled_on": header.get("filled_on"),
    }


def _signature_status(validation: Validation | None) -> str:
    if validation is None or not validation.meta.get("signature"):
        return "missing"
    return {True: "valid", False: "invalid", None: "unchecked"}[validation.signature_ok]


def _quarantine(ws: Workspace, path: Path) -> None:
    """A file that must never be read again (it killed the reader twice): moved out of the inbox
    to inbox-rejected/, under its inbox sub-folder, beside its archived copy and its receipt."""
    with contextlib.suppress(ValueError, FileNotFoundError):  # given from elsewhere, or taken back
        move_out(ws.inbox, path.parent.resolve() / path.name, ws.quarantine)


def _remove_from_inbox(ws: Workspace, path: Path) -> None:
    """Taken from the inbox once stored; a file given on the command line from elsewhere stays."""
    try:
        path.resolve().relative_to(ws.inbox.resolve())
    except ValueError:
        return
    try:
        path.unlink()
    except FileNotFoundError:
        pass

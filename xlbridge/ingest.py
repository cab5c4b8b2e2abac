"""The ingest pipeline: one submitted file → archive → validate → store → receipt.

Two halves: :func:`prepare` (archive, read, validate: no store) and :func:`merge` (store,
receipt, inbox). A batch runs them overlapped, one file ahead (:func:`prepared_in_order`).

Order is what makes it crash-safe: the raw bytes are archived (content-addressed, fsynced)
before anything else; the store merge is one transaction keyed by the file's sha256; the inbox
file is removed last. Killed at any point, a restart re-runs the file: the archive write is
skipped (same hash), a merged file is recognised as a duplicate and not merged twice.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from xlbridge import store
from xlbridge.check.engine import Validation, validate_grid
from xlbridge.errors import XlbridgeError
from xlbridge.findings import Finding, Severity
from xlbridge.ledger.reader import read_ledger
from xlbridge.model import IndicatorSystem
from xlbridge.receipt import receipt_path, write_receipt
from xlbridge.schema_io import load_system
from xlbridge.workspace import Workspace

# Rules that mean "this is not an untouched ledger we issued to this unit": rejected outright.
REJECTING_RULES = frozenset({
    "file-unreadable", "meta-missing", "signature-missing", "signature-invalid", "unit-unknown", "unit-mismatch",
    "system-unknown", "system-changed", "template-version", "header-changed", "prefilled-changed", "row-missing",
    "row-order", "code-unknown", "code-unassigned", "row-duplicate", "year-out-of-range",
})
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
_LOCK_OR_TEMP = re.compile(r"^(~\$|\.~lock\.|~|\.)|(\.tmp|\.part|\.crdownload|\.partial|#)$", re.IGNORECASE)


def is_ignored(path: Path) -> bool:
    """Excel/WPS lock files (~$x.xlsx), LibreOffice locks (.~lock.x#), temp and partial copies."""
    return bool(_LOCK_OR_TEMP.search(path.name))


@dataclass
class Outcome:
    path: Path
    status: str  # accepted / rejected / duplicate
    sha256: str
    unit: str | None = None
    submission_id: int | None = None
    receipt: Path | None = None
    summary: str = ""


@dataclass
class Prepared:
    """A file archived and validated, not yet merged: everything the store needs from it."""

    path: Path
    sha256: str
    size: int
    archived: Path
    received: datetime
    claimed: str | None
    validation: Validation | None
    system: IndicatorSystem | None
    findings: list[Finding]


def ingest_file(ws: Workspace, db: sqlite_utils.Database, path: Path, key: bytes, received_at: datetime | None = None) -> Outcome:
    return merge(ws, db, prepare(ws, path, key, received_at))


def prepared_in_order(ws: Workspace, paths: Iterable[Path], key: bytes) -> Iterator[tuple[Path, Future[Prepared]]]:
    """Each path with its preparation, in order, the next file's already running in a worker
    thread: reading and checking one file overlaps merging the one before (calamine, zlib and
    SQLite all release the GIL). Call ``result()`` to get it or the exception it raised; merges
    stay in the caller's thread and order, so a restart after a kill finds the same state."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="xlbridge-prepare") as pool:
        ahead: deque[tuple[Path, Future[Prepared]]] = deque()
        for path in paths:
            ahead.append((path, pool.submit(prepare, ws, path, key)))
            if len(ahead) > 1:
                yield ahead.popleft()
        while ahead:
            yield ahead.popleft()


def prepare(ws: Workspace, path: Path, key: bytes, received_at: datetime | None = None) -> Prepared:
    """Archive and validate one file. Touches no store, so it may run in another thread."""
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    archived = archive_bytes(ws, data, sha, path.suffix)
    received = received_at or arrival_time(path)
    validation, system, findings = _validate(ws, archived, path.name, key)
    return Prepared(path, sha, len(data), archived, received, claimed_unit(ws, path), validation, system, findings)


def merge(ws: Workspace, db: sqlite_utils.Database, prepared: Prepared) -> Outcome:
    """Merge a prepared file into the store, write its receipt, take it from the inbox."""
    p = prepared
    known = store.known_hash(db, p.sha256)
    if known:
        # Killed between the merge and the receipt, the file comes round again: finish the job.
        receipt = receipt_path(ws, known)
        if not receipt.exists():
            receipt = write_receipt(ws, db, known["id"])
        _remove_from_inbox(ws, p.path)
        return Outcome(p.path, "duplicate", p.sha256, known["unit"], known["id"], receipt,
                       summary="重复报送（内容与已收到的文件相同），未重复计入")
    validation, system, findings = p.validation, p.system, list(p.findings)
    unit = (validation.meta.get("unit") if validation else None) or p.claimed
    sender = system.unit(p.claimed) if system and p.claimed else None
    if validation and sender and sender.name != unit:
        findings.insert(0, Finding(
            rule="unit-mismatch", severity=Severity.error, file=p.path.name,
            message=f"这是「{unit}」的台账，却以「{p.claimed}」的名义报送",
            hint="请使用本单位的台账报送"))
        unit = sender.name  # the sender gets the receipt; the unit named in the file sent nothing
    rejecting = sorted({f.rule for f in findings if f.rule in REJECTING_RULES and f.severity is Severity.error})
    status = "rejected" if rejecting or validation is None else "accepted"
    submission = _submission_record(ws, p, unit, findings, status, rejecting)
    if system is not None:
        store.register_system(db, system)
    sub_id = store.merge_submission(db, submission, validation.records if validation else [], findings)
    receipt = write_receipt(ws, db, sub_id)
    _remove_from_inbox(ws, p.path)
    summary = submission["reason"] or (f"{submission['errors']} 个错误需整改" if submission["errors"] else "")
    return Outcome(p.path, status, p.sha256, unit, sub_id, receipt, summary)


def arrival_time(path: Path) -> datetime:
    """When the file landed in the inbox: its inode-change (POSIX) or creation (Windows) time.

    Not the modification time: copies keep that (Explorer, cp -p, unzipping), and a clerk can
    set it, so a ledger saved on the 28th and sent on the 5th would pass as on time.
    """
    return datetime.fromtimestamp(path.stat().st_ctime)


def archive_bytes(ws: Workspace, data: bytes, sha: str, suffix: str) -> Path:
    """Content-addressed, written once, fsynced: the same bytes sent twice are stored once."""
    suffix = suffix.lower() if suffix.lower() in WORKBOOK_SUFFIXES else ".bin"
    target = ws.archive / sha[:2] / f"{sha}{suffix}"
    if target.exists() and target.stat().st_size == len(data):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    _fsync_dir(target.parent)  # the new name too must survive a power cut
    return target


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":
        return  # Windows cannot open a directory; NTFS journals the rename itself
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def claimed_unit(ws: Workspace, path: Path) -> str | None:
    """The unit a file was sent as: its inbox sub-folder, or the name before the first `_`."""
    try:
        rel = path.resolve().relative_to(ws.inbox.resolve())
    except ValueError:
        rel = Path(path.name)
    if len(rel.parts) > 1:
        return rel.parts[0]
    stem = path.stem.split("_", 1)[0].strip()
    return stem if "_" in path.stem and stem else None


def _validate(ws: Workspace, archived: Path, name: str, key: bytes) -> tuple[Validation | None, IndicatorSystem | None, list[Finding]]:
    try:
        grid = read_ledger(archived)
    except XlbridgeError as exc:
        reason = str(exc).replace(archived.name, name)
        if Path(name).suffix.lower() not in (*WORKBOOK_SUFFIXES, ".xls"):  # a PDF is not a "damaged workbook"
            reason = f"{name}：不是 Excel 工作簿（.xlsx），请报送系统下发的台账"
        return None, None, [_fatal("file-unreadable", reason, name)]
    except Exception as exc:  # a hostile file must end as a rejection, never as a crash of the pipeline
        return None, None, [_fatal("file-unreadable", f"{name}：工作簿内容无法解析（{type(exc).__name__}）", name)]
    grid.file = name
    system_id = (grid.meta or {}).get("system_id")
    if not system_id:
        return None, None, [_fatal("meta-missing", "不是系统下发的台账（缺少台账标识），无法确认单位和指标体系", name)]
    # The workspace's system, never one the file names: a submitted workbook must not make the
    # server read a file of its choosing, and a ledger of another system would never be consolidated.
    system = load_system(ws.system)
    if system_id != system.id:
        return None, None, [_fatal("system-unknown", f"台账属于指标体系「{system_id[:60]}」，本工作区收取的是「{system.id}」", name)]
    validation = validate_grid(grid, system, key)
    return validation, system, list(validation.report.findings)


def _fatal(rule: str, message: str, file: str) -> Finding:
    return Finding(rule=rule, severity=Severity.error, message=message, file=file)


def _submission_record(ws: Workspace, p: Prepared, unit: str | None, findings: list[Finding], status: str,
                       rejecting: list[str]) -> dict[str, Any]:
    validation = p.validation
    meta = validation.meta if validation else {}
    header = validation.header if validation else {}
    period = header.get("period") or f"{p.received.year:04d}-{p.received.month:02d}"
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
        "rows": len(validation.records) if validation else 0,
        "filled_by": header.get("filled_by") or None, "filled_on": header.get("filled_on"),
    }


def _signature_status(validation: Validation | None) -> str:
    if validation is None or not validation.meta.get("signature"):
        return "missing"
    return {True: "valid", False: "invalid", None: "unchecked"}[validation.signature_ok]


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

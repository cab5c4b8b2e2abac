"""The first half of ingest, touching no store: archive a submitted file, read and validate it.

It runs in worker processes (:mod:`xlbridge.service.workers`), so it imports nothing of the store or
the receipts, and what it returns (:class:`Prepared`) is plain picklable data.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from xlbridge.check.engine import Validation, validate_grid
from xlbridge.errors import XlbridgeError
from xlbridge.findings import Finding, Severity
from xlbridge.ledger.reader import read_ledger
from xlbridge.service import kinds
from xlbridge.system.model import IndicatorSystem
from xlbridge.system.files import load_system
from xlbridge.service.workspace import Workspace

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
_LOCK_OR_TEMP = re.compile(r"^(~\$|\.~lock\.|~|\.)|(\.tmp|\.part|\.crdownload|\.partial|#)$", re.IGNORECASE)


def is_ignored(path: Path) -> bool:
    """Excel/WPS lock files (~$x.xlsx), LibreOffice locks (.~lock.x#), temp and partial copies."""
    return bool(_LOCK_OR_TEMP.search(path.name))


@dataclass
class Prepared:
    """A file archived and validated, not yet merged: everything the store needs from it."""

    path: Path
    sha256: str
    size: int
    archived: Path
    received: datetime
    claimed: str | None  # the unit it was sent as (inbox folder or file name), as written
    sender: str | None  # that unit's name in the system, when it is one
    validation: Validation | None  # None: unreadable, or not a ledger of the workspace's system
    findings: list[Finding]
    kind: str = kinds.LEDGER  # another kind (service/kinds.py): ``other`` holds what its handler prepared
    other: Any = None


def prepare(ws: Workspace, path: Path, key: bytes, received_at: datetime | None = None,
            system: IndicatorSystem | None = None) -> Prepared:
    """Archive and validate one file (against ``system``, by default the workspace's)."""
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    archived = archive_bytes(ws, data, sha, path.suffix)
    received = received_at or arrival_time(path)
    system = system or load_system(ws.system)
    claimed = claimed_unit(ws, path)
    sender = system.unit(claimed) if claimed else None
    prepared = Prepared(path, sha, len(data), archived, received, claimed, sender.name if sender else None,
                        *_validate(archived, path.name, key, system))
    # Not readable as a ledger: another kind the metadata names (asked only then, so ledgers never pay)
    other = kinds.handler(kinds.kind_of(archived) or "") if prepared.validation is None and kinds.registered() else None
    if other is not None:
        prepared.kind, prepared.other, prepared.findings = other.kind, other.prepare(archived, path.name, key, system), []
    return prepared


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


def _validate(archived: Path, name: str, key: bytes, system: IndicatorSystem) -> tuple[Validation | None, list[Finding]]:
    try:
        grid = read_ledger(archived)
    except XlbridgeError as exc:
        reason = str(exc).replace(archived.name, name)
        if Path(name).suffix.lower() not in (*WORKBOOK_SUFFIXES, ".xls"):  # a PDF is not a "damaged workbook"
            reason = f"{name}：不是 Excel 工作簿（.xlsx），请报送系统下发的台账"
        return None, [_fatal("file-unreadable", reason, name)]
    except Exception as exc:  # a hostile file must end as a rejection, never as a crash of the pipeline
        return None, [_fatal("file-unreadable", f"{name}：工作簿内容无法解析（{type(exc).__name__}）", name)]
    grid.file = name
    system_id = (grid.meta or {}).get("system_id")
    if not system_id:
        return None, [_fatal("meta-missing", "不是系统下发的台账（缺少台账标识），无法确认单位和指标体系", name)]
    # The workspace's system, never one the file names: a submitted workbook must not make the
    # server read a file of its choosing, and a ledger of another system would never be consolidated.
    if system_id != system.id:
        return None, [_fatal("system-unknown", f"台账属于指标体系「{system_id[:60]}」，本工作区收取的是「{system.id}」", name)]
    validation = validate_grid(grid, system, key)
    return validation, list(validation.report.findings)


def _fatal(rule: str, message: str, file: str) -> Finding:
    return Finding(rule=rule, severity=Severity.error, message=message, file=file)

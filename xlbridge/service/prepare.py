"""The first half of ingest, touching no store: archive a submitted file, read and validate it.

It runs in worker processes (:mod:`xlbridge.service.workers`), so it imports nothing of the store or
the receipts, and what it returns (:class:`Prepared`) is plain picklable data.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from xlbridge.check.engine import Validation, validate_grid
from xlbridge.errors import XlbridgeError, unparsable
from xlbridge.findings import Finding, Severity
from xlbridge.ledger.reader import read_ledger_bytes
from xlbridge.service import kinds
from xlbridge.service.inbox import is_ignored, open_regular  # noqa: F401  (is_ignored: where callers look)
from xlbridge.service.workspace import Workspace
from xlbridge.system.model import IndicatorSystem
from xlbridge.xlsx.bounds import MB, BoundsError, Limits, read_capped

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
_NOT_A_LEDGER = ("file-unreadable", "meta-missing", "system-unknown")  # may be another kind of workbook


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
    quarantine: bool = False  # never to be read again: moved to inbox-rejected/, not deleted
    kind: str = kinds.LEDGER  # another kind (service/kinds.py): ``other`` holds what its handler prepared
    other: Any = None


def prepare(ws: Workspace, path: Path, key: bytes, received_at: datetime | None = None,
            system: IndicatorSystem | None = None) -> Prepared:
    """Archive and validate one file (against ``system``, by default the workspace's). Its bytes
    are read once (never more than max_file_mb of them) and serve the archive, the bounds scan
    and the reader."""
    limits = ws.limits
    with open_regular(path, ws.inbox) as fh:  # never through a symlink (to /etc/shadow, to the key)
        data = read_capped(fh, limits.file_bytes)
    system = system or ws.indicator_system()
    if len(data) > limits.file_bytes:  # archived as it is, by streaming it; never read whole
        sha, size, archived = archive_stream(ws, path)
        finding = _fatal("file-over-limit", f"{path.name}：文件大小 {size / MB:.1f} MB，超过上限 {ws.max_file_mb} MB"
                         "（设置 max_file_mb），已拒收", path.name)
        return _prepared(ws, path, sha, size, archived, received_at, system, None, [finding])
    sha = hashlib.sha256(data).hexdigest()
    archived = archive_bytes(ws, data, sha, path.suffix)
    validation, findings = _validate(data, path.name, key, system, limits)
    prepared = _prepared(ws, path, sha, len(data), archived, received_at, system, validation, findings)
    if validation is None and findings[0].rule in _NOT_A_LEDGER and kinds.registered():
        # Within bounds but not a ledger: another kind its metadata names (asked only then, so
        # ledgers never pay for it)
        other = kinds.handler(kinds.kind_of(archived) or "")
        if other is not None:
            prepared.kind, prepared.other, prepared.findings = other.kind, other.prepare(archived, path.name, key, system), []
    return prepared


def prepare_unsafe(ws: Workspace, path: Path, reason: str, received_at: datetime | None = None) -> Prepared:
    """A file whose reading killed its process (or would again): archived and rejected unread,
    with the receipt 工作簿无法安全读取. Hashing and copying bytes cannot hurt this process."""
    sha, size, archived = archive_stream(ws, path)
    finding = _fatal("file-unsafe", f"{path.name}：工作簿无法安全读取（{reason}），已拒收；"
                     "请用 Excel/WPS 打开后另存为 .xlsx 再报送", path.name)
    return _prepared(ws, path, sha, size, archived, received_at, ws.indicator_system(), None, [finding])


def _prepared(ws: Workspace, path: Path, sha: str, size: int, archived: Path, received_at: datetime | None,
              system: IndicatorSystem, validation: Validation | None, findings: list[Finding]) -> Prepared:
    claimed = claimed_unit(ws, path)
    sender = system.unit(claimed) if claimed else None
    return Prepared(path, sha, size, archived, received_at or arrival_time(path), claimed,
                    sender.name if sender else None, validation, findings)


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
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # submissions are for the coordination group only
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(_private(tmp), "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:  # a full disk: no partial copy stays behind
        tmp.unlink(missing_ok=True)
    _fsync_dir(target.parent)  # the new name too must survive a power cut
    return target


def _private(path: Path) -> int:
    """A new file only the coordination group's account can read (submissions may be confidential)."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o600)


def archive_stream(ws: Workspace, path: Path) -> tuple[str, int, Path]:
    """Hash and archive a file in 1 MB steps (a file over the size limit, or one not to be parsed)."""
    digest, size = hashlib.sha256(), 0
    tmp = ws.archive / f".stream.{os.getpid()}.tmp"
    ws.archive.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        with open_regular(path, ws.inbox) as src, open(_private(tmp), "wb") as dst:
            while chunk := src.read(MB):
                digest.update(chunk)
                dst.write(chunk)
                size += len(chunk)
            dst.flush()
            os.fsync(dst.fileno())
    except BaseException:  # a full disk: no partial copy stays behind
        tmp.unlink(missing_ok=True)
        raise
    sha = digest.hexdigest()
    suffix = path.suffix.lower() if path.suffix.lower() in WORKBOOK_SUFFIXES else ".bin"
    target = ws.archive / sha[:2] / f"{sha}{suffix}"
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, target)
    _fsync_dir(target.parent)
    return sha, size, target


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


def _validate(data: bytes, name: str, key: bytes, system: IndicatorSystem,
              limits: Limits) -> tuple[Validation | None, list[Finding]]:
    try:
        return _read_and_check(data, name, key, system, limits)
    except MemoryError:  # the process's address-space limit (worker_memory_mb) reached
        return None, [_fatal("file-unsafe", f"{name}：工作簿无法安全读取（读取时超出内存上限 worker_memory_mb），已拒收", name)]


def _read_and_check(data: bytes, name: str, key: bytes, system: IndicatorSystem,
                    limits: Limits) -> tuple[Validation | None, list[Finding]]:
    try:
        grid = read_ledger_bytes(data, name, limits, system)
    except BoundsError as exc:
        return None, [_fatal(exc.rule, str(exc), name)]
    except XlbridgeError as exc:
        reason = str(exc)
        if Path(name).suffix.lower() not in (*WORKBOOK_SUFFIXES, ".xls"):  # a PDF is not a "damaged workbook"
            reason = f"{name}：不是 Excel 工作簿（.xlsx），请报送系统下发的台账"
        return None, [_fatal("file-unreadable", reason, name)]
    except MemoryError:
        raise
    except Exception:  # a hostile file must end as a rejection, never as a crash of the pipeline
        logging.getLogger("xlbridge").debug("%s：读取时出错", name, exc_info=True)  # the library's words, for -v
        return None, [_fatal("file-unreadable", unparsable(name), name)]
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

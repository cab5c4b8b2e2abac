"""The sync daemon: watch the inbox (watchfiles), ingest each complete file, keep the
consolidated workbook current.

A file is taken only when it is complete: not a lock/temp file, size and mtime unchanged for
``settle_seconds``, and its zip central directory readable (a half-copied xlsx has none yet).
A file that is no zip at all (an old .xls, a PDF) is taken once settled, so it gets its
rejection receipt at once; one that starts like a zip but stays incomplete is waited for much
longer (a stalled network copy), then taken anyway so it is rejected instead of waiting forever.

Crash safety comes from the pipeline (archive first, one transaction, inbox file removed last);
the daemon adds what a restart needs: the inbox is scanned on start (arrival order), temp files
of a killed run are swept, and a consolidated workbook older than the store is rewritten. One
daemon per workspace (a lock file).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import watchfiles

from xlbridge.service import store
from xlbridge.service.consolidate import consolidate, months_to_rewrite
from xlbridge.system.files import load_system
from xlbridge.service.next_ledgers import following_month, write_next_ledgers
from xlbridge.errors import XlbridgeError
from xlbridge.service.ingest import Outcome, ingest_groups
from xlbridge.ledger.signature import load_key
from xlbridge.service.prepare import arrival_time, is_ignored
from xlbridge.gc_tuning import batch_gc
from xlbridge.service.workers import Preparer
from xlbridge.service.workspace import Workspace

log = logging.getLogger("xlbridge.daemon")
PARTIAL_GRACE_FACTOR = 60  # × settle_seconds before a zip still missing its end is treated as final
RESCAN_SECONDS = 5.0  # look at the whole inbox this often: events get lost (network shares, new sub-folders)
RETRY_SECONDS = 60.0  # a file whose ingest failed is tried again after this long, or when it changes
MAX_CONSOLIDATION_DELAY = 60.0  # during an endless stream of arrivals, rewrite at least this often
SEARCH_PART_ROWS = 5_000  # rows indexed per transaction, ~1 s: how long a stop may wait for the index
STALE_TEMP_SECONDS = 600.0  # a temp file this old belongs to no live writer (they live seconds)
LOCK_NAME = ".xlbridge-daemon.lock"
_ZIP_MAGIC = b"PK\x03\x04"
_PID_TEMP = re.compile(r"^\..+\.(\d+)\.tmp(\.xlsx)?$")  # archive_bytes and owned_workbook temp files
_MKSTEMP = re.compile(r"^tmp[a-z0-9_]{8}$")  # xlsxwriter's own temp files (constant_memory)


class InboxFilter(watchfiles.DefaultFilter):
    """DefaultFilter plus office lock files and partial copies."""

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        if change == watchfiles.Change.deleted or is_ignored(Path(path)):
            return False
        return super().__call__(change, path)


@dataclass
class _Seen:
    size: int
    mtime: int
    since: float
    told_waiting: bool = False


@dataclass
class Daemon:
    ws: Workspace
    on_outcome: Callable[[Outcome], None] = lambda outcome: None
    stop: threading.Event = field(default_factory=threading.Event)
    _seen: dict[Path, _Seen] = field(default_factory=dict)
    _failed: dict[Path, tuple[int, int, float]] = field(default_factory=dict)  # size, mtime, retry at
    _dirty_since: float | None = None  # last ingest not yet in the consolidated workbook
    _dirty_first: float | None = None  # first one
    _dirty_months: set[tuple[int, str]] = field(default_factory=set)  # (campaign, month) accepted files changed
    _next_ledgers: set[str] = field(default_factory=set)  # units whose next-month ledger is to be rewritten
    _last_scan: float = float("-inf")

    def run(self) -> None:
        previous = self._install_signal_handlers()
        try:
            self.ws.ensure()
            key = load_key(self.ws.key_file)
            with _single_instance(self.ws), batch_gc(), Preparer(self.ws, key, self.ws.workers) as preparer:
                db = store.open_store(self.ws.store)
                try:
                    self._watch(db, preparer)
                finally:
                    db.close()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        log.info("stopped")

    def _watch(self, db, preparer: Preparer) -> None:  # type: ignore[no-untyped-def]
        self._sweep_stale_temp()
        self._refresh_search(db)  # rows a stop left unindexed
        if self._consolidated_is_behind(db):
            self._mark_dirty()  # killed before the rewrite: catch up
        log.info("watching %s", self.ws.inbox)
        for changes in watchfiles.watch(self.ws.inbox, watch_filter=InboxFilter(), stop_event=self.stop,
                                        debounce=200, step=50, rust_timeout=int(self._tick() * 1000),
                                        yield_on_timeout=True, raise_interrupt=False):
            if time.monotonic() - self._last_scan >= RESCAN_SECONDS:
                self._scan()  # the first time: whatever arrived while we were down (the watch is live by now)
            for _, name in changes:
                self._note(Path(name))
            self._work(db, preparer)
            if self.stop.is_set():
                break
        self.after_burst(db)

    def _tick(self) -> float:
        return max(0.2, min(self.ws.settle_seconds / 2, 1.0))

    def _install_signal_handlers(self) -> dict[int, Any]:
        if threading.current_thread() is not threading.main_thread():
            return {}
        previous: dict[int, Any] = {}
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, lambda *_: self.stop.set())
        return previous

    # ------------------------------------------------------------------ arrivals
    def _scan(self) -> None:
        self._last_scan = time.monotonic()
        for path in [p for p in self._failed if not p.exists()]:
            del self._failed[path]
        self._note(self.ws.inbox)

    def _note(self, path: Path) -> None:
        if path.is_dir():  # also a new sub-folder: files copied in before its watch existed
            for child in sorted(path.rglob("*")):
                if child.is_file():
                    self._note_file(child)
        elif path.is_file():
            self._note_file(path)

    def _note_file(self, path: Path) -> None:
        if path in self._seen or is_ignored(path):
            return
        failed = self._failed.get(path)
        if failed:
            try:
                stat = path.stat()
            except OSError:
                return
            if (stat.st_size, stat.st_mtime_ns) == failed[:2] and time.monotonic() < failed[2]:
                return  # failed as it is: wait for a new copy or the retry time
            del self._failed[path]
        self._seen[path] = _Seen(-1, -1, time.monotonic())

    def _ready(self) -> list[Path]:
        """Settled, complete files in arrival order (when each landed, as the pipeline records it)."""
        now = time.monotonic()
        settle = self.ws.settle_seconds
        ready = []
        for path, seen in list(self._seen.items()):
            try:
                stat = path.stat()
            except OSError:
                del self._seen[path]  # taken back or renamed; a rescan finds it again if it is still there
                continue
            if (stat.st_size, stat.st_mtime_ns) != (seen.size, seen.mtime):
                self._seen[path] = _Seen(stat.st_size, stat.st_mtime_ns, now, seen.told_waiting)
                continue
            quiet = now - seen.since
            if quiet < settle:
                continue
            if _arrival(path) == "partial" and quiet < settle * PARTIAL_GRACE_FACTOR:
                if not seen.told_waiting:
                    log.info("%s: 文件尚不完整（仍在复制？），等待", path.name)
                    seen.told_waiting = True
                continue
            try:
                ready.append((arrival_time(path), str(path), path))
            except OSError:
                continue
        return [p for *_, p in sorted(ready)]

    # ------------------------------------------------------------------ work
    def _work(self, db, preparer: Preparer) -> None:  # type: ignore[no-untyped-def]
        if self.stop.is_set():
            return
        if self.take(db, preparer, self._ready()):
            self._consolidate(db)

    def take(self, db, preparer: Preparer, paths: list[Path]) -> bool:  # type: ignore[no-untyped-def]
        """Ingest ``paths`` (settled, in arrival order): archive, validate, merge, receipts. False
        when a stop came between two groups (files read ahead stay in the inbox and the archive)."""
        with contextlib.closing(ingest_groups(self.ws, db, preparer, paths)) as batch:
            for group in batch:
                for path, outcome in group:
                    self._took(path, outcome)
                if self.stop.is_set():
                    return False
        return True

    def after_burst(self, db) -> None:  # type: ignore[no-untyped-def]
        """What the daemon does once a burst has settled: every affected month's 汇总, next
        month's pre-filled ledgers, the search index. (The benchmark drives it as the daemon does.)"""
        self._consolidate(db, force=True)

    def _took(self, path: Path, outcome: Outcome | Exception) -> None:
        self._seen.pop(path, None)
        if isinstance(outcome, FileNotFoundError):
            return  # taken back before we read it
        self._mark_dirty()  # also after a failure: it may have come after the commit (the receipt)
        if isinstance(outcome, Exception):  # one bad file must never stop the inbox
            log.error("%s: 处理失败，文件留在 inbox，%d 秒后或文件变化后重试", path.name, RETRY_SECONDS, exc_info=outcome)
            self._remember_failure(path)
            return
        if outcome.status == "accepted" and outcome.period and outcome.campaign:
            self._dirty_months.add((outcome.campaign, outcome.period))
            if outcome.unit and self.ws.next_ledgers == "after-submission":
                self._next_ledgers.add(outcome.unit)
        log.info("%s: %s %s", path.name, outcome.status, outcome.unit or "")
        self.on_outcome(outcome)

    def _remember_failure(self, path: Path) -> None:
        try:
            stat = path.stat()
        except OSError:
            return
        self._failed[path] = (stat.st_size, stat.st_mtime_ns, time.monotonic() + RETRY_SECONDS)

    def _mark_dirty(self) -> None:
        self._dirty_since = time.monotonic()
        if self._dirty_first is None:
            self._dirty_first = self._dirty_since

    def _consolidate(self, db, force: bool = False) -> None:  # type: ignore[no-untyped-def]
        if self._dirty_since is None or self._dirty_first is None:
            return
        now = time.monotonic()
        overdue = now - self._dirty_first >= MAX_CONSOLIDATION_DELAY
        if not force and not overdue and (self._seen or now - self._dirty_since < self.ws.debounce_ms / 1000):
            return  # more files are on their way: one rewrite per burst
        # The search index is brought up to date beside the workbooks, on its own connection:
        # SQLite leaves the GIL while it indexes, so the two CPUs share the burst's last work.
        indexing = threading.Thread(target=self._refresh_search_apart, name="xlbridge-search-index")
        indexing.start()
        try:
            try:
                for path in self._rewrite_months(db):
                    log.info("consolidated → %s", path)
            except Exception as exc:  # e.g. the workbook is open in Excel: keep the old one, retry later
                log.warning("consolidation postponed: %s", exc, exc_info=not isinstance(exc, XlbridgeError))
                self._dirty_since = self._dirty_first = now
            else:
                self._dirty_since = self._dirty_first = None
            self._write_next_ledgers(db)
        finally:
            indexing.join()

    def _write_next_ledgers(self, db) -> None:  # type: ignore[no-untyped-def]
        """Each unit accepted in the burst gets the ledger for the month after its latest, pre-filled."""
        system = load_system(self.ws.system)
        for unit in sorted(self._next_ledgers):
            latest = db.execute("SELECT period FROM latest_submissions WHERE unit = ? AND system_id = ?",
                                [unit, system.id]).fetchone()
            month = following_month(latest[0]) if latest else None  # none after December
            try:
                if month:
                    for path in write_next_ledgers(self.ws, db, month, [unit]):
                        log.info("%s: 已生成 %s 预填台账 → %s", unit, month, path)
            except Exception as exc:  # the unit still has its receipt; `ledgers next` can write it later
                log.warning("%s: 下月台账未能生成：%s", unit, exc, exc_info=not isinstance(exc, XlbridgeError))
        self._next_ledgers.clear()

    def _rewrite_months(self, db) -> Iterator[Path]:  # type: ignore[no-untyped-def]
        """Every month an accepted file changed (its own and the later ones it still counts in),
        else the latest month (a rejection shows there). If one fails, all are rewritten at the retry."""
        months = months_to_rewrite(db, load_system(self.ws.system).id, self._dirty_months)
        for month in months or [None]:
            yield consolidate(self.ws, db, month)
        self._dirty_months.clear()

    def _refresh_search_apart(self) -> None:
        try:
            db = store.open_store(self.ws.store)
        except Exception as exc:
            log.warning("search index refresh postponed: %s", exc)
            return
        try:
            self._refresh_search(db)
        finally:
            db.close()

    def _refresh_search(self, db) -> None:  # type: ignore[no-untyped-def]
        """The search index, once per burst like the workbook, in parts: a stop is not kept
        waiting for a month of rows; what is left is indexed at the next burst or start."""
        try:
            while store.refresh_search(db, limit=SEARCH_PART_ROWS) == SEARCH_PART_ROWS and not self.stop.is_set():
                pass
        except Exception as exc:  # the store locked by another writer: the rows wait for the next burst
            log.warning("search index refresh postponed: %s", exc)

    # ------------------------------------------------------------------ after a crash
    def _consolidated_is_behind(self, db) -> bool:  # type: ignore[no-untyped-def]
        row = db.execute("SELECT MAX(processed_at) FROM submissions").fetchone()
        if not row or not row[0]:
            return False
        written = [p.stat().st_mtime for p in self.ws.consolidated_dir.glob("*.xlsx") if not is_ignored(p)]
        return not written or datetime.fromisoformat(row[0]).timestamp() >= int(max(written))

    def _sweep_stale_temp(self) -> None:
        """Temp files a killed run left in archive/ and outbox/ (its pid is in their names)."""
        now = time.time()
        for root in (self.ws.archive, self.ws.outbox):
            for path in root.rglob("*"):
                match = _PID_TEMP.match(path.name)
                try:
                    if not path.is_file():
                        continue
                    old = now - path.stat().st_mtime > STALE_TEMP_SECONDS
                    if (match and (old or _dead(int(match[1])))) or (_MKSTEMP.match(path.name) and old):
                        path.unlink()
                        log.info("removed stale temp file %s", path)
                except OSError:
                    continue


def _arrival(path: Path) -> str:
    """complete: a readable zip; partial: a zip still missing its end (or nothing yet); foreign: no zip."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(_ZIP_MAGIC))
        if head.strip(b"\0") and not _ZIP_MAGIC.startswith(head):
            return "foreign"
        with zipfile.ZipFile(path) as zf:
            return "complete" if zf.namelist() else "partial"
    except (zipfile.BadZipFile, OSError):
        return "partial"  # OSError: Windows keeps a file locked while it is being copied


def _dead(pid: int) -> bool:
    if pid == os.getpid():
        return True  # a killed run's pid we were given: nothing of ours exists yet
    if os.name == "nt":
        return False  # os.kill(pid, 0) would terminate it there; the age rule applies
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


@contextlib.contextmanager
def _single_instance(ws: Workspace) -> Iterator[None]:
    """One daemon per workspace: two would race for the same inbox files. The OS drops the lock
    when the process dies, even on kill -9."""
    with open(ws.root / LOCK_NAME, "a+", encoding="utf-8") as fh:
        try:
            _lock(fh)
        except OSError:
            holder = ""
            with contextlib.suppress(OSError):  # Windows: the locked byte cannot be read
                fh.seek(0)
                holder = fh.read().strip()
            raise XlbridgeError(f"工作区 {ws.root} 已有守护进程在运行（{holder or '进程号未知'}），"
                                "同一工作区只能运行一个") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}\n")
        fh.flush()
        yield


def _lock(fh: IO[str]) -> None:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
    else:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

"""The sync daemon: watch the inbox (watchfiles), ingest each complete file, keep the
consolidated workbook current.

A file is taken only when it is complete: not a lock/temp file, size and mtime unchanged for
``settle_seconds``, and its zip central directory readable (a half-copied xlsx has none yet).
A file that settles but still is not a readable zip is ingested anyway after a longer grace
period, so a corrupt file gets its rejection receipt instead of waiting forever.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import watchfiles

from xlbridge import store
from xlbridge.consolidate import consolidate
from xlbridge.errors import XlbridgeError
from xlbridge.ingest import Outcome, ingest_file, is_ignored
from xlbridge.ledger.signature import load_key
from xlbridge.workspace import Workspace

log = logging.getLogger("xlbridge.daemon")
CORRUPT_GRACE_FACTOR = 5  # × settle_seconds before an unreadable zip is treated as final


class InboxFilter(watchfiles.DefaultFilter):
    """DefaultFilter plus office lock files and partial copies."""

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        return change != watchfiles.Change.deleted and not is_ignored(Path(path)) and super().__call__(change, path)


@dataclass
class _Seen:
    size: int
    mtime: int
    since: float


@dataclass
class Daemon:
    ws: Workspace
    on_outcome: Callable[[Outcome], None] = lambda outcome: None
    stop: threading.Event = field(default_factory=threading.Event)
    _seen: dict[Path, _Seen] = field(default_factory=dict)
    _dirty_since: float | None = None

    def run(self) -> None:
        self.ws.ensure()
        key = load_key(self.ws.key_file)
        db = store.open_store(self.ws.store)
        self._install_signal_handlers()
        log.info("watching %s", self.ws.inbox)
        self._scan()  # whatever arrived while we were down
        self._work(db, key)
        for changes in watchfiles.watch(self.ws.inbox, watch_filter=InboxFilter(), stop_event=self.stop,
                                        debounce=200, step=50, rust_timeout=int(self._tick() * 1000),
                                        yield_on_timeout=True, raise_interrupt=False):
            for _, name in changes:
                self._note(Path(name))
            self._work(db, key)
            if self.stop.is_set():
                break
        self._consolidate(db, force=self._dirty_since is not None)
        db.close()
        log.info("stopped")

    def _tick(self) -> float:
        return max(0.2, min(self.ws.settle_seconds / 2, 1.0))

    def _install_signal_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.stop.set())

    def _scan(self) -> None:
        for path in self.ws.inbox.rglob("*"):
            self._note(path)

    def _note(self, path: Path) -> None:
        if path.is_file() and not is_ignored(path) and path not in self._seen:
            self._seen[path] = _Seen(-1, -1, time.monotonic())

    def _work(self, db, key: bytes) -> None:  # type: ignore[no-untyped-def]
        for path in self._ready():
            if self.stop.is_set():
                return  # stop cleanly between files
            try:
                outcome = ingest_file(self.ws, db, path, key)
            except (XlbridgeError, OSError) as exc:
                log.error("%s: %s", path.name, exc)
                continue
            finally:
                self._seen.pop(path, None)
            self._dirty_since = time.monotonic()
            log.info("%s: %s %s", path.name, outcome.status, outcome.unit or "")
            self.on_outcome(outcome)
        self._consolidate(db)

    def _ready(self) -> list[Path]:
        """Settled files, oldest first (arrival order)."""
        now = time.monotonic()
        ready = []
        for path, seen in list(self._seen.items()):
            try:
                stat = path.stat()
            except FileNotFoundError:
                del self._seen[path]
                continue
            if (stat.st_size, stat.st_mtime_ns) != (seen.size, seen.mtime):
                self._seen[path] = _Seen(stat.st_size, stat.st_mtime_ns, now)
                continue
            quiet = now - seen.since
            if quiet >= self.ws.settle_seconds and (_zip_complete(path) or quiet >= self.ws.settle_seconds * CORRUPT_GRACE_FACTOR):
                ready.append((stat.st_mtime_ns, path.name, path))
        return [p for *_, p in sorted(ready)]

    def _consolidate(self, db, force: bool = False) -> None:  # type: ignore[no-untyped-def]
        if self._dirty_since is None or self._seen and not force:
            return  # more files are on their way: one rewrite per burst
        if not force and time.monotonic() - self._dirty_since < self.ws.debounce_ms / 1000:
            return
        try:
            path = consolidate(self.ws, db)
            log.info("consolidated → %s", path)
            self._dirty_since = None
        except XlbridgeError as exc:  # e.g. the workbook is open in Excel: keep the old one, retry
            log.warning("consolidation postponed: %s", exc)


def _zip_complete(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            return bool(zf.namelist())
    except (zipfile.BadZipFile, OSError):
        return False

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
writer per workspace (:mod:`xlbridge.service.single_writer`).

The daemon's own process merges, writes receipts and waits: files are read, each month's 汇总
built, next-month ledgers written and the search index updated in the worker processes, so
that what a burst makes (60,000 rows of 明细, SQLite's index buffers) never stays in the
process that runs for months.

Only regular files are read (:mod:`xlbridge.service.inbox`): a symlink, FIFO or device in the
inbox is moved to inbox-rejected/ with one log line and one receipt. A 汇总 that cannot be
replaced gets its new version beside it and is tried again with a doubling back-off.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import logging
import os
import re
import shutil
import signal
import sqlite3
import stat
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import watchfiles

from xlbridge.errors import XlbridgeError, describe, os_reason
from xlbridge.gc_tuning import batch_gc
from xlbridge.ledger.signature import load_key
from xlbridge.service import store
from xlbridge.service.consolidate import consolidate, consolidate_apart, months_to_rewrite
from xlbridge.service.daemon_log import event
from xlbridge.service.inbox import (
    NotRegularFile,
    claimed_unit_of,
    entries,
    is_ignored,
    kind_of,
    move_out,
    open_regular,
    refused_entry,
)
from xlbridge.service.ingest import Outcome, ingest_groups
from xlbridge.service.next_ledgers import (
    following_month,
    issue_after_deadline,
    write_apart,
    write_next_ledgers,
)
from xlbridge.service.prepare import arrival_time
from xlbridge.service.receipt import write_refusal_receipt
from xlbridge.service.search_index import index_part
from xlbridge.service.single_writer import rewrite_holder, single_writer
from xlbridge.service.workers import Preparer
from xlbridge.service.workspace import Workspace

log = logging.getLogger("xlbridge.daemon")
PARTIAL_GRACE_FACTOR = 60  # × settle_seconds before a zip still missing its end is treated as final
RESCAN_SECONDS = 5.0  # look at the whole inbox this often: events get lost (network shares, new sub-folders)
DEADLINE_CHECK_SECONDS = 60.0  # next_ledgers = after-deadline: how often the clock is looked at
RETRY_SECONDS = 60.0  # a file whose ingest failed is tried again after this long, or when it changes
MAX_CONSOLIDATION_DELAY = 60.0  # during an endless stream of arrivals, rewrite at least this often
SEARCH_PART_ROWS = 5_000  # texts indexed per transaction, ~1 s: how long a stop may wait for the index
NEXT_LEDGERS_PER_JOB = 16  # next-month ledgers a worker writes per job (~9 ms of CPU each)
STALE_TEMP_SECONDS = 600.0  # a temp file this old belongs to no live writer (they live seconds)
LOW_DISK_BYTES = 8 << 20  # less free than this at start-up is told: a file needs its archive copy, store rows, receipt
MAX_RETRY_SECONDS = 300.0  # the back-off of a 汇总 that cannot be replaced doubles up to this
_ZIP_MAGIC = b"PK\x03\x04"
_PID_TEMP = re.compile(r"^\..+\.(\d+)\.tmp(\.xlsx)?$")  # archive_bytes and owned_workbook temp files
_MKSTEMP = re.compile(r"^tmp[a-z0-9_]{8}$")  # xlsxwriter's own temp files (constant_memory)
_PID_TEMP_DIR = re.compile(r"^\.xlsxwriter\.(\d+)\.")  # owned_workbook's folder for them


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
    _preparer: Preparer | None = None  # the workers of the batch under way (they write next-month ledgers too)
    _last_scan: float = float("-inf")
    _last_deadline_check: float = float("-inf")
    _refused: set[Path] = field(default_factory=set)  # entries refused but not movable: told once
    _temp_waiting: dict[Path, int] = field(default_factory=dict)  # a killed run's temp file → its writer, alive at the sweep
    _retry_delay: float = 0.0  # the consolidation back-off now (0: the last rewrite worked)
    _retry_at: float = float("-inf")

    def run(self) -> None:
        previous = self._install_signal_handlers()
        try:
            with _disk_full_is_told(), single_writer(self.ws.ensure(), "daemon"):
                key = load_key(self.ws.key_file)
                with batch_gc(), Preparer(self.ws, key, self.ws.workers) as preparer:
                    self._preparer = preparer  # the 汇总, the ledgers and the index caught up at start too
                    db = store.open_store(self.ws.store)
                    try:
                        self._start(db)
                        self._watch(db, preparer)
                    finally:
                        db.close()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        log.info("已停止", **event("stopped"))

    def _start(self, db) -> None:  # type: ignore[no-untyped-def]
        self._sweep_stale_temp()
        free = shutil.disk_usage(self.ws.root).free
        if free < LOW_DISK_BYTES:  # started on a full disk: say so once; files wait in the inbox until there is room
            log.warning("磁盘空间已满或将满（%s 仅剩 %d KB）：收到的文件留在收件箱，腾出空间后自动处理；已存储的数据不受影响",
                        self.ws.root, free // 1024, **event("disk_full", path=self.ws.root, free_kb=free // 1024))
        if store.search_behind(db):
            self._refresh_search()  # texts a stop left unindexed
        if self._consolidated_is_behind(db):
            self._mark_dirty()  # killed before the rewrite: catch up
        self._issue_due_ledgers(db)  # a month that closed while we were down

    def _watch(self, db, preparer: Preparer) -> None:  # type: ignore[no-untyped-def]
        log.info("开始监视 %s", self.ws.inbox, **event("watching", inbox=self.ws.inbox))
        for changes in watchfiles.watch(self.ws.inbox, watch_filter=InboxFilter(), stop_event=self.stop,
                                        debounce=200, step=50, rust_timeout=int(self._tick() * 1000),
                                        yield_on_timeout=True, raise_interrupt=False):
            if time.monotonic() - self._last_scan >= RESCAN_SECONDS:
                self._scan()  # the first time: whatever arrived while we were down (the watch is live by now)
            for _, name in changes:
                self._note(Path(name))
            self._work(db, preparer)
            self._issue_due_ledgers(db)
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
        self._sweep_waiting_temp()
        for path in [p for p in self._failed if not p.exists()]:
            del self._failed[path]
        self._refused = {p for p in self._refused if os.path.lexists(p)}
        rewrite_holder(self.ws, "daemon")  # for the message a second writer gets, if someone deleted it
        self._note(self.ws.inbox)

    def _note(self, path: Path) -> None:
        """Look at an inbox entry without following it: files to read, folders to look into
        (also a new sub-folder: files copied in before its watch existed), the rest refused."""
        if is_ignored(path):
            return
        refused = refused_entry(self.ws.inbox, path)  # path, or a symlinked folder it lies in
        if refused:
            self._refuse(*refused)
            return
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            return
        if stat.S_ISDIR(mode):
            for child, st in entries(path):
                if is_ignored(child):
                    continue
                kind = kind_of(st.st_mode)
                if kind:
                    self._refuse(child, kind)
                else:
                    self._note_file(child)
        elif stat.S_ISREG(mode):
            self._note_file(path)

    def _refuse(self, entry: Path, kind: str) -> None:
        """Move an entry that is no regular file out of the inbox, unread, with one receipt and
        one log line; one that cannot be moved is told once and then left alone."""
        self._seen.pop(entry, None)
        if entry in self._refused:
            return
        name = str(entry.relative_to(self.ws.inbox))
        try:
            where = f"已移到 {self._shown(move_out(self.ws.inbox, entry, self.ws.quarantine))}"
        except OSError as exc:
            self._refused.add(entry)
            where = f"无法移出收件箱（{os_reason(exc)}），此后不再读取"
        try:
            receipt = f"回执 {write_refusal_receipt(self.ws, claimed_unit_of(self.ws.inbox, entry), name, kind)}"
        except Exception as exc:  # the log line still tells  # noqa: BLE001
            receipt = f"回执未能写出（{describe(exc)}）"
        log.warning("%s：是%s，不是普通文件，未读取；%s；%s", name, kind, where, receipt,
                    **event("refused", file=name, what=kind, where=where, receipt=receipt))

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
            log.info("再次处理 %s", self._shown(path), **event("retry", file=self._shown(path)))
        else:
            log.info("收到 %s", self._shown(path), **event("received", file=self._shown(path)))
        self._seen[path] = _Seen(-1, -1, time.monotonic())

    def _shown(self, path: Path) -> str:
        """A file as the log names it: its place in the inbox (units may send files of one name),
        else in the workspace (outbox/<单位>/回执_….xlsx)."""
        for root in (self.ws.inbox, self.ws.root):
            if path.is_relative_to(root):
                return str(path.relative_to(root))
        return str(path)

    def _ready(self) -> list[Path]:
        """Settled, complete files in arrival order (when each landed, as the pipeline records it)."""
        now = time.monotonic()
        settle = self.ws.settle_seconds
        ready = []
        for path, seen in list(self._seen.items()):
            try:
                st = os.lstat(path)
            except OSError:
                del self._seen[path]  # taken back or renamed; a rescan finds it again if it is still there
                continue
            if not stat.S_ISREG(st.st_mode):  # replaced by a symlink or a FIFO since it was seen
                self._refuse(path, kind_of(st.st_mode) or "特殊文件")
                continue
            if (st.st_size, st.st_mtime_ns) != (seen.size, seen.mtime):
                self._seen[path] = _Seen(st.st_size, st.st_mtime_ns, now, seen.told_waiting)
                continue
            quiet = now - seen.since
            if quiet < settle:
                continue
            if _arrival(path, self.ws.inbox) == "partial" and quiet < settle * PARTIAL_GRACE_FACTOR:
                if not seen.told_waiting:
                    log.info("%s 尚不完整（仍在复制？），等待", self._shown(path),
                             **event("waiting", file=self._shown(path)))
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
        self._preparer = preparer  # the burst's next-month ledgers are written in its workers too
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
        self._sweep_waiting_temp()
        self._consolidate(db, force=True)

    def _took(self, path: Path, outcome: Outcome | Exception) -> None:
        self._seen.pop(path, None)
        if isinstance(outcome, FileNotFoundError):
            return  # taken back before we read it
        if isinstance(outcome, NotRegularFile):  # swapped for a symlink after it was looked at
            self._refuse(*(refused_entry(self.ws.inbox, path) or (path, outcome.kind)))
            return
        self._mark_dirty()  # also after a failure: it may have come after the commit (the receipt)
        if isinstance(outcome, Exception):  # one bad file must never stop the inbox
            full = disk_full(outcome) or "disk is full" in str(outcome)
            log.error("处理失败 %s%s：%s；文件留在 inbox，%d 秒后或文件变化后重试", self._shown(path),
                      "（磁盘空间已满，已存储的数据未改变）" if full else "", outcome, int(RETRY_SECONDS),
                      exc_info=outcome if is_bug(outcome) else None,
                      **event("error", file=self._shown(path), reason=outcome, disk_full=full))
            self._remember_failure(path)
            return
        if outcome.status == "accepted" and outcome.period and outcome.campaign:
            self._dirty_months.add((outcome.campaign, outcome.period))
        # Another kind accepted (an inspection) may open items the unit's next ledger lists: rewrite it too.
        if outcome.status == "accepted" and outcome.unit and self.ws.next_ledgers == "after-submission":
            self._next_ledgers.add(outcome.unit)
        self._log_outcome(path, outcome)
        self.on_outcome(outcome)

    def _log_outcome(self, path: Path, outcome: Outcome) -> None:
        """One line for the verdict, one for the receipt: the two events a unit asks about."""
        shown, unit = self._shown(path), outcome.unit or "单位不明"
        fields = {"file": shown, "unit": outcome.unit, "submission_id": outcome.submission_id}
        if outcome.status == "accepted":
            note = f"，{outcome.summary}" if outcome.summary else ""
            log.info("已接收 %s（%s，%s%s）", shown, unit, outcome.period, note,
                     **event("accepted", **fields, period=outcome.period, note=outcome.summary or None))
        elif outcome.status == "rejected":
            log.info("已退回 %s（%s）：%s", shown, unit, outcome.summary, **event("rejected", **fields, reason=outcome.summary))
        else:
            log.info("重复报送 %s（%s），未重复计入", shown, unit, **event("duplicate", **fields))
        if outcome.receipt:
            receipt = self._shown(outcome.receipt)
            log.info("已写回执 %s", receipt, **event("receipt", file=shown, unit=outcome.unit, path=receipt))

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
        if not force and now < self._retry_at:
            return  # a 汇总 could not be replaced: wait out the back-off
        # The burst's garbage (its receipts' workbooks are reference cycles, which the batch's raised
        # collector thresholds leave for long) collected once: the daemon does not wait holding it.
        gc.collect()
        indexing: threading.Thread | None = None
        ledgers: list[tuple[str, list[str], Any]] = []
        try:
            try:
                months = self._start_months(db)  # queued first in the worker processes, the ledgers after them
                ledgers = self._start_next_ledgers(db)
                # The search index after them, beside the waiting for them: the CPUs go to the 汇总
                # and the next-month ledgers first, the index (at the lowest priority) taking what they leave.
                if store.search_behind(db):  # (a burst of rejected or duplicate files stores no text)
                    indexing = threading.Thread(target=self._refresh_search, name="xlbridge-search-index")
                    indexing.start()
                for path in self._finish_months(db, months):
                    log.info("已重写汇总表 %s", self._shown(path), **event("consolidated", path=self._shown(path)))
            except Exception as exc:  # e.g. the workbook is open in Excel: keep the old one, retry later
                self._retry_delay = min(max(self._retry_delay * 2, self.ws.consolidate_retry_seconds), MAX_RETRY_SECONDS)
                self._retry_at = now + self._retry_delay
                log.warning("汇总表暂未更新：%s；%.0f 秒后重试", exc, self._retry_delay,
                            exc_info=is_bug(exc),
                            **event("postponed", what="consolidation", reason=exc, retry_seconds=self._retry_delay))
                self._dirty_since = self._dirty_first = now
            else:
                self._dirty_since = self._dirty_first = None
                self._retry_delay, self._retry_at = 0.0, float("-inf")
            self._write_next_ledgers(db, ledgers)
        finally:
            if indexing is not None:
                indexing.join()

    def _start_next_ledgers(self, db) -> list[tuple[str, list[str], Any]]:  # type: ignore[no-untyped-def]
        """Each unit accepted in the burst gets the ledger for the month after its latest, pre-filled.
        A burst's many ledgers are handed to the worker processes at once, so that they are written
        beside the 汇总 and the index: (month, units, the job's future or None to write here)."""
        system = self.ws.indicator_system()
        by_month: dict[str, list[str]] = {}
        for unit in sorted(self._next_ledgers):
            latest = db.execute("SELECT period FROM latest_submissions WHERE unit = ? AND system_id = ?",
                                [unit, system.id]).fetchone()
            month = following_month(latest[0]) if latest else None  # none after December
            if month:
                by_month.setdefault(month, []).append(unit)
        jobs = [(month, units[i:i + NEXT_LEDGERS_PER_JOB]) for month, units in by_month.items()
                for i in range(0, len(units), NEXT_LEDGERS_PER_JOB)]
        self._next_ledgers.clear()
        return [(month, units, self._apart(write_apart, self.ws, month, units)) for month, units in jobs]

    def _write_next_ledgers(self, db, jobs: list[tuple[str, list[str], Any]]) -> None:  # type: ignore[no-untyped-def]
        """The jobs' ledgers written (those with no worker here, and a dead worker's), each told."""
        for month, units, future in jobs:
            try:
                written = future.result() if future is not None else write_apart(self.ws, month, units)
            except Exception as exc:  # a worker died: these units get theirs in this process  # noqa: BLE001
                log.warning("预填台账改在本进程生成：%s", exc)
                written = [(unit, self._write_next_ledger(db, month, unit)) for unit in units]
            for unit, result in written:
                self._tell_next_ledger(unit, month, result)

    def _write_next_ledger(self, db, month: str, unit: str) -> list[Path] | Exception:  # type: ignore[no-untyped-def]
        try:
            return write_next_ledgers(self.ws, db, month, [unit])
        except Exception as exc:  # told by _tell_next_ledger  # noqa: BLE001
            return exc

    def _tell_next_ledger(self, unit: str, month: str, result: list[Path] | Exception) -> None:
        if isinstance(result, Exception):  # the unit still has its receipt; `ledgers next` can write it later
            log.warning("%s 的下月台账未能生成：%s", unit, result,
                        exc_info=is_bug(result),
                        **event("error", unit=unit, reason=result))
            return
        for path in result:
            log.info("已生成 %s 的 %s 预填台账 %s", unit, month, self._shown(path),
                     **event("next_ledger", unit=unit, period=month, path=self._shown(path)))

    def _issue_due_ledgers(self, db) -> None:  # type: ignore[no-untyped-def]
        """next_ledgers = after-deadline: when a month closes, every unit's ledger for the next one."""
        if self.ws.next_ledgers != "after-deadline" or time.monotonic() - self._last_deadline_check < DEADLINE_CHECK_SECONDS:
            return
        self._last_deadline_check = time.monotonic()
        try:
            paths = issue_after_deadline(self.ws, db, datetime.now())
        except Exception as exc:  # e.g. the key was moved: say so, try again at the next check
            log.warning("截止后下发下月台账失败：%s", exc, exc_info=is_bug(exc),
                        **event("error", reason=exc))
            return
        if paths:
            log.info("报送截止已过：已为 %d 个单位生成下月预填台账 → %s", len(paths), self.ws.outbox,
                     **event("next_ledger", count=len(paths), path=self.ws.outbox))

    def _start_months(self, db) -> list[tuple[str | None, Any]]:  # type: ignore[no-untyped-def]
        """Every month an accepted file changed (its own and the later ones it still counts in),
        else the latest month (a rejection shows there): each month's 汇总 a job for a worker
        process, so the daemon's own stays small and months are built side by side."""
        months: list[str | None] = [*months_to_rewrite(db, self.ws.indicator_system().id, self._dirty_months)] or [None]
        return [(month, self._apart(consolidate_apart, self.ws, month)) for month in months]

    def _finish_months(self, db, jobs: list[tuple[str | None, Any]]) -> Iterator[Path]:  # type: ignore[no-untyped-def]
        """Each month's 汇总 as it is written; if one fails, the others are still written, and
        all are rewritten at the retry."""
        failed: Exception | None = None
        for month, future in jobs:
            try:
                yield self._consolidated(db, month, future)
            except Exception as exc:  # noqa: BLE001  (raised below, after the other months)
                failed = failed or exc
        if failed is not None:
            raise failed
        self._dirty_months.clear()

    def _consolidated(self, db, month: str | None, future: Any) -> Path:  # type: ignore[no-untyped-def]
        if future is not None:
            try:
                return future.result()
            except (BrokenProcessPool, MemoryError) as exc:  # the worker died, or hit worker_memory_mb: built here
                why = "工作进程超出内存上限 worker_memory_mb" if isinstance(exc, MemoryError) else "工作进程意外退出"
                log.warning("%s汇总表改在本进程生成：%s", f"{month} " if month else "", why)
        return consolidate(self.ws, db, month)

    def _refresh_search(self) -> None:
        """The search index, once per burst like the workbook, in parts, each in a worker process
        when there are workers (after the 汇总 and ledger jobs queued before it): a stop is not kept
        waiting for a month of texts; what is left is indexed at the next burst or start."""
        try:
            while self._index_part() == SEARCH_PART_ROWS and not self.stop.is_set():
                pass
        except Exception as exc:  # the store locked or unreadable for now: the texts wait for the next burst  # noqa: BLE001
            log.warning("全文索引推迟更新（%s），下一批报送后再更新", describe(exc),
                        **event("postponed", what="search", reason=exc))

    def _index_part(self) -> int:
        future = self._apart(index_part, self.ws.store, SEARCH_PART_ROWS)
        return future.result() if future is not None else index_part(self.ws.store, SEARCH_PART_ROWS)

    def _apart(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` as a job for the worker processes: its future, or None to do it here."""
        return self._preparer.run_apart(fn, *args) if self._preparer is not None else None

    # ------------------------------------------------------------------ after a crash
    def _consolidated_is_behind(self, db) -> bool:  # type: ignore[no-untyped-def]
        row = db.execute("SELECT MAX(processed_at) FROM submissions").fetchone()
        if not row or not row[0]:
            return False
        written = [p.stat().st_mtime for p in self.ws.consolidated_dir.glob("*.xlsx") if not is_ignored(p)]
        return not written or datetime.fromisoformat(row[0]).timestamp() >= int(max(written))

    def _sweep_stale_temp(self) -> None:
        """Temp files a killed run left in archive/ and outbox/ (its pid is in their names). One
        whose writer still lives is looked at again at each rescan: a killed daemon's worker can
        outlive it by a moment, and ends without removing the file it was writing."""
        now = time.time()
        for root in (self.ws.archive, self.ws.outbox):
            for path in list(root.rglob("*")):
                try:
                    st = os.lstat(path)
                    old = now - st.st_mtime > STALE_TEMP_SECONDS
                    folder = _PID_TEMP_DIR.match(path.name)
                    if stat.S_ISDIR(st.st_mode):
                        if folder and (old or _dead(int(folder[1]))):
                            shutil.rmtree(path)
                            log.info("已删除残留的临时文件夹 %s", path, **event("temp_removed", path=path))
                        continue
                    match = _PID_TEMP.match(path.name)
                    if (match and (old or _dead(int(match[1])))) or (_MKSTEMP.match(path.name) and old):
                        self._remove_temp(path)
                    elif match and int(match[1]) != os.getpid():
                        self._temp_waiting[path] = int(match[1])
                except OSError:
                    continue

    def _sweep_waiting_temp(self) -> None:
        for path, pid in list(self._temp_waiting.items()):
            if not os.path.lexists(path):
                del self._temp_waiting[path]  # its writer finished it (renamed) or removed it
            elif _dead(pid):
                with contextlib.suppress(OSError):
                    self._remove_temp(path)
                del self._temp_waiting[path]

    @staticmethod
    def _remove_temp(path: Path) -> None:
        path.unlink()
        log.info("已删除残留的临时文件 %s", path, **event("temp_removed", path=path))


def _arrival(path: Path, inbox: Path) -> str:
    """complete: a readable zip; partial: a zip still missing its end (or nothing yet); foreign: no zip."""
    try:
        with open_regular(path, inbox) as fh:
            head = fh.read(len(_ZIP_MAGIC))
            if head.strip(b"\0") and not _ZIP_MAGIC.startswith(head):
                return "foreign"
            fh.seek(0)
            with zipfile.ZipFile(fh) as zf:
                return "complete" if zf.namelist() else "partial"
    except NotRegularFile:
        return "foreign"  # taken at once: the pipeline refuses it
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


def is_bug(exc: BaseException) -> bool:
    """A failure to log with its traceback: not ours to tell (XlbridgeError), nor the file
    system's or SQLite's (a path, a full disk, a busy store: the Chinese line says what to do)."""
    return not isinstance(exc, (XlbridgeError, OSError, sqlite3.Error))


def disk_full(exc: BaseException) -> bool:
    """ENOSPC (or a quota), or SQLite's SQLITE_FULL (its extended codes keep the primary code in
    the low byte)."""
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(exc, sqlite3.Error) and code is not None and code & 0xFF == sqlite3.SQLITE_FULL


@contextlib.contextmanager
def _disk_full_is_told() -> Iterator[None]:
    """Start-up on a full disk ends with a Chinese message, not a traceback; nothing was changed."""
    try:
        yield
    except (OSError, sqlite3.Error) as exc:
        if not disk_full(exc):
            raise
        raise XlbridgeError(f"磁盘空间已满，守护进程无法启动（{describe(exc)}）。请清理磁盘后再启动；"
                            "已存储的数据和收件箱中的文件都未改动") from None

"""Preparing files (archive, read, validate) in worker processes, ahead of their merge.

Reading and checking a ledger is Rust and Python that hold the GIL: threads barely overlap it.
Processes do. The store keeps one writer, the calling process, which merges the prepared files
in arrival order; so a restart after a kill finds the same state as with one process.

How workers start: a one-shot batch (``xlbridge ingest``) forks them, when it is still a single
thread; fork is safe then and costs nothing. A long-lived process (the daemon, which runs
watchfiles' thread) starts them from a fork server, or spawns them where there is none
(Windows, macOS). Either way they get the indicator system from the parent, ignore Ctrl-C
(a terminal sends it to the whole process group; the parent decides when to stop) and exit
when the parent dies, so kill -9 of the daemon leaves no orphans.

Submitted files are untrusted, and a reader can still die on one (calamine aborts the whole
process when an allocation fails): so they are parsed in these processes only, each with an
address-space limit (``worker_memory_mb``, RLIMIT_AS), also when the workspace asks for no
workers (then one child). A worker that dies takes the files it held with it: each is tried
again alone, in a process of its own; one that kills that one too is the culprit, rejected unread
(工作簿无法安全读取), archived, and moved to inbox-rejected/ so that it is never tried again.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import pickle
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Self

from xlbridge.errors import XlbridgeError
from xlbridge.gc_tuning import BATCH_GC_THRESHOLDS
from xlbridge.service import extra_sheets, kinds, open_items
from xlbridge.service.daemon_log import event
from xlbridge.service.prepare import Prepared, prepare, prepare_unsafe
from xlbridge.service.workspace import Workspace
from xlbridge.system.model import IndicatorSystem

MAX_DEFAULT_WORKERS = 4  # beyond this the single writer (the store) is the limit
WORKER_NICENESS = 10  # the parent's merges are the one serial step: when CPUs are short they go first
PARENT_POLL_SECONDS = 0.5
GROUP_LIMIT = 16  # files merged under one commit, at most
log = logging.getLogger("xlbridge.workers")


def default_workers() -> int:
    """One per CPU, at most four; none on a single CPU, where a process would only add startup."""
    cpus = os.cpu_count() or 1
    return 0 if cpus < 2 else min(cpus, MAX_DEFAULT_WORKERS)


def read_ahead(workers: int, limit: int = GROUP_LIMIT) -> int:
    """Files under way at most: enough that no worker waits while the parent merges a group."""
    return max(2 * workers, limit)


class PrepareError(XlbridgeError):
    """A worker process died while preparing the file (killed, out of memory)."""


class Pending:
    """A file being prepared; ``result()`` waits for it, retrying it alone if its worker died."""

    def __init__(self, preparer: Preparer, path: Path, future: Future[Any],
                 pool: ProcessPoolExecutor | None = None) -> None:
        self.preparer, self.path, self.future, self.pool = preparer, path, future, pool

    def result(self) -> Prepared:
        try:
            return _unpickled(self.future.result())
        except BrokenProcessPool:
            pass
        # A worker died (killed, out of memory, a reader aborted): every file then in the pool is
        # lost with it, and any of them may be the cause. Each is tried once more, alone.
        try:
            return self.preparer.alone(self.path, broken=self.pool)
        except BrokenProcessPool:
            log.error("%s：读取时处理进程两次异常终止，拒收并移至 %s", self.path.name, self.preparer.ws.quarantine.name,
                      **event("quarantined", file=self.path.name, where=self.preparer.ws.quarantine.name))
            prepared = prepare_unsafe(self.preparer.ws, self.path, "读取时处理进程两次异常终止")
            prepared.quarantine = True
            return prepared


class Preparer:
    """Prepares files for merging: in ``workers`` processes, or in this one when 0 (or one file).

    ``fork``: start workers by forking this process, if it has no other thread (a one-shot batch).
    ``isolate``: files are untrusted (the daemon, ``xlbridge ingest``): always parsed in a worker,
    with ``workers`` = 0 in one child.
    """

    def __init__(self, ws: Workspace, key: bytes, workers: int | None = None, fork: bool = False,
                 isolate: bool = True) -> None:
        self.ws, self.key, self.fork, self.isolate = ws, key, fork, isolate
        self.workers = default_workers() if workers is None else workers
        self.system = ws.indicator_system()
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def start(self, paths: Sequence[Path]) -> Preparer:
        """Start the workers ``paths`` will need now, so their start-up overlaps the caller's own
        (opening the store)."""
        if self._uses_workers(paths):
            for _ in range(max(self.workers, 1)):
                self._current_pool().submit(int)
        return self

    def _uses_workers(self, paths: Sequence[Path]) -> bool:
        return self.isolate or (self.workers >= 1 and len(paths) >= 2)  # one trusted file: not worth a process

    def alone(self, path: Path, broken: ProcessPoolExecutor | None = None) -> Prepared:
        """``path`` prepared in a process of its own (a worker died while it was in the pool)."""
        self._current_pool(broken)  # the broken pool replaced for the files after it
        with ProcessPoolExecutor(1, mp_context=self._context(), initializer=_worker_started,
                                 initargs=self._worker_args()) as pool:
            return _unpickled(pool.submit(_prepare_pickled, self.ws, path, self.key).result())

    def _worker_args(self) -> tuple[Any, ...]:
        return self.system, self.ws.worker_memory_mb, kinds.registered(), open_items.source(), extra_sheets.writers()

    def in_groups(self, paths: Sequence[Path], limit: int = GROUP_LIMIT) -> Iterator[list[Pending]]:
        """The paths' preparations in order, in groups to merge together: the next file, and those
        after it already prepared by the time it is (up to ``limit``). Later files are under way
        meanwhile. Closing the iterator early cancels those not yet started (the pool stays)."""
        self._follow_system()
        if not self._uses_workers(paths):
            for path in paths:
                yield [Pending(self, path, _done(self.ws, path, self.key, self.system))]
            return
        todo, ahead = iter(paths), deque[Pending]()
        lookahead = read_ahead(max(self.workers, 1), limit)
        try:
            while True:
                while len(ahead) < lookahead and (path := next(todo, None)) is not None:
                    ahead.append(self.submit(path))
                if not ahead:
                    return
                group = [ahead.popleft()]
                wait([group[0].future])
                while ahead and len(group) < limit and ahead[0].future.done():
                    group.append(ahead.popleft())
                yield group
        finally:
            for pending in ahead:
                pending.future.cancel()

    def _follow_system(self) -> None:
        """A new version of the system file (a long-running daemon): new workers that hold it."""
        system = self.ws.indicator_system()  # cached while the file is unchanged
        if system is not self.system:
            self.system = system
            self.close()

    def run_apart(self, fn: Callable[..., Any], *args: Any) -> Future[Any] | None:
        """``fn(*args)`` in a worker process (other work than preparing: the burst's next-month
        ledgers), or None when there are no workers."""
        if self.workers < 1:
            return None
        pool = self._current_pool()
        try:
            return pool.submit(fn, *args)
        except BrokenProcessPool:  # a worker died (a job's, or killed while idle): a new pool takes it
            return self._current_pool(pool).submit(fn, *args)

    def submit(self, path: Path, broken: ProcessPoolExecutor | None = None) -> Pending:
        """Queue ``path`` in the pool, first replacing the pool if it is the ``broken`` one
        (the first file to find it broken replaces it; the others find the new one)."""
        pool = self._current_pool(broken)
        try:
            future = pool.submit(_prepare_pickled, self.ws, path, self.key)
        except BrokenProcessPool:  # a worker died while idle: the pool refuses work until replaced
            pool = self._current_pool(pool)
            future = pool.submit(_prepare_pickled, self.ws, path, self.key)
        return Pending(self, path, future, pool)

    def _current_pool(self, broken: ProcessPoolExecutor | None = None) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None or self._pool is broken:
                if self._pool is not None:
                    self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = ProcessPoolExecutor(max(self.workers, 1), mp_context=self._context(),
                                                 initializer=_worker_started,
                                                 initargs=self._worker_args())
            return self._pool

    def _context(self) -> Any:
        methods = multiprocessing.get_all_start_methods()
        if self.fork and "fork" in methods and threading.active_count() == 1:
            return multiprocessing.get_context("fork")
        if "forkserver" in methods:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["xlbridge.service.prepare"])  # imported once, in the server
            return context
        return multiprocessing.get_context("spawn")


# --------------------------------------------------------------------------- in a worker
_system: IndicatorSystem | None = None


def _worker_started(system: IndicatorSystem, memory_mb: int = 0,
                    other_kinds: tuple[kinds.SubmittedKind, ...] = (), items: open_items.ItemSource | None = None,
                    sheets: tuple[extra_sheets.SheetWriter, ...] = ()) -> None:
    global _system
    _system = system
    # a forkserver's or spawned worker starts with none of what the faces registered: the next
    # ledgers it writes need the open items, as the files it prepares need the other kinds
    kinds.register(*other_kinds)
    open_items.register(items)
    extra_sheets.register(sheets[0] if sheets else None)
    if memory_mb > 0:
        limit_memory(memory_mb)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.set_threshold(*BATCH_GC_THRESHOLDS)
    if hasattr(os, "nice"):
        os.nice(WORKER_NICENESS)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent,), name="xlbridge-parent-watch", daemon=True).start()


def limit_memory(memory_mb: int) -> None:
    """This process's address space, at most ``memory_mb`` (where the OS has RLIMIT_AS): past it
    an allocation fails, which ends this worker alone (Python raises MemoryError, Rust aborts)."""
    try:
        import resource
    except ImportError:  # Windows
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = memory_mb * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))


def _exit_with(parent: Any) -> None:
    # The parent's pipe closes when it dies, unless a forked sibling holds a copy of its end;
    # then being re-parented (to init, or from a fork server that exited with its parent) tells.
    ppid = os.getppid()
    while parent.is_alive() and os.getppid() == ppid:
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(1)


def _prepare_pickled(ws: Workspace, path: Path, key: bytes) -> bytes:
    # Pickled here, unpickled by the caller when it asks: else the pool's result thread unpickles
    # in the parent while its main thread merges, and the two fight over the GIL (SQLite drops and
    # retakes it for every row, waiting up to the 5 ms switch interval each time).
    return pickle.dumps(prepare(ws, path, key, system=_system), protocol=pickle.HIGHEST_PROTOCOL)


def _unpickled(result: Prepared | bytes) -> Prepared:
    return pickle.loads(result) if isinstance(result, bytes) else result


def _done(ws: Workspace, path: Path, key: bytes, system: IndicatorSystem) -> Future[Prepared]:
    future: Future[Prepared] = Future()
    try:
        future.set_result(prepare(ws, path, key, system=system))
    except Exception as exc:  # noqa: BLE001
        future.set_exception(exc)
    return future

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
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import signal
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from xlbridge.errors import XlbridgeError
from xlbridge.gc_tuning import BATCH_GC_THRESHOLDS
from xlbridge.service import kinds
from xlbridge.system.model import IndicatorSystem
from xlbridge.service.prepare import Prepared, prepare
from xlbridge.system.files import load_system
from xlbridge.service.workspace import Workspace

MAX_DEFAULT_WORKERS = 4  # beyond this the single writer (the store) is the limit
WORKER_NICENESS = 10  # the parent's merges are the one serial step: when CPUs are short they go first
PARENT_POLL_SECONDS = 0.5
GROUP_LIMIT = 16  # files merged under one commit, at most


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
    """A file being prepared; ``result()`` waits for it, retrying once if its worker died."""

    def __init__(self, preparer: Preparer, path: Path, future: Future[Any],
                 pool: ProcessPoolExecutor | None = None) -> None:
        self.preparer, self.path, self.future, self.pool = preparer, path, future, pool

    def result(self) -> Prepared:
        try:
            return _unpickled(self.future.result())
        except BrokenProcessPool:
            # A worker died (killed, out of memory): every file then in the pool is lost with it.
            # Each is tried once more in a new pool; a file that kills that one too is left for later.
            try:
                return _unpickled(self.preparer.submit(self.path, broken=self.pool).future.result())
            except BrokenProcessPool:
                raise PrepareError(f"{self.path.name}：处理进程异常终止（内存不足或被结束），文件留在收件箱，稍后重试") from None


class Preparer:
    """Prepares files for merging: in ``workers`` processes, or in this one when 0 (or one file).

    ``fork``: start workers by forking this process, if it has no other thread (a one-shot batch).
    """

    def __init__(self, ws: Workspace, key: bytes, workers: int | None = None, fork: bool = False) -> None:
        self.ws, self.key, self.fork = ws, key, fork
        self.workers = default_workers() if workers is None else workers
        self.system = load_system(ws.system)
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> Preparer:
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
            for _ in range(self.workers):
                self._current_pool().submit(int)
        return self

    def _uses_workers(self, paths: Sequence[Path]) -> bool:
        return self.workers >= 1 and len(paths) >= 2  # one file: not worth waking a process for

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
        lookahead = read_ahead(self.workers, limit)
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
        system = load_system(self.ws.system)  # cached while the file is unchanged
        if system is not self.system:
            self.system = system
            self.close()

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
                self._pool = ProcessPoolExecutor(self.workers, mp_context=self._context(),
                                                 initializer=_worker_started,
                                                 initargs=(self.system, kinds.registered()))
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


def _worker_started(system: IndicatorSystem, other_kinds: tuple[kinds.SubmittedKind, ...] = ()) -> None:
    global _system
    _system = system
    kinds.register(*other_kinds)  # a forkserver's or spawned worker starts with none
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.set_threshold(*BATCH_GC_THRESHOLDS)
    if hasattr(os, "nice"):
        os.nice(WORKER_NICENESS)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent,), name="xlbridge-parent-watch", daemon=True).start()


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
    except Exception as exc:
        future.set_exception(exc)
    return future

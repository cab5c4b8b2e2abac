"""The search index brought up to date one part at a time, at the lowest CPU priority.

The daemon hands each part to a worker process: trigram indexing a month of long Chinese texts
takes SQLite several MB (its page cache, FTS5's pending terms), which the daemon's own process
then keeps for good. A part is one transaction of at most ``limit`` texts (:func:`store.refresh_search`),
so a stop or another writer never waits for a month of them.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from xlbridge.service import store

LOWEST_NICE = 19  # the index takes the CPUs the 汇总, the next-month ledgers and the merges leave


def index_part(store_path: Path, limit: int) -> int:
    """One part of the index on a connection of its own; the number of texts indexed. It runs in
    a thread of its own at the lowest priority, so that the caller's thread keeps its own."""
    with ThreadPoolExecutor(1, thread_name_prefix="xlbridge-search-index") as thread:
        return thread.submit(_index_part, store_path, limit).result()


def _index_part(store_path: Path, limit: int) -> int:
    lowest_priority()
    db = store.open_store(store_path)
    try:
        return store.refresh_search(db, limit=limit)
    finally:
        db.close()


def lowest_priority() -> None:
    """The calling thread at the lowest CPU priority (Linux, where a thread has a nice value of its own)."""
    if sys.platform == "linux":
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOWEST_NICE)

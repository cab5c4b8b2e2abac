"""Collector thresholds for reading and checking ledgers.

A ledger read makes thousands of small containers that die young, over a heap that is mostly
long-lived (the indicator system, issued-ledger caches, whatever else the process loaded). With
the default thresholds (700, 10, 10) the collector runs so often, and walks that heap so many
times, that it cost a third of the time to validate and merge a file.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

BATCH_GC_THRESHOLDS = (20_000, 10, 10)


@contextmanager
def batch_gc() -> Iterator[None]:
    """Fewer collections while reading, checking or ingesting ledgers; the previous setting after."""
    previous = gc.get_threshold()
    gc.set_threshold(*BATCH_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*previous)

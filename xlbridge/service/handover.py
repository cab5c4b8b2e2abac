"""`xlbridge ingest` beside a running daemon: the files are handed to the daemon's inbox.

The daemon is the workspace's one writer (:mod:`xlbridge.service.single_writer`), so an ingest
that finds it running does not open a second write path to the store: each file is copied into
the inbox (under a temp name the daemon ignores, then renamed: it never sees half a file), and
the ingest waits until the daemon has taken each one out of the inbox, which it does only after
the file is stored and its receipt written. What became of it is then read from the store.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xlbridge.service import store
from xlbridge.service.inbox import free_name, read_regular
from xlbridge.service.workspace import Workspace
from xlbridge.xlsx.owned import fit_name

POLL_SECONDS = 0.2


@dataclass
class Handed:
    source: Path
    inbox_path: Path
    sha256: str
    submission: dict[str, Any] | None = None  # the record the daemon made for it (None: a duplicate, or not yet)
    taken: bool = False


def hand_over(ws: Workspace, files: Iterable[Path]) -> list[Handed]:
    """Put each file into the inbox (a file already there stays where it is)."""
    handed = []
    for source in files:
        data = read_regular(source, ws.inbox)
        sha = hashlib.sha256(data).hexdigest()
        if _inside(ws.inbox, source):
            handed.append(Handed(source, source, sha))
            continue
        target = free_name(ws.inbox / source.name)
        tmp = target.with_name(fit_name(f".{target.stem}.{os.getpid()}", ".part"))  # ignored by the daemon
        try:
            tmp.write_bytes(data)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        handed.append(Handed(source, target, sha))
    return handed


def wait_taken(ws: Workspace, handed: list[Handed], since_id: int, timeout: float) -> Iterator[Handed]:
    """Each handed file once the daemon has taken it from the inbox, with its new record."""
    deadline = time.monotonic() + timeout
    waiting = list(handed)
    while waiting and time.monotonic() < deadline:
        for item in [h for h in waiting if not os.path.lexists(h.inbox_path)]:
            waiting.remove(item)
            item.taken = True
            item.submission = _record(ws, item.sha256, since_id)
            yield item
        time.sleep(POLL_SECONDS)
    yield from waiting  # not taken in time: still in the inbox, the daemon will get to them


def last_submission_id(ws: Workspace) -> int:
    with contextlib.closing(store.read_only(ws.store)) as conn:
        try:
            return conn.execute("SELECT COALESCE(MAX(id), 0) FROM submissions").fetchone()[0]
        except sqlite3.OperationalError:
            return 0  # no store yet: the daemon is creating it


def _record(ws: Workspace, sha: str, since_id: int) -> dict[str, Any] | None:
    with contextlib.closing(store.read_only(ws.store)) as conn:
        conn.row_factory = sqlite3.Row
        row = conn.execute("SELECT * FROM submissions WHERE sha256 = ? AND id > ? ORDER BY id DESC LIMIT 1",
                           [sha, since_id]).fetchone()
        return dict(row) if row else None


def _inside(inbox: Path, path: Path) -> bool:
    try:
        path.absolute().relative_to(inbox)
    except ValueError:
        return False
    return True

"""The daemon's own cache of the consolidated workbooks' 明细 rows, deflated unit by unit, and of
each month's 趋势 figures (``cache/汇总明细.db`` in the workspace, plain SQLite).

A late March file rewrites every later month's 汇总 (each later 趋势 shows March), whose 明细 did
not change; a burst where a fifth of the units reported changes a fifth of 明细. Each unit's rows
are kept as a deflated piece (:mod:`xlbridge.xlsx.pieces`) under a key naming everything its XML
depends on (the submission and its bytes' hash, the unit, the indicator texts of its system
version, the column widths, where the rows stand, the code that wrote them), so a piece found is
the piece that would be written: the cache is never wrong, only missing. It is safe to lose:
a cache that cannot be opened or read is started again, and a miss rebuilds the piece.

Each month keeps the pieces its last 汇总 used; the rest are dropped once no month uses them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
from dataclasses import asdict
from pathlib import Path
from typing import Any, Self

from xlbridge.service.trend import Month
from xlbridge.xlsx.pieces import Piece

log = logging.getLogger("xlbridge.summary_cache")
CACHE_NAME = "汇总明细.db"
_SCHEMA = 3
_TIMEOUT = 5.0  # seconds a second writer (`xlbridge consolidate` beside the daemon) waits for the lock


class SummaryCache:
    """The pieces of one month's 汇总 being written: found ones, new ones, and at :meth:`keep`
    the record that the month now uses exactly these."""

    def __init__(self, path: Path, month: str) -> None:
        self.path, self.month = path, month
        self.used: set[str] = set()
        self._db = _open(path)

    def get(self, key: str) -> Piece | None:
        self.used.add(key)
        rows = self._fetch("SELECT data, crc, size FROM pieces WHERE key = ?", [key])
        return Piece(*rows[0]) if rows else None

    def put(self, pieces: dict[str, Piece]) -> None:
        self.used.update(pieces)
        self._write(lambda db: db.executemany("INSERT OR REPLACE INTO pieces (key, data, crc, size) VALUES (?,?,?,?)",
                                              [(k, p.data, p.crc, p.size) for k, p in pieces.items()]))

    def figures(self, month: str, key: str) -> Month | None:
        """A month's 趋势 figures, if kept under ``key`` (what they are made of)."""
        rows = self._fetch("SELECT figures FROM months WHERE month = ? AND key = ?", [month, key])
        if not rows:
            return None
        figures = json.loads(rows[0][0])
        return Month(figures["month"], figures["status"], figures["unit_rate"], figures["level1_rate"])

    def keep_figures(self, key: str, figures: Month) -> None:
        self._write(lambda db: db.execute("INSERT OR REPLACE INTO months (month, key, figures) VALUES (?, ?, ?)",
                                          [figures.month, key, json.dumps(asdict(figures), ensure_ascii=False)]))

    def lengths(self, keys: list[str]) -> dict[str, tuple[int, int]]:
        """Submission key → the lengths of its longest 进度说明 and 上报材料, for those kept."""
        return {k: (d, m) for k, d, m in self._fetch(
            "SELECT key, description, materials FROM lengths WHERE key IN (SELECT value FROM json_each(?))",
            [json.dumps(keys)])}

    def keep_lengths(self, lengths: dict[str, tuple[int, int]]) -> None:
        self._write(lambda db: db.executemany("INSERT OR REPLACE INTO lengths (key, description, materials) VALUES (?,?,?)",
                                              [(k, d, m) for k, (d, m) in lengths.items()]))

    def keep(self) -> None:
        """The month's 汇总 is written: it uses these pieces; pieces no month uses any more are dropped."""
        def record(db: sqlite3.Connection) -> None:
            before = {k for (k,) in db.execute("SELECT key FROM month_pieces WHERE month = ?", [self.month])}
            dropped = before - self.used
            db.executemany("DELETE FROM month_pieces WHERE month = ? AND key = ?", [(self.month, k) for k in dropped])
            db.executemany("INSERT INTO month_pieces (month, key) VALUES (?, ?)", [(self.month, k) for k in self.used - before])
            db.executemany("DELETE FROM pieces WHERE key = ? AND NOT EXISTS (SELECT 1 FROM month_pieces m WHERE m.key = ?)",
                           [(k, k) for k in dropped])
        self._write(record)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _fetch(self, sql: str, params: list[object]) -> list[Any]:
        if self._db is None:
            return []
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            self._lost(exc)
            return []

    def _write(self, change) -> None:  # type: ignore[no-untyped-def]
        if self._db is None:
            return
        try:
            _in_transaction(self._db, change)
        except sqlite3.Error as exc:
            self._lost(exc)

    def _lost(self, exc: sqlite3.Error) -> None:
        """A cache that fails is not used for the rest of this write (the workbook is still right);
        one that is damaged is removed, to be built again by the next writes."""
        log.warning("汇总缓存不可用（%s），本次不使用缓存", exc)
        self.close()
        if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
            _remove(self.path)


def _open(path: Path) -> sqlite3.Connection | None:
    for attempt in range(2):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(str(path), timeout=_TIMEOUT, isolation_level=None)
            try:
                db.execute("PRAGMA synchronous = NORMAL")
                if db.execute("PRAGMA user_version").fetchone()[0] != _SCHEMA:
                    _create(db)
                return db
            except BaseException:
                db.close()
                raise
        except sqlite3.DatabaseError as exc:  # not a database (damaged, or something else under that name)
            if attempt or isinstance(exc, sqlite3.OperationalError):
                log.warning("汇总缓存无法打开（%s），本次不使用缓存", exc)
                return None
            _remove(path)
        except OSError as exc:
            log.warning("汇总缓存无法打开（%s），本次不使用缓存", exc)
            return None
    return None


def _create(db: sqlite3.Connection) -> None:
    """A cache of another schema (or none yet) is started again: it holds nothing that cannot be rebuilt."""
    db.execute("PRAGMA journal_mode = WAL")  # with synchronous NORMAL: a crash may lose the last writes, never mix them
    db.executescript(_TABLES)


_TABLES = f"""
    BEGIN IMMEDIATE;
    DROP TABLE IF EXISTS pieces;
    DROP TABLE IF EXISTS month_pieces;
    CREATE TABLE pieces (key TEXT PRIMARY KEY, data BLOB NOT NULL, crc INTEGER NOT NULL, size INTEGER NOT NULL);
    CREATE TABLE month_pieces (month TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (month, key));
    CREATE INDEX month_pieces_key ON month_pieces (key);
    DROP TABLE IF EXISTS months;
    CREATE TABLE months (month TEXT PRIMARY KEY, key TEXT NOT NULL, figures TEXT NOT NULL);
    DROP TABLE IF EXISTS lengths;
    CREATE TABLE lengths (key TEXT PRIMARY KEY, description INTEGER NOT NULL, materials INTEGER NOT NULL);
    PRAGMA user_version = {_SCHEMA};
    COMMIT;
"""


def _in_transaction(db: sqlite3.Connection, change) -> None:  # type: ignore[no-untyped-def]
    """``change(db)`` in one transaction (the connection commits each statement by itself otherwise)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        change(db)
    except BaseException:
        db.rollback()
        raise
    db.commit()


def _remove(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(OSError):
            leftover.unlink(missing_ok=True)


__all__ = ["CACHE_NAME", "SummaryCache"]

"""The central store: one SQLite file, readable by any SQLite tool (or Datasette) with no
xlbridge code. Tables and views are documented in the README ("The store").

Every submission is merged in ONE transaction (``db.atomic()``): the submission record, its
rows and its findings. A rejected submission adds its record and findings only; stored rows
and the current state are untouched.

The current state is a view, not a table kept up to date: each unit's latest accepted
submission holds a row for every indicator and year assigned to it (a ledger missing one is
rejected), so its rows are the state. Keeping a table instead cost half of every merge.

Row text is stored once (schema 5): most of a ledger's 进度说明 and 上报材料 are the same from
month to month (a unit sends back the ledger pre-filled with its last answers). ``texts`` holds
the text; ``ledger_rows`` refers to it, to the same text as the unit's previous submission where
a cell is unchanged; the view ``rows`` joins them back into the documented rows. A
carried-forward month stores and indexes a fifth of its text, not all of it again. (Looking
each text up by a hash across the whole store cost a merge twice its time: every insert into
the hash index lands on a random page, and each commit writes those pages again.)

The full-text index is over ``texts`` and brought up to date once per burst
(:func:`refresh_search`), not by triggers per row: trigram-indexing long Chinese text costs
~0.15 ms a text, six times the rest of a merge, and texts are only ever inserted, so indexing
the ones above a watermark is exact — and a text already stored is never indexed again.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import repeat
from pathlib import Path
from typing import Any

import sqlite_utils

from xlbridge.check.engine import RecordTable
from xlbridge.errors import StoreError, sqlite_reason
from xlbridge.findings import Finding
from xlbridge.system.model import IndicatorSystem, Unit

SCHEMA_VERSION = 6  # 2: search index refreshed per burst; 3: `current` is a view; 4: state by reporting month;
# 5: each distinct text stored (and indexed) once; 6: every version of a system kept (indicators by version)
# Which of a unit's accepted submissions counts: the latest reporting month, and within a month the
# one received last. Never the highest id: an old month re-sent must not replace a newer month.
LATEST_FIRST = "period DESC, received_at DESC, id DESC"
PAGE_SIZE = 16_384
_SEARCH_MARK = "search_indexed_through"  # meta key: texts.id up to which texts_fts is complete
_REVISION = "rows_revision"  # meta key: changes made to stored rows or texts after they were stored

_VIEWS = {  # in dependency order
    # Every ledger row of every accepted submission, its text joined back: what schema 4 stored whole.
    "rows": """
        SELECT r.id, r.submission_id, r.year, r.indicator_key, r.sheet_row, r.progress,
               d.text AS description, m.text AS materials, r.links, r.secret, r.person, r.phone
        FROM ledger_rows r
        LEFT JOIN texts d ON d.id = r.description_id
        LEFT JOIN texts m ON m.id = r.materials_id
    """,
    # Each unit's latest accepted submission per campaign: latest reporting month, then received last.
    # (Unqualified names in the ORDER BY are the inner query's own columns.)
    "latest_submissions": f"""
        SELECT s.* FROM submissions s
        WHERE s.status = 'accepted' AND s.id = (
            SELECT s2.id FROM submissions s2
            WHERE s2.status = 'accepted' AND s2.unit = s.unit AND s2.system_id = s.system_id
              AND s2.campaign = s.campaign
            ORDER BY {LATEST_FIRST} LIMIT 1)
    """,
    # For each unit and month of the campaign from its first report on: the submission that counts
    # as of that month (its latest reporting month ≤ the month; within a month, received last).
    "monthly_submissions": f"""
        WITH RECURSIVE months(m) AS (SELECT 1 UNION ALL SELECT m + 1 FROM months WHERE m < 12),
        unit_months AS (
            SELECT DISTINCT s.system_id, s.campaign, s.unit, printf('%04d-%02d', s.campaign, months.m) AS month
            FROM submissions s JOIN months
            WHERE s.status = 'accepted' AND s.period <= printf('%04d-%02d', s.campaign, months.m))
        SELECT um.system_id, um.campaign, um.unit, um.month,
               (SELECT s2.id FROM submissions s2
                WHERE s2.status = 'accepted' AND s2.system_id = um.system_id AND s2.campaign = um.campaign
                  AND s2.unit = um.unit AND s2.period <= um.month
                ORDER BY {LATEST_FIRST} LIMIT 1) AS submission_id
        FROM unit_months um
    """,
    # The state per unit, indicator, year and month: what the 汇总 of that month counts.
    "monthly_state": """
        SELECT ms.system_id, ms.campaign, ms.unit, ms.month, r.indicator_key, r.year, r.progress,
               r.id AS row_id, ms.submission_id, s.period AS reported_period
        FROM monthly_submissions ms
        JOIN submissions s ON s.id = ms.submission_id
        JOIN rows r ON r.submission_id = ms.submission_id
    """,
    # The current state: one row per unit, indicator and year, from that unit's latest accepted submission.
    "current": """
        SELECT s.system_id, s.campaign, s.unit, r.indicator_key, r.year, r.id AS row_id, s.id AS submission_id,
               s.processed_at AS updated_at
        FROM latest_submissions s
        JOIN rows r ON r.submission_id = s.id
    """,
    # The current rows with their indicator and submission.
    "current_rows": """
        SELECT s.system_id, s.campaign, s.unit, r.indicator_key, i.code, i.level1, i.level3, i.key_item, i.kind,
               r.year, r.progress, r.description, r.materials, r.links, r.secret, r.person, r.phone,
               s.id AS submission_id, s.period, s.received_at, s.file_name
        FROM latest_submissions s
        JOIN rows r ON r.submission_id = s.id
        JOIN indicators i ON i.system_id = s.system_id AND i.system_version = s.system_version
                          AND i.key = r.indicator_key
    """,
}


BUSY_TIMEOUT_SECONDS = 30  # how long a writer waits for another (a backup, a sqlite3 shell) to commit


class Store(sqlite_utils.Database):
    """sqlite-utils' Database whose transactions take the write lock when they begin.

    ``atomic()`` of sqlite-utils begins with a plain (deferred) BEGIN: the transaction reads, then
    asks for the write lock; if another connection wrote meanwhile, SQLite cannot wait (the read
    snapshot is stale) and fails at once with "database is locked", whatever the busy timeout.
    BEGIN IMMEDIATE waits for the lock up front, up to the busy timeout, so concurrent writers
    queue instead. Nested blocks stay savepoints, as in sqlite-utils."""

    @contextlib.contextmanager
    def atomic(self) -> Iterator[sqlite_utils.Database]:
        if self.conn.in_transaction:
            with super().atomic() as db:
                yield db
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.conn.rollback()
            raise
        else:
            try:
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.rollback()
                raise


def read_only(path: Path) -> sqlite3.Connection:
    """A connection that can only read the store (work in a worker process, beside the daemon's
    writes: WAL lets it read the last commit while the daemon writes the next)."""
    return sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_SECONDS)


def open_store(path: Path) -> sqlite_utils.Database:
    path.parent.mkdir(parents=True, exist_ok=True)
    # isolation_level: the transactions Python's sqlite3 opens by itself (sqlite-utils' writes
    # outside atomic()) take the write lock up front too.
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_SECONDS, isolation_level="IMMEDIATE")
        # A row carries 1–2 KB of Chinese text: 16 KB pages (a new store only; an existing one keeps
        # its size) hold several, and a merge writes a third fewer WAL frames than with 4 KB.
        conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
    except sqlite3.Error as exc:
        raise _unusable(path, exc) from None
    db = Store(conn)
    try:
        db.execute("PRAGMA foreign_keys = ON")
        if db.journal_mode != "wal":
            db.enable_wal()  # readers (consolidation, Datasette) never block the daemon
        # FULL: a merge is on disk when it commits, before the file leaves the inbox. NORMAL could
        # lose the last commits on a power cut, and the file would then be only in the archive.
        db.execute("PRAGMA synchronous = FULL")
        _ensure_schema(db)
    except BaseException as exc:
        db.close()
        if isinstance(exc, sqlite3.Error) and _is_unusable(exc):
            raise _unusable(path, exc) from None
        raise
    return db


def _is_unusable(exc: sqlite3.Error) -> bool:
    """A store file that cannot be opened at all (not one that is busy or on a full disk: those
    are told where they happen)."""
    text = str(exc).lower()
    return not isinstance(exc, sqlite3.OperationalError) or "unable to open" in text


def _unusable(path: Path, exc: sqlite3.Error) -> StoreError | sqlite3.Error:
    return StoreError(f"中心库「{path}」{sqlite_reason(exc)}") if _is_unusable(exc) else exc


def _ensure_schema(db: sqlite_utils.Database) -> None:
    if "submissions" not in db.table_names():
        _create_tables(db)
    _migrate(db)
    _count_revisions(db)
    if "texts_fts" not in db.table_names():
        db["texts"].enable_fts(["text"], tokenize="trigram")  # commits by itself: runs apart
    if _search_mark(db) is None:  # a new index, or one whose mark a crash lost: (re)build it whole
        with db.atomic():
            db.execute("INSERT INTO texts_fts (texts_fts) VALUES ('rebuild')")
            db["meta"].upsert({"key": _SEARCH_MARK, "value": str(_max_text_id(db))}, pk="key")


def _create_tables(db: sqlite_utils.Database) -> None:
    with db.atomic():
        _create_system_tables(db)
        db["submissions"].create(
            {"id": int, "sha256": str, "file_name": str, "archive_path": str, "size": int, "received_at": str,
             "processed_at": str, "unit": str, "claimed_unit": str, "system_id": str, "system_version": str,
             "campaign": int, "period": str, "template_version": str, "signature": str, "status": str,
             "reason": str, "errors": int, "warnings": int, "rows": int, "filled_by": str, "filled_on": str},
            pk="id", not_null={"sha256", "file_name", "received_at", "status"},
        )
        _create_text_tables(db)
        db["findings"].create(
            {"id": int, "submission_id": int, "rule": str, "severity": str, "sheet": str, "row": int, "col": int,
             "cell": str, "field": str, "message": str, "hint": str},
            pk="id", foreign_keys=[("submission_id", "submissions", "id")],
        )
        db["meta"].create({"key": str, "value": str}, pk="key")
        db["meta"].insert({"key": "schema_version", "value": str(SCHEMA_VERSION)})
        _index_accepted_bytes(db)
        db["submissions"].create_index(["system_id", "campaign", "unit", "status"])
        db["findings"].create_index(["submission_id"])
        _create_views(db)


# Every version of a system side by side (schema 6): a row keeps the text of the version it was
# reported against. Plain SQL for the two-column keys the child tables refer to.
_SYSTEM_TABLES = {
    "systems": """(id TEXT, version TEXT, title TEXT, issuer TEXT, loaded_at TEXT, PRIMARY KEY (id, version))""",
    "units": """(system_id TEXT, system_version TEXT, name TEXT, is_group INTEGER,
        PRIMARY KEY (system_id, system_version, name),
        FOREIGN KEY (system_id, system_version) REFERENCES systems (id, version))""",
    "indicators": """(system_id TEXT, system_version TEXT, key TEXT, position INTEGER, code TEXT, level1 TEXT,
        level2 TEXT, level3 TEXT, points TEXT, methods TEXT, materials TEXT, lead TEXT, cooperating TEXT, kind TEXT,
        key_item INTEGER, PRIMARY KEY (system_id, system_version, key),
        FOREIGN KEY (system_id, system_version) REFERENCES systems (id, version))""",
    "assignments": """(system_id TEXT, system_version TEXT, unit TEXT, indicator_key TEXT, role TEXT,
        PRIMARY KEY (system_id, system_version, unit, indicator_key),
        FOREIGN KEY (system_id, system_version) REFERENCES systems (id, version))""",
}


def _create_system_tables(db: sqlite_utils.Database, suffix: str = "") -> None:
    for name, columns in _SYSTEM_TABLES.items():
        db.execute(f"CREATE TABLE [{name}{suffix}] {columns.replace('REFERENCES systems', f'REFERENCES [systems{suffix}]')}")
    if not suffix:
        db.execute("CREATE INDEX idx_assignments_version_key ON assignments (system_id, system_version, indicator_key)")


def _version_system_tables(db: sqlite_utils.Database) -> None:
    """Schema 5 → 6: systems, units, indicators and assignments gain the version (the one stored)."""
    _create_system_tables(db, "_v6")
    db.execute("INSERT INTO systems_v6 SELECT id, version, title, issuer, loaded_at FROM systems")
    db.execute("INSERT INTO units_v6 SELECT u.system_id, s.version, u.name, u.is_group FROM units u"
               " JOIN systems s ON s.id = u.system_id")
    db.execute("INSERT INTO indicators_v6 SELECT i.system_id, s.version, i.key, i.position, i.code, i.level1, i.level2,"
               " i.level3, i.points, i.methods, i.materials, i.lead, i.cooperating, i.kind, i.key_item"
               " FROM indicators i JOIN systems s ON s.id = i.system_id")
    db.execute("INSERT INTO assignments_v6 SELECT a.system_id, s.version, a.unit, a.indicator_key, a.role"
               " FROM assignments a JOIN systems s ON s.id = a.system_id")
    for name in ("assignments", "indicators", "units", "systems"):  # children before the parent
        db.execute(f"DROP TABLE [{name}]")
    for name in _SYSTEM_TABLES:  # the children's references follow the renamed parent
        db.execute(f"ALTER TABLE [{name}_v6] RENAME TO [{name}]")
    db.execute("CREATE INDEX idx_assignments_version_key ON assignments (system_id, system_version, indicator_key)")


def _create_text_tables(db: sqlite_utils.Database) -> None:
    db["texts"].create({"id": int, "text": str}, pk="id", not_null={"text"})
    db["ledger_rows"].create(
        {"id": int, "submission_id": int, "year": int, "indicator_key": str, "sheet_row": int, "progress": str,
         "description_id": int, "materials_id": int, "links": str, "secret": int, "person": str, "phone": str},
        pk="id", foreign_keys=[("submission_id", "submissions", "id"), ("description_id", "texts", "id"),
                               ("materials_id", "texts", "id")],
    )
    db["ledger_rows"].create_index(["submission_id"])


def _text_ids(db: sqlite_utils.Database, values: Iterable[str | None], known: dict[str, int]) -> dict[str, int]:
    """Each distinct text's id in ``texts``: from ``known`` (text → id), the others inserted
    (inside the caller's transaction, which holds the store's one write lock: the new ids are
    taken above the highest, in order, so the table and its index only ever grow at the end)."""
    ids: dict[str, int] = {}
    new: list[str] = []
    for value in values:
        if value is None or value in ids:
            continue
        text_id = known.get(value)
        if text_id is None:
            new.append(value)
            ids[value] = 0
        else:
            ids[value] = text_id
    if new:
        first = db.conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM texts").fetchone()[0]
        db.conn.executemany("INSERT INTO texts (id, text) VALUES (?, ?)", [(first + n, v) for n, v in enumerate(new)])
        ids.update({v: first + n for n, v in enumerate(new)})
    return ids


def _previous_texts(db: sqlite_utils.Database, submission: dict[str, Any], sub_id: int) -> dict[str, int]:
    """The texts of the unit's previous accepted submission, text → id: what a pre-filled ledger
    carries over, so what a new month sends again unchanged."""
    previous = previous_accepted(db, submission["system_id"], submission["campaign"], submission["unit"], sub_id)
    if previous is None:
        return {}
    known: dict[str, int] = {}
    for text_id, text in db.conn.execute(
            "SELECT id, text FROM texts WHERE id IN (SELECT description_id FROM ledger_rows WHERE submission_id = ?"
            " UNION SELECT materials_id FROM ledger_rows WHERE submission_id = ?)", [previous, previous]):
        known[text] = text_id
    return known


def _index_accepted_bytes(db: sqlite_utils.Database) -> None:
    # Unique among accepted submissions only: the same bytes are never merged twice, while a
    # rejected file may come again (renamed, or after the configuration was fixed).
    db.execute("CREATE INDEX IF NOT EXISTS idx_submissions_sha256 ON submissions (sha256)")
    db.execute("CREATE UNIQUE INDEX IF NOT EXISTS idx_submissions_accepted_sha256 ON submissions (sha256)"
               " WHERE status = 'accepted'")


def _create_views(db: sqlite_utils.Database) -> None:
    for name, sql in _VIEWS.items():
        db.create_view(name, sql, replace=True)


def _migrate(db: sqlite_utils.Database) -> None:
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    version = int(row[0]) if row else SCHEMA_VERSION
    if version > SCHEMA_VERSION:  # written by a newer xlbridge: its tables may mean other things
        raise StoreError(f"中心库（架构版本 {version}）由更新版本的 xlbridge 创建，本程序只支持到版本 {SCHEMA_VERSION}，"
                         "请升级 xlbridge 后再使用；中心库未作任何改动")
    if version == SCHEMA_VERSION:
        return
    with db.atomic():
        if version < 2:  # version 1 indexed every row by triggers (schema 5 indexes texts anew)
            for trigger in ("rows_ai", "rows_ad", "rows_au"):
                db.execute(f"DROP TRIGGER IF EXISTS [{trigger}]")
        if version < 3 and "current" in db.table_names():  # the current-state table becomes the view over the same rows
            db.execute("DROP VIEW IF EXISTS current_rows")
            db.execute("DROP TABLE current")
        if version < 4:  # a rejected file may be sent again: only accepted bytes are unique
            db.execute("DROP INDEX IF EXISTS idx_submissions_sha256")
            _index_accepted_bytes(db)
        views = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'view'")}
        for name in reversed(_VIEWS):  # views read views: dropped from the top, created from the bottom
            if name in views:  # (before schema 5, `rows` is a table)
                db.execute(f"DROP VIEW [{name}]")
        if version < 5:  # each distinct text once: the rows table becomes ledger_rows + texts + the view
            _store_texts_once(db)
        if version < 6:  # every version of a system beside the others
            _version_system_tables(db)
        _create_views(db)
        db["meta"].upsert({"key": "schema_version", "value": str(SCHEMA_VERSION)}, pk="key")


def _store_texts_once(db: sqlite_utils.Database) -> None:
    """Schema 4 → 5: the rows keep their ids and values; their text moves to ``texts``, once each.
    The old index goes; the new one is built whole when the store opens (the mark is gone)."""
    db.execute("DROP TABLE IF EXISTS rows_fts")
    db.execute("DELETE FROM meta WHERE key = ?", [_SEARCH_MARK])
    _create_text_tables(db)
    old = db.conn.execute("SELECT id, submission_id, year, indicator_key, sheet_row, progress, description, materials,"
                          " links, secret, person, phone FROM rows ORDER BY id")
    known: dict[str, int] = {}  # every distinct text once (the store's whole history: its one migration)
    while batch := old.fetchmany(5_000):
        ids = _text_ids(db, [v for r in batch for v in (r[6], r[7])], known)
        known.update(ids)
        db.conn.executemany(
            "INSERT INTO ledger_rows (id, submission_id, year, indicator_key, sheet_row, progress, description_id,"
            " materials_id, links, secret, person, phone) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            [(*r[:6], ids.get(r[6]), ids.get(r[7]), *r[8:]) for r in batch])
    db.execute("DROP TABLE rows")


def refresh_search(db: sqlite_utils.Database, limit: int | None = None) -> int:
    """Index the texts stored since the last refresh (at most ``limit`` of them), in one
    transaction; the number indexed. A text already stored is never indexed again: a
    carried-forward month indexes only what the clerks changed. A first month is up to ~60,000
    texts, ~10 s: the daemon takes it in parts, so that a stop or another writer never waits
    for all of it."""
    with db.atomic():
        done = _search_mark(db) or 0
        last = _max_text_id(db) if limit is None else min(_max_text_id(db), done + limit)
        if last > done:
            db.execute("INSERT INTO texts_fts (rowid, text) SELECT id, text FROM texts WHERE id > ? AND id <= ?",
                       [done, last])
            db.execute("UPDATE meta SET value = ? WHERE key = ?", [str(last), _SEARCH_MARK])
    return last - done


def _count_revisions(db: sqlite_utils.Database) -> None:
    """Stored rows and texts are only ever inserted; a change made to them anyway (by hand, with
    a SQL tool) counts in ``meta.rows_revision``, so that what was built from them (the 汇总 cache)
    is built again. Triggers: they count whoever writes."""
    for table in ("ledger_rows", "texts"):
        for change in ("UPDATE", "DELETE"):
            db.execute(f"""CREATE TRIGGER IF NOT EXISTS [{table}_{change.lower()}_counted] AFTER {change} ON [{table}]
                BEGIN INSERT INTO meta (key, value) VALUES ('{_REVISION}', '1')
                      ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1; END""")


def rows_revision(db: sqlite_utils.Database) -> int:
    """How many times stored rows or texts were changed or deleted (0: never, as xlbridge keeps them)."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", [_REVISION]).fetchone()
    return int(row[0]) if row else 0


def search_behind(db: sqlite_utils.Database) -> bool:
    """Whether texts are stored that the search index does not hold yet."""
    return _max_text_id(db) > (_search_mark(db) or 0)


def _search_mark(db: sqlite_utils.Database) -> int | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", [_SEARCH_MARK]).fetchone()
    return int(row[0]) if row else None


def _max_text_id(db: sqlite_utils.Database) -> int:
    return int(db.execute("SELECT COALESCE(MAX(id), 0) FROM texts").fetchone()[0])


def system_stored(db: sqlite_utils.Database, system_id: str, version: str | None) -> bool:
    return db.execute("SELECT 1 FROM systems WHERE id = ? AND version = ?", [system_id, version]).fetchone() is not None


def register_system(db: sqlite_utils.Database, system: IndicatorSystem) -> None:
    """Store a version of an indicator system beside the versions stored before (idempotent per
    version). A unit the new version renames (its old name kept as an alias) takes its history
    along: the earlier submissions are filed under the new name, the rename recorded in meta."""
    if system_stored(db, system.id, system.version):
        _store_supplied_members(db, system)
        return
    sv = (system.id, system.version)
    with db.atomic():
        db.execute("INSERT INTO systems (id, version, title, issuer, loaded_at) VALUES (?,?,?,?,?)",
                   [*sv, system.title, system.issuer, _now()])
        # executemany: a large system has ~10,000 assignments, and this runs inside the first
        # merge of a new system version, where the workers wait for it.
        _store_units(db, system, system.units)
        db.conn.executemany(
            "INSERT INTO indicators (system_id, system_version, key, position, code, level1, level2, level3, points,"
            " methods, materials, lead, cooperating, kind, key_item) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [(*sv, i.key, n, i.code, i.level1, i.level2, i.level3, i.points, "、".join(i.methods),
              "\n".join(i.materials), "、".join(i.lead), "、".join(i.cooperating), i.kind.value, int(i.key_item))
             for n, i in enumerate(system.indicators)],
        )
        _file_under_new_names(db, system)


def _store_units(db: sqlite_utils.Database, system: IndicatorSystem, units: list[Unit]) -> None:
    sv = (system.id, system.version)
    db.conn.executemany("INSERT INTO units (system_id, system_version, name, is_group) VALUES (?,?,?,?)",
                        [(*sv, u.name, int(u.group)) for u in units])
    db.conn.executemany(
        "INSERT INTO assignments (system_id, system_version, unit, indicator_key, role) VALUES (?,?,?,?,?)",
        [(*sv, u.name, i.key, system.role(i, u.name)) for u in units if not u.group for i in system.assigned(u.name)],
    )


def _store_supplied_members(db: sqlite_utils.Database, system: IndicatorSystem) -> None:
    """Members a workspace's settings added after this version was stored (a town listed later)
    join its units and assignments; one listed no more keeps what is stored (its history)."""
    supplied = [u for u in system.units if system.supplied_groups(u.name)]
    if not supplied:
        return
    stored = {r[0] for r in db.execute("SELECT name FROM units WHERE system_id = ? AND system_version = ?",
                                       [system.id, system.version])}
    if missing := [u for u in supplied if u.name not in stored]:
        with db.atomic():
            _store_units(db, system, missing)


def _file_under_new_names(db: sqlite_utils.Database, system: IndicatorSystem) -> None:
    """A unit renamed in this version keeps its submissions, on-time record and answers, and whatever
    else the store files under a unit of this system (the supervision group's inspections, scores
    and rectification items: every table with ``system_id`` and ``unit``). The name it was sent
    under stays in ``claimed_unit``; the assignments of earlier versions keep the names of theirs."""
    earlier = {r[0] for r in db.execute("SELECT DISTINCT name FROM units WHERE system_id = ? AND system_version != ?",
                                        [system.id, system.version])}
    filed = [t for t in db.table_names() if t != "assignments" and {"system_id", "unit"} <= set(db[t].columns_dict)]
    for unit in system.units:
        for old in (a for a in unit.aliases if a in earlier and a != unit.name):
            for table in filed:
                db.execute(f"UPDATE [{table}] SET unit = ? WHERE system_id = ? AND unit = ?", [unit.name, system.id, old])
            db["meta"].upsert({"key": f"renamed/{system.id}/{system.version}/{old}", "value": unit.name}, pk="key")


def submission(db: sqlite_utils.Database, submission_id: int) -> dict[str, Any]:
    return dict(db["submissions"].get(submission_id))


def known_hash(db: sqlite_utils.Database, sha256: str, status: str = "accepted") -> dict[str, Any] | None:
    """The first submission of these bytes with this status (only accepted bytes are duplicates)."""
    rows = list(db["submissions"].rows_where("sha256 = ? AND status = ?", [sha256, status], order_by="id", limit=1))
    return rows[0] if rows else None


def counting_submission(db: sqlite_utils.Database, system_id: str, campaign: int, unit: str, period: str,
                        exclude: int | None = None) -> dict[str, Any] | None:
    """The unit's accepted submission that counts as of ``period`` (optionally leaving one out)."""
    rows = list(db["submissions"].rows_where(
        "status = 'accepted' AND system_id = ? AND campaign = ? AND unit = ? AND period <= ? AND id != ?",
        [system_id, campaign, unit, period, exclude or 0], order_by=LATEST_FIRST, limit=1))
    return rows[0] if rows else None


def later_period(db: sqlite_utils.Database, system_id: str, campaign: int, unit: str, period: str) -> str | None:
    """The unit's latest accepted reporting month after ``period``, if any."""
    row = db.execute("SELECT MAX(period) FROM submissions WHERE status = 'accepted' AND system_id = ? AND campaign = ?"
                     " AND unit = ? AND period > ?", [system_id, campaign, unit, period]).fetchone()
    return row[0] if row else None


def merge_submission(
    db: sqlite_utils.Database,
    submission: dict[str, Any],
    table: RecordTable | None,
    findings: Iterable[Finding],
) -> int:
    """Insert one submission with its findings, and its rows (``table``) if accepted."""
    accepted = submission["status"] == "accepted"
    try:
        with db.atomic():
            sub_id = db["submissions"].insert(submission).last_pk
            db.conn.executemany(
                "INSERT INTO findings (submission_id, rule, severity, sheet, row, col, cell, field, message, hint)"
                " VALUES (?,?,?,?,?,?,?,?,?,?)",
                [(sub_id, f.rule, f.severity.value, f.sheet, f.row, f.column, f.cell, f.field, f.message, f.hint)
                 for f in findings],
            )
            if accepted and table is not None:
                _insert_rows(db, sub_id, table, submission)
    except sqlite3.Error as exc:  # a constraint, a value SQLite cannot store, "database is locked"…
        raise StoreError(f"写入中心库失败（{sqlite_reason(exc)}），已回滚，原有数据未改变") from None
    return int(sub_id)


def _insert_rows(db: sqlite_utils.Database, sub_id: int, t: RecordTable, submission: dict[str, Any]) -> None:
    ids = _text_ids(db, [*t.description, *t.materials], _previous_texts(db, submission, sub_id))
    db.conn.executemany(
        "INSERT INTO ledger_rows (submission_id, year, indicator_key, sheet_row, progress, description_id, materials_id,"
        " links, secret, person, phone) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        zip(repeat(sub_id), t.year, t.code, t.row, t.progress, map(ids.get, t.description), map(ids.get, t.materials),
            t.links, map(int, t.secret), t.person, t.phone),
    )


def previous_accepted(db: sqlite_utils.Database, system_id: str, campaign: int, unit: str, before_id: int) -> int | None:
    row = db.execute(
        "SELECT MAX(id) FROM submissions WHERE status = 'accepted' AND system_id = ? AND campaign = ? AND unit = ? AND id < ?",
        [system_id, campaign, unit, before_id],
    ).fetchone()
    return row[0] if row and row[0] is not None else None


TEXT_FIELDS = ("description", "materials")  # the fields whose values are ids of texts in submission_values


def submission_values(db: sqlite_utils.Database, submission_id: int) -> dict[tuple[int, str], dict[str, Any]]:
    """A submission's rows as stored, (year, indicator key) → fields, ``description`` and
    ``materials`` as ids in ``texts`` (equal ids, equal text): to compare two submissions
    without reading their texts."""
    cursor = db.conn.execute("SELECT year, indicator_key, sheet_row, progress, description_id, materials_id, links,"
                             " secret, person, phone FROM ledger_rows WHERE submission_id = ?", [submission_id])
    names = ("year", "indicator_key", "sheet_row", "progress", *TEXT_FIELDS, "links", "secret", "person", "phone")
    return {(r[0], r[1]): dict(zip(names, r)) for r in cursor}


def texts_by_id(db: sqlite_utils.Database, ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    out: dict[int, str] = {}
    for start in range(0, len(wanted), 500):  # well under SQLite's parameter limit
        part = wanted[start:start + 500]
        out.update(db.conn.execute(f"SELECT id, text FROM texts WHERE id IN ({','.join('?' * len(part))})", part))
    return out


def submission_rows(db: sqlite_utils.Database, submission_id: int) -> dict[tuple[int, str], dict[str, Any]]:
    return {(r["year"], r["indicator_key"]): r for r in db["rows"].rows_where("submission_id = ?", [submission_id])}


def backup(db: sqlite_utils.Database, target: Path) -> Path:
    """SQLite's online backup: a consistent copy while the daemon keeps writing."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.open("wb").close()  # a folder we may not write to fails here, with its path (SQLite's error names none)
    dest = sqlite3.connect(str(tmp))
    try:
        db.conn.backup(dest)
    finally:
        dest.close()
    tmp.replace(target)
    return target


def _now() -> str:
    return datetime.now().isoformat(timespec="seconds")

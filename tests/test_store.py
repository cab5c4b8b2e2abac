"""The central store (store.db): the documented tables and views, foreign keys, indexes for the
consolidation queries, trigram full-text search over Chinese text, export and online backup
through the CLI, one transaction per submission — and all of it readable by ordinary SQLite
tools with no xlbridge code."""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from ledger_fixtures import KEY, UNIT, cell, data_row, edited, filled_ledger, set_cells, system, validate
from ws_fixtures import (  # noqa: F401  (clean_environment is an autouse fixture)
    LATE,
    ON_TIME,
    clean_environment,
    connect,
    count,
    drop,
    dumps,
    is_chinese,
    make_workspace,
    run,
    submissions,
)

from xlbridge.errors import StoreError
from xlbridge.service import store
from xlbridge.service.consolidate import _SNAPSHOT_CTE
from xlbridge.service.export import EXPORTED, HEADERS
from xlbridge.service.ingest import ingest_file
from xlbridge.service.workspace import Workspace

ROW = data_row(2016, "9")
REVIEW = "本月办结行政复议案件12件，全部在法定期限内作出决定。"  # a description to search for
TABLES = {"systems", "units", "indicators", "assignments", "submissions", "ledger_rows", "texts", "findings", "meta",
          "texts_fts"}
VIEWS = ("rows", "latest_submissions", "monthly_submissions", "monthly_state", "current", "current_rows")
# Rows whose 进度说明 or 上报材料 contain a phrase: the index is over each distinct text once.
SEARCH = ("SELECT r.submission_id, r.year, r.indicator_key, r.description FROM rows r JOIN ledger_rows l ON l.id = r.id"
          " WHERE l.description_id IN (SELECT rowid FROM texts_fts WHERE texts_fts MATCH ?)"
          " OR l.materials_id IN (SELECT rowid FROM texts_fts WHERE texts_fts MATCH ?) ORDER BY r.id")
QUERIES = {
    "counts": "SELECT (SELECT COUNT(*) FROM submissions), (SELECT COUNT(*) FROM rows), (SELECT COUNT(*) FROM findings),"
              " (SELECT COUNT(*) FROM current), (SELECT COUNT(*) FROM indicators), (SELECT COUNT(*) FROM assignments)",
    "fts": SEARCH.replace("?", "'行政复议'"),
    "current_rows": "SELECT unit, year, code, progress, description, submission_id, period FROM current_rows"
                    " ORDER BY unit, year, indicator_key",
    "latest": "SELECT id, unit, period, status FROM latest_submissions ORDER BY id",
}


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """Two accepted submissions of one unit (May, then a June correction) and one rejected file."""
    tmp = tmp_path_factory.mktemp("store")
    with pytest.MonkeyPatch.context() as mp:
        for name in [n for n in os.environ if n.startswith("XLBRIDGE_")]:
            mp.delenv(name)
        ws = make_workspace(tmp / "ws")
        may = filled_ledger(tmp, name="may.xlsx")
        june = edited(may, tmp / "june.xlsx", set_cells({"B3": "2021-06", cell("description", ROW): REVIEW}))
        junk = tmp / "junk.xlsx"
        junk.write_bytes(b"not a workbook")
        db = store.open_store(ws.store)
        for src, name, when in ((may, f"{UNIT}_2021-05.xlsx", datetime(2021, 5, 28)),
                                (june, f"{UNIT}_2021-06.xlsx", LATE), (junk, "junk.xlsx", LATE)):
            ingest_file(ws, db, drop(ws, src, name, when), KEY, received_at=when)
        store.refresh_search(db)  # as the daemon and `xlbridge ingest` do after a burst
        db.close()
        yield ws


# =========================================================================== schema
def test_documented_tables_views_foreign_keys_and_indexes(populated: Workspace) -> None:
    with connect(populated.store) as conn:
        objects = {(t, n) for t, n in conn.execute("SELECT type, name FROM sqlite_master")}
        assert TABLES <= {n for t, n in objects if t == "table"}
        assert set(VIEWS) <= {n for t, n in objects if t == "view"}
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA page_size").fetchone()[0] == store.PAGE_SIZE

        def fks(table: str) -> set[tuple[str, str, str]]:
            return {(r[3], r[2], r[4]) for r in conn.execute(f"PRAGMA foreign_key_list([{table}])")}

        assert fks("ledger_rows") == {("submission_id", "submissions", "id"), ("description_id", "texts", "id"),
                                      ("materials_id", "texts", "id")}
        assert fks("findings") == {("submission_id", "submissions", "id")}
        for table in ("units", "indicators", "assignments"):
            assert ("system_id", "systems", "id") in fks(table)
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

        def indexes(table: str) -> dict[tuple[str, ...], bool]:
            out = {}
            for _, name, unique, *_ in conn.execute(f"PRAGMA index_list([{table}])"):
                out[tuple(r[2] for r in conn.execute(f"PRAGMA index_info([{name}])"))] = bool(unique)
            return out

        # The same accepted bytes are never merged twice; a rejected file may come again.
        partial = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'idx_submissions_accepted_sha256'").fetchone()[0]
        assert "UNIQUE" in partial and "WHERE status = 'accepted'" in partial
        assert ("system_id", "campaign", "unit", "status") in indexes("submissions")
        assert ("submission_id",) in indexes("ledger_rows") and ("submission_id",) in indexes("findings")

        # The consolidation's snapshot query is served by those indexes, not by table scans.
        plan = " | ".join(r[3] for r in conn.execute(
            "EXPLAIN QUERY PLAN " + _SNAPSHOT_CTE + "SELECT s.unit, r.indicator_key, r.progress FROM snap s"
            " JOIN rows r ON r.submission_id = s.sid", {"system": "puyang-2020", "campaign": 2021, "period": "2021-06"}))
        assert "USING INDEX idx_submissions_system_id_campaign_unit_status" in plan
        assert "USING INDEX idx_ledger_rows_submission_id" in plan
        assert "SCAN submissions" not in plan and "SCAN r " not in plan and not plan.endswith("SCAN r")
        # So is the current state, a view over each unit's latest accepted submission.
        plan = " | ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN SELECT * FROM current_rows"))
        assert "USING INDEX idx_ledger_rows_submission_id" in plan and "SCAN r" not in plan


def test_the_indicator_system_is_stored_with_assignments(populated: Workspace) -> None:
    sys_ = system()
    with connect(populated.store) as conn:
        assert conn.execute("SELECT id, version, title FROM systems").fetchall() == [(sys_.id, sys_.version, sys_.title)]
        assert conn.execute("SELECT COUNT(*) FROM indicators").fetchone()[0] == len(sys_.indicators)
        stored = set(conn.execute("SELECT unit, indicator_key, role FROM assignments WHERE system_id = ?", [sys_.id]))
    expected = {(u.name, i.key, i.role_of(u.name)) for u in sys_.reporting_units for i in sys_.assigned(u.name)}
    assert stored == expected


# =========================================================================== search
def test_full_text_search_finds_chinese_text(populated: Workspace) -> None:
    with connect(populated.store) as conn:
        hits = conn.execute(SEARCH, ["行政复议", "行政复议"]).fetchall()
        june = conn.execute("SELECT id FROM submissions WHERE period = '2021-06'").fetchone()[0]
        assert hits == [(june, 2016, "9", REVIEW)]
        # Any three or more characters, anywhere in a description or the materials: same as LIKE.
        for term in ("专题会议", "法定期限内", "行业协会商会", "2018年"):
            fts = {r[0] for r in conn.execute(SEARCH.replace("r.submission_id, r.year, r.indicator_key, r.description",
                                                             "r.id"), [f'"{term}"', f'"{term}"'])}
            like = {r[0] for r in conn.execute("SELECT id FROM rows WHERE description LIKE ? OR materials LIKE ?",
                                               [f"%{term}%", f"%{term}%"])}
            assert fts == like and fts, term
        # Every distinct text is stored once: May's text that June kept is not stored again.
        distinct = conn.execute("SELECT COUNT(*) FROM (SELECT description FROM rows WHERE description IS NOT NULL"
                                " UNION SELECT materials FROM rows WHERE materials IS NOT NULL)").fetchone()[0]
        assert conn.execute("SELECT COUNT(*) FROM texts").fetchone()[0] == distinct
        assert conn.execute("SELECT COUNT(*) FROM texts_fts_docsize").fetchone()[0] == distinct
    db = store.open_store(populated.store)
    try:  # sqlite-utils' own search over the same index
        assert [r["text"] for r in db["texts"].search("行政复议")] == [REVIEW]
    finally:
        db.close()


def test_a_commit_is_on_disk_before_the_file_leaves_the_inbox(tmp_path: Path) -> None:
    """WAL with synchronous=FULL: every merge is fsynced when it commits (NORMAL could lose the
    last ones on a power cut, after their files were removed from the inbox)."""
    db = store.open_store(tmp_path / "store.db")
    try:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
    finally:
        db.close()


def test_search_index_refresh_takes_each_new_text_once(one_accepted: tuple[Workspace, Path]) -> None:
    ws, june = one_accepted
    db = store.open_store(ws.store)
    try:
        may_texts = _texts(db)
        assert store.refresh_search(db) == may_texts > 0  # May's texts, not yet indexed by the bare ingest_file
        assert store.refresh_search(db) == 0
        assert ingest_file(ws, db, drop(ws, june, f"{UNIT}_2021-06.xlsx"), KEY, received_at=LATE).status == "accepted"
        # June changed one 进度说明: 30 more rows, one more text, and only that one is indexed.
        assert db.execute("SELECT COUNT(*) FROM rows").fetchone()[0] == 60
        assert _texts(db) == may_texts + 1
        assert store.refresh_search(db) == 1
        db.execute("INSERT INTO texts_fts (texts_fts) VALUES ('integrity-check')")  # raises if index and texts differ
    finally:
        db.close()
    with connect(ws.store) as conn:
        assert conn.execute("SELECT COUNT(*) FROM texts_fts_docsize").fetchone()[0] == may_texts + 1  # one per text
        hits = {r[0] for r in conn.execute(SEARCH.replace("r.submission_id, r.year, r.indicator_key, r.description",
                                                          "r.id"), ["行政复议", "行政复议"])}
        assert hits == {r[0] for r in conn.execute("SELECT id FROM rows WHERE description LIKE '%行政复议%'")} and hits
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def _texts(db: Any) -> int:
    return int(db.execute("SELECT COUNT(*) FROM texts").fetchone()[0])


def as_schema_4(db: Any) -> None:
    """The store as xlbridge 4 laid it out: a rows table holding every row's text, rows_fts over it
    (complete), the views over that table. Older layouts are made from this one."""
    db.execute("CREATE TABLE rows_v4 (id INTEGER PRIMARY KEY, submission_id INTEGER REFERENCES submissions(id),"
               " year INTEGER, indicator_key TEXT, sheet_row INTEGER, progress TEXT, description TEXT, materials TEXT,"
               " links TEXT, secret INTEGER, person TEXT, phone TEXT)")
    db.execute("INSERT INTO rows_v4 SELECT * FROM rows")
    for name in reversed(store._VIEWS):
        db.execute(f"DROP VIEW [{name}]")
    db.execute("DROP TABLE texts_fts")
    db.execute("DROP TABLE ledger_rows")
    db.execute("DROP TABLE texts")
    db.execute("ALTER TABLE rows_v4 RENAME TO rows")
    db.execute("CREATE INDEX idx_rows_submission_id ON rows (submission_id)")
    for name, sql in store._VIEWS.items():
        if name != "rows":
            db.execute(f"CREATE VIEW [{name}] AS {sql}")
    db["rows"].enable_fts(["description", "materials"], tokenize="trigram")
    db.execute("INSERT INTO rows_fts (rows_fts) VALUES ('rebuild')")
    db.execute("UPDATE meta SET value = (SELECT MAX(id) FROM rows) WHERE key = 'search_indexed_through'")
    db.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    db.conn.commit()


def test_a_version_4_store_is_migrated_to_texts_stored_once(one_accepted: tuple[Workspace, Path], tmp_path: Path) -> None:
    """Schema 4 kept each row's text in the row: on open the text moves to texts, once each; every
    row, view and export stays as it was, the index is rebuilt over the texts, merges go on."""
    ws, june = one_accepted
    db = store.open_store(ws.store)
    try:
        assert ingest_file(ws, db, drop(ws, june, f"{UNIT}_2021-06.xlsx"), KEY, received_at=LATE).status == "accepted"
        views = ("rows", "current", "current_rows", "latest_submissions", "monthly_submissions", "monthly_state")
        before = {v: db.execute(f"SELECT * FROM [{v}] ORDER BY 1, 2, 3, 4").fetchall() for v in views}
        as_schema_4(db)
        assert db.execute("SELECT type FROM sqlite_master WHERE name = 'rows'").fetchone() == ("table",)
    finally:
        db.close()
    db = store.open_store(ws.store)
    try:
        assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(store.SCHEMA_VERSION),)
        assert db.execute("SELECT type FROM sqlite_master WHERE name = 'rows'").fetchone() == ("view",)
        assert {v: db.execute(f"SELECT * FROM [{v}] ORDER BY 1, 2, 3, 4").fetchall() for v in views} == before
        distinct = {v for r in before["rows"] for v in (r[6], r[7]) if v is not None}
        assert _texts(db) == len(distinct) < 2 * len(before["rows"])
        assert "rows_fts" not in db.table_names() and store.refresh_search(db) == 0  # rebuilt whole on open
        db.execute("INSERT INTO texts_fts (texts_fts) VALUES ('integrity-check')")
        assert db.execute("SELECT COUNT(*) FROM texts_fts WHERE texts_fts MATCH '行政复议'").fetchone() == (1,)
        assert db.execute("PRAGMA foreign_key_check").fetchall() == [] and db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        db.close()
    result = run("store", "export", "-w", ws.root, "--format", "csv", "--out", tmp_path / "export", "--raw")
    assert result.exit_code == 0, result.output
    with open(tmp_path / "export" / "rows.csv", encoding="utf-8-sig", newline="") as fh:
        header, *exported = list(csv.reader(fh))
    assert header == ["id", "submission_id", "year", "indicator_key", "sheet_row", "progress", "description", "materials",
                      "links", "secret", "person", "phone"]
    assert len(exported) == len(before["rows"]) == 60


def test_search_index_refresh_in_parts_takes_each_text_once(one_accepted: tuple[Workspace, Path]) -> None:
    """The daemon indexes a burst in parts (a stop waits for one part only): parts add up to the whole."""
    ws, june = one_accepted
    db = store.open_store(ws.store)
    try:
        assert ingest_file(ws, db, drop(ws, june, f"{UNIT}_2021-06.xlsx"), KEY, received_at=LATE).status == "accepted"
        total = _texts(db)
        parts = []
        while n := store.refresh_search(db, limit=10):
            parts.append(n)
        assert sum(parts) == total and all(n == 10 for n in parts[:-1]) and 0 < parts[-1] <= 10 and len(parts) > 1
        db.execute("INSERT INTO texts_fts (texts_fts) VALUES ('integrity-check')")
        assert db.execute("SELECT COUNT(*) FROM texts_fts_docsize").fetchone()[0] == total
        fts = {r[0] for r in db.execute(SEARCH.replace("r.submission_id, r.year, r.indicator_key, r.description", "r.id"),
                                        ["行政复议", "行政复议"])}
        assert fts == {r[0] for r in db.execute("SELECT id FROM rows WHERE description LIKE '%行政复议%'")} and fts
    finally:
        db.close()


@pytest.mark.parametrize("workers", [0, 1], ids=["in-this-process", "in-a-worker"])
def test_the_daemon_indexes_in_parts_and_a_stop_waits_for_one_part(one_accepted: tuple[Workspace, Path],
                                                                     monkeypatch: pytest.MonkeyPatch, workers: int) -> None:
    """Each part in a worker process when the daemon has workers (the index's memory stays out
    of the daemon), else in a thread of its own: the caller's thread keeps its CPU priority."""
    import os
    import threading

    from xlbridge.service import daemon as watcher
    from xlbridge.service.workers import Preparer

    ws, _ = one_accepted  # 30 rows stored, their texts not yet indexed
    monkeypatch.setattr(watcher, "SEARCH_PART_ROWS", 10)
    daemon = watcher.Daemon(Workspace.load(ws.root))
    priority = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    with Preparer(ws, KEY, workers) as preparer:
        daemon._preparer = preparer if workers else None
        daemon.stop.set()  # SIGTERM during the refresh: the part under way is finished, no more
        daemon._refresh_search()
        db = store.open_store(ws.store)
        try:
            assert store._search_mark(db) == 10 and store.search_behind(db)
            daemon.stop.clear()  # the next start (or burst) takes the rest
            daemon._refresh_search()
            assert store._search_mark(db) == _texts(db) > 10 and store.refresh_search(db) == 0
            assert not store.search_behind(db)  # what the daemon asks before it hands out a part
        finally:
            db.close()
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == priority


def test_a_version_1_store_with_search_triggers_is_migrated(one_accepted: tuple[Workspace, Path]) -> None:
    """Version 1 indexed rows by triggers: on open they are dropped and every row counts as indexed."""
    ws, june = one_accepted
    db = store.open_store(ws.store)
    try:
        as_schema_4(db)
        db["rows"].enable_fts(["description", "materials"], tokenize="trigram", create_triggers=True, replace=True)
        db.execute("DELETE FROM meta WHERE key = 'search_indexed_through'")
        db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
        db.conn.commit()
    finally:
        db.close()
    db = store.open_store(ws.store)
    try:
        triggers = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        assert triggers == {f"{t}_{c}_counted" for t in ("ledger_rows", "texts") for c in ("update", "delete")}  # no search triggers
        assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(store.SCHEMA_VERSION),)
        assert store.refresh_search(db) == 0  # the May texts, indexed whole on open
        assert ingest_file(ws, db, drop(ws, june, f"{UNIT}_2021-06.xlsx"), KEY, received_at=LATE).status == "accepted"
        assert store.refresh_search(db) == 1  # June's one new 进度说明
        assert db.execute("SELECT COUNT(*) FROM texts_fts_docsize").fetchone()[0] == _texts(db)
    finally:
        db.close()


def test_a_version_2_store_with_a_current_table_is_migrated_to_the_view(one_accepted: tuple[Workspace, Path]) -> None:
    """Version 2 kept the current state in a table, moved by every merge: on open it becomes the
    view, which shows the same rows, and merges go on moving it."""
    ws, june = one_accepted
    state = "SELECT system_id, campaign, unit, indicator_key, year, row_id, submission_id FROM current ORDER BY row_id"
    db = store.open_store(ws.store)
    try:
        before = db.execute(state).fetchall()
        as_schema_4(db)
        db.execute("DROP VIEW current_rows")
        db.execute("DROP VIEW current")
        db["current"].create(
            {"system_id": str, "campaign": int, "unit": str, "indicator_key": str, "year": int, "row_id": int,
             "submission_id": int, "updated_at": str},
            pk=("system_id", "campaign", "unit", "indicator_key", "year"),
            foreign_keys=[("row_id", "rows", "id"), ("submission_id", "submissions", "id")])
        db.execute("INSERT INTO current SELECT system_id, campaign, unit, indicator_key, year, r.id, submission_id, 'x'"
                   " FROM rows r JOIN submissions s ON s.id = r.submission_id")
        db.execute("CREATE VIEW current_rows AS SELECT * FROM current")
        db.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
        db.conn.commit()
    finally:
        db.close()
    db = store.open_store(ws.store)
    try:
        kinds = dict(db.execute("SELECT name, type FROM sqlite_master WHERE name IN ('current', 'current_rows')").fetchall())
        assert kinds == {"current": "view", "current_rows": "view"}
        assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(store.SCHEMA_VERSION),)
        assert db.execute(state).fetchall() == before and len(before) == 30
        assert db.execute("SELECT COUNT(*) FROM current_rows").fetchone() == (30,)
        assert ingest_file(ws, db, drop(ws, june, f"{UNIT}_2021-06.xlsx"), KEY, received_at=LATE).status == "accepted"
        june_id = db.execute("SELECT MAX(id) FROM submissions").fetchone()[0]
        assert db.execute("SELECT DISTINCT submission_id FROM current").fetchall() == [(june_id,)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        db.close()


def test_a_store_from_a_newer_xlbridge_is_refused_untouched(one_accepted: tuple[Workspace, Path]) -> None:
    ws, _ = one_accepted
    conn = sqlite3.connect(ws.store)
    with conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(store.SCHEMA_VERSION + 1)])
    conn.close()
    before = dumps(ws.store, ("submissions", "rows", "findings", "meta"))
    with pytest.raises(StoreError, match=f"架构版本 {store.SCHEMA_VERSION + 1}.*请升级 xlbridge"):
        store.open_store(ws.store)
    assert dumps(ws.store, ("submissions", "rows", "findings", "meta")) == before
    result = run("status", "-w", ws.root)
    assert result.exit_code != 0 and "请升级 xlbridge" in result.output


def test_plain_sqlite_without_xlbridge_gives_the_same_results(populated: Workspace, tmp_path: Path) -> None:
    db = store.open_store(populated.store)
    try:
        ours = {name: [list(r) for r in db.execute(sql).fetchall()] for name, sql in QUERIES.items()}
    finally:
        db.close()
    assert ours["fts"] and ours["current_rows"] and ours["latest"]

    # A bare interpreter: isolated, no site-packages, so not even importable xlbridge code.
    script = (
        "import importlib.util, json, sqlite3, sys\n"
        "assert importlib.util.find_spec('xlbridge') is None and importlib.util.find_spec('sqlite_utils') is None\n"
        "conn = sqlite3.connect(sys.argv[1])\n"
        "queries = json.loads(sys.argv[2])\n"
        "print(json.dumps({k: [list(r) for r in conn.execute(q)] for k, q in queries.items()}, ensure_ascii=False))\n"
    )
    out = subprocess.run([sys.executable, "-I", "-S", "-c", script, str(populated.store), json.dumps(QUERIES)],
                         capture_output=True, text=True, encoding="utf-8", cwd=tmp_path, check=True)
    assert json.loads(out.stdout) == ours

    sqlite_cli = shutil.which("sqlite3")
    if sqlite_cli:  # the sqlite3 command-line shell, when installed
        for name, sql in QUERIES.items():
            res = subprocess.run([sqlite_cli, "-readonly", "-json", str(populated.store), sql],
                                 capture_output=True, text=True, encoding="utf-8", check=True)
            rows = [list(r.values()) for r in json.loads(res.stdout or "[]")]
            assert rows == ours[name], name


# =========================================================================== export, backup
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_raw_export_through_the_cli_is_the_store_as_stored(populated: Workspace, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "export"
    result = run("store", "export", "-w", populated.root, "--format", fmt, "--out", out, "--raw")
    assert result.exit_code == 0, result.output
    names = [Path(line).name for line in result.output.splitlines()]
    assert names == [f"{n}.{fmt}" for n in EXPORTED]
    with connect(populated.store) as conn:
        for name in EXPORTED:
            cursor = conn.execute(f"SELECT * FROM [{name}]")
            columns = [d[0] for d in cursor.description]
            expected = [[_as_text(v) if fmt == "csv" else v for v in row] for row in cursor]
            header, rows = _read_export(out / f"{name}.{fmt}")
            assert rows, name
            assert header == columns and rows == expected, name
    assert REVIEW in (out / f"rows.{fmt}").read_text(encoding="utf-8-sig")


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_through_the_cli_speaks_chinese(populated: Workspace, tmp_path: Path, fmt: str) -> None:
    """Chinese file names, headers for every column, and coded values in words; the rows are the store's."""
    out = tmp_path / "export"
    result = run("store", "export", "-w", populated.root, "--format", fmt, "--out", out)
    assert result.exit_code == 0, result.output
    assert [Path(line).name for line in result.output.splitlines()] == [f"{n}.{fmt}" for n in EXPORTED.values()]
    with connect(populated.store) as conn:
        for name, label in EXPORTED.items():
            cursor = conn.execute(f"SELECT * FROM [{name}]")
            header, rows = _read_export(out / f"{label}.{fmt}")
            assert all(is_chinese(h) for h in header), (name, header)
            assert len(header) == len(cursor.description) and len(rows) == len(cursor.fetchall()), name
        stored = conn.execute("SELECT status, signature FROM submissions ORDER BY id").fetchall()
        secret = conn.execute("SELECT secret FROM rows ORDER BY id").fetchall()
        kinds = conn.execute("SELECT kind, key_item FROM indicators ORDER BY system_id, key").fetchall()
    header, subs = _read_export(out / f"报送记录.{fmt}")
    at = header.index
    assert [(s[at("处理结果")], s[at("签名核验")]) for s in subs] == \
        [({"accepted": "已接收", "rejected": "已退回"}[a], {"valid": "通过", "invalid": "不通过", "missing": "缺少签名"}[b]) for a, b in stored]
    header, rows = _read_export(out / f"填报内容_全部历史.{fmt}")
    assert [r[header.index("涉密")] for r in rows] == [("是" if v else "否") for (v,) in secret]
    assert REVIEW in [r[header.index("进度说明")] for r in rows]
    header, indicators = _read_export(out / f"指标.{fmt}")
    shown = [(i[header.index("类别")], i[header.index("重点")]) for i in indicators]
    labels = {"normal": "常规", "bonus": "加分项", "penalty": "减分项"}
    assert sorted(shown) == sorted((labels[k], "★" if key else "") for k, key in kinds)
    assert {"加分项", "减分项", "常规"} <= {k for k, _ in shown} and ("常规", "★") in shown  # puyang has them all
    header, findings = _read_export(out / f"问题清单.{fmt}")
    assert {f[header.index("级别")] for f in findings} <= {"错误", "警告", "提示"}


def test_every_exported_column_has_a_chinese_header(populated: Workspace) -> None:
    """A column added to the store without a header here would reach users in English."""
    with connect(populated.store) as conn:
        for name in EXPORTED:
            columns = [d[0] for d in conn.execute(f"SELECT * FROM [{name}] LIMIT 0").description]
            assert set(columns) <= set(HEADERS), (name, set(columns) - set(HEADERS))


def _read_export(path: Path) -> tuple[list[str], list[list[Any]]]:
    if path.suffix == ".csv":
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel opens UTF-8 CSV by its BOM
        with open(path, encoding="utf-8-sig", newline="") as fh:
            header, *rows = list(csv.reader(fh))
        return header, rows
    data = json.loads(path.read_text(encoding="utf-8"))
    assert "\\u" not in path.read_text(encoding="utf-8")  # Chinese as it is, not escaped
    return (list(data[0]) if data else []), [list(d.values()) for d in data]


def test_backup_through_the_cli_is_consistent_while_a_writer_is_busy(populated: Workspace, tmp_path: Path) -> None:
    writer = sqlite3.connect(populated.store, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # the daemon half-way through a merge
        writer.execute("INSERT INTO submissions (sha256, file_name, received_at, status) VALUES ('x', 'x', 'x', 'rejected')")
        target = tmp_path / "backups" / "store-2021-06.db"
        result = run("store", "backup", "-w", populated.root, target)
        assert result.exit_code == 0, result.output
        assert result.output.strip() == str(target)
    finally:
        writer.execute("ROLLBACK")
        writer.close()

    assert not list(target.parent.glob("*.tmp"))
    with connect(target) as copy, connect(populated.store) as live:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("PRAGMA foreign_key_check").fetchall() == []
        for table in (*TABLES, *VIEWS):
            sql = f"SELECT COUNT(*) FROM [{table}]"
            assert copy.execute(sql).fetchone() == live.execute(sql).fetchone(), table
        assert copy.execute("SELECT COUNT(*) FROM submissions WHERE sha256 = 'x'").fetchone()[0] == 0
        for sql in QUERIES.values():
            assert copy.execute(sql).fetchall() == live.execute(sql).fetchall()


# =========================================================================== one transaction
@pytest.fixture
def one_accepted(tmp_path: Path) -> tuple[Workspace, Path]:
    ws = make_workspace(tmp_path / "ws")
    may = filled_ledger(tmp_path, name="may.xlsx")
    db = store.open_store(ws.store)
    try:
        assert ingest_file(ws, db, drop(ws, may, f"{UNIT}_2021-05.xlsx"), KEY, received_at=ON_TIME).status == "accepted"
    finally:
        db.close()
    june = edited(may, tmp_path / "june.xlsx", set_cells({"B3": "2021-06", cell("description", ROW): REVIEW}))
    return ws, june


def _submission(ws: Workspace, **changes: Any) -> dict[str, Any]:
    """The May submission's record as the pipeline builds it, as a new file."""
    record = {k: v for k, v in submissions(ws.store)[0].items() if k != "id"}
    return {**record, "sha256": "f" * 64, "file_name": "june.xlsx", "period": "2021-06", **changes}


def test_a_merge_that_fails_midway_writes_nothing(one_accepted: tuple[Workspace, Path]) -> None:
    ws, june = one_accepted
    result = validate(june)
    assert result.valid and len(result.validation.records) == 30  # type: ignore[union-attr]
    table = dataclasses.replace(result.validation.table)  # type: ignore[union-attr]
    findings = [f for f in result.findings] + [*validate(edited(june, june.with_name("bad.xlsx"), set_cells(
        {cell("progress", ROW): None}))).findings]
    assert findings
    # Row 16 of 30 carries a value SQLite cannot store: the submission, its findings and 15 rows
    # are already inserted when the insert fails.
    good_phone = table.phone[15]
    table.phone = [*table.phone[:15], ["0393-6980399"], *table.phone[16:]]  # type: ignore[list-item]
    before = dumps(ws.store, ("submissions", "rows", "findings", "current"))

    db = store.open_store(ws.store)
    try:
        with pytest.raises(StoreError, match="写入中心库失败.*已回滚，原有数据未改变"):
            store.merge_submission(db, _submission(ws), table, findings)
        assert not db.conn.in_transaction
        assert dumps(ws.store, ("submissions", "rows", "findings", "current")) == before

        # The same connection goes on working: the good rows merge in one piece.
        table.phone[15] = good_phone
        sub_id = store.merge_submission(db, _submission(ws), table, findings)
    finally:
        db.close()
    assert count(ws.store, "rows", "submission_id = ?", (sub_id,)) == 30
    assert count(ws.store, "findings", "submission_id = ?", (sub_id,)) == len(findings)
    assert count(ws.store, "current", "submission_id = ?", (sub_id,)) == 30
    with connect(ws.store) as conn:
        assert conn.execute("SELECT rowid FROM texts_fts WHERE texts_fts MATCH '行政复议'").fetchall() == []
    db = store.open_store(ws.store)
    try:
        assert store.refresh_search(db) == _texts(db)  # the burst's end indexes the new texts (May's too)
    finally:
        db.close()
    with connect(ws.store) as conn:
        hits = conn.execute(SEARCH.replace("r.submission_id, r.year, r.indicator_key, r.description", "r.id"),
                            ["行政复议", "行政复议"]).fetchall()
        assert [h[0] for h in hits] == [r[0] for r in conn.execute("SELECT id FROM rows WHERE description LIKE '%行政复议%'")]


@pytest.mark.parametrize("bad", [
    pytest.param({"sha256": None}, id="sha256-not-null"),
    pytest.param({"received_at": None}, id="received-at-not-null"),
    pytest.param("same-sha256", id="sha256-unique"),
])
def test_a_constraint_violation_is_rolled_back(one_accepted: tuple[Workspace, Path], bad: Any) -> None:
    ws, june = one_accepted
    table = validate(june).validation.table  # type: ignore[union-attr]
    changes = {"sha256": submissions(ws.store)[0]["sha256"]} if bad == "same-sha256" else bad
    before = dumps(ws.store, ("submissions", "rows", "findings", "current"))
    db = store.open_store(ws.store)
    try:
        with pytest.raises(StoreError, match="已回滚"):
            store.merge_submission(db, _submission(ws, **changes), table, [])
    finally:
        db.close()
    assert dumps(ws.store, ("submissions", "rows", "findings", "current")) == before


def _as_text(value: Any) -> str:
    return "" if value is None else str(value)


def test_read_commands_refuse_a_mistyped_workspace(tmp_path: Path) -> None:
    """status/export/backup/consolidate on a folder that is no workspace: a Chinese error, no empty store left."""
    missing = tmp_path / "wrokspace"
    for args in (["status"], ["store", "export", "--out", str(tmp_path / "x")], ["store", "backup", str(tmp_path / "b.db")],
                 ["consolidate"]):
        result = run(*args, "--workspace", missing) if args[0] != "store" else run(args[0], args[1], "--workspace", missing, *args[2:])
        assert result.exit_code == 1
        assert "没有中心库" in result.output
    assert not (missing / "store.db").exists()


@pytest.mark.parametrize("raw", [False, True], ids=["labelled", "raw"])
def test_csv_export_never_carries_a_formula(one_accepted: tuple[Workspace, Path], raw: bool) -> None:
    """OWASP CSV injection: text starting with = + - @ tab or CR is written with a leading '."""
    import csv

    ws, _ = one_accepted
    with sqlite3.connect(ws.store) as conn:
        conn.execute("UPDATE submissions SET file_name = ?, reason = ?", ["=cmd|' /C calc'!A0", "+1"])
        conn.execute("UPDATE texts SET text = '@SUM(1)' || id")  # every 进度说明 and 上报材料 of the rows
    out = ws.root / "export"
    assert run("store", "export", "--workspace", ws.root, "--format", "csv", "--out", out, *["--raw"] * raw).exit_code == 0
    for path in out.glob("*.csv"):
        with open(path, encoding="utf-8-sig", newline="") as fh:
            for row in csv.reader(fh):
                assert not any(v.startswith(("=", "+", "-", "@", "\t", "\r")) for v in row), (path.name, row)
    subs, rows = (out / f"{name if raw else EXPORTED[name]}.csv" for name in ("submissions", "rows"))
    assert "'=cmd|' /C calc'!A0" in subs.read_text(encoding="utf-8-sig")
    assert "'@SUM(1)" in rows.read_text(encoding="utf-8-sig")


def test_a_month_whose_worker_died_is_built_by_the_daemon(one_accepted: tuple[Workspace, Path]) -> None:
    """Each month's 汇总 is a job for a worker process; if that worker dies (the OOM killer, a
    kill), the month is built in the daemon's own process instead of being lost, and the next
    job goes to a new pool (a broken one refuses every job)."""
    import os

    import openpyxl

    from xlbridge.service import daemon as watcher
    from xlbridge.service.consolidate import consolidate_apart
    from xlbridge.service.workers import Preparer

    ws, _ = one_accepted
    daemon = watcher.Daemon(Workspace.load(ws.root))
    with Preparer(ws, KEY, 1) as preparer:
        dying = preparer.run_apart(os._exit, 9)  # a real worker, ended mid-job: the pool is broken
        db = store.open_store(ws.store)
        try:
            path = daemon._consolidated(db, "2021-05", dying)
        finally:
            db.close()
        again = preparer.run_apart(consolidate_apart, ws, "2021-05")  # the next job gets a new pool
        assert again is not None and again.result() == path
    assert path.name == "汇总台账_2021-05.xlsx" and "总览" in openpyxl.load_workbook(path, read_only=True).sheetnames

"""The incremental 汇总: each month's workbook written with the cache (明细 pieces of the units
that did not change, the 趋势 figures of the months that did not change) is the workbook a
full rebuild writes, cell by cell and part by part, after late files, re-sends, a returned
file, a month skipped, an edit made to the store by hand, and a damaged cache."""

from __future__ import annotations

import shutil
import sqlite3
import zipfile
import zlib
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from ledger_fixtures import KEY, UNIT, baseline, blank, edited, filled_ledger, ledger_dir, set_cells  # noqa: F401
from ws_fixtures import clean_environment, drop, ingest, make_workspace  # noqa: F401

from xlbridge.service import store
from xlbridge.service.consolidate import consolidate, months_to_rewrite
from xlbridge.service.summary_cache import CACHE_NAME
from xlbridge.service.workspace import Workspace
from xlbridge.xlsx.pieces import crc_combine, deflated

OTHER = "信息化工作科"
APRIL, MAY, JUNE, JULY = "2021-04", "2021-05", "2021-06", "2021-07"


@pytest.fixture()
def ws(tmp_path: Path) -> Workspace:
    return make_workspace(tmp_path / "ws", campaign=2021, expected_units=[UNIT, OTHER, "法治督察科"])


@pytest.fixture()
def ledgers(tmp_path: Path) -> dict[str, Path]:
    """Each unit's filled ledger, to be sent for a month with one 进度说明 of its own."""
    return {unit: filled_ledger(tmp_path / "filled", unit=unit, name=f"{unit}.xlsx") for unit in (UNIT, OTHER)}


def send(ws: Workspace, ledgers: dict[str, Path], unit: str, period: str, text: str, when: datetime) -> set[tuple[int, str]]:
    """``unit``'s ledger for ``period`` (its first 进度说明 ``text``) arrived at ``when``; the
    (campaign, month) it changed, as the daemon marks them."""
    path = edited(ledgers[unit], ws.root.parent / "sent" / f"{unit}-{period}-{text}.xlsx",
                  set_cells({"B3": period, "I5": text}))
    outcome = ingest(ws, drop(ws, path, f"{unit}/{unit}_{period}_{text}.xlsx", when=when))
    return {(2021, period)} if outcome.status == "accepted" else set()


def rewrite(ws: Workspace, changed: set[tuple[int, str]]) -> list[str]:
    """What the daemon does after a burst: every affected month's 汇总, written with the cache;
    each compared with a full rebuild from the store alone."""
    db = store.open_store(ws.store)
    try:
        months = months_to_rewrite(db, "puyang-2020", changed) or [JUNE]
    finally:
        db.close()
    rewrite_as(ws, months)
    return months


def full_rebuild(ws: Workspace, db: Any, month: str) -> Path:
    """The month's 汇总 with no cache at all; the incremental cache is put back afterwards."""
    aside = ws.root / "cache-aside"
    shutil.move(ws.cache_dir, aside)
    try:
        path = consolidate(ws, db, month)
        full = path.with_name("full.xlsx")
        shutil.copyfile(path, full)
    finally:
        shutil.rmtree(ws.cache_dir, ignore_errors=True)
        shutil.move(aside, ws.cache_dir)
    return full


def assert_same_workbook(a: Path, b: Path) -> None:
    """Every part of the package the same bytes (but the creation time), and every cell of
    every sheet the same value, type and look as openpyxl reads them back."""
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        assert za.testzip() is None and zb.testzip() is None
        assert za.namelist() == zb.namelist()
        for name in za.namelist():
            if name != "docProps/core.xml":
                assert za.read(name) == zb.read(name), name
    wa, wb = openpyxl.load_workbook(a), openpyxl.load_workbook(b)
    assert wa.sheetnames == wb.sheetnames
    for sa, sb in zip(wa.worksheets, wb.worksheets):
        assert sa.dimensions == sb.dimensions, sa.title
        for ra, rb in zip(sa.iter_rows(), sb.iter_rows(), strict=True):
            for ca, cb in zip(ra, rb, strict=True):
                assert (ca.value, ca.data_type, ca.style_id) == (cb.value, cb.data_type, cb.style_id), (sa.title, ca.coordinate)
        assert {k: d.height for k, d in sa.row_dimensions.items()} == {k: d.height for k, d in sb.row_dimensions.items()}
        assert {k: d.width for k, d in sa.column_dimensions.items()} == {k: d.width for k, d in sb.column_dimensions.items()}
        assert (sa.print_title_rows, sa.freeze_panes, sa.page_setup.orientation, len(sa._charts)) == \
               (sb.print_title_rows, sb.freeze_panes, sb.page_setup.orientation, len(sb._charts))


def month_keys(ws: Workspace, month: str) -> set[str]:
    with sqlite3.connect(ws.cache_dir / CACHE_NAME) as conn:
        return {k for (k,) in conn.execute("SELECT key FROM month_pieces WHERE month = ?", [month])}


def details(path: Path, unit: str) -> list[Any]:
    return [r[6] for r in _rows(path) if r[0] == unit]


def test_an_incremental_summary_is_the_full_rebuild_through_a_campaign(ws: Workspace, ledgers: dict[str, Path],
                                                                      blank: Path) -> None:
    assert rewrite(ws, send(ws, ledgers, UNIT, MAY, "五月甲", datetime(2021, 5, 28, 9))
                   | send(ws, ledgers, OTHER, MAY, "五月乙", datetime(2021, 5, 29, 9))) == [MAY]
    may_keys = month_keys(ws, MAY)
    assert len(may_keys) == 2  # one piece of 明细 per unit

    assert rewrite(ws, send(ws, ledgers, UNIT, JUNE, "六月甲", datetime(2021, 6, 28, 9))) == [JUNE]
    june_keys = month_keys(ws, JUNE)
    assert len(june_keys & may_keys) == 1  # OTHER did not report June: its May rows, first in 明细 (信 < 司)

    # A late May re-send by OTHER: May and June rewritten; UNIT's pieces reused in both.
    assert rewrite(ws, send(ws, ledgers, OTHER, MAY, "五月乙更正", datetime(2021, 7, 2, 9))) == [MAY, JUNE]
    assert len(month_keys(ws, MAY) & may_keys) == 1 and len(month_keys(ws, JUNE) & june_keys) == 1
    assert "五月乙更正" in details(ws.consolidated_dir / "汇总台账_2021-06.xlsx", OTHER)

    # July from UNIT; then April from OTHER, very late: April to July rewritten, 趋势 of each.
    rewrite(ws, send(ws, ledgers, UNIT, JULY, "七月甲", datetime(2021, 7, 30, 9)))
    assert rewrite(ws, send(ws, ledgers, OTHER, APRIL, "四月乙", datetime(2021, 7, 31, 9))) == [APRIL, MAY, JUNE, JULY]

    # The same bytes again (a duplicate) and a returned blank ledger: nothing stored, June shown again.
    again = ws.root.parent / "sent" / f"{UNIT}-{JULY}-七月甲.xlsx"
    assert ingest(ws, drop(ws, again, f"{UNIT}/又一次.xlsx", when=datetime(2021, 8, 1, 9))).status == "duplicate"
    returned = edited(blank, ws.root.parent / "sent" / "blank-june.xlsx", set_cells({"B3": JUNE}))
    assert ingest(ws, drop(ws, returned, f"{UNIT}/空白.xlsx", when=datetime(2021, 6, 29, 9))).status == "rejected"
    rewrite(ws, {(2021, JUNE)})

    # A text changed in the store by hand (a SQL tool): no piece built from it is used again.
    with sqlite3.connect(ws.store) as conn:
        conn.execute("UPDATE texts SET text = '手工改过的说明' WHERE text = '七月甲'")
    rewrite(ws, {(2021, JULY)})
    assert "手工改过的说明" in details(ws.consolidated_dir / "汇总台账_2021-07.xlsx", UNIT)


def test_a_summary_rewritten_with_nothing_changed_reuses_every_piece(ws: Workspace, ledgers: dict[str, Path]) -> None:
    rewrite(ws, send(ws, ledgers, UNIT, MAY, "五月甲", datetime(2021, 5, 28, 9))
            | send(ws, ledgers, OTHER, MAY, "五月乙", datetime(2021, 5, 29, 9)))
    with sqlite3.connect(ws.cache_dir / CACHE_NAME) as conn:
        before = conn.execute("SELECT key, data FROM pieces ORDER BY key").fetchall()
    rewrite(ws, {(2021, MAY)})
    with sqlite3.connect(ws.cache_dir / CACHE_NAME) as conn:
        assert conn.execute("SELECT key, data FROM pieces ORDER BY key").fetchall() == before
        figures = conn.execute("SELECT month FROM months").fetchall()
    assert figures == [(MAY,)]


@pytest.mark.parametrize("damage", ["garbage", "empty", "folder"])
def test_a_damaged_cache_is_built_again_and_never_read_wrong(ws: Workspace, ledgers: dict[str, Path], damage: str) -> None:
    rewrite(ws, send(ws, ledgers, UNIT, MAY, "五月甲", datetime(2021, 5, 28, 9)))
    path = ws.cache_dir / CACHE_NAME
    for leftover in path.parent.iterdir():
        leftover.unlink()
    if damage == "garbage":
        path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 5000)
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        shutil.rmtree(ws.cache_dir)
        ws.cache_dir.write_text("不是文件夹", encoding="utf-8")  # the cache cannot even be made: written without it
    assert rewrite(ws, send(ws, ledgers, OTHER, MAY, "五月乙", datetime(2021, 5, 29, 9))) == [MAY]
    if damage != "folder":
        assert len(month_keys(ws, MAY)) == 2  # built again


def test_pieces_deflated_apart_make_one_entry() -> None:
    parts = [b"<row>" * 1000, b"", "明细的一行".encode() * 3000, b"</sheetData>"]
    pieces = [deflated(p, final=i == len(parts) - 1) for i, p in enumerate(parts)]
    whole = b"".join(parts)
    assert zlib.decompress(b"".join(p.data for p in pieces), -zlib.MAX_WBITS) == whole
    crc = 0
    for p in pieces:
        crc = crc_combine(crc, p.crc, p.size)
    assert crc == zlib.crc32(whole)
    assert crc_combine(zlib.crc32(b"a"), zlib.crc32(bytes(3 << 20)), 3 << 20) == zlib.crc32(b"a" + bytes(3 << 20))


def test_the_store_counts_changes_made_to_stored_rows_by_hand(ws: Workspace, ledgers: dict[str, Path]) -> None:
    send(ws, ledgers, UNIT, MAY, "五月甲", datetime(2021, 5, 28, 9))
    db = store.open_store(ws.store)
    try:
        assert store.rows_revision(db) == 0
        send(ws, ledgers, UNIT, JUNE, "六月甲", datetime(2021, 6, 28, 9))  # xlbridge only ever inserts
        assert store.rows_revision(db) == 0
    finally:
        db.close()
    with sqlite3.connect(ws.store) as conn:  # plain SQLite, as any tool writes
        conn.execute("UPDATE ledger_rows SET person = '某人' WHERE id = (SELECT MIN(id) FROM ledger_rows)")
        conn.execute("DELETE FROM texts WHERE text = '六月甲'")
    db = store.open_store(ws.store)
    try:
        assert store.rows_revision(db) == 2
    finally:
        db.close()


def test_a_system_revised_mid_campaign_rebuilds_what_it_changes(tmp_path: Path) -> None:
    """jinfeng-2020 version 2 renames 网信办 (its history filed under the new name), re-words and
    re-assigns indicators: the 汇总 written with the cache of version 1 is the full rebuild."""
    from revision_fixtures import NEW_NAME, OLD_NAME, version_2

    from xlbridge.system.files import load_system

    def workspace(system: str) -> Workspace:  # the workspace's system changed in its settings
        root = tmp_path / "ws"
        root.mkdir(parents=True, exist_ok=True)
        (root / "xlbridge.toml").write_text(f'system = "{system}"\ncampaign = 2021\n', encoding="utf-8")
        (root / "xlbridge.key").write_text(KEY.hex() + "\n", encoding="ascii")
        return Workspace.load(root).ensure()

    ws = workspace("jinfeng-2020")
    v1 = load_system("jinfeng-2020")
    # Only 网信办 reports May: renamed, its rows stand where they stood (the piece's place is the same).
    ledger = filled_ledger(tmp_path / "v1", indicator_system=v1, unit=OLD_NAME, name="old-05.xlsx")
    assert ingest(ws, drop(ws, ledger, f"{OLD_NAME}/{OLD_NAME}_2021-05.xlsx", when=datetime(2021, 5, 28, 9))).status == "accepted"
    rewrite_as(ws, [MAY])
    assert OLD_NAME in {r[0] for r in _rows(ws.consolidated_dir / "汇总台账_2021-05.xlsx")}

    v2 = version_2(tmp_path / "v2.yaml")
    ws = workspace(str(tmp_path / "v2.yaml"))
    june = filled_ledger(tmp_path / "v2", indicator_system=v2, unit="司法局",
                         header={"period": JUNE, "filled_on": "2021-06-28", "filled_by": "王伟"}, name="司法局-06.xlsx")
    assert ingest(ws, drop(ws, june, "司法局/司法局_2021-06.xlsx", when=datetime(2021, 6, 28, 9))).status == "accepted"
    rewrite_as(ws, [MAY, JUNE])
    units = {r[0] for r in _rows(ws.consolidated_dir / "汇总台账_2021-05.xlsx")}
    assert NEW_NAME in units and OLD_NAME not in units  # the renamed unit's rows under its new name


def rewrite_as(ws: Workspace, months: list[str]) -> None:
    db = store.open_store(ws.store)
    try:
        for month in months:
            incremental = consolidate(ws, db, month)
            kept = incremental.with_name("incremental.xlsx")
            shutil.copyfile(incremental, kept)
            assert_same_workbook(kept, full_rebuild(ws, db, month))
    finally:
        db.close()


def _rows(path: Path) -> list[tuple[Any, ...]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return list(wb["明细"].iter_rows(min_row=2, values_only=True))
    finally:
        wb.close()

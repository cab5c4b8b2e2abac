"""Workspaces for the coordination group's side (ingest, store, receipts, consolidation): a real
workspace directory with ``xlbridge.toml`` and the signing key, real ledgers dropped into its
inbox, a real SQLite store, and helpers that read what came out with tools other than xlbridge
(plain ``sqlite3``, openpyxl, the xlsx zip itself).

Not a conftest: test modules import what they use; the autouse fixture ``clean_environment``
must be imported into a module for it to apply there.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import zipfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result
from ledger_fixtures import CAMPAIGN, KEY, SYSTEM_ID

from xlbridge.cli import main
from xlbridge.ledger import layout as L
from xlbridge.service import store
from xlbridge.service.ingest import Outcome, ingest_file
from xlbridge.service.workspace import Workspace

ON_TIME = datetime(2021, 5, 28, 10, 0)
LATE = datetime(2021, 6, 3, 9, 15)
PERIOD = "2021-05"
_CJK = re.compile(r"[\u4e00-\u9fff]")
# Tables a rejected submission must leave exactly as they were (besides its own record and findings).
STORED_DATA = ("rows", "current", "systems", "units", "indicators", "assignments")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No XLBRIDGE_* setting from the environment, and no stray files in the working directory."""
    for name in list(os.environ):
        if name.startswith("XLBRIDGE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def make_workspace(root: Path, **settings: Any) -> Workspace:
    """A workspace for puyang-2020 (or ``system=``) with the tests' signing key; extra settings go
    to xlbridge.toml."""
    root.mkdir(parents=True, exist_ok=True)
    lines = [f'system = "{settings.pop("system", SYSTEM_ID)}"']
    for name, value in settings.items():
        if isinstance(value, str):
            lines.append(f'{name} = "{value}"')
        elif isinstance(value, list):
            lines.append(f"{name} = [{', '.join(repr(v).replace(chr(39), chr(34)) for v in value)}]")
        else:
            lines.append(f"{name} = {value}")
    (root / "xlbridge.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "xlbridge.key").write_text(KEY.hex() + "\n", encoding="ascii")
    return Workspace.load(root).ensure()


ARRIVALS: dict[Path, datetime] = {}


def drop(ws: Workspace, src: Path, relative: str, when: datetime = ON_TIME) -> Path:
    """Copy ``src`` into the inbox as ``relative`` (e.g. "单位/x.xlsx"), to arrive at ``when``.

    The pipeline takes arrival from the inode-change time, which a test cannot set: pass
    ``received_at=arrival(path)`` to ingest_file. The mtime is set too, and must not matter.
    """
    target = ws.inbox / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, target)
    os.utime(target, (when.timestamp(), when.timestamp()))
    ARRIVALS[target] = when
    return target


def arrival(path: Path) -> datetime:
    return ARRIVALS[path]


def ingest(ws: Workspace, path: Path) -> Outcome:
    """One file through the whole pipeline, arriving when ``drop`` said."""
    db = store.open_store(ws.store)
    try:
        return ingest_file(ws, db, path, KEY, received_at=ARRIVALS.get(path))
    finally:
        db.close()


def set_text(values: dict[str, str]):  # type: ignore[no-untyped-def]
    """An openpyxl edit typing text into 台账 cells as text: a leading = stays text, as in a cell
    formatted "@" (openpyxl would otherwise store it as a formula)."""

    def edit(wb: Any) -> None:
        for ref, value in values.items():
            c = wb[L.LEDGER_SHEET][ref]
            c.value = value
            c.data_type = "s"

    return edit


def run(*args: str | Path) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


# --------------------------------------------------------------------------- the store, read plainly
def connect(db_path: Path) -> sqlite3.Connection:
    """The store as any SQLite tool sees it: the standard library only, no xlbridge code."""
    return sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)


def dump(db_path: Path, table: str) -> list[tuple[Any, ...]]:
    with connect(db_path) as conn:
        return sorted(conn.execute(f"SELECT * FROM [{table}]").fetchall(), key=repr)


def dumps(db_path: Path, tables: Iterable[str] = STORED_DATA) -> dict[str, list[tuple[Any, ...]]]:
    out = {t: dump(db_path, t) for t in tables}
    with connect(db_path) as conn:  # the stored texts, and the full-text index that follows them
        out["texts"] = sorted(conn.execute("SELECT id, text FROM texts").fetchall())
        out["texts_fts"] = sorted(conn.execute("SELECT rowid, text FROM texts_fts").fetchall())
    return out


def count(db_path: Path, table: str, where: str = "1", params: tuple[Any, ...] = ()) -> int:
    with connect(db_path) as conn:
        return conn.execute(f"SELECT COUNT(*) FROM [{table}] WHERE {where}", params).fetchone()[0]


def submissions(db_path: Path) -> list[dict[str, Any]]:
    with connect(db_path) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM submissions ORDER BY id")]


def foreign_key_problems(db_path: Path) -> list[tuple[Any, ...]]:
    with connect(db_path) as conn:
        return conn.execute("PRAGMA foreign_key_check").fetchall()


# --------------------------------------------------------------------------- workbooks we wrote
def sheet_rows(path: Path, sheet: str) -> list[tuple[Any, ...]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return [tuple(r) for r in wb[sheet].iter_rows(values_only=True)]
    finally:
        wb.close()


def receipt_summary(path: Path) -> dict[str, str]:
    """The form of the 回执 sheet as label → value (rows from the third on, up to the blank row
    above the findings)."""
    form = {}
    for r in sheet_rows(path, "回执")[2:]:
        if not r or not r[0]:
            break
        form[r[0]] = r[1]
    return form


def receipt_findings(path: Path) -> list[tuple[Any, ...]]:
    """The findings listed below the receipt's form (级别, 单元格, 指标, 栏目, 说明, 建议), or
    the one line saying there are none."""
    rows = sheet_rows(path, "回执")
    start = next(n for n, r in enumerate(rows) if r and str(r[0] or "").startswith("问题清单"))
    body = rows[start + 1:]
    if body and body[0][0] == "级别":
        assert body[0][:6] == ("级别", "单元格", "指标", "栏目", "说明", "建议")
        body = body[1:]
    return [tuple(r[:6]) for r in body if r and r[0]]


def sheet_xml(path: Path, sheet: str) -> bytes:
    """The raw XML of one worksheet (workbook order: sheet1.xml is the first sheet)."""
    wb = openpyxl.load_workbook(path, read_only=True)
    names = wb.sheetnames
    wb.close()
    with zipfile.ZipFile(path) as zf:
        return zf.read(f"xl/worksheets/sheet{names.index(sheet) + 1}.xml")


def is_chinese(text: object) -> bool:
    return isinstance(text, str) and bool(_CJK.search(text))


__all__ = [
    "CAMPAIGN", "LATE", "ON_TIME", "PERIOD", "STORED_DATA", "clean_environment", "connect", "count", "drop", "dump",
    "dumps", "foreign_key_problems", "is_chinese", "make_workspace", "receipt_findings", "receipt_summary", "run", "set_text", "sheet_rows",
    "sheet_xml", "submissions",
]

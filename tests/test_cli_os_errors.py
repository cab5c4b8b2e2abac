"""What the file system and SQLite refuse reaches the user in Chinese, naming the path and what to
do: a walk over the paths a user can get wrong (a folder that does not exist, a file where a
folder is wanted and the other way round, a full disk, a store file that is no database, a
read-only or unreadable place), each through the real ``xlbridge`` command, and the daemon's log
of a real daemon whose output folder is a file. Never ``[Errno 2] No such file or directory``."""

from __future__ import annotations

import json
import os
import re
import signal
from collections.abc import Callable
from pathlib import Path

import pytest
from ledger_fixtures import UNIT, filled_ledger, rewrite_member
from test_daemon import DaemonProcess, drop, posix, workspace  # noqa: F401  (workspace: a fixture)
from test_daemon_log import json_daemon  # noqa: F401  (a fixture)
from ws_fixtures import clean_environment, is_chinese, make_workspace, run  # noqa: F401  (an autouse fixture)

from xlbridge.service import store

# What the system says in English (strerror, SQLite, Python), never to be shown.
ENGLISH = re.compile(r"Errno|No such file|Permission denied|Is a directory|Not a directory|No space|File exists|"
                     r"Read-only|Traceback|database|disk I/O|[A-Z][a-z]+Error")
ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def chinese_error(output: str, *names: str) -> str:
    """The one 错误：… line, in Chinese, naming each of ``names``."""
    assert not ENGLISH.search(output), output
    [line] = [line for line in output.splitlines() if line.startswith("错误：")]
    assert is_chinese(line) and all(name in line for name in names), (names, line)
    return line


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return make_workspace(tmp_path / "ws").root


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    path = tmp_path / "笔记.txt"
    path.write_text("不是文件夹", encoding="utf-8")
    return path


# (what the user got wrong, the command line from (tmp_path, ws, a_file), the names the message
# must hold, a phrase of the reason)
Case = tuple[str, Callable[[Path, Path, Path], list[str]], Callable[[Path, Path, Path], list[str]], str]
CASES: list[Case] = [
    ("an output folder that does not exist", lambda t, w, f: ["schema", "jsonschema", "-o", str(t / "无此文件夹" / "s.json")],
     lambda t, w, f: ["无此文件夹"], "不存在"),
    ("a file as the output's folder", lambda t, w, f: ["schema", "jsonschema", "-o", str(f / "s.json")],
     lambda t, w, f: [f.name], "是文件，不是文件夹"),
    ("a file as the workspace's parent", lambda t, w, f: ["key", "init", "-w", str(f / "ws")],
     lambda t, w, f: [f.name], "是文件，不是文件夹"),
    ("ingest into a workspace below a file", lambda t, w, f: ["ingest", "-w", str(f / "ws"), str(f)],
     lambda t, w, f: [f.name], "是文件，不是文件夹"),
    ("ledgers into a folder below a file",
     lambda t, w, f: ["ledgers", "build", "puyang-2020", "--campaign", "2021", "-w", str(w), "--out", str(f / "台账")],
     lambda t, w, f: [f.name], "是文件，不是文件夹"),
    ("a backup into a folder that is a file", lambda t, w, f: ["store", "backup", "-w", str(w), str(f / "备份.db")],
     lambda t, w, f: [f.name], "是文件，不是文件夹"),
    ("-o onto a folder", lambda t, w, f: ["schema", "jsonschema", "-o", str(t)], lambda t, w, f: [t.name], "是目录，应为文件"),
    ("a backup onto a folder", lambda t, w, f: ["store", "backup", "-w", str(w), str(w)], lambda t, w, f: [w.name], "是目录，应为文件"),
    ("a file as the workspace", lambda t, w, f: ["status", "-w", str(f)], lambda t, w, f: [f.name], "是文件，应为目录"),
    ("a folder to validate", lambda t, w, f: ["validate", str(t)], lambda t, w, f: [t.name], "是目录，应为文件"),
    ("a folder as the indicator system", lambda t, w, f: ["schema", "show", str(t)], lambda t, w, f: [t.name], "是文件夹"),
    ("a file to validate that does not exist", lambda t, w, f: ["validate", str(t / "无此台账.xlsx")],
     lambda t, w, f: ["无此台账.xlsx"], "不存在"),
    ("a 汇总 folder that is a file", lambda t, w, f: _consolidate_into_a_file(w),
     lambda t, w, f: ["汇总"], "是文件，不是文件夹"),
]


def _consolidate_into_a_file(ws: Path) -> list[str]:
    store.open_store(ws / "store.db").close()
    (ws / "outbox" / "汇总").write_text("x", encoding="utf-8")
    return ["consolidate", "-w", str(ws), "--period", "2021-05"]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_a_wrong_path_is_told_in_chinese_with_the_path(case: Case, tmp_path: Path, ws: Path, a_file: Path) -> None:
    _, args, names, reason = case
    result = run(*args(tmp_path, ws, a_file))
    assert result.exit_code != 0, result.output
    assert reason in chinese_error(result.output, *names(tmp_path, ws, a_file))


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full (a device whose writes fail: disk full)")
def test_a_full_disk_is_told_in_chinese() -> None:
    result = run("schema", "jsonschema", "-o", "/dev/full")
    assert result.exit_code != 0
    assert "磁盘空间已满" in chinese_error(result.output) and "清理磁盘" in result.output


@pytest.mark.parametrize("broken", ["garbage", "folder"])
def test_a_store_that_is_no_database_is_told_with_its_path(ws: Path, broken: str) -> None:
    db = ws / "store.db"
    if broken == "folder":
        db.mkdir()
    else:
        db.write_bytes(b"not an SQLite file " * 100)
    for args in (["status"], ["consolidate", "--period", "2021-05"], ["store", "export", "--out", str(ws / "导出")]):
        result = run(*args, "-w", str(ws))
        assert result.exit_code != 0, result.output
        line = chinese_error(result.output, str(db))
        assert ("已损坏" if broken == "garbage" else "无法打开") in line, line


@pytest.mark.skipif(ROOT, reason="root may read and write where permissions say no")
def test_an_unreadable_file_and_a_read_only_folder_are_told_in_chinese(tmp_path: Path, ws: Path) -> None:
    ledger = filled_ledger(tmp_path / "台账")
    system = tmp_path / "体系.yaml"
    system.write_text("id: x\n", encoding="utf-8")
    for unreadable in (ledger, system):
        unreadable.chmod(0)
    locked = tmp_path / "只读"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert "不可读" in chinese_error(run("validate", str(ledger)).output, ledger.name)
        result = run("schema", "show", str(system))
        assert "没有访问权限" in result.output and system.name in result.output and not ENGLISH.search(result.output)
        result = run("ledgers", "build", "puyang-2020", "--campaign", "2021", "-w", str(ws), "--out", str(locked / "台账"))
        assert "没有访问权限" in chinese_error(result.output, "只读")
        result = run("store", "backup", "-w", str(ws), str(locked / "备份.db"))
        assert "没有访问权限" in chinese_error(result.output, "只读")
        (ws / "outbox").chmod(0o500)
        result = run("consolidate", "-w", str(ws), "--period", "2021-05")
        assert "没有访问权限" in chinese_error(result.output, "outbox")
    finally:
        for unreadable in (ledger, system):
            unreadable.chmod(0o600)
        locked.chmod(0o700)
        (ws / "outbox").chmod(0o700)


# --------------------------------------------------------------------------- the daemon's log
@posix
def test_the_daemon_logs_a_failed_write_in_chinese(json_daemon: DaemonProcess, tmp_path: Path) -> None:
    """The unit's receipt folder and the 汇总 folder are files: the ledger is stored, its receipt
    and the 汇总 cannot be written, and each failure is one Chinese line naming the path."""
    ws = json_daemon.ws
    for blocked in (ws / "outbox" / UNIT, ws / "outbox" / "汇总"):
        blocked.write_text("不是文件夹", encoding="utf-8")
    json_daemon.start()
    drop([filled_ledger(tmp_path / "台账", name=f"{UNIT}_5月.xlsx")], ws / "inbox")
    failed = lambda: [e for e in map(json.loads, _lines(json_daemon)) if e["level"] in ("warning", "error")]
    json_daemon.wait_for(lambda: {e["event"] for e in failed()} >= {"error", "postponed"}, "both failures")
    assert json_daemon.signal(signal.SIGTERM) == 0
    for line in _lines(json_daemon):
        assert not ENGLISH.search(json.loads(line)["message"]), line
    for e in failed():
        assert "是文件，不是文件夹" in e["message"] and "是文件，不是文件夹" in e["reason"], e
        assert "traceback" not in e  # a path the user can fix, not a bug
    assert any(UNIT in e["message"] for e in failed()) and any("汇总" in e["message"] for e in failed())


def _lines(daemon: DaemonProcess) -> list[str]:
    return [line for line in daemon.log().splitlines() if line.startswith("{")]


def test_a_workbook_the_reader_cannot_parse_is_told_in_chinese(tmp_path: Path) -> None:
    """A zip of the right parts whose styles are garbage: calamine's own (English) error stays out
    of the message; the sender is told what to do."""
    broken = rewrite_member(filled_ledger(tmp_path / "台账"), tmp_path / "坏样式.xlsx", "xl/styles.xml", lambda _: b"<<<")
    result = run("validate", str(broken))
    assert result.exit_code == 1
    [line] = [line for line in result.output.splitlines() if line.startswith("[错误]")]
    assert "坏样式.xlsx：工作簿内容无法解析" in line and "另存为 .xlsx" in line
    assert not ENGLISH.search(line.replace("（规则 file-unreadable）", "")) and not re.search(r"[A-Za-z]{6,}", line.split("（规则")[0])

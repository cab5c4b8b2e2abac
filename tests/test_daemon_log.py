"""The daemon's log, read from a real `xlbridge daemon` process after a 50-file burst (49 ledgers
and one file that is no workbook): one line per event (received, accepted or rejected with the
reason, receipt written, 汇总 rewritten, next ledger written), in Chinese, or one JSON object per
line with ``--log-format json``."""

from __future__ import annotations

import json
import re
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from submission_fixtures import Submissions, submissions  # noqa: F401  (a fixture)
from test_daemon import DaemonProcess, count, drop, inbox_files, posix, workspace  # noqa: F401  (workspace: a fixture)
from ws_fixtures import is_chinese

from xlbridge.service.daemon_log import EVENTS

BURST = 50
NOT_A_WORKBOOK = "扫描件.xlsx"
TEXT_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (信息|警告|错误) (\S+) ?(.*)$")


def burst(daemon: DaemonProcess, submissions: Submissions) -> tuple[list[Path], list[str]]:
    """50 files through a running daemon until their 汇总 and next ledgers are written: the
    ledgers and the log lines."""
    ws = daemon.ws
    files = submissions.make(BURST - 1)
    bad = ws.parent / NOT_A_WORKBOOK
    bad.write_bytes(b"%PDF-1.4 a scan, not a workbook")
    daemon.start()
    drop([*files, bad], ws / "inbox")
    daemon.wait_for(lambda: count(ws) == BURST and not inbox_files(ws), "50 submissions")
    units = {f.name.rsplit("_", 1)[0] for f in files}
    next_ledgers = lambda: [p for p in (ws / "outbox").rglob("*_2021-06_工作台账.xlsx")]
    daemon.wait_for(lambda: len(next_ledgers()) == len(units) and (ws / "outbox" / "汇总").is_dir(), "the burst's end")
    assert daemon.signal(signal.SIGTERM) == 0
    lines = [line for line in daemon.log().splitlines() if not line.startswith("=== run")]
    return files, lines


@pytest.fixture
def text_daemon(workspace: Path) -> Iterator[DaemonProcess]:
    process = DaemonProcess(workspace)
    yield process
    process.ensure_stopped()


@pytest.fixture
def json_daemon(workspace: Path) -> Iterator[DaemonProcess]:
    process = DaemonProcess(workspace, "--log-format", "json")
    yield process
    process.ensure_stopped()


@posix
def test_a_burst_logs_one_chinese_line_per_event(text_daemon: DaemonProcess, submissions: Submissions) -> None:
    files, lines = burst(text_daemon, submissions)
    parsed = [TEXT_LINE.match(line) for line in lines]
    assert all(parsed), [line for line, m in zip(lines, parsed) if not m]  # no traceback, no stray print
    assert all(is_chinese(line) for line in lines)
    verbs = Counter(m[2] for m in parsed if m)
    per_file = {name: Counter(m[2] for m in parsed if m and m[3].split("（")[0] == name) for name in (f.name for f in files)}
    assert all(c == Counter({"收到": 1, "已接收": 1}) for c in per_file.values()), per_file
    [rejected] = [m[3] for m in parsed if m and m[2] == "已退回"]
    assert rejected.startswith(f"{NOT_A_WORKBOOK}（单位不明）：") and "不是有效的 .xlsx" in rejected
    receipts = [m[3] for m in parsed if m and m[2] == "已写回执"]
    assert len(receipts) == len(set(receipts)) == BURST
    assert all(r.startswith("outbox/") and "/回执_" in r for r in receipts)
    consolidated = [m[3] for m in parsed if m and m[2] == "已重写汇总表"]
    assert 1 <= len(consolidated) <= 3 and set(consolidated) == {"outbox/汇总/汇总台账_2021-05.xlsx"}
    units = {f.name.rsplit("_", 1)[0] for f in files}
    assert verbs == Counter({"收到": BURST, "已接收": BURST - 1, "已退回": 1, "已写回执": BURST, "已重写汇总表": len(consolidated),
                             "已生成": len(units), "开始监视": 1, "已停止": 1})
    assert len(lines) == 3 * BURST + len(consolidated) + len(units) + 2  # every event once, nothing else


@posix
def test_a_burst_logs_one_json_object_per_event(json_daemon: DaemonProcess, submissions: Submissions) -> None:
    files, lines = burst(json_daemon, submissions)
    events = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all(set(e) >= {"time", "level", "event", "message"} and e["event"] in EVENTS for e in events)
    assert all(is_chinese(e["message"]) for e in events)
    assert all("\\u" not in line for line in lines)  # Chinese as it is
    kinds = Counter(e["event"] for e in events)
    units = {f.name.rsplit("_", 1)[0] for f in files}
    assert kinds == Counter({"received": BURST, "accepted": BURST - 1, "rejected": 1, "receipt": BURST, "next_ledger": len(units),
                             "consolidated": kinds["consolidated"], "watching": 1, "stopped": 1})
    names = sorted(f.name for f in files)
    for kind, expected in (("received", sorted([*names, NOT_A_WORKBOOK])), ("accepted", names),
                           ("receipt", sorted([*names, NOT_A_WORKBOOK]))):
        assert sorted(e["file"] for e in events if e["event"] == kind) == expected, kind
    [rejected] = [e for e in events if e["event"] == "rejected"]
    assert (rejected["file"], rejected["unit"]) == (NOT_A_WORKBOOK, None) and "不是有效的 .xlsx" in rejected["reason"]
    accepted = [e for e in events if e["event"] == "accepted"]
    assert {(e["unit"], e["period"]) for e in accepted} == {(u, "2021-05") for u in units}
    assert all(isinstance(e["submission_id"], int) for e in accepted)
    assert {e["path"] for e in events if e["event"] == "consolidated"} == {"outbox/汇总/汇总台账_2021-05.xlsx"}

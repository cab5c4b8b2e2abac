"""The sync daemon as a real process (`xlbridge daemon`) on a real folder: bursts, half-copied
files, lock files, kill -9 in the middle of a burst, files that arrived while it was down, and
SIGTERM/SIGINT.

The inputs are real filled ledgers (puyang-2020, three small units), made in numbers by
``submission_fixtures.Submissions``.

Nothing here sleeps for a fixed long time: every wait polls for what it expects, with a generous
deadline, so the tests hold on a loaded two-core CI runner and under pytest-xdist.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ledger_fixtures import CAMPAIGN, KEY
from submission_fixtures import PERIOD, SYSTEM_ID, UNITS, Submissions, submissions  # noqa: F401  (a fixture)

from xlbridge.service.workers import default_workers, read_ahead
from xlbridge.service.workspace import Workspace

posix = pytest.mark.skipif(sys.platform == "win32", reason="kill -9 and SIGTERM/SIGINT are POSIX")

SETTLE = 0.3
DEBOUNCE_MS = 500
WAIT = 60.0  # the deadline of every poll; a healthy run needs a small fraction of it


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- the daemon
def daemon_command() -> list[str]:
    """The console script installed next to this interpreter, or ``python -m xlbridge``."""
    script = Path(sys.executable).with_name("xlbridge")
    return [str(script)] if script.exists() else [sys.executable, "-m", "xlbridge"]


def clean_env() -> dict[str, str]:
    """This environment without XLBRIDGE_* settings: the workspace's xlbridge.toml decides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XLBRIDGE_", "WATCHFILES_"))}
    return {**env, "PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "utf-8"}


class DaemonProcess:
    """`xlbridge daemon --workspace WS --settle 0.3`, its stderr in a file (a pipe could fill up)."""

    def __init__(self, ws: Path, *options: str) -> None:
        self.ws = ws
        self.options = options  # more command-line options, e.g. --log-format json
        self.runs = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = ws.parent / "daemon.log"

    def start(self) -> DaemonProcess:
        self.runs += 1
        with open(self.log_path, "ab") as log:
            log.write(f"=== run {self.runs}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                [*daemon_command(), "daemon", "--workspace", str(self.ws), "--settle", str(SETTLE), *self.options],
                stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                env=clean_env(),
            )
        self.wait_for(lambda: self.log_count("开始监视") == self.runs, "the daemon to start watching")
        return self

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def log_count(self, text: str) -> int:
        return self.log().count(text)

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = WAIT,
                 poll: float = 0.05) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert self.proc is not None
            if self.proc.poll() is not None and not condition():
                pytest.fail(f"the daemon exited ({self.proc.returncode}) while waiting for {what}:\n"
                            f"{self.log()[-4000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}:\n{self.log()[-4000:]}")
            time.sleep(poll)

    def signal(self, sig: int, timeout: float = WAIT) -> int:
        assert self.proc is not None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            pytest.fail(f"the daemon did not stop within {timeout:.0f} s of signal {sig}:\n"
                        f"{self.log()[-4000:]}")

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()  # SIGKILL
        self.proc.wait(WAIT)

    def ensure_stopped(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(WAIT)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A workspace with the signing key and settings (the key `xlbridge key init` would have made)."""
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "xlbridge.key").write_text(KEY.hex() + "\n", encoding="ascii")
    (ws / "xlbridge.toml").write_text(
        f'system = "{SYSTEM_ID}"\ncampaign = {CAMPAIGN}\ndebounce_ms = {DEBOUNCE_MS}\n', encoding="utf-8")
    for name in ("inbox", "archive", "outbox"):
        (ws / name).mkdir()
    return ws


@pytest.fixture
def daemon(workspace: Path) -> Iterator[DaemonProcess]:
    process = DaemonProcess(workspace)
    yield process
    process.ensure_stopped()


# --------------------------------------------------------------------------- the store, read with plain sqlite3
def query(ws: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    db = ws / "store.db"
    if not db.exists():
        return []
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):  # the daemon is creating the schema
            return []
        raise
    finally:
        conn.close()


def count(ws: Path, where: str = "1") -> int:
    rows = query(ws, f"SELECT COUNT(*) FROM submissions WHERE {where}")
    return int(rows[0][0]) if rows else 0


def inbox_files(ws: Path) -> list[Path]:
    return sorted(p for p in (ws / "inbox").rglob("*") if p.is_file())


def archived(ws: Path) -> list[Path]:
    return sorted(p for p in (ws / "archive").rglob("*") if p.is_file())


def drop(files: list[Path], inbox: Path) -> list[Path]:
    """Copy as a unit's clerk would, into a hidden temp name first, then rename (one event each)."""
    dropped = []
    for src in files:
        tmp = inbox / f".{src.name}.part"
        shutil.copyfile(src, tmp)
        dst = inbox / src.name
        os.replace(tmp, dst)
        dropped.append(dst)
    return dropped


def assert_store_consistent(ws: Path) -> None:
    assert query(ws, "PRAGMA integrity_check") == [("ok",)]
    assert query(ws, "PRAGMA foreign_key_check") == []
    assert query(ws, "SELECT sha256 FROM submissions GROUP BY sha256 HAVING COUNT(*) > 1") == []
    # every accepted submission's rows are there, and the current state points at stored rows
    assert query(ws, "SELECT s.id FROM submissions s WHERE s.status = 'accepted' AND s.rows != "
                     "(SELECT COUNT(*) FROM rows r WHERE r.submission_id = s.id)") == []
    assert query(ws, "SELECT COUNT(*) FROM current WHERE row_id NOT IN (SELECT id FROM rows)") == [(0,)]


def assert_archive_exact(ws: Path, shas: set[str]) -> None:
    """Every file is in the archive exactly once, under its own hash, and nothing else is there."""
    files = archived(ws)
    assert [p for p in files if p.name.startswith(".") or ".tmp" in p.name] == [], "temp files in archive/"
    names = [p.name.split(".")[0] for p in files]
    assert len(names) == len(set(names)), "a file archived twice"
    assert set(names) == shas
    for p in files:
        assert sha256(p) == p.name.split(".")[0], f"{p} does not hold the bytes its name says"


# --------------------------------------------------------------------------- tests
@posix
def test_burst_of_50_is_processed_with_one_consolidation(daemon: DaemonProcess, submissions: Submissions) -> None:
    ws = daemon.ws
    files = submissions.make(50)
    daemon.start()
    started = time.monotonic()
    drop(files, ws / "inbox")
    daemon.wait_for(lambda: count(ws) == 50 and not inbox_files(ws), "50 submissions")
    processed = time.monotonic() - started
    daemon.wait_for(lambda: daemon.log_count("已重写汇总表") >= 1, "the consolidated workbook")
    consolidated_after = time.monotonic() - started
    assert daemon.signal(signal.SIGTERM) == 0

    print(f"\n50 files: processed in {processed:.1f} s, consolidated after {consolidated_after:.1f} s, "
          f"{daemon.log_count('已重写汇总表')} rewrite(s)")
    assert count(ws, "status = 'accepted'") == 50, query(ws, "SELECT file_name, reason FROM submissions")
    assert {r[0] for r in query(ws, "SELECT sha256 FROM submissions")} == {sha256(f) for f in files}
    assert daemon.log_count("已重写汇总表") <= 3, "a burst must not rewrite the consolidated workbook per file"
    assert (ws / "outbox" / "汇总" / f"汇总台账_{PERIOD}.xlsx").is_file()
    assert len(list((ws / "outbox").rglob("回执_*.xlsx"))) == 50
    assert_archive_exact(ws, {sha256(f) for f in files})
    assert_store_consistent(ws)
    assert [p for p in (ws / "outbox").rglob("*") if p.name.startswith((".", "tmp"))] == []
    # The burst's end also brought the full-text index up to date: every stored text, once.
    assert query(ws, "SELECT COUNT(*) FROM texts_fts_docsize") == query(ws, "SELECT COUNT(*) FROM texts") != [(0,)]


@posix
def test_half_copied_file_waits_and_lock_files_are_never_touched(
        daemon: DaemonProcess, submissions: Submissions) -> None:
    ws = daemon.ws
    inbox = ws / "inbox"
    (source,) = submissions.make(1)
    data = source.read_bytes()
    unit = source.stem.split("_")[0]
    locks = {  # Excel/WPS owner files, a LibreOffice lock, a WPS/Word save temp, a browser download
        inbox / f"~${source.name}": b"\x07owner\x00" * 20,
        inbox / f".~lock.{source.name}#": b",clerk,host,22.11.2026 09:00,file:///C:/Users/clerk;",
        inbox / "~WRL0001.tmp": data[: len(data) // 3],
        inbox / f"{source.name}.crdownload": data,
    }
    daemon.start()
    for path, content in locks.items():
        path.write_bytes(content)
    before = {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in locks}

    target = inbox / source.name
    with open(target, "wb") as fh:  # a network copy that stalls half-way
        fh.write(data[: len(data) // 2])
    old_xls = inbox / f"{unit}_旧版.xlsx"  # an old .xls renamed: no zip at all, rejected without waiting
    old_bytes = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4000
    old_xls.write_bytes(old_bytes)
    daemon.wait_for(lambda: count(ws, "status = 'rejected'") == 1, "the rejection of the file that is no zip")
    daemon.wait_for(lambda: daemon.log_count("尚不完整") >= 1 or count(ws) > 1, "the half-copied file to be seen")
    stalled = time.monotonic()
    while time.monotonic() - stalled < SETTLE * 6:  # stays stalled well past the settle time
        assert target.exists() and count(ws) == 1, "a half-copied file was ingested"
        time.sleep(0.05)
    assert len(archived(ws)) == 1

    with open(target, "ab") as fh:  # the copy resumes and completes
        fh.write(data[len(data) // 2:])
    daemon.wait_for(lambda: count(ws) == 2 and not target.exists(), "the completed file")
    old_sha = hashlib.sha256(old_bytes).hexdigest()
    assert query(ws, "SELECT file_name, status, sha256 FROM submissions ORDER BY id") == [
        (old_xls.name, "rejected", old_sha), (source.name, "accepted", sha256(source))]
    assert daemon.signal(signal.SIGTERM) == 0

    for path, content in locks.items():
        assert path.read_bytes() == content, f"{path.name} was touched"
        assert (path.stat().st_size, path.stat().st_mtime_ns) == before[path]
    assert count(ws) == 2
    assert_archive_exact(ws, {sha256(source), old_sha})
    assert sorted(p.name for p in inbox_files(ws)) == sorted(p.name for p in locks)


KILL_POINTS: dict[str, Callable[[Path], bool]] = {
    # polled right after a commit: lands between the store merge and the receipt / the inbox removal
    "after-merge": lambda ws: count(ws) >= 3,
    # a file in archive/ (or its temp file) that is not in the store yet: between archive and merge
    "after-archive": lambda ws: count(ws) >= 3 and len(archived(ws)) > count(ws),
}


@posix
@pytest.mark.parametrize("kill_point", list(KILL_POINTS))
def test_kill_9_in_the_middle_of_a_burst_loses_and_duplicates_nothing(
        daemon: DaemonProcess, submissions: Submissions, kill_point: str) -> None:
    ws = daemon.ws
    files = submissions.make(30)
    shas = {sha256(f) for f in files}
    daemon.start()
    drop(files, ws / "inbox")
    daemon.wait_for(lambda: KILL_POINTS[kill_point](ws), f"the kill point {kill_point}", poll=0.005)
    daemon.kill9()
    at_kill, archived_at_kill = count(ws), len(archived(ws))
    assert at_kill < 30, "the burst was over before the kill; the test proves nothing"
    assert [p for p in inbox_files(ws)], "files must still be waiting after the kill"

    daemon.start()
    daemon.wait_for(lambda: not inbox_files(ws) and count(ws) == 30, "the rest of the burst after the restart")
    daemon.wait_for(lambda: "已重写汇总表" in daemon.log().split("=== run 2")[1], "the consolidated workbook")
    assert daemon.signal(signal.SIGTERM) == 0
    print(f"\nkill -9 ({kill_point}) with {at_kill} of 30 stored, {archived_at_kill} archived; "
          "the restart finished the rest")

    stored = query(ws, "SELECT sha256, status FROM submissions")
    assert len(stored) == 30
    assert {s for s, _ in stored} == shas
    assert {status for _, status in stored} == {"accepted"}
    assert_archive_exact(ws, shas)
    assert_store_consistent(ws)
    assert len(list((ws / "outbox").rglob("回执_*.xlsx"))) == 30, "every submission has its receipt"
    leftovers = [p for p in (ws / "outbox").rglob("*") if p.is_file() and p.name.startswith(".")]
    assert leftovers == [], "temp files of the killed run left in outbox/"


def land(src: Path, dst: Path, mtime: float) -> None:
    """Copy into the inbox keeping an old modification time (as Explorer or cp -p do); return once
    the clock has moved on, so the next file lands strictly later (file times tick in jiffies)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    os.utime(dst, (mtime, mtime))
    landed = dst.stat().st_ctime_ns
    while time.time_ns() < landed + 20_000_000:
        time.sleep(0.005)


@posix
def test_files_that_arrived_while_down_are_processed_on_start_in_arrival_order(
        daemon: DaemonProcess, submissions: Submissions) -> None:
    ws = daemon.ws
    files = submissions.make(6)
    late = submissions.make(1)[0]
    unit = late.stem.split("_")[0]
    landing = [files[i] for i in (3, 0, 5, 1, 4, 2)] + [late]  # not the order of the names
    targets = [ws / "inbox" / src.name for src in landing[:-1]] + [ws / "inbox" / unit / late.name]
    old = time.time() - 86400
    for n, (src, dst) in enumerate(zip(landing, targets, strict=True)):
        land(src, dst, old - 60 * n)  # modification times in the opposite order: arrival is not mtime
    assert sorted(targets, key=lambda p: p.stat().st_mtime) == targets[::-1]

    daemon.start()
    daemon.wait_for(lambda: count(ws) == 7 and not inbox_files(ws), "the files that arrived while it was down")
    assert daemon.signal(signal.SIGINT) == 0

    assert [r[0] for r in query(ws, "SELECT sha256 FROM submissions ORDER BY id")] == [sha256(f) for f in landing]
    received = [r[0] for r in query(ws, "SELECT received_at FROM submissions ORDER BY id")]
    assert received == sorted(received)
    assert query(ws, "SELECT claimed_unit, status FROM submissions ORDER BY id DESC LIMIT 1") == [
        (unit, "accepted")]


@posix
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_cleanly_between_files(daemon: DaemonProcess, submissions: Submissions, sig: int) -> None:
    ws = daemon.ws
    files = submissions.make(15)
    daemon.start()
    dropped = drop(files, ws / "inbox")
    daemon.wait_for(lambda: count(ws) >= 1, "the first accepted submission")
    assert daemon.signal(sig) == 0
    assert "已停止" in daemon.log()
    assert "Traceback" not in daemon.log()
    assert inbox_files(ws), "stopped mid-burst: the files not yet taken stay in the inbox"

    conn = sqlite3.connect(ws / "store.db", timeout=0)  # not locked: a write transaction starts at once
    conn.execute("BEGIN IMMEDIATE")
    conn.rollback()
    conn.close()
    stored = {r[0] for r in query(ws, "SELECT sha256 FROM submissions")}
    for src, dst in zip(files, dropped, strict=True):
        if sha256(src) in stored:
            assert not dst.exists(), f"{dst.name} was stored but left in the inbox"
        else:
            assert dst.read_bytes() == src.read_bytes(), f"{dst.name} neither stored nor intact in the inbox"
    # Stopped between groups: what is archived is stored, or was read ahead and is still in the inbox.
    ahead = {p.name.split(".")[0] for p in archived(ws)} - stored
    assert len(ahead) <= read_ahead(default_workers()) and ahead <= {sha256(p) for p in inbox_files(ws)}
    assert_archive_exact(ws, stored | ahead)
    assert_store_consistent(ws)
    if stored:  # the last act before stopping: the consolidated workbook shows what was stored
        assert daemon.log_count("已重写汇总表") >= 1


@posix
def test_one_daemon_per_workspace(daemon: DaemonProcess) -> None:
    daemon.start()
    command = [*daemon_command(), "daemon", "--workspace", str(daemon.ws), "--settle", str(SETTLE)]
    second = subprocess.run(command, check=False, capture_output=True, timeout=WAIT, env=clean_env())
    assert second.returncode == 1
    assert "已有守护进程在运行" in second.stderr.decode("utf-8")
    assert daemon.proc is not None and daemon.proc.poll() is None, "the first daemon must keep running"
    assert daemon.signal(signal.SIGTERM) == 0


@posix
def test_missing_receipt_is_written_when_the_stored_file_comes_again(
        daemon: DaemonProcess, submissions: Submissions) -> None:
    """The state a kill between the store merge and the receipt leaves: stored, no receipt, file in inbox."""
    ws = daemon.ws
    (src,) = submissions.make(1)
    daemon.start()
    drop([src], ws / "inbox")
    daemon.wait_for(lambda: count(ws) == 1 and not inbox_files(ws), "the submission")
    (receipt,) = (ws / "outbox").rglob("回执_*.xlsx")
    receipt.unlink()
    drop([src], ws / "inbox")
    daemon.wait_for(lambda: receipt.exists() and not inbox_files(ws), "the receipt to be written again")
    assert daemon.signal(signal.SIGTERM) == 0
    assert count(ws) == 1
    assert_archive_exact(ws, {sha256(src)})


def test_settings_example_lists_every_workspace_setting_with_its_default(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """daemon/xlbridge.toml.example: every Workspace setting (some commented out), each at its default."""
    for name in [n for n in os.environ if n.startswith("XLBRIDGE_")]:
        monkeypatch.delenv(name)
    example = Path(__file__).parents[1] / "daemon" / "xlbridge.toml.example"
    named = set(re.findall(r"^#? ?([a-z_]+) = ", example.read_text(encoding="utf-8"), flags=re.MULTILINE))
    assert named == {f.name for f in dataclasses.fields(Workspace)} - {"root"}

    (tmp_path / "example").mkdir()
    shutil.copyfile(example, tmp_path / "example" / "xlbridge.toml")
    configured, default = Workspace.load(tmp_path / "example"), Workspace.load(tmp_path / "default")
    for f in dataclasses.fields(Workspace):
        mine, theirs = getattr(configured, f.name), getattr(default, f.name)
        if isinstance(mine, Path):
            mine, theirs = mine.relative_to(configured.root), theirs.relative_to(default.root)
        assert mine == theirs, f.name


@posix
def test_a_late_month_rewrites_every_month_it_affects_and_next_ledgers_are_written(
        daemon: DaemonProcess, tmp_path: Path) -> None:
    """June, then a late May: both 汇总 are rewritten; each accepted unit gets its next-month ledger."""
    from ledger_fixtures import UNIT, edited, filled_ledger, set_cells

    ws = daemon.ws
    base = filled_ledger(tmp_path, name="base.xlsx")
    june = edited(base, tmp_path / f"{UNIT}_6月.xlsx", set_cells({"B3": "2021-06"}))
    may = edited(base, tmp_path / f"{UNIT}_5月.xlsx", set_cells({"B3": "2021-05", "I5": "五月的进展"}))
    books = ws / "outbox" / "汇总"
    daemon.start()
    drop([june], ws / "inbox")
    daemon.wait_for(lambda: (books / "汇总台账_2021-06.xlsx").exists() and not inbox_files(ws), "June's 汇总")
    next_july = ws / "outbox" / UNIT / f"{UNIT}_2021-07_工作台账.xlsx"
    daemon.wait_for(next_july.exists, "the pre-filled July ledger")
    june_written = (books / "汇总台账_2021-06.xlsx").stat().st_mtime_ns
    assert not (books / "汇总台账_2021-05.xlsx").exists()

    drop([may], ws / "inbox")
    daemon.wait_for(lambda: (books / "汇总台账_2021-05.xlsx").exists()
                    and (books / "汇总台账_2021-06.xlsx").stat().st_mtime_ns > june_written, "both months rewritten")
    assert daemon.signal(signal.SIGTERM) == 0
    assert query(ws, "SELECT month, submission_id FROM monthly_submissions ORDER BY month")[:2] == [
        ("2021-05", 2), ("2021-06", 1)]
    assert query(ws, "SELECT DISTINCT submission_id FROM current") == [(1,)]  # June stays the state
    assert "汇总台账_2099" not in " ".join(p.name for p in books.iterdir())


@posix
def test_after_the_deadline_the_daemon_issues_next_months_ledgers_once(daemon: DaemonProcess) -> None:
    """next_ledgers = after-deadline, on the real clock: last month closed on the 1st, so this
    month's ledgers go out at start, and a restart does not issue them again."""
    from datetime import date
    today = date.today()
    if today.month == 1:
        pytest.skip("in January the campaign of this year has no closed month yet")
    month = f"{today.year}-{today.month:02d}"
    units = UNITS[:2]
    settings = daemon.ws / "xlbridge.toml"
    text = settings.read_text(encoding="utf-8").replace(f"campaign = {CAMPAIGN}", f"campaign = {today.year}")
    settings.write_text(text + 'next_ledgers = "after-deadline"\n'
                        f'expected_units = [{", ".join(chr(34) + u + chr(34) for u in units)}]\n', encoding="utf-8")
    ledgers = [daemon.ws / "outbox" / u / f"{u}_{month}_工作台账.xlsx" for u in units]
    daemon.start()
    daemon.wait_for(lambda: all(p.exists() for p in ledgers), f"the {month} ledgers")
    assert daemon.signal(signal.SIGTERM) == 0
    ledgers[0].unlink()
    daemon.start()
    assert daemon.signal(signal.SIGTERM) == 0
    assert not ledgers[0].exists()
    assert sorted(p.parent.name for p in (daemon.ws / "outbox").glob("*/*_工作台账.xlsx")) == sorted(units[1:])


@posix
def test_a_killed_runs_temp_file_goes_once_its_writer_is_gone(daemon: DaemonProcess, submissions: Submissions) -> None:
    """A killed daemon's worker can outlive it by a moment and die mid-write: the temp file it leaves
    in archive/ was a live writer's at the start-up sweep. It goes at a later rescan, not never."""
    ws = daemon.ws
    writer = subprocess.Popen(["sleep", "60"])  # stands in for the orphaned worker, alive at the sweep
    try:
        left = ws / "archive" / "ab" / f".{'ab' * 32}.xlsx.{writer.pid}.tmp"
        left.parent.mkdir(parents=True)
        left.write_bytes(b"half a workbook")
        daemon.start()
        daemon.wait_for(lambda: "开始监视" in daemon.log(), "the daemon watching")
        drop(submissions.make(1), ws / "inbox")
        daemon.wait_for(lambda: count(ws) == 1, "a file processed meanwhile")
        assert left.exists(), "its writer lives: the file may still be renamed into place"
        writer.kill()
        writer.wait()
        daemon.wait_for(lambda: not left.exists(), "the temp file removed at a rescan")
        assert daemon.log_count("已删除残留的临时文件") == 1
    finally:
        writer.kill()
        daemon.ensure_stopped()

"""Hostile and clumsy inbox entries, the file-system and concurrency half (issue 12), through a
real daemon process on a real folder: symlinks (to /etc/shadow, to the workspace's own key, to a
folder outside), FIFOs and devices; names of 251 bytes and names the inbox ignores; a second
daemon and `xlbridge ingest` beside a running one; a full disk (a real tmpfs); a 汇总 that cannot
be replaced. Each time: the daemon alive and taking the next good file, the store unchanged, a
Chinese receipt or log line.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from ledger_fixtures import CAMPAIGN, KEY
from submission_fixtures import SYSTEM_ID, Submissions, submissions  # noqa: F401  (a fixture)
from test_daemon import (  # noqa: F401
    SETTLE,
    WAIT,
    DaemonProcess,
    assert_store_consistent,
    clean_env,
    count,
    daemon,
    daemon_command,
    drop,
    inbox_files,
    query,
    sha256,
    workspace,
)
from ws_fixtures import is_chinese, receipt_summary

from xlbridge.service.daemon import RESCAN_SECONDS
from xlbridge.service.inbox import NotRegularFile, read_regular
from xlbridge.xlsx.owned import NAME_MAX

posix = pytest.mark.skipif(sys.platform == "win32", reason="symlinks, FIFOs, flock and tmpfs are POSIX")
pytestmark = posix


# --------------------------------------------------------------------------- helpers
def workspace_contents(ws: Path) -> Iterator[tuple[Path, bytes]]:
    """Every regular file's bytes under ``ws`` (nothing followed), and every member of each zip
    (receipts and 汇总 are compressed: a leak would not show in their raw bytes)."""
    for root, _, names in os.walk(ws):  # os.walk never follows a symlinked folder
        for name in names:
            path = Path(root) / name
            if not stat.S_ISREG(os.lstat(path).st_mode):
                continue
            data = path.read_bytes()
            yield path, data
            if zipfile.is_zipfile(path):
                with zipfile.ZipFile(path) as zf:
                    for member in zf.namelist():
                        yield path / member, zf.read(member)


def places_holding(ws: Path, secret: bytes, besides: frozenset[Path] | set[Path] = frozenset()) -> list[Path]:
    return [p for p, data in workspace_contents(ws) if secret in data and p not in besides]


def refusal_receipts(ws: Path) -> list[Path]:
    return sorted((ws / "outbox").rglob("回执_*退回_*.xlsx"))


def settings(ws: Path, **values: object) -> None:
    with open(ws / "xlbridge.toml", "a", encoding="utf-8") as fh:
        fh.writelines(f'{name} = {value!r}\n'.replace("'", '"') for name, value in values.items())


# --------------------------------------------------------------------------- only regular files
def test_symlinks_fifos_devices_and_symlinked_folders_are_moved_out_unread(
        daemon: DaemonProcess, submissions: Submissions, tmp_path: Path) -> None:
    ws, inbox = daemon.ws, daemon.ws / "inbox"
    good, later = submissions.make(2)
    outside = tmp_path / "elsewhere"  # a folder outside the inbox, with a ledger and a secret in it
    outside.mkdir()
    secret = b"SECRET-" + os.urandom(16).hex().encode()
    (outside / "secret.xlsx").write_bytes(secret)
    shutil.copyfile(good, outside / good.name)
    shadow = Path("/etc/shadow")
    shadow_lines = [ln for ln in shadow.read_bytes().splitlines() if len(ln) >= 16] if os.access(shadow, os.R_OK) else []

    daemon.start()
    unit = good.stem.split("_")[0]
    entries = {
        f"{unit}_shadow.xlsx": "符号链接", f"{unit}_key.xlsx": "符号链接", "司法鉴定管理科": "符号链接",
        f"{unit}_pipe.xlsx": "命名管道（FIFO）",
    }
    (inbox / f"{unit}_shadow.xlsx").symlink_to(shadow)
    (inbox / f"{unit}_key.xlsx").symlink_to(ws / "xlbridge.key")
    (inbox / "司法鉴定管理科").symlink_to(outside, target_is_directory=True)  # a unit's folder that is a symlink
    os.mkfifo(inbox / f"{unit}_pipe.xlsx")  # whoever opens it to read blocks: the daemon must not
    try:
        os.mknod(inbox / f"{unit}_null.xlsx", 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # /dev/null
        entries[f"{unit}_null.xlsx"] = "字符设备"
    except (PermissionError, OSError):
        pass  # not root: no device to make
    drop([good], inbox)  # the next good file is taken as ever

    daemon.wait_for(lambda: count(ws) == 1 and not os.listdir(inbox), "the good file and every entry moved out")
    for name, kind in entries.items():
        moved = ws / "inbox-rejected" / name
        assert os.path.lexists(moved), f"{name} was not moved to inbox-rejected/"
        assert daemon.log_count(f"{name}：是{kind}，不是普通文件，未读取；已移到 inbox-rejected/{name}") == 1
    assert (ws / "inbox-rejected" / f"{unit}_key.xlsx").is_symlink()  # moved as the link it is
    assert len(refusal_receipts(ws)) == len(entries)
    by_name = {receipt_summary(r)["文件名"]: receipt_summary(r) for r in refusal_receipts(ws)}
    assert set(by_name) == set(entries)
    for name, summary in by_name.items():
        assert summary["处理结果"] == "已退回，未读取，未计入汇总"
        assert entries[name] in summary["退回原因"] and is_chinese(summary["说明"])

    # Never re-read in a loop: after a rescan of the whole inbox, still one line and one receipt each.
    time.sleep(RESCAN_SECONDS + 1)
    drop([later], inbox)
    daemon.wait_for(lambda: count(ws) == 2 and not inbox_files(ws), "the next good file")
    assert daemon.log_count("不是普通文件，未读取") == len(entries) and len(refusal_receipts(ws)) == len(entries)
    assert daemon.proc is not None and daemon.proc.poll() is None
    assert daemon.signal(signal.SIGTERM) == 0

    # Nothing of any target is in the workspace: not the secret, not /etc/shadow, not the key (but in its own file).
    assert query(ws, "SELECT status, COUNT(*) FROM submissions GROUP BY status") == [("accepted", 2)]
    assert places_holding(ws, secret) == []
    assert places_holding(ws, KEY.hex().encode(), besides={ws / "xlbridge.key"}) == []
    for line in shadow_lines:
        assert places_holding(ws, line) == [], "a line of /etc/shadow is in the workspace"
    assert_store_consistent(ws)
    # The archive is the coordination group's alone.
    for root, dirs, files in os.walk(ws / "archive"):
        assert stat.S_IMODE(os.stat(root).st_mode) == 0o700, root
        for name in files:
            assert stat.S_IMODE(os.stat(Path(root) / name).st_mode) == 0o600, name

    # status reads the inbox and inbox-rejected/ without following anything, and says what each is.
    status = subprocess.run([*daemon_command(), "status", "-w", str(ws)], capture_output=True, env=clean_env(),
                            timeout=WAIT, check=True).stdout.decode("utf-8")
    assert f"已移出 {len(entries)}" in status
    for name, kind in entries.items():
        assert f"已移出  inbox-rejected/{name}  （{kind}，不是普通文件，未读取；" in status


def test_the_reader_refuses_a_symlink_anywhere_on_the_path(tmp_path: Path) -> None:
    """The last line of defence, for an entry swapped after the daemon looked at it: the read
    itself opens folder by folder with O_NOFOLLOW."""
    inbox, outside = tmp_path / "inbox", tmp_path / "outside"
    inbox.mkdir()
    outside.mkdir()
    (outside / "x.xlsx").write_bytes(b"outside")
    (inbox / "单位").symlink_to(outside, target_is_directory=True)
    (inbox / "link.xlsx").symlink_to(outside / "x.xlsx")
    os.mkfifo(inbox / "pipe.xlsx")
    (inbox / "real").mkdir()
    (inbox / "real" / "ok.xlsx").write_bytes(b"inside")
    with pytest.raises(NotRegularFile, match="是符号链接，不是普通文件"):
        read_regular(inbox / "单位" / "x.xlsx", inbox)
    with pytest.raises(NotRegularFile, match="是符号链接"):
        read_regular(inbox / "link.xlsx", inbox)
    with pytest.raises(NotRegularFile, match="命名管道"):  # opened without blocking, then refused
        read_regular(inbox / "pipe.xlsx", inbox)
    assert read_regular(inbox / "real" / "ok.xlsx", inbox) == b"inside"


# --------------------------------------------------------------------------- any name gets a receipt
def test_a_251_byte_name_of_emoji_gets_its_receipt(daemon: DaemonProcess, submissions: Submissions) -> None:
    ws, inbox = daemon.ws, daemon.ws / "inbox"
    name = "😀" * 61 + "_x.xlsx"  # the unit it claims is 244 bytes; the receipt's name would be 280
    assert len(name.encode()) == 251
    (good,) = submissions.make(1)
    daemon.start()
    (inbox / name).write_bytes(b"not a workbook at all " * 40)
    drop([good], inbox)
    daemon.wait_for(lambda: count(ws) == 2 and not inbox_files(ws), "both files")
    assert daemon.signal(signal.SIGTERM) == 0
    (receipt,) = [p for p in (ws / "outbox").rglob("回执_*.xlsx") if "😀" in p.name]
    assert len(receipt.name.encode()) <= NAME_MAX and len(receipt.parent.name.encode()) <= NAME_MAX
    assert receipt.name.startswith("回执_😀😀😀") and "_月份不明_000001" in receipt.name  # unit and month kept
    assert receipt_summary(receipt)["文件名"] == name and receipt_summary(receipt)["处理结果"] == "已退回，未计入汇总"
    assert query(ws, "SELECT file_name, status FROM submissions ORDER BY id")[0] == (name, "rejected")
    assert [p for p in (ws / "outbox").rglob("*") if p.name.startswith(".")] == []
    assert "Traceback" not in daemon.log()


def test_every_name_the_system_writes_fits_whatever_the_unit_is_called(tmp_path: Path) -> None:
    from xlbridge.service.next_ledgers import next_ledger_path
    from xlbridge.service.receipt import receipt_path
    from xlbridge.service.workspace import Workspace
    from xlbridge.xlsx.owned import fit_name, held_copy, owned_workbook, temp_name

    ws = Workspace.load(tmp_path / "ws")
    long_unit = "😀" * 60  # unit_outbox keeps 60 characters: 240 bytes
    receipt = receipt_path(ws, {"unit": long_unit, "claimed_unit": None, "period": "2021-05", "id": 7})
    ledger = next_ledger_path(ws, long_unit, "2021-06")
    held = held_copy(tmp_path / (fit_name("汇总台账_" + "月" * 90, ".xlsx")))
    for path in (receipt, ledger, held, temp_name(receipt), temp_name(receipt, ".rows"), temp_name(ledger)):
        assert len(path.name.encode()) <= NAME_MAX, path.name
    assert receipt.name.endswith("_2021-05_000007.xlsx") and receipt.name.startswith("回执_😀")
    assert ledger.name.endswith("_2021-06_工作台账.xlsx") and held.name.endswith("（新）.xlsx")
    assert temp_name(receipt).name.endswith(f".{os.getpid()}.tmp.xlsx")  # the stale-temp sweep reads the pid back
    assert fit_name("回执_" + "😀" * 60 + "_2021-05_000008", ".xlsx") != receipt.name  # two long names stay apart
    # and a workbook is really written under such a name, its temp file too
    receipt.parent.mkdir(parents=True)
    with owned_workbook(receipt, small=True) as (wb, _):
        wb.add_worksheet("回执").write_string(0, 0, "回执")
    assert receipt.is_file() and os.listdir(receipt.parent) == [receipt.name]


def test_ignored_names_are_shown_in_status_with_the_reason(tmp_path: Path) -> None:
    from ws_fixtures import make_workspace, run

    ws = make_workspace(tmp_path / "ws")
    (ws.root / "store.db").touch()
    names = {".单位_台账.xlsx": "隐藏文件", "~$单位_台账.xlsx": "Excel/WPS 的锁文件", ".~lock.单位_台账.xlsx#": "LibreOffice",
             "单位_台账.xlsx.part": "未完成的复制或下载", "~WRL0001.tmp": "Office 的临时文件"}
    for name in names:
        (ws.inbox / name).write_bytes(b"x")
    (ws.inbox / "单位_台账.xlsx").write_bytes(b"x")
    result = run("status", "-w", ws.root)
    assert result.exit_code == 0, result.output
    assert "待处理 1，已忽略 5" in result.output
    for name, why in names.items():
        line = next(ln for ln in result.output.splitlines() if f"  {name}  " in ln)
        assert line.strip().startswith("已忽略") and why in line, line
    as_json = run("status", "-w", ws.root, "--json").output
    assert '"reason": "隐藏文件或复制中的临时文件' in as_json


# --------------------------------------------------------------------------- one writer
def test_a_second_daemon_is_refused_even_after_the_lock_file_is_deleted(daemon: DaemonProcess) -> None:
    daemon.start()
    (daemon.ws / ".xlbridge-daemon.lock").unlink()  # the old lock was a file: deleting it let a second one run
    command = [*daemon_command(), "daemon", "--workspace", str(daemon.ws), "--settle", str(SETTLE)]
    second = subprocess.run(command, check=False, capture_output=True, timeout=WAIT, env=clean_env())
    message = second.stderr.decode("utf-8")
    assert second.returncode == 1, message
    assert "已有守护进程" in message and "同一工作区只能运行一个" in message and "Traceback" not in message
    assert daemon.proc is not None and daemon.proc.poll() is None, "the first daemon must keep running"
    assert daemon.signal(signal.SIGTERM) == 0


def test_ingest_beside_a_running_daemon_hands_its_files_to_the_daemon(
        daemon: DaemonProcess, submissions: Submissions, tmp_path: Path) -> None:
    ws = daemon.ws
    files = submissions.make(3)
    daemon.start()
    result = subprocess.run([*daemon_command(), "ingest", "-w", str(ws), *map(str, files)], capture_output=True,
                            timeout=WAIT, env=clean_env(), check=False)
    out, err = result.stdout.decode("utf-8"), result.stderr.decode("utf-8")
    assert result.returncode == 0, out + err
    assert "正在运行：3 个文件已交给它的收件箱" in out and "本命令不直接写中心库" in out
    assert out.count("已接收") == 3 and out.count("回执：") == 3, out
    assert "database is locked" not in out + err + daemon.log()
    assert count(ws, "status = 'accepted'") == 3 and not inbox_files(ws)
    assert {r[0] for r in query(ws, "SELECT sha256 FROM submissions")} == {sha256(f) for f in files}
    for line in (ln for ln in out.splitlines() if "回执：" in ln):
        assert Path(line.split("回执：")[1]).is_file()
    assert daemon.signal(signal.SIGTERM) == 0


def test_a_writer_waits_for_another_instead_of_failing_with_database_is_locked(
        submissions: Submissions, tmp_path: Path) -> None:
    """Another connection (a sqlite3 shell, a backup tool) in a write transaction: ingest waits for
    it (BEGIN IMMEDIATE, busy timeout) instead of failing at once as a plain BEGIN did."""
    import sqlite3

    from ws_fixtures import make_workspace, run

    ws = make_workspace(tmp_path / "ws")
    first, second = submissions.make(2)
    assert run("ingest", "-w", ws.root, first).exit_code == 0
    holder = sqlite3.connect(ws.store, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE submissions SET reason = reason")  # a write that changes nothing
    released = threading.Timer(3.0, lambda: holder.execute("COMMIT"))
    released.start()
    try:
        result = run("ingest", "-w", ws.root, second, "--no-consolidate")
    finally:
        released.join()
        holder.close()
    assert result.exit_code == 0, result.output
    assert "已接收" in result.output and "locked" not in result.output
    assert count(ws.root, "status = 'accepted'") == 2


# --------------------------------------------------------------------------- a full disk
@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 24 MB tmpfs to fill up."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(disk)], capture_output=True, check=False)
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.decode(errors='replace').strip()})")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path) -> Path:
    """Write until the file system says ENOSPC; the filler's path (delete it to free the disk)."""
    filler = disk / "filler.bin"
    with open(filler, "ab", buffering=0) as fh:  # unbuffered: closing it writes nothing more
        try:
            while True:
                fh.write(b"\0" * (1 << 16))
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    for n in range(1000):  # the last blocks a small write could still take
        try:
            with open(disk / f"filler-{n}.bin", "wb", buffering=0) as fh:
                fh.write(b"\0" * 512)
        except OSError:
            break
    return filler


def free(disk: Path) -> None:
    for path in disk.glob("filler*.bin"):
        path.unlink()


def listing(root: Path) -> list[str]:
    """Every file under ``root`` (folders made on the way, e.g. the archive's fan-out, are no leftovers)."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if not p.is_dir())


def test_writes_on_a_full_disk_fail_cleanly_and_leave_no_temp_file(small_disk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from xlbridge.errors import XlbridgeError
    from xlbridge.ledger.writer import write_ledger
    from xlbridge.service.prepare import archive_bytes
    from xlbridge.service.workspace import Workspace
    from xlbridge.system.files import load_system
    from xlbridge.xlsx.owned import owned_workbook

    ws = Workspace.load(small_disk / "ws").ensure()
    (ws.outbox / "汇总").mkdir()
    fill(small_disk)
    before = listing(small_disk)
    with pytest.raises(XlbridgeError, match="磁盘空间已满"):
        with owned_workbook(ws.outbox / "汇总" / "汇总台账_2021-05.xlsx") as (wb, st):  # constant_memory parts
            sheet = wb.add_worksheet("明细")
            for row in range(20_000):
                sheet.write_string(row, 0, "法治政府建设" * 20, st.text)
    with pytest.raises(XlbridgeError, match="磁盘空间已满"):
        with owned_workbook(ws.outbox / "回执_单位_2021-05_000001.xlsx", small=True) as (wb, st):
            wb.add_worksheet("回执").write_string(0, 0, "回执" * 30_000)
    with pytest.raises(OSError):
        archive_bytes(ws, os.urandom(1 << 20), "ab" * 32, ".xlsx")
    with pytest.raises(XlbridgeError, match="磁盘空间已满"):
        write_ledger(load_system(SYSTEM_ID), "司法鉴定管理科", CAMPAIGN, ws.outbox / "司法鉴定管理科_2021-06_工作台账.xlsx", KEY)
    assert listing(small_disk) == before, "a failed write left a file behind"
    assert "ZipFile" not in capsys.readouterr().err  # no zip left open, to fail again when collected


def test_the_daemon_on_a_full_disk_says_so_keeps_everything_and_goes_on_when_there_is_room(
        submissions: Submissions, small_disk: Path, tmp_path: Path) -> None:
    ws = small_disk / "ws"
    ws.mkdir()
    (ws / "xlbridge.key").write_text(KEY.hex() + "\n", encoding="ascii")
    inbox = tmp_path / "inbox"  # on another disk, as a share would be: units can still drop files
    inbox.mkdir()
    (ws / "xlbridge.toml").write_text(f'system = "{SYSTEM_ID}"\ncampaign = {CAMPAIGN}\ndebounce_ms = 300\n'
                                      f'inbox = "{inbox}"\n', encoding="utf-8")
    first, second, third = submissions.make(3)
    daemon = DaemonProcess(ws)
    daemon.log_path = tmp_path / "daemon.log"  # not on the disk that fills up
    try:
        daemon.start()
        drop([first], inbox)
        daemon.wait_for(lambda: count(ws) == 1 and not os.listdir(inbox), "the first file")
        daemon.wait_for(lambda: daemon.log_count("已重写汇总表") >= 1, "its 汇总")
        stored = query(ws, "SELECT id, sha256, status FROM submissions")

        fill(small_disk)  # the disk fills up while the daemon runs
        drop([second], inbox)
        daemon.wait_for(lambda: daemon.log_count("处理失败") >= 1, "the failure on the full disk")
        assert daemon.proc is not None and daemon.proc.poll() is None, "the daemon died of a full disk"
        assert os.listdir(inbox) == [second.name], "the file must wait in the inbox"
        assert daemon.signal(signal.SIGTERM) == 0

        # Started on a full disk: it says so in Chinese, keeps the file waiting, no traceback.
        daemon.start()
        daemon.wait_for(lambda: daemon.log_count("磁盘空间已满或将满") >= 1, "the full-disk warning")
        daemon.wait_for(lambda: daemon.log_count("（磁盘空间已满，已存储的数据未改变）") >= 2, "the waiting file tried again")
        assert "Traceback" not in daemon.log()
        assert os.listdir(inbox) == [second.name]
        leftovers = [p for p in listing(ws) if Path(p).name.startswith((".", "tmp")) and "lock" not in p]
        assert leftovers == [], "temp files left on the full disk"
        assert query(ws, "SELECT id, sha256, status FROM submissions") == stored  # nothing stored lost

        free(small_disk)  # room again: the waiting file (touched, as a new copy would be) and the next go on
        os.utime(inbox / second.name)
        drop([third], inbox)
        daemon.wait_for(lambda: count(ws) == 3 and not os.listdir(inbox), "the waiting file and the next one")
        assert daemon.signal(signal.SIGTERM) == 0
        assert count(ws, "status = 'accepted'") == 3
        assert_store_consistent(ws)
    finally:
        daemon.ensure_stopped()


# --------------------------------------------------------------------------- a held 汇总
def test_a_held_consolidated_workbook_gets_its_new_version_beside_it_and_a_back_off(
        daemon: DaemonProcess, submissions: Submissions) -> None:
    ws = daemon.ws
    settings(ws, consolidate_retry_seconds=1.0)
    target = ws / "outbox" / "汇总" / "汇总台账_2021-05.xlsx"
    target.mkdir(parents=True)  # something in the file's place that cannot be replaced (as a workbook open on Windows)
    beside = target.with_name("汇总台账_2021-05（新）.xlsx")
    first, second = submissions.make(2)
    daemon.start()
    drop([first], ws / "inbox")
    daemon.wait_for(lambda: beside.is_file(), "the new version beside the held one")
    daemon.wait_for(lambda: daemon.log_count("汇总表暂未更新") >= 1, "the first retry's log line")
    assert "新版本已写为 汇总台账_2021-05（新）.xlsx" in daemon.log()
    watched = time.monotonic()
    drop([second], ws / "inbox")  # the next good file is still taken
    daemon.wait_for(lambda: count(ws) == 2 and not inbox_files(ws), "the next file")
    time.sleep(max(0.0, 6.0 - (time.monotonic() - watched)))
    # 1 s, 2 s, 4 s…: a handful of attempts in 6 s, where the old loop rebuilt it 1.5 times a second
    attempts = daemon.log_count("汇总表暂未更新")
    assert 2 <= attempts <= 5, attempts
    for line in (ln for ln in daemon.log().splitlines() if "汇总表暂未更新" in ln):
        assert "秒后重试" in line
    retries = [int(ln.rsplit("；", 1)[1].split()[0]) for ln in daemon.log().splitlines() if "汇总表暂未更新" in ln]
    assert retries == sorted(retries) and retries[-1] > retries[0], f"no back-off: {retries}"

    target.rmdir()  # released: the next retry writes the real one and drops the stand-in
    daemon.wait_for(lambda: target.is_file() and not beside.exists(), "the 汇总 itself", timeout=WAIT + 30)
    assert daemon.signal(signal.SIGTERM) == 0
    assert [p for p in (ws / "outbox").rglob("*") if p.name.startswith((".", "tmp"))] == []


def test_folder_names_from_a_file_never_leave_the_outbox(tmp_path: Path) -> None:
    """A unit or a round is read from the submitted file, signed or not: "../.." stays a name."""
    from xlbridge.service.workspace import Workspace
    from xlbridge.supervision.receipt import round_folder

    ws = Workspace.load(tmp_path / "ws")
    for hostile in ("../../../tmp/x", "..", "/etc", "a/../../b", "\x00\n"):
        for folder in (ws.unit_outbox(hostile), round_folder(ws, hostile)):
            assert folder.resolve().is_relative_to(ws.outbox.resolve()) and folder.parent.name in ("outbox", "督导检查"), folder
    assert round_folder(ws, "..").name == "轮次不明" and ws.unit_outbox("/").name == "未识别单位"


def test_ingest_given_a_symlink_refuses_it_and_takes_the_rest(submissions: Submissions, tmp_path: Path) -> None:
    from ws_fixtures import make_workspace, run

    ws = make_workspace(tmp_path / "ws")
    (good,) = submissions.make(1)
    link = tmp_path / "司法鉴定管理科_链接.xlsx"
    link.symlink_to(ws.key_file)
    result = run("ingest", "-w", ws.root, link, good, "--no-consolidate")
    assert result.exit_code == 1  # one file failed
    assert f"失败  {link.name}  {link.name}：是符号链接，不是普通文件，不读取" in result.output
    assert "已接收" in result.output and count(ws.root, "status = 'accepted'") == 1 and count(ws.root) == 1
    assert places_holding(ws.root, KEY.hex().encode(), besides={ws.key_file}) == []

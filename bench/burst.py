"""6. daemon — 500 files dropped at once into the inbox of a real `xlbridge daemon` process.

What issue 12 measured (last receipt 4.9 s, daemon 60 MB), so that the file-system checks and the
one-writer lock do not make it regress: the daemon started with the settings as shipped and
watching; the files copied into its inbox as clerks do (a temp name, then renamed), the clock
started before the first copy. Reported: the time to the last receipt and to the 汇总, and the
peak RSS (VmHWM) of the daemon and of the processes below it. Baseline in the same run:
`xlbridge ingest` of the same files into an empty workspace, receipts and 汇总 included.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from report import banner, mb, ratio, sec, table, verdict

ISSUE_12 = (4.9, 60.0)  # the 500-file burst as issue 12 measured it: last receipt (s), daemon peak RSS (MB)


def bench_daemon(args: Any, synth: Any) -> dict[str, Any]:
    banner(f"6. {args.burst} files at once through a real `xlbridge daemon` (settings as shipped)")
    data = synth.ingest_files(args.out, args.burst, args.burst_per_unit)
    files = data["files"]
    print(f"input: {len(files)} signed ledgers of {len(files)} units × {args.burst_per_unit * 5} rows, Excel-style; "
          f"{mb(sum(p.stat().st_size for p in files))} in all")
    print("method: the daemon started and watching; the files copied into its inbox as clerks do (a temp name,")
    print("        then renamed), the clock started before the first copy; receipts counted in outbox/ every 20 ms;")
    print("        VmHWM of the daemon and of each of its worker processes read from /proc just before SIGTERM.")
    print("        Baseline in the same run: `xlbridge ingest` of the same files into an empty workspace (receipts")
    print("        and 汇总 included), its VmHWM polled while it runs")
    work = args.out / f"daemon-{os.getpid()}"
    burst = _daemon_burst(work / "daemon", files, data, synth)  # on failure the workspace and log stay
    batch = _ingest_batch(work / "ingest", files, data, synth)
    shutil.rmtree(work, ignore_errors=True)
    issue_s, issue_mb = ISSUE_12
    rows = [
        ["daemon: last receipt", sec(burst["last_receipt"]), "", ratio(burst["last_receipt"], batch["seconds"]),
         f"issue 12: {issue_s} s"],
        ["daemon: 汇总 written", sec(burst["consolidated"]), "", ratio(burst["consolidated"], batch["seconds"]), ""],
        ["daemon process peak RSS (VmHWM)", "", f"{burst['daemon_mb']:.0f} MB", "", f"issue 12: {issue_mb:.0f} MB"],
        ["  of which: started and watching; at the last receipt", "",
         f"{burst['start_mb']:.0f}; {burst['receipts_mb']:.0f} MB", "", ""],
        [f"the {burst['workers']} processes below it (fork server, workers): the largest", "",
         f"{burst['worker_mb']:.0f} MB", "", ""],
        ["baseline: xlbridge ingest, same files", sec(batch["seconds"]), f"{batch['peak_mb']:.0f} MB", "1.00×",
         "receipts and 汇总 included"],
    ]
    print()
    print(table(["what", "time", "peak RSS", "/ ingest", "reference"], rows))
    ok = burst["last_receipt"] <= 1.5 * batch["seconds"] and burst["daemon_mb"] <= issue_mb
    print(f"\ngoal: last receipt ≤ 1.5× `xlbridge ingest` of the same files ({ratio(burst['last_receipt'], batch['seconds'])}) "
          f"and daemon ≤ issue 12's {issue_mb:.0f} MB → {verdict(ok)}")
    return {**burst, "ingest": batch["seconds"], "goal": ok}


def _burst_workspace(root: Path, data: dict[str, Any], synth: Any) -> Path:
    root.mkdir(parents=True)
    (root / "xlbridge.key").write_text(synth.KEY.hex() + "\n", encoding="ascii")
    (root / "xlbridge.toml").write_text(f'system = "{data["system_path"]}"\ncampaign = {synth.CAMPAIGN}\n', encoding="utf-8")
    return root


def _xlbridge_command() -> list[str]:
    script = Path(sys.executable).with_name("xlbridge")
    return [str(script)] if script.exists() else [sys.executable, "-m", "xlbridge"]


def _daemon_burst(root: Path, files: list[Path], data: dict[str, Any], synth: Any) -> dict[str, Any]:
    ws = _burst_workspace(root, data, synth)
    inbox, outbox, log_path = ws / "inbox", ws / "outbox", ws.parent / "daemon.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([*_xlbridge_command(), "daemon", "-w", str(ws)], stdout=log, stderr=log,
                                stdin=subprocess.DEVNULL)
    try:
        _poll(lambda: "开始监视" in log_path.read_text(encoding="utf-8", errors="replace"), proc, log_path)
        start_mb = _vm_hwm(proc.pid)
        t0 = time.perf_counter()
        for src in files:
            tmp = inbox / f".{src.name}.part"
            shutil.copyfile(src, tmp)
            os.replace(tmp, inbox / src.name)
        _poll(lambda: sum(1 for _ in outbox.rglob("回执_*.xlsx")) >= len(files), proc, log_path)
        last_receipt = time.perf_counter() - t0
        receipts_mb = _vm_hwm(proc.pid)
        _poll(lambda: (ws / "outbox" / "汇总" / f"汇总台账_{synth.PERIOD}.xlsx").exists() and not os.listdir(inbox),
              proc, log_path)
        consolidated = time.perf_counter() - t0
        workers = _descendants(proc.pid)
        daemon_mb, worker_mb = _vm_hwm(proc.pid), max((_vm_hwm(p) for p in workers), default=0.0)
        stored = sqlite3.connect(ws / "store.db").execute(
            "SELECT COUNT(*) FROM submissions WHERE status = 'accepted'").fetchone()[0]
        if stored != len(files):
            raise SystemExit(f"daemon benchmark: {stored} of {len(files)} accepted; see {log_path}")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    return {"last_receipt": last_receipt, "consolidated": consolidated, "daemon_mb": daemon_mb,
            "start_mb": start_mb, "receipts_mb": receipts_mb,
            "worker_mb": worker_mb, "workers": len(workers)}


def _ingest_batch(root: Path, files: list[Path], data: dict[str, Any], synth: Any) -> dict[str, Any]:
    ws = _burst_workspace(root, data, synth)
    t0 = time.perf_counter()
    proc = subprocess.Popen([*_xlbridge_command(), "ingest", "-w", str(ws), *map(str, files)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, _vm_hwm(proc.pid))
        time.sleep(0.02)
    seconds = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"xlbridge ingest failed: {proc.stderr.read().decode(errors='replace')[-2000:]}")
    return {"seconds": seconds, "peak_mb": peak}


def _poll(condition: Callable[[], bool], proc: subprocess.Popen[bytes], log_path: Path, timeout: float = 600) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if proc.poll() is not None or time.perf_counter() > deadline:
            raise SystemExit(f"daemon benchmark: the daemon {'exited' if proc.poll() is not None else 'timed out'}; "
                             f"see {log_path}")
        time.sleep(0.02)


def _vm_hwm(pid: int) -> float:
    """VmHWM of a live process in MB (0 if it is gone or this is no Linux)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            return next((int(line.split()[1]) / 1024 for line in fh if line.startswith("VmHWM:")), 0.0)
    except OSError:
        return 0.0


def _descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (the fork server and the workers it forked)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found, frontier = [], [pid]
    while frontier:
        below = [child for child, parent in parents.items() if parent in frontier]
        found += below
        frontier = below
    return found

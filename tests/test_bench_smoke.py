"""The benchmark script runs: a tiny validate benchmark in a subprocess. No timing is asserted
(timings belong to `python bench/run.py`, on a quiet machine); this only keeps the script working
as xlbridge changes. Without the bench extras the frictionless column shows n/a."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_validate_quick_runs(tmp_path: Path) -> None:
    cmd = [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--only", "validate", "--rows", "100",
           "--repeat", "1", "--no-libreoffice", "--out", str(tmp_path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "1. Validate a 100-row ledger" in out
    for header in ("calamine read", "xlbridge validate", "frictionless", "xlbridge/calamine", "goal ≤1.5×"):
        assert header in out, out
    for kind in ("openpyxl", "excel"):
        assert any(line.startswith(kind + " ") for line in out.splitlines()), out
    assert "not valid" not in out


def test_bench_month_quick_runs(tmp_path: Path) -> None:
    """The month benchmark end to end on six units: both months through the daemon's own code,
    the naive loop beside them, the latency into a full year; every file accepted (the script
    stops otherwise). No timing is asserted."""
    cmd = [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--only", "month", "--units", "6",
           "--out", str(tmp_path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "5. A month end to end, as the daemon does it: 6 ledgers × 200 rows" in out
    for line in ("month 1: xlbridge daemon, to everything done", "month 2: xlbridge daemon, to everything done",
                 "month 1: xlbridge daemon, to the last user-visible output", "month 1: naive pandas.read_excel + to_sql",
                 "a December ledger (the latest month)", "a December ledger, the 汇总 cache lost"):
        assert line in out, out
    month2 = next(line for line in out.splitlines() if line.startswith("month 2: xlbridge daemon, to everything done"))
    assert "1,200 rows" in month2  # six units × 200 rows, all stored, only new texts indexed
    assert "2021-03, 2021-04" in out  # a late March rewrites every later month's 汇总 (their 趋势 shows March)

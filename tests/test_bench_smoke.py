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
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "1. Validate a 100-row ledger" in out
    for header in ("calamine read", "xlbridge validate", "frictionless", "xlbridge/calamine", "goal ≤1.5×"):
        assert header in out, out
    for kind in ("openpyxl", "excel"):
        assert any(line.startswith(kind + " ") for line in out.splitlines()), out
    assert "not valid" not in out

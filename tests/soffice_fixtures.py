"""Running a real LibreOffice (soffice, headless) from the tests, and reading what it printed
with poppler (pdfinfo, pdftotext).

Each soffice process gets its own profile directory (``-env:UserInstallation``) so parallel
pytest-xdist workers never share one, and every call has a timeout; a hung soffice is killed
with its whole process group. Not a conftest: test modules import what they use.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
CONVERT_TIMEOUT = 90  # a cold first start with a fresh profile takes a few seconds; CI machines are slower


def profile(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A fresh LibreOffice user profile for one soffice process."""
    return f"-env:UserInstallation={tmp_path_factory.mktemp('lo-profile').as_uri()}"


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Kill the soffice process group we started (soffice → oosplash → soffice.bin)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)


def run(args: list[str], timeout: float, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop(proc)
        pytest.fail(f"timed out after {timeout} s: {' '.join(args)}")
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def to_pdf(files: list[Path], outdir: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Print each workbook to PDF as LibreOffice prints it (every sheet, its page setup), in one
    soffice run; the PDFs in the order of ``files`` (names must differ by stem)."""
    outdir.mkdir(parents=True, exist_ok=True)
    args = [SOFFICE, profile(tmp_path_factory), "--headless", "--norestore", "--nologo",
            "--convert-to", "pdf", "--outdir", str(outdir), *map(str, files)]
    done = run(args, CONVERT_TIMEOUT * 2)
    pdfs = [outdir / f"{f.stem}.pdf" for f in files]
    missing = [p.name for p in pdfs if not p.exists()]
    assert done.returncode == 0 and not missing, (
        f"soffice --convert-to pdf failed (exit {done.returncode}, missing {missing}): "
        f"{done.stdout.decode(errors='replace')}{done.stderr.decode(errors='replace')}")
    return pdfs


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, timeout=60, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def page_texts(pdf: Path, mode: str = "-layout") -> list[str]:
    """Each page's text (pdftotext ``-layout`` keeps a table's columns on a line; ``-raw`` keeps
    the order LibreOffice drew the text in: cell by cell)."""
    out = subprocess.run(["pdftotext", mode, str(pdf), "-"], capture_output=True, text=True, timeout=60, check=True).stdout
    pages = out.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


__all__ = ["CONVERT_TIMEOUT", "SOFFICE", "page_count", "page_texts", "profile", "run", "stop", "to_pdf"]

"""What every benchmark shares: timing helpers, the table printer, the naive baseline loop."""

from __future__ import annotations

import gc
import os
import platform
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self


def optional(name: str) -> Any:
    try:
        return __import__(name)
    except ImportError:
        return None


def interleaved(fns: dict[str, Callable[[], Any]], repeat: int) -> tuple[dict[str, list[float]], dict[str, Any]]:
    """Times of each function, run round-robin (one warm-up round first) so that every one of
    them sees the same background load. Each starts after a full collection, so that none pays
    for collecting the garbage of the one before. Returns the times per round and each last result."""
    last = {name: fn() for name, fn in fns.items()}
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            last[name] = None
            gc.collect()
            t = time.perf_counter()
            last[name] = fn()
            times[name].append(time.perf_counter() - t)
    return times, last


def load() -> str:
    try:
        return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return ""


def table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(_width(r[i]) for r in cells) for i in range(len(headers))]
    out = []
    for n, r in enumerate(cells):
        out.append("  ".join(c + " " * (w - _width(c)) for c, w in zip(r, widths)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def ms(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds * 1000:.0f} ms"


def sec(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds:.2f} s"


def ratio(a: float | None, b: float | None) -> str:
    return "n/a" if a is None or b is None or b == 0 else f"{a / b:.2f}×"


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("MET" if ok else "NOT MET")


def mb(n_bytes: float) -> str:
    return f"{n_bytes / 1e6:.1f} MB"


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    import openpyxl
    import xlsxwriter

    parts = [f"Python {platform.python_version()}", f"{os.cpu_count()} CPUs"]
    for dist in ("python-calamine", "openpyxl", "xlsxwriter", "pandas", "frictionless"):
        try:
            parts.append(f"{dist} {version(dist)}")
        except PackageNotFoundError:
            parts.append(f"{dist} (not installed)")
    del openpyxl, xlsxwriter
    return ", ".join(parts)


def banner(title: str) -> None:
    print(f"\n=== {title} " + "=" * max(3, 90 - len(title)), flush=True)


class Stages:
    """Wrap module attributes to sum the time spent in them (a name missing in this version is skipped)."""

    def __init__(self, targets: list[tuple[Any, str]]) -> None:
        self.targets = [(m, n) for m, n in targets if hasattr(m, n)]
        self.times: dict[str, float] = {}
        self._saved: list[tuple[Any, str, Any]] = []

    def __enter__(self) -> Self:
        for module, name in self.targets:
            real = getattr(module, name)
            self._saved.append((module, name, real))
            setattr(module, name, self._wrap(name, real))
        return self

    def _wrap(self, name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*a: Any, **k: Any) -> Any:
            t = time.perf_counter()
            try:
                return real(*a, **k)
            finally:
                self.times[name] = self.times.get(name, 0.0) + time.perf_counter() - t
        return timed

    def __exit__(self, *exc: object) -> None:
        for module, name, real in reversed(self._saved):
            setattr(module, name, real)


class Naive:
    """The issue's naive loop: pandas.read_excel (openpyxl) + DataFrame.to_sql, per file."""

    def __init__(self, db_path: Path) -> None:
        import pandas as pd

        self.pd, self.conn, self.rows = pd, sqlite3.connect(str(db_path)), 0
        self.times = {"read_excel": 0.0, "to_sql": 0.0}

    def __call__(self, path: Path) -> None:
        t = time.perf_counter()
        df = self.pd.read_excel(path, sheet_name="台账", header=3, engine="openpyxl")
        t1 = time.perf_counter()
        df.to_sql("rows", self.conn, if_exists="append", index=False)
        self.times["read_excel"] += t1 - t
        self.times["to_sql"] += time.perf_counter() - t1
        self.rows += len(df)


def timed_loop(loop: Callable[[Path], None], files: list[Path]) -> float:
    t = time.perf_counter()
    for path in files:
        loop(path)
    return time.perf_counter() - t

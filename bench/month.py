"""5. month — a campaign month end to end, as the daemon does it, beside the naive loop in the same run.

Month 1 (2021-05): 300 ledgers × 200 rows, every row new, into an empty store. Month 2 (2021-06,
carried forward): the same 300 units send back the ledgers that `ledgers next` wrote from month 1
(the real write_next_ledgers), a fifth of the rows changed, into the store month 1 left.

The xlbridge side is the daemon's own code: ``Daemon.take`` (worker processes archive and
validate ahead, this process merges in arrival order and writes each receipt), then
``Daemon.after_burst`` (every affected month's 汇总, each accepted unit's pre-filled ledger for
the next month, the search index), with the daemon's settings and its worker processes (started
inside the timing). Left out: watching the folder and the deliberate waits (settle_seconds
before a file is read, debounce_ms before the 汇总), which are waits, not work.

Latency: a store holding a full year (12 months × 60 units × 200 rows) gets one more ledger;
the time to its receipt and to every affected 汇总 rewritten.
"""

from __future__ import annotations

import shutil
import sqlite3
import statistics
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from report import Naive, Stages, banner, optional, ratio, sec, table, timed_loop, verdict

GOALS = {"month 1": 2.0, "month 2": 6.0}
LATENCY_GOAL = 2.0
YEAR_UNITS = 60


def workspace(root: Path, data: dict[str, Any], synth: Any, **settings: Any) -> Any:
    """A fresh workspace on the benchmark's system, with the benchmark's signing key."""
    from xlbridge.service.workspace import Workspace

    shutil.rmtree(root, ignore_errors=True)
    ws = Workspace.load(root, system=str(data["system_path"]), campaign=synth.CAMPAIGN, **settings).ensure()
    ws.key_file.write_text(synth.KEY.hex(), encoding="ascii")
    return ws


def into_inbox(ws: Any, files: list[Path]) -> list[Path]:
    paths = []
    for path in files:
        shutil.copy2(path, ws.inbox / path.name)
        paths.append(ws.inbox / path.name)
    return paths


def stage_targets() -> list[tuple[Any, str]]:
    import xlbridge.service.daemon as daemon_mod
    import xlbridge.service.ingest as ingest_mod
    from xlbridge.service import store

    return [(store, "merge_submission"), (ingest_mod, "write_receipt"), (daemon_mod.Daemon, "_consolidated"),
            (daemon_mod.Daemon, "_write_next_ledgers"), (daemon_mod.Daemon, "_refresh_search")]


def daemon_month(ws: Any, paths: list[Path]) -> tuple[float, dict[str, float], list[Any]]:
    """The daemon's work on ``paths``, timed whole: seconds, time per stage, the outcomes."""
    from xlbridge.gc_tuning import batch_gc
    from xlbridge.ledger.signature import load_key
    from xlbridge.service import store
    from xlbridge.service.daemon import Daemon
    from xlbridge.service.workers import Preparer

    outcomes: list[Any] = []
    daemon = Daemon(ws, on_outcome=outcomes.append)
    with Stages(stage_targets()) as stages:
        shown: list[float] = []  # when the last user-visible output was written (the next-month ledgers, after the 汇总)
        timed = Daemon._write_next_ledgers

        def noted(self: Any, db: Any, jobs: Any) -> None:
            timed(self, db, jobs)
            shown.append(time.perf_counter())

        Daemon._write_next_ledgers = noted  # type: ignore[method-assign]
        t = time.perf_counter()
        try:
            with batch_gc(), Preparer(ws, load_key(ws.key_file), ws.workers) as preparer:  # as Daemon.run
                db = store.open_store(ws.store)
                try:
                    daemon.take(db, preparer, paths)
                    daemon.after_burst(db)
                finally:
                    db.close()
            seconds = time.perf_counter() - t
        finally:
            Daemon._write_next_ledgers = timed  # type: ignore[method-assign]
        stages.times["user-visible"] = shown[-1] - t
    bad = [o for o in outcomes if o.status != "accepted"]
    if bad or len(outcomes) != len(paths):
        raise SystemExit(f"month benchmark: {len(outcomes)} of {len(paths)} files taken, e.g. {bad[:1]}")
    from xlbridge.service.next_ledgers import following_month, next_ledger_path

    missing = [o.unit for o in outcomes if not next_ledger_path(ws, o.unit, following_month(o.period)).exists()]
    if missing:
        raise SystemExit(f"month benchmark: no next-month ledger for {len(missing)} units, e.g. {missing[0]}")
    return seconds, stages.times, outcomes


def checkpointed_copy(src: Path, dst: Path) -> None:
    """The store as a new daemon would find it: its WAL folded in, copied."""
    conn = sqlite3.connect(str(src))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)


def bench_month(args: Any, synth: Any) -> dict[str, Any]:
    banner(f"5. A month end to end, as the daemon does it: {args.units} ledgers × {args.per_unit * 5} rows")
    month1 = synth.ingest_files(args.out, args.units, args.per_unit)
    month2 = synth.carried_files(args.out, month1)
    files = {"month 1": month1["files"], "month 2": month2}
    print(f"month 1 ({synth.PERIOD}): {len(month1['files'])} Excel-style ledgers, every row new, into an empty store")
    print(f"month 2 ({synth.NEXT_PERIOD}): the ledgers `ledgers next` wrote from month 1, a fifth of the rows changed, "
          "into month 1's store")
    print(f"method: {args.month_rounds} round(s) of naive month 1, xlbridge month 1, naive month 2, xlbridge month 2; "
          "medians")
    work = args.out / "month-run"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    times: dict[str, list[float]] = {f"{kind} {m}": [] for m in files for kind in ("naive", "xlbridge", "shown")}
    stages: dict[str, dict[str, float]] = {}
    naive_parts: dict[str, dict[str, float]] = {}
    rows_new: dict[str, int] = {}
    has_pandas = optional("pandas") is not None
    try:
        for round_ in range(args.month_rounds):
            first_store = None
            for month, paths in files.items():
                if has_pandas:
                    naive = Naive(work / f"naive-{round_}-{month[-1]}.db")
                    times[f"naive {month}"].append(timed_loop(naive, paths))
                    naive.conn.close()
                    naive_parts[month] = naive.times
                ws = workspace(work / f"ws-{month[-1]}", month1, synth)
                if first_store is not None:  # month 1's store, and the 汇总 cache its daemon left beside it
                    checkpointed_copy(first_store, ws.store)
                    shutil.copytree(work / "month1-cache", ws.cache_dir, dirs_exist_ok=True)
                before = _counts(ws.store)
                seconds, parts, _ = daemon_month(ws, into_inbox(ws, paths))
                times[f"xlbridge {month}"].append(seconds)
                times[f"shown {month}"].append(parts["user-visible"])
                stages[month] = parts
                rows_new[month] = _counts(ws.store)[1] - before[1]
                if first_store is None:
                    first_store = work / "month1-store.db"
                    checkpointed_copy(ws.store, first_store)
                    shutil.copytree(ws.cache_dir, work / "month1-cache", dirs_exist_ok=True)
                texts = _counts(ws.store)
                stages[month]["texts"] = texts[2] - before[2]
        results = report_months(args, files, times, stages, naive_parts, rows_new)
        latency = bench_latency(args, synth, month1, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print()
    print(table(["latency: one arrival into a full year", "receipt", "every affected 汇总", "months rewritten",
                 f"goal ≤ {LATENCY_GOAL:.0f} s"],
                [[case, sec(r["receipt"]), sec(r["total"]), r["months"], verdict(r["total"] <= LATENCY_GOAL)]
                 for case, r in latency.items()]))
    print("  (processing only: a daemon waits settle_seconds before reading a file and debounce_ms before the 汇总)")
    return {"months": results, "latency": latency}


def report_months(args: Any, files: dict[str, list[Path]], times: dict[str, list[float]],
                  stages: dict[str, dict[str, float]], naive_parts: dict[str, dict[str, float]],
                  rows_new: dict[str, int]) -> dict[str, Any]:
    med = {k: statistics.median(v) if v else None for k, v in times.items()}
    rows, results = [], {}
    for month in files:
        naive_t, xl_t = med[f"naive {month}"], med[f"xlbridge {month}"]
        goal = GOALS[month]
        ok = None if naive_t is None else naive_t >= goal * xl_t
        results[month] = {"naive": naive_t, "xlbridge": xl_t, "goal": ok, "stages": stages[month]}
        parts = stages[month]
        rows.append([f"{month}: naive pandas.read_excel + to_sql", sec(naive_t), "1.00×" if naive_t else "n/a", "",
                     ", ".join(f"{k} {sec(v)}" for k, v in naive_parts.get(month, {}).items())])
        shown_t = med[f"shown {month}"]
        results[month]["user-visible"] = shown_t
        rows.append([f"{month}: xlbridge daemon, to the last user-visible output", sec(shown_t), ratio(naive_t, shown_t),
                     f"≥ {goal:.0f}× {verdict(None if naive_t is None else naive_t >= goal * shown_t)}",
                     "receipts, every affected 汇总, next month's ledgers (the search index still running)"])
        rows.append([f"{month}: xlbridge daemon, to everything done", sec(xl_t), ratio(naive_t, xl_t), f"≥ {goal:.0f}× {verdict(ok)}",
                     f"{rows_new[month]:,} rows, {int(parts.get('texts', 0)):,} new texts indexed"])
        shown = {"merge_submission": "merge", "write_receipt": "receipts", "_consolidated": "汇总 (built in the workers, waited for)",
                 "_write_next_ledgers": "next-month ledgers (waited for after the 汇总)",
                 "_refresh_search": "search index (its parts in the workers, after the rest)"}
        other = xl_t - sum(parts.get(k, 0.0) for k in shown)
        rows.append(["  of which (last round)", "", "", "",
                     ", ".join(f"{label} {sec(parts.get(k))}" for k, label in shown.items())
                     + f", archive + validate (workers) + rest {sec(other)}"])
        rows.append(["", "", "", "", ("(the search index runs beside the 汇总 and the ledgers, at the lowest CPU priority: "
                                     "the parts add up to more)")])
    print()
    print(table(["what", "time", "naive / this", "goal", "notes"], rows))
    if args.month_rounds > 1:
        print("rounds: " + "; ".join(f"{k} {' / '.join(sec(t) for t in v)}" for k, v in times.items() if v))
    return results


def _counts(db_path: Path) -> tuple[int, int, int]:
    """Submissions, rows and stored texts (0 where the store has no table of them yet)."""
    if not db_path.exists():
        return 0, 0, 0
    conn = sqlite3.connect(str(db_path))
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        texts = conn.execute("SELECT COUNT(*) FROM texts").fetchone()[0] if "texts" in tables else 0
        return (conn.execute("SELECT COUNT(*) FROM submissions").fetchone()[0],
                conn.execute("SELECT COUNT(*) FROM rows").fetchone()[0], texts)
    finally:
        conn.close()


# --------------------------------------------------------------------------- latency
def bench_latency(args: Any, synth: Any, month1: dict[str, Any], work: Path) -> dict[str, dict[str, Any]]:
    """A full year of 60 units in the store (each unit's month-1 ledger, validated once for real,
    stored for every month as the merge stores it); then one ledger arrives, timed."""
    from xlbridge.service import store
    from xlbridge.service.consolidate import campaign_months, consolidate
    from xlbridge.service.ingest import merge_group
    from xlbridge.service.prepare import prepare

    n = min(YEAR_UNITS, len(month1["files"]))
    units = [u.name for u in month1["system"].units][:n]
    ws = workspace(work / "year", month1, synth, expected_units=units)
    sources = month1["files"][:n]
    prepared = [prepare(ws, path, synth.KEY) for path in sources]
    months = campaign_months(synth.CAMPAIGN)
    t = time.perf_counter()
    db = store.open_store(ws.store)
    try:
        for number, month in enumerate(months, start=1):
            group = [_as_month(p, month, number) for p in prepared]
            bad = [o for o in merge_group(ws, db, group) if getattr(o, "status", None) != "accepted"]
            if bad:
                raise SystemExit(f"latency setup: {bad[0]!r}")
        store.refresh_search(db)
        for month in months:  # the year's 汇总, as the daemon wrote them month by month
            consolidate(ws, db, month)
    finally:
        db.close()
    print(f"latency store: {n} units × 12 months × {args.per_unit * 5} rows stored, each month's 汇总 written, in "
          f"{sec(time.perf_counter() - t)} (setup, untimed)")
    out = {}
    cases = {
        "a December ledger (the latest month)": ("2021-12", sources[0], False),
        "a March ledger re-sent late (later months exist)": ("2021-03", sources[1], False),
        "a December ledger, the 汇总 cache lost (cache/ deleted)": ("2021-12", sources[2], True),
    }
    for case, (month, source, lost) in cases.items():
        arrival = ws.inbox / f"{units[sources.index(source)]}_{month}.xlsx"
        _edited_copy(source, arrival, month, synth)
        if lost:  # every 明细 piece and every month's 趋势 figures built again from the store
            shutil.rmtree(ws.cache_dir, ignore_errors=True)
        out[case] = _one_arrival(ws, arrival)
    return out


def _as_month(p: Any, month: str, number: int) -> Any:
    """The prepared month-1 file as that month's submission (its own bytes' hash, arrived on time)."""
    import copy

    q = copy.copy(p)
    q.sha256 = f"{p.sha256[:-8]}{number:08d}"
    q.received = datetime(int(month[:4]), int(month[5:]), 25, 9, 0)
    q.validation = copy.copy(p.validation)
    q.validation.header = {**p.validation.header, "period": month}
    return q


def _edited_copy(src: Path, dst: Path, month: str, synth: Any) -> None:
    """The unit's ledger for ``month``: 报送月份 set and every fifth 进度说明 rewritten, as a clerk saves it."""
    import openpyxl

    from xlbridge.ledger import layout as L

    wb = openpyxl.load_workbook(src)
    ws = wb[L.LEDGER_SHEET]
    f = L.HEADER_FIELD["period"]
    ws.cell(f.row, f.value_col, month)
    col = L.COLUMN["description"].index
    for row in range(L.FIRST_DATA_ROW, ws.max_row + 1, 5):
        if ws.cell(row, col).value:
            ws.cell(row, col, synth.long_text(f"{dst.name}|{row}"))
    wb.save(dst)


def _one_arrival(ws: Any, path: Path) -> dict[str, Any]:
    from xlbridge.gc_tuning import batch_gc
    from xlbridge.ledger.signature import load_key
    from xlbridge.service import store
    from xlbridge.service.daemon import Daemon
    from xlbridge.service.workers import Preparer

    outcomes: list[Any] = []
    daemon = Daemon(ws, on_outcome=outcomes.append)
    rewritten: list[Any] = []
    real: Callable[..., Any] = Daemon._consolidated  # a month's 汇总 waited for (built in a worker)

    def counted(self: Any, db: Any, month: str | None, future: Any) -> Any:
        rewritten.append(month)
        return real(self, db, month, future)

    with batch_gc(), Preparer(ws, load_key(ws.key_file), ws.workers) as preparer:
        db = store.open_store(ws.store)
        Daemon._consolidated = counted  # type: ignore[method-assign]
        try:
            t = time.perf_counter()
            daemon.take(db, preparer, [path])
            receipt = time.perf_counter() - t
            daemon.after_burst(db)
            total = time.perf_counter() - t
        finally:
            Daemon._consolidated = real  # type: ignore[method-assign]
            db.close()
    if [o.status for o in outcomes] != ["accepted"]:
        raise SystemExit(f"latency arrival not accepted: {outcomes}")
    return {"receipt": receipt, "total": total, "months": ", ".join(m or "?" for m in rewritten)}

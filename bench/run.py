"""xlbridge benchmarks: each one measured against its baseline in the same run.

    .venv/bin/python bench/run.py            # full run (first run generates ~300 ledgers, cached)
    .venv/bin/python bench/run.py --quick    # smoke run, well under a minute
    .venv/bin/python bench/run.py --only validate,ingest,consolidated

1. validate      — a 2,000-row ledger from disk: python-calamine read alone vs xlbridge
                   validate_file (read + all rules) vs frictionless with equivalent rules
                   (proven first on rows that break them), on an Excel-style file, the
                   openpyxl-written one and a LibreOffice re-save.
2. ingest        — 300 Excel-style ledgers × 200 rows into an empty store: naive pandas
                   read_excel + to_sql loop vs calamine + executemany vs xlbridge ingest_file
                   (archive + validate + merge; receipts and consolidation timed separately).
3. consolidated  — the consolidated workbook of that store (60,000-row 明细), each case in a fresh
                   subprocess for its peak RSS: xlbridge consolidate() vs openpyxl write-only
                   (styled) and xlsxwriter constant_memory writing the same rows.
4. bounds        — the cost of the checks run before any reader (xlsx/bounds.py) on a normal
                   200-row ledger: the bounds scan (which also finds the formulas) vs the formula
                   pass it replaced, as a share of validate_file (goal: the difference < 5 %).
5. month         — a campaign month end to end as the daemon does it (bench/month.py): 300 ledgers
                   × 200 rows, month 1 into an empty store and a carried-forward month 2 from the
                   ledgers `ledgers next` wrote, beside the naive loop; and the latency of one
                   arrival into a store holding a full year (60 units × 12 months).
6. daemon        — 500 files dropped at once into the inbox of a real `xlbridge daemon`: time to the
                   last receipt and to the 汇总, peak RSS of the daemon and its workers, against
                   `xlbridge ingest` of the same files in the same run (bench/burst.py).

Inputs are generated through xlbridge's own writer and sample clerk (bench/synth.py) and cached
in bench/out/ (gitignored). Needs the bench extras (pandas, frictionless): pip install -e '.[bench]';
without them those baselines are shown as n/a.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

# bench/synth.py (imported in main(), not here: the subprocess cases of benchmark 3 must not pay for
# xlbridge, pydantic and friends when they measure a library baseline's memory)
synth: Any = None
CAMPAIGN, PERIOD = 2021, "2021-05"  # = synth.CAMPAIGN, synth.PERIOD
DEFAULT_OUT = HERE / "out"
BENCHMARKS = ("validate", "ingest", "consolidated", "bounds", "month", "daemon")

from report import (
    Naive,
    Stages,
    banner,
    interleaved,
    load,
    mb,
    ms,
    optional,
    ratio,
    sec,
    table,
    timed_loop,
    verdict,
    versions,
)

# --------------------------------------------------------------------------- 1. validate
FILE_NOTES = {
    "excel": "Excel-style: every value re-saved by xlsxwriter's default mode, as Excel saves — one "
             "sharedStrings table, <v> values, one style",
    "openpyxl": "openpyxl-written: xlbridge write_ledger + sample.fill_ledger as issued (openpyxl 3.1 writes "
                "every string inline, t=\"inlineStr\", no sharedStrings; per-cell styles, validations)",
    "libreoffice": "LibreOffice re-save of the openpyxl-written file (soffice --convert-to xlsx): sharedStrings, "
                   "what a clerk on LibreOffice/WPS sends back",
}


def frictionless_validator(path: Path, system: Any, unit: str) -> Callable[[], Any] | None:
    """frictionless with the rules xlbridge applies that frictionless can say, on the 台账 sheet:
    required cells, the choices, length limits, phone and link formats, the unit's own indicator
    codes and the campaign's years, one row per year and code (a table schema), and no link on a
    涉密 row (a row constraint)."""
    frictionless = optional("frictionless")
    if frictionless is None:
        return None
    from frictionless import Checklist, Dialect, Resource, Schema, checks, formats

    from xlbridge.check.engine import _PHONE, _URL
    from xlbridge.ledger import layout as L

    bare = lambda pattern: pattern.removeprefix("^").removesuffix("$")
    url = bare(_URL.pattern)
    special: dict[str, dict[str, Any]] = {
        "year": {"minimum": min(system.years), "maximum": max(system.years)},
        "code": {"enum": sorted({i.key for i in system.assigned(unit)})},
        "phone": {"pattern": bare(_PHONE.pattern)},
        "links": {"pattern": f"{url}(?:\\s+{url})*"},  # links one per line, as xlbridge accepts them plainly
    }

    def field(col: Any) -> dict[str, Any]:
        f: dict[str, Any] = {"name": col.header, "type": "integer" if col.key == "year" else "string"}
        c: dict[str, Any] = dict(special.get(col.key, {}))
        if col.key in ("year", "code") or col.required:
            c["required"] = True
        if col.choices:
            c["enum"] = list(col.choices)
        if col.max_length:
            c["maxLength"] = col.max_length
        if c:
            f["constraints"] = c
        return f

    schema = Schema.from_descriptor({
        "fields": [field(c) for c in L.COLUMNS],
        "primaryKey": [L.COLUMN["year"].header, L.COLUMN["code"].header],
    })
    dialect = Dialect(header_rows=[L.HEADER_ROW], controls=[formats.ExcelControl(sheet=L.LEDGER_SHEET)])
    # A rule across cells of a row, as frictionless says one (simpleeval, cells named by header). The
    # materials half of it, and the link 网络检索 indicators need, are left out: the materials
    # header is not a Python name, and the codes would be a literal of every such code, parsed per row.
    secret, links = L.COLUMN["secret"].header, L.COLUMN["links"].header
    checklist = Checklist(checks=[checks.row_constraint(formula=f"{secret} != '{L.SECRET_YES}' or not {links}")])

    def run() -> Any:
        resource = Resource(path=path.name, basepath=str(path.parent), format="xlsx", schema=schema, dialect=dialect)
        return resource.validate(checklist)

    return run


def baseline_bites(excel_file: Path, system: Any, unit: str, out: Path) -> str:
    """Proof that the frictionless baseline checks what it is said to: the benchmark ledger's first
    rows, each but the first changed to break one rule, must fail on that rule and nothing else."""
    import xlsxwriter
    from python_calamine import CalamineWorkbook

    from xlbridge.ledger import layout as L

    grid = CalamineWorkbook.from_path(str(excel_file)).get_sheet_by_name(L.LEDGER_SHEET).to_python(skip_empty_area=False)
    col = {c.key: c.index - 1 for c in L.COLUMNS}
    # what to change → the error frictionless must give (its type, and a word of its note)
    breaks = {
        "已完成 without 进度说明": ({"progress": L.PROGRESS_DONE, "description": ""}, "constraint-error", "required"),
        "涉密 with a link": ({"secret": L.SECRET_YES, "links": "https://www.example.gov.cn/a"}, "row-constraint", "涉密"),
        "完成进度 off the list": ({"progress": "完成"}, "constraint-error", "enum"),
        "进度说明 over 1,000": ({"description": "长" * 1200}, "constraint-error", "maxLength"),
        "phone malformed": ({"phone": "12345"}, "constraint-error", "pattern"),
        "link malformed": ({"links": "www.example.gov.cn"}, "constraint-error", "pattern"),
        "code not the unit's": ({"code": "Z-999"}, "constraint-error", "enum"),
        "year outside the campaign": ({"year": min(system.years) - 1}, "constraint-error", "minimum"),
        "duplicate 年度+指标编号": ({}, "primary-key", ""),
    }
    first = L.HEADER_ROW
    if len(grid) <= first + len(breaks):
        return f"frictionless baseline not proven: the ledger has fewer than {len(breaks) + 1} rows"
    rows = [grid[first]]
    for i, (change, _, _) in enumerate(breaks.values(), start=1):
        row = list(grid[first] if not change else grid[first + i])
        for key, value in change.items():
            row[col[key]] = value
        rows.append(row)
    path = out / "baseline-bites.xlsx"
    with xlsxwriter.Workbook(path) as wb:
        ws = wb.add_worksheet(L.LEDGER_SHEET)
        for r, row in enumerate(grid[:first] + rows):
            ws.write_row(r, 0, ["" if v is None else v for v in row])
    report = frictionless_validator(path, system, unit)()  # type: ignore[misc]
    got: dict[int, list[tuple[str, str]]] = {}
    for error in report.tasks[0].errors:
        got.setdefault(error.row_number, []).append((error.type, error.note))
    wrong = []
    for number, (name, (_, kind, word)) in enumerate(breaks.items(), start=first + 2):
        errors = got.pop(number, [])
        if len(errors) != 1 or errors[0][0] != kind or word not in errors[0][1]:
            wrong.append(f"{name}: {errors}")
    if wrong or got:  # what is left in got: errors on rows that break nothing
        raise SystemExit(f"the frictionless baseline does not check what it is said to: {wrong or got}")
    return f"frictionless baseline proven first on {len(breaks)} rows that each break one rule: {'; '.join(breaks)}"


def bench_validate(args: argparse.Namespace) -> dict[str, Any]:
    from python_calamine import CalamineWorkbook

    from xlbridge.check.engine import validate_grid
    from xlbridge.check.files import validate_file
    from xlbridge.gc_tuning import batch_gc
    from xlbridge.ledger import layout as L
    from xlbridge.ledger.reader import read_ledger
    from xlbridge.system.files import load_system

    banner(f"1. Validate a {args.rows:,}-row ledger from disk (medians of {args.repeat} interleaved rounds after a "
           "warm-up)")
    data = synth.validate_files(args.out, args.rows, libreoffice=not args.no_libreoffice)
    system_path = data["system_path"]
    system = load_system(system_path)
    print(f"ledger: {data['unit']}, {len(system.indicators)} indicators × {len(system.years)} years = "
          f"{args.rows:,} rows, 进度说明 300–600 Chinese characters each, filled validly by sample.clerk_answer")
    for kind, path in data["files"].items():
        print(f"  {kind:<11} {path.relative_to(args.out.parent) if path.is_relative_to(args.out.parent) else path}"
              f" ({mb(path.stat().st_size)})\n              {FILE_NOTES[kind]}")

    if optional("frictionless") is not None:
        print(baseline_bites(data["files"]["excel"], system, data["unit"], args.out))
    rows, breakdown, spread, results = [], [], [], {}
    for kind, path in data["files"].items():
        def calamine() -> Any:
            return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(L.LEDGER_SHEET).to_python(skip_empty_area=False)

        def xl() -> Any:
            return validate_file(path, str(system_path), synth.KEY)

        grid = read_ledger(path)
        def rules() -> Any:
            with batch_gc():  # as validate_file runs them
                return validate_grid(grid, system, synth.KEY)

        def read() -> Any:
            with batch_gc():
                return read_ledger(path)

        fns = {"calamine": calamine, "xlbridge": xl, "read": read, "rules": rules}
        fr = frictionless_validator(path, system, data["unit"])
        if fr is not None:
            fns["frictionless"] = fr
        times, last = interleaved(fns, args.repeat)
        medians = {name: statistics.median(ts) for name, ts in times.items()}
        t_cal, t_xl, t_read, t_rules = (medians[k] for k in ("calamine", "xlbridge", "read", "rules"))
        grid_rows, result = last["calamine"], last["xlbridge"]
        if not result.valid:
            raise SystemExit(f"benchmark input is not valid: {path}: {result.summary}")
        t_fr, fr_note = None, "frictionless not installed"
        if fr is not None:
            t_fr, report = medians["frictionless"], last["frictionless"]
            # frictionless alone varies by up to 2× between rounds; the ratio within each round shows it.
            paired = sorted(f / x for f, x in zip(times["frictionless"], times["xlbridge"], strict=True))
            spread.append([kind, ratio(paired[0], 1), ratio(statistics.median(paired), 1), ratio(paired[-1], 1),
                           f"{sum(r >= 5 for r in paired)} of {len(paired)}"])
            task = report.tasks[0]
            fr_note = (f"valid, {task.stats['rows']} rows" if report.valid
                       else f"{len(task.errors)} errors, e.g. {task.errors[0].message[:80]}")
        ok_cal = t_xl <= 1.5 * t_cal
        ok_fr = None if t_fr is None else t_fr >= 5 * t_xl
        results[kind] = {"calamine": t_cal, "xlbridge": t_xl, "frictionless": t_fr, "goal_calamine": ok_cal,
                         "goal_frictionless": ok_fr}
        rows.append([kind, ms(t_cal), ms(t_xl), ms(t_fr), ratio(t_xl, t_cal), verdict(ok_cal), ratio(t_fr, t_xl),
                     verdict(ok_fr)])
        breakdown.append([kind, len(grid_rows), ms(t_read), ms(t_rules), (f"{len(result.findings)} findings "
                          f"({sum(f.severity.value == 'warning' for f in result.findings)} warnings: 进度说明 > 500 字)"),
                          fr_note])
    print()
    print(table(["file", "calamine read", "xlbridge validate", "frictionless", "xlbridge/calamine", "goal ≤1.5×",
                 "frictionless/xlbridge", "goal ≥5×"], rows))
    print()
    if spread:
        print("frictionless/xlbridge round by round (both timed in the same round):")
        print(table(["file", "lowest", "median", "highest", "rounds ≥5×"], spread))
        print()
    print("where xlbridge's time goes (medians; read_ledger = bounds scan (which finds the formulas) + calamine 台账 + meta sheet):")
    print(table(["file", "sheet rows", "read_ledger", "validate_grid (rules)", "xlbridge result", "frictionless result"],
                breakdown))
    return results


# --------------------------------------------------------------------------- 2. ingest
class CalamineExecutemany:
    """python-calamine read of the 台账 sheet + one executemany and commit per file."""

    def __init__(self, db_path: Path) -> None:
        from xlbridge.ledger import layout as L

        self.width, self.first = len(L.COLUMNS), L.FIRST_DATA_ROW - 1
        self.conn, self.rows = sqlite3.connect(str(db_path)), 0
        self.conn.execute(f"CREATE TABLE rows ({', '.join(f'c{i} TEXT' for i in range(self.width))})")
        self.sql = f"INSERT INTO rows VALUES ({','.join('?' * self.width)})"
        self.times = {"read": 0.0, "insert+commit": 0.0}

    def __call__(self, path: Path) -> None:
        from python_calamine import CalamineWorkbook

        t = time.perf_counter()
        grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("台账").to_python()
        t1 = time.perf_counter()
        data = [(list(r) + [None] * self.width)[: self.width] for r in grid[self.first:]]
        self.conn.executemany(self.sql, data)
        self.conn.commit()
        self.times["read"] += t1 - t
        self.times["insert+commit"] += time.perf_counter() - t1
        self.rows += len(data)


def new_workspace(ws_root: Path, files: list[Path], data: dict[str, Any]) -> tuple[Any, list[Path]]:
    """An empty workspace whose system is the synthetic one, the files copied into its inbox
    (ingest_file removes what it took from the inbox)."""
    from xlbridge.service.workspace import Workspace

    if ws_root.exists():
        shutil.rmtree(ws_root)
    ws = Workspace.load(ws_root, system=str(data["system_path"]), campaign=synth.CAMPAIGN).ensure()
    for path in files:
        shutil.copy2(path, ws.inbox / path.name)
    return ws, [ws.inbox / p.name for p in files]


def stage_breakdown(files: list[Path], ws_root: Path, data: dict[str, Any]) -> dict[str, float]:
    """Per-file time of each stage on one process (ingest_file, no workers, no receipts), on a sample."""
    import xlbridge.service.ingest as ingest_mod
    import xlbridge.service.prepare as prepare_mod
    from xlbridge.gc_tuning import batch_gc
    from xlbridge.service import store

    ws, inbox = new_workspace(ws_root, files, data)
    db = store.open_store(ws.store)
    targets = [(prepare_mod, "archive_bytes"), (prepare_mod, "read_ledger"), (prepare_mod, "read_ledger_bytes"),
               (prepare_mod, "validate_grid"),
               (store, "merge_submission")]
    real_receipt, ingest_mod.write_receipt = ingest_mod.write_receipt, lambda *a, **k: None
    try:
        with batch_gc(), Stages(targets) as stages:
            t = time.perf_counter()
            check_outcomes([ingest_mod.ingest_file(ws, db, p, synth.KEY) for p in inbox])
            total = time.perf_counter() - t
    finally:
        ingest_mod.write_receipt = real_receipt
    db.close()
    return {"total": total, **stages.times}


def check_outcomes(outcomes: list[Any]) -> None:
    bad = [o for o in outcomes if getattr(o, "status", None) != "accepted"]
    if bad:
        raise SystemExit(f"benchmark ledger not accepted: {bad[0]!r}")


def xlbridge_ingest(files: list[Path], ws_root: Path, data: dict[str, Any]) -> None:
    """Just build the store (untimed), for benchmark 3 when benchmark 2 did not run."""
    from xlbridge.service.workers import default_workers

    ws, inbox = new_workspace(ws_root, files, data)
    check_outcomes(_xlbridge_round(ws, inbox, default_workers())[2])


def bench_ingest(args: argparse.Namespace) -> dict[str, Any]:
    from xlbridge.service import store
    from xlbridge.service.consolidate import consolidate
    from xlbridge.service.receipt import write_receipt
    from xlbridge.service.workers import default_workers
    from xlbridge.system import files as schema_io

    banner(f"2. Ingest {args.units} Excel-style ledgers × {args.per_unit * 5} rows into an empty store")
    data = synth.ingest_files(args.out, args.units, args.per_unit)
    files = data["files"]
    size = sum(p.stat().st_size for p in files)
    print(f"input: {len(files)} signed ledgers of {data['system'].id}, each written by write_ledger, filled by "
          f"fill_ledger (进度说明 300–600 字) and re-saved Excel-style (sharedStrings); {mb(size)} in all")
    workers = default_workers()
    print(f"method: {args.ingest_rounds} round(s), each taking all files through every loop in turn (naive, then calamine,")
    print(f"        then xlbridge as `xlbridge ingest` runs it: {workers} worker processes archive and validate the files")
    print("        ahead while this process merges them in order; worker start-up and loading the indicator system")
    print("        are inside the timing); medians of the rounds. Receipts, the search index and the consolidated")
    print("        workbook are timed afterwards, each once, on the last round's store")
    work = args.out / f"run-{os.getpid()}"
    work.mkdir(parents=True, exist_ok=True)
    ws_root = data["base"] / "workspace"
    try:
        times: dict[str, list[float]] = {"naive": [], "calamine": [], "xlbridge": []}
        naive = cal = None
        for round_ in range(args.ingest_rounds):
            if optional("pandas"):
                naive = Naive(work / f"naive-{round_}.db")
                times["naive"].append(timed_loop(naive, files))
                naive.conn.close()
            cal = CalamineExecutemany(work / f"calamine-{round_}.db")
            times["calamine"].append(timed_loop(cal, files))
            cal.conn.close()
            ws, inbox = new_workspace(ws_root, files, data)
            schema_io._load_cached.cache_clear()  # as in a new `xlbridge ingest` process: the system is read in the timing
            seconds, commits, outcomes = _xlbridge_round(ws, inbox, workers)
            times["xlbridge"].append(seconds)
        totals = {name: statistics.median(ts) if ts else None for name, ts in times.items()}
        db = store.open_store(ws.store)
        check_outcomes(outcomes)
        t = time.perf_counter()
        for outcome in outcomes:
            write_receipt(ws, db, outcome.submission_id)
        t_receipts = time.perf_counter() - t
        t = time.perf_counter()
        store.refresh_search(db)
        t_search = time.perf_counter() - t
        t = time.perf_counter()
        consolidate(ws, db, synth.PERIOD)
        t_cons = time.perf_counter() - t
        xl_rows = db.execute("SELECT COUNT(*) FROM rows").fetchone()[0]
        db.close()
        sample = files[: min(len(files), 30)]
        stages = stage_breakdown(sample, work / "stages", data)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    t_naive, pipeline = totals["naive"], totals["xlbridge"]
    per = lambda s: "n/a" if s is None else f"{s / len(files) * 1000:.0f} ms"
    parts = lambda d: ", ".join(f"{k} {sec(v)}" for k, v in d.items())
    per_sample = lambda s: f"{s / len(sample) * 1000:.1f} ms"
    stage_parts = ", ".join(f"{k.replace('_bytes', '').replace('_submission', '')} {per_sample(v)}"
                            for k, v in stages.items() if k != "total")
    rows = [
        ["naive: pandas.read_excel + DataFrame.to_sql per file", sec(t_naive), per(t_naive),
         naive.rows if naive else "n/a", "1.00×" if naive else "n/a", parts(naive.times) if naive else ""],
        ["python-calamine + one executemany per file", sec(totals["calamine"]), per(totals["calamine"]), cal.rows,
         ratio(t_naive, totals["calamine"]), parts(cal.times)],
        ["xlbridge ingest: archive + validate + merge", sec(pipeline), per(pipeline), xl_rows,
         ratio(t_naive, pipeline), f"{workers} worker processes prepare; merged here in {commits} commits"],
        [f"  the same on one process, first {len(sample)} files", "", per_sample(stages["total"]), "", "",
         stage_parts],
        ["xlbridge receipts afterwards (one per file)", sec(t_receipts), per(t_receipts), "", "", ""],
        ["xlbridge search index refresh afterwards (once)", sec(t_search), "", "", "", ""],
        ["xlbridge consolidate() afterwards (once)", sec(t_cons), "", "", "", ""],
        ["xlbridge all of the above", sec(pipeline + t_receipts + t_search + t_cons), "", "",
         ratio(t_naive, pipeline + t_receipts + t_search + t_cons), ""],
    ]
    print()
    print(table(["method", "time", "per file", "rows stored", "naive / this", "parts (last round)"], rows))
    if args.ingest_rounds > 1:
        print("rounds: " + "; ".join(f"{name} {' / '.join(sec(t) for t in ts)}" for name, ts in times.items() if ts))
    ok = None if t_naive is None else t_naive >= 4 * pipeline
    print(f"\ngoal: xlbridge ingest (archive + validation + merge) ≥ 4× faster than the naive loop: "
          f"{ratio(t_naive, pipeline)} → {verdict(ok)}")
    return {"naive": t_naive, "calamine": totals["calamine"], "pipeline": pipeline, "receipts": t_receipts,
            "search": t_search, "consolidate": t_cons, "goal": ok, "ws": ws_root}


def _xlbridge_round(ws: Any, inbox: list[Path], workers: int) -> tuple[float, int, list[Any]]:
    """`xlbridge ingest` of the inbox into an empty store, receipts left out: seconds, commits, outcomes."""
    import xlbridge.service.ingest as ingest_mod
    from xlbridge.gc_tuning import batch_gc
    from xlbridge.service import store
    from xlbridge.service.workers import Preparer

    real_receipt, ingest_mod.write_receipt = ingest_mod.write_receipt, lambda *a, **k: None
    commits, outcomes = 0, []
    try:
        t = time.perf_counter()
        with batch_gc(), Preparer(ws, synth.KEY, workers, fork=True).start(inbox) as preparer:
            db = store.open_store(ws.store)  # an empty store: created here, inside the timing
            for group in ingest_mod.ingest_groups(ws, db, preparer, inbox):
                commits += 1
                outcomes.extend(outcome for _, outcome in group)
        seconds = time.perf_counter() - t
        db.close()
    finally:
        ingest_mod.write_receipt = real_receipt
    return seconds, commits, outcomes


# --------------------------------------------------------------------------- 3. consolidated
DETAIL_SQL = """
    WITH snap AS (
        SELECT unit, MAX(id) AS sid FROM submissions
        WHERE status = 'accepted' AND system_id = :system AND campaign = :campaign AND period <= :period
        GROUP BY unit)
    SELECT s.unit, r.year, i.code, i.level1, r.progress, r.description, r.materials, r.links,
           CASE r.secret WHEN 1 THEN '是' ELSE '否' END, r.person, r.phone, sub.period
    FROM snap s
    JOIN submissions sub ON sub.id = s.sid
    JOIN rows r ON r.submission_id = s.sid
    JOIN indicators i ON i.system_id = sub.system_id AND i.key = r.indicator_key
    ORDER BY s.unit, r.id
"""
DETAIL_HEADERS = ["单位", "年度", "指标编号", "一级指标", "完成进度", "进度说明", "上报材料", "网址链接", "涉密", "责任人", "联系电话",
                  "报送月份"]


def _rss_mb() -> float:
    """Peak RSS of this process so far, in MiB.

    Linux: VmHWM of /proc/self/status, the high-water mark of this process's own address space.
    getrusage's ru_maxrss is not usable here: it survives fork + exec, so a child of the
    (larger) benchmark process would report the parent's size. Elsewhere: ru_maxrss.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    scale = 1 if sys.platform != "darwin" else 1024  # KiB on Linux, bytes on macOS
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / scale


def child(case: str, ws_root: Path, system_path: Path, out: Path) -> None:
    """One case in this fresh process; prints a JSON line with time and peak RSS."""
    start_rss = _rss_mb()
    if case == "xlbridge":  # (sqlite-utils would import pandas and numpy of the bench venv: xlbridge hides them)
        from xlbridge.service import store
        from xlbridge.service.consolidate import consolidate
        from xlbridge.service.workspace import Workspace

        ws = Workspace.load(ws_root, system=str(system_path), campaign=CAMPAIGN)
        db = store.open_store(ws.store)
        import_rss = _rss_mb()
        t, c = time.perf_counter(), time.process_time()
        path = consolidate(ws, db, PERIOD)
        elapsed, cpu = time.perf_counter() - t, time.process_time() - c
        rows = sum(1 for _ in db.execute("SELECT 1 FROM (" + DETAIL_SQL + ")",
                                         {"system": _system_id(system_path), "campaign": CAMPAIGN,
                                          "period": PERIOD}))
        size = path.stat().st_size
        shutil.copyfile(path, out)
    else:
        conn = sqlite3.connect(str(ws_root / "store.db"))
        params = {"system": _system_id(system_path), "campaign": CAMPAIGN, "period": PERIOD}
        if case == "openpyxl":
            import openpyxl
            from openpyxl.cell import WriteOnlyCell
            from openpyxl.styles import Alignment, Border, Font, Side

            import_rss = _rss_mb()
            t, c = time.perf_counter(), time.process_time()
            wb = openpyxl.Workbook(write_only=True)
            ws = wb.create_sheet("明细")
            thin = Side(style="thin", color="BFBFBF")
            font, border = Font(name="等线", size=10), Border(left=thin, right=thin, top=thin, bottom=thin)
            align = Alignment(wrap_text=True, vertical="top")

            def styled(value: Any) -> Any:
                cell = WriteOnlyCell(ws, value=value)
                cell.font, cell.border, cell.alignment = font, border, align
                return cell

            ws.append([styled(h) for h in DETAIL_HEADERS])
            rows = 0
            for values in conn.execute(DETAIL_SQL, params):
                ws.append([styled(v) for v in values])
                rows += 1
            wb.save(out)
            elapsed, cpu = time.perf_counter() - t, time.process_time() - c
        elif case == "xlsxwriter":
            import xlsxwriter

            import_rss = _rss_mb()
            t, c = time.perf_counter(), time.process_time()
            wb = xlsxwriter.Workbook(str(out), {"constant_memory": True, "strings_to_formulas": False,
                                                "strings_to_numbers": False, "strings_to_urls": False})
            ws = wb.add_worksheet("明细")
            fmt = wb.add_format({"font_name": "等线", "font_size": 10, "valign": "top", "text_wrap": True, "border": 1,
                                 "border_color": "#BFBFBF"})
            ws.write_row(0, 0, DETAIL_HEADERS, fmt)
            rows = 0
            for values in conn.execute(DETAIL_SQL, params):
                rows += 1
                ws.write_row(rows, 0, values, fmt)
            wb.close()
            elapsed, cpu = time.perf_counter() - t, time.process_time() - c
        else:
            raise SystemExit(f"unknown case {case}")
        size = out.stat().st_size
    print(json.dumps({"case": case, "seconds": elapsed, "cpu": cpu, "peak_rss_mb": _rss_mb(), "start_rss_mb": start_rss,
                      "import_rss_mb": import_rss, "rows": rows, "size": size}))


def _system_id(system_path: Path) -> str:
    return system_path.stem


def bench_consolidated(args: argparse.Namespace, ingest: dict[str, Any] | None) -> dict[str, Any]:
    n_rows = args.units * args.per_unit * 5
    banner(f"3. Consolidated workbook with a {n_rows:,}-row 明细 (each case in a fresh subprocess)")
    data = synth.ingest_files(args.out, args.units, args.per_unit)
    ws_root = ingest["ws"] if ingest else data["base"] / "workspace"
    if not (ws_root / "store.db").exists():
        print("  (no ingested store cached yet: ingesting the ledgers once, untimed)")
        xlbridge_ingest(data["files"], ws_root, data)
    work = args.out / f"run-{os.getpid()}"
    work.mkdir(parents=True, exist_ok=True)
    cases = ["xlbridge", "xlsxwriter", "openpyxl"]
    runs: dict[str, list[dict[str, Any]]] = {case: [] for case in cases}
    try:
        for round_ in range(args.rounds):
            for case in cases:
                if case == "openpyxl" and round_ > 0:
                    continue  # 3–5× slower than the others: one run is enough for a reference
                cmd = [sys.executable, str(HERE / "run.py"), "--child", case, "--child-ws", str(ws_root),
                       "--child-system", str(data["system_path"]), "--child-out", str(work / f"{case}.xlsx")]
                t = time.perf_counter()
                proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
                wall = time.perf_counter() - t
                if proc.returncode != 0:
                    raise SystemExit(f"case {case} failed:\n{proc.stderr}")
                r = json.loads(proc.stdout.strip().splitlines()[-1])
                r["wall"] = wall
                runs[case].append(r)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results: dict[str, dict[str, Any]] = {}
    for case, rs in runs.items():  # the median run by write time; peak RSS: the largest seen
        pick = sorted(rs, key=lambda r: r["seconds"])[len(rs) // 2]
        results[case] = {**pick, "peak_rss_mb": max(r["peak_rss_mb"] for r in rs), "n": len(rs),
                         "times": [r["seconds"] for r in rs]}
    rows = []
    labels = {
        "xlbridge": "xlbridge consolidate(): every sheet incl. 明细 (xlsxwriter + streamed 明细 rows)",
        "openpyxl": "baseline: openpyxl write_only, styled cells, 明细 only",
        "xlsxwriter": "baseline: xlsxwriter constant_memory, one format, 明细 only",
    }
    for case, r in results.items():
        rows.append([labels[case], f"{r['rows']:,} × 12", r["n"], sec(r["seconds"]), sec(r["cpu"]), sec(r["wall"]),
                     f"{r['peak_rss_mb']:.0f} MB", f"{r['import_rss_mb']:.0f} MB", mb(r["size"])])
    print(f"store: {ws_root / 'store.db'} ({args.units} units × {args.per_unit * 5} rows, 进度说明 300–600 字); "
          "every case streams the same 明细 query")
    print()
    print(table(["case", "明细 rows × cols", "runs", "write time (median)", "its CPU time", "process wall", "peak RSS (VmHWM)",
                 "RSS after imports", "file"], rows))
    print("  write time: the call alone (consolidate() / the loop + save), wall clock; process wall adds interpreter start,")
    print("  imports and opening the store; peak RSS = the process's high-water mark, imports included")
    x = results["xlbridge"]
    ok_t, ok_m = x["seconds"] <= 9, x["peak_rss_mb"] <= 160
    print(f"\ngoal: ≤ 9 s → {sec(x['seconds'])} {verdict(ok_t)};  ≤ 160 MB peak → {x['peak_rss_mb']:.0f} MB {verdict(ok_m)}"
          f"   (baselines: openpyxl {sec(results['openpyxl']['seconds'])} / {results['openpyxl']['peak_rss_mb']:.0f} MB, "
          f"xlsxwriter {sec(results['xlsxwriter']['seconds'])} / {results['xlsxwriter']['peak_rss_mb']:.0f} MB)")
    if n_rows != 60_000:
        print(f"  (--quick/--units: {n_rows:,} rows, not the goal's 60,000; goals judged on the full run)")
    return results


# --------------------------------------------------------------------------- main
def _old_formula_pass(path: Path) -> Any:
    """What the reader did before the bounds scan: inflate the 台账 sheet once more and look for
    formulas (the baseline the scan's cost is measured against: the scan now does both)."""
    import zipfile

    from xlbridge.ledger import layout as L
    from xlbridge.xlsx.bounds import Limits, sheet_members

    data = path.read_bytes()
    with zipfile.ZipFile(path) as zf:
        xml = zf.read(sheet_members(data, path.name, Limits())[L.LEDGER_SHEET])
    return b"<f>" in xml or b"<f " in xml


def _ms2(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def bench_bounds(args: argparse.Namespace, rows: int = 200) -> dict[str, Any]:
    from xlbridge.check.files import validate_file
    from xlbridge.ledger.reader import ledger_sheet_limits
    from xlbridge.system.files import load_system
    from xlbridge.xlsx.bounds import Limits, scan_workbook

    banner(f"4. The bounds checked before any reader, on a normal {rows}-row ledger (medians of {args.repeat} rounds)")
    data = synth.validate_files(args.out, rows, libreoffice=False)
    system_path = data["system_path"]
    system = load_system(system_path)
    limits = Limits()
    sheets = ledger_sheet_limits(limits, system)
    out, results = [], {}
    for kind, path in data["files"].items():
        raw = path.read_bytes()
        fns = {"validate": lambda path=path: validate_file(path, str(system_path), synth.KEY),
               "scan": lambda raw=raw, path=path: scan_workbook(raw, path.name, sheets, limits),
               "old formula pass": lambda path=path: _old_formula_pass(path)}
        times, last = interleaved(fns, max(args.repeat, 15))
        med = {name: statistics.median(ts) for name, ts in times.items()}
        if not last["validate"].valid:
            raise SystemExit(f"benchmark input is not valid: {path}: {last['validate'].summary}")
        added = med["scan"] - med["old formula pass"]
        share = added / med["validate"]
        results[kind] = {"validate": med["validate"], "scan": med["scan"], "old": med["old formula pass"], "share": share}
        out.append([kind, _ms2(med["validate"]), _ms2(med["scan"]), f"{100 * med['scan'] / med['validate']:.1f} %",
                    _ms2(med["old formula pass"]), _ms2(added), f"{100 * share:.1f} %", verdict(share < 0.05)])
    print(table(["file", "validate_file", "bounds scan", "scan/validate", "old formula pass", "added",
                 "added/validate", "goal <5 %"], out))
    print("bounds scan = zip members (declared and real sizes, each one's ratio), the 台账 and metadata sheets "
          "inflated with a cap and scanned (dimension, farthest cell and row, cells and rows without a reference, "
          "formulas); it replaces the reader's own formula pass, so the cost added is scan − old formula pass")
    return results


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="smoke run: fewer repeats, 12 ledgers instead of 300")
    p.add_argument("--only", default=",".join(BENCHMARKS), help=f"comma-separated subset of {', '.join(BENCHMARKS)}")
    p.add_argument("--rows", type=int, default=2000, help="rows of the validate benchmark's ledger (default 2000)")
    p.add_argument("--units", type=int, help="ledgers for ingest/consolidated (default 300, --quick 12)")
    p.add_argument("--per-unit", type=int, default=40, help="indicators per unit, × 5 years = rows per ledger (default 40)")
    p.add_argument("--repeat", type=int, help="timed runs per fast measurement (default 9, --quick 3)")
    p.add_argument("--month-rounds", type=int, help="rounds of the month benchmark (default 3, --quick 1)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="cache and scratch directory (default bench/out)")
    p.add_argument("--no-libreoffice", action="store_true", help="skip the LibreOffice re-saved variant")
    p.add_argument("--burst", type=int, help="files dropped at once in the daemon benchmark (default 500, --quick 40)")
    p.add_argument("--burst-per-unit", type=int, default=8, help="indicators per ledger there, × 5 years (default 8)")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--child-ws", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--child-system", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.units = args.units or (12 if args.quick else 300)
    args.repeat = args.repeat or (3 if args.quick else 9)
    args.burst = args.burst or (40 if args.quick else 500)
    args.rounds = 1 if args.quick else 3
    args.month_rounds = args.month_rounds or (1 if args.quick else 3)
    args.ingest_rounds = 1 if args.quick else 5  # a round is ~20 s; the 2-core machine's noise needs the median of 5
    args.out = args.out.resolve()
    args.only = [b.strip() for b in args.only.split(",") if b.strip()]
    unknown = set(args.only) - set(BENCHMARKS)
    if unknown:
        p.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}; choose from {', '.join(BENCHMARKS)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.child:
        child(args.child, args.child_ws, args.child_system, args.child_out)
        return 0
    global synth
    import synth as _synth

    synth = _synth
    assert (synth.CAMPAIGN, synth.PERIOD) == (CAMPAIGN, PERIOD)
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"xlbridge benchmarks{' (--quick)' if args.quick else ''}: {versions()}; {load()}")
    missing = [m for m in ("pandas", "frictionless") if optional(m) is None]
    if missing:
        print(f"note: {', '.join(missing)} not installed (pip install -e '.[bench]'): those baselines show n/a")
    t0 = time.perf_counter()
    ingest = None
    if "validate" in args.only:
        bench_validate(args)
    if "ingest" in args.only:
        ingest = bench_ingest(args)
    if "consolidated" in args.only:
        bench_consolidated(args, ingest)
    if "bounds" in args.only:
        bench_bounds(args)
    if "month" in args.only:
        from month import bench_month

        bench_month(args, synth)
    if "daemon" in args.only:
        from burst import bench_daemon

        bench_daemon(args, synth)
    print(f"\ndone in {time.perf_counter() - t0:.0f} s; {load()} on {os.cpu_count()} CPUs (a load near the CPU "
          "count means the timings shared the machine with other work)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

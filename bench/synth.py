"""Synthetic, deterministic benchmark inputs, built through xlbridge's own code paths.

* indicator systems derived from the shipped ``puyang-2020`` (its indicators replicated with new
  keys), one with a single 2,000-row unit and one with ~300 units of ~200 rows each;
* signed ledgers written by :func:`xlbridge.ledger.writer.write_ledger` and filled by
  :func:`xlbridge.ledger.sample.fill_ledger` with long Chinese 进度说明 (300–600 characters);
* "Excel-style" copies of those files: every value re-written with xlsxwriter in its default
  mode, which (like Excel) puts all strings in a sharedStrings table, or re-saved by LibreOffice.

Everything is cached under the output directory, keyed by the parameters and a fingerprint of
the xlbridge sources that shape a ledger, so a changed writer or layout regenerates the files.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import xlsxwriter
from python_calamine import CalamineWorkbook

import xlbridge
from xlbridge.ledger import layout as L
from xlbridge.ledger.sample import clerk_answer, fill_ledger
from xlbridge.ledger.writer import write_ledger
from xlbridge.system.files import load_system, save_system
from xlbridge.system.model import Indicator, IndicatorSystem, Unit

ROOT = Path(__file__).resolve().parent.parent
KEY = hashlib.sha256(b"xlbridge benchmark signing key").digest()
CAMPAIGN = 2021
PERIOD = "2021-05"
HEADER = {"period": PERIOD, "filled_on": f"{PERIOD}-28", "filled_by": "填表人"}
YEARS = (2017, 2021)  # five years per indicator

# Sources whose change changes the generated files.
_SHAPING = [
    "xlbridge/ledger/writer.py", "xlbridge/ledger/layout.py", "xlbridge/ledger/content.py",
    "xlbridge/ledger/signature.py", "xlbridge/ledger/sample.py", "xlbridge/ledger/package.py", "xlbridge/system/model.py",
    "bench/synth.py",
    "schema/puyang-2020.yaml",
]

_DISTRICTS = ["金凤", "兴庆", "西夏", "永宁", "贺兰", "灵武", "华龙", "清丰", "南乐", "范县", "台前", "濮阳", "天宁",
              "钟楼", "新北", "武进", "金坛", "溧阳", "姑苏", "吴中", "相城", "吴江", "昆山", "太仓", "常熟", "张家港",
              "虎丘", "工业园", "高新", "经开"]
_BUREAUS = ["司法局", "公安分局", "财政局", "自然资源局", "生态环境分局", "住建局", "交通运输局", "市场监管局",
            "卫生健康委", "应急管理局"]


def fingerprint(*params: Any) -> str:
    h = hashlib.sha256(json.dumps(params, ensure_ascii=False, default=str).encode())
    for rel in _SHAPING:
        h.update((ROOT / rel).read_bytes())
    return h.hexdigest()[:12]


# --------------------------------------------------------------------------- text
def _sentence_pool() -> list[str]:
    """Real Chinese administrative sentences: every shipped indicator's wording and materials."""
    pool: set[str] = set()
    for path in sorted((ROOT / "schema").glob("*.yaml")):
        system = load_system(path)
        for ind in system.indicators:
            for text in (ind.level3, ind.points, *ind.materials):
                for part in (text or "").replace("\n", "。").replace("；", "。").split("。"):
                    part = "".join(part.split()).strip("，、：:；")
                    if 8 <= len(part) <= 90:
                        pool.add(part)
    return sorted(pool)


_POOL: list[str] | None = None


def _h(seed: str) -> int:
    return int(hashlib.sha256(seed.encode()).hexdigest()[:12], 16)


def long_text(seed: str, low: int = 300, high: int = 600) -> str:
    """A 进度说明 of ``low``–``high`` characters, deterministic per seed, no spaces or blank lines."""
    global _POOL
    if _POOL is None:
        _POOL = _sentence_pool()
    target = low + _h(seed) % (high - low + 1)
    parts: list[str] = []
    n, i = 0, 0
    while n < target:
        s = _POOL[_h(f"{seed}|{i}") % len(_POOL)]
        s = ("已按要求" if i % 3 == 0 else "同时，") + s + "。"
        parts.append(s)
        n += len(s)
        i += 1
    text = "".join(parts)
    return text[: target - 1] + "。" if len(text) > target else text


def long_answer(system: IndicatorSystem, unit: str) -> Callable[[int, str], dict[str, Any]]:
    """clerk_answer (valid progress, materials, links, phone) with a long 进度说明."""
    base = clerk_answer(system, unit)

    def answer(year: int, code: str) -> dict[str, Any]:
        values = dict(base(year, code))
        values["description"] = f"{year}年度：" + long_text(f"{unit}|{year}|{code}")
        return values

    return answer


# --------------------------------------------------------------------------- systems
def _replicated(n: int) -> list[Indicator]:
    """``n`` indicators: puyang-2020's wording cycled, keys and codes 1…n, no units yet."""
    source = load_system(ROOT / "schema" / "puyang-2020.yaml").indicators
    out = []
    for k in range(n):
        ind = source[k % len(source)]
        out.append(ind.model_copy(update={
            "key": str(k + 1), "code": str(k + 1), "lead": [], "cooperating": [], "persons": [],
            "all_units_cooperate": False, "units_text": None,
        }, deep=True))
    return out


def validate_system(rows: int) -> IndicatorSystem:
    """One unit, ``rows`` ledger rows: rows/5 indicators × 5 years."""
    unit = "基准测试局"
    n = max(1, rows // (YEARS[1] - YEARS[0] + 1))
    indicators = [i.model_copy(update={"lead": [unit]}) for i in _replicated(n)]
    return IndicatorSystem(id=f"bench-validate-{rows}", title=f"基准测试指标体系（单单位 {rows} 行）", issuer="xlbridge bench",
                           period=YEARS, units=[Unit(name=unit)], indicators=indicators)


def unit_names(n: int) -> list[str]:
    names = [f"{d}区{b}" for b in _BUREAUS for d in _DISTRICTS]
    return names[:n] if n <= len(names) else [f"第{k + 1:03d}责任单位" for k in range(n)]


def ingest_system(n_units: int, per_unit: int = 40) -> IndicatorSystem:
    """``n_units`` units with ``per_unit`` indicators each (× 5 years = 200 rows per ledger).

    Indicators are shared: ~30 units per indicator, the first one leads, the others cooperate.
    """
    units = unit_names(n_units)
    n_ind = max(per_unit, n_units * per_unit // 30)
    holders: list[list[str]] = [[] for _ in range(n_ind)]
    for u, name in enumerate(units):
        for j in range(per_unit):
            holders[(u * per_unit + j) % n_ind].append(name)
    indicators = [i.model_copy(update={"lead": h[:1], "cooperating": h[1:]})
                  for i, h in zip(_replicated(n_ind), holders)]
    return IndicatorSystem(id=f"bench-ingest-{n_units}x{per_unit}", title=f"基准测试指标体系（{n_units} 个单位）",
                           issuer="xlbridge bench", period=YEARS, units=[Unit(name=u) for u in units],
                           indicators=indicators)


# --------------------------------------------------------------------------- files
def excel_style_copy(src: Path, dst: Path) -> Path:
    """Every sheet's values re-written by xlsxwriter in its default (non-constant-memory) mode:
    one sharedStrings table for all text, numbers as numbers, one cell style, sheets and their
    visibility kept — the structure Excel itself saves (openpyxl-written files differ in
    XML layout, style count, empty styled cells and data validations, not in values)."""
    book = CalamineWorkbook.from_path(str(src))
    with zipfile.ZipFile(src) as zf:
        hidden = {name: state for name, state in _sheet_states(zf.read("xl/workbook.xml").decode()).items()}
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + ".part")
    wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False})
    wrap = wb.add_format({"text_wrap": True, "valign": "top", "border": 1})
    for name in book.sheet_names:
        ws = wb.add_worksheet(name)
        for r, row in enumerate(book.get_sheet_by_name(name).to_python(skip_empty_area=False)):
            for c, value in enumerate(row):
                if value is None or value == "":
                    continue
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    ws.write_number(r, c, value, wrap)
                else:
                    ws.write_string(r, c, str(value), wrap)
        state = hidden.get(name)
        if state == "veryHidden":
            ws.very_hidden()
        elif state == "hidden":
            ws.hide()
    wb.close()
    tmp.replace(dst)
    return dst


def _sheet_states(workbook_xml: str) -> dict[str, str]:
    import re

    out = {}
    for tag in re.findall(r"<(?:\w+:)?sheet\b[^>]*>", workbook_xml):
        name = re.search(r'name="([^"]*)"', tag)
        state = re.search(r'state="([^"]*)"', tag)
        if name:
            out[_unescape(name.group(1))] = state.group(1) if state else "visible"
    return out


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'").replace("&amp;", "&")


def libreoffice_copy(src: Path, dst: Path) -> Path | None:
    """Re-saved by LibreOffice Calc as xlsx (shared strings, cached values); None without soffice."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        profile = Path(tmp) / "profile"
        outdir = Path(tmp) / "out"
        cmd = [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
               "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(outdir), str(src)]
        try:
            subprocess.run(cmd, check=True, capture_output=True, timeout=300)
        except (subprocess.SubprocessError, OSError):
            return None
        produced = outdir / src.name
        if not produced.exists():
            return None
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(produced, dst)
    return dst


def _prune(base: Path) -> None:
    """Drop caches of the same inputs built by older xlbridge sources (other fingerprints)."""
    prefix = base.name.rsplit("-", 1)[0] + "-"
    for old in base.parent.glob(prefix + "*"):
        if old != base and old.is_dir() and len(old.name) == len(base.name):
            shutil.rmtree(old, ignore_errors=True)


def _make_ledger(system_path: str, unit: str, blank: str, filled: str, excel: str | None) -> None:
    system = load_system(system_path)
    write_ledger(system, unit, CAMPAIGN, Path(blank), KEY)
    fill_ledger(Path(blank), Path(filled), long_answer(system, unit), header=HEADER)
    Path(blank).unlink()
    if excel:
        excel_style_copy(Path(filled), Path(excel))


def validate_files(out: Path, rows: int, libreoffice: bool = True) -> dict[str, Any]:
    """The 2,000-row ledger: openpyxl-written (our writer + fill_ledger) and Excel-style copies."""
    system = validate_system(rows)
    unit = system.units[0].name
    base = out / f"validate-{rows}-{fingerprint('validate', rows)}"
    system_path = base / f"{system.id}.yaml"
    files = {"openpyxl": base / "openpyxl-written.xlsx", "excel": base / "excel-style.xlsx"}
    if not (files["openpyxl"].exists() and files["excel"].exists()):
        _prune(base)
        base.mkdir(parents=True, exist_ok=True)
        save_system(system, system_path)
        _make_ledger(str(system_path), unit, str(base / "blank.xlsx"), str(files["openpyxl"]), str(files["excel"]))
    lo = base / "libreoffice-saved.xlsx"
    if libreoffice and not lo.exists() and not (base / "libreoffice.unavailable").exists():
        if libreoffice_copy(files["openpyxl"], lo) is None:
            (base / "libreoffice.unavailable").write_text("soffice missing or failed\n")
    if libreoffice and lo.exists():
        files["libreoffice"] = lo
    return {"system": system, "system_path": system_path, "unit": unit, "files": files}


def ingest_files(out: Path, n_units: int, per_unit: int = 40, workers: int = 2,
                 progress: Callable[[str], None] = print) -> dict[str, Any]:
    """One signed, filled, Excel-style ledger per unit (``n_units`` × ``per_unit``·5 rows)."""
    system = ingest_system(n_units, per_unit)
    base = out / f"ingest-{n_units}x{per_unit}-{fingerprint('ingest', n_units, per_unit)}"
    schema_dir = base / "schema"
    system_path = schema_dir / f"{system.id}.yaml"
    excel_dir = base / "excel-style"
    units = [u.name for u in system.units]
    paths = [excel_dir / f"{u}_{PERIOD}.xlsx" for u in units]
    missing = [(u, p) for u, p in zip(units, paths) if not p.exists()]
    if missing:
        _prune(base)
        schema_dir.mkdir(parents=True, exist_ok=True)
        if not system_path.exists():
            save_system(system, system_path)
        progress(f"  generating {len(missing)} signed ledgers (write_ledger + fill_ledger + Excel-style copy), cached in {base}")
        work = base / "work"
        jobs = [(str(system_path), u, str(work / f"{k}-blank.xlsx"), str(work / f"{k}-filled.xlsx"), str(p))
                for k, (u, p) in enumerate(missing)]
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for done, _ in enumerate(pool.map(_make_ledger, *zip(*jobs), chunksize=4), start=1):
                if done % 50 == 0:
                    progress(f"    {done}/{len(jobs)}")
        shutil.rmtree(work, ignore_errors=True)
    return {"system": system, "system_path": system_path, "schema_dir": schema_dir, "files": paths, "base": base}


def rows_in(path: Path) -> int:
    """Indicator rows of a ledger (year and code present)."""
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(L.LEDGER_SHEET).to_python()
    return sum(1 for r in rows[L.FIRST_DATA_ROW - 1:] if len(r) > 1 and r[0] not in (None, "") and r[1] not in (None, ""))


NEXT_PERIOD = "2021-06"


def carried_files(out: Path, month1: dict[str, Any], workers: int = 2,
                  progress: Callable[[str], None] = print) -> list[Path]:
    """Month 2 of the month benchmark: every unit's 2021-06 ledger as ``ledgers next`` writes it
    from a store holding month 1 (the real write_next_ledgers), with a fifth of the rows changed
    by the clerk (a new 进度说明 on every fifth row) and re-saved Excel-style; cached."""
    from xlbridge.service import store
    from xlbridge.service.ingest import ingest_file
    from xlbridge.service.next_ledgers import write_next_ledgers
    from xlbridge.service.workspace import Workspace

    base = Path(month1["base"])
    excel_dir = base / f"carried-{NEXT_PERIOD}"
    units = [u.name for u in month1["system"].units]
    paths = [excel_dir / f"{u}_{NEXT_PERIOD}.xlsx" for u in units]
    if all(p.exists() for p in paths):
        return paths
    progress(f"  generating {len(units)} carried-forward {NEXT_PERIOD} ledgers (ingest month 1, ledgers next, a fifth "
             f"of the rows changed, Excel-style copy), cached in {excel_dir}")
    root = base / "carry-workspace"
    shutil.rmtree(root, ignore_errors=True)
    ws = Workspace.load(root, system=str(month1["system_path"]), campaign=CAMPAIGN).ensure()
    ws.key_file.write_text(KEY.hex(), encoding="ascii")
    db = store.open_store(ws.store)
    try:
        for path in month1["files"]:
            outcome = ingest_file(ws, db, path, KEY)
            if outcome.status != "accepted":
                raise SystemExit(f"month-1 ledger not accepted: {outcome}")
        issued = write_next_ledgers(ws, db, NEXT_PERIOD)
    finally:
        db.close()
    work = base / "carry-work"
    jobs = [(str(src), str(work / f"{k}.xlsx"), str(dst)) for k, (src, dst) in enumerate(zip(issued, paths))]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_change_a_fifth, *zip(*jobs), chunksize=4))
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(root, ignore_errors=True)
    return paths


def _change_a_fifth(src: str, filled: str, excel: str) -> None:
    """The clerk's month: the pre-filled ledger, every fifth row's 进度说明 rewritten, the date and name set."""
    import openpyxl

    wb = openpyxl.load_workbook(src)
    ws = wb[L.LEDGER_SHEET]
    for key, value in {"filled_on": f"{NEXT_PERIOD}-28", "filled_by": "填表人"}.items():
        f = L.HEADER_FIELD[key]
        ws.cell(f.row, f.value_col, value)
    year_col, code_col, col = L.COLUMN["year"].index, L.COLUMN["code"].index, L.COLUMN["description"].index
    for row in range(L.FIRST_DATA_ROW, ws.max_row + 1, 5):
        year, code = ws.cell(row, year_col).value, ws.cell(row, code_col).value
        if year is not None and code is not None:
            ws.cell(row, col, f"{year}年度：" + long_text(f"{Path(src).name}|{year}|{code}|{NEXT_PERIOD}"))
    Path(filled).parent.mkdir(parents=True, exist_ok=True)
    wb.save(filled)
    excel_style_copy(Path(filled), Path(excel))
    Path(filled).unlink()


__all__ = ["CAMPAIGN", "KEY", "NEXT_PERIOD", "PERIOD", "carried_files", "ingest_files", "rows_in", "validate_files",
           "xlbridge"]

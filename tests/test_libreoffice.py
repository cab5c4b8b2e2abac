"""Round-trips through a real second spreadsheet client: LibreOffice, headless.

A clerk on WPS or LibreOffice opens the generated ledger, types into it and saves it as xlsx.
Measured here (LibreOffice 7.4) and relied on by the design:

* values, data validations (dropdowns from defined names, length limits), conditional formats,
  sheet protection flags, the hidden lists sheet and the contents of the metadata sheet survive a
  plain re-save; explicit row heights survive (rows without one come back at the default);
* the metadata sheet goes from veryHidden to plain hidden, workbook structure protection and
  freeze panes are dropped: hiding is a convenience, the signature is the proof, and the reader
  depends on none of them;
* typed input converts (``0012``→12, ``2024-04-01``→date, under zh_CN ``2024年4月1日``→date and
  full-width ``１２３４５``→12345) unless the cell is formatted text ``@``, which every input
  column is;
* dropdowns, length limits and protection are advisory: an off-list value and 1,200 characters
  over the 1,000 limit are stored, and LibreOffice's API edits locked cells. The engine re-checks
  all of it, comparing locked cells with what was issued.

soffice runs through tests/soffice_fixtures.py: a profile of its own per process (parallel
pytest-xdist workers never share one) and a timeout on every call.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import textwrap
import uuid
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from soffice_fixtures import CONVERT_TIMEOUT, SOFFICE, profile, run, stop

from xlbridge.check.engine import Validation, validate_grid
from xlbridge.check.files import FileResult, validate_file
from xlbridge.ledger import layout as L
from xlbridge.ledger.content import campaign_years, issued_rows
from xlbridge.ledger.reader import LedgerGrid, read_ledger
from xlbridge.ledger.sample import clerk_answer, fill_ledger
from xlbridge.ledger.writer import write_ledger
from xlbridge.system.files import load_system

if SOFFICE is None:
    pytest.skip(
        "LibreOffice (soffice) not installed: apt-get install -y libreoffice-calc fonts-noto-cjk",
        allow_module_level=True,
    )

SYSTEM, UNIT, CAMPAIGN = "puyang-2020", "司法鉴定管理科", 2021
KEY = b"libreoffice-round-trip-test-key!"
XLSX_FILTER = "Calc MS Excel 2007 XML"
HEADER = {"period": "2021-05", "filled_on": "2021-05-28", "filled_by": "王伟"}


# --------------------------------------------------------------------------- running soffice
def resave(src: Path, outdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Open and save as xlsx in LibreOffice, as a clerk pressing Save would."""
    outdir.mkdir(parents=True, exist_ok=True)
    args = [SOFFICE, profile(tmp_path_factory), "--headless", "--norestore", "--nologo",
            "--convert-to", f"xlsx:{XLSX_FILTER}", "--outdir", str(outdir), str(src)]
    done = run(args, CONVERT_TIMEOUT)
    out = outdir / src.name
    assert done.returncode == 0 and out.exists(), (
        f"soffice --convert-to failed (exit {done.returncode}): {done.stdout.decode(errors='replace')}"
        f"{done.stderr.decode(errors='replace')}"
    )
    return out


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def system():  # type: ignore[no-untyped-def]
    return load_system(SYSTEM)


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("libreoffice")


@pytest.fixture(scope="module")
def filled(system, work: Path) -> Path:  # type: ignore[no-untyped-def]
    """A signed ledger, filled validly, with one continuation row under its first indicator row."""
    issued = write_ledger(system, UNIT, CAMPAIGN, work / "issued.xlsx", KEY)
    first = issued_rows(system, UNIT, campaign_years(system, CAMPAIGN))[0]
    extra = [{"materials": f"{first.year}年补充材料：专项检查通报", "links": "https://www.example.gov.cn/tzgg/1.html"}]
    return fill_ledger(issued, work / "filled.xlsx", clerk_answer(system, UNIT), header=HEADER,
                       continuations={first.identity: extra})


@pytest.fixture(scope="module")
def before(filled: Path) -> FileResult:
    result = validate_file(filled, key=KEY)
    assert result.valid, result.summary
    return result


@pytest.fixture(scope="module")
def resaved(filled: Path, work: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return resave(filled, work / "resaved", tmp_path_factory)


# --------------------------------------------------------------------------- 1. plain re-save
def test_resaved_ledger_still_validates_with_the_same_records(before: FileResult, resaved: Path) -> None:
    after = validate_file(resaved, key=KEY)
    assert after.valid, after.summary
    assert after.validation is not None and before.validation is not None
    assert after.validation.signature_ok is True
    assert after.validation.meta == before.validation.meta
    assert after.validation.header == before.validation.header
    old, new = before.validation.records, after.validation.records
    assert len(new) == len(old)
    for a, b in zip(old, new, strict=True):
        for f in dataclasses.fields(a):
            assert getattr(b, f.name) == getattr(a, f.name), f"row {a.row} {f.name}"
    # The continuation row was folded into its indicator row on both sides.
    assert any("专项检查通报" in line for line in new[0].materials)


def test_resave_keeps_validations_and_protection_and_only_plain_hides_the_metadata(filled: Path, resaved: Path) -> None:
    wb = openpyxl.load_workbook(resaved)
    assert wb.sheetnames == [L.LEDGER_SHEET, L.LISTS_SHEET, L.GUIDE_SHEET, L.META_SHEET]
    ws = wb[L.LEDGER_SHEET]

    validations = {str(dv.sqref).split(":")[0]: dv for dv in ws.data_validations.dataValidation}
    progress, description = L.COLUMN["progress"], L.COLUMN["description"]
    first = L.FIRST_DATA_ROW
    dv = validations[f"{openpyxl.utils.get_column_letter(progress.index)}{first}"]
    assert dv.type == "list" and dv.formula1.lstrip("=") == progress.list_name and dv.showErrorMessage
    dv = validations[f"{openpyxl.utils.get_column_letter(description.index)}{first}"]
    assert dv.type == "textLength" and dv.operator == "lessThanOrEqual" and dv.formula1 == str(L.DESCRIPTION_HARD_LIMIT)
    assert set(wb.defined_names) >= {progress.list_name, L.COLUMN["secret"].list_name}
    assert [c.value for c in wb[L.LISTS_SHEET]["A"]] == list(progress.choices)
    assert len(ws.conditional_formatting) >= 2

    # Sheet protection and its flags; input cells unlocked and text-formatted.
    assert ws.protection.sheet and ws.protection.password
    assert ws.protection.insertRows is False and ws.protection.formatRows is False
    assert ws.cell(first, L.COLUMN["indicator"].index).protection.locked
    for column in L.INPUTS:
        cell = ws.cell(first, column.index)
        assert not cell.protection.locked, column.header
        assert cell.number_format == "@", column.header

    # Explicit row heights survive (within LibreOffice's rounding), so multi-line cells stay readable.
    original = openpyxl.load_workbook(filled)[L.LEDGER_SHEET]
    for row in (L.UNIT_ROW, L.HEADER_ROW, first + 2, first + 5):
        assert abs((ws.row_dimensions[row].height or 15) - original.row_dimensions[row].height) <= 1, row

    # LibreOffice 7.4 writes veryHidden as plain hidden and drops workbook structure protection and
    # freeze panes: the contents of the metadata sheet survive, and the signature is what counts.
    meta = wb[L.META_SHEET]
    assert meta.sheet_state in ("hidden", "veryHidden")
    assert wb[L.LISTS_SHEET].sheet_state in ("hidden", "veryHidden")
    issued_meta = openpyxl.load_workbook(filled)[L.META_SHEET]
    assert [c.value for c in meta["B"]] == [c.value for c in issued_meta["B"]]


# --------------------------------------------------------------------------- 2. typed input
# Runs under the Python that has LibreOffice's UNO bridge (python3-uno), not the test venv.
UNO_DRIVER = textwrap.dedent('''
    import json, os, sys, time
    import uno
    from com.sun.star.beans import PropertyValue
    from com.sun.star.connection import NoConnectException

    def prop(name, value):
        p = PropertyValue()
        p.Name, p.Value = name, value
        return p

    spec = json.load(open(sys.argv[1], encoding="utf-8"))
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.time() + spec["connect_timeout"]
    while True:
        try:
            remote = resolver.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % spec["pipe"])
            break
        except NoConnectException:
            if time.time() > deadline:
                raise
            time.sleep(0.2)
    desktop = remote.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", remote)

    def edit(doc, edits):
        seen = []
        for e in edits:
            sheet = doc.Sheets.getByName(e["sheet"]) if "sheet" in e else doc.Sheets.getByIndex(0)
            cell = sheet.getCellRangeByName(e["cell"])
            if e["how"] == "type":  # what the input line does: the locale's parser, honours "@" and protection
                cell.FormulaLocal = e["text"]
            elif e["how"] == "formula":  # a macro's setFormula: English parser
                cell.setFormula(e["text"])
            else:  # a macro's setString
                cell.setString(e["text"])
            seen.append({"cell": e["cell"], "type": cell.Type.value, "string": cell.getString()})
        return seen

    out = {}
    try:
        doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(spec["input"]), "_blank", 0, (prop("Hidden", True),))
        out["ledger"] = edit(doc, spec["edits"])
        doc.storeToURL(uno.systemPathToFileUrl(spec["output"]), (prop("FilterName", spec["filter"]),))
        doc.close(True)
        scratch = desktop.loadComponentFromURL("private:factory/scalc", "_blank", 0, (prop("Hidden", True),))
        out["scratch"] = edit(scratch, spec["scratch"])  # General-formatted cells, for comparison
        scratch.close(True)
    finally:
        try:
            desktop.terminate()
        except Exception:
            pass
    json.dump(out, sys.stdout, ensure_ascii=False)
    sys.stdout.flush()
    # Not a normal exit: pyuno tearing down its bridge to the office that terminate() just ended
    # sometimes segfaults (about one run in six), after all the work is done and reported.
    os._exit(0)
''')


def _uno_python() -> str | None:
    candidates = [os.environ.get("XLBRIDGE_UNO_PYTHON"), "/usr/lib/libreoffice/program/python",
                  "/usr/bin/python3", shutil.which("python3"), sys.executable]
    for exe in dict.fromkeys(c for c in candidates if c and os.access(c, os.X_OK)):
        try:
            if subprocess.run([exe, "-c", "import uno"], capture_output=True, timeout=30, check=False).returncode == 0:
                return exe
        except (OSError, subprocess.TimeoutExpired):
            continue
    return None


def drive(src: Path, dst: Path, edits: list[dict[str, str]], scratch: list[dict[str, str]],
          tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, str]]]:
    """Edit ``src`` in a headless LibreOffice under a zh_CN locale and store it as xlsx ``dst``."""
    python = _uno_python()
    if python is None:
        pytest.skip("LibreOffice's Python UNO bridge not available: apt-get install -y python3-uno")
    work = tmp_path_factory.mktemp("uno")
    pipe = f"xlbridge-{os.getpid()}-{uuid.uuid4().hex[:12]}"
    spec = {"input": str(src), "output": str(dst), "pipe": pipe, "filter": XLSX_FILTER, "connect_timeout": 60,
            "edits": edits, "scratch": scratch}
    (work / "spec.json").write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    (work / "driver.py").write_text(UNO_DRIVER, encoding="utf-8")
    # A clerk's machine: LibreOffice takes its locale from the environment (no glibc locale needed).
    env = {**os.environ, "LC_ALL": "zh_CN.UTF-8", "LANG": "zh_CN.UTF-8"}
    office = subprocess.Popen(
        [SOFFICE, profile(tmp_path_factory), "--headless", "--invisible", "--norestore", "--nologo",
         f"--accept=pipe,name={pipe};urp;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True,
    )
    try:
        done = run([python, str(work / "driver.py"), str(work / "spec.json")], CONVERT_TIMEOUT)
        assert done.returncode == 0, done.stderr.decode(errors="replace")
        try:
            office.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
    finally:
        if office.poll() is None:
            stop(office)
    return json.loads(done.stdout)


def _letter(key: str) -> str:
    return openpyxl.utils.get_column_letter(L.COLUMN[key].index)


def _header_cell(key: str) -> str:
    f = L.HEADER_FIELD[key]
    return f"{openpyxl.utils.get_column_letter(f.value_col)}{f.row}"


LONG = ("按年度工作要点推进司法鉴定管理，" * 80)[:1200]  # 1,200 characters, over the 1,000 limit
# Strings LibreOffice converts when a cell is not text-formatted (see the scratch sheet).
# ("2021-05" is not among them: LibreOffice 7.4 under zh_CN keeps a bare year-month as text.)
CONVERTIBLE = ["0012", "2024-04-01", "2024年4月1日", "１２３４５", "03936980399"]


@pytest.fixture(scope="module")
def typed(before: FileResult, filled: Path, work: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    rows = [r.row for r in before.validation.records]  # type: ignore[union-attr]
    r = dict(enumerate(rows, start=1))  # r[1] is the first indicator row, r[2] the next (after its continuation)
    cells = {
        "period": _header_cell("period"),
        "filled_on": _header_cell("filled_on"),
        "materials": f"{_letter('materials')}{r[1]}",
        "date_text": f"{_letter('description')}{r[1]}",
        "phone": f"{_letter('phone')}{r[1]}",
        "wide_phone": f"{_letter('phone')}{r[2]}",
        "off_list": f"{_letter('progress')}{r[3]}",
        "too_long": f"{_letter('description')}{r[4]}",
        "locked_api": f"{_letter('indicator')}{r[5]}",
        "locked_typed": f"{_letter('methods')}{r[5]}",
        "formula": f"{_letter('materials')}{r[6]}",
    }
    sheet = {"sheet": L.LEDGER_SHEET}
    edits = [
        {**sheet, "cell": cells["period"], "how": "type", "text": "2021-05"},
        {**sheet, "cell": cells["filled_on"], "how": "type", "text": "2024年4月1日"},
        {**sheet, "cell": cells["materials"], "how": "type", "text": "0012"},
        {**sheet, "cell": cells["date_text"], "how": "type", "text": "2024-04-01"},
        {**sheet, "cell": cells["phone"], "how": "type", "text": "03936980399"},
        {**sheet, "cell": cells["wide_phone"], "how": "type", "text": "１３９１２３４５６７８"},
        {**sheet, "cell": cells["off_list"], "how": "type", "text": "完成了"},
        {**sheet, "cell": cells["too_long"], "how": "type", "text": LONG},
        {**sheet, "cell": cells["locked_api"], "how": "string", "text": "（已改）不少于1次"},
        {**sheet, "cell": cells["locked_typed"], "how": "type", "text": "实地核验"},
        {**sheet, "cell": cells["formula"], "how": "formula", "text": "=1+1"},
    ]
    scratch = [{"cell": f"A{i}", "how": "type", "text": text} for i, text in enumerate(CONVERTIBLE, start=1)]
    dst = work / "typed.xlsx"
    seen = drive(filled, dst, edits, scratch, tmp_path_factory)
    return dst, cells, seen


def test_libreoffice_converts_typed_input_unless_the_cell_is_text(typed) -> None:  # type: ignore[no-untyped-def]
    _, cells, seen = typed
    # Control: in General cells under zh_CN every one of these becomes a number or a date.
    assert [c["type"] for c in seen["scratch"]] == ["VALUE"] * len(CONVERTIBLE), seen["scratch"]
    # In the ledger's "@" cells they stay as typed.
    ledger = {c["cell"]: c for c in seen["ledger"]}
    for name, text in [("period", "2021-05"), ("filled_on", "2024年4月1日"), ("materials", "0012"),
                       ("date_text", "2024-04-01"), ("phone", "03936980399"), ("wide_phone", "１３９１２３４５６７８")]:
        assert ledger[cells[name]] == {"cell": cells[name], "type": "TEXT", "string": text}, name
    # Dropdown and length limit are not enforced on input; typing into a locked cell is refused,
    # but the API's setString edits it anyway.
    assert ledger[cells["off_list"]]["string"] == "完成了"
    assert len(ledger[cells["too_long"]]["string"]) == 1200
    assert ledger[cells["locked_typed"]]["string"] != "实地核验"
    assert ledger[cells["locked_api"]]["string"] == "（已改）不少于1次"


def test_engine_rechecks_what_libreoffice_let_through(before: FileResult, typed) -> None:  # type: ignore[no-untyped-def]
    path, cells, _ = typed
    result = validate_file(path, key=KEY)
    assert result.validation is not None and result.validation.signature_ok is True
    at = {(f.rule, f.cell) for f in result.findings}
    assert ("progress-invalid", cells["off_list"]) in at
    assert ("description-too-long", cells["too_long"]) in at
    assert ("prefilled-changed", cells["locked_api"]) in at
    assert ("formula-in-input", cells["formula"]) in at
    assert not any(f.cell == cells["locked_typed"] for f in result.findings)
    errors = {(f.rule, f.cell) for f in result.findings if f.severity.value == "error"}
    assert errors <= {("progress-invalid", cells["off_list"]), ("description-too-long", cells["too_long"]),
                      ("prefilled-changed", cells["locked_api"]), ("formula-in-input", cells["formula"])}, errors

    # The "@" cells came back as text: no number or date serial to undo anywhere but in the formula's
    # result (a text date such as 2024年4月1日 may still be rewritten as ISO by the engine).
    for f in result.findings:
        if f.rule == "normalised-number":
            assert f.cell == cells["formula"], f.line()
        if f.rule == "normalised-date":
            assert f.value == "2024年4月1日" and f.cell == cells["filled_on"], f.line()
    grid = read_ledger(path)
    for name, text in [("materials", "0012"), ("date_text", "2024-04-01"), ("phone", "03936980399"),
                       ("period", "2021-05"), ("filled_on", "2024年4月1日")]:
        cell = openpyxl.utils.cell.coordinate_from_string(cells[name])
        value = grid.rows[cell[1] - 1][openpyxl.utils.column_index_from_string(cell[0]) - 1]
        assert value == text, name
    records = {r.row: r for r in result.validation.records}
    first = records[int(cells["materials"][1:])]
    assert first.materials[0] == "0012" and first.description == "2024-04-01" and first.phone == "03936980399"
    assert records[int(cells["wide_phone"][1:])].phone == "13912345678"  # full-width folded by the engine
    assert ("normalised-width", cells["wide_phone"]) in at
    assert result.validation.header["period"] == "2021-05"
    assert result.validation.header["filled_on"] == "2024-04-01"


# --------------------------------------------------------------------------- 3. two readers agree
def openpyxl_grid(path: Path) -> LedgerGrid:
    """The same grid read by openpyxl: cached values, formula positions from a second load."""
    values = openpyxl.load_workbook(path, data_only=True)
    formulas = openpyxl.load_workbook(path)[L.LEDGER_SHEET]
    rows = [list(r) for r in values[L.LEDGER_SHEET].iter_rows(min_row=1, min_col=1, values_only=True)]
    meta = {str(k): "" if v is None else str(v)
            for k, v, *_ in values[L.META_SHEET].iter_rows(min_row=1, min_col=1, max_col=2, values_only=True) if k}
    found = {(c.row, c.column) for row in formulas.iter_rows() for c in row if c.data_type == "f"}
    return LedgerGrid(rows=rows, meta=meta, file=path.name, formulas=found, sheet_names=values.sheetnames)


def _normalised(v: Validation) -> tuple[object, ...]:
    findings = [(f.rule, f.severity, f.row, f.column) for f in v.report.findings]
    return findings, v.records, v.header, v.meta, v.signature_ok


@pytest.mark.parametrize("which", ["resaved", "typed"])
def test_calamine_and_openpyxl_read_a_libreoffice_file_the_same(which: str, request: pytest.FixtureRequest, system) -> None:  # type: ignore[no-untyped-def]
    value = request.getfixturevalue(which)
    path = value[0] if isinstance(value, tuple) else value
    fast = validate_grid(read_ledger(path), system, KEY)
    slow = validate_grid(openpyxl_grid(path), system, KEY)
    assert _normalised(fast) == _normalised(slow)
    assert [f.message for f in fast.report.findings if not f.rule.startswith("normalised")] == \
        [f.message for f in slow.report.findings if not f.rule.startswith("normalised")]


# --------------------------------------------------------------------------- 4. dates in header cells
@pytest.mark.parametrize("number_format", ["@", 'yyyy"年"m"月"d"日"'], ids=["text-cell", "date-cell"])
def test_a_date_valued_filled_on_saved_by_libreoffice_reads_as_the_date(
        filled: Path, work: Path, tmp_path_factory: pytest.TempPathFactory, number_format: str) -> None:
    """A date in 填表时间 (the ledger's text cell holding a date's day number, or a date-formatted
    cell), re-saved by LibreOffice: read as 2021-05-28, never 「44344.0」无法识别."""
    field = L.HEADER_FIELD["filled_on"]

    def dated(wb: openpyxl.Workbook) -> None:
        cell = wb[L.LEDGER_SHEET].cell(field.row, field.value_col)
        cell.value = datetime(2021, 5, 28)
        cell.number_format = number_format

    src = work / f"dated-{number_format.count('@')}.xlsx"
    wb = openpyxl.load_workbook(filled)
    dated(wb)
    wb.save(src)
    saved = resave(src, work / f"dated-resaved-{number_format.count('@')}", tmp_path_factory)
    value = read_ledger(saved).rows[field.row - 1][field.value_col - 1]
    # LibreOffice keeps the day number in the text cell (what reached users as 「44344.0」), a date in the other.
    assert value == (44344.0 if number_format == "@" else date(2021, 5, 28)), value
    result = validate_file(saved, key=KEY)
    assert result.valid, result.summary
    assert result.validation is not None and result.validation.header["filled_on"] == "2021-05-28"
    assert not [f for f in result.findings if f.rule == "date-invalid"]

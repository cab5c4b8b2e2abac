"""The 校验 button's logic, on a real generated and filled ledger: (a) through a fake book that
implements the LedgerBook seam, (b) through XlwingsBook on xlwings' remote engine (no Excel)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from xlbridge.check.files import validate_file
from xlbridge.excel import ribbon
from xlbridge.excel.ribbon import (
    MARK_FILLS,
    RESULT_FIRST_ROW,
    RESULT_HEADERS,
    XlwingsBook,
    column_runs,
    configured_inbox,
    partial_path,
    read_config_file,
    submission_path,
    unions,
    validate_book,
)
from xlbridge.findings import Severity
from xlbridge.ledger import layout as L
from xlbridge.ledger.content import issued_rows
from xlbridge.ledger.sample import clerk_answer, fill_ledger
from xlbridge.ledger.writer import write_ledger
from xlbridge.service.prepare import is_ignored
from xlbridge.system.files import load_system

SYSTEM, UNIT, CAMPAIGN = "jinfeng-2020", "司法局", 2020
HEADER = {"period": "2020-05", "filled_on": "2020-05-28", "filled_by": "王伟"}
NOW = datetime(2020, 5, 28, 9, 30, 0)
ERROR, WARNING = MARK_FILLS[Severity.error], MARK_FILLS[Severity.warning]
# The broken ledger: three errors and two warnings on the first five indicator rows (rows 5–9).
EXPECTED_MARKS = {"H5": ERROR, "K6": ERROR, "N7": ERROR, "I8": WARNING, "J9": WARNING}
EXPECTED_RULES = {"H5": "progress-missing", "K6": "link-malformed", "N7": "phone-malformed",
                  "I8": "description-long", "J9": "materials-missing"}
FIXES = {"H5": L.PROGRESS_DONE, "K6": "http://www.example.gov.cn/a.html", "N7": "13900000000",
         "I8": "上月已完成。", "J9": "2020年工作方案"}


@pytest.fixture(scope="module")
def ledgers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A ledger issued to 司法局, filled by the sample clerk: one clean, one with five problems."""
    folder = tmp_path_factory.mktemp("ledgers")
    system = load_system(SYSTEM)
    issued = write_ledger(system, UNIT, CAMPAIGN, folder / "issued.xlsx", b"k" * 32)
    answer = clerk_answer(system, UNIT)
    codes = [r.indicator.key for r in issued_rows(system, UNIT, [CAMPAIGN])][:5]
    breakage = [{"progress": None}, {"links": "www.example.gov.cn/a.html"}, {"phone": "12345"},
                {"description": "推进" * 300}, {"progress": L.PROGRESS_DONE, "materials": None}]

    def broken(year: int, code: str) -> dict[str, Any]:
        values = dict(answer(year, code))
        if code in codes:
            values.update(breakage[codes.index(code)])
        return values

    return {
        "clean": fill_ledger(issued, folder / "clean.xlsx", answer, header=HEADER),
        "broken": fill_ledger(issued, folder / "broken.xlsx", broken, header=HEADER),
    }


# --------------------------------------------------------------------------- the fake book
def excel_value(value: Any) -> Any:
    """What Excel hands to Python: every number a float."""
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


def shown(value: Any) -> Any:
    """What Excel shows (and hands back) for a value written to a cell."""
    if isinstance(value, str) and value.startswith("=HYPERLINK("):
        return re.findall(r'"([^"]*)"', value)[-1]
    if isinstance(value, str) and value.startswith("'"):
        return value[1:]
    return None if value == "" else value


def fill_of(cell: Any) -> str | None:
    return f"#{cell.fill.fgColor.rgb[-6:]}" if cell.fill.fill_type == "solid" else None


class FakeBook:
    """A workbook in memory, loaded from a real file, behaving like Excel where the button looks:
    numbers come back as floats, a HYPERLINK formula shows its label, a leading apostrophe marks text."""

    def __init__(self, path: Path, answer: str = "yes", settings: dict[str, str] | None = None) -> None:
        wb = openpyxl.load_workbook(path)
        self.path, self.answer, settings_ = path, answer, settings or {}
        self.settings = {k.lower(): v for k, v in settings_.items()}
        self.order = wb.sheetnames
        cells = {ws.title: [c for row in ws.iter_rows() for c in row] for ws in wb.worksheets}
        self.cells: dict[str, dict[str, Any]] = {
            sheet: {c.coordinate: excel_value(c.value) for c in sheet_cells if c.value is not None}
            for sheet, sheet_cells in cells.items()
        }
        self.colors = {(sheet, c.coordinate): fill_of(c) for sheet, found in cells.items() for c in found}
        self.merges = {ws.title: [(r.min_row, r.min_col, r.max_row, r.max_col) for r in ws.merged_cells.ranges]
                       for ws in wb.worksheets}
        self.formula_cells: dict[str, str] = {}
        self.notes: dict[str, str] = {}
        self.widths: dict[str, Sequence[float]] = {}
        self.alerts: list[tuple[str, str, str]] = []
        self.calls: Counter[str] = Counter()
        self.saves = 0
        self.in_edit = False

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def fullname(self) -> str:
        return str(self.path)

    def sheet_names(self) -> list[str]:
        return list(self.order)

    def read(self, sheet: str) -> list[list[Any]]:
        self.calls[f"read {sheet}"] += 1
        coords = [ribbon.row_col(a) for a in self.cells[sheet]] or [(1, 1)]
        rows, cols = max(r for r, _ in coords), max(c for _, c in coords)
        grid: list[list[Any]] = [[None] * cols for _ in range(rows)]
        for address, value in self.cells[sheet].items():
            r, c = ribbon.row_col(address)
            grid[r - 1][c - 1] = value
        return grid

    def formulas(self, sheet: str) -> set[tuple[int, int]]:
        return {ribbon.row_col(a) for a, v in self.cells[sheet].items() if str(v).startswith("=")}

    def merged(self, sheet: str) -> list[tuple[int, int, int, int]]:
        return list(self.merges[sheet])

    def write(self, sheet: str, rows: list[list[Any]], row: int = 1) -> None:
        assert self.in_edit
        self.calls[f"write {sheet}"] += 1
        for r, values in enumerate(rows, start=row):
            for c, value in enumerate(values, start=1):
                address = f"{openpyxl.utils.get_column_letter(c)}{r}"
                self.cells[sheet].pop(address, None)
                if str(value).startswith("="):
                    self.formula_cells[f"{sheet}!{address}"] = value
                if value is not None:
                    self.cells[sheet][address] = shown(value)

    def fill(self, sheet: str, cells: Sequence[str], color: str | None) -> None:
        assert self.in_edit
        self.calls["fill"] += 1
        for cell in cells:
            self.colors[(sheet, cell)] = color

    def set_note(self, sheet: str, cell: str, text: str) -> None:
        assert self.in_edit and sheet == L.LEDGER_SHEET
        self.notes[cell] = text

    def clear_notes(self, sheet: str, cells: Sequence[str]) -> None:
        assert self.in_edit and sheet == L.LEDGER_SHEET
        self.calls["clear_notes"] += 1
        for cell in cells:
            self.notes.pop(cell, None)

    def reset_sheet(self, name: str, after: str, widths: Sequence[float]) -> None:
        assert self.in_edit
        if name in self.order:
            self.cells[name] = {}
            return
        self.order.insert(self.order.index(after) + 1, name)
        self.cells[name], self.widths[name] = {}, widths

    @contextmanager
    def editing(self) -> Iterator[None]:
        self.in_edit = True
        try:
            yield
        finally:
            self.in_edit = False

    def alert(self, prompt: str, buttons: str = "ok", mode: str = "info") -> str | None:
        self.alerts.append((prompt, buttons, mode))
        return self.answer if buttons == "yes_no" else "ok"

    def save(self) -> None:
        """Write the ledger's values and the results sheet (formulas included) back to the file."""
        self.saves += 1
        wb = openpyxl.load_workbook(self.path)
        ws = wb[L.LEDGER_SHEET]
        for row in ws.iter_rows():
            for cell in row:
                if not isinstance(cell, openpyxl.cell.cell.MergedCell):
                    cell.value = self.cells[L.LEDGER_SHEET].get(cell.coordinate)
        if L.RESULTS_SHEET in self.order:
            results = wb.create_sheet(L.RESULTS_SHEET, wb.sheetnames.index(L.LEDGER_SHEET) + 1)
            for address, value in self.cells[L.RESULTS_SHEET].items():
                results[address] = self.formula_cells.get(f"{L.RESULTS_SHEET}!{address}", value)
        wb.save(self.path)

    def setting(self, key: str) -> str | None:
        return self.settings.get(key.lower())

    # the clerk's hand
    def type(self, values: dict[str, Any]) -> None:
        self.cells[L.LEDGER_SHEET].update(values)

    def results(self) -> list[list[Any]]:
        return self.read(L.RESULTS_SHEET)


def copy_of(path: Path, tmp_path: Path) -> Path:
    target = tmp_path / path.name
    target.write_bytes(path.read_bytes())
    return target


# --------------------------------------------------------------------------- (a) fake book
def test_broken_ledger_is_marked_listed_and_summarised(ledgers: dict[str, Path], tmp_path: Path) -> None:
    book = FakeBook(copy_of(ledgers["broken"], tmp_path))
    original = dict(book.colors)
    outcome = validate_book(book, inbox=tmp_path / "inbox", now=lambda: NOW)

    report = outcome.validation.report  # type: ignore[union-attr]
    assert report.summary() == "3 个错误，2 个警告"
    marked = {cell: book.colors[(L.LEDGER_SHEET, cell)] for cell in EXPECTED_MARKS}
    assert marked == EXPECTED_MARKS
    changed = {cell for (sheet, cell), color in book.colors.items()
               if sheet == L.LEDGER_SHEET and color != original.get((sheet, cell))}
    assert changed == set(EXPECTED_MARKS)
    assert set(book.notes) == set(EXPECTED_MARKS)
    assert book.notes["H5"].startswith("【错误】请选择完成进度")
    assert "【警告】进度说明 600 字" in book.notes["I8"]
    assert "建议：网址应以 http:// 或 https:// 开头" in book.notes["K6"]
    # batched: the ledger and its metadata read once each, one fill per colour, one write of the results
    assert book.calls["read 台账"] == 1 and book.calls["read xlbridge"] == 1
    assert book.calls["fill"] == 2 and book.calls[f"write {L.RESULTS_SHEET}"] == 1
    # one alert, the summary, and no offer to submit
    (prompt, buttons, mode), = book.alerts
    assert (prompt.splitlines()[0], buttons, mode) == ("3 个错误，2 个警告", "ok", "critical")
    assert outcome.submitted is None and book.saves == 0


def test_results_sheet_lists_every_finding_with_a_link(ledgers: dict[str, Path], tmp_path: Path) -> None:
    book = FakeBook(copy_of(ledgers["broken"], tmp_path))
    report = validate_book(book, now=lambda: NOW).validation.report  # type: ignore[union-attr]

    assert book.sheet_names().index(L.RESULTS_SHEET) == book.sheet_names().index(L.LEDGER_SHEET) + 1
    rows = book.results()
    assert rows[0][0] == "2020-05-28 09:30 校验：3 个错误，2 个警告"
    assert tuple(rows[1]) == RESULT_HEADERS
    listed = rows[RESULT_FIRST_ROW - 1:]
    assert len(listed) == len(report.findings) == 6  # five problems and the signature notice
    assert [r[0] for r in listed] == ["错误"] * 3 + ["警告"] * 2 + ["提示"]
    assert {r[1]: r[3] for r in listed[:5]} == EXPECTED_RULES
    assert listed[-1][3] == "signature-unchecked" and listed[-1][1] is None
    assert book.formula_cells[f"{L.RESULTS_SHEET}!B3"] == "=HYPERLINK(\"#'台账'!H5\",\"H5\")"
    assert listed[0][2] == "完成进度"


def test_same_findings_as_the_file_validator(ledgers: dict[str, Path], tmp_path: Path) -> None:
    """Values as Excel hands them over (floats) give the findings the server gets from the file."""
    book = FakeBook(copy_of(ledgers["broken"], tmp_path))
    via_button = validate_book(book, now=lambda: NOW).validation.report.findings  # type: ignore[union-attr]
    via_file = validate_file(ledgers["broken"]).findings
    def key(findings: list[Any]) -> list[tuple[str, str | None, str]]:
        return [(f.rule, f.cell, f.message) for f in findings]

    assert key(via_button) == key(via_file)


def test_second_run_clears_previous_marks_and_submits(ledgers: dict[str, Path], tmp_path: Path) -> None:
    book = FakeBook(copy_of(ledgers["broken"], tmp_path))
    original = dict(book.colors)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    validate_book(book, inbox=inbox, now=lambda: NOW)
    book.type(FIXES)
    outcome = validate_book(book, inbox=inbox, now=lambda: NOW)

    assert outcome.validation is not None and outcome.validation.valid
    assert book.colors == original  # every mark gone, each cell back to the writer's colour
    assert book.notes == {}
    assert book.calls["clear_notes"] == 1
    rows = book.results()
    assert rows[0][0].endswith("校验通过，没有发现问题")
    assert [r[3] for r in rows[RESULT_FIRST_ROW - 1:]] == ["signature-unchecked"]
    prompt, buttons, _ = book.alerts[1]
    assert buttons == "yes_no" and str(inbox) in prompt and prompt.startswith("校验通过")
    assert outcome.submitted == inbox / "司法局_20200528-093000.xlsx"
    assert book.saves == 1 and book.alerts[-1][0].startswith("已报送：司法局_20200528-093000.xlsx")
    assert [p.name for p in inbox.iterdir()] == ["司法局_20200528-093000.xlsx"]
    arrived = openpyxl.load_workbook(outcome.submitted)
    assert arrived.sheetnames.index(L.RESULTS_SHEET) == 1 and arrived[L.RESULTS_SHEET]["A1"].value.endswith("没有发现问题")
    assert validate_file(outcome.submitted).valid  # the saved, corrected ledger, its 校验结果 sheet included


def test_clean_ledger_with_warnings_can_be_submitted(ledgers: dict[str, Path], tmp_path: Path) -> None:
    book = FakeBook(copy_of(ledgers["clean"], tmp_path))
    book.type({"I5": "法" * 600})  # 进度说明 over 500 字: a warning, not an error
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    outcome = validate_book(book, inbox=inbox, now=lambda: NOW)
    assert outcome.validation.report.summary() == "0 个错误，1 个警告"  # type: ignore[union-attr]
    assert book.colors[(L.LEDGER_SHEET, "I5")] == WARNING
    assert "有警告" in book.alerts[0][0]
    assert outcome.submitted is not None and outcome.submitted.is_file()


def test_declining_or_no_inbox_submits_nothing(ledgers: dict[str, Path], tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    declined = FakeBook(copy_of(ledgers["clean"], tmp_path), answer="no")
    assert validate_book(declined, inbox=inbox, now=lambda: NOW).submitted is None
    assert declined.saves == 0 and not list(inbox.iterdir())

    unconfigured = FakeBook(copy_of(ledgers["clean"], tmp_path))
    assert validate_book(unconfigured, inbox=None, now=lambda: NOW).submitted is None
    (prompt, buttons, _), = unconfigured.alerts
    assert buttons == "ok" and "XLBRIDGE_INBOX" in prompt


def test_missing_inbox_folder_is_reported(ledgers: dict[str, Path], tmp_path: Path) -> None:
    book = FakeBook(copy_of(ledgers["clean"], tmp_path))
    outcome = validate_book(book, inbox=tmp_path / "nowhere", now=lambda: NOW)
    assert outcome.submitted is None
    assert "报送文件夹" in book.alerts[-1][0] and book.alerts[-1][2] == "critical"


def test_a_workbook_that_is_not_a_ledger_is_left_alone(ledgers: dict[str, Path], tmp_path: Path) -> None:
    book = FakeBook(copy_of(ledgers["clean"], tmp_path))
    book.order.remove(L.LEDGER_SHEET)
    assert validate_book(book).validation is None
    (prompt, _, mode), = book.alerts
    assert "没有「台账」工作表" in prompt and mode == "critical"
    assert L.RESULTS_SHEET not in book.sheet_names()

    no_meta = FakeBook(copy_of(ledgers["clean"], tmp_path))
    no_meta.order.remove(L.META_SHEET)
    assert validate_book(no_meta).validation is None
    assert "缺少系统标识" in no_meta.alerts[0][0]


def test_a_formula_in_an_input_cell_is_found(ledgers: dict[str, Path], tmp_path: Path) -> None:
    book = FakeBook(copy_of(ledgers["clean"], tmp_path))
    book.type({"I5": "=CONCAT(\"已\",\"完成\")"})
    outcome = validate_book(book)
    assert "formula-in-input" in {f.rule for f in outcome.validation.report.errors}  # type: ignore[union-attr]
    assert book.colors[(L.LEDGER_SHEET, "I5")] == ERROR


def test_merged_cells_read_as_the_file_validator_reads_them(ledgers: dict[str, Path], tmp_path: Path) -> None:
    """One 责任人 merged over rows 5–8 in Excel: the button fills it into each row, as the daemon does."""
    path = tmp_path / "merged.xlsx"
    wb = openpyxl.load_workbook(ledgers["clean"])
    wb[L.LEDGER_SHEET].merge_cells("M5:M8")
    wb.save(path)
    book = FakeBook(path)
    assert book.merged(L.LEDGER_SHEET) and book.cells[L.LEDGER_SHEET].get("M6") is None
    outcome = validate_book(book)
    assert outcome.validation is not None and outcome.validation.valid
    by_file = validate_file(path, key=None)
    assert [(f.rule, f.cell) for f in outcome.validation.report.findings] == [(f.rule, f.cell) for f in by_file.findings]
    assert ("normalised-merged", "M5") in [(f.rule, f.cell) for f in by_file.findings]
    assert len({r.person for r in outcome.validation.records if 5 <= r.row <= 8}) == 1


def test_text_that_looks_like_a_formula_is_written_as_text() -> None:
    assert ribbon._text("=cmd") == "'=cmd" and ribbon._text("-1") == "'-1" and ribbon._text("说明") == "说明"


# --------------------------------------------------------------------------- configuration
def test_inbox_from_the_environment_before_the_addin_config(ledgers: dict[str, Path], tmp_path: Path) -> None:
    book = FakeBook(ledgers["clean"], settings={"XLBRIDGE_INBOX": r"\\server\收件箱"})
    assert configured_inbox(book, environ={}) == Path(r"\\server\收件箱")
    assert configured_inbox(book, environ={"XLBRIDGE_INBOX": str(tmp_path)}) == tmp_path
    assert configured_inbox(FakeBook(ledgers["clean"]), environ={}) is None


def test_config_files_as_notepad_writes_them(tmp_path: Path) -> None:
    utf8, ansi = tmp_path / "utf8.conf", tmp_path / "ansi.conf"
    utf8.write_text('"Interpreter_Win","C:\\py\\pythonw.exe"\n"XLBRIDGE_INBOX","D:\\台账收件箱"\n',
                    encoding="utf-8-sig")
    ansi.write_bytes('"XLBRIDGE_INBOX","D:\\台账收件箱"\r\n'.encode("gbk"))
    assert read_config_file(utf8) == {"interpreter_win": "C:\\py\\pythonw.exe",
                                      "xlbridge_inbox": "D:\\台账收件箱"}
    assert read_config_file(ansi) == {"xlbridge_inbox": "D:\\台账收件箱"}
    assert read_config_file(tmp_path / "missing.conf") == {}


def test_submission_names_never_overwrite(tmp_path: Path) -> None:
    first = submission_path(tmp_path, "司法局", NOW)
    assert first.name == "司法局_20200528-093000.xlsx"
    first.touch()
    assert submission_path(tmp_path, "司法局", NOW).name == "司法局_20200528-093000-2.xlsx"


def test_the_half_written_copy_is_ignored_by_the_inbox_watcher(tmp_path: Path) -> None:
    target = submission_path(tmp_path, "司法局", NOW)
    assert is_ignored(partial_path(target)) and not is_ignored(target)


def test_the_workbook_cannot_name_a_file_as_its_system(ledgers: dict[str, Path], tmp_path: Path) -> None:
    book = FakeBook(copy_of(ledgers["clean"], tmp_path))
    book.cells[L.META_SHEET]["B2"] = "../../secret.yaml"
    assert validate_book(book).validation is None
    assert "不是有效的指标体系 id" in book.alerts[0][0]


class ComMerges:
    """Just enough of an ``xlwings.Book`` on Excel's COM engine for ``XlwingsBook.merged``, over a
    real file's merges: ``merge_cells`` True, False or None (mixed), ``merge_area``, counted calls."""

    def __init__(self, path: Path) -> None:
        ws = openpyxl.load_workbook(path)[L.LEDGER_SHEET]
        self.bounds = (ws.max_row, ws.max_column)
        self.areas = [(r.min_row, r.min_col, r.max_row, r.max_col) for r in ws.merged_cells.ranges]
        self.name, self.calls = path.name, Counter[str]()
        self.app = type("App", (), {"engine": type("Engine", (), {"name": "excel"})()})()
        self.sheets = {L.LEDGER_SHEET: self}

    @property
    def used_range(self) -> ComRange:
        return self.range((1, 1), self.bounds)

    def range(self, first: tuple[int, int], last: tuple[int, int] | None = None) -> ComRange:
        return ComRange(self, *first, *(last or first))

    def area_of(self, row: int, col: int) -> tuple[int, int, int, int] | None:
        return next((a for a in self.areas if a[0] <= row <= a[2] and a[1] <= col <= a[3]), None)


class ComRange:
    def __init__(self, book: ComMerges, top: int, left: int, bottom: int, right: int) -> None:
        self.book, self.row, self.column, self.bottom, self.right = book, top, left, bottom, right
        self.shape = (bottom - top + 1, right - left + 1)

    @property
    def last_cell(self) -> ComRange:
        return ComRange(self.book, self.bottom, self.right, self.bottom, self.right)

    @property
    def merge_cells(self) -> bool | None:
        self.book.calls["merge_cells"] += 1
        merged = {self.book.area_of(r, c) is not None
                  for r in range(self.row, self.bottom + 1) for c in range(self.column, self.right + 1)}
        return None if len(merged) == 2 else merged.pop()

    @property
    def merge_area(self) -> ComRange:
        self.book.calls["merge_area"] += 1
        area = self.book.area_of(self.row, self.column)
        return ComRange(self.book, *area) if area else self


def test_merges_on_excel_are_found_a_column_at_a_time(ledgers: dict[str, Path], tmp_path: Path) -> None:
    clean = ComMerges(ledgers["clean"])
    assert clean.areas  # the writer's title and header merges, above the indicator rows
    assert XlwingsBook(clean).merged(L.LEDGER_SHEET) == [] and clean.calls == {"merge_cells": 1}

    path = tmp_path / "merged.xlsx"
    wb = openpyxl.load_workbook(ledgers["clean"])
    for cells in ("M5:M8", "H9:I9", "J20:J22"):
        wb[L.LEDGER_SHEET].merge_cells(cells)
    wb.save(path)
    book = ComMerges(path)
    assert XlwingsBook(book).merged(L.LEDGER_SHEET) == [(5, 13, 8, 13), (9, 8, 9, 9), (20, 10, 22, 10)]
    rows = book.bounds[0] - L.FIRST_DATA_ROW + 1
    assert book.calls["merge_area"] < 4 * rows  # only the four columns with merges are walked


def test_cells_are_batched_into_runs_and_unions() -> None:
    assert column_runs(["H7", "H5", "H6", "K6", "H9", "AA3"]) == ["H5:H7", "H9", "K6", "AA3"]
    batches = unions([f"H{n}" for n in range(10, 200, 2)])
    assert all(len(b) <= 255 for b in batches) and ",".join(batches).count(",") == 94


def test_base_colours_are_the_writers(ledgers: dict[str, Path]) -> None:
    ws = openpyxl.load_workbook(ledgers["clean"])[L.LEDGER_SHEET]
    for row in ws.iter_rows(min_row=2, max_row=ws.max_row, max_col=len(L.COLUMNS)):
        for cell in row:
            if not isinstance(cell, openpyxl.cell.cell.MergedCell):
                assert ribbon.base_color(cell.row, cell.column) == fill_of(cell), cell.coordinate


# --------------------------------------------------------------------------- (b) remote engine
@pytest.fixture
def xw(monkeypatch: pytest.MonkeyPatch) -> Any:
    """xlwings with its remote engine, which needs a license key (the noncommercial one here)."""
    monkeypatch.setenv("XLWINGS_LICENSE_KEY", "noncommercial")
    import xlwings

    if "remote" not in [engine.name for engine in xlwings.engines]:  # xlwings was imported without the key
        from xlwings.main import Engine
        from xlwings.pro import _xlremote

        xlwings.engines.add(Engine(impl=_xlremote.engine))
    return xlwings


ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")


def wire_value(value: Any) -> Any:
    """A cell value as the remote engine's wire format carries it. Datetimes travel as ISO text
    ending in Z, so ISO-looking *text* (the metadata's issued_at) cannot be told from a date: sent
    as-is, xlwings cuts its last character and fails. The test sends it in the form xlwings parses."""
    value = excel_value(value)
    return f"{value}Z" if isinstance(value, str) and ISO_DATETIME.match(value) else value


def payload(path: Path, version: str, extra: dict[str, list[list[Any]]] | None = None,
            notes: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """What an Office.js client sends: every sheet's values from A1, and where its notes are."""
    wb = openpyxl.load_workbook(path)
    sheets = [{"name": ws.title, "values": [list(map(wire_value, r)) for r in ws.iter_rows(values_only=True)]}
              for ws in wb.worksheets]
    for name, values in (extra or {}).items():
        sheets.insert(1, {"name": name, "values": values})
    for sheet in sheets:
        noted = (notes or {}).get(sheet["name"], [])
        sheet.update(pictures=[], tables=[], notes=[{"address": a} for a in noted])
    return {"client": "Office.js", "version": version, "names": [], "sheets": sheets,
            "book": {"name": path.name, "active_sheet_index": 0, "selection": "A1"}}


def actions(book: Any, func: str) -> list[dict[str, Any]]:
    return [a for a in book.json()["actions"] if a["func"] == func]


def cell_of(action: dict[str, Any]) -> str:
    return f"{openpyxl.utils.get_column_letter(action['start_column'] + 1)}{action['start_row'] + 1}"


def test_remote_engine_reads_the_ledger_in_one_grid(xw: Any, ledgers: dict[str, Path]) -> None:
    fake = FakeBook(ledgers["broken"])
    remote = XlwingsBook(xw.Book(json=payload(ledgers["broken"], xw.__version__)))
    assert remote.sheet_names() == fake.sheet_names()
    assert remote.read(L.LEDGER_SHEET) == fake.read(L.LEDGER_SHEET)
    # key | value, system_data over its row (trailing empty cells as the book reports them)
    remote_meta, fake_meta = ({row[0]: [v for v in row[1:] if v is not None] for row in book.read(L.META_SHEET)}
                              for book in (remote, fake))
    assert isinstance(remote_meta.pop("issued_at")[0], datetime)  # see wire_value
    assert fake_meta.pop("issued_at") and remote_meta == fake_meta
    assert remote.formulas(L.LEDGER_SHEET) == set()  # formulas are not in the remote payload
    assert remote.merged(L.LEDGER_SHEET) == []  # nor are merges (the daemon's check reads them)
    assert remote.fullname == ledgers["broken"].name  # no local path: nothing to copy to an inbox


def test_remote_engine_marks_lists_and_alerts(xw: Any, ledgers: dict[str, Path]) -> None:
    book = xw.Book(json=payload(ledgers["broken"], xw.__version__))
    outcome = validate_book(XlwingsBook(book), inbox=Path("/inbox"), now=lambda: NOW)

    assert outcome.validation.report.summary() == "3 个错误，2 个警告"  # type: ignore[union-attr]
    fills = {cell_of(a): a["args"][0].upper() for a in actions(book, "setRangeColor")}
    assert fills == EXPECTED_MARKS
    assert all(a["row_count"] == a["column_count"] == 1 for a in actions(book, "setRangeColor"))
    notes = {a["args"][0]: a["args"][1] for a in actions(book, "addNote")}
    assert set(notes) == {f"${c[0]}${c[1:]}" for c in EXPECTED_MARKS}
    assert notes["$H$5"].startswith("【错误】请选择完成进度")
    assert [a["args"] for a in actions(book, "addSheet")] == [[1, L.RESULTS_SHEET]]
    (results,) = [a for a in actions(book, "setValues") if a["sheet_position"] == 1]
    assert results["values"][1] == list(RESULT_HEADERS)
    assert results["values"][2][:2] == ["错误", "=HYPERLINK(\"#'台账'!H5\",\"H5\")"]
    (alert,) = actions(book, "alert")
    assert alert["args"][0].startswith("3 个错误，2 个警告") and alert["args"][1] == "法治台账"
    assert not actions(book, "save")


def test_remote_engine_clears_the_previous_run(xw: Any, ledgers: dict[str, Path]) -> None:
    first = xw.Book(json=payload(ledgers["broken"], xw.__version__))
    validate_book(XlwingsBook(first), now=lambda: NOW)
    (written,) = [a["values"] for a in actions(first, "setValues") if a["sheet_position"] == 1]
    results = [list(map(shown, row)) for row in written]  # what Excel would send back next time
    noted = [f"${c[0]}${c[1:]}" for c in EXPECTED_MARKS]

    again = payload(ledgers["broken"], xw.__version__, {L.RESULTS_SHEET: results}, {L.LEDGER_SHEET: noted})
    second = xw.Book(json=again)
    validate_book(XlwingsBook(second), now=lambda: NOW)
    assert sorted(a["args"][0] for a in actions(second, "deleteNote")) == sorted(noted)
    colors = [(cell_of(a), a["args"][0]) for a in actions(second, "setRangeColor")]
    restored = colors[:len(colors) - len(EXPECTED_MARKS)]
    assert sorted(restored) == [(cell, None) for cell in sorted(EXPECTED_MARKS)]  # input cells have no fill
    assert actions(second, "sheetClear") and not actions(second, "addSheet")


def test_remote_engine_alert_cannot_answer_so_nothing_is_submitted(xw: Any, ledgers: dict[str, Path]) -> None:
    book = xw.Book(json=payload(ledgers["clean"], xw.__version__))
    outcome = validate_book(XlwingsBook(book), inbox=Path("/inbox"), now=lambda: NOW)
    assert outcome.validation.valid and outcome.submitted is None  # type: ignore[union-attr]
    (alert,) = actions(book, "alert")
    assert alert["args"][2] == "yes_no" and not actions(book, "save")


def test_fake_and_remote_agree(xw: Any, ledgers: dict[str, Path], tmp_path: Path) -> None:
    """The fake book stands in for Excel faithfully enough: same report and same results rows."""
    fake = FakeBook(copy_of(ledgers["broken"], tmp_path))
    book = xw.Book(json=payload(ledgers["broken"], xw.__version__))
    a = validate_book(fake, now=lambda: NOW).validation.report  # type: ignore[union-attr]
    b = validate_book(XlwingsBook(book), now=lambda: NOW).validation.report  # type: ignore[union-attr]
    assert a == b
    (written,) = [x["values"] for x in actions(book, "setValues") if x["sheet_position"] == 1]
    assert fake.results() == [list(map(shown, row)) for row in written]  # the wire sends None as ""


def test_the_ribbon_entry_point_end_to_end(xw: Any, ledgers: dict[str, Path], tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """xlbridge.main() – what RunMain's RunPython runs – with Book.caller() answering a remote book."""
    import xlbridge

    book = xw.Book(json=payload(ledgers["broken"], xw.__version__))
    monkeypatch.setattr(xw.Book, "caller", classmethod(lambda cls: book))
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: tmp_path))  # no ~/.myaddin/myaddin.conf
    monkeypatch.setattr(xw, "USER_CONFIG_FILE", str(tmp_path / "xlwings.conf"))
    monkeypatch.delenv("XLBRIDGE_INBOX", raising=False)
    xlbridge.main()
    (alert,) = actions(book, "alert")
    assert alert["args"][0].startswith("3 个错误，2 个警告")
    assert len(actions(book, "setRangeColor")) == len(EXPECTED_MARKS)


def test_the_inbox_from_the_xlwings_user_config(xw: Any, ledgers: dict[str, Path], tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "xlwings.conf"
    config.write_text(f'"XLBRIDGE_INBOX","{tmp_path / "inbox"}"\n', encoding="utf-8")
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: tmp_path))
    monkeypatch.setattr(xw, "USER_CONFIG_FILE", str(config))
    book = XlwingsBook(xw.Book(json=payload(ledgers["clean"], xw.__version__)))
    assert configured_inbox(book, environ={}) == tmp_path / "inbox"
    (tmp_path / ".myaddin").mkdir()
    (tmp_path / ".myaddin" / "myaddin.conf").write_text('"XLBRIDGE_INBOX","D:\\收件箱"\n', encoding="utf-8")
    assert configured_inbox(book, environ={}) == Path("D:\\收件箱")  # the add-in's own user config first

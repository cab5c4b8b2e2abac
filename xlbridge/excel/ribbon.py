"""The 校验 button's Python side: read the open workbook, run the engine, mark the ledger, list
every finding on a 校验结果 sheet, and offer to submit a clean ledger to the inbox folder.

The logic talks to a :class:`LedgerBook`: :class:`XlwingsBook` in Excel, a fake in the tests.
``xw.Book.caller()`` is called in :func:`validate_active_book`, the outermost edge, and nowhere else.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from xlbridge.check.engine import Validation, validate_grid
from xlbridge.check.files import ledger_system as system_named_by
from xlbridge.errors import LedgerError, XlbridgeError, os_reason
from xlbridge.excel.addin import ADDIN_FILENAME, CONFIG_SHEET, INBOX_KEY
from xlbridge.findings import SEVERITY_LABELS, Finding, Report, Severity, column_letter
from xlbridge.ledger import layout as L
from xlbridge.ledger.layout import PROTECTION_PASSWORD
from xlbridge.ledger.reader import LedgerGrid, meta_values
from xlbridge.system.model import IndicatorSystem

TITLE = "法治台账"
MARK_FILLS = {Severity.error: "#FFC7CE", Severity.warning: "#FFEB9C"}  # Excel's "bad" and "neutral"
# The ledger writer's fills: a cleared mark gives its cell this colour back.
LOCKED_FILL, INPUT_FILL, HEADER_FILL = (f"#{c}" for c in (L.LOCKED_FILL, L.INPUT_FILL, L.HEADER_FILL))
RESULT_HEADERS = ("级别", "单元格", "字段", "规则", "说明", "建议")
RESULT_WIDTHS = (6, 10, 16, 24, 60, 40)
RESULT_FIRST_ROW = 3  # row 1: time and summary, row 2: headers
MARKED_HELP = "有问题的单元格已标红（错误）或标黄（警告），鼠标停在单元格上可看说明；全部问题见「校验结果」工作表。"

_ADDRESS = re.compile(r"^([A-Z]{1,3})([1-9][0-9]*)$")
_UNSAFE_IN_NAME = re.compile(r'[\\/:*?"<>|\s]+')
_FORMULA_START = ("=", "+", "-", "@")
_SEVERITY_ORDER = {Severity.error: 0, Severity.warning: 1, Severity.info: 2}


class SubmitError(XlbridgeError):
    """A clean ledger could not be copied to the inbox folder."""


class LedgerBook(Protocol):
    """What the button needs from a workbook. Cells are A1 addresses on the named sheet."""

    @property
    def name(self) -> str: ...

    @property
    def fullname(self) -> str: ...

    def sheet_names(self) -> list[str]: ...

    def read(self, sheet: str) -> list[list[Any]]:
        """The sheet's values from A1 to the end of its used range, in one call."""
        ...

    def formulas(self, sheet: str) -> set[tuple[int, int]]:
        """(row, column) of every formula cell; empty where the engine cannot tell."""
        ...

    def merged(self, sheet: str) -> list[tuple[int, int, int, int]]:
        """Merged ranges as (first row, first col, last row, last col), at least those reaching the
        indicator rows; empty where the engine cannot tell."""
        ...

    def write(self, sheet: str, rows: list[list[Any]], row: int = 1) -> None:
        """Rows of values from column A of ``row``, in one call."""
        ...

    def fill(self, sheet: str, cells: Sequence[str], color: str | None) -> None:
        """One fill colour (``None``: no fill) for many cells, in as few calls as the engine allows."""
        ...

    def set_note(self, sheet: str, cell: str, text: str) -> None: ...

    def clear_notes(self, sheet: str, cells: Sequence[str]) -> None: ...

    def reset_sheet(self, name: str, after: str, widths: Sequence[float]) -> None:
        """Empty sheet ``name``, adding it after sheet ``after`` (with column widths) if missing."""
        ...

    def editing(self) -> AbstractContextManager[None]:
        """A context in which the ledger may be marked (sheet and structure protection lifted)."""
        ...

    def alert(self, prompt: str, buttons: str = "ok", mode: str = "info") -> str | None:
        """A message box; returns the button pressed ("ok", "yes", "no"…) where the engine can."""
        ...

    def save(self) -> None: ...

    def setting(self, key: str) -> str | None:
        """A value from the add-in's configuration, None when not set."""
        ...


@dataclass
class Outcome:
    validation: Validation | None  # None when the workbook is not a ledger this machine can check
    submitted: Path | None = None


# --------------------------------------------------------------------------- the button
def validate_active_book() -> None:
    """The ribbon button (``xlbridge.main``): the only place that asks xlwings for the caller."""
    import xlwings as xw

    book = XlwingsBook(xw.Book.caller())
    validate_book(book, inbox=configured_inbox(book))


def validate_book(book: LedgerBook, *, inbox: Path | None = None,
                  now: Callable[[], datetime] = datetime.now) -> Outcome:
    try:
        grid = read_grid(book)
        system = ledger_system(grid)
    except XlbridgeError as exc:
        book.alert(str(exc), mode="critical")
        return Outcome(None)
    validation = validate_grid(grid, system)  # no key on a clerk's machine: signature-unchecked
    with book.editing():
        clear_marks(book)
        mark(book, validation.report.findings)
        write_results(book, validation.report, now())
    return Outcome(validation, offer_submit(book, validation, inbox, now))


def configured_inbox(book: LedgerBook, environ: Mapping[str, str] = os.environ) -> Path | None:
    """The inbox folder: the environment variable, else the add-in's configuration."""
    value = environ.get(INBOX_KEY) or book.setting(INBOX_KEY)
    return Path(value) if value else None


# --------------------------------------------------------------------------- reading
def read_grid(book: LedgerBook) -> LedgerGrid:
    names = book.sheet_names()
    if L.LEDGER_SHEET not in names:
        raise LedgerError(f"工作簿「{book.name}」中没有「{L.LEDGER_SHEET}」工作表。请打开系统下发的台账后再点“校验”。")
    meta = meta_values(book.read(L.META_SHEET)) if L.META_SHEET in names else None
    return LedgerGrid(rows=book.read(L.LEDGER_SHEET), meta=meta, file=book.name,
                      formulas=book.formulas(L.LEDGER_SHEET), sheet_names=names, merged=book.merged(L.LEDGER_SHEET))


def ledger_system(grid: LedgerGrid) -> IndicatorSystem:
    """The indicator system the ledger was issued under, by its metadata."""
    return system_named_by(grid.meta)


# --------------------------------------------------------------------------- marks
def clear_marks(book: LedgerBook) -> None:
    """Undo the last run's marks: the cells it listed as errors and warnings on 校验结果."""
    cells = previous_marks(book)
    if not cells:
        return
    book.clear_notes(L.LEDGER_SHEET, cells)
    by_color: dict[str | None, list[str]] = defaultdict(list)
    for cell in cells:
        by_color[base_color(*row_col(cell))].append(cell)
    for color, group in by_color.items():
        book.fill(L.LEDGER_SHEET, group, color)


def previous_marks(book: LedgerBook) -> list[str]:
    if L.RESULTS_SHEET not in book.sheet_names():
        return []
    marked = {SEVERITY_LABELS[s] for s in MARK_FILLS}
    cells = [
        row[1] for row in book.read(L.RESULTS_SHEET)[RESULT_FIRST_ROW - 1:]
        if len(row) > 1 and row[0] in marked and isinstance(row[1], str) and _ADDRESS.match(row[1])
    ]
    return list(dict.fromkeys(cells))


def mark(book: LedgerBook, findings: Iterable[Finding]) -> None:
    """Fill each offending cell by its worst finding (one batch per colour) and note what is wrong."""
    by_cell = cell_findings(findings)
    by_color: dict[str, list[str]] = defaultdict(list)
    for cell, group in by_cell.items():
        worst = min((f.severity for f in group), key=_SEVERITY_ORDER.__getitem__)
        by_color[MARK_FILLS[worst]].append(cell)
    for color, cells in by_color.items():
        book.fill(L.LEDGER_SHEET, cells, color)
    for cell, group in by_cell.items():
        book.set_note(L.LEDGER_SHEET, cell, note_text(group))


def cell_findings(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    """Errors and warnings that point at a ledger cell, by cell (normalisation notices are not marked)."""
    by_cell: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        if f.severity in MARK_FILLS and f.sheet == L.LEDGER_SHEET and f.cell:
            by_cell[f.cell].append(f)
    return dict(by_cell)


def note_text(findings: Iterable[Finding]) -> str:
    lines = []
    for f in findings:
        lines.append(f"【{SEVERITY_LABELS[f.severity]}】{f.message}")
        if f.hint:
            lines.append(f"建议：{f.hint}")
    return "\n".join(lines)


def base_color(row: int, col: int) -> str | None:
    """The fill the ledger writer gave this cell."""
    if row >= L.FIRST_DATA_ROW and col <= len(L.COLUMNS):
        return LOCKED_FILL if L.COLUMNS[col - 1].locked else None
    if row == L.HEADER_ROW and col <= len(L.COLUMNS):
        return HEADER_FILL
    if any(f.row == row and f.value_col == col and not f.locked for f in L.HEADER_FIELDS):
        return INPUT_FILL
    return None


def row_col(cell: str) -> tuple[int, int]:
    match = _ADDRESS.match(cell)
    if not match:
        raise ValueError(f"not a cell address: {cell}")
    col = 0
    for letter in match.group(1):
        col = col * 26 + ord(letter) - 64
    return int(match.group(2)), col


# --------------------------------------------------------------------------- results sheet
def write_results(book: LedgerBook, report: Report, when: datetime) -> None:
    width = len(RESULT_HEADERS)
    rows: list[list[Any]] = [[f"{when:%Y-%m-%d %H:%M} 校验：{report.summary()}"] + [None] * (width - 1)]
    rows.append(list(RESULT_HEADERS))
    rows += [result_row(f) for f in sorted(report.findings, key=_result_order)]
    book.reset_sheet(L.RESULTS_SHEET, after=L.LEDGER_SHEET, widths=RESULT_WIDTHS)
    book.write(L.RESULTS_SHEET, rows)


def result_row(f: Finding) -> list[Any]:
    label = SEVERITY_LABELS[f.severity]
    return [label, cell_link(f), _text(f.field), f.rule, _text(f.message), _text(f.hint)]


def cell_link(f: Finding) -> str | None:
    """A HYPERLINK formula to the finding's cell (or its row) on the ledger sheet."""
    if f.row is None:
        return None
    target, label = (f.cell, f.cell) if f.cell else (f"A{f.row}", f"第 {f.row} 行")
    return f"=HYPERLINK(\"#'{L.LEDGER_SHEET}'!{target}\",\"{label}\")"


def _result_order(f: Finding) -> tuple[int, int, int]:
    return _SEVERITY_ORDER[f.severity], f.row or 0, f.column or 0


def _text(value: str | None) -> str | None:
    """Text that Excel must not take for a formula."""
    return f"'{value}" if value and value.startswith(_FORMULA_START) else value


# --------------------------------------------------------------------------- submitting
def offer_submit(book: LedgerBook, validation: Validation, inbox: Path | None,
                 now: Callable[[], datetime]) -> Path | None:
    report = validation.report
    summary = report.summary()
    if not validation.valid:
        book.alert(f"{summary}\n\n{MARKED_HELP}", mode="critical")
        return None
    remark = "\n有警告，见「校验结果」工作表，可修改后再报送。" if report.warnings else ""
    if inbox is None:
        book.alert(f"{summary}{remark}\n\n台账可以报送。本机未设置报送文件夹（{INBOX_KEY}），请保存后按通知要求报送。")
        return None
    if book.alert(f"{summary}{remark}\n\n台账可以报送。现在保存并报送到\n{inbox}\n吗？", buttons="yes_no") != "yes":
        return None
    try:
        path = submit(book, submission_unit(validation), inbox, now())
    except XlbridgeError as exc:
        book.alert(str(exc), mode="critical")
        return None
    book.alert(f"已报送：{path.name}\n报送文件夹：{inbox}")
    return path


def submit(book: LedgerBook, unit: str, inbox: Path, when: datetime) -> Path:
    """Save, then copy the file into ``inbox`` as ``<unit>_<YYYYmmdd-HHMMSS>.xlsx``.

    The copy is written under a ``~$…tmp`` name and renamed, so a folder watcher never sees half a file.
    """
    book.save()
    source = Path(book.fullname)
    if not source.is_file():
        raise SubmitError("台账还不是本机上的文件（未保存或在网盘中），请先另存到本机文件夹再报送。")
    if not inbox.is_dir():
        raise SubmitError(f"报送文件夹「{inbox}」不存在或无法访问，请联系综合协调组。")
    target = submission_path(inbox, unit, when, source.suffix or ".xlsx")
    partial = partial_path(target)
    try:
        shutil.copyfile(source, partial)
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise SubmitError(f"报送到「{inbox}」失败：{os_reason(exc)}") from None
    return target


def partial_path(target: Path) -> Path:
    """Where the copy is written first: a name the inbox watcher ignores (``~$`` and ``.tmp``)."""
    return target.with_name(f"~${target.stem}.tmp")


def submission_unit(validation: Validation) -> str:
    unit = validation.meta.get("unit") or str(validation.header.get("unit") or "")
    return _UNSAFE_IN_NAME.sub("", unit) or "台账"


def submission_path(inbox: Path, unit: str, when: datetime, suffix: str = ".xlsx") -> Path:
    stem = f"{unit}_{when:%Y%m%d-%H%M%S}"
    path, n = inbox / f"{stem}{suffix}", 1
    while path.exists():
        n += 1
        path = inbox / f"{stem}-{n}{suffix}"
    return path


# --------------------------------------------------------------------------- xlwings
_PROTECTION_FLAGS = (
    "AllowFormattingCells", "AllowFormattingColumns", "AllowFormattingRows", "AllowInsertingColumns",
    "AllowInsertingRows", "AllowInsertingHyperlinks", "AllowDeletingColumns", "AllowDeletingRows",
    "AllowSorting", "AllowFiltering", "AllowUsingPivotTables",
)
_UNION_LIMIT = 255  # Excel's limit for a multi-area address


class XlwingsBook:
    """:class:`LedgerBook` on an ``xlwings.Book``: COM on Windows, or xlwings' remote engine.

    On Windows, fills and note clearing go out as multi-area ranges (``H12:H15,J7``, at most 255
    characters each). Elsewhere each vertical run is one call: the remote engine silently keeps only
    the first area of a multi-area address, and queues every action into one response anyway.
    Sheet and workbook protection are lifted only on Windows (the remote engine has none).
    """

    def __init__(self, book: Any) -> None:
        self._book = book
        self._com = book.app.engine.name == "excel" and sys.platform == "win32"

    @property
    def name(self) -> str:
        return str(self._book.name)

    @property
    def fullname(self) -> str:
        return str(self._book.fullname)

    def sheet_names(self) -> list[str]:
        return [sheet.name for sheet in self._book.sheets]

    def read(self, sheet: str) -> list[list[Any]]:
        return self._from_a1(sheet).options(ndim=2).value

    def formulas(self, sheet: str) -> set[tuple[int, int]]:
        try:
            formulas = self._from_a1(sheet).formula
        except NotImplementedError:  # the remote engine does not send formulas
            return set()
        rows = ((formulas,),) if isinstance(formulas, str) else formulas
        return {(r, c) for r, row in enumerate(rows, 1) for c, cell in enumerate(row, 1)
                if str(cell).startswith("=")}

    def merged(self, sheet: str) -> list[tuple[int, int, int, int]]:
        """The merges that reach the indicator rows: the header block has the writer's own, and
        every column meets the title's, so looking there would cost a call per cell."""
        ws, used = self._book.sheets[sheet], self._from_a1(sheet)
        last_row, last_col = used.last_cell.row, used.last_cell.column
        if last_row < L.FIRST_DATA_ROW:
            return []
        try:
            if ws.range((L.FIRST_DATA_ROW, 1), (last_row, last_col)).merge_cells is False:  # None: some are
                return []
        except NotImplementedError:  # the remote engine does not read merges synchronously
            return []
        areas = set()
        for col in range(1, last_col + 1):  # a column at a time, a merge area at a step
            if ws.range((L.FIRST_DATA_ROW, col), (last_row, col)).merge_cells is False:
                continue
            row = L.FIRST_DATA_ROW
            while row <= last_row:
                area = ws.range((row, col)).merge_area
                areas.add((area.row, area.column, area.last_cell.row, area.last_cell.column))
                row = area.last_cell.row + 1
        return sorted(a for a in areas if a[:2] != a[2:])

    def write(self, sheet: str, rows: list[list[Any]], row: int = 1) -> None:
        self._book.sheets[sheet].range((row, 1)).value = rows

    def fill(self, sheet: str, cells: Sequence[str], color: str | None) -> None:
        ws = self._book.sheets[sheet]
        for address in self._batches(cells):
            ws.range(address).color = color

    def set_note(self, sheet: str, cell: str, text: str) -> None:
        rng = self._book.sheets[sheet].range(cell)
        note = rng.note
        if note is None:
            rng.add_note(text)
        else:
            note.text = text

    def clear_notes(self, sheet: str, cells: Sequence[str]) -> None:
        ws = self._book.sheets[sheet]
        if self._com:
            for address in self._batches(cells):
                ws.range(address).api.ClearComments()
            return
        for cell in cells:
            note = ws.range(cell).note
            if note is not None:
                note.delete()

    def reset_sheet(self, name: str, after: str, widths: Sequence[float]) -> None:
        if name in self.sheet_names():
            self._book.sheets[name].clear()
            return
        ws = self._book.sheets.add(name, after=self._book.sheets[after])
        for col, width in enumerate(widths, start=1):
            ws.range((1, col)).column_width = width

    @contextmanager
    def editing(self) -> Iterator[None]:
        if not self._com:
            yield
            return
        book, sheet = self._book.api, self._book.sheets[L.LEDGER_SHEET].api
        structure, contents = bool(book.ProtectStructure), bool(sheet.ProtectContents)
        flags = {flag: getattr(sheet.Protection, flag) for flag in _PROTECTION_FLAGS} if contents else {}
        if structure:
            book.Unprotect(PROTECTION_PASSWORD)
        if contents:
            sheet.Unprotect(PROTECTION_PASSWORD)
        self._book.app.screen_updating = False
        try:
            yield
        finally:
            self._book.app.screen_updating = True
            if contents:
                sheet.Protect(PROTECTION_PASSWORD, DrawingObjects=True, Contents=True, Scenarios=True,
                              **flags)
            if structure:
                book.Protect(PROTECTION_PASSWORD, Structure=True)

    def alert(self, prompt: str, buttons: str = "ok", mode: str = "info") -> str | None:
        return self._book.app.alert(prompt, title=TITLE, buttons=buttons, mode=mode)

    def save(self) -> None:
        self._book.save()

    def setting(self, key: str) -> str | None:
        import xlwings

        sources = (
            self._addin_config,
            # the custom add-in's user config, where the VBA also looks for Interpreter_Win
            lambda: read_config_file(Path.home() / ".myaddin" / "myaddin.conf"),
            lambda: read_config_file(Path(xlwings.USER_CONFIG_FILE)),  # ~/.xlwings/xlwings.conf
        )
        return next((value for source in sources if (value := source().get(key.lower()))), None)

    def _addin_config(self) -> dict[str, str]:
        """The installed add-in's config sheet (``myaddin.conf``), as ``xlbridge addin build`` wrote it."""
        try:
            sheet = self._book.app.books[ADDIN_FILENAME].sheets[CONFIG_SHEET]
            values = sheet.range("A1:B1").options(dict, expand="down").value
        except Exception:  # noqa: BLE001 - no add-in open (remote engine, tests) or its sheet inactive
            return {}
        return {str(k).lower(): str(v) for k, v in (values or {}).items() if k and v}

    def _from_a1(self, sheet: str) -> Any:
        ws = self._book.sheets[sheet]
        used = ws.used_range
        return ws.range((1, 1), (used.row + used.shape[0] - 1, used.column + used.shape[1] - 1))

    def _batches(self, cells: Sequence[str]) -> list[str]:
        areas = column_runs(cells)
        return unions(areas) if self._com else areas


def column_runs(cells: Iterable[str]) -> list[str]:
    """Cells merged into vertical runs: H12, H13, H14, J7 → H12:H14, J7."""
    by_col: dict[int, set[int]] = defaultdict(set)
    for cell in cells:
        row, col = row_col(cell)
        by_col[col].add(row)
    areas = []
    for col in sorted(by_col):
        letter = column_letter(col)
        for first, last in _runs(sorted(by_col[col])):
            areas.append(f"{letter}{first}" if first == last else f"{letter}{first}:{letter}{last}")
    return areas


def _runs(numbers: list[int]) -> list[tuple[int, int]]:
    """Sorted numbers as (first, last) runs: 1 2 3 5 → (1, 3) (5, 5)."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return [(first, last) for first, last in runs]


def unions(areas: Sequence[str], limit: int = _UNION_LIMIT) -> list[str]:
    """Areas joined into multi-area addresses no longer than Excel accepts."""
    batches: list[str] = []
    current = ""
    for area in areas:
        joined = f"{current},{area}" if current else area
        if len(joined) > limit and current:
            batches.append(current)
            joined = area
        current = joined
    if current:
        batches.append(current)
    return batches


def read_config_file(path: Path) -> dict[str, str]:
    """An xlwings config file: lines of ``"KEY","value"``; keys lower-cased like xlwings does."""
    try:
        data = path.read_bytes()
    except OSError:
        return {}
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gbk", errors="replace")  # Notepad on a Chinese Windows, saved as ANSI
    config = {}
    for line in text.splitlines():
        values = re.findall(r'"([^"]*)"', line)
        if len(values) >= 2:
            config[values[0].lower()] = os.path.expandvars(values[1])
    return config

"""The validation engine: a ledger grid + its indicator system → findings and parsed records.

Pure: no I/O, no Excel. The ribbon button, `xlbridge validate` and the daemon all call
:func:`validate_grid`. With the coordination group's key it also verifies the signature;
without it (a clerk's machine) it says the signature is checked on submission.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from xlbridge.check import cells
from xlbridge.check.rectification import check_rectification
from xlbridge.check.rules import RULES, severity
from xlbridge.findings import Finding, Report, column_letter
from xlbridge.ledger import layout as L
from xlbridge.ledger.content import IssuedLedger, IssuedRow, issued_ledger
from xlbridge.ledger.reader import LedgerGrid
from xlbridge.ledger.rectification import Answer
from xlbridge.ledger.signature import verify
from xlbridge.normalise import tidy_multiline
from xlbridge.system.model import KIND_LABELS, WEB_SEARCH, IndicatorSystem
from xlbridge.system.model import Kind as RowKind

_LINK_SPLIT = re.compile(r"[\s;；,，、]+")
# Chinese punctuation typed with the IME (。“”《》【】…) is never part of a published link: it is
# a sentence around the link, or two links run together. The scheme is case-insensitive (RFC 3986;
# text pasted from Word arrives as "Http://").
_URL = re.compile(
    r"^(?i:https?)://[A-Za-z0-9\-._~%]+(?::\d+)?(?:[/?#][^\s<>\"\u2018-\u201f\u2026\u3000-\u303f\uff01-\uffef]*)?$"
)
# A line break separates numbers too: clerks put one number per line (Alt+Enter).
_PHONE_SPLIT = re.compile(r"[,，、;；/\n]+")
_PHONE = re.compile(r"^(?:\+?86-?)?(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(?:-\d{1,6})?|\d{7,8}|\(0\d{2,3}\)\d{7,8})$")
_EXCEL_CELL_LIMIT = 32767
FINDINGS_PER_RULE = 200  # then one summary finding: receipts and the store stay small whatever the file


@dataclass(slots=True)
class Record:
    """One indicator row of a submission, continuation rows folded in."""

    row: int
    year: int
    code: str
    progress: str = ""
    description: str = ""
    materials: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    secret: bool = False
    person: str = ""
    phone: str = ""


@dataclass(slots=True)
class RecordTable:
    """A submission's indicator rows column by column, continuation rows folded in: what the
    engine checks and the store takes, with no object made per row. Materials and links are
    kept as the store keeps them, one per line."""

    row: list[int]
    year: list[int]
    code: list[str]
    progress: list[str]
    description: list[str]
    materials: list[str]
    links: list[str]
    secret: list[bool]
    person: list[str]
    phone: list[str]

    def __len__(self) -> int:
        return len(self.row)

    def records(self) -> list[Record]:
        return [Record(row, year, code, progress, description, _lines(materials), _lines(links), secret, person, phone)
                for row, year, code, progress, description, materials, links, secret, person, phone
                in zip(self.row, self.year, self.code, self.progress, self.description, self.materials, self.links,
                       self.secret, self.person, self.phone, strict=True)]


def _lines(text: str) -> list[str]:
    return text.split("\n") if text else []


@dataclass
class Validation:
    report: Report
    meta: dict[str, str]
    header: dict[str, Any]
    table: RecordTable
    signature_ok: bool | None  # None: not checked (no key)
    answers: list[Answer] = field(default_factory=list)  # to the 整改 sheet's rectification items

    @property
    def valid(self) -> bool:
        return self.report.valid

    @cached_property
    def records(self) -> list[Record]:
        """The rows one by one (built on first use: the daemon stores the table as it is)."""
        return self.table.records()


class _Checker:
    def __init__(self, grid: LedgerGrid, system: IndicatorSystem) -> None:
        self.grid, self.system = grid, system
        self.findings: list[Finding] = []
        self.per_rule: dict[str, int] = {}

    def add(self, rule: str, message: str, row: int | None = None, column: L.Column | int | None = None,
            hint: str | None = None, value: object = None) -> None:
        n = self.per_rule[rule] = self.per_rule.get(rule, 0) + 1
        if n > FINDINGS_PER_RULE:
            return  # counted, said once at the end (bounded_findings)
        if isinstance(column, L.Column):
            col, header = column.index, column.header
        else:
            col, header = column, None
        text = None if value is None else str(value)[:200]
        # Positional: a long-text ledger makes a finding per row, and keywords cost twice the time.
        self.findings.append(Finding(rule, severity(rule), message, hint, self.grid.file, L.LEDGER_SHEET, row, col,
                                     header, text))

    def cell(self, row: int, col: int) -> Any:
        rows = self.grid.rows
        if row - 1 < len(rows) and col - 1 < len(rows[row - 1]):
            return rows[row - 1][col - 1]
        return None

    def normalised(self, value: object, kind: L.Kind, row: int, column: L.Column | int) -> Any:
        changes: list[str] = []
        result = cells.normalise(value, kind, changes)
        self.report_changes(changes, value, result, row, column)
        return result

    def report_changes(self, changes: list[str], value: object, result: object, row: int, column: L.Column | int) -> None:
        for rule in dict.fromkeys(changes):
            self.add(rule, f"{RULES[rule][1]}：「{_short(value)}」→「{_short(result)}」", row, column, value=value)


def validate_grid(grid: LedgerGrid, system: IndicatorSystem, key: bytes | None = None,
                  today: date | None = None) -> Validation:
    check = _Checker(grid, system)
    meta = grid.meta or {}
    signature_ok = _check_meta(check, meta, key)
    unit = meta.get("unit") or cells.as_text(check.cell(L.UNIT_ROW, L.HEADER_FIELD["unit"].value_col), [])
    if _other_version(meta, system):
        # Its rows are those of another version: comparing them with this one would only list
        # every added and removed indicator as a mistake of the clerk's. One message says it all.
        findings = sorted(check.findings, key=lambda f: (f.row or 0, f.column or 0))
        return Validation(Report(findings=findings), meta, {}, RecordTable(*([] for _ in range(10))), signature_ok)
    expected = _expected_rows(check, meta, unit)
    header = _check_header_block(check, unit)
    _check_period(check, header.get("period"), meta, today or date.today())
    _check_column_headers(check)
    table = _check_rows(check, expected, unit)
    _check_other_formulas(check)
    if not _check_blank(check, table):
        _check_contacts(check, table)
    rectify_findings, answers = check_rectification(grid.rectification, meta, grid.file)
    findings = sorted(check.findings, key=lambda f: (f.row or 0, f.column or 0)) + _more_findings(check) + rectify_findings
    return Validation(Report(findings=findings), meta, header, table, signature_ok, answers)


def _more_findings(check: _Checker) -> list[Finding]:
    """One finding per rule said more than FINDINGS_PER_RULE times: how many more there are."""
    return [Finding(rule, severity(rule), f"另有 {n - FINDINGS_PER_RULE} 处同类问题（{RULES[rule][1]}）未逐一列出，"
                    f"共 {n} 处", "请按上面列出的问题逐一检查同类单元格", check.grid.file, L.LEDGER_SHEET)
            for rule, n in check.per_rule.items() if n > FINDINGS_PER_RULE]


# --------------------------------------------------------------------------- template
def _check_meta(check: _Checker, meta: dict[str, str], key: bytes | None) -> bool | None:
    system = check.system
    if not meta:
        check.add("meta-missing", "台账缺少系统标识（隐藏工作表 xlbridge 被删除，或不是系统下发的台账）",
                  hint="请使用系统下发的台账模板重新填报")
        return False if key else None
    if meta.get("system_id") != system.id:
        check.add("system-unknown", f"台账属于指标体系「{meta.get('system_id')}」，不是「{system.id}」")
    elif _other_version(meta, system):
        check.add("system-changed",
                  f"这份台账按指标体系第 {meta.get('system_version')} 版生成，现行的是第 {system.version} 版"
                  "（指标或责任分工已修订），本份未计入",
                  hint=f"请改用综合协调组下发的第 {system.version} 版台账填报；已报送过的内容会预填在新版台账中")
    if meta.get("template_version") != L.TEMPLATE_VERSION:
        check.add("template-version", f"台账模板版本 {meta.get('template_version')}，系统要求 {L.TEMPLATE_VERSION}",
                  hint="请向综合协调组领取新版台账")
    if not meta.get("signature"):
        check.add("signature-missing", "台账缺少签名，无法证明来源")
        return False
    if key is None:
        check.add("signature-unchecked", "签名将在报送后由系统核验（本机不保存密钥）")
        return None
    if not verify(meta, key):
        check.add("signature-invalid", "台账签名不正确：台账标识被改动，或不是本系统签发",
                  hint="请使用系统下发的台账模板重新填报")
        return False
    return True


def _other_version(meta: dict[str, str], system: IndicatorSystem) -> bool:
    return bool(meta) and meta.get("system_id") == system.id and meta.get("system_version") != system.version


def _expected_rows(check: _Checker, meta: dict[str, str], unit: str) -> IssuedLedger | None:
    system = check.system
    if not unit or system.unit(unit) is None:
        check.add("unit-unknown", f"责任单位「{unit}」不在指标体系「{system.title}」中", L.UNIT_ROW, L.HEADER_FIELD["unit"].value_col)
        return None
    unit = system.unit(unit).name  # type: ignore[union-attr]
    try:
        years = [int(y) for y in meta.get("years", "").split(",") if y]
    except ValueError:
        years = []
    # isdecimal, not isdigit: int() refuses digits such as "²" that isdigit accepts.
    years = years or system.years or ([int(meta["campaign"])] if meta.get("campaign", "").isdecimal() else [])
    issued = issued_ledger(system, unit, years)
    if meta.get("rows_digest") and meta.get("system_id") == system.id and meta["rows_digest"] != issued.digest:
        check.add("system-changed", "台账下发后，本单位的指标或责任分工已调整，预填内容与现行指标体系不一致",
                  hint="请向综合协调组领取新版台账")
    return issued


def _check_header_block(check: _Checker, unit: str) -> dict[str, Any]:
    header: dict[str, Any] = {}
    for f in L.HEADER_FIELDS:
        raw = check.cell(f.row, f.value_col)
        changes: list[str] = []
        if f.key == "period":
            value = cells.as_month(raw, changes)
            if raw in (None, ""):
                check.add("period-missing", "未填写报送月份，无法确定本份台账计入哪个月", f.row, f.value_col,
                          hint="请在报送月份栏填写所报告的月份，如 2021-05")
            elif value is None:
                check.add("period-invalid", f"报送月份「{_short(raw)}」无法识别", f.row, f.value_col, hint="请写成 2021-05", value=raw)
        elif f.key == "filled_on":
            value = cells.as_date(raw, changes)
            if raw not in (None, "") and value is None:
                check.add("date-invalid", f"填表时间「{_short(raw)}」无法识别", f.row, f.value_col, hint="请写成 2021-05-28", value=raw)
        else:
            value = cells.as_text(raw, changes)
        header[f.key] = value
        if not f.locked:
            # The clerk's header cells get what their data cells get: formulas refused, every
            # normalisation shown (a pre-filled cell that differs is prefilled-changed instead).
            if (f.row, f.value_col) in check.grid.formulas:
                check.add("formula-in-input", "填报单元格中含公式，请改为直接填写文字", f.row, f.value_col)
            if value is not None:
                check.report_changes(changes, raw, value, f.row, f.value_col)
    if unit and header.get("unit") and cells.as_compact(header["unit"], []) != cells.as_compact(unit, []):
        check.add("prefilled-changed", f"责任单位被改为「{header['unit']}」，下发时为「{unit}」", L.UNIT_ROW, 2, value=header["unit"])
    _check_locked_header(check)
    return header


def _check_locked_header(check: _Checker) -> None:
    """Every other locked cell above the column headings as issued (title, labels, 考核体系,
    考核年度, and the empty cells between them), from what the signed metadata says was issued."""
    meta = check.grid.meta or {}
    if not meta.get("unit"):
        return  # not our ledger: meta-missing says so
    for (row, col), want in L.issued_header(meta).items():
        got = check.cell(row, col)
        if cells.as_compact(got, []) != cells.as_compact(want, []):
            ref = f"{column_letter(col)}{row}"
            check.add("header-changed", f"单元格 {ref} 应为「{_short(want)}」，实为「{_short(got)}」（表头锁定内容被修改）",
                      row, col, hint="表头为下发时的锁定内容，请勿修改", value=got)


def _check_period(check: _Checker, period: str | None, meta: dict[str, str], today: date) -> None:
    """The month a ledger counts for is never guessed: it must be a month of the campaign that
    has begun. Another month than the one issued is allowed (a clerk reporting late), and said."""
    if not period:
        return  # missing or unreadable: already an error
    cell = (L.HEADER_FIELD["period"].row, L.HEADER_FIELD["period"].value_col)
    campaign = meta.get("campaign", "")
    if campaign.isdecimal() and period[:4] != campaign:
        check.add("period-outside-campaign", f"报送月份 {period} 不在 {campaign} 考核年度内（应为 {campaign}-01 至 {campaign}-12）",
                  *cell, hint=f"请填写所报告的月份，如 {campaign}-05", value=period)
    elif period > f"{today.year:04d}-{today.month:02d}":
        check.add("period-future", f"报送月份 {period} 尚未到来（今天是 {today:%Y-%m-%d}）", *cell,
                  hint="请填写所报告的月份（通常是上个月）", value=period)
    elif meta.get("period") and meta["period"] != period:
        check.add("period-other", f"本台账下发时为 {meta['period']}，填写的报送月份为 {period}，按 {period} 计入", *cell,
                  value=period)


_INPUTS = ("progress", "description", "materials", "links", "person", "phone")


def _check_blank(check: _Checker, table: RecordTable) -> bool:
    """Whether nothing is filled in (then said as an error): an untouched ledger reports nothing,
    and accepting it would reset every answer to 未填."""
    if not len(table) or any(any(getattr(table, name)) for name in _INPUTS) or any(table.secret):
        return False
    check.add("ledger-blank", "台账未填写任何内容（与下发时相同），不能作为本月进展报送", hint="请填写完成进度和进度说明后再报送")
    return True


def _check_contacts(check: _Checker, table: RecordTable) -> None:
    """附件3 asks 责任人及联系方式 on every row: one warning per column, listing the rows."""
    for name in ("person", "phone"):
        column = L.COLUMN[name]
        empty = [row for row, value in zip(table.row, getattr(table, name)) if not value]
        if empty:
            check.add("contact-missing", f"{len(empty)} 个指标行未填{column.header}：第 {_row_ranges(empty)} 行",
                      empty[0], column, hint=f"每个指标行都应填写{column.header}（合并单元格填写一次即可）")


def _row_ranges(rows: list[int]) -> str:
    parts: list[str] = []
    start = prev = rows[0]
    for row in [*rows[1:], None]:
        if row is not None and row == prev + 1:
            prev = row
            continue
        parts.append(str(start) if start == prev else f"{start}–{prev}")
        if row is not None:
            start = prev = row
    return "、".join(parts[:20]) + ("……" if len(parts) > 20 else "")


def _check_column_headers(check: _Checker) -> None:
    for column in L.COLUMNS:
        got = cells.as_compact(check.cell(L.HEADER_ROW, column.index), [])
        if got != cells.as_compact(column.header, []):
            check.add("header-changed", f"第 {column.index} 列表头应为「{column.header}」，实为「{_short(got)}」",
                      L.HEADER_ROW, column.index, hint="请勿插入、删除或移动列")


# --------------------------------------------------------------------------- rows
# The rows are checked in three passes so that the work per cell stays at C speed on the
# usual, clean submission: the rows' identity and locked cells row by row (cheap look-ups),
# then every input column at once, then the content rules over the resulting column table.
@dataclass(slots=True)
class _Rows:
    """The indicator rows column by column: the usual ledger is taken as issued, whole, with
    no object made per row."""

    numbers: Sequence[int]  # sheet row numbers
    columns: list[Sequence[Any]]  # the cells of every column of the layout, in sheet order
    years: list[int]
    codes: list[str]


@dataclass(slots=True)
class _Continuation:
    number: int
    raw: list[Any]
    owner: int  # index of the indicator row it extends


def _check_rows(check: _Checker, issued: IssuedLedger | None, unit: str) -> RecordTable:
    width = len(L.COLUMNS)
    data = check.grid.rows[L.FIRST_DATA_ROW - 1:]
    if check.grid.merged:
        _unmerge(check, data)
    if data and not min(map(len, data)) == max(map(len, data)) == width:
        _check_outside(check, data, width)
        data = [raw[:width] + [None] * (width - len(raw)) for raw in data]
    rows, continuations = _identify_rows(check, data, issued, unit)
    table = _table(check, rows)
    for row in continuations:
        _continuation(check, row, table)
    _check_content(check, table)
    return table


def _unmerge(check: _Checker, data: list[list[Any]]) -> None:
    """Merged cells among the indicator rows, where only a range's first cell holds its value.
    Merged down one input column, the value is meant for every row (one 责任人 for a block of
    indicators): it is filled in, and said once. Any other merge there hides cells the engine
    must read, or changes locked ones: an error. Merges right of the layout are not read."""
    first = L.FIRST_DATA_ROW
    for top, left, bottom, right in check.grid.merged:
        if bottom < first or left > len(L.COLUMNS):  # the header block (the writer merges there), or outside
            continue
        span = f"{column_letter(left)}{top}:{column_letter(right)}{bottom}"
        column = L.COLUMNS[left - 1]
        if left != min(right, len(L.COLUMNS)) or column.locked or top < first:  # what lies right of it is not read
            check.add("cells-merged", f"单元格 {span} 被合并，只有第一格的内容能被读取", top, left,
                      hint="请取消合并（开始 → 合并后居中），每格分别填写")
            continue
        rows = data[top - first:bottom - first + 1]
        value = rows[0][left - 1] if rows and len(rows[0]) >= left else None
        if value is None or value == "":
            continue
        filled = False
        for i in range(top - first + 1, min(bottom - first + 1, len(data))):
            if all(v is None or v == "" for v in data[i]):
                continue  # a merge reaching past the ledger does not make rows of it
            data[i] = data[i] + [None] * (left - len(data[i]))  # a copy: the grid is the caller's
            data[i][left - 1], filled = value, True
        if filled:
            check.add("normalised-merged", f"合并单元格 {span} 的「{_short(value)}」已填入其中每一行", top, left,
                      value=value)


def _check_outside(check: _Checker, data: list[list[Any]], width: int) -> None:
    """Cells right of the layout are not read (protection keeps them locked in Excel, not in every
    program): said once per column, at its first filled cell, so that nothing is lost unnoticed."""
    filled: dict[int, list[int]] = {}
    for number, raw in enumerate(data, start=L.FIRST_DATA_ROW):
        for col in range(width + 1, len(raw) + 1):
            value = raw[col - 1]
            if value is not None and not (value.__class__ is str and not value.strip()):
                filled.setdefault(col, []).append(number)
    for col, numbers in sorted(filled.items()):
        first = data[numbers[0] - L.FIRST_DATA_ROW][col - 1]
        check.add("cell-outside-layout", f"{column_letter(col)} 列不属于台账，本列 {len(numbers)} 个单元格的内容不会被记录",
                  numbers[0], col, hint="需要报送的内容请写入“进度说明”或“上报材料（目录）”", value=first)


def _identify_rows(check: _Checker, data: list[list[Any]], issued: IssuedLedger | None,
                   unit: str) -> tuple[_Rows, list[_Continuation]]:
    """Which indicator each row is, checked against what was issued; continuation rows apart."""
    if issued is not None and not check.grid.formulas and len(data) == len(issued.rows):
        columns = _columns(data)
        if _as_issued(columns, issued):
            years, codes = issued.identity_columns
            return _Rows(range(L.FIRST_DATA_ROW, L.FIRST_DATA_ROW + len(data)), columns, list(years), list(codes)), []
    by_identity = issued.by_identity if issued else {}
    seen: dict[tuple[int, str], int] = {}
    numbers: list[int] = []
    raws: list[list[Any]] = []
    identities: list[tuple[int, str]] = []
    continuations: list[_Continuation] = []
    last_index = -1
    extendable = False  # is the row above an indicator row (or its continuation)?
    formulas = check.grid.formulas
    for number, raw in enumerate(data, start=L.FIRST_DATA_ROW):
        # The usual row: as issued, year and code untouched (a float year finds its int key).
        hit = by_identity.get((raw[0], raw[1])) if raw[1].__class__ is str else None
        if hit is None:
            if not any(raw) and all(v in (None, "") for v in raw):
                continue
            _check_formulas(check, number)
            identity = _identify(check, number, raw, issued, unit)
            if identity is _CONTINUATION:
                if extendable:
                    continuations.append(_Continuation(number, raw, owner=len(raws) - 1))
                else:
                    check.add("continuation-orphan", "此行没有年度和指标编号，且上方没有可归属的指标行", number,
                              L.COLUMN["code"], hint="续行请插入在对应指标行的下方")
                continue
            if identity is None:
                extendable = False
                continue
            hit = by_identity.get(identity)
        else:
            if formulas:
                _check_formulas(check, number)
            identity = hit[1].identity
        extendable = True
        if identity in seen:
            check.add("row-duplicate", f"{identity[0]} 年指标 {identity[1]} 重复（与第 {seen[identity]} 行相同）", number, L.COLUMN["code"])
            extendable = False
            continue
        seen[identity] = number
        if hit is not None:
            index, issued_row = hit
            if index < last_index:
                check.add("row-order", f"{identity[0]} 年指标 {identity[1]} 的位置被移动（应在前面的指标行之前）", number,
                          L.COLUMN["code"], hint="请勿排序或移动指标行")
            last_index = max(last_index, index)
            if raw[_PREFILLED] != issued_row.compared:  # the usual row is untouched: one comparison
                _compare_prefilled(check, number, raw, issued_row)
        numbers.append(number)
        raws.append(raw)
        identities.append(identity)
    for identity, (index, _) in by_identity.items():
        if identity not in seen:
            check.add("row-missing", f"{identity[0]} 年指标 {identity[1]} 的行被删除（下发时在第 {L.FIRST_DATA_ROW + index} 行）",
                      hint="请恢复该行，或使用系统下发的台账重新填报")
    return _Rows(numbers, _columns(raws), [year for year, _ in identities], [code for _, code in identities]), continuations


def _columns(rows: list[list[Any]]) -> list[Sequence[Any]]:
    """The layout's columns of these rows (each as wide as the layout), read in one pass."""
    return list(zip(*rows)) if rows else [()] * len(L.COLUMNS)


_CONTINUATION = (0, "")  # neither year nor code: a row the clerk inserted


def _as_issued(columns: list[Sequence[Any]], issued: IssuedLedger) -> bool:
    """The usual submission (as many rows as issued), recognised in one comparison of columns:
    the issued rows, in order, every locked cell untouched (a float year equals its int)."""
    return columns[:len(L.LOCKED)] == issued.locked_columns


def _identify(check: _Checker, number: int, raw: list[Any], issued: IssuedLedger | None,
              unit: str) -> tuple[int, str] | None:
    """(year, code) of a row that is not simply as issued, after normalising both; None when the
    row is reported and skipped (unknown code, not this unit's, year out of range)."""
    year, code = raw[0], raw[1]
    if year.__class__ is float and year.is_integer():
        year = int(year)
    elif year.__class__ is not int:
        year = check.normalised(year, L.Kind.year, number, L.COLUMN["year"])
    code = cells.as_compact(code, [])
    if year in ("", None) and not code:
        return _CONTINUATION
    if check.system.indicator(code) is None:
        check.add("code-unknown", f"指标编号「{code}」不在指标体系中", number, L.COLUMN["code"], value=code)
        return None
    if issued is not None and code not in issued.codes:
        check.add("code-unassigned", f"指标 {code} 不是本单位（{unit}）牵头或配合的指标", number, L.COLUMN["code"], value=code)
        return None
    if issued is not None and issued.years and year not in issued.years:
        years = issued.years
        check.add("year-out-of-range", f"年度「{year}」不在考核年度 {min(years)}–{max(years)} 内", number, L.COLUMN["year"], value=year)
        return None
    return year, code  # type: ignore[return-value]


def _check_other_formulas(check: _Checker) -> None:
    """The formulas the row checks do not see: in locked cells and the header block, right of the
    layout, in input cells of rows that read as empty (a formula with no value), and links to
    other workbooks (or DDE). A ledger carries what the clerk typed, never what a formula made."""
    grid = check.grid
    if grid.external_links:
        check.add("external-link", f"工作簿含 {grid.external_links} 个外部链接（指向其他工作簿或 DDE），系统不读取也不跟随",
                  hint="请在“数据—编辑链接”中断开链接（或把含链接的单元格“选择性粘贴—数值”）后再报送")
    if not grid.formulas:
        return
    clerk = {(f.row, f.value_col) for f in L.HEADER_FIELDS if not f.locked}  # said by the header check
    inputs, width = {c.index for c in L.INPUTS}, len(L.COLUMNS)
    for row, col in sorted(grid.formulas):
        if (row, col) in clerk:
            continue
        if row >= L.FIRST_DATA_ROW and col in inputs:
            raw = grid.rows[row - 1][:width] if row <= len(grid.rows) else []
            if any(v not in (None, "") for v in raw):
                continue  # a row the row checks read: said there
            check.add("formula-in-input", "填报单元格中含公式，请改为直接填写文字", row, col)
        else:
            check.add("formula-in-ledger", "台账中含公式（不在填报单元格中），系统只接收直接填写的内容", row, col,
                      hint="请把公式改为它的值（复制后“选择性粘贴—数值”），不要改动锁定的单元格")


def _check_formulas(check: _Checker, number: int) -> None:
    if not check.grid.formulas:
        return
    for column in L.INPUTS:
        if (number, column.index) in check.grid.formulas:
            check.add("formula-in-input", "填报单元格中含公式，请改为直接填写文字", number, column)


_PREFILLED = slice(L.LOCKED[2].index - 1, L.LOCKED[-1].index)  # year and code identified the row


def _compare_prefilled(check: _Checker, number: int, raw: list[Any], issued: IssuedRow) -> None:
    for column in L.LOCKED[2:]:
        got = raw[column.index - 1]
        want = issued.values[column.key]
        if got == want:
            continue
        if tidy_multiline(cells.as_text(got, [])) == tidy_multiline(str(want)):
            continue
        check.add("prefilled-changed", f"「{column.header}」与下发内容不一致（下发为「{_short(want)}」）",
                  number, column, hint="锁定内容请勿修改", value=got)


def _input_column(check: _Checker, numbers: Sequence[int], given: Sequence[Any], column: L.Column) -> list[Any]:
    """One input column of these rows (``given``, as read), normalised; every change reported on its cell."""
    kind, values = column.kind, list(given)
    clean = cells.clean_column(values, kind)  # the usual case, checked for the whole column at once
    if clean is not None:
        return clean
    out = []
    for number, value in zip(numbers, values, strict=True):
        if value is None or value == "":
            out.append("")
        elif value.__class__ is str and cells.already_clean(value, kind):
            out.append(value)
        else:
            out.append(check.normalised(value, kind, number, column))
    return out


def _table(check: _Checker, rows: _Rows) -> RecordTable:
    def column(key: str) -> list[Any]:
        return _input_column(check, rows.numbers, rows.columns[L.COLUMN[key].index - 1], L.COLUMN[key])

    materials, links, secret = map(column, L.CONTINUATION_INPUTS)
    # Normalised materials are one per line with no blank lines: as the store keeps them.
    table = RecordTable(list(rows.numbers), rows.years, rows.codes, column("progress"), column("description"),
                        materials, links, [False] * len(secret), column("person"), column("phone"))
    simple = _simple_links(links)
    if simple and set(secret) <= {"", L.SECRET_NO}:  # the usual ledger: nothing to report, taken whole
        if _SPACE_NOT_NEWLINE.search("\n".join(links)):
            table.links = list(map(_one_per_line, links))
        return table
    table.materials, table.links = [""] * len(materials), [""] * len(links)
    for i, (number, m, link, sec) in enumerate(zip(rows.numbers, materials, links, secret, strict=True)):
        if simple and (not sec or sec == L.SECRET_NO):
            table.materials[i], table.links[i] = m, _one_per_line(link)
        else:
            _add_material_cells(check, table, i, number, m, link, sec)
    return table


_SPACE_NOT_NEWLINE = re.compile(r"[^\S\n]")


def _one_per_line(links: str) -> str:
    return "\n".join(links.split())


def _simple_links(column: list[str]) -> bool:
    """Every link cell holds well-formed links separated by whitespace only (checked at once)."""
    joined = "\n".join(filter(None, column))
    return not any(sep in joined for sep in ";；,，、") and all(map(_URL.match, joined.split()))


def _continuation(check: _Checker, row: _Continuation, table: RecordTable) -> None:
    """A row the clerk inserted: more material lines for the indicator row above."""
    raw, number = row.raw, row.number
    for key in ("progress", "description", "person", "phone"):
        column = L.COLUMN[key]
        if raw[column.index - 1] not in (None, ""):
            check.add("continuation-extra", f"续行的「{column.header}」不会被记录，请写在第 {table.row[row.owner]} 行的指标行中",
                      number, column)
    materials, links, secret = (_input_column(check, [number], [raw[L.COLUMN[key].index - 1]], L.COLUMN[key])[0]
                                for key in L.CONTINUATION_INPUTS)
    _add_material_cells(check, table, row.owner, number, materials, links, secret)


def _add_material_cells(check: _Checker, table: RecordTable, i: int, number: int, materials: str, links: str,
                        secret: str) -> None:
    """Row ``number``'s material cells, added to indicator row ``i`` of the table."""
    if materials:
        table.materials[i] = _joined(table.materials[i], materials)
    if links:
        _add_links(check, table, i, number, links)
    if secret and secret != L.SECRET_NO:
        if secret != L.SECRET_YES:
            check.add("secret-invalid", f"涉密栏应为“是”或“否”，实为「{_short(secret)}」", number, L.COLUMN["secret"], value=secret)
            return
        table.secret[i] = True
        if materials or links:
            check.add("secret-with-content", "涉密材料不在系统中提供，只报纸质件：请删除本行的网址链接和材料目录，"
                      "并在“进度说明”中注明“涉密材料另报纸质件”",
                      number, L.COLUMN["links"] if links else L.COLUMN["materials"])


def _add_links(check: _Checker, table: RecordTable, i: int, number: int, links: str) -> None:
    for link in (t for t in _LINK_SPLIT.split(links) if t):
        if _URL.match(link):
            table.links[i] = _joined(table.links[i], link)
        else:
            hint = "网址应以 http:// 或 https:// 开头" if not link.lower().startswith("http") else "请检查网址中是否有空格或中文标点"
            check.add("link-malformed", f"「{_short(link)}」不是有效网址", number, L.COLUMN["links"], hint=hint, value=link)


def _joined(lines: str, more: str) -> str:
    return f"{lines}\n{more}" if lines else more


def _check_content(check: _Checker, table: RecordTable) -> None:
    column = L.COLUMN
    done, pending = L.PROGRESS_DONE, L.PROGRESS_PENDING
    needs_link = _web_search_codes(check.system)
    phones_ok: dict[str, bool] = {}
    kinds = _row_kinds(check.system)
    for row, code, progress, description, materials, links, secret, phone in zip(
            table.row, table.code, table.progress, table.description, table.materials, table.links, table.secret,
            table.phone):
        if code in kinds:  # a 加分项 or 减分项: its own choices, no task to complete
            _check_kind_row(check, kinds[code], row, progress, description, materials, links, secret)
        elif progress != done and progress != pending:
            if not progress:
                check.add("progress-missing", "请选择完成进度（已完成 / 未完成）", row, column["progress"])
            else:
                check.add("progress-invalid", f"完成进度应为“已完成”或“未完成”，实为「{_short(progress)}」", row,
                          column["progress"], hint="请从下拉列表选择", value=progress)
        n = len(description)
        if code in kinds:
            if n > L.DESCRIPTION_SOFT_LIMIT:
                _description_length(check, row, n)
        elif not n:
            if progress == done:
                check.add("description-missing-done", "已完成的，请写明上月具体完成情况", row, column["description"])
            elif progress == pending:
                check.add("description-missing-pending", "未完成的，请写明正在推进的情况", row, column["description"])
        elif n > L.DESCRIPTION_SOFT_LIMIT:
            _description_length(check, row, n)
        if progress == done and not secret and code not in kinds:
            if not links and code in needs_link:
                check.add("link-missing", f"指标 {code} 的测评方法含“网络检索”，请填写已公开内容的网址链接", row, column["links"])
            if not materials:
                check.add("materials-missing", "已完成的指标应列出上报材料目录", row, column["materials"])
        if phone:
            ok = phones_ok.get(phone)
            if ok is None:
                ok = phones_ok[phone] = all(_PHONE.match(p) for p in _PHONE_SPLIT.split(phone) if p)
            if not ok:
                _check_phones(check, row, phone)


def _check_kind_row(check: _Checker, kind: RowKind, row: int, progress: str, description: str, materials: str,
                    links: str, secret: bool) -> None:
    """A 减分项 row says whether the situation occurred; a 加分项 row whether the unit claims it."""
    column = L.progress_column(kind)
    label, allowed = KIND_LABELS[kind], "“" + "”或“".join(column.choices) + "”"
    if not progress:
        check.add("progress-missing", f"{label}请选择完成进度（{' / '.join(column.choices)}）", row, column)
    elif progress not in column.choices:
        legacy = progress in L.COLUMN["progress"].choices  # as every row offered before rows had kinds
        hint = f"{label}不按“已完成/未完成”填报，请从下拉列表选择" if legacy else "请从下拉列表选择"
        check.add("progress-invalid", f"{label}的完成进度应为{allowed}，实为「{_short(progress)}」", row, column,
                  hint=hint, value=progress)
    elif progress == L.PROGRESS_PRESENT and not description:
        check.add("description-missing-present", "存在减分情形的，请在进度说明中写明发生了什么、采取了哪些整改措施", row,
                  L.COLUMN["description"])
    elif progress == L.PROGRESS_CLAIMED:
        if not description:
            check.add("claim-description-missing", "申报加分的，请在进度说明中写明申报依据（获得的表彰、推广的做法等）", row,
                      L.COLUMN["description"])
        if not materials and not links and not secret:
            check.add("claim-evidence-missing", "申报加分的，请在“上报材料”中列出佐证材料或在“网址链接”中填写公开报道的网址", row,
                      L.COLUMN["materials"])


_ROW_KINDS: dict[int, tuple[IndicatorSystem, dict[str, RowKind]]] = {}


def _row_kinds(system: IndicatorSystem) -> dict[str, RowKind]:
    """Indicator key → kind, for the 加分项 and 减分项 only (most systems have a handful)."""
    cached = _ROW_KINDS.get(id(system))
    if cached is None or cached[0] is not system:
        kinds = {i.key: i.kind for i in system.indicators if i.kind is not RowKind.normal}
        cached = _ROW_KINDS[id(system)] = (system, kinds)
    return cached[1]


def _description_length(check: _Checker, row: int, n: int) -> None:
    column = L.COLUMN["description"]
    if n > _EXCEL_CELL_LIMIT:
        check.add("text-too-long", f"进度说明 {n} 字，超过 Excel 单元格上限", row, column)
    elif n > L.DESCRIPTION_HARD_LIMIT:
        check.add("description-too-long", f"进度说明 {n} 字，超过 {L.DESCRIPTION_HARD_LIMIT} 字上限", row, column,
                  hint="请精简，详细内容放入上报材料")
    else:
        check.add("description-long", f"进度说明 {n} 字，一般不超过 {L.DESCRIPTION_SOFT_LIMIT} 字", row, column)


def _check_phones(check: _Checker, row: int, phones: str) -> None:
    for phone in (p for p in _PHONE_SPLIT.split(phones) if p):
        if not _PHONE.match(phone):
            check.add("phone-malformed", f"联系电话「{_short(phone)}」格式不正确", row, L.COLUMN["phone"],
                      hint="手机 11 位，座机如 0393-6980399", value=phone)


_WEB_SEARCH_CODES: dict[int, tuple[IndicatorSystem, frozenset[str]]] = {}


def _web_search_codes(system: IndicatorSystem) -> frozenset[str]:
    cached = _WEB_SEARCH_CODES.get(id(system))
    if cached is None or cached[0] is not system:
        codes = frozenset(i.key for i in system.indicators if WEB_SEARCH in i.methods)
        cached = _WEB_SEARCH_CODES[id(system)] = (system, codes)
    return cached[1]


def _short(value: object, limit: int = 40) -> str:
    text = "" if value is None else str(value).replace("\n", "↵")
    return text if len(text) <= limit else text[:limit] + "…"

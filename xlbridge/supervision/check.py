"""Read a returned inspection workbook (calamine, bounds checked first) and check it: the same
pattern as the ledger engine, typed findings with stable rule ids and cells. Pure but for the
read; the store is not touched here (this runs in the intake's worker processes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from python_calamine import CalamineError, CalamineWorkbook

from xlbridge.check import cells
from xlbridge.errors import XlbridgeError, unparsable
from xlbridge.findings import Finding, Report
from xlbridge.ledger.content import locked_digest
from xlbridge.ledger.layout import Column
from xlbridge.ledger.reader import meta_values
from xlbridge.ledger.signature import verify
from xlbridge.normalise import cell_text
from xlbridge.supervision import layout as S
from xlbridge.supervision.rules import severity
from xlbridge.system.model import IndicatorSystem, Kind
from xlbridge.xlsx.safety import check_workbook_zip


@dataclass
class InspectionGrid:
    sheets: dict[str, list[list[Any]]]
    meta: dict[str, str]
    file: str


@dataclass
class InspectionRow:
    sheet_row: int
    code: str
    points: float | None
    conclusion: str
    problem: str
    deduction: float
    requirement: str
    due: str | None
    bonus: float = 0.0
    bonus_reason: str = ""


@dataclass
class Review:
    sheet_row: int
    item_id: int
    verdict: str  # 销号 / 未通过 / "" (not reviewed)
    note: str


@dataclass
class InspectionCheck:
    report: Report
    meta: dict[str, str]
    header: dict[str, Any]
    rows: list[InspectionRow] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    signature_ok: bool | None = None


def read_inspection(path: Path, name: str | None = None) -> InspectionGrid:
    check_workbook_zip(path)
    try:
        wb = CalamineWorkbook.from_path(str(path))
        sheets = {n: wb.get_sheet_by_name(n).to_python(skip_empty_area=False)
                  for n in (S.INSPECTION_SHEET, S.REVIEW_SHEET, S.META_SHEET) if n in wb.sheet_names}
    except CalamineError:
        raise XlbridgeError(unparsable(name or path.name)) from None
    return InspectionGrid(sheets, meta_values(sheets.pop(S.META_SHEET, [])), name or path.name)


class _Checker:
    def __init__(self, grid: InspectionGrid) -> None:
        self.grid = grid
        self.findings: list[Finding] = []

    def add(self, rule: str, message: str, sheet: str | None = None, row: int | None = None,
            column: Column | int | None = None, hint: str | None = None) -> None:
        col, header = (column.index, column.header) if isinstance(column, Column) else (column, None)
        self.findings.append(Finding(rule, severity(rule), message, hint, self.grid.file, sheet, row, col, header))

    def cell(self, sheet: str, row: int, col: int) -> Any:
        rows = self.grid.sheets.get(sheet, [])
        return rows[row - 1][col - 1] if row - 1 < len(rows) and col - 1 < len(rows[row - 1]) else None


def check_inspection(grid: InspectionGrid, system: IndicatorSystem, key: bytes | None) -> InspectionCheck:
    check = _Checker(grid)
    meta = grid.meta
    result = InspectionCheck(Report(), meta, {}, signature_ok=_check_meta(check, meta, system, key))
    if all(name in grid.sheets for name in (S.INSPECTION_SHEET, S.REVIEW_SHEET)):
        result.header = _header(check)
        result.rows = _inspection_rows(check, meta, system)
        result.reviews = _reviews(check, meta)
        if not any(r.conclusion for r in result.rows) and not any(r.verdict for r in result.reviews):
            check.add("inspection-blank", "检查表未填写任何检查结论或复核结论", S.INSPECTION_SHEET,
                      hint="请填写检查结论后再报送")
    else:
        missing = [n for n in (S.INSPECTION_SHEET, S.REVIEW_SHEET) if n not in grid.sheets]
        check.add("sheet-missing", f"找不到工作表「{'、'.join(missing)}」", hint="请使用系统生成的检查表，不要重命名工作表")
    result.report = Report(sorted(check.findings, key=lambda f: (f.sheet or "", f.row or 0, f.column or 0)))
    return result


def _check_meta(check: _Checker, meta: dict[str, str], system: IndicatorSystem, key: bytes | None) -> bool | None:
    if meta.get("system_id") != system.id:
        check.add("system-unknown", f"检查表属于指标体系「{meta.get('system_id', '')[:60]}」，本工作区为「{system.id}」")
    elif meta.get("system_version") != system.version:
        check.add("system-changed", f"检查表按指标体系第 {meta.get('system_version')} 版生成，现行为第 {system.version} 版",
                  hint="请重新生成本轮检查表")
    if meta.get("template_version") != S.TEMPLATE_VERSION:
        check.add("template-version", f"检查表模板版本 {meta.get('template_version')}，系统要求 {S.TEMPLATE_VERSION}")
    unit = system.unit(meta.get("unit", ""))
    if unit is None or unit.name != meta.get("unit"):
        check.add("unit-unknown", f"被检查单位「{meta.get('unit', '')[:60]}」不在指标体系「{system.title}」中")
    if not meta.get("signature"):
        check.add("signature-missing", "检查表缺少签名，无法证明来源")
        return False
    if key is None:
        return None
    if not verify(meta, key, S.META_KEYS):
        check.add("signature-invalid", "检查表签名不正确：标识被改动，或不是本系统生成", hint="请使用系统生成的检查表")
        return False
    return True


def _header(check: _Checker) -> dict[str, Any]:
    header: dict[str, Any] = {}
    for f in S.HEADER_FIELDS:
        raw = check.cell(S.INSPECTION_SHEET, f.row, f.value_col)
        if f.key == "inspected_on":
            header[f.key] = cells.as_date(raw, [])
            if raw not in (None, "") and header[f.key] is None:
                check.add("date-invalid", f"检查日期「{cell_text(raw)[:20]}」无法识别", S.INSPECTION_SHEET, f.row,
                          f.value_col, hint="请写成 2021-06-20")
        else:
            header[f.key] = cells.as_text(raw, [])
    if not header.get("inspector"):
        field_ = S.HEADER_FIELD["inspector"]
        check.add("inspector-missing", "未填写检查人", S.INSPECTION_SHEET, field_.row, field_.value_col)
    return header


def _table(check: _Checker, sheet: str, columns: tuple[Column, ...], header_row: int) -> list[tuple[int, dict[str, Any]]]:
    """The sheet's rows below its header (trailing blank rows dropped), by column key; the header checked."""
    for column in columns:
        if cells.as_compact(check.cell(sheet, header_row, column.index), []) != cells.as_compact(column.header, []):
            check.add("header-changed", f"第 {column.index} 列表头应为「{column.header}」", sheet, header_row, column.index,
                      hint="请勿插入、删除或移动列")
    rows = check.grid.sheets[sheet][header_row:]
    found = [(n, {c.key: (raw[c.index - 1] if c.index - 1 < len(raw) else None) for c in columns})
             for n, raw in enumerate(rows, start=header_row + 1)]
    while found and all(v in (None, "") for v in found[-1][1].values()):
        found.pop()
    return found


def _locked_intact(check: _Checker, sheet: str, table: list[tuple[int, dict[str, Any]]], columns: tuple[Column, ...],
                   signed: str | None) -> None:
    if locked_digest([values for _, values in table], columns) != signed:
        check.add("prefilled-changed", "灰色（锁定）单元格与生成时不一致，或有行被删除、插入、移动", sheet,
                  hint="请使用系统生成的检查表重新填写，不要改动预填内容")


def _inspection_rows(check: _Checker, meta: dict[str, str], system: IndicatorSystem) -> list[InspectionRow]:
    sheet, column = S.INSPECTION_SHEET, S.INSPECTION_COLUMN
    table = _table(check, sheet, S.INSPECTION_COLUMNS, S.HEADER_ROW)
    _locked_intact(check, sheet, table, S.INSPECTION_COLUMNS, meta.get("rows_digest"))
    round_start = f"{meta.get('round', '')}-01"
    out = []
    for n, v in table:
        conclusion = cells.as_compact(v["conclusion"], [])
        problem, requirement = cells.as_text(v["problem"], []), cells.as_text(v["requirement"], [])
        points = _number(cell_text(v["points"]))
        indicator = system.indicator(cell_text(v["code"]))
        is_bonus = indicator is not None and indicator.kind is Kind.bonus
        deduction = _deduction(check, n, v["deduction"], points, is_bonus)
        room = None if points is None else points - (_number(cell_text(v["awarded"])) or 0.0)  # left of its 分值
        bonus, bonus_reason = _bonus(check, n, v["bonus"], cells.as_text(v["bonus_reason"], []), room, is_bonus)
        due = _due(check, n, v["due"], round_start)
        if not conclusion:
            check.add("conclusion-missing", "请选择检查结论（符合 / 基本符合 / 不符合 / 未检查）", sheet, n, column["conclusion"])
        elif conclusion not in S.CONCLUSIONS:
            check.add("conclusion-invalid", f"检查结论「{conclusion[:20]}」不在下拉选项中", sheet, n, column["conclusion"],
                      hint="请从下拉列表选择")
        elif conclusion == S.NONCONFORM:
            for key, rule, what in (("problem", "problem-missing", problem), ("requirement", "requirement-missing", requirement)):
                if not what:
                    check.add(rule, f"结论为不符合，请写明{column[key].header}", sheet, n, column[key])
            if due is None and v["due"] in (None, ""):
                check.add("due-missing", "结论为不符合，请写明整改期限（如 2021-07-31）", sheet, n, column["due"])
        elif conclusion == S.CONFORM and (problem or deduction):
            check.add("problem-when-conform", "结论为符合，却写了发现问题或扣分", sheet, n, column["conclusion"],
                      hint="有问题的，结论应为基本符合或不符合")
        out.append(InspectionRow(n, cell_text(v["code"]), points, conclusion, problem, deduction, requirement, due,
                                 bonus, bonus_reason))
    return out


def _number(text: str) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _amount(check: _Checker, n: int, raw: Any, key: str) -> float | None:
    """扣分 or 加分 as a number not below 0; None (and a finding) when it is not one."""
    column = S.INSPECTION_COLUMN[key]
    if raw in (None, ""):
        return 0.0
    value = _number(cells.as_compact(raw, [], fold_all=True)) if not isinstance(raw, (int, float)) else float(raw)
    if value is None or value < 0:
        check.add(f"{key}-invalid", f"{column.header}「{cell_text(raw)[:20]}」不是不小于 0 的数字", S.INSPECTION_SHEET, n,
                  column)
        return None
    return value


def _deduction(check: _Checker, n: int, raw: Any, points: float | None, is_bonus: bool) -> float:
    column = S.INSPECTION_COLUMN["deduction"]
    value = _amount(check, n, raw, "deduction")
    if not value:
        return 0.0
    if is_bonus:
        check.add("deduction-on-bonus", "加分项不扣分", S.INSPECTION_SHEET, n, column, hint="加分请填在“加分”列；不加分的留空")
    elif points is None:
        check.add("deduction-no-points", "本指标没有分值，扣分不计入得分", S.INSPECTION_SHEET, n, column)
    elif value > points:
        check.add("deduction-over-points", f"扣分 {value:g} 超过本指标分值 {points:g}", S.INSPECTION_SHEET, n, column,
                  hint=f"扣分不能超过 {points:g}")
    return 0.0 if is_bonus else value


def _bonus(check: _Checker, n: int, raw: Any, reason: str, room: float | None, is_bonus: bool) -> tuple[float, str]:
    column = S.INSPECTION_COLUMN["bonus"]
    value = _amount(check, n, raw, "bonus")
    if not value:
        return 0.0, reason
    if not is_bonus:
        check.add("bonus-not-bonus-item", "本指标不是加分项，不能加分", S.INSPECTION_SHEET, n, column,
                  hint="常规指标有问题的请扣分；加分只填在加分项的行")
        return 0.0, reason
    if room is None:
        check.add("bonus-no-points", "指标体系未规定本加分项的分值，加分不计入得分", S.INSPECTION_SHEET, n, column)
    elif value > room:
        check.add("bonus-over-points", f"加分 {value:g} 超过本加分项还可加的 {max(room, 0):g} 分（分值减已加分）",
                  S.INSPECTION_SHEET, n, column, hint=f"加分不能超过 {max(room, 0):g}")
    if not reason:
        check.add("bonus-reason-missing", "加分的，请写明加分依据", S.INSPECTION_SHEET, n, S.INSPECTION_COLUMN["bonus_reason"])
    return value, reason


def _due(check: _Checker, n: int, raw: Any, round_start: str) -> str | None:
    column = S.INSPECTION_COLUMN["due"]
    if raw in (None, ""):
        return None
    due = cells.as_date(raw, [])
    if due is None:
        check.add("due-invalid", f"整改期限「{cell_text(raw)[:20]}」无法识别", S.INSPECTION_SHEET, n, column,
                  hint="请写成 2021-07-31")
    elif due < round_start:
        check.add("due-before-round", f"整改期限 {due} 早于本轮检查（{round_start[:7]}）", S.INSPECTION_SHEET, n, column,
                  hint="整改期限应在本轮检查之后")
        return None
    return due


def _reviews(check: _Checker, meta: dict[str, str]) -> list[Review]:
    sheet, column = S.REVIEW_SHEET, S.REVIEW_COLUMN
    table = _table(check, sheet, S.REVIEW_COLUMNS, S.REVIEW_HEADER_ROW)
    _locked_intact(check, sheet, table, S.REVIEW_COLUMNS, meta.get("items_digest"))
    out = []
    for n, v in table:
        verdict, note = cells.as_compact(v["review"], []), cells.as_text(v["review_note"], [])
        if verdict and verdict not in S.REVIEWS:
            check.add("review-invalid", f"复核结论「{verdict[:20]}」应为“销号”或“未通过”", sheet, n, column["review"])
            verdict = ""
        elif verdict == S.REJECT and not note:
            check.add("review-note-missing", "复核未通过的，请写明原因", sheet, n, column["review_note"])
        item = cell_text(v["item"])
        out.append(Review(n, int(item) if item.isdecimal() else 0, verdict, note))
    return out


"""Every rule of the catalogue on a real xlsx file: one test that triggers it (rule id, cell,
Chinese message) and the valid baseline ledger that does not.

Each triggering test declares its rules with ``@triggers``; the declarations are collected at
import, so ``test_every_rule_is_triggered_by_a_test`` holds however the tests are distributed
(pytest-xdist), and a test that declares a rule fails unless it really asserted it.
"""

from __future__ import annotations

import functools
import re
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from ledger_fixtures import (  # noqa: F401  (baseline, ledger_dir are fixtures)
    CAMPAIGN,
    HEADER,
    KEY,
    OTHER_KEY,
    SYSTEM_ID,
    UNIT,
    baseline,
    blank,
    cell,
    data_row,
    delete_row,
    delete_sheet,
    edited,
    filled_ledger,
    findings,
    insert_row,
    is_chinese,
    kinds_ledger,
    kinds_row,
    ledger_dir,
    ledger_sheet_member,
    merge_cells,
    positions,
    rewrite_member,
    rule_ids,
    set_cells,
    set_meta,
    swap_rows,
    system,
    understate_member,
    validate,
)
from openpyxl.utils import get_column_letter

from xlbridge.check.engine import validate_grid
from xlbridge.check.files import FileResult
from xlbridge.check.rules import RULES
from xlbridge.findings import Finding, Report, Severity
from xlbridge.ledger import layout as L
from xlbridge.ledger.reader import read_ledger
from xlbridge.ledger.sample import clerk_answer, fill_ledger
from xlbridge.ledger.writer import write_ledger
from xlbridge.system.model import IndicatorSystem

TRIGGERED: dict[str, list[str]] = {}
_asserted: set[str] = set()

# Rows of the baseline (puyang-2020, 司法鉴定管理科: 2016–2021 × 9, 18, 19, (12), (13)).
WEB = data_row(2016, "9")  # row 5: 网络检索 among its methods
WEB2 = data_row(2016, "18")  # row 6
PLAIN = data_row(2016, "(12)")  # row 8: no 网络检索
assert (WEB, WEB2, PLAIN) == (5, 6, 8)


def triggers(*rules: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare the rules a test triggers; the test fails unless it asserts each with ``expect``."""
    unknown = set(rules) - set(RULES)
    assert not unknown, f"not in the catalogue: {unknown}"

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        for rule in rules:
            TRIGGERED.setdefault(rule, []).append(fn.__name__)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            _asserted.clear()
            fn(*args, **kwargs)
            missing = set(rules) - _asserted
            assert not missing, f"{fn.__name__} declares {sorted(missing)} but never asserted them"

        return wrapper

    return decorate


def expect(result: FileResult, rule: str, where: str | None, fragment: str, *, severity: Severity | None = None) -> Finding:
    """Exactly one finding of ``rule`` at cell ``where`` (None: the workbook as a whole), with a
    Chinese message containing ``fragment``, the catalogue's severity, and no traceback."""
    got = [f for f in result.findings if f.rule == rule]
    at = [f for f in got if f.cell == where and (where is not None or f.row is None)]
    assert len(at) == 1, f"{rule} at {where}: found {[(f.cell, f.message) for f in got]}\nall: {_lines(result)}"
    finding = at[0]
    assert fragment in finding.message or fragment in (finding.hint or ""), (fragment, finding.message, finding.hint)
    assert is_chinese(finding.message), finding.message
    assert finding.severity is (severity or RULES[rule][0])
    assert "Traceback" not in finding.message
    _asserted.add(rule)
    return finding


def _lines(result: FileResult) -> str:
    return "\n".join(f.line() for f in result.findings)


def errors(result: FileResult) -> list[str]:
    return [f.line() for f in result.findings if f.severity is Severity.error]


def with_cells(baseline: Path, tmp_path: Path, values: dict[str, Any], **kwargs: Any) -> FileResult:
    return validate(edited(baseline, tmp_path / "edited.xlsx", set_cells(values)), **kwargs)


# =========================================================================== baseline
def test_baseline_is_valid_and_clean(baseline: Path) -> None:
    result = validate(baseline)
    assert result.valid
    assert result.findings == [], _lines(result)
    assert result.validation is not None and result.validation.signature_ok is True
    assert len(result.validation.records) == 30


@pytest.mark.parametrize("rule", sorted(RULES))
def test_baseline_does_not_trigger(rule: str, baseline: Path) -> None:
    assert rule not in rule_ids(validate(baseline))


def test_every_rule_is_triggered_by_a_test() -> None:
    assert set(TRIGGERED) == set(RULES), (
        f"rules without a triggering test: {sorted(set(RULES) - set(TRIGGERED))}; "
        f"declared but not in the catalogue: {sorted(set(TRIGGERED) - set(RULES))}"
    )


# =========================================================================== signature and metadata
@triggers("signature-invalid")
def test_wrong_key(baseline: Path) -> None:
    result = validate(baseline, key=OTHER_KEY)
    expect(result, "signature-invalid", None, "签名不正确")
    assert result.validation is not None and result.validation.signature_ok is False
    assert not result.valid


@triggers("signature-missing")
def test_signature_cleared(baseline: Path, tmp_path: Path) -> None:
    path = edited(baseline, tmp_path / "nosig.xlsx", set_meta("signature", None))
    expect(validate(path), "signature-missing", None, "缺少签名")
    expect(validate(path, key=None), "signature-missing", None, "缺少签名")


@triggers("signature-unchecked")
def test_no_key_on_a_clerks_machine(baseline: Path) -> None:
    result = validate(baseline, key=None)
    expect(result, "signature-unchecked", None, "报送后由系统核验")
    assert result.valid  # info only
    assert result.validation is not None and result.validation.signature_ok is None
    assert rule_ids(result) == {"signature-unchecked"}


@triggers("meta-missing")
def test_meta_sheet_deleted(baseline: Path, tmp_path: Path) -> None:
    path = edited(baseline, tmp_path / "nometa.xlsx", delete_sheet("xlbridge"))
    # Without --system the file cannot say which system it belongs to.
    result = validate(path)
    expect(result, "meta-missing", None, "系统标识")
    assert result.validation is None and not result.valid
    # With --system the engine reads the rows and still refuses it.
    result = validate(path, system_name=SYSTEM_ID)
    expect(result, "meta-missing", None, "xlbridge")
    assert result.validation is not None and result.validation.signature_ok is False


@triggers("unit-unknown", "signature-invalid")
def test_unit_changed_in_meta_and_header(baseline: Path, tmp_path: Path) -> None:
    path = edited(baseline, tmp_path / "unit.xlsx", set_meta("unit", "不存在科"), set_cells({"B2": "不存在科"}))
    result = validate(path)
    expect(result, "unit-unknown", "B2", "不存在科")
    expect(result, "signature-invalid", None, "签名不正确")


def test_unit_changed_to_another_unit(baseline: Path, tmp_path: Path) -> None:
    path = edited(baseline, tmp_path / "unit.xlsx", set_meta("unit", "办公室"), set_cells({"B2": "办公室"}))
    result = validate(path)
    assert "signature-invalid" in rule_ids(result)
    assert "code-unassigned" in rule_ids(result)  # 司法鉴定管理科's rows are not 办公室's
    assert "row-missing" in rule_ids(result)


@triggers("prefilled-changed")
def test_unit_changed_in_header_only(baseline: Path, tmp_path: Path) -> None:
    result = with_cells(baseline, tmp_path, {"B2": "办公室"})
    expect(result, "prefilled-changed", "B2", "办公室")
    assert "signature-invalid" not in rule_ids(result)


def test_unit_spelled_with_spaces_is_the_same_unit(baseline: Path, tmp_path: Path) -> None:
    result = with_cells(baseline, tmp_path, {"B2": "司法 鉴定 管理科"})
    assert "prefilled-changed" not in rule_ids(result)


@triggers("system-unknown")
def test_system_id_changed(baseline: Path, tmp_path: Path) -> None:
    path = edited(baseline, tmp_path / "sys.xlsx", set_meta("system_id", "nowhere-2099"))
    result = validate(path)  # the file names a system this server does not have
    expect(result, "system-unknown", None, "nowhere-2099")
    assert result.validation is None
    result = validate(path, system_name=SYSTEM_ID)  # the operator names the system
    expect(result, "system-unknown", None, "nowhere-2099")
    assert "signature-invalid" in rule_ids(result)


@triggers("system-carried-broken")
def test_carried_system_damaged(baseline: Path, tmp_path: Path) -> None:
    """The copy of the system a ledger carries (a workspace's own system) is read on the clerk's side."""
    path = edited(baseline, tmp_path / "carried.xlsx", set_meta("system_data", "zlib1:AAAA"))
    result = validate(path, key=None)
    expect(result, "system-carried-broken", None, "隐藏工作表 xlbridge，单元格 B13 起")
    assert result.validation is None


def test_system_id_that_is_a_path_is_not_opened(baseline: Path, tmp_path: Path) -> None:
    """A submitted workbook must not make the server load a file of its choosing."""
    other = tmp_path / "planted.yaml"
    other.write_text((Path(__file__).parents[1] / "schema" / f"{SYSTEM_ID}.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    path = edited(baseline, tmp_path / "sys.xlsx", set_meta("system_id", str(other)))
    result = validate(path, key=None)
    assert [f.rule for f in result.findings] == ["system-unknown"]
    assert result.system is None


@triggers("template-version")
def test_template_version_changed(baseline: Path, tmp_path: Path) -> None:
    path = edited(baseline, tmp_path / "tv.xlsx", set_meta("template_version", "0"))
    result = validate(path)
    expect(result, "template-version", None, "模板版本 0")
    assert "signature-invalid" in rule_ids(result)


@triggers("system-changed")
def test_rows_digest_changed(baseline: Path, tmp_path: Path) -> None:
    path = edited(baseline, tmp_path / "digest.xlsx", set_meta("rows_digest", "0" * 64))
    result = validate(path, key=None)
    expect(result, "system-changed", None, "预填内容与现行指标体系不一致")


def _variant(**changes: Any) -> IndicatorSystem:
    data = system().model_dump(mode="json", exclude={"indicators": {"__all__": {"targets"}}})
    indicator_changes = changes.pop("indicator", None)
    data.update(changes)
    if indicator_changes:
        key, fields = indicator_changes
        next(i for i in data["indicators"] if i["key"] == key).update(fields)
    return IndicatorSystem.model_validate(data)


@triggers("system-changed")
def test_ledger_of_an_older_system_version(tmp_path: Path) -> None:
    path = filled_ledger(tmp_path, indicator_system=_variant(version="0"))
    result = validate(path, system_name=SYSTEM_ID)  # the server's system (the ledger carries the old one)
    expect(result, "system-changed", None, "第 0 版")
    assert result.validation is not None and result.validation.signature_ok is True


@triggers("system-changed", "prefilled-changed")
def test_assignments_changed_after_issue(tmp_path: Path) -> None:
    """Issued before 应报材料 of indicator 9 was revised: the server's system is the new one."""
    old = _variant(indicator=("9", {"materials": ["旧版应报材料"]}))
    result = validate(filled_ledger(tmp_path, indicator_system=old), system_name=SYSTEM_ID)
    expect(result, "system-changed", None, "已调整")
    expect(result, "prefilled-changed", f"F{WEB}", "应报材料")


# =========================================================================== sheet structure
@triggers("header-changed")
def test_header_text_changed(baseline: Path, tmp_path: Path) -> None:
    result = with_cells(baseline, tmp_path, {"H4": "进度"})
    expect(result, "header-changed", "H4", "完成进度")


def test_header_spacing_is_not_a_change(baseline: Path, tmp_path: Path) -> None:
    assert "header-changed" not in rule_ids(with_cells(baseline, tmp_path, {"H4": "完成 进度 "}))


@triggers("prefilled-changed")
def test_locked_cell_edited(baseline: Path, tmp_path: Path) -> None:
    result = with_cells(baseline, tmp_path, {f"F{WEB}": "本部门自定的材料"})
    finding = expect(result, "prefilled-changed", f"F{WEB}", "应报材料")
    assert finding.value == "本部门自定的材料"
    assert finding.field == "应报材料"


def test_locked_cell_rewrapped_is_not_a_change(baseline: Path, tmp_path: Path) -> None:
    """Re-wrapping pre-filled text (an extra line break, spaces) is not an edit."""
    import openpyxl

    wb = openpyxl.load_workbook(baseline)
    text = wb["台账"][f"F{WEB}"].value
    result = with_cells(baseline, tmp_path, {f"F{WEB}": " " + text.replace("\n", "\n\n") + " "})
    assert "prefilled-changed" not in rule_ids(result)


@triggers("row-missing")
def test_row_deleted(baseline: Path, tmp_path: Path) -> None:
    row = data_row(2016, "19")
    result = validate(edited(baseline, tmp_path / "del.xlsx", delete_row(row)))
    finding = expect(result, "row-missing", None, f"第 {row} 行")
    assert "2016 年指标 19" in finding.message


@triggers("row-order")
def test_two_rows_swapped(baseline: Path, tmp_path: Path) -> None:
    result = validate(edited(baseline, tmp_path / "swap.xlsx", swap_rows(WEB, WEB2)))
    expect(result, "row-order", f"B{WEB2}", "位置被移动")
    assert "row-missing" not in rule_ids(result)
    assert "prefilled-changed" not in rule_ids(result)


@triggers("code-unknown")
def test_unknown_code(baseline: Path, tmp_path: Path) -> None:
    result = with_cells(baseline, tmp_path, {f"B{WEB}": "999"})
    expect(result, "code-unknown", f"B{WEB}", "999")


@triggers("code-unassigned")
def test_code_of_another_unit(baseline: Path, tmp_path: Path) -> None:
    assert system().indicator("1") is not None and system().indicator("1").role_of(UNIT) is None
    result = with_cells(baseline, tmp_path, {f"B{WEB}": "1"})
    expect(result, "code-unassigned", f"B{WEB}", UNIT)


@triggers("row-duplicate")
def test_duplicate_row(baseline: Path, tmp_path: Path) -> None:
    result = validate(edited(baseline, tmp_path / "dup.xlsx", insert_row(WEB + 1, copy_of=WEB)))
    expect(result, "row-duplicate", f"B{WEB + 1}", f"第 {WEB} 行")


@triggers("year-out-of-range")
def test_year_outside_the_campaign(baseline: Path, tmp_path: Path) -> None:
    result = with_cells(baseline, tmp_path, {f"A{WEB}": 2015})
    expect(result, "year-out-of-range", f"A{WEB}", "2016–2021")
    # "²" passes str.isdigit but not int(): a finding, not a ValueError
    expect(with_cells(baseline, tmp_path, {f"A{WEB}": "²"}), "year-out-of-range", f"A{WEB}", "²")


def test_year_typed_as_text_is_the_same_year(baseline: Path, tmp_path: Path) -> None:
    result = with_cells(baseline, tmp_path, {f"A{WEB}": "２０１６"})
    assert result.valid, errors(result)
    assert [f.cell for f in findings(result, "normalised-number")] == [f"A{WEB}"]


# =========================================================================== continuation rows
def test_continuation_row_merged_into_the_record_above(tmp_path: Path) -> None:
    extra = {"materials": "2016年补充：收费清单公示截图", "links": "https://www.example.gov.cn/2016/extra.html", "secret": "否"}
    path = filled_ledger(tmp_path, continuations={(2016, "9"): [extra]})
    result = validate(path)
    assert result.findings == [], "\n".join(f.line() for f in result.findings)
    assert result.validation is not None
    record = next(r for r in result.validation.records if (r.year, r.code) == (2016, "9"))
    assert record.row == WEB
    assert record.materials[-1] == extra["materials"]
    assert record.links[-1] == extra["links"]
    assert len(result.validation.records) == 30


@pytest.mark.parametrize("with_continuation", [False, True], ids=["rows-as-issued", "rows-one-by-one"])
@triggers("cell-outside-layout")
def test_notes_beside_the_ledger(baseline: Path, tmp_path: Path, with_continuation: bool) -> None:
    """A clerk's notes right of 联系电话 (and, with a continuation row, on a row of their own
    below the ledger): one warning per column, at its first note; nothing else changes."""
    beside, further = get_column_letter(len(L.COLUMNS) + 1), get_column_letter(len(L.COLUMNS) + 3)
    notes = {f"{beside}{WEB}": "备注：已电话确认", f"{further}{PLAIN}": "   "}  # spaces are no note
    if with_continuation:
        below = L.FIRST_DATA_ROW + 30 + 2
        edits = (insert_row(WEB + 1, {"materials": "2016年补充材料"}),
                 set_cells({**notes, f"{beside}{below}": "合计 30 项", f"{further}{below}": 30}))
    else:
        edits = (set_cells(notes),)
    result = validate(edited(baseline, tmp_path / "notes.xlsx", *edits))
    first = expect(result, "cell-outside-layout", f"{beside}{WEB}", f"本列 {2 if with_continuation else 1} 个单元格")
    assert first.value == "备注：已电话确认"
    if with_continuation:
        expect(result, "cell-outside-layout", f"{further}{below}", f"{further} 列不属于台账，本列 1 个单元格")
    assert len(findings(result, "cell-outside-layout")) == 1 + with_continuation
    assert result.valid and rule_ids(result) == {"cell-outside-layout"}, _lines(result)
    plain = validate(baseline).validation
    assert result.validation is not None and plain is not None
    records = result.validation.records
    if with_continuation:
        assert records[0].materials[-1] == "2016年补充材料"
        records[0].materials.pop()
        records = [replace(r, row=r.row - (r.row > WEB)) for r in records]
    assert records == plain.records


@triggers("continuation-orphan")
def test_continuation_row_before_any_indicator_row(baseline: Path, tmp_path: Path) -> None:
    edit = insert_row(WEB, {"materials": "2016年补充材料"})
    expect(validate(edited(baseline, tmp_path / "orphan.xlsx", edit)), "continuation-orphan", f"B{WEB}", "没有年度和指标编号")


@triggers("continuation-extra")
def test_continuation_row_with_progress(tmp_path: Path) -> None:
    path = filled_ledger(tmp_path, continuations={(2016, "9"): [{"materials": "2016年补充材料", "progress": "已完成"}]})
    result = validate(path)
    expect(result, "continuation-extra", f"H{WEB + 1}", f"第 {WEB} 行")
    assert result.valid  # a warning


# =========================================================================== header inputs
@triggers("period-missing")
def test_period_missing(baseline: Path, tmp_path: Path) -> None:
    expect(with_cells(baseline, tmp_path, {"B3": None}), "period-missing", "B3", "报送月份")


@triggers("period-invalid")
def test_period_invalid(baseline: Path, tmp_path: Path) -> None:
    expect(with_cells(baseline, tmp_path, {"B3": "五月份"}), "period-invalid", "B3", "五月份")


@pytest.mark.parametrize("typed", ["2021-13", "2021", "21-05"])
def test_period_impossible(baseline: Path, tmp_path: Path, typed: str) -> None:
    assert [f.cell for f in findings(with_cells(baseline, tmp_path, {"B3": typed}), "period-invalid")] == ["B3"]


@pytest.mark.parametrize("typed", ["2022-01", "2020-12"])
@triggers("period-outside-campaign")
def test_period_outside_campaign(baseline: Path, tmp_path: Path, typed: str) -> None:
    result = with_cells(baseline, tmp_path, {"B3": typed})
    expect(result, "period-outside-campaign", "B3", "2021 考核年度")
    assert not result.valid


@triggers("period-future")
def test_period_in_the_future(baseline: Path) -> None:
    grid = read_ledger(baseline)
    validation = validate_grid(grid, system(), KEY, today=date(2021, 4, 20))  # 2021-05 has not begun
    expect(FileResult(validation.report, validation), "period-future", "B3", "尚未到来")
    assert "period-future" not in {f.rule for f in validate_grid(read_ledger(baseline), system(), KEY,
                                                                    today=date(2021, 5, 3)).report.findings}


@triggers("period-other")
def test_period_other_than_issued_is_a_note(tmp_path: Path) -> None:
    sys_ = system()
    issued = write_ledger(sys_, UNIT, CAMPAIGN, tmp_path / "issued.xlsx", KEY, period="2021-06")
    filled = fill_ledger(issued, tmp_path / "filled.xlsx", clerk_answer(sys_, UNIT), header=HEADER)  # says 2021-05
    result = validate(filled)
    expect(result, "period-other", "B3", "下发时为 2021-06")
    assert result.valid and result.validation.header["period"] == "2021-05"


@triggers("ledger-blank")
def test_an_untouched_ledger_is_not_progress(blank: Path, tmp_path: Path) -> None:
    period_only = edited(blank, tmp_path / "blank.xlsx", set_cells({"B3": "2021-05"}))
    result = validate(period_only)
    expect(result, "ledger-blank", None, "未填写任何内容")
    assert not result.valid


@triggers("contact-missing")
def test_person_and_phone_missing_one_warning_per_column(baseline: Path, tmp_path: Path) -> None:
    result = with_cells(baseline, tmp_path, {f"M{r}": None for r in range(5, 10)} | {"N7": None})
    person = expect(result, "contact-missing", "M5", "第 5–9 行")
    assert person.message.startswith("5 个指标行未填责任人")
    expect(result, "contact-missing", "N7", "第 7 行")
    assert result.valid  # warnings


@triggers("date-invalid")
def test_filled_on_invalid(baseline: Path, tmp_path: Path) -> None:
    expect(with_cells(baseline, tmp_path, {"F3": "上周五"}), "date-invalid", "F3", "上周五")
    expect(with_cells(baseline, tmp_path, {"F3": "2021-02-30"}), "date-invalid", "F3", "2021-02-30")


@triggers("normalised-date")
def test_period_and_date_written_otherwise(baseline: Path, tmp_path: Path) -> None:
    result = with_cells(baseline, tmp_path, {"B3": "2021年5月", "F3": "2021/5/28"})
    expect(result, "normalised-date", "B3", "→「2021-05」")
    expect(result, "normalised-date", "F3", "→「2021-05-28」")
    assert result.validation is not None
    assert result.validation.header["period"] == "2021-05"
    assert result.validation.header["filled_on"] == "2021-05-28"
    assert result.valid


# =========================================================================== content
@triggers("progress-missing")
def test_progress_missing(baseline: Path, tmp_path: Path) -> None:
    expect(with_cells(baseline, tmp_path, {f"H{WEB}": None}), "progress-missing", f"H{WEB}", "请选择完成进度")


@triggers("progress-invalid")
def test_progress_invalid(baseline: Path, tmp_path: Path) -> None:
    expect(with_cells(baseline, tmp_path, {f"H{WEB}": "进行中"}), "progress-invalid", f"H{WEB}", "进行中")


@triggers("description-missing-done")
def test_done_without_description(baseline: Path, tmp_path: Path) -> None:
    result = with_cells(baseline, tmp_path, {f"H{WEB}": "已完成", f"I{WEB}": None})
    expect(result, "description-missing-done", f"I{WEB}", "上月具体完成情况")


@triggers("description-missing-pending")
def test_pending_without_description(baseline: Path, tmp_path: Path) -> None:
    result = with_cells(baseline, tmp_path, {f"H{WEB}": "未完成", f"I{WEB}": "  "})
    expect(result, "description-missing-pending", f"I{WEB}", "正在推进")


# 减分项 99 (故意编造…) and 加分项 96 of jinfeng-2020's 司法局: their own choices, not 已完成 / 未完成.
PENALTY, BONUS = kinds_row("99"), kinds_row("96")


@triggers("progress-invalid")
def test_a_penalty_row_refuses_done(kinds_ledger: Path, tmp_path: Path) -> None:
    result = with_cells(kinds_ledger, tmp_path, {f"H{PENALTY}": "已完成", f"H{BONUS}": "未完成"})
    finding = expect(result, "progress-invalid", f"H{PENALTY}", "减分项的完成进度应为“无此情形”或“存在此情形”，实为「已完成」")
    assert "不按“已完成/未完成”填报" in (finding.hint or "")
    on_bonus = [f.message for f in findings(result, "progress-invalid") if f.cell == f"H{BONUS}"]
    assert on_bonus == ["加分项的完成进度应为“申报加分”或“不申报”，实为「未完成」"]
    assert not result.valid


def test_a_normal_row_refuses_a_penalty_choice(kinds_ledger: Path, tmp_path: Path) -> None:
    result = with_cells(kinds_ledger, tmp_path, {f"H{L.FIRST_DATA_ROW}": "无此情形"})
    assert [(f.cell, f.message) for f in findings(result, "progress-invalid")] == [
        (f"H{L.FIRST_DATA_ROW}", "完成进度应为“已完成”或“未完成”，实为「无此情形」")]


def test_kind_rows_need_no_description_when_nothing_happened(kinds_ledger: Path) -> None:
    result = validate(kinds_ledger)  # 无此情形 and 不申报 with an empty 进度说明
    assert result.valid and result.findings == []
    assert result.validation is not None
    progress = {r.code: r.progress for r in result.validation.records}
    assert (progress["96"], progress["99"]) == (L.PROGRESS_UNCLAIMED, L.PROGRESS_ABSENT)


@triggers("description-missing-present")
def test_a_penalty_that_occurred_needs_a_description(kinds_ledger: Path, tmp_path: Path) -> None:
    result = with_cells(kinds_ledger, tmp_path, {f"H{PENALTY}": "存在此情形"})
    expect(result, "description-missing-present", f"I{PENALTY}", "写明发生了什么、采取了哪些整改措施")
    told = with_cells(kinds_ledger, tmp_path, {f"H{PENALTY}": "存在此情形", f"I{PENALTY}": "3月发现统计数据填报有误，已更正并通报。"})
    assert told.valid and told.findings == []


@triggers("claim-description-missing", "claim-evidence-missing")
def test_a_bonus_claim_needs_grounds_and_evidence(kinds_ledger: Path, tmp_path: Path) -> None:
    result = with_cells(kinds_ledger, tmp_path, {f"H{BONUS}": "申报加分", f"J{BONUS}": None, f"K{BONUS}": None})
    expect(result, "claim-description-missing", f"I{BONUS}", "写明申报依据")
    expect(result, "claim-evidence-missing", f"J{BONUS}", "佐证材料")
    with_link = with_cells(kinds_ledger, tmp_path, {f"H{BONUS}": "申报加分", f"I{BONUS}": "获省司法厅通报表扬。", f"J{BONUS}": None,
                                                    f"K{BONUS}": "http://sft.example.gov.cn/2021/041.html"})
    assert with_link.valid and with_link.findings == []


@triggers("description-long")
def test_description_over_500(baseline: Path, tmp_path: Path) -> None:
    result = with_cells(baseline, tmp_path, {f"I{WEB}": "法" * 501, f"I{WEB2}": "治" * 500})
    expect(result, "description-long", f"I{WEB}", "501 字")
    assert result.valid  # a warning
    assert [f.cell for f in findings(result, "description-long")] == [f"I{WEB}"]  # 500 is fine


@triggers("description-too-long")
def test_description_over_1000(baseline: Path, tmp_path: Path) -> None:
    result = with_cells(baseline, tmp_path, {f"I{WEB}": "法" * 1001, f"I{WEB2}": "治" * 1000})
    expect(result, "description-too-long", f"I{WEB}", "1001 字")
    assert [f.cell for f in findings(result, "description-too-long")] == [f"I{WEB}"]
    assert [f.cell for f in findings(result, "description-long")] == [f"I{WEB2}"]  # 1000: only the warning


@triggers("text-too-long")
def test_description_over_the_excel_cell_limit_in_a_file(baseline: Path, tmp_path: Path) -> None:
    """Excel and openpyxl stop at 32,767 characters; a file written by other software need not."""
    prepared = edited(baseline, tmp_path / "marked.xlsx", set_cells({f"I{WEB}": "MARK"}))

    def lengthen(xml: bytes) -> bytes:
        assert xml.count(b">MARK<") == 1
        return xml.replace(b">MARK<", b">" + ("法" * 40000).encode() + b"<")

    path = rewrite_member(prepared, tmp_path / "huge.xlsx", ledger_sheet_member(prepared), lengthen)
    result = validate(path)
    expect(result, "text-too-long", f"I{WEB}", "40000 字")
    assert "description-too-long" not in rule_ids(result)


@triggers("text-too-long")
def test_text_too_long_in_the_engine(baseline: Path) -> None:
    grid = read_ledger(baseline)
    grid.rows[WEB - 1][8] = "法" * 40000
    validation = validate_grid(grid, system(), KEY)
    expect(FileResult(validation.report, validation), "text-too-long", f"I{WEB}", "Excel 单元格上限")


@triggers("link-missing")
def test_web_search_done_without_link(baseline: Path, tmp_path: Path) -> None:
    result = with_cells(baseline, tmp_path, {f"H{WEB}": "已完成", f"K{WEB}": None})
    expect(result, "link-missing", f"K{WEB}", "网络检索")


def test_link_not_needed(baseline: Path, tmp_path: Path) -> None:
    result = with_cells(baseline, tmp_path, {
        f"H{PLAIN}": "已完成", f"K{PLAIN}": None,  # no 网络检索
        f"H{WEB}": "未完成", f"K{WEB}": None,  # not done yet
        f"H{WEB2}": "已完成", f"K{WEB2}": None, f"J{WEB2}": None, f"L{WEB2}": "是",  # classified: paper only
    })
    assert "link-missing" not in rule_ids(result)
    assert result.valid, errors(result)


@triggers("link-malformed")
def test_link_without_scheme(baseline: Path, tmp_path: Path) -> None:
    finding = expect(with_cells(baseline, tmp_path, {f"K{WEB}": "www.x.gov.cn"}), "link-malformed", f"K{WEB}", "www.x.gov.cn")
    assert "http://" in (finding.hint or "")


@pytest.mark.parametrize("link", [
    "http://www.x.gov.cn/a。html",  # Chinese full stop
    "http://www.x.gov.cn/a.html。",
    "http://www.x.gov.cn/公开/《通知》.html",
    "http://www.x。gov.cn/a.html",
    "http://www.x.gov.cn/a b.html",  # a space: the second half is no link
])
@triggers("link-malformed")
def test_link_with_space_or_chinese_punctuation(baseline: Path, tmp_path: Path, link: str) -> None:
    result = with_cells(baseline, tmp_path, {f"K{WEB}": link})
    expect(result, "link-malformed", f"K{WEB}", "不是有效网址")


def test_valid_links(baseline: Path, tmp_path: Path) -> None:
    links = "\n".join([
        "http://www.x.gov.cn/a.html",
        "https://www.x.gov.cn:8443/zwgk/index.jsp?id=12&t=2#top",
        "HTTPS://WWW.X.GOV.CN/A.HTML",
        "ｈｔｔｐ：／／ｗｗｗ.x.gov.cn/b.html",  # typed with a Chinese IME: folded, not an error
    ])
    result = with_cells(baseline, tmp_path, {f"K{WEB}": links + "；http://www.y.gov.cn/c.html、http://www.y.gov.cn/d.html"})
    assert "link-malformed" not in rule_ids(result), errors(result)
    assert [f.cell for f in findings(result, "normalised-width")] == [f"K{WEB}"]


@triggers("secret-with-content")
def test_classified_with_link(baseline: Path, tmp_path: Path) -> None:
    result = with_cells(baseline, tmp_path, {f"L{WEB}": "是"})
    expect(result, "secret-with-content", f"K{WEB}", "涉密")
    result = with_cells(baseline, tmp_path, {f"L{PLAIN}": "是"})  # materials listed, no link
    expect(result, "secret-with-content", f"J{PLAIN}", "纸质件")


@triggers("secret-invalid")
def test_classified_value_invalid(baseline: Path, tmp_path: Path) -> None:
    expect(with_cells(baseline, tmp_path, {f"L{WEB}": "不确定"}), "secret-invalid", f"L{WEB}", "不确定")


@triggers("materials-missing")
def test_done_without_materials(baseline: Path, tmp_path: Path) -> None:
    result = with_cells(baseline, tmp_path, {f"H{PLAIN}": "已完成", f"J{PLAIN}": None})
    expect(result, "materials-missing", f"J{PLAIN}", "上报材料目录")
    assert result.valid  # a warning


@pytest.mark.parametrize("phone", ["1380013800", "138001380001", "12345", "0393-698", "电话13800138000"])
@triggers("phone-malformed")
def test_phone_malformed(baseline: Path, tmp_path: Path, phone: str) -> None:
    expect(with_cells(baseline, tmp_path, {f"N{WEB}": phone}), "phone-malformed", f"N{WEB}", "联系电话")


@pytest.mark.parametrize("phone", [
    "13800138000", "0393-6980399", "03936980399", "6980399", "(0393)6980399", "+86 13800138000",
    "13800138000、0393-6980399", "13800138000；0393-6980399", "13800138000\n0393-6980399",
    "0393-6980399-8001", "138 0013 8000",
])
def test_phone_valid(baseline: Path, tmp_path: Path, phone: str) -> None:
    result = with_cells(baseline, tmp_path, {f"N{WEB}": phone})
    assert "phone-malformed" not in rule_ids(result), errors(result)


@triggers("formula-in-input")
def test_formula_in_an_input_cell(baseline: Path, tmp_path: Path) -> None:
    result = with_cells(baseline, tmp_path, {f"I{WEB}": "=1+1", "F3": "=TODAY()"})
    expect(result, "formula-in-input", f"I{WEB}", "公式")
    expect(result, "formula-in-input", "F3", "公式")


@triggers("formula-in-ledger", "external-link")
def test_formulas_outside_input_cells_and_links_to_other_workbooks(baseline: Path, tmp_path: Path) -> None:
    """A formula in a locked cell or right of the layout (whose value the row checks never read),
    and a link to another workbook or a DDE server: said, never followed."""
    path = edited(baseline, tmp_path / "f.xlsx", set_cells({f"D{PLAIN}": "=D5", f"Q{WEB}": "=1+1"}))
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("xl/externalLinks/externalLink1.xml",
                    '<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                    '<ddeLink ddeService="cmd" ddeTopic="/C calc"/></externalLink>')
    result = validate(path)
    expect(result, "formula-in-ledger", f"D{PLAIN}", "公式")
    expect(result, "formula-in-ledger", f"Q{WEB}", "公式")
    expect(result, "external-link", None, "外部链接")


# =========================================================================== normalisation
@triggers("normalised-width")
def test_full_width_digits(baseline: Path, tmp_path: Path) -> None:
    result = with_cells(baseline, tmp_path, {"B3": "２０２１-０５", f"N{WEB}": "１３８００１３８０００"})
    expect(result, "normalised-width", "B3", "→「2021-05」")
    expect(result, "normalised-width", f"N{WEB}", "→「13800138000」")
    assert result.valid
    assert result.validation is not None and result.validation.header["period"] == "2021-05"
    assert result.validation.records[0].phone == "13800138000"


@triggers("normalised-space")
def test_stray_spaces_and_newlines(baseline: Path, tmp_path: Path) -> None:
    result = with_cells(baseline, tmp_path, {
        f"I{WEB}": "  上月完成收费清单清理。 \n\n  已在门户网站公开。  ",
        f"H{WEB2}": "已完成 ",
        f"I{PLAIN}": "上月完成 \n案卷整理。",  # a space before an inner line break only
    })
    expect(result, "normalised-space", f"I{WEB}", "→「上月完成收费清单清理。↵已在门户网站公开。」")
    expect(result, "normalised-space", f"H{WEB2}", "→「已完成」")
    expect(result, "normalised-space", f"I{PLAIN}", "→「上月完成↵案卷整理。」")
    assert "progress-invalid" not in rule_ids(result)  # the cleaned value is used
    assert result.valid, errors(result)
    assert result.validation is not None
    records = {r.row: r for r in result.validation.records}
    assert records[WEB].description == "上月完成收费清单清理。\n已在门户网站公开。"
    assert records[WEB2].progress == "已完成"


@triggers("normalised-number")
def test_phone_stored_as_a_number(baseline: Path, tmp_path: Path) -> None:
    result = with_cells(baseline, tmp_path, {f"N{WEB}": 13800138000})
    expect(result, "normalised-number", f"N{WEB}", "→「13800138000」")
    assert "phone-malformed" not in rule_ids(result)
    assert result.valid


@triggers("normalised-date")
def test_date_typed_into_the_description(baseline: Path, tmp_path: Path) -> None:
    result = with_cells(baseline, tmp_path, {f"I{WEB}": datetime(2021, 5, 1)})
    expect(result, "normalised-date", f"I{WEB}", "→「2021-05-01」")
    assert result.validation is not None and result.validation.records[0].description == "2021-05-01"
    assert "description-missing-done" not in rule_ids(result)


@triggers("normalised-control")
def test_control_characters(baseline: Path, tmp_path: Path) -> None:
    # Excel stores U+0007 in a cell as _x0007_; openpyxl refuses to write the raw character.
    result = with_cells(baseline, tmp_path, {f"I{WEB}": "上月完成_x0007_清理工作。", f"J{WEB}": "2016年材料_x001B_目录"})
    expect(result, "normalised-control", f"I{WEB}", "→「上月完成清理工作。」")
    expect(result, "normalised-control", f"J{WEB}", "→「2016年材料目录」")
    assert result.valid
    assert result.validation is not None and result.validation.records[0].description == "上月完成清理工作。"


@triggers("normalised-merged")
def test_cells_merged_down_an_input_column(baseline: Path, tmp_path: Path) -> None:
    """One 责任人 and 联系电话 merged over a block of rows, and 完成进度 over two: what the clerk sees
    in every row is what is stored for every row; said once per merged range."""
    last = L.FIRST_DATA_ROW + 29
    person, phone = cell("person", WEB), cell("phone", WEB)
    edit = edited(baseline, tmp_path / "merged.xlsx",
                  set_cells({person: "李明", phone: "0393-6980399", cell("progress", PLAIN): L.PROGRESS_DONE}),
                  merge_cells(f"{person}:{cell('person', PLAIN)}", f"{phone}:{cell('phone', PLAIN)}",
                              f"{cell('progress', PLAIN)}:{cell('progress', PLAIN + 1)}",
                              f"{cell('person', last)}:{cell('person', last + 3)}",  # reaching past the ledger
                              f"{cell('phone', WEB2 + 10)}:{get_column_letter(len(L.COLUMNS) + 2)}{WEB2 + 10}"))
    result = validate(edit)
    expect(result, "normalised-merged", person, f"合并单元格 {person}:{cell('person', PLAIN)} 的「李明」已填入其中每一行")
    expect(result, "normalised-merged", phone, "「0393-6980399」")
    expect(result, "normalised-merged", cell("progress", PLAIN), "「已完成」")
    assert result.valid and rule_ids(result) == {"normalised-merged"}, _lines(result)  # no progress-missing
    assert result.validation is not None
    records = {r.row: r for r in result.validation.records}
    assert [(records[row].person, records[row].phone) for row in range(WEB, PLAIN + 1)] == [("李明", "0393-6980399")] * 4
    assert records[PLAIN + 1].progress == L.PROGRESS_DONE
    assert len(records) == 30  # the merge past the last row made no rows
    assert records[WEB2 + 10].phone  # merged only with cells right of the ledger: nothing hidden, no error
    assert cell("phone", WEB2 + 10) not in positions(result, "normalised-merged")  # and nothing filled in


@triggers("cells-merged")
def test_cells_merged_across_columns_or_over_locked_cells(baseline: Path, tmp_path: Path) -> None:
    across = f"{cell('progress', WEB)}:{cell('description', WEB)}"
    locked = f"{cell('methods', PLAIN)}:{cell('methods', PLAIN + 1)}"
    result = validate(edited(baseline, tmp_path / "merged.xlsx", merge_cells(across, locked)))
    expect(result, "cells-merged", cell("progress", WEB), f"单元格 {across} 被合并")
    expect(result, "cells-merged", cell("methods", PLAIN), f"单元格 {locked} 被合并")
    assert cell("methods", PLAIN + 1) in positions(result, "prefilled-changed")  # the cell the merge emptied
    assert not result.valid


def test_the_ledgers_own_merged_header_is_not_a_finding(baseline: Path) -> None:
    grid = read_ledger(baseline)
    assert grid.merged and all(bottom < L.FIRST_DATA_ROW for _, _, bottom, _ in grid.merged)
    assert validate(baseline).findings == []


# =========================================================================== unreadable files
def _unreadable(path: Path, fragment: str, rule: str = "file-unreadable") -> Finding:
    result = validate(path)  # must not raise
    assert result.validation is None and not result.valid
    assert len(result.findings) == 1, _lines(result)
    return expect(result, rule, None, fragment)


@triggers("file-unreadable")
def test_truncated_file(baseline: Path, tmp_path: Path) -> None:
    data = baseline.read_bytes()
    (tmp_path / "half.xlsx").write_bytes(data[: len(data) // 2])
    _unreadable(tmp_path / "half.xlsx", "损坏或不完整")


@triggers("file-unreadable")
def test_corrupt_bytes_inside(baseline: Path, tmp_path: Path) -> None:
    """Bytes flipped inside the 台账 sheet's deflate stream (a bad copy)."""
    data = bytearray(baseline.read_bytes())
    member = ledger_sheet_member(baseline)
    with zipfile.ZipFile(baseline) as zf:
        info = zf.getinfo(member)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + 40, start + info.compress_size - 40, 7):
        data[i] ^= 0x5A
    (tmp_path / "flipped.xlsx").write_bytes(bytes(data))
    _unreadable(tmp_path / "flipped.xlsx", "")


@triggers("file-unreadable")
def test_text_file_renamed(tmp_path: Path) -> None:
    (tmp_path / "notes.xlsx").write_text("年度,指标编号\n2016,9\n", encoding="utf-8")
    _unreadable(tmp_path / "notes.xlsx", "不是有效的 .xlsx")


@triggers("file-unreadable")
def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.xlsx").write_bytes(b"")
    _unreadable(tmp_path / "empty.xlsx", "文件为空")


@triggers("file-unreadable")
def test_old_xls(tmp_path: Path) -> None:
    (tmp_path / "old.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096)
    _unreadable(tmp_path / "old.xlsx", "另存为 .xlsx")


@triggers("file-unreadable")
def test_zip_that_is_no_workbook(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "photos.xlsx", "w") as zf:
        zf.writestr("photo.jpg", b"\xff\xd8\xff" + b"\0" * 100)
    _unreadable(tmp_path / "photos.xlsx", "不是 Excel 工作簿")


@triggers("file-unreadable")
def test_ledger_sheet_renamed(baseline: Path, tmp_path: Path) -> None:
    def rename(wb: Any) -> None:
        wb["台账"].title = "Sheet1"

    _unreadable(edited(baseline, tmp_path / "renamed.xlsx", rename), "找不到工作表「台账」")


def _bomb(path: Path, size: int, level: int = 1) -> Path:
    """A workbook-looking zip whose one sheet inflates to ``size`` bytes of zeros (level 1: fast)."""
    chunk = b"\0" * (1 << 24)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            for _ in range(size // len(chunk)):
                fh.write(chunk)
    return path


@triggers("file-over-limit")
def test_zip_bomb_over_512_mb(tmp_path: Path) -> None:
    path = _bomb(tmp_path / "bomb.xlsx", 528 << 20)
    assert path.stat().st_size < 5 << 20
    _unreadable(path, "压缩炸弹", "file-over-limit")


@triggers("file-over-limit")
def test_zip_bomb_by_ratio(tmp_path: Path) -> None:
    _unreadable(_bomb(tmp_path / "bomb.xlsx", 32 << 20, level=9), "压缩炸弹", "file-over-limit")  # ~1000:1


@triggers("file-over-limit")
def test_zip_member_larger_than_declared(baseline: Path, tmp_path: Path) -> None:
    """The zip directory understates a member's size (1 MB of padding undeclared): the bounds
    check inflates the member itself and finds its real size."""
    member = ledger_sheet_member(baseline)
    with zipfile.ZipFile(baseline) as zf:
        declared = zf.getinfo(member).file_size
    path = rewrite_member(baseline, tmp_path / "liar.xlsx", member, lambda xml: xml + b" " * (1 << 20))
    understate_member(path, member, declared)
    _unreadable(path, "不符", "file-over-limit")


_LAUGHS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<!DOCTYPE lolz [<!ENTITY lol0 "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10) for i in range(1, 10))
    + b"]>\n"
)


def _with_doctype(xml: bytes, use: bool) -> bytes:
    body = re.sub(rb"^<\?xml[^>]*\?>\s*", b"", xml)
    if use:  # expand a billion "lol"s into the first input cell
        body = body.replace("<t>已完成</t>".encode(), b"<t>&lol9;</t>", 1)
    return _LAUGHS + body


@triggers("file-unreadable")
def test_billion_laughs_in_the_sheet(baseline: Path, tmp_path: Path) -> None:
    path = rewrite_member(baseline, tmp_path / "lol.xlsx", ledger_sheet_member(baseline), lambda x: _with_doctype(x, True))
    _unreadable(path, "无法解析")


@triggers("file-unreadable")
def test_billion_laughs_declared_in_workbook_xml(baseline: Path, tmp_path: Path) -> None:
    path = rewrite_member(baseline, tmp_path / "lol.xlsx", "xl/workbook.xml", lambda x: _with_doctype(x, False))
    _unreadable(path, "不安全的 XML")


@triggers("file-unreadable")
def test_billion_laughs_in_shared_strings(tmp_path: Path) -> None:
    """The same attack where Excel itself keeps cell text: sharedStrings.xml (xlsxwriter writes one)."""
    import xlsxwriter

    src = tmp_path / "plain.xlsx"
    wb = xlsxwriter.Workbook(src)
    wb.add_worksheet("台账").write("A1", "已完成")
    wb.close()
    path = rewrite_member(src, tmp_path / "lol.xlsx", "xl/sharedStrings.xml", lambda x: _with_doctype(x, True))
    _unreadable(path, "无法解析")


@triggers("file-macros")
def test_a_workbook_with_macros_is_refused(baseline: Path, tmp_path: Path) -> None:
    path = tmp_path / "macro.xlsm"
    shutil.copyfile(baseline, path)
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("xl/vbaProject.bin", b"VBA" * 100)
    _unreadable(path, "含宏", "file-macros")


@triggers("file-unsafe")
def test_a_reader_that_dies_makes_the_file_unsafe_not_a_crash(baseline: Path, tmp_path: Path) -> None:
    """Prepared in a child limited to 900 MB of address space, the bounds opened wide: the far
    cell (3,000 × 16,384 cells) makes calamine abort the child, twice; the file ends as
    工作簿无法安全读取, and this process lives on."""
    from xlbridge.service.workers import Preparer
    from xlbridge.service.workspace import Workspace

    root = tmp_path / "ws"
    root.mkdir()
    (root / "xlbridge.toml").write_text(f'system = "{SYSTEM_ID}"\nmax_rows = 1048576\nmax_columns = 16384\n'
                                        "max_cells = 10000000000000\nworker_memory_mb = 900\nworkers = 0\n", encoding="utf-8")
    ws = Workspace.load(root).ensure()
    far = rewrite_member(baseline, ws.inbox / "far.xlsx", ledger_sheet_member(baseline),
                         lambda x: x.replace(b"</sheetData>", b'<row r="3000"><c r="XFD3000"><v>1</v></c></row></sheetData>'))
    with Preparer(ws, KEY, workers=0) as preparer:
        (prepared,) = [p.result() for g in preparer.in_groups([far]) for p in g]
    assert prepared.validation is None and prepared.quarantine
    expect(FileResult(Report(findings=prepared.findings), None), "file-unsafe", None, "工作簿无法安全读取")


# =========================================================================== the 整改 sheet
ITEMS = [
    {"item": 1, "code": "9", "key_item": True, "problem": "未公开许可事项", "requirement": "公开", "due": "2021-07-31",
     "status": "待整改"},
    {"item": 2, "code": "18", "key_item": False, "problem": "目录不全", "requirement": "补齐", "due": "2021-08-31",
     "status": "逾期"},
]


@pytest.fixture(scope="module")
def with_items(ledger_dir: Path) -> Path:
    """A ledger issued with two rectification items, filled validly (整改 untouched)."""
    blank_ = write_ledger(system(), UNIT, CAMPAIGN, ledger_dir / "items-blank.xlsx", KEY, items=ITEMS,
                          issued_at=datetime(2021, 7, 1, 9))
    return fill_ledger(blank_, ledger_dir / "items.xlsx", clerk_answer(system(), UNIT), header=HEADER)


def test_a_ledger_with_items_is_valid_untouched_and_reads_its_answers(with_items: Path, tmp_path: Path) -> None:
    assert validate(with_items).valid and validate(with_items).validation.answers == []
    answered = edited(with_items, tmp_path / "a.xlsx", set_cells({"H3": "已在门户网站公开", "I3": "已整改", "J3": "公开网页截图",
                                                                   "H4": "正在补充", "I4": "整改中"}, sheet="整改"))
    result = validate(answered)
    assert result.valid, _lines(result)
    assert [(a.item, a.completion, a.evidence) for a in result.validation.answers] == [
        (1, "已整改", "公开网页截图"), (2, "整改中", "")]


@triggers("rectify-changed")
def test_rectification_sheet_altered_or_deleted(with_items: Path, tmp_path: Path) -> None:
    changed = edited(with_items, tmp_path / "c.xlsx", set_cells({"F3": "2021-12-31"}, sheet="整改"))
    expect(validate(changed), "rectify-changed", None, "锁定")
    deleted = edited(with_items, tmp_path / "d.xlsx", delete_sheet("整改"))
    expect(validate(deleted), "rectify-changed", None, "被删除")


@triggers("rectify-completion-invalid", "rectify-measures-missing", "rectify-completion-missing",
          "rectify-evidence-missing")
def test_rectification_answers_incomplete(with_items: Path, tmp_path: Path) -> None:
    path = edited(with_items, tmp_path / "i.xlsx", set_cells({"I3": "差不多了", "I4": "整改中"}, sheet="整改"))
    result = validate(path)
    expect(result, "rectify-completion-invalid", "I3", "已整改")
    expect(result, "rectify-measures-missing", "H4", "整改措施")
    path = edited(with_items, tmp_path / "j.xlsx", set_cells({"H3": "已公开", "H4": "已补齐", "I4": "已整改"}, sheet="整改"))
    result = validate(path)
    expect(result, "rectify-completion-missing", "I3", "完成情况")
    expect(result, "rectify-evidence-missing", "J4", "佐证材料")
    assert [f.sheet for f in result.findings if f.rule.startswith("rectify")] == ["整改", "整改"]

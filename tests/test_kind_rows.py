"""加分项 and 减分项 rows in a unit's ledger, on real files: jinfeng-2020's 司法局 has 加分项 96, 97 and
减分项 98, 99 (99: 故意编造…). A 减分项 offers 无此情形 / 存在此情形, a 加分项 申报加分 / 不申报, each with its
own native dropdown and prompt; the 汇总's done-rates count the 常规 rows only and 总览 names the
减分项 declared and the 加分项 claimed; the next month's ledger carries each kind's answers.
(The engine's findings on these rows are in test_rules.py, one test per rule.)
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from ledger_fixtures import (  # noqa: F401  (kinds_ledger, ledger_dir are fixtures)
    CAMPAIGN,
    KINDS_SYSTEM,
    KINDS_UNIT,
    edited,
    kinds_ledger,
    kinds_row,
    ledger_dir,
    set_cells,
    system,
    validate,
)
from openpyxl.worksheet.cell_range import CellRange
from ws_fixtures import clean_environment, drop, ingest, make_workspace, receipt_summary, sheet_rows  # noqa: F401

from xlbridge.ledger import layout as L
from xlbridge.ledger.content import issued_rows
from xlbridge.service import store
from xlbridge.service.consolidate import consolidate
from xlbridge.service.month_status import month_status
from xlbridge.service.next_ledgers import next_ledger_path, write_next_ledgers

PENALTY, OTHER_PENALTY, BONUS = kinds_row("99"), kinds_row("98"), kinds_row("96")
NORMAL = L.FIRST_DATA_ROW  # indicator 1


def _validations(path: Path, letter: str = "H") -> dict[str, tuple[str, str, str]]:
    """Each 完成进度 (or column ``letter``) cell of the issued rows → (list name or formula, prompt,
    error) of the one validation on it."""
    wb = openpyxl.load_workbook(path)
    ws = wb[L.LEDGER_SHEET]
    n = len(issued_rows(system(KINDS_SYSTEM), KINDS_UNIT, [CAMPAIGN]))
    out: dict[str, tuple[str, str, str]] = {}
    for dv in ws.data_validations.dataValidation:
        for r in range(L.FIRST_DATA_ROW, L.FIRST_DATA_ROW + n):
            ref = f"{letter}{r}"
            if any(ref in CellRange(str(part)) for part in dv.sqref.ranges):
                assert ref not in out, f"two validations on {ref}"
                out[ref] = (dv.formula1, dv.prompt or "", dv.error or "")
    return out


def _choices(path: Path, list_name: str) -> list[str]:
    """The values a named dropdown source offers, read through its defined name."""
    wb = openpyxl.load_workbook(path)
    [(sheet, cells)] = list(wb.defined_names[list_name].destinations)
    return [c.value for row in wb[sheet][cells.replace("$", "")] for c in row]


def test_each_row_kind_has_its_own_dropdown_and_prompt(kinds_ledger: Path) -> None:
    dvs = _validations(kinds_ledger)
    assert len(dvs) == len(issued_rows(system(KINDS_SYSTEM), KINDS_UNIT, [CAMPAIGN]))  # every row has exactly one
    assert dvs[f"H{PENALTY}"][0] == dvs[f"H{OTHER_PENALTY}"][0] == "减分选项"
    assert "减分项" in dvs[f"H{PENALTY}"][1] and "存在此情形" in dvs[f"H{PENALTY}"][2]
    assert dvs[f"H{BONUS}"][0] == "加分选项" and "佐证" in dvs[f"H{BONUS}"][1]
    assert dvs[f"H{NORMAL}"][0] == "进度选项" and dvs[f"H{NORMAL}"][1] == "请选择：已完成 / 未完成"
    assert _choices(kinds_ledger, "减分选项") == ["无此情形", "存在此情形"]
    assert _choices(kinds_ledger, "加分选项") == ["申报加分", "不申报"]
    description = _validations(kinds_ledger, "I")  # 进度说明: the 1000-character limit everywhere, the prompt by kind
    assert {v[0] for v in description.values()} == {"1000"}
    assert description[f"I{PENALTY}"][1].startswith("存在此情形的：写明发生了什么")
    assert description[f"I{BONUS}"][1].startswith("申报加分的：写明申报依据")
    assert description[f"I{NORMAL}"][1].startswith("已完成：写上月具体完成情况")
    assert _choices(kinds_ledger, "进度选项") == ["已完成", "未完成"]
    ws = openpyxl.load_workbook(kinds_ledger)[L.LEDGER_SHEET]
    assert ws[f"D{PENALTY}"].value.startswith("【减分项】在示范创建活动的申报材料中")
    guide = " ".join(c.value or "" for c in openpyxl.load_workbook(kinds_ledger)[L.GUIDE_SHEET]["A"])
    assert "【减分项】" in guide and "无此情形" in guide and "申报加分" in guide


def test_a_ledger_without_kind_rows_has_one_progress_dropdown(ledger_dir: Path) -> None:
    from ledger_fixtures import build_ledger

    ws = openpyxl.load_workbook(build_ledger(ledger_dir, name="normal-only.xlsx"))[L.LEDGER_SHEET]
    lists = sorted(dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list")
    assert lists == ["涉密选项", "进度选项"]


def test_libreoffice_keeps_the_kind_dropdowns_and_the_engine_still_refuses(kinds_ledger: Path, tmp_path: Path,
                                                                          tmp_path_factory: pytest.TempPathFactory) -> None:
    from test_libreoffice import resave  # skips the module's tests without soffice

    wrong = edited(kinds_ledger, tmp_path / "in" / "wrong.xlsx", set_cells({f"H{PENALTY}": "已完成"}))
    saved = resave(wrong, tmp_path / "out", tmp_path_factory)
    dvs = _validations(saved)  # as LibreOffice wrote them back from its own model
    assert (dvs[f"H{PENALTY}"][0], dvs[f"H{BONUS}"][0], dvs[f"H{NORMAL}"][0]) == ("减分选项", "加分选项", "进度选项")
    assert "减分项" in dvs[f"H{PENALTY}"][1]
    assert _validations(saved, "I")[f"I{PENALTY}"][1].startswith("存在此情形的：写明发生了什么")
    assert _choices(saved, "减分选项") == ["无此情形", "存在此情形"]
    result = validate(saved)
    assert [(f.rule, f.cell, f.message) for f in result.findings if f.severity.value == "error"] == [
        ("progress-invalid", f"H{PENALTY}", "减分项的完成进度应为“无此情形”或“存在此情形”，实为「已完成」")]


# --------------------------------------------------------------------------- the 汇总, status and next ledgers
@pytest.fixture
def kinds_ws(tmp_path: Path, kinds_ledger: Path):  # type: ignore[no-untyped-def]
    """A jinfeng-2020 workspace where 司法局 reported 2021-05: 存在此情形 on 99, 申报加分 on 96 (with
    its evidence), and — as a ledger stored before rows had kinds — 已完成 on 减分项 98."""
    ws = make_workspace(tmp_path / "ws", system=KINDS_SYSTEM, campaign=CAMPAIGN, expected_units=[KINDS_UNIT])
    reported = edited(kinds_ledger, tmp_path / "reported.xlsx", set_cells({
        f"H{PENALTY}": "存在此情形", f"I{PENALTY}": "4月自查发现一份统计表数据有误，已更正并通报批评。",
        f"H{BONUS}": "申报加分", f"I{BONUS}": "获省司法厅通报表扬。", f"K{BONUS}": "http://sft.example.gov.cn/2021/041.html",
        f"H{OTHER_PENALTY}": "已完成",
    }))
    outcome = ingest(ws, drop(ws, reported, f"{KINDS_UNIT}/台账.xlsx"))
    assert outcome.status == "accepted", outcome  # progress-invalid is an error the receipt lists, not a rejection
    assert outcome.receipt is not None
    assert receipt_summary(outcome.receipt)["加分项 / 减分项"] == "存在此情形的减分项 99；申报加分 96（由督导检查组审核认定）"
    return ws


def test_done_rates_count_only_normal_rows_and_the_overview_names_kind_rows(kinds_ws, kinds_ledger: Path) -> None:  # type: ignore[no-untyped-def]
    result = validate(kinds_ledger)
    assert result.validation is not None
    kinds = {i.key: i.kind.value for i in system(KINDS_SYSTEM).indicators}
    normal = [r for r in result.validation.records if kinds[r.code] == "normal"]
    done = sum(r.progress == L.PROGRESS_DONE for r in normal)
    db = store.open_store(kinds_ws.store)
    try:
        summary = consolidate(kinds_ws, db, "2021-05")
        status = month_status(kinds_ws, db, "2021-05")
    finally:
        db.close()
    rows = sheet_rows(summary, "总览")
    assert rows[2][0] == ("减分项（不计入完成率）：报告存在此情形的有 司法局（99）。"
                          "加分项（不计入完成率）：申报加分的有 司法局（96）。")
    overview = openpyxl.load_workbook(summary)["总览"]  # wrapped across the table, not one line past the page
    assert "A3:N3" in {str(r) for r in overview.merged_cells.ranges} and overview["A3"].alignment.wrap_text
    unit = next(r for r in rows if r[1] == KINDS_UNIT)
    assert (unit[5], unit[6], unit[5] - unit[6] - unit[7]) == (len(normal), done, 0)  # 应填, 已完成, 未填
    assert unit[9] == pytest.approx(done / len(normal))
    [line] = [u for u in status.units if u.status.unit == KINDS_UNIT]
    assert line.as_json()["penalties_present"] == ["99"] and line.as_json()["bonuses_claimed"] == ["96"]
    assert line.as_json()["expected_rows"] == len(normal)
    assert f"已完成 {done}/{len(normal)}  存在减分情形 99  申报加分 96" in line.line("2021-05")
    matrix = {r[0]: r[2] for r in sheet_rows(summary, "指标进度")[2:] if r and r[0]}
    assert matrix["99"].endswith("存在此情形") and matrix["96"].endswith("申报加分") and matrix["97"].endswith("不申报")
    assert matrix["98"].endswith("已完成")  # stored before rows had kinds: shown as it was, counted nowhere


def test_the_next_ledger_carries_each_kinds_answer(kinds_ws) -> None:  # type: ignore[no-untyped-def]
    db = store.open_store(kinds_ws.store)
    try:
        write_next_ledgers(kinds_ws, db, "2021-06")
    finally:
        db.close()
    path = next_ledger_path(kinds_ws, KINDS_UNIT, "2021-06")
    ws = openpyxl.load_workbook(path)[L.LEDGER_SHEET]
    assert (ws[f"H{PENALTY}"].value, ws[f"I{PENALTY}"].value) == ("存在此情形", "4月自查发现一份统计表数据有误，已更正并通报批评。")
    assert (ws[f"H{BONUS}"].value, ws[f"K{BONUS}"].value) == ("申报加分", "http://sft.example.gov.cn/2021/041.html")
    assert ws[f"H{kinds_row('97')}"].value == "不申报"
    assert ws[f"H{OTHER_PENALTY}"].value is None  # the old 已完成 on a 减分项: left for the clerk to choose again
    result = validate(path)
    assert [f.rule for f in result.findings if f.severity.value == "error"] == ["progress-missing"]
    assert [(f.cell, f.message) for f in result.findings if f.rule == "progress-missing"] == [
        (f"H{OTHER_PENALTY}", "减分项请选择完成进度（无此情形 / 存在此情形）")]

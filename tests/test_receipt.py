"""The receipt (回执) a unit gets for every submission: accepted or rejected and why, every finding
with its cell, and what changed since the unit's previous accepted submission."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from ledger_fixtures import (  # noqa: F401  (baseline, ledger_dir are fixtures)
    KEY,
    UNIT,
    baseline,
    cell,
    data_row,
    edited,
    ledger_dir,
    set_cells,
)
from workbook_layout import assert_same_layout
from ws_fixtures import (  # noqa: F401  (clean_environment is an autouse fixture)
    LATE,
    ON_TIME,
    clean_environment,
    connect,
    drop,
    is_chinese,
    make_workspace,
    receipt_findings,
    receipt_summary,
    set_text,
    sheet_rows,
    sheet_xml,
)

from xlbridge.findings import SEVERITY_LABELS, Severity
from xlbridge.service import store
from xlbridge.service.ingest import Outcome, ingest_file
from xlbridge.service.workspace import Workspace

R9, R18, R19 = data_row(2016, "9"), data_row(2016, "18"), data_row(2016, "19")  # rows 5, 6, 7
CHANGE_HEADERS = ("年度", "指标编号", "栏目", "上次报送", "本次报送")


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return make_workspace(tmp_path / "ws")


def ingest(ws: Workspace, src: Path, name: str, when: Any = ON_TIME) -> Outcome:
    db = store.open_store(ws.store)
    try:
        outcome = ingest_file(ws, db, drop(ws, src, name, when), KEY, received_at=when)
    finally:
        db.close()
    assert outcome.receipt is not None and outcome.receipt.exists()
    return outcome


def changes_sheet(receipt: Path) -> list[tuple[Any, ...]]:
    """The 变化 sheet's rows; a receipt with no changes to list has no such sheet."""
    if "变化" not in openpyxl.load_workbook(receipt, read_only=True).sheetnames:
        return []
    header, *rows = sheet_rows(receipt, "变化")
    assert header == CHANGE_HEADERS
    return rows


# =========================================================================== accepted
def test_accepted_receipt_lists_every_finding_with_its_cell(ws: Workspace, baseline: Path, tmp_path: Path) -> None:
    src = edited(baseline, tmp_path / "errors.xlsx", set_cells({
        cell("progress", R9): None,  # error: no progress
        cell("links", R18): "www.example.gov.cn/a",  # error: not a link
        cell("phone", R19): "12345",  # error: not a phone number
        cell("description", R19): "推进" * 260,  # warning: over 500 characters
        cell("person", R9): "  王伟 ",  # info: spaces tidied
    }))
    outcome = ingest(ws, src, f"{UNIT}_2021-05.xlsx")
    assert outcome.status == "accepted"

    summary = receipt_summary(outcome.receipt)  # type: ignore[arg-type]
    assert summary["报送单位"] == UNIT and summary["文件名"] == f"{UNIT}_2021-05.xlsx"
    assert summary["收到时间"] == "2021-05-28 10:00" and summary["报送月份"] == "2021-05"
    assert summary["处理结果"] == "已接收，但有 4 个错误需整改（见下方问题清单），请修改后重新报送"
    assert summary["退回原因"] == "无"
    assert summary["错误 / 警告"] == "4 个错误，1 个警告"
    assert summary["签名核验"] == "通过" and summary["指标行数"] == "30"
    assert summary["文件指纹"] == hashlib.sha256(src.read_bytes()).hexdigest()
    assert "原始文件已存档" in summary["说明"]

    rows = receipt_findings(outcome.receipt)  # type: ignore[arg-type]
    with connect(ws.store) as conn:
        stored = conn.execute("SELECT severity, sheet, cell, field, rule, message, hint FROM findings").fetchall()
    # Every stored finding, once, below the form with its cell; problems first, then the normalisations.
    shown = [tuple(v or None for v in r[:2] + r[3:]) for r in rows]  # r[2]: the indicator
    assert {sh for _, sh, *_ in stored} == {"台账"}  # a ledger cell is named without its sheet
    assert sorted(shown, key=repr) == sorted(
        [(SEVERITY_LABELS[Severity(s)], c, f, m, h) for s, sh, c, f, rule, m, h in stored], key=repr)
    levels = [r[0] for r in rows]
    assert levels.index("提示") > max(i for i, level in enumerate(levels) if level != "提示")
    by_rule = {rule: next(r for r in rows if r[4] == m) for _, _, _, _, rule, m, _ in stored}
    assert by_rule["progress-missing"][2] == rows_indicator(ws, R9)
    assert by_rule["progress-missing"][:2] + by_rule["progress-missing"][3:4] == ("错误", f"H{R9}", "完成进度")
    assert by_rule["link-malformed"][:2] + by_rule["link-malformed"][3:4] == ("错误", f"K{R18}", "网址链接")
    assert by_rule["link-missing"][:2] + by_rule["link-missing"][3:4] == ("错误", f"K{R18}", "网址链接")  # 18 is 网络检索
    assert by_rule["phone-malformed"][:2] + by_rule["phone-malformed"][3:4] == ("错误", f"N{R19}", "联系电话")
    assert by_rule["description-long"][:2] + by_rule["description-long"][3:4] == ("警告", f"I{R19}", "进度说明")
    assert by_rule["normalised-space"][:2] == ("提示", f"M{R9}")
    for r in rows:
        assert is_chinese(r[4]), r


def test_a_clean_submission_gets_a_plain_receipt(ws: Workspace, baseline: Path) -> None:
    outcome = ingest(ws, baseline, f"{UNIT}_2021-05.xlsx")
    summary = receipt_summary(outcome.receipt)  # type: ignore[arg-type]
    assert (summary["处理结果"], summary["错误 / 警告"]) == ("已接收", "0 个错误，0 个警告")
    assert receipt_findings(outcome.receipt) == [("没有发现问题",) + (None,) * 5]  # type: ignore[arg-type]
    # The first submission has nothing to compare with: the form says so, no sheet lists every cell as "new".
    assert changes_sheet(outcome.receipt) == []  # type: ignore[arg-type]
    assert summary["与上次相比"] == "本考核年度首次报送，没有可比较的上次报送"
    assert openpyxl.load_workbook(outcome.receipt).sheetnames == ["回执"]  # type: ignore[arg-type]


def test_changes_since_the_previous_accepted_submission(ws: Workspace, baseline: Path, tmp_path: Path) -> None:
    ingest(ws, baseline, f"{UNIT}_2021-05.xlsx")
    with connect(ws.store) as conn:
        old = {row: (p, d, pe) for row, p, d, pe in conn.execute("SELECT sheet_row, progress, description, person FROM rows")}
    # A rejected correction in between does not count as "previous".
    tampered = edited(baseline, tmp_path / "tampered.xlsx", set_cells({"D5": "改写", cell("person", R9): "赵六"}))
    assert ingest(ws, tampered, f"{UNIT}_2021-06a.xlsx", LATE).status == "rejected"

    flipped = "未完成" if old[R9][0] == "已完成" else "已完成"
    june = edited(baseline, tmp_path / "june.xlsx", set_cells({
        "B3": "2021-06",
        cell("progress", R9): flipped,
        cell("description", R9): "六月已完成全部收费清单的公布。",
        cell("person", R18): "孙七",
    }))
    outcome = ingest(ws, june, f"{UNIT}_2021-06.xlsx", LATE)
    assert outcome.status == "accepted"
    assert changes_sheet(outcome.receipt) == [  # type: ignore[arg-type]
        ("2016", "9", "完成进度", old[R9][0], flipped),
        ("2016", "9", "进度说明", old[R9][1], "六月已完成全部收费清单的公布。"),
        ("2016", "18", "责任人", old[R18][2], "孙七"),
    ]
    assert receipt_summary(outcome.receipt)["与上次相比"] == "3 处变化（见“变化”工作表）"  # type: ignore[arg-type]

    # Sent again with only the header touched: nothing changed.
    again = edited(june, tmp_path / "june-again.xlsx", set_cells({"I3": "李娜"}))
    outcome = ingest(ws, again, f"{UNIT}_2021-06b.xlsx", LATE)
    assert changes_sheet(outcome.receipt) == []  # type: ignore[arg-type]
    assert receipt_summary(outcome.receipt)["与上次相比"] == "没有变化"  # type: ignore[arg-type]


def test_secret_change_is_shown_as_yes_no(ws: Workspace, baseline: Path, tmp_path: Path) -> None:
    ingest(ws, baseline, f"{UNIT}_2021-05.xlsx")
    secret = edited(baseline, tmp_path / "secret.xlsx", set_cells({
        cell("secret", R9): "是", cell("materials", R9): None, cell("links", R9): None,
        cell("description", R9): "涉密材料另报纸质件。",
    }))
    outcome = ingest(ws, secret, f"{UNIT}_2021-06.xlsx", LATE)
    changes = {r[2]: r for r in changes_sheet(outcome.receipt)}  # type: ignore[arg-type]
    assert changes["涉密"][3:] == ("否", "是")
    assert not changes["上报材料"][4] and changes["上报材料"][3]


# =========================================================================== rejected
def test_rejected_receipt_says_why(ws: Workspace, baseline: Path, tmp_path: Path) -> None:
    tampered = edited(baseline, tmp_path / "tampered.xlsx", set_cells({f"D{R9}": "（改写的指标）"}))
    outcome = ingest(ws, tampered, f"{UNIT}_2021-05.xlsx")
    assert outcome.status == "rejected"
    summary = receipt_summary(outcome.receipt)  # type: ignore[arg-type]
    assert summary["报送单位"] == UNIT
    assert summary["处理结果"] == "已退回，未计入汇总"
    assert summary["退回原因"].startswith("「三级指标 / 考评要点」与下发内容不一致（下发为「")
    assert summary["与上次相比"] == "—"
    rows = receipt_findings(outcome.receipt)  # type: ignore[arg-type]
    assert ("错误", f"D{R9}", "三级指标 / 考评要点") in [r[:2] + r[3:4] for r in rows]
    assert changes_sheet(outcome.receipt) == []  # type: ignore[arg-type]  (a rejected file is not compared)


def test_unreadable_file_receipt_says_why(ws: Workspace, tmp_path: Path) -> None:
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"PK\x03\x04 half a file")
    outcome = ingest(ws, junk, "财务报表.xlsx")
    summary = receipt_summary(outcome.receipt)  # type: ignore[arg-type]
    assert outcome.receipt.parent.name == "未识别单位"  # type: ignore[union-attr]
    assert summary["报送单位"] == "（无法识别）"
    assert summary["处理结果"] == "已退回，未计入汇总"
    assert summary["退回原因"] == "财务报表.xlsx：文件已损坏或不完整（不是有效的 .xlsx 压缩包）"
    assert summary["签名核验"] == "缺少签名"
    [row] = receipt_findings(outcome.receipt)  # type: ignore[arg-type]
    assert (row[0], row[1]) == ("错误", "") and "文件已损坏" in row[4]  # the file as a whole: no cell


def test_unit_text_in_a_receipt_is_never_a_formula(ws: Workspace, baseline: Path, tmp_path: Path) -> None:
    ingest(ws, baseline, f"{UNIT}_2021-05.xlsx")
    hostile = {cell("description", R9): '=HYPERLINK("http://x","y")', cell("description", R18): "+1",
               cell("description", R19): "-1", cell("person", R9): "@SUM(A1)"}
    outcome = ingest(ws, edited(baseline, tmp_path / "hostile.xlsx", set_text(hostile)), f"{UNIT}_2021-06.xlsx", LATE)
    assert outcome.status == "accepted"
    new_values = {r[4] for r in changes_sheet(outcome.receipt)}  # type: ignore[arg-type]
    assert set(hostile.values()) <= new_values
    assert b"<f>" not in sheet_xml(outcome.receipt, "变化") and b"<f " not in sheet_xml(outcome.receipt, "变化")  # type: ignore[arg-type]
    sheet = openpyxl.load_workbook(outcome.receipt)["变化"]  # type: ignore[arg-type]
    cells = [c for row in sheet.iter_rows() for c in row if c.value in hostile.values()]
    assert len(cells) == len(hostile) and {c.data_type for c in cells} == {"s"}


def rows_indicator(ws: Workspace, sheet_row: int) -> str:
    """The receipt's 指标 column for a sheet row: the code and the start of its text."""
    with connect(ws.store) as conn:
        code, name = conn.execute(
            "SELECT i.code, i.level3 FROM rows r JOIN indicators i ON i.key = r.indicator_key"
            " WHERE r.sheet_row = ? ORDER BY r.id DESC LIMIT 1", [sheet_row]).fetchone()
    return f"{code} {name[:20]}"


# =========================================================================== the package
def test_a_receipt_is_the_workbook_xlsxwriter_writes(ws: Workspace, baseline: Path, tmp_path: Path) -> None:
    """Receipts are spliced into a package xlsxwriter writes once (xlsx/replayed.py): each kind is,
    cell for cell and style for style, the workbook xlsxwriter itself writes from the same calls."""
    from xlbridge.service.receipt import write_duplicate_receipt, write_receipt, write_refusal_receipt
    from xlbridge.xlsx.owned import owned_workbook

    direct = tmp_path / "xlsxwriter"

    def xlsxwriter_itself(path: Path) -> Any:
        return owned_workbook(direct / path.name, small=True)

    def both(outcome: Outcome) -> tuple[Path, Path]:  # written at once: a later file changes what a receipt says
        db = store.open_store(ws.store)
        try:
            return outcome.receipt, direct / write_receipt(ws, db, outcome.submission_id, workbook=xlsxwriter_itself).name  # type: ignore
        finally:
            db.close()

    clean = ingest(ws, baseline, f"{UNIT}_2021-05.xlsx")
    pairs = [both(clean)]
    errors = edited(baseline, tmp_path / "errors.xlsx", set_cells({
        "B3": "2021-06", cell("progress", R9): None, cell("links", R18): "www.example.gov.cn/a",
        cell("description", R19): "推进" * 260 + " & <b>", cell("person", R9): "  王伟 "}))
    changed = ingest(ws, errors, f"{UNIT}_2021-06.xlsx", LATE)
    pairs.append(both(changed))
    pairs.append(both(ingest(ws, edited(baseline, tmp_path / "tampered.xlsx", set_cells({f"D{R9}": "（改写）"})),
                             f"{UNIT}_2021-06b.xlsx", LATE)))
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"PK\x03\x04 half a file")
    pairs.append(both(ingest(ws, junk, "财务报表.xlsx")))
    with connect(ws.store) as conn:
        conn.row_factory = sqlite3.Row
        first = dict(conn.execute("SELECT * FROM submissions WHERE id = ?", [clean.submission_id]).fetchone())
    pairs += [(write_duplicate_receipt(ws, first, "again.xlsx"),
               direct / write_duplicate_receipt(ws, first, "again.xlsx", workbook=xlsxwriter_itself).name),
              (write_refusal_receipt(ws, UNIT, "link.xlsx", "符号链接"),
               direct / write_refusal_receipt(ws, UNIT, "link.xlsx", "符号链接", workbook=xlsxwriter_itself).name)]
    assert changes_sheet(changed.receipt)  # type: ignore[arg-type]  (the 变化 sheet is compared too)
    for spliced, written in pairs:
        assert_same_layout(spliced, written)

"""The supervision group's year, end to end on real files: two inspection rounds over a
campaign — plan → fill (openpyxl; the second round typed in LibreOffice through UNO) → submit → items open →
the unit's next ledger shows them → the unit answers → the next round closes one and sends one
back → one goes overdue → the scores and the quarterly 通报 (read back with python-docx,
rendered to PDF by LibreOffice) say exactly that; the 催报 notice too."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from ledger_fixtures import KEY, UNIT, set_cells
from openpyxl.utils import get_column_letter
from soffice_fixtures import SOFFICE, to_pdf
from supervision_fixtures import ROW, fill, inspection_kind, plan, reported_workspace, review_rows, submit  # noqa: F401
from test_libreoffice import drive
from ws_fixtures import clean_environment, connect, drop, run, sheet_rows  # noqa: F401

from xlbridge.ledger import rectification as R
from xlbridge.ledger.sample import clerk_answer, fill_ledger
from xlbridge.service import store
from xlbridge.service.ingest import ingest_file
from xlbridge.supervision import layout as S
from xlbridge.system.files import load_system

ROUND_1 = {
    "18": {"conclusion": S.NONCONFORM, "problem": "未公开行政许可事项", "deduction": 5, "requirement": "在门户网站公开",
           "due": "2021-07-31"},
    "19": {"conclusion": S.NONCONFORM, "problem": "执法案卷材料目录缺失", "deduction": 4, "requirement": "补齐目录",
           "due": "2021-09-30"},
    "(12)": {"conclusion": S.MOSTLY, "problem": "服务指南未更新", "deduction": 2, "requirement": "更新服务指南",
             "due": "2021-07-10"},
}
ROUND_2 = {"19": {"conclusion": S.MOSTLY, "problem": "目录仍缺2019年卷宗", "deduction": 2}}


def _typed_round_2() -> list[dict[str, str]]:
    """ROUND_2 and its reviews as an inspector types them into the workbook in LibreOffice."""
    def at(sheet: str, column: int, row: int, text: str) -> dict[str, str]:
        return {"sheet": sheet, "cell": f"{get_column_letter(column)}{row}", "how": "type", "text": text}

    edits = [at(S.INSPECTION_SHEET, S.HEADER_FIELD["inspector"].value_col, S.INPUT_ROW, "李检查"),
             at(S.INSPECTION_SHEET, S.HEADER_FIELD["inspected_on"].value_col, S.INPUT_ROW, "2021-08-20")]
    for code, row in ROW.items():
        for key, value in {"conclusion": S.CONFORM, **ROUND_2.get(code, {})}.items():
            edits.append(at(S.INSPECTION_SHEET, S.INSPECTION_COLUMN[key].index, row, str(value)))
    for offset, (verdict, note) in enumerate(((S.CLOSE, "已公开，网站核验通过"), (S.REJECT, "2019年卷宗目录仍缺"))):
        edits.append(at(S.REVIEW_SHEET, S.REVIEW_COLUMN["review"].index, S.REVIEW_FIRST_ROW + offset, verdict))
        edits.append(at(S.REVIEW_SHEET, S.REVIEW_COLUMN["review_note"].index, S.REVIEW_FIRST_ROW + offset, note))
    return edits


def statuses(ws) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    with connect(ws.store) as conn:
        return conn.execute("SELECT id, status FROM rectification_items ORDER BY id").fetchall()


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Round 1 (June), the unit's July ledger answering two of three items, round 2 (August)."""
    from xlbridge.supervision import hooks

    hooks.register()
    tmp = tmp_path_factory.mktemp("campaign")
    ws = reported_workspace(tmp / "ws")
    first = submit(ws, fill(plan(ws, "2021-06"), tmp / "r1.xlsx", ROUND_1), when=datetime(2021, 6, 21, 9))
    assert first.status == "accepted", first.summary
    after_round_1 = statuses(ws)

    assert run("ledgers", "next", "-w", ws.root, "--period", "2021-07").exit_code == 0
    july_issued = ws.outbox / UNIT / f"{UNIT}_2021-07_工作台账.xlsx"
    issued_items = [tuple(c.value for c in r[:7]) for r in openpyxl.load_workbook(july_issued)[R.SHEET].iter_rows(min_row=R.FIRST_ROW)]
    july = fill_ledger(july_issued, tmp / "july.xlsx", clerk_answer(load_system(ws.system), UNIT),
                       header={"period": "2021-07", "filled_on": "2021-07-28", "filled_by": "王伟"})
    wb = openpyxl.load_workbook(july)
    set_cells({"H3": "已在门户网站公开全部许可事项", "I3": R.DONE, "J3": "https://www.example.gov.cn/xk/2021.html",
               "H4": "正在逐卷补齐目录", "I4": R.ONGOING}, sheet=R.SHEET)(wb)
    wb.save(july)
    db = store.open_store(ws.store)
    when = datetime(2021, 7, 29, 9)
    answered = ingest_file(ws, db, drop(ws, july, f"{UNIT}/7月.xlsx", when), KEY, received_at=when)
    db.close()
    assert answered.status == "accepted", answered.summary
    after_answers = statuses(ws)

    august = plan(ws, "2021-08")  # planned on 1 August: item 3 (due 10 July, unanswered) is overdue by then
    august_items = review_rows(august)
    # The second round is typed in LibreOffice (headless, zh_CN, through UNO: what its input line does)
    through_libreoffice = tmp / "lo" / "r2.xlsx"
    issued = tmp / "lo" / "august.xlsx"  # an ASCII path: the UNO bridge's URLs of a CJK one fail type detection
    issued.parent.mkdir()
    issued.write_bytes(august.read_bytes())
    drive(issued, through_libreoffice, _typed_round_2(), [], tmp_path_factory)
    second = submit(ws, through_libreoffice, when=datetime(2021, 8, 21, 9))
    assert second.status == "accepted", second.summary
    yield {"ws": ws, "after_round_1": after_round_1, "issued_items": issued_items, "answered": answered,
           "after_answers": after_answers, "august_items": august_items, "second": second}
    hooks.unregister()


def test_items_open_show_in_the_next_ledger_and_the_units_answers_count(year) -> None:  # type: ignore[no-untyped-def]
    assert year["after_round_1"] == [(1, "待整改"), (2, "待整改"), (3, "待整改")]
    assert [r[0] for r in year["issued_items"]] == ["1", "2", "3"]
    assert year["issued_items"][2][3:6] == ("服务指南未更新", "更新服务指南", "2021-07-10")
    assert year["after_answers"] == [(1, "已反馈"), (2, "已反馈"), (3, "待整改")]
    receipt = sheet_rows(year["answered"].receipt, "整改")
    assert [(r[0], r[5], r[6] == "尚未答复") for r in receipt[1:]] == [("1", "已反馈", False), ("2", "已反馈", False),
                                                                  ("3", "待整改", True)]


def test_the_second_round_closes_one_sends_one_back_and_one_is_overdue(year) -> None:  # type: ignore[no-untyped-def]
    assert [(r[0], r[6]) for r in year["august_items"]] == [("1", "已反馈"), ("2", "已反馈"), ("3", "逾期")]
    assert [r[7] for r in year["august_items"][:2]] == ["已在门户网站公开全部许可事项", "正在逐卷补齐目录"]
    ws = year["ws"]
    assert statuses(ws) == [(1, "已销号"), (2, "待整改"), (3, "逾期")]
    with connect(ws.store) as conn:
        trail = conn.execute("SELECT item_id, old_status, new_status, by, at, source FROM rectification_history"
                             " ORDER BY id").fetchall()
        signature = conn.execute("SELECT signature FROM inspections WHERE round = '2021-08'").fetchone()[0]
    assert signature == "valid"  # LibreOffice's re-save kept the signed metadata and every locked cell
    assert trail == [
        (1, None, "待整改", "李检查", "2021-06-21T09:00:00", "inspection"),
        (2, None, "待整改", "李检查", "2021-06-21T09:00:00", "inspection"),
        (3, None, "待整改", "李检查", "2021-06-21T09:00:00", "inspection"),
        (1, "待整改", "已反馈", "王伟", "2021-07-29T09:00:00", "ledger"),
        (2, "待整改", "已反馈", "王伟", "2021-07-29T09:00:00", "ledger"),
        (3, "待整改", "逾期", "系统", "2021-08-01T00:00:00", "system"),
        (1, "已反馈", "已销号", "李检查", "2021-08-21T09:00:00", "inspection"),
        (2, "已反馈", "待整改", "李检查", "2021-08-21T09:00:00", "inspection"),
    ]


def test_scores_follow_each_round(year) -> None:  # type: ignore[no-untyped-def]
    ws = year["ws"]
    june = json.loads(run("score", "-w", ws.root, "--period", "2021-07", "--json").output)["units"][0]
    assert (june["round"], june["score"], june["full_marks"], june["rank"]) == ("2021-06", 89.0, 100.0, 1)
    assert [(d["code"], d["points"], d["reason"]) for d in june["deductions"]] == [
        ("18", 5.0, "未公开行政许可事项"), ("19", 4.0, "执法案卷材料目录缺失"), ("(12)", 2.0, "服务指南未更新")]
    assert sum(s["full_marks"] for s in june["subtotals"]) == 100.0
    assert sum(s["score"] for s in june["subtotals"]) == 89.0
    text = run("score", "-w", ws.root, "--period", "2021-08").output
    assert "等权重" in text and f"1  {UNIT}：98 / 100（2021-08 检查）" in text and "扣 2 分：指标 19，目录仍缺2019年卷宗" in text


def test_the_quarterly_bulletin_says_exactly_that(year, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:  # type: ignore[no-untyped-def]
    ws = year["ws"]
    out = tmp_path / "通报.docx"
    result = run("bulletin", "-w", ws.root, "--quarter", "2021Q3", "-o", out, "--as-of", "2021-08-25")
    assert result.exit_code == 0, result.output
    summary = json.loads(run("bulletin", "-w", ws.root, "--quarter", "2021Q3", "-o", out, "--as-of", "2021-08-25",
                             "--json").stdout)
    assert (summary["closed"], summary["open"], summary["overdue"]) == (1, 1, 1) and summary["file"] == str(out)
    # with no --as-of, written years later: as of the quarter's last day (item 2, due 30 September, not yet overdue)
    default = json.loads(run("bulletin", "-w", ws.root, "--quarter", "2021Q3", "-o", tmp_path / "d.docx", "--json").stdout)
    assert (default["closed"], default["open"], default["overdue"]) == (1, 1, 1)
    assert any(p.text.startswith("截至2021年09月30日，本季度销号整改事项 1 项") for p in Document(str(tmp_path / "d.docx")).paragraphs)
    # the second quarter, as it ended: the June round's three items, none closed or overdue yet
    q2 = json.loads(run("bulletin", "-w", ws.root, "--quarter", "2021Q2", "-o", tmp_path / "q2.docx", "--json").stdout)
    assert (q2["closed"], q2["open"], q2["overdue"]) == (0, 3, 0)
    doc = Document(str(out))
    text = [p.text for p in doc.paragraphs]
    assert "关于2021年第三季度法治政府建设督导检查情况的通报" in text
    headings = [t for t in text if t[:2] in ("一、", "二、", "三、", "四、")]
    assert headings == ["一、总体情况", "二、主要问题", "三、整改情况", "四、下一步工作"]
    assert any("应报送工作台账 3 份，实际报送 1 份，报送率 33%；按时报送 1 份" in t for t in text)
    assert any(f"销号整改事项 1 项；尚在整改 1 项；逾期未整改 1 项，涉及{UNIT}" in t for t in text)
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    reporting, scores, problems, items = tables
    assert reporting[1][:4] == ["2021-07", "1", "1", "1"] and reporting[2][:3] == ["2021-08", "1", "0"]
    assert scores[1][:3] == ["1", UNIT, "98"]
    assert problems[1:] == [["19 " + load_system(ws.system).indicator("19").text[:40], UNIT, "2021-08", "基本符合",
                             "目录仍缺2019年卷宗", "2"]]
    assert [(r[0], r[5]) for r in items[1:]] == [("3", "逾期"), ("2", "待整改"), ("1", "已销号")]
    # GB/T 9704: A4, 仿宋 body, 黑体 headings, 小标宋 (or the installed fallback) title, page numbers
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    title = next(p for p in doc.paragraphs if p.text.startswith("关于"))
    assert title.runs[0].font.size.pt == 22
    assert "PAGE" in section.footer.paragraphs[0]._p.xml
    [pdf] = to_pdf([out], tmp_path / "pdf", tmp_path_factory)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "pts (A4)" in info and "Author:          法治政府建设督导检查组" in info
    layout = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = "".join(layout.split())  # lines wrap and CJK/Latin spacing differ in the rendering
    for expected in ("二、主要问题", "三、整改情况", "逾期未整改1项", "—1—", "—2—", UNIT, "四、下一步工作"):
        assert expected in flat, expected
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "NotoSerifCJK" in fonts.replace(" ", "") and "NotoSansCJK" in fonts.replace(" ", "")


def test_a_reminder_for_the_silent_month_and_the_overdue_item(year, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                              tmp_path_factory: pytest.TempPathFactory) -> None:
    ws = year["ws"]
    result = run("remind", "-w", ws.root, "--period", "2021-08", "--as-of", "2021-09-02")
    assert result.exit_code == 0, result.output
    path = ws.outbox / "督导检查" / "催报" / "2021-08" / f"催报_{UNIT}_2021-08.docx"
    assert str(path) in result.output
    if SOFFICE is not None:  # printed: one A4 page with its number at the foot (GB/T 9704, as the 通报)
        [pdf] = to_pdf([path], tmp_path / "pdf", tmp_path_factory)
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        assert "pts (A4)" in info and "Pages:           1" in info
        printed = "".join(subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                                         check=True).stdout.split())
        assert "—1—" in printed and "尚未收到贵单位2021年8月" in printed
    doc = Document(str(path))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "尚未收到贵单位2021年8月的法治政府建设工作台账" in text and "2021年09月01日" in text
    assert "联系人：" in text and "据 2021-07 台账" in text
    [items] = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    assert [(r[0], r[4]) for r in items[1:]] == [("3", "逾期")]  # item 2 is due 30 September: not near yet
    listed = json.loads(run("remind", "-w", ws.root, "--period", "2021-08", "--as-of", "2021-09-02", "--json").stdout)
    assert listed == {"files": [str(path)]}
    # July was reported (on the 29th): a notice only because item 3 is overdue; items 1 and 2 were
    # answered then (已反馈: the group's turn), though item 1 falls due within a week
    assert "共 1 份催报通知" in run("remind", "-w", ws.root, "--period", "2021-07", "--as-of", "2021-07-30").output
    july_path = path.parent.parent / "2021-07" / f"催报_{UNIT}_2021-07.docx"
    july = Document(str(july_path))
    assert "尚未收到" not in "\n".join(p.text for p in july.paragraphs)
    assert "1 项整改事项临近或已过整改期限" in "\n".join(p.text for p in july.paragraphs)
    assert [r.cells[0].text for r in july.tables[0].rows[1:]] == ["3"] and july.paragraphs[-1].text == "2021年07月30日"
    # as of 5 July, the July ledger had not come yet; written years later with no --as-of, the notice
    # is as of July's last on-time day (the 31st), not of today: item 3 overdue, item 1 due that day
    assert "共 1 份催报通知" in run("remind", "-w", ws.root, "--period", "2021-07", "--as-of", "2021-07-05").output
    assert "尚未收到贵单位2021年7月" in "\n".join(p.text for p in Document(str(july_path)).paragraphs)
    assert run("remind", "-w", ws.root, "--period", "2021-07").exit_code == 0
    late = Document(str(july_path))
    assert "尚未收到" not in "\n".join(p.text for p in late.paragraphs) and late.paragraphs[-1].text == "2021年07月31日"
    assert [r.cells[0].text for r in late.tables[0].rows[1:]] == ["3"]


def test_the_consolidated_workbook_gains_scores_and_items(year) -> None:  # type: ignore[no-untyped-def]
    import zipfile

    ws = year["ws"]
    result = run("consolidate", "-w", ws.root, "--period", "2021-08")
    assert result.exit_code == 0, result.output
    path = Path(result.output.strip().splitlines()[-1])
    book = openpyxl.load_workbook(path, read_only=True)
    assert book.sheetnames.index("得分") < book.sheetnames.index("明细") and "整改" in book.sheetnames
    book.close()
    scores = sheet_rows(path, "得分")
    assert "等权重" in scores[0][0]
    assert scores[3][:5] == ("1", UNIT, 98, 100, "2021-08") and "指标 19 扣 2：目录仍缺2019年卷宗" in scores[3][5]
    items = sheet_rows(path, "整改")
    # as of August's last day, not today (years later): item 3 overdue, item 2 sent back, not yet due;
    # item 1 closed on 21 August
    assert items[0][0] == "截至 2021-08-31 未销号的整改事项（逾期的在前）"
    assert [(r[0], r[6], r[7]) for r in items[3:]] == [("3", "2021-07-10", "逾期"), ("2", "2021-09-30", "待整改")]
    # each month's 汇总 as that month ended: June — all three as found; July — two answered, one overdue
    by_month = {}
    for month in ("2021-06", "2021-07"):
        result = run("consolidate", "-w", ws.root, "--period", month)
        assert result.exit_code == 0, result.output
        by_month[month] = [(r[0], r[7]) for r in sheet_rows(Path(result.output.strip().splitlines()[-1]), "整改")[3:]]
    assert by_month == {"2021-06": [("3", "待整改"), ("1", "待整改"), ("2", "待整改")],
                        "2021-07": [("3", "逾期"), ("1", "已反馈"), ("2", "已反馈")]}
    with zipfile.ZipFile(path) as zf:
        assert any(n.startswith("xl/charts/chart") for n in zf.namelist())


def test_the_group_reopens_a_closed_item_and_it_comes_back_everywhere(year) -> None:  # type: ignore[no-untyped-def]
    """Last, as it changes the year: item 1, closed in August, reopened from the command line."""
    ws = year["ws"]
    result = run("rectify", "reopen", "-w", ws.root, "--item", "1", "--reason", "复查发现许可事项又未公开",
                 "--due", "2021-11-30", "--by", "李检查")
    assert result.exit_code == 0 and "整改事项 1 已重新打开" in result.output
    shown = json.loads(run("rectify", "show", "-w", ws.root, "--item", "1", "--json").output)
    assert [(h["old_status"], h["new_status"], h["by"]) for h in shown["history"]] == [
        (None, "待整改", "李检查"), ("待整改", "已反馈", "王伟"), ("已反馈", "已销号", "李检查"), ("已销号", "待整改", "李检查")]
    october = ws.outbox / "督导检查" / "2021-10" / f"督导检查_{UNIT}_2021-10.xlsx"
    assert run("inspect", "plan", "-w", ws.root, "--round", "2021-10", "--as-of", "2021-10-01").exit_code == 0
    # the review sheet: item 1 again (待整改, its new deadline), 2 and 3 overdue by October
    assert [(r[0], r[5], r[6]) for r in review_rows(october)] == [
        ("1", "2021-11-30", "待整改"), ("2", "2021-09-30", "逾期"), ("3", "2021-07-10", "逾期")]
    assert run("ledgers", "next", "-w", ws.root, "--period", "2021-10").exit_code == 0
    ledger = openpyxl.load_workbook(ws.outbox / UNIT / f"{UNIT}_2021-10_工作台账.xlsx")[R.SHEET]
    assert [r[0].value for r in ledger.iter_rows(min_row=R.FIRST_ROW) if r[0].value] == ["1", "2", "3"]
    again = run("rectify", "reopen", "-w", ws.root, "--item", "1", "--reason", "x")
    assert again.exit_code == 1 and "当前为「待整改」，尚未销号" in again.output

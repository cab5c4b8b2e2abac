"""The consolidated workbook (汇总台账) for the coordination group, from a real store filled by the
ingest pipeline: 总览, 指标进度, 一级指标 (with a native chart), 未报送, 重点 (★), 明细; unit text
always written as text; written atomically and never over a file someone holds open."""

from __future__ import annotations

import csv
import itertools
import os
import re
import shutil
import sqlite3
import subprocess
import uuid
import zipfile
from collections import Counter
from collections.abc import Iterator
from copy import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from ledger_fixtures import HEADER, KEY, build_ledger, data_row, edited, filled_ledger, set_cells, system
from ledger_fixtures import cell as ledger_cell
from python_calamine import CalamineWorkbook
from ws_fixtures import (  # noqa: F401  (clean_environment is an autouse fixture)
    LATE,
    ON_TIME,
    clean_environment,
    connect,
    drop,
    make_workspace,
    run,
    set_text,
    sheet_rows,
    sheet_xml,
)

from xlbridge.errors import XlbridgeError
from xlbridge.ledger.sample import clerk_answer, fill_ledger
from xlbridge.service import store
from xlbridge.service.consolidate import consolidate
from xlbridge.service.ingest import ingest_file
from xlbridge.service.workspace import Workspace
from xlbridge.xlsx.owned import owned_workbook
from xlbridge.xlsx.printing import text_lines

ON_TIME_UNIT = "司法鉴定管理科"  # 5 indicators × 6 years, on time
LATE_UNIT = "法律援助工作科"  # 21 and ★2, late
REJECTED_UNIT = "基层工作指导科"  # ★3, a locked cell altered
PARTIAL_UNIT = "法治调研科"  # indicator 14: 2016 and 2017 left blank, unit text that looks like formulas
UNREADABLE_UNIT = "新闻宣传科"  # sent a broken file
SILENT = ["信息化工作科", "办公室"]  # ★2 lead; 办公室 leads 13 and cooperates on 36
UNITS = [ON_TIME_UNIT, LATE_UNIT, REJECTED_UNIT, PARTIAL_UNIT, UNREADABLE_UNIT, *SILENT]
HOSTILE = {"I7": '=HYPERLINK("http://x","y")', "I8": "+1", "I9": "-1", "M10": "@SUM(A1)"}  # 2018–2021 rows of 14
HOSTILE_FILE = "=SUM(1)+1.xlsx"
FILLS = {"已完成": "FFC6EFCE", "未完成": "FFFFEB9C", "未填": "FFFFC7CE"}
STATUS_FILLS = {"按时报送": "FFC6EFCE", "逾期报送": "FFFFEB9C", "已退回": "FFFFC7CE", "未报送": "FFFFC7CE"}
YEARS = list(range(2016, 2022))


@dataclass
class Scenario:
    ws: Workspace
    workbook: Path
    answers: dict[str, Any]  # unit → answer(year, code) for the accepted units


def _answers() -> dict[str, Any]:
    sys_ = system()
    partial = clerk_answer(sys_, PARTIAL_UNIT)
    return {
        ON_TIME_UNIT: clerk_answer(sys_, ON_TIME_UNIT),
        LATE_UNIT: clerk_answer(sys_, LATE_UNIT),
        PARTIAL_UNIT: lambda year, code: None if year in (2016, 2017) else partial(year, code),
    }


def _build(root: Path) -> Scenario:
    ws = make_workspace(root / "ws", expected_units=UNITS)
    src = root / "ledgers"
    answers = _answers()
    partial = fill_ledger(build_ledger(src, unit=PARTIAL_UNIT, name="p-blank.xlsx"), src / "p.xlsx",
                          answers[PARTIAL_UNIT], header=HEADER)
    hostile = edited(partial, src / "p-hostile.xlsx", set_text({k: v for k, v in HOSTILE.items() if k == "I7"}),
                     set_cells({k: v for k, v in HOSTILE.items() if k != "I7"}))
    tampered = edited(filled_ledger(src, unit=REJECTED_UNIT, name="r.xlsx"), src / "r-tampered.xlsx",
                      set_cells({"D5": "（改写）"}))
    broken = src / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04" + b"\0" * 64)
    drops = [
        (filled_ledger(src, unit=ON_TIME_UNIT, name="a.xlsx"), f"{ON_TIME_UNIT}_2021-05.xlsx", ON_TIME),
        (filled_ledger(src, unit=LATE_UNIT, name="b.xlsx"), f"{LATE_UNIT}_2021-05.xlsx", LATE),
        (tampered, f"{REJECTED_UNIT}_2021-05.xlsx", ON_TIME),
        (hostile, f"{PARTIAL_UNIT}/{HOSTILE_FILE}", ON_TIME),
        (broken, f"{UNREADABLE_UNIT}/台账.xlsx", ON_TIME),
    ]
    db = store.open_store(ws.store)
    try:
        statuses = [ingest_file(ws, db, drop(ws, s, name, when), KEY, received_at=when).status for s, name, when in drops]
    finally:
        db.close()
    assert statuses == ["accepted", "accepted", "rejected", "accepted", "rejected"]
    result = run("consolidate", "-w", ws.root, "--period", "2021-05")
    assert result.exit_code == 0, result.output
    workbook = ws.outbox / "汇总" / "汇总台账_2021-05.xlsx"
    assert result.output.strip() == str(workbook)
    return Scenario(ws, workbook, answers)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    with pytest.MonkeyPatch.context() as mp:
        for name in [n for n in os.environ if n.startswith("XLBRIDGE_")]:
            mp.delenv(name)
        mp.chdir(tmp_path_factory.getbasetemp())
        yield _build(tmp_path_factory.mktemp("consolidate"))


@pytest.fixture
def own(scenario: Scenario, tmp_path: Path) -> Workspace:
    """A private copy of the scenario's workspace, for tests that change it."""
    shutil.copytree(scenario.ws.root, tmp_path / "ws")
    return Workspace.load(tmp_path / "ws")


def progress(answer: Any, code: str) -> list[str]:
    return [(answer(y, code) or {}).get("progress", "") for y in YEARS]


def cell_status(values: list[str]) -> str:
    if all(v == "" for v in values):
        return "未填"
    return "已完成" if all(v == "已完成" for v in values) else "未完成"


def fill(c: Any) -> str:
    return c.fill.fgColor.rgb if c.fill and c.fill.fill_type == "solid" else ""


def look(c: Any) -> tuple[Any, ...]:
    """A cell's style, comparable (openpyxl's style proxies compare unequal to each other)."""
    return copy(c.font), copy(c.border), copy(c.alignment), copy(c.fill), c.number_format


# =========================================================================== 总览
def test_overview_statuses_and_counts(scenario: Scenario) -> None:
    rows = sheet_rows(scenario.workbook, "总览")
    assert rows[0][0] == f"{system().title} — 2021-05 台账汇总"
    assert rows[1][0] == "截止时间：2021-06-01 前；应报 7 个单位，按时报送 2，逾期报送 1，已退回 2，未报送 2"
    assert rows[3][:10] == ("序号", "单位", "状态", "报送时间", "报送月份", "应填行数", "已完成", "未完成", "未填", "完成率")
    by_unit = {r[1]: r for r in rows[4:] if r[1]}
    assert list(by_unit) == UNITS  # every unit expected, in order
    assert {u: r[2] for u, r in by_unit.items()} == {
        ON_TIME_UNIT: "按时报送", LATE_UNIT: "逾期报送", REJECTED_UNIT: "已退回", PARTIAL_UNIT: "按时报送",
        UNREADABLE_UNIT: "已退回", SILENT[0]: "未报送", SILENT[1]: "未报送",
    }
    assert by_unit[ON_TIME_UNIT][3] == "2021-05-28 10:00" and by_unit[LATE_UNIT][3] == "2021-06-03 09:15"
    assert by_unit[PARTIAL_UNIT][12] == HOSTILE_FILE

    sys_ = system()
    for unit in UNITS:
        expected = len(sys_.assigned(unit)) * len(YEARS)
        answer = scenario.answers.get(unit)
        values = Counter(p for i in sys_.assigned(unit) for p in progress(answer, i.key)) if answer else Counter()
        done, pending = values["已完成"], values["未完成"]
        assert by_unit[unit][5:10] == (expected, done, pending, expected - done - pending,
                                       pytest.approx(done / expected)), unit
    assert by_unit[PARTIAL_UNIT][8] == 2  # 2016 and 2017 left blank
    assert by_unit[SILENT[1]][5] == 25 * 6

    sheet = openpyxl.load_workbook(scenario.workbook)["总览"]
    for row in sheet.iter_rows(min_row=5, max_row=4 + len(UNITS)):
        assert fill(row[2]) == STATUS_FILLS[row[2].value], row[1].value


def test_the_deadline_day_is_configurable(own: Workspace) -> None:
    (own.root / "xlbridge.toml").write_text(
        (own.root / "xlbridge.toml").read_text(encoding="utf-8") + "deadline_day = 5\n", encoding="utf-8")
    db = store.open_store(own.store)
    try:
        path = consolidate(Workspace.load(own.root), db, "2021-05")
    finally:
        db.close()
    rows = sheet_rows(path, "总览")
    assert rows[1][0].startswith("截止时间：2021-06-05 前；") and "按时报送 3，逾期报送 0" in rows[1][0]
    assert {r[1]: r[2] for r in rows[4:] if r[1]}[LATE_UNIT] == "按时报送"


def test_the_deadline_day_from_the_environment_and_its_limits(own: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XLBRIDGE_DEADLINE_DAY", "3")  # LATE is 3 June 09:15: after "before the 3rd"
    result = run("consolidate", "-w", own.root, "--period", "2021-05")
    assert result.exit_code == 0, result.output
    assert "截止时间：2021-06-03 前" in sheet_rows(Path(result.output.strip()), "总览")[1][0]
    for bad in ("31", "0", "五"):
        monkeypatch.setenv("XLBRIDGE_DEADLINE_DAY", bad)
        result = run("consolidate", "-w", own.root, "--period", "2021-05")
        assert result.exit_code == 1 and "deadline_day" in result.output and "Traceback" not in result.output


# =========================================================================== 指标进度
def test_indicator_matrix_colours_and_lead_marks(scenario: Scenario) -> None:
    sys_ = system()
    sheet = openpyxl.load_workbook(scenario.workbook)["指标进度"]
    header = [c.value for c in sheet[2]]
    assert header == ["指标编号", "指标", *UNITS]
    shown, groups = {}, []
    by_code = {i.code: i for i in sys_.indicators}
    for row in sheet.iter_rows(min_row=3):
        if row[1].value is None:  # each 一级指标 opens with a row of its own, across the two left columns
            groups.append(row[0].value)
        elif row[0].value:
            shown[row[0].value] = {UNITS[n]: c for n, c in enumerate(row[2:2 + len(UNITS)])}
            assert by_code[row[0].value].text.startswith(row[1].value.rstrip("…"))
    wanted = [i for i in sys_.indicators if any(u in i.lead or u in i.cooperating for u in UNITS)]
    assert list(shown) == [i.code for i in wanted]
    assert groups == [level1 for level1, _ in itertools.groupby(i.level1 for i in wanted)]
    for ind in wanted:
        for unit in UNITS:
            c = shown[ind.code][unit]
            role = "牵头" if unit in ind.lead else "配合" if unit in ind.cooperating else None
            if role is None:
                assert c.value is None
                continue
            answer = scenario.answers.get(unit)
            status = cell_status(progress(answer, ind.key)) if answer else "未填"
            assert c.value == ("▲" if role == "牵头" else "") + status, (ind.code, unit)
            assert fill(c) == FILLS[status], (ind.code, unit)
    # 办公室 leads 13 and only cooperates on 36.
    assert shown["13"]["办公室"].value == "▲未填" and shown["36"]["办公室"].value == "未填"
    assert {fill(c) for cells in shown.values() for c in cells.values() if c.value} == set(FILLS.values())


# =========================================================================== 一级指标
def test_level1_completion_rates_and_native_chart(scenario: Scenario) -> None:
    header, *rows = sheet_rows(scenario.workbook, "一级指标")
    assert header[:4] == ("一级指标", "应填行数", "已完成", "完成率")
    sys_ = system()
    expected: Counter[str] = Counter()
    done: Counter[str] = Counter()
    for ind in sys_.indicators:
        for unit in UNITS:
            if unit in ind.lead or unit in ind.cooperating:
                expected[ind.level1] += len(YEARS)
                done[ind.level1] += progress(scenario.answers.get(unit, lambda y, c: None), ind.key).count("已完成")
    got = {r[0]: r[1:4] for r in rows if r[0]}
    assert got == {k: (expected[k], done[k], pytest.approx(done[k] / expected[k])) for k in expected}

    with zipfile.ZipFile(scenario.workbook) as zf:
        names = set(zf.namelist())
        charts = [zf.read(n).decode("utf-8") for n in sorted(names) if n.startswith("xl/charts/chart")]
        [chart] = [c for c in charts if "<c:barChart>" in c and "各一级指标完成率" in c]
        assert any("<c:lineChart>" in c and "各一级指标完成率（按月）" in c for c in charts)  # 趋势
        n = len(got) + 1
        assert f"<c:f>一级指标!$A$2:$A${n}</c:f>" in chart and f"<c:f>一级指标!$D$2:$D${n}</c:f>" in chart
        # The chart hangs on the 一级指标 sheet (the third).
        assert "drawing" in zf.read("xl/worksheets/_rels/sheet3.xml.rels").decode("utf-8")


# =========================================================================== 未报送, 重点
def test_missing_units_list(scenario: Scenario) -> None:
    header, *rows = sheet_rows(scenario.workbook, "未报送")
    assert header == ("单位", "状态", "牵头指标数", "配合指标数", "最近一次报送", "退回原因", "填表人", "责任人", "联系电话")
    rows = [r for r in rows if r[0]]
    assert [(r[0], r[1]) for r in rows] == [(REJECTED_UNIT, "已退回"), (UNREADABLE_UNIT, "已退回"),
                                           (SILENT[0], "未报送"), (SILENT[1], "未报送")]
    by_unit = {r[0]: r for r in rows}
    assert "与下发内容不一致" in by_unit[REJECTED_UNIT][5] and by_unit[REJECTED_UNIT][4] == "2021-05-28 10:00"
    assert "文件已损坏或不完整" in by_unit[UNREADABLE_UNIT][5]
    sys_ = system()
    office = by_unit["办公室"]
    assert office[2:4] == (sum("办公室" in i.lead for i in sys_.indicators), sum("办公室" in i.cooperating for i in sys_.indicators))
    assert office[3] > 0 and not office[4] and not office[5]


def test_key_items_list(scenario: Scenario) -> None:
    header, *rows = sheet_rows(scenario.workbook, "重点")
    assert header == ("指标编号", "一级指标", "指标内容", "备注", "单位", "职责", "完成情况")
    sys_ = system()
    want = []
    for ind in (i for i in sys_.indicators if i.key_item):
        for unit in UNITS:
            if unit in ind.lead or unit in ind.cooperating:
                answer = scenario.answers.get(unit)
                want.append((ind.code, unit, ind.role_of(unit), cell_status(progress(answer, ind.key)) if answer else "未填"))
    assert [(r[0], r[4], r[5], r[6]) for r in rows if r[0]] == want
    assert {(c, u) for c, u, _, _ in want} == {("★2", LATE_UNIT), ("★2", "信息化工作科"), ("★3", REJECTED_UNIT)}
    sheet = openpyxl.load_workbook(scenario.workbook)["重点"]
    for row in sheet.iter_rows(min_row=2, max_row=1 + len(want)):
        assert fill(row[6]) == FILLS[row[6].value]


def test_a_system_without_key_items_says_so(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    (ws.root / "xlbridge.toml").write_text('system = "jinfeng-2020"\n', encoding="utf-8")
    db = store.open_store(ws.store)
    try:
        path = consolidate(Workspace.load(ws.root), db, "2021-05")
    finally:
        db.close()
    assert sheet_rows(path, "重点")[1][0] == "本指标体系没有标注★的重点指标"


# =========================================================================== 缺链接, 联系人
def test_missing_links_are_the_web_search_rows_without_a_link(own: Workspace, tmp_path: Path) -> None:
    # June from the on-time unit: two 网络检索 rows without their link, one now 涉密 (no link allowed).
    no_link, secret = [data_row(2016, "18"), data_row(2017, "9")], data_row(2018, "18")
    june = edited(filled_ledger(tmp_path, unit=ON_TIME_UNIT, name="june.xlsx"), tmp_path / "june-no-links.xlsx",
                  set_cells({"B3": "2021-06", **{ledger_cell("links", r): None for r in no_link},
                             ledger_cell("secret", secret): "是", ledger_cell("links", secret): None, ledger_cell("materials", secret): None}))
    db = store.open_store(own.store)
    try:
        when = ON_TIME.replace(month=6, day=29)
        assert ingest_file(own, db, drop(own, june, f"{ON_TIME_UNIT}_2021-06.xlsx", when), KEY, received_at=when).status == "accepted"
        path = consolidate(own, db, "2021-06")
    finally:
        db.close()
    header, *rows = sheet_rows(path, "缺链接")[1:]
    assert header == ("单位", "年度", "指标编号", "指标", "测评方法", "完成进度", "责任人", "联系电话")
    with connect(own.store) as conn:  # the same question, asked of the store in plain SQL
        wanted = conn.execute("""
            SELECT c.unit, c.year, c.code, i.methods, COALESCE(c.progress, ''), COALESCE(c.person, ''), COALESCE(c.phone, '')
            FROM current_rows c JOIN indicators i ON i.system_id = c.system_id AND i.key = c.indicator_key
            WHERE c.campaign = 2021 AND i.methods LIKE '%网络检索%' AND COALESCE(c.links, '') = ''
              AND NOT COALESCE(c.secret, 0)
            ORDER BY c.unit, c.submission_id, c.year
        """).fetchall()
    got = [(r[0], r[1], r[2], r[4], r[5] or "", r[6] or "", r[7] or "") for r in rows]
    assert sorted(got) == sorted(wanted)
    assert [(r[0], r[1], r[2]) for r in got] == [(ON_TIME_UNIT, 2016, "18"), (ON_TIME_UNIT, 2017, "9")]
    assert all("网络检索" in r[4] for r in rows)
    by_code = {i.code: i for i in system().indicators}
    assert all(by_code[r[2]].text.startswith(r[3].rstrip("…")) for r in rows)
    # May as it stood: every 网络检索 row had its link.
    assert sheet_rows(own.outbox / "汇总" / "汇总台账_2021-05.xlsx", "缺链接")[2][0] == "没有缺少网址链接的网络检索类指标行"


def test_contacts_are_each_units_last_accepted_submission(scenario: Scenario) -> None:
    header, *rows = sheet_rows(scenario.workbook, "联系人")
    assert header == ("单位", "本月状态", "填表人", "责任人", "联系电话", "来自报送月份", "报送时间")
    by_unit = {r[0]: r for r in rows if r[0]}
    assert list(by_unit) == UNITS
    with connect(scenario.ws.store) as conn:
        for unit in UNITS:
            last = conn.execute("SELECT id, filled_by, period, received_at FROM submissions WHERE unit = ?"
                                " AND status = 'accepted' ORDER BY received_at DESC LIMIT 1", [unit]).fetchone()
            row = by_unit[unit]
            if last is None:
                assert tuple(v or None for v in row[2:6]) == (None, None, None, "尚无被接收的报送"), unit
                continue
            sid, filled_by, period, received = last
            person, phone = (conn.execute(f"SELECT {col} FROM rows WHERE submission_id = ? AND {col} != ''"
                                          f" GROUP BY {col} ORDER BY COUNT(*) DESC LIMIT 1", [sid]).fetchone()[0]
                             for col in ("person", "phone"))
            assert row[2:7] == (filled_by, person, phone, period, received.replace("T", " ")[:16]), unit
            assert filled_by and person and phone
    assert by_unit[ON_TIME_UNIT][1] == "按时报送" and by_unit[SILENT[0]][1] == "未报送"


# =========================================================================== 明细, formulas
def test_details_equal_the_stores_current_rows(scenario: Scenario) -> None:
    header, *rows = sheet_rows(scenario.workbook, "明细")
    assert header == ("单位", "年度", "指标编号", "一级指标", "测评方法", "完成进度", "进度说明", "上报材料", "网址链接", "涉密",
                      "责任人", "联系电话", "报送月份")
    with connect(scenario.ws.store) as conn:
        stored = conn.execute(
            "SELECT unit, year, code, level1,"
            " (SELECT methods FROM indicators i WHERE i.system_id = c.system_id AND i.key = c.indicator_key),"
            " progress, description, materials, links,"
            " CASE secret WHEN 1 THEN '是' ELSE '否' END, person, phone, period FROM current_rows c"
            " WHERE system_id = 'puyang-2020' AND campaign = 2021").fetchall()
    assert len(stored) == 30 + 12 + 6

    def norm(row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple("" if v is None else v for v in row)

    assert sorted(map(norm, rows)) == sorted(map(norm, stored))


def test_unit_text_is_written_as_text_never_as_a_formula(scenario: Scenario) -> None:
    with connect(scenario.ws.store) as conn:  # stored exactly as typed
        stored = {v for r in conn.execute("SELECT description, person FROM rows") for v in r}
    assert set(HOSTILE.values()) <= stored
    wb = openpyxl.load_workbook(scenario.workbook)
    found = [c for c in wb["明细"].iter_rows() for c in c if c.value in HOSTILE.values()]
    assert sorted(c.value for c in found) == sorted(HOSTILE.values())
    assert {c.data_type for c in found} == {"s"}
    [name] = [c for row in wb["总览"].iter_rows() for c in row if c.value == HOSTILE_FILE]
    assert name.data_type == "s"
    for sheet in wb.sheetnames:  # not one formula anywhere in the workbook
        xml = sheet_xml(scenario.workbook, sheet)
        assert b"<f>" not in xml and b"<f " not in xml, sheet


# =========================================================================== 明细, streamed rows
# Every row after the first is streamed as XML by xlbridge.xlsx.stream (the first, the template
# row, is written by xlsxwriter). The reference order and content: the query 明细 was built from
# before it was streamed.
DETAIL_REFERENCE = """
    WITH snap AS (
        SELECT unit, MAX(id) AS sid FROM submissions
        WHERE status = 'accepted' AND system_id = 'puyang-2020' AND campaign = 2021 AND period <= '2021-05'
        GROUP BY unit)
    SELECT s.unit, r.year, i.code, i.level1, i.methods, r.progress, r.description, r.materials, r.links,
           CASE r.secret WHEN 1 THEN '是' ELSE '否' END, r.person, r.phone, sub.period
    FROM snap s
    JOIN submissions sub ON sub.id = s.sid
    JOIN rows r ON r.submission_id = s.sid
    JOIN indicators i ON i.system_id = sub.system_id AND i.key = r.indicator_key
    ORDER BY s.unit, r.id
"""
UNIT_TEXT = [  # as a unit may type it (or a tool may paste it)
    '=HYPERLINK("http://x","y")', "+86 13912345678", "-", "@SUM(A1)", "http://example.cn/a?b=1&c=2",
    "前\x01中\x0b后\x1f完", "甲\ufffe乙\uffff丙", "_x0041_ 不是 A", "<b>加粗</b> & &amp; ]]>", "  两端空白\u3000",
    "第一行\n第二行\t制表", "𠀀𠀁 扩展B区", "\x02\x03", "", None,
]
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _cell(value: Any) -> Any:
    """What a reader should find in the cell: the value without XML-forbidden characters, a blank
    for nothing left."""
    if isinstance(value, str):
        value = _XML_FORBIDDEN.sub("", value)
    return None if value in ("", None) else value


def _excel_text(value: Any) -> Any:
    """openpyxl returns an inline string's _xHHHH_ escapes as they are; Excel, LibreOffice and
    calamine read them as the character."""
    return re.sub("_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m[1], 16)), value) if isinstance(value, str) else value


def _stuff_unit_text(store_path: Path) -> list[tuple[Any, ...]]:
    """Every stored row's free text replaced with UNIT_TEXT in turn; the 明细 rows expected."""
    conn = sqlite3.connect(store_path)
    try:
        with conn:
            ids = [r[0] for r in conn.execute("SELECT id FROM rows ORDER BY id")]
            n = len(UNIT_TEXT)
            text_ids: dict[Any, Any] = {None: None}  # each text stored once, as the store keeps it
            for text in dict.fromkeys(t for t in UNIT_TEXT if t is not None):
                text_ids[text] = conn.execute("INSERT INTO texts (text) VALUES (?)", [text]).lastrowid
            conn.executemany("UPDATE ledger_rows SET description_id = ?, materials_id = ?, links = ?, person = ?, phone = ?"
                             " WHERE id = ?",
                             [(text_ids[UNIT_TEXT[k % n]], text_ids[UNIT_TEXT[(k + 1) % n]], UNIT_TEXT[(k + 2) % n],
                               UNIT_TEXT[(k + 3) % n], UNIT_TEXT[(k + 4) % n], row_id) for k, row_id in enumerate(ids)])
        return [tuple(map(_cell, r)) for r in conn.execute(DETAIL_REFERENCE)]
    finally:
        conn.close()


def test_a_1000_character_description_gets_a_column_wide_enough_to_print_whole(own: Workspace) -> None:
    """Excel's rows stop at 409 pt: 进度说明 is widened for its longest text instead of cut."""
    long = "依法行政" * 250
    conn = sqlite3.connect(own.store)
    with conn:
        text_id = conn.execute("INSERT INTO texts (text) VALUES (?)", [long]).lastrowid
        conn.execute("UPDATE ledger_rows SET description_id = ? WHERE id = (SELECT MIN(id) FROM ledger_rows)", [text_id])
    conn.close()
    ws = openpyxl.load_workbook(_run_consolidate(own))["明细"]
    width = ws.column_dimensions["G"].width
    [row] = [r[0].row for r in ws.iter_rows(min_row=2) if r[6].value == long]
    height = ws.row_dimensions[row].height
    assert width >= 70 and height < 409  # 1000 characters in ~30 lines of ~35
    assert text_lines(long, width) * 13.5 + 3 <= height + 1


def test_streamed_details_are_unit_text_as_clean_text(own: Workspace) -> None:
    expected = _stuff_unit_text(own.store)
    assert len(expected) == 48
    path = _run_consolidate(own)
    wb = openpyxl.load_workbook(path)
    ws = wb["明细"]
    header, template, *streamed = list(ws.iter_rows())
    got = [tuple(map(_excel_text, (c.value for c in row))) for row in [template, *streamed]]
    assert got == expected  # same rows, same order, forbidden characters gone
    typed = {(c.data_type, type(c.value)) for row in [template, *streamed] for c in row if c.value is not None}
    assert typed == {("s", str), ("n", int)}  # the year is a number, everything else text
    years = {c.value for row in [template, *streamed] for c in row[1:2]}
    assert years <= set(YEARS)
    # Excel's reading of the escapes, by a reader that does what Excel does (as the ledger reader uses).
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("明细").to_python()
    assert [tuple(None if v == "" else int(v) if isinstance(v, float) else v for v in r) for r in sheet[1:]] == expected
    # One look and layout: every data cell styled as the template row's, header, widths, panes, filter.
    for row in streamed:
        for cell, model in zip(row, template):
            assert look(cell) == look(model), cell.coordinate
    assert template[5].alignment.wrap_text and template[5].border.left.color.rgb == "FFBFBFBF"
    assert all(c.font.b and fill(c) == "FFDDEBF7" for c in header)
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:M1"
    assert round(ws.column_dimensions["G"].width) == 51
    # Every data row, streamed or not, has a height that shows its longest wrapped text.
    heights = [ws.row_dimensions[row[0].row].height for row in [template, *streamed]]
    assert all(h and h >= 16.5 for h in heights)
    multi = [h for row, h in zip([template, *streamed], heights) if "第一行\n第二行\t制表" in [c.value for c in row]]
    assert multi and min(multi) >= 2 * 13.5
    wb.close()
    ro = openpyxl.load_workbook(path, read_only=True)
    try:
        assert ro["明细"].calculate_dimension() == f"A1:M{1 + len(expected)}"
    finally:
        ro.close()
    xml = sheet_xml(path, "明细")
    assert b"<f>" not in xml and b"<f " not in xml and xml.count(b"<row ") == 1 + len(expected)


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) not installed")
def test_libreoffice_reads_the_streamed_details(own: Workspace, tmp_path: Path) -> None:
    expected = _stuff_unit_text(own.store)
    path = _run_consolidate(own)
    profile = tmp_path / f"lo-profile-{uuid.uuid4().hex}"
    # All sheets to UTF-8 CSV (-1: one file per sheet), text cells as shown.
    csv_filter = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
    result = subprocess.run([SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", csv_filter,
                             "--outdir", str(tmp_path), str(path)], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    with open(tmp_path / f"{path.stem}-明细.csv", encoding="utf-8", newline="") as fh:
        header, *rows = list(csv.reader(fh))
    assert header[0] == "单位" and len(header) == 13

    def shown(value: Any) -> str:
        return "" if value is None else str(value)

    assert rows == [[shown(v) for v in r] for r in expected]


def _streamed(path: Path, rows: list[list[Any]], count: int | None = None, template: list[Any] | None = None) -> Path:
    with owned_workbook(path) as (wb, st):
        ws = wb.add_worksheet("数据")
        ws.write_row(0, 1, ["乙", "丙", "丁", "戊"], st.header)
        ws.write_row(1, 1, template or ["模板", 1, "样式", None], st.text)
        ws.write_string(1, 2, "", st.center)  # a column of its own style (an empty cell keeps it)
        wb.stream_rows(ws, iter(rows), len(rows) if count is None else count)
    return path


def test_streamed_cells_take_their_columns_template_style(tmp_path: Path) -> None:
    long = "长" * 32766 + "𠀀"  # 32,768 UTF-16 units: cut before the pair, as xlsxwriter does
    rows = [["文本", 2.5, "  留白 ", ""], [None, 7, "=1+1", "x"], [long, float("nan"), True, "<&>"], ["只有一格"]]
    path = _streamed(tmp_path / "s.xlsx", rows)
    wb = openpyxl.load_workbook(path)
    ws = wb["数据"]
    assert ws.calculate_dimension() == "B1:E6"
    values = [[c.value for c in row] for row in ws.iter_rows(min_row=3, min_col=2, max_col=5)]
    assert values == [["文本", 2.5, "  留白 ", None], [None, 7, "=1+1", "x"], ["长" * 32766, "nan", "True", "<&>"],
                      ["只有一格", None, None, None]]
    assert ws["C4"].data_type == "n" and ws["D4"].data_type == "s" and ws["C5"].data_type == "s"
    template = {c.column_letter: c for c in ws[2]}
    for row in ws.iter_rows(min_row=3, max_row=5, min_col=2, max_col=5):
        for c in row:
            assert look(c) == look(template[c.column_letter]), c.coordinate
    assert ws["C3"].alignment.horizontal == "center" and ws["B3"].alignment.horizontal is None
    wb.close()


@pytest.mark.parametrize("announced", [1, 3])
def test_a_stream_of_another_length_keeps_the_previous_workbook(tmp_path: Path, announced: int) -> None:
    path = _streamed(tmp_path / "s.xlsx", [["旧"]])
    old = path.read_bytes()
    with pytest.raises(ValueError, match="rows streamed, .* announced"):
        _streamed(path, [["新"], ["新"]], count=announced)
    with pytest.raises(ValueError, match="template row"):
        _streamed(path, [["太", "多", "的", "格", "子"]])
    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.xlsx"]


# =========================================================================== periods
def test_period_validation_in_chinese(scenario: Scenario) -> None:
    for bad in ("2021-13", "05/2021", "2021-05-01", "1999-05", "五月"):
        result = run("consolidate", "-w", scenario.ws.root, "--period", bad)
        assert result.exit_code == 1, bad
        assert f"报送月份「{bad}」格式不对，应写成 2021-05" in result.output and "Traceback" not in result.output


def test_a_short_month_means_the_same_period(own: Workspace) -> None:
    result = run("consolidate", "-w", own.root, "--period", "2021-5")
    assert result.exit_code == 0, result.output
    path = Path(result.output.strip())
    assert path.name == "汇总台账_2021-05.xlsx"
    assert "按时报送 2，逾期报送 1，已退回 2，未报送 2" in sheet_rows(path, "总览")[1][0]


def test_snapshot_of_other_periods(own: Workspace) -> None:
    db = store.open_store(own.store)
    try:
        june = consolidate(own, db, "2021-06")
        april = consolidate(own, db, "2021-04")
    finally:
        db.close()
    # June: nobody reported for June, but May's answers still stand.
    june_rows = sheet_rows(june, "总览")
    assert {r[2] for r in june_rows[4:] if r[1]} == {"未报送"}
    assert {r[1]: r[6] for r in june_rows[4:] if r[1]}[ON_TIME_UNIT] > 0
    assert len([r for r in sheet_rows(june, "明细")[1:] if r[0]]) == 48
    # April: before anything was sent.
    assert [r for r in sheet_rows(april, "明细")[1:] if r[0]] == []


def test_every_reporting_unit_is_expected_by_default(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    result = run("consolidate", "-w", ws.root, "--period", "2021-05")
    assert result.exit_code == 0, result.output
    rows = sheet_rows(Path(result.output.strip()), "总览")
    assert [r[1] for r in rows[4:] if r[1]] == [u.name for u in system().reporting_units]
    assert {r[2] for r in rows[4:] if r[1]} == {"未报送"}


# =========================================================================== atomic write
def _ingest_silent_unit(ws: Workspace, tmp_path: Path) -> None:
    db = store.open_store(ws.store)
    try:
        ledger = filled_ledger(tmp_path, unit=SILENT[0], name="late-comer.xlsx")
        assert ingest_file(ws, db, drop(ws, ledger, f"{SILENT[0]}_2021-05.xlsx"), KEY, received_at=ON_TIME).status == "accepted"
    finally:
        db.close()


def _run_consolidate(ws: Workspace) -> Path:
    db = store.open_store(ws.store)
    try:
        return consolidate(ws, db, "2021-05")
    finally:
        db.close()


def _leftovers(ws: Workspace) -> list[str]:
    return sorted(p.name for p in ws.consolidated_dir.iterdir() if ".tmp" in p.name)


def test_replaced_atomically_while_a_reader_holds_it_open(own: Workspace, tmp_path: Path) -> None:
    path = own.consolidated_dir / "汇总台账_2021-05.xlsx"
    old = path.read_bytes()
    _ingest_silent_unit(own, tmp_path)
    with open(path, "r+b") as held:  # someone has the old workbook open for writing
        assert _run_consolidate(own) == path
        assert held.read() == old  # the open copy is whole, never a half-written file
    assert path.read_bytes() != old
    assert {r[1]: r[2] for r in sheet_rows(path, "总览")[4:] if r[1]}[SILENT[0]] == "按时报送"
    assert _leftovers(own) == []


def test_a_locked_workbook_is_kept_and_retried(own: Workspace, tmp_path: Path) -> None:
    """A file the system refuses to replace (as Windows does with a workbook open in Excel)."""
    path = own.consolidated_dir / "汇总台账_2021-05.xlsx"
    old = path.read_bytes()
    _ingest_silent_unit(own, tmp_path)
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False).returncode:
        pytest.skip("chattr +i (immutable file) is not available here")
    beside = path.with_name("汇总台账_2021-05（新）.xlsx")
    try:
        with pytest.raises(XlbridgeError, match="正被其他程序打开，新版本已写为 汇总台账_2021-05（新）.xlsx，稍后重试"):
            _run_consolidate(own)
        assert path.read_bytes() == old
        # the coordination group still gets the new version, beside the held one
        assert {r[1]: r[2] for r in sheet_rows(beside, "总览")[4:] if r[1]}[SILENT[0]] == "按时报送"
        assert _leftovers(own) == []
        result = run("consolidate", "-w", own.root, "--period", "2021-05")
        assert result.exit_code == 1 and "新版本已写为" in result.output and "Traceback" not in result.output
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)
    assert _run_consolidate(own) == path  # the retry succeeds once the file is released
    assert path.read_bytes() != old
    assert not beside.exists(), "the stand-in of the held version is stale once the real one is written"


def test_a_target_that_cannot_be_replaced_keeps_what_is_there(own: Workspace) -> None:
    path = own.consolidated_dir / "汇总台账_2021-05.xlsx"
    path.unlink()
    path.mkdir()  # something that is not a file is in the way
    (path / "keep.txt").write_text("留存", encoding="utf-8")
    result = run("consolidate", "-w", own.root, "--period", "2021-05")
    assert result.exit_code == 1, result.output
    assert "新版本已写为 汇总台账_2021-05（新）.xlsx" in result.output and "Traceback" not in result.output
    assert (path / "keep.txt").read_text(encoding="utf-8") == "留存"
    assert _leftovers(own) == []


def _read_only_is_enforced(directory: Path) -> bool:
    """False for root (or anyone with CAP_DAC_OVERRIDE): a read-only folder does not stop them."""
    probe = directory / "probe"
    probe.mkdir()
    probe.chmod(0o555)
    try:
        (probe / "x").write_bytes(b"")
    except PermissionError:
        return True
    finally:
        probe.chmod(0o755)
        shutil.rmtree(probe)
    return False


def test_a_read_only_folder_keeps_the_previous_workbook(own: Workspace, tmp_path: Path) -> None:
    if not _read_only_is_enforced(tmp_path):
        pytest.skip("this user may write into a read-only folder (root)")
    path = own.consolidated_dir / "汇总台账_2021-05.xlsx"
    old = path.read_bytes()
    own.consolidated_dir.chmod(0o555)
    try:
        result = run("consolidate", "-w", own.root, "--period", "2021-05")
        assert result.exit_code == 1 and "已保留上一版本" in result.output and "Traceback" not in result.output
    finally:
        own.consolidated_dir.chmod(0o755)
    assert path.read_bytes() == old and _leftovers(own) == []

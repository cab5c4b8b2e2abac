"""The generated ledger, opened with openpyxl: every native feature a clerk relies on without any
add-in (dropdowns, length limits, prompts, highlighting, protection, text format, row heights)
and exactly the rows the unit was assigned."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest
from ledger_fixtures import KEY, SYSTEM_ID, UNIT, blank, build_ledger, ledger_dir, system  # noqa: F401
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from workbook_layout import assert_same_layout

from xlbridge.ledger import layout as L
from xlbridge.ledger.content import issued_rows, rows_digest
from xlbridge.ledger.signature import verify
from xlbridge.system.model import WEB_SEARCH

_CJK = re.compile(r"[\u4e00-\u9fff]")
N_ROWS = 6 * 5  # puyang-2020 period 2016–2021 × the unit's 5 indicators
LAST = L.FIRST_DATA_ROW + N_ROWS - 1


@pytest.fixture(scope="module")
def wb(blank: Path) -> Workbook:
    return openpyxl.load_workbook(blank)


@pytest.fixture(scope="module")
def ws(wb: Workbook) -> Worksheet:
    return wb[L.LEDGER_SHEET]


def validations_of(ws: Worksheet, ref: str) -> list[DataValidation]:
    return [dv for dv in ws.data_validations.dataValidation if ref in dv.sqref]


def only_validation(ws: Worksheet, ref: str) -> DataValidation:
    found = validations_of(ws, ref)
    assert len(found) == 1, f"{ref}: {len(found)} validations"
    return found[0]


def letter(key: str) -> str:
    return get_column_letter(L.COLUMN[key].index)


# =========================================================================== rows
def test_one_row_per_year_and_assigned_indicator(ws: Worksheet) -> None:
    sys_ = system()
    assigned = [i.key for i in sys_.assigned(UNIT)]
    assert sys_.years == [2016, 2017, 2018, 2019, 2020, 2021]
    got = [(ws.cell(r, 1).value, ws.cell(r, 2).value) for r in range(L.FIRST_DATA_ROW, ws.max_row + 1)]
    assert got == [(y, code) for y in sys_.years for code in assigned]
    assert len(got) == N_ROWS


def test_only_the_units_indicators(ws: Worksheet) -> None:
    sys_ = system()
    codes = {ws.cell(r, 2).value for r in range(L.FIRST_DATA_ROW, LAST + 1)}
    others = {i.key for i in sys_.indicators} - {i.key for i in sys_.assigned(UNIT)}
    assert codes == {i.key for i in sys_.assigned(UNIT)}
    assert not codes & others
    # blanket 各部门(单位)配合 rows stay with the lead unit
    blanket = {i.key for i in sys_.indicators if i.all_units_cooperate and UNIT not in (*i.lead, *i.cooperating)}
    assert not codes & blanket


def test_prefilled_values_match_the_indicator_system(ws: Worksheet) -> None:
    sys_ = system()
    for offset, issued in enumerate(issued_rows(sys_, UNIT, sys_.years)):
        r = L.FIRST_DATA_ROW + offset
        for column in L.LOCKED:
            assert ws.cell(r, column.index).value == issued.values[column.key], (r, column.key)
        assert ws.cell(r, L.COLUMN["role"].index).value == issued.indicator.role_of(UNIT)
        assert ws.cell(r, L.COLUMN["methods"].index).value == "\n".join(issued.indicator.methods)
        assert ws.cell(r, L.COLUMN["secret"].index).value == L.SECRET_NO  # the default
        for key in ("progress", "description", "materials", "links", "person", "phone"):
            assert ws.cell(r, L.COLUMN[key].index).value is None


def test_a_unit_that_cooperates_gets_the_role(tmp_path: Path) -> None:
    sys_ = system()
    unit = "办公室"
    roles = {i.role_of(unit) for i in sys_.assigned(unit)}
    assert roles == {"牵头", "配合"}
    ws = openpyxl.load_workbook(build_ledger(tmp_path, unit=unit, years=[2021]))[L.LEDGER_SHEET]
    got = {ws.cell(r, 2).value: ws.cell(r, L.COLUMN["role"].index).value for r in range(L.FIRST_DATA_ROW, ws.max_row + 1)}
    assert got == {i.key: i.role_of(unit) for i in sys_.assigned(unit)}


def test_header_block_and_column_headers(ws: Worksheet) -> None:
    assert ws["A1"].value == f"{UNIT} 2021 年法治政府建设工作台账"
    assert "A1:N1" in {str(m) for m in ws.merged_cells.ranges}
    for f in L.HEADER_FIELDS:
        assert ws.cell(f.row, f.label_col).value == f.label
    assert ws["B2"].value == UNIT
    assert ws["F2"].value == system().title
    assert ws["I2"].value == 2021
    assert [ws.cell(L.HEADER_ROW, c.index).value for c in L.COLUMNS] == [c.header for c in L.COLUMNS]
    assert ws.print_title_rows.replace("$", "") == "4:4"


# =========================================================================== dropdowns, limits, prompts
@pytest.mark.parametrize("key", ["progress", "secret"])
def test_dropdowns_reference_defined_names(wb: Workbook, ws: Worksheet, key: str) -> None:
    column = L.COLUMN[key]
    dv = only_validation(ws, f"{letter(key)}{L.FIRST_DATA_ROW}")
    assert dv.type == "list"
    name = dv.formula1.removeprefix("=")
    assert name == column.list_name
    assert '"' not in dv.formula1 and "," not in dv.formula1  # no literal list (LibreOffice cuts those)
    defined = wb.defined_names[name]
    sheet, cells = next(iter(defined.destinations))
    assert sheet == L.LISTS_SHEET
    lists = wb[L.LISTS_SHEET]
    assert tuple(c.value for row in lists[cells] for c in row) == column.choices
    assert dv.showErrorMessage and _CJK.search(dv.error)


def test_description_length_limit(ws: Worksheet) -> None:
    dv = only_validation(ws, f"{letter('description')}{L.FIRST_DATA_ROW}")
    assert (dv.type, dv.operator, dv.formula1) == ("textLength", "lessThanOrEqual", "1000")
    assert dv.showErrorMessage and "1000" in dv.error


@pytest.mark.parametrize(("key", "limit"), [("person", "50"), ("phone", "30")])
def test_other_length_limits(ws: Worksheet, key: str, limit: str) -> None:
    dv = only_validation(ws, f"{letter(key)}{L.FIRST_DATA_ROW}")
    assert (dv.type, dv.formula1) == ("textLength", limit)


def test_validations_cover_every_data_row_and_inserted_rows(ws: Worksheet) -> None:
    for column in L.INPUTS:
        if column.kind is L.Kind.choice or column.max_length or column.prompt:
            for row in (L.FIRST_DATA_ROW, LAST, LAST + 100):  # rows inserted later are covered too
                assert validations_of(ws, f"{letter(column.key)}{row}"), (column.key, row)
    assert not validations_of(ws, f"{letter('code')}{L.FIRST_DATA_ROW}")  # locked columns have none


def test_chinese_input_prompts(ws: Worksheet) -> None:
    for column in L.INPUTS:
        if not column.prompt:
            continue
        dv = only_validation(ws, f"{letter(column.key)}{L.FIRST_DATA_ROW}")
        assert dv.showInputMessage
        assert dv.promptTitle == column.header
        assert dv.prompt == column.prompt and _CJK.search(dv.prompt)
        assert len(dv.prompt) <= 255  # Excel's limit for an input message
    for f in L.HEADER_FIELDS:
        if f.prompt:
            dv = only_validation(ws, ws.cell(f.row, f.value_col).coordinate)
            assert (dv.showInputMessage, dv.promptTitle, dv.prompt) == (True, f.label, f.prompt)


def test_conditional_formatting(ws: Worksheet) -> None:
    rules = {str(cf.sqref): [(r.type, r.formula[0]) for r in cf.rules] for cf in ws.conditional_formatting}
    progress = f"{letter('progress')}{L.FIRST_DATA_ROW}"
    description = f"{letter('description')}{L.FIRST_DATA_ROW}"
    by_start = {key.split(":")[0]: value for key, value in rules.items()}
    assert by_start[progress] == [("expression", f'AND($B{L.FIRST_DATA_ROW}<>"",LEN(TRIM($H{L.FIRST_DATA_ROW}))=0)')]
    assert ("expression", f"LEN($I{L.FIRST_DATA_ROW})>1000") in by_start[description]
    # 进度说明 is marked missing unless the row says nothing happened (无此情形) or nothing is claimed (不申报)
    assert ("expression", (f'AND($B{L.FIRST_DATA_ROW}<>"",LEN(TRIM($I{L.FIRST_DATA_ROW}))=0,'
                          f'$H{L.FIRST_DATA_ROW}<>"无此情形",$H{L.FIRST_DATA_ROW}<>"不申报")')) in by_start[description]
    for sqref in rules:
        _, min_row, _, max_row = range_boundaries(sqref)
        assert min_row == L.FIRST_DATA_ROW and max_row > LAST
    for cf in ws.conditional_formatting:
        for rule in cf.rules:
            assert rule.dxf is not None and rule.dxf.fill is not None  # a visible fill


# =========================================================================== protection and formats
def test_sheet_protection_allows_inserting_rows(wb: Workbook, ws: Worksheet) -> None:
    p = ws.protection
    assert p.sheet is True and p.password
    assert p.insertRows is False  # OOXML: False = allowed (附件3: 自行增加表格行)
    assert p.deleteRows is True and p.insertColumns is True and p.deleteColumns is True
    assert p.formatRows is False  # row heights may be adjusted
    assert wb.security is not None and wb.security.lockStructure


def test_input_cells_unlocked_and_text_formatted(ws: Worksheet) -> None:
    for r in range(L.FIRST_DATA_ROW, LAST + 1):
        for column in L.INPUTS:
            c = ws.cell(r, column.index)
            assert c.protection.locked is False, c.coordinate
            assert c.number_format == "@", c.coordinate
    for f in L.HEADER_FIELDS:
        c = ws.cell(f.row, f.value_col)
        assert c.protection.locked is (f.locked), c.coordinate
        if not f.locked:
            assert c.number_format == "@", c.coordinate


def test_prefilled_cells_locked(ws: Worksheet) -> None:
    for r in range(L.FIRST_DATA_ROW, LAST + 1):
        for column in L.LOCKED:
            assert ws.cell(r, column.index).protection.locked is True
    for column in L.COLUMNS:
        assert ws.cell(L.HEADER_ROW, column.index).protection.locked is True
    assert ws["A1"].protection.locked is True


def test_frozen_panes(ws: Worksheet) -> None:
    assert ws.freeze_panes == f"C{L.FIRST_DATA_ROW}"  # headers and year/code stay in view


def test_explicit_row_heights(ws: Worksheet) -> None:
    for r in range(L.FIRST_DATA_ROW, LAST + 1):
        height = ws.row_dimensions[r].height
        assert height is not None and height > 15, r  # LibreOffice would reset to 15 pt
        lines = max(str(ws.cell(r, c.index).value or "").count("\n") + 1 for c in L.LOCKED)
        assert height >= min(409, lines * 15), (r, height, lines)
        assert height <= 409
    for r in (L.TITLE_ROW, L.UNIT_ROW, L.INPUT_ROW, L.HEADER_ROW):
        assert ws.row_dimensions[r].height > 15


def test_a_long_carried_over_answer_gets_a_row_tall_enough(tmp_path: Path) -> None:
    """Next month's ledger carries the last answers: a 进度说明 of 600 characters must print whole."""
    from xlbridge.ledger.content import campaign_years
    from xlbridge.ledger.writer import write_ledger

    sys_ = system()
    first = issued_rows(sys_, UNIT, campaign_years(sys_, 2021))[0]
    long = "按计划推进并形成阶段性材料，" * 32  # 448 characters: 21 lines, under Excel's 409 pt
    path = write_ledger(sys_, UNIT, 2021, tmp_path / "next.xlsx", KEY, period="2021-06",
                        answers={first.identity: {"progress": "已完成", "description": long}})
    sheet = openpyxl.load_workbook(path)[L.LEDGER_SHEET]
    width = L.COLUMN["description"].width
    assert sheet.cell(L.FIRST_DATA_ROW, L.COLUMN["description"].index).value == long
    lines = 2 * len(long) / (width - 0.5)  # CJK counts double
    assert sheet.row_dimensions[L.FIRST_DATA_ROW].height >= lines * 15
    assert sheet.row_dimensions[L.FIRST_DATA_ROW].height > sheet.row_dimensions[L.FIRST_DATA_ROW + 1].height


def test_long_indicator_text_gets_a_taller_row(ws: Worksheet) -> None:
    heights = {}
    for r in range(L.FIRST_DATA_ROW, L.FIRST_DATA_ROW + 5):
        text = str(ws.cell(r, L.COLUMN["indicator"].index).value)
        heights[len(text)] = ws.row_dimensions[r].height
    shortest, longest = min(heights), max(heights)
    assert heights[longest] > heights[shortest]


# =========================================================================== other sheets
def test_sheets_and_their_visibility(wb: Workbook) -> None:
    assert wb.sheetnames == [L.LEDGER_SHEET, L.LISTS_SHEET, L.GUIDE_SHEET, L.META_SHEET]
    assert wb.active.title == L.LEDGER_SHEET
    assert wb[L.LEDGER_SHEET].sheet_state == "visible"
    assert wb[L.GUIDE_SHEET].sheet_state == "visible"
    assert wb[L.LISTS_SHEET].sheet_state == "hidden"
    assert wb[L.META_SHEET].sheet_state == "veryHidden"
    for name in (L.LISTS_SHEET, L.GUIDE_SHEET, L.META_SHEET):
        assert wb[name].protection.sheet is True


def test_guide_sheet(wb: Workbook) -> None:
    guide = wb[L.GUIDE_SHEET]
    text = "\n".join(str(c.value) for row in guide.iter_rows() for c in row if c.value)
    assert guide["A1"].value == "填报说明"
    for phrase in ("每月1日前", "已完成", "未完成", "500字", "1000字", WEB_SEARCH, "涉密", "插入新行", "请勿使用公式", "右侧各列不属于台账", "2016–2021"):
        assert phrase in text, phrase


def test_meta_sheet_is_signed(wb: Workbook) -> None:
    meta_ws = wb[L.META_SHEET]
    meta = {meta_ws.cell(r, 1).value: meta_ws.cell(r, 2).value for r in range(1, len(L.META_KEYS) + 1)}
    assert list(meta) == list(L.META_KEYS)
    sys_ = system()
    assert meta["unit"] == UNIT and meta["system_id"] == SYSTEM_ID and meta["system_version"] == sys_.version
    assert meta["years"] == "2016,2017,2018,2019,2020,2021"
    assert meta["template_version"] == L.TEMPLATE_VERSION
    assert meta["rows_digest"] == rows_digest(issued_rows(sys_, UNIT, sys_.years))
    assert verify({k: "" if v is None else str(v) for k, v in meta.items()}, KEY)  # an unset optional key reads as empty
    assert all(meta_ws.cell(r, 2).number_format == "@" for r in range(1, len(L.META_KEYS) + 1))


def test_written_atomically(tmp_path: Path) -> None:
    path = build_ledger(tmp_path, years=[2021])
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left behind


# =========================================================================== the package
@pytest.mark.parametrize(("system_id", "unit"), [(SYSTEM_ID, UNIT), ("jinfeng-2020", "司法局")],
                         ids=["normal-rows", "bonus-and-penalty-rows"])
def test_a_ledger_is_the_workbook_openpyxl_writes(tmp_path: Path, system_id: str, unit: str) -> None:
    """Ledgers are copies of a skeleton openpyxl writes once (ledger/package.py), filled per unit:
    a pre-filled ledger is, cell for cell and style for style, the one openpyxl writes itself
    (the 完成进度 dropdowns of 加分项 and 减分项 rows on their own cells included)."""
    from datetime import datetime

    from xlbridge.ledger.content import campaign_years, issued_ledger
    from xlbridge.ledger.writer import _workbook, ledger_meta, write_ledger

    sys_, UNIT = system(system_id), unit
    years = campaign_years(sys_, 2021)
    rows = issued_rows(sys_, UNIT, years)
    answers = {  # carried-over answers of every kind: escaping, spaces kept, lists, a tall row, 涉密
        rows[0].identity: {"progress": "已完成", "description": "按计划推进 & <完成> 了，" * 30,
                           "materials": "材料一\n材料二", "links": "http://a.gov.cn/1\nhttps://b.gov.cn/2",
                           "secret": False, "person": " 王伟", "phone": "13800138000"},
        # (a literal _xHHHH_ is left out: the skeleton escapes it as Excel reads it, openpyxl writes it raw)
        rows[3].identity: {"progress": "未完成", "description": "推进中", "secret": True, "person": "李娜 "},
        rows[7].identity: {"progress": "已完成", "description": "\t第一行\n第二行", "materials": "—"},
    }
    issued_at = datetime(2021, 6, 1, 9, 0)
    spliced = write_ledger(sys_, UNIT, 2021, tmp_path / "spliced.xlsx", KEY, issued_at=issued_at,
                           period="2021-06", answers=answers)
    meta = ledger_meta(sys_, UNIT, 2021, years, issued_ledger(sys_, UNIT, years).digest, KEY, issued_at, "2021-06")
    itself = tmp_path / "openpyxl.xlsx"
    _workbook(sys_, UNIT, 2021, years, rows, meta, "2021-06", len(rows), answers).save(itself)
    assert_same_layout(spliced, itself)


def test_openpyxl_builds_the_skeleton_once_per_shape(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The skeleton is what makes a month's 300 pre-filled ledgers cheap: a second unit's ledger of
    the same wording, campaign, years and row kinds is spliced, not built by openpyxl again.
    (Its cache key was once overwritten by a loop variable: every ledger paid for a new skeleton.)"""
    from xlbridge.ledger import writer

    built: list[str] = []
    workbook = writer._workbook
    monkeypatch.setattr(writer, "_workbook", lambda *a, **k: built.append(a[2]) or workbook(*a, **k))
    monkeypatch.setattr(writer, "_SKELETONS", {})
    sys_ = system("jinfeng-2020")
    units = [u.name for u in sys_.reporting_units][:4]
    for n, unit in enumerate(units):
        writer.write_ledger(sys_, unit, 2021, tmp_path / f"{n}.xlsx", KEY, issued_at=None, period="2021-06")
    shapes = {key[-1] for key in writer._SKELETONS}  # the row kinds, the one part of the shape that varies here
    assert len(built) == len(writer._SKELETONS) == len(shapes) < len(units)
    assert all(isinstance(key, tuple) and key[0] == sys_.title for key in writer._SKELETONS)

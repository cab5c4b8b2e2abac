"""`xlbridge schema import` on office-style Excel tables (tests/office_tables.py) and on bad tables.

Each shipped system is written out as the table its source document really is, imported through
the CLI, and compared with the shipped YAML: same codes and keys in order, same hierarchy, same
lead / cooperating units, persons, methods, kinds and key items. `schema check` must pass on the
result. Bad tables must give a Chinese message naming file, sheet and row, never a traceback.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from office_tables import (
    JINFENG_FOOTNOTE,
    JINFENG_HEADER,
    SHEETS,
    WRITERS,
    write_jinfeng,
    write_puyang,
)
from openpyxl import Workbook

from xlbridge.cli import main
from xlbridge.system.files import SCHEMA_DIR, load_system
from xlbridge.system.model import IndicatorSystem
from xlbridge.system.responsibility import is_group, looks_like_note, parse_responsibility
from xlbridge.system.table_import import import_table, split_numbered

SYSTEMS = [s for s in ("jinfeng-2020", "changzhou-2014", "suzhou-2011", "puyang-2020")
           if (SCHEMA_DIR / f"{s}.yaml").exists()]


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


def import_cli(table: Path, out: Path, *extra: str) -> Result:
    result = run("schema", "import", table, "-o", out, *extra)
    no_traceback(result)
    return result


@pytest.fixture(scope="module")
def importer(tmp_path_factory: pytest.TempPathFactory):
    """Writes a shipped system as its office table and imports it through the CLI, once per system."""
    done: dict[str, tuple[IndicatorSystem, IndicatorSystem, Result, Path]] = {}

    def get(sid: str) -> tuple[IndicatorSystem, IndicatorSystem, Result, Path]:
        if sid not in done:
            shipped = load_system(sid)
            folder = tmp_path_factory.mktemp(sid)
            table = WRITERS[sid](shipped, folder / f"{sid}.xlsx")
            out = folder / f"{sid}.yaml"
            result = import_cli(table, out, "--id", sid, "--issuer", shipped.issuer)
            assert result.exit_code == 0, result.output
            done[sid] = (shipped, load_system(out), result, out)
        return done[sid]

    return get


@pytest.fixture(params=SYSTEMS)
def imported(request: pytest.FixtureRequest, importer):
    return importer(request.param)


# --------------------------------------------------------------------------- round trip
def test_codes_and_keys_in_order(imported) -> None:
    shipped, got, _, _ = imported
    assert [i.code for i in got.indicators] == [i.code for i in shipped.indicators]
    assert [i.key for i in got.indicators] == [i.key for i in shipped.indicators]


def test_header_fields(imported) -> None:
    shipped, got, _, _ = imported
    assert got.id == shipped.id
    assert got.issuer == shipped.issuer
    assert got.title == shipped.title
    assert got.level_names == shipped.level_names
    assert got.points_label == shipped.points_label


def test_hierarchy_and_text(imported) -> None:
    shipped, got, _, _ = imported
    for want, ind in zip(shipped.indicators, got.indicators, strict=True):
        assert ind.level1 == want.level1, want.key
        assert ind.level2 == want.level2, want.key
        assert ind.level3 == want.level3, want.key
        assert ind.points == want.points, want.key


def test_responsibility(imported) -> None:
    shipped, got, _, _ = imported
    for want, ind in zip(shipped.indicators, got.indicators, strict=True):
        assert ind.lead == want.lead, want.key
        assert ind.cooperating == want.cooperating, want.key
        assert ind.all_units_cooperate is want.all_units_cooperate, want.key
        assert ind.units_text == want.units_text, want.key
        assert [(p.name, p.unit) for p in ind.persons] == [(p.name, p.unit) for p in want.persons], want.key


def test_kinds_methods_materials_notes(imported) -> None:
    shipped, got, _, _ = imported
    for want, ind in zip(shipped.indicators, got.indicators, strict=True):
        assert ind.kind is want.kind, want.key
        assert ind.key_item is want.key_item, want.key
        assert ind.methods == want.methods, want.key
        assert ind.materials == want.materials, want.key
        assert ind.note == want.note, want.key


def test_units(imported) -> None:
    shipped, got, _, _ = imported
    assert [u.name for u in got.units] == [u.name for u in shipped.units]  # order of first mention
    for unit in got.units:
        want = shipped.unit(unit.name)
        assert want is not None and want.name == unit.name
        assert unit.group is want.group, unit.name
        # spellings printed in the table; the shipped file may know more from the cover letter
        assert set(unit.aliases) <= set(want.aliases), unit.name


def test_schema_check_passes(imported) -> None:
    _, _, _, out = imported
    result = run("schema", "check", out)
    no_traceback(result)
    assert result.exit_code == 0, result.output
    assert "检查通过" in result.output
    assert "units-text-mismatch" not in result.output


def test_no_errors_reported(imported) -> None:
    _, _, result, _ = imported
    assert "[错误]" not in result.output
    assert "已导入" in result.output


# --------------------------------------------------------------------------- what is reported
def test_jinfeng_footnote_and_repeated_headers(tmp_path: Path) -> None:
    shipped = load_system("jinfeng-2020")
    table = write_jinfeng(shipped, tmp_path / "t.xlsx")
    result = import_table(table, system_id="t")
    footnotes = [f for f in result.findings if f.rule == "footnote"]
    assert len(footnotes) == 1
    assert footnotes[0].sheet == SHEETS["jinfeng-2020"]
    assert footnotes[0].row == 2 + 1 + len(shipped.indicators) + 3 + 1  # titles, headers, rows, footnote
    assert JINFENG_FOOTNOTE[:10] in footnotes[0].message
    assert not [f for f in result.findings if f.severity.value != "info"]


def test_changzhou_cells_split_and_page_break_joined(importer) -> None:
    shipped, got, result, _ = importer("changzhou-2014")
    # several （n） requirements in one 基本要求 cell become one indicator each
    assert "一格内有 5 条编号的基本要求" in result.output
    # 7.4.(4) is cut by a page break after 法定职; the rest sits in a row without a code
    assert "续行" in result.output and "编号 (4)" in result.output
    assert got.indicator("7.4.(4)").level3 == shipped.indicator("7.4.(4)").level3
    assert got.indicator("7.4.(4)").level3.startswith("行政机关对属于本机关法定职权范围内的信访事项")
    # letter-spaced and plain spellings are one unit
    assert got.unit("市 支 队").name == "市支队" and "市 支 队" in got.unit("市支队").aliases
    assert got.unit("办 公 室").name == "办公室"
    # the only empty 责任部门 cell is reported with its cell
    assert "单元格 D4：责任部门为空" in result.output


def test_suzhou_wrapped_and_et_al_units(importer) -> None:
    _, got, _, _ = importer("suzhou-2011")
    assert got.indicator("3.1").cooperating == ["市政府有关部门"]
    assert got.unit("市政府有关部门").group
    assert got.indicator("5.2").cooperating == ["审计局", "政府法制办"]
    assert got.indicator("1.1").level1 == "(一)加快政府职能转变"


def test_puyang_abbreviation_and_remark(importer) -> None:
    if "puyang-2020" not in SYSTEMS:
        pytest.skip("schema/puyang-2020.yaml not shipped yet")
    _, got, result, _ = importer("puyang-2020")
    assert "[警告] puyang-2020.xlsx 工作表「附件2」" in result.output
    assert "「基层科」视为「基层工作指导科」的简称" in result.output
    assert got.unit("基层科").name == "基层工作指导科"
    # the remark written across the 责任科室 cells of the 减分项 rows is a note, not a unit
    assert "责任科室栏是一句说明" in result.output
    assert got.indicator("减1").note.startswith("如有所列情形发生") and got.indicator("减1").lead == []
    assert got.indicator("1").level1 == "一、政府职能依法全面履行"  # printed 一、政府/职能依法/全面履行


def test_puyang_code_under_merged_level3_header(tmp_path: Path) -> None:
    """The source prints 三级指标 over two columns, the code and the text, with no 序号 header."""
    if "puyang-2020" not in SYSTEMS:
        pytest.skip("schema/puyang-2020.yaml not shipped yet")
    shipped = load_system("puyang-2020")
    table = write_puyang(shipped, tmp_path / "p.xlsx", code_under_level3=True)
    got = import_table(table, system_id="puyang-2020").system
    assert [i.key for i in got.indicators] == [i.key for i in shipped.indicators]
    assert [i.level3 for i in got.indicators] == [i.level3 for i in shipped.indicators]


def test_key_item_from_note(tmp_path: Path) -> None:
    shipped = load_system("jinfeng-2020")
    marked = shipped.model_copy(update={"indicators": [
        i.model_copy(update={"note": "★"}) if i.code in ("7", "45") else i for i in shipped.indicators]})
    got = import_table(write_jinfeng(marked, tmp_path / "k.xlsx"), system_id="k").system
    assert [i.code for i in got.indicators if i.key_item] == ["7", "45"]


# --------------------------------------------------------------------------- responsibility cells
@pytest.mark.parametrize("sid", SYSTEMS)
def test_shipped_units_text_parse_back(sid: str) -> None:
    """Every printed responsibility cell of a shipped system parses to its lead/cooperating units."""
    system = load_system(sid)
    for ind in system.indicators:
        if not ind.units_text:
            continue
        parsed = parse_responsibility(ind.units_text)
        names = {system.unit(n).name if system.unit(n) else n for n in (*parsed.lead, *parsed.cooperating)}
        assert names == {*ind.lead, *ind.cooperating}, ind.key
        assert parsed.all_units_cooperate is ind.all_units_cooperate, ind.key


@pytest.mark.parametrize("sid", SYSTEMS)
def test_is_group_matches_shipped(sid: str) -> None:
    for unit in load_system(sid).units:
        assert is_group(unit.name) is unit.group, unit.name


@pytest.mark.parametrize(
    ("text", "lead", "coop", "all_units"),
    [
        ("行政审批局,各部门(单位)配合", ["行政审批局"], [], True),
        ("财政局、各部门（单位）、各镇、街道办事处配合", ["财政局"], ["各镇、街道办事处"], True),
        ("法制仲裁科牵头，办公室配合", ["法制仲裁科"], ["办公室"], False),
        ("政策法规处\n\n市 支 队", ["政策法规处", "市 支 队"], [], False),
        ("审计局\n政府法制办等部门", ["审计局", "政府法制办"], [], False),
        ("信访局\n市政府\n有关部门", ["信访局", "市政府有关部门"], [], False),
        ("司法局、各部门(单位)配合。", ["司法局"], [], True),
    ],
)
def test_parse_responsibility(text: str, lead: list[str], coop: list[str], all_units: bool) -> None:
    parsed = parse_responsibility(text)
    assert (parsed.lead, parsed.cooperating, parsed.all_units_cooperate) == (lead, coop, all_units)


# --------------------------------------------------------------------------- bad tables
def _sheet(path: Path, rows: list[list[object]], title: str = "表1") -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def _small_jinfeng(path: Path, rows: list[list[object]]) -> Path:
    return _sheet(path, [["示范创建责任表"], list(JINFENG_HEADER), *rows], title="责任表")


def test_no_header(tmp_path: Path) -> None:
    table = _sheet(tmp_path / "乱表.xlsx", [["会议纪要"], ["时间", "地点", "参加人"], ["5月", "三楼", "张三"]], "纪要")
    result = import_cli(table, tmp_path / "x.yaml")
    assert result.exit_code == 1
    assert "乱表.xlsx" in result.output and "「纪要」" in result.output and "表头" in result.output
    assert not (tmp_path / "x.yaml").exists()


def test_row_without_code(tmp_path: Path) -> None:
    table = _small_jinfeng(tmp_path / "缺编号.xlsx", [
        [1, "政府职能依法全面履行", "行政审批制度改革全面推行。", "公布行政审批事项清单。", "清单。", "行政审批局"],
        [None, None, None, "非行政许可审批事项全部取消。", "情况说明。", "行政审批局"],
        [3, None, None, "清理行政审批中介服务。", "目录。", "司法局"],
    ])
    out = tmp_path / "t.yaml"
    result = import_cli(table, out)
    assert result.exit_code == 1
    assert "[错误] 缺编号.xlsx 工作表「责任表」 单元格 A4" in result.output
    assert "没有编号" in result.output
    got = load_system(out)  # the other rows are still imported, for hand completion
    assert [i.code for i in got.indicators] == ["1", "3"]
    assert got.indicator("3").level1 == "政府职能依法全面履行"


def test_duplicate_codes_reported(tmp_path: Path) -> None:
    table = _small_jinfeng(tmp_path / "重号.xlsx", [
        [1, "一", "甲。", "内容一。", "材料。", "司法局"],
        [2, None, None, "内容二。", "材料。", "司法局"],
        [2, None, None, "内容三。", "材料。", "司法局"],
    ])
    result = import_cli(table, tmp_path / "t.yaml")
    assert result.exit_code == 1
    assert "编号「2」" in result.output and "第 4、5 行" in result.output


def test_unit_cell_without_units_reported(tmp_path: Path) -> None:
    table = _small_jinfeng(tmp_path / "t.xlsx", [[1, "一", "甲。", "内容一。", "材料。", None]])
    result = import_cli(table, tmp_path / "t.yaml")
    assert result.exit_code == 0
    assert "[警告]" in result.output and "单元格 F3" in result.output and "责任单位为空" in result.output


def test_stray_cells_not_dropped_silently(tmp_path: Path) -> None:
    table = _small_jinfeng(tmp_path / "t.xlsx", [
        [1, "一", "甲。", "内容一。", "材料。", "司法局"],
        [None, None, None, None, None, "政府办"],
    ])
    result = import_cli(table, tmp_path / "t.yaml")
    assert "第 4 行" in result.output and "政府办" in result.output


def test_not_an_xlsx(tmp_path: Path) -> None:
    table = tmp_path / "表.xlsx"
    table.write_text("序号,一级指标\n1,x\n", encoding="utf-8")
    result = import_cli(table, tmp_path / "t.yaml")
    assert result.exit_code == 1
    assert "表.xlsx" in result.output and "xlsx" in result.output
    assert any("\u4e00" <= ch <= "\u9fff" for ch in result.output.replace("表.xlsx", ""))


def test_corrupt_zip(tmp_path: Path) -> None:
    good = write_jinfeng(load_system("jinfeng-2020"), tmp_path / "good.xlsx")
    bad = tmp_path / "半截.xlsx"
    bad.write_bytes(good.read_bytes()[:3000])
    result = import_cli(bad, tmp_path / "t.yaml")
    assert result.exit_code == 1
    assert "半截.xlsx" in result.output and "损坏" in result.output


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    bad = tmp_path / "压缩包.xlsx"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("readme.txt", "hello")
    result = import_cli(bad, tmp_path / "t.yaml")
    assert result.exit_code == 1
    assert "压缩包.xlsx" in result.output and "不是 Excel 工作簿" in result.output


def test_missing_sheet(tmp_path: Path) -> None:
    table = write_jinfeng(load_system("jinfeng-2020"), tmp_path / "t.xlsx")
    result = import_cli(table, tmp_path / "t.yaml", "--sheet", "附件3")
    assert result.exit_code == 1
    assert "没有名为「附件3」的工作表" in result.output and "责任表" in result.output


def test_named_sheet_picked(tmp_path: Path) -> None:
    table = tmp_path / "two.xlsx"
    write_jinfeng(load_system("jinfeng-2020"), table)
    from openpyxl import load_workbook

    wb = load_workbook(table)
    cover = wb.create_sheet("说明", 0)
    cover["A1"] = "填表说明"
    wb.save(table)
    result = import_cli(table, tmp_path / "t.yaml")
    assert result.exit_code == 0, result.output
    assert len(load_system(tmp_path / "t.yaml").indicators) == 99


def test_bad_system_id(tmp_path: Path) -> None:
    table = write_jinfeng(load_system("jinfeng-2020"), tmp_path / "t.xlsx")
    result = import_cli(table, tmp_path / "我的体系.yaml")
    assert result.exit_code == 1
    assert "--id" in result.output and "我的体系" in result.output


def test_header_only(tmp_path: Path) -> None:
    table = _small_jinfeng(tmp_path / "空表.xlsx", [])
    result = import_cli(table, tmp_path / "t.yaml")
    assert result.exit_code == 1
    assert "空表.xlsx" in result.output and "没有" in result.output and "指标" in result.output



def test_merged_code_over_unit_rows(tmp_path: Path) -> None:
    """One indicator, one row per responsible unit and person, code and text merged over them."""
    path = tmp_path / "分行.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "附件2"
    ws.append(["一级指标", "二级指标", "序号", "三级指标", "测评方法", "上报资料", "责任科室", "责任人"])
    ws.append(["一、职能", "1.审批", 9, "全面实施收费清单制度。", "网络检索", "情况说明。", "政治部", "李建伟"])
    ws.append([None, None, None, None, None, None, "行政财务装备科", "杨英丽"])
    ws.append([None, None, 10, "优化政府组织结构。", "材料查证", "情况说明。", "政治部", "李建伟"])
    for col in range(1, 7):
        ws.merge_cells(start_row=2, start_column=col, end_row=3, end_column=col)
    wb.save(path)
    result = import_table(path, system_id="t")
    nine = result.system.indicator("9")
    assert nine.lead == ["政治部", "行政财务装备科"]
    assert [(p.name, p.unit) for p in nine.persons] == [("李建伟", "政治部"), ("杨英丽", "行政财务装备科")]
    assert nine.units_text == "政治部、行政财务装备科"
    assert [i.code for i in result.system.indicators] == ["9", "10"]
    assert [(f.rule, f.row) for f in result.findings] == [("row-merged", 3)]


def test_units_only_row_joins_indicator_above(tmp_path: Path) -> None:
    table = _small_jinfeng(tmp_path / "t.xlsx", [
        [1, "一", "甲。", "内容一。", "材料。", "司法局"],
        [None, None, None, None, None, "政府办"],
        [None, None, None, None, None, None, "待定"],
    ])
    result = import_cli(table, tmp_path / "t.yaml")
    assert result.exit_code == 0
    assert "第 4 行" in result.output and "已并入：政府办" in result.output
    assert load_system(tmp_path / "t.yaml").indicator("1").lead == ["司法局", "政府办"]
    # a row with nothing but a remark is not guessed at: reported, not imported
    assert "第 5 行" in result.output and "备注「待定」 未导入" in result.output


def test_no_sheet_has_a_header(tmp_path: Path) -> None:
    path = tmp_path / "两表.xlsx"
    wb = Workbook()
    wb.active.title = "封面"
    wb.active["A1"] = "2020年责任表"
    wb.create_sheet("说明")["A1"] = "填表说明"
    wb.save(path)
    result = import_cli(path, tmp_path / "t.yaml")
    assert result.exit_code == 1
    assert "两表.xlsx" in result.output and "封面、说明" in result.output and "--sheet" in result.output


def test_no_row_has_a_code(tmp_path: Path) -> None:
    table = _small_jinfeng(tmp_path / "无号.xlsx", [
        [None, "一", "甲。", "内容一。", "材料。", "司法局"],
        [None, None, None, "内容二。", "材料。", "司法局"],
    ])
    result = import_cli(table, tmp_path / "t.yaml")
    assert result.exit_code == 1
    assert "无号.xlsx 工作表「责任表」" in result.output and "没有导入任何指标" in result.output
    assert "单元格 A3" in result.output
    assert not (tmp_path / "t.yaml").exists()


def test_header_spelling_variants(tmp_path: Path) -> None:
    """序 号 letter-spaced, 责任单位（部门） with a bracket, full-width codes and numbers as text."""
    table = _sheet(tmp_path / "t.xlsx", [
        ["序 号", "一级指标", "二级指标", "三级指标", "考评要点", "责任单位（部门）"],
        ["１", "一", "甲。", "内容一。", "材料。", "司法局"],
        [2.0, None, None, "内容二。", "材料。", "司法局"],
    ])
    got = import_table(table, system_id="t").system
    assert [i.code for i in got.indicators] == ["1", "2"]


def test_ambiguous_abbreviation_not_merged(tmp_path: Path) -> None:
    table = _small_jinfeng(tmp_path / "t.xlsx", [
        [1, "一", "甲。", "内容一。", "材料。", "基层科"],
        [2, None, None, "内容二。", "材料。", "基层工作指导科"],
        [3, None, None, "内容三。", "材料。", "基层法治建设科"],
    ])
    result = import_table(table, system_id="t")
    assert {u.name for u in result.system.units} == {"基层科", "基层工作指导科", "基层法治建设科"}
    assert not [f for f in result.findings if f.rule == "unit-abbreviation"]


def test_content_heading_wrapped_and_reprinted(tmp_path: Path) -> None:
    """000 shape: a long 考评内容 heading wraps onto a second line before its numbered points;
    on the next page the heading is printed again alone and still means the same heading."""
    table = _sheet(tmp_path / "t.xlsx", [
        ["考核评价标准责任分解表"],
        ["考评项目", "考评内容", "基本要求", "责任部门"],
        ["七、化解矛盾", "（四）推进信访工作制度化、\n规范化和法治化\n1.完善信访制度。\n2.及时办理。", "（1）落实机制；\n（2）畅通渠道；", "办 公 室"],
        [None, "（四）推进信访工作制度化、规范化和法治化", "（3）依法受理。", "办公室"],
        ["八、保障", "（一）领导\n1.建立机制。", "（1）强化领导。", "政策法规处"],
    ])
    got = import_table(table, system_id="t").system
    assert [i.key for i in got.indicators] == ["1.1.(1)", "1.1.(2)", "1.1.(3)", "2.1.(1)"]
    assert {i.level2 for i in got.indicators[:3]} == {"（四）推进信访工作制度化、规范化和法治化"}
    assert {i.points for i in got.indicators[:3]} == {"1.完善信访制度。\n2.及时办理。"}
    assert got.level_names == ["考评项目", "考评内容", "基本要求"] and got.points_label == "考评内容"
    assert [u.name for u in got.units] == ["办公室", "政策法规处"]
    assert got.unit("办公室").aliases == ["办 公 室"]


def test_new_level1_does_not_inherit_level2(tmp_path: Path) -> None:
    table = _small_jinfeng(tmp_path / "t.xlsx", [
        [1, "一", "甲。", "内容一。", "材料。", "司法局"],
        [2, "附加项", None, "获得表彰的。", "证明。", "司法局"],
    ])
    got = import_table(table, system_id="t").system
    assert got.indicator("2").level2 is None


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("如有所列情形发生，依法依规依纪追究相关单位责任。", True),
        ("综合执法局、市场监管分局、生态环境分局。", False),
        ("司法局、各部门(单位)配合。", False),
        ("法制仲裁科牵头，办公室配合", False),
        ("", False),
    ],
)
def test_looks_like_note(text: str, note: bool) -> None:
    assert looks_like_note(text) is note


@pytest.mark.parametrize("sid", SYSTEMS)
def test_shipped_unit_names_are_not_a_note(sid: str) -> None:
    names = [u.name for u in load_system(sid).units]
    assert not looks_like_note("、".join(names) + "。")


def test_code_without_text(tmp_path: Path) -> None:
    table = _small_jinfeng(tmp_path / "t.xlsx", [
        [1, "一", "甲。", "内容一。", "材料。", "司法局"],
        [2, None, None, None, None, "司法局"],
    ])
    result = import_cli(table, tmp_path / "t.yaml")
    assert result.exit_code == 1
    assert "单元格 D4：编号 2 没有指标内容（三级指标为空）" in result.output


def test_remark_merged_across_units_and_persons(tmp_path: Path) -> None:
    """004's 减分项 rows: one remark written across 责任科室 and 责任人 of both rows."""
    path = tmp_path / "减分.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.append(["一级指标", "二级指标", "序号", "三级指标", "测评方法", "上报资料", "责任科室", "责任人"])
    ws.append(["九、附加项", "1.加分项", 1, "获得表彰的。", "材料查证", "证书。", "规范性文件管理科", "张秀雨"])
    ws.append([None, "2.减分项", 1, "发生严重违法行政行为的。", "网络检索", None, "如有所列情形发生，依法依规依纪追究相关单位责任。"])
    ws.append([None, None, 2, "编造数据的。", "材料查证"])
    ws.merge_cells("A2:A4")
    ws.merge_cells("G3:H4")
    wb.save(path)
    got = import_table(path, system_id="t").system
    assert [i.key for i in got.indicators] == ["加1", "减1", "减2"]
    for key in ("减1", "减2"):
        ind = got.indicator(key)
        assert ind.note == "如有所列情形发生，依法依规依纪追究相关单位责任。"
        assert (ind.lead, ind.persons, ind.units_text) == ([], [], None)
    assert [u.name for u in got.units] == ["规范性文件管理科"]


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("（1）简化环节；\n（2）动态调整；", [("(1)", "简化环节；"), ("(2)", "动态调整；")]),
        ("（1）2016年以来的材料。", [("(1)", "2016年以来的材料。")]),
        ("1、强化职能。\n提高效能", [("1", "强化职能。\n提高效能")]),
        ("★1、整合律师资源。", [("★1", "整合律师资源。")]),
        ("1.5倍以上", []),
        ("2019年以来的情况说明", []),
        ("（1）甲；\n（3）乙", [("(1)", "甲；\n（3）乙")]),  # out of sequence: part of the item above
    ],
)
def test_split_numbered(text: str, items: list[tuple[str, str]]) -> None:
    assert split_numbered(text) == items


def test_output_folder_missing(tmp_path: Path) -> None:
    table = _small_jinfeng(tmp_path / "t.xlsx", [[1, "一", "甲。", "内容一。", "材料。", "司法局"]])
    result = run("schema", "import", table, "-o", tmp_path / "没有的目录" / "t.yaml")
    no_traceback(result)
    assert result.exit_code == 1 and "没有的目录" in result.output


def test_uncoded_task_with_other_units_is_not_a_continuation(tmp_path: Path) -> None:
    """003 tasks end without a full stop; a task that lost its 5、 is an error, not page overflow."""
    table = _sheet(tmp_path / "t.xlsx", [
        ["序号", "名称", "工作任务", "牵头部门", "责任部门"],
        ["(一)", "加快政府职能转变", "1、强化公共服务职能", "市政府办", "财政局"],
        [None, None, "加强政府信息公开", "监察局", "发改委"],
    ])
    ws_result = import_table(table, system_id="t")
    assert [(f.rule, f.row) for f in ws_result.findings] == [("code-missing", 3)]
    assert ws_result.system.indicator("1").level3 == "强化公共服务职能"

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
from openpyxl import Workbook

from office_tables import (
    JINFENG_FOOTNOTE,
    JINFENG_HEADER,
    PUYANG_SHEET,
    SHEETS,
    WRITERS,
    write_jinfeng,
    write_puyang,
)
from xlbridge.cli import main
from xlbridge.responsibility import is_group, parse_responsibility
from xlbridge.schema_io import SCHEMA_DIR, load_system
from xlbridge.table_import import import_table

SYSTEMS = [s for s in ("jinfeng-2020", "changzhou-2014", "suzhou-2011", "puyang-2020")
           if (SCHEMA_DIR / f"{s}.yaml").exists()]


def flat(text: str | None) -> str:
    return "".join((text or "").split())


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


def import_cli(table: Path, out: Path, *extra: str) -> Result:
    result = run("schema", "import", table, "-o", out, *extra)
    no_traceback(result)
    return result


@pytest.fixture(scope="module", params=SYSTEMS)
def imported(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    sid = request.param
    shipped = load_system(sid)
    folder = tmp_path_factory.mktemp(sid)
    table = WRITERS[sid](shipped, folder / f"{sid}.xlsx")
    out = folder / f"{sid}.yaml"
    result = import_cli(table, out, "--id", sid, "--issuer", shipped.issuer)
    assert result.exit_code == 0, result.output
    return shipped, load_system(out), result, out


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
    assert {u.name for u in got.units} == {u.name for u in shipped.units}
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


def test_changzhou_page_split_reported(imported, request) -> None:
    shipped, got, result, _ = imported
    if shipped.id != "changzhou-2014":
        pytest.skip("changzhou only")
    assert "续行" in result.output and "工作表「Sheet1」" in result.output
    ind = got.indicator("7.4.(4)")
    assert ind.level3.startswith("行政机关对属于本机关法定职权范围内的信访事项")
    assert got.unit("市 支 队").name == "市支队"
    assert got.unit("办 公 室").name == "办公室"


def test_puyang_abbreviation_reported(imported) -> None:
    shipped, got, result, _ = imported
    if shipped.id != "puyang-2020":
        pytest.skip("puyang only")
    assert "「基层科」" in result.output and "基层工作指导科" in result.output
    assert got.unit("基层科").name == "基层工作指导科"
    assert "如有所列情形发生" in result.output  # the remark in the 责任科室 column, kept as 备注


def test_puyang_code_under_merged_level3_header(tmp_path: Path) -> None:
    """The source prints 三级指标 over two columns, the code and the text, with no 序号 header."""
    shipped = load_system("puyang-2020") if "puyang-2020" in SYSTEMS else pytest.skip("no puyang")
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


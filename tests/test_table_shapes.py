"""`xlbridge schema import` on tables of every shape offices use (issue 13).

Each shape has its own fixture in tests/office_tables.py, written with openpyxl (real merged
cells, shared strings); each test imports it through the CLI, loads the YAML written and checks
it row by row: codes, keys, the three levels, units, scores and kinds. Every column is either
mapped or reported; --map overrides recognition; --preview writes nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from office_tables import (
    WRITERS,
    write_awkward_header,
    write_grid,
    write_group_rows,
    write_national,
    write_no_code_column,
    write_scoring_standard,
    write_task_division,
)

from xlbridge.cli import main
from xlbridge.system.files import load_system
from xlbridge.system.model import IndicatorSystem, Kind
from xlbridge.system.table_header import field_of, header_name


def run(*args: str | Path) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def imported(table: Path, *extra: str) -> tuple[IndicatorSystem, str]:
    out = table.with_suffix(".yaml")
    result = run("schema", "import", table, "-o", out, "--id", "t", *extra)
    assert result.exit_code == 0, result.output
    return load_system(out), result.output


def rows(system: IndicatorSystem, *fields: str) -> list[tuple]:
    return [tuple(getattr(i, f) for f in fields) for i in system.indicators]


def test_task_division_table(tmp_path: Path) -> None:
    got, output = imported(write_task_division(tmp_path / "分工.xlsx"))
    assert got.title == "金凤区2021年法治政府建设重点任务分工表"
    assert rows(got, "key", "code", "level1", "level3") == [
        ("1", "1", "一、依法全面履行政府职能", "深化行政审批制度改革"),
        ("2", "2", "一、依法全面履行政府职能", "落实权责清单制度"),
        ("3", "3", "一、依法全面履行政府职能", "优化法治化营商环境"),
        ("4", "4", "二、完善依法行政制度体系", "加强行政规范性文件监督管理"),
        ("5", "5", "二、完善依法行政制度体系", "提高制度建设公众参与度"),
    ]
    assert got.indicator("1").points.startswith("向社会公布本级政府全部行政审批事项清单")
    assert rows(got, "lead", "cooperating", "all_units_cooperate", "deadline") == [
        (["行政审批局"], [], True, "2021年12月底前"),
        (["编办", "司法局", "财政局"], [], False, "长期坚持"),  # three leads in one cell, lead only
        (["发展与改革局", "市场监管分局"], ["司法局"], False, "2021年9月底前"),
        (["司法局"], [], False, "2021年12月底前"),  # 司法局等部门
        (["司法局"], ["政府办", "网信办"], False, "长期坚持"),
    ]
    assert {i.kind for i in got.indicators} == {Kind.normal}
    assert "[错误]" not in output and "column-unmapped" not in output


def test_scoring_standard(tmp_path: Path) -> None:
    got, output = imported(write_scoring_standard(tmp_path / "评分.xlsx"))
    assert rows(got, "key", "code", "level1", "kind", "score", "cap") == [
        ("1", "1", "一、组织领导工作", Kind.normal, 6, None),
        ("2", "2", "一、组织领导工作", Kind.normal, 6, None),
        ("3", "3", "二、制度建设", Kind.normal, 5, None),  # printed 5分 in the 分值 column
        ("4", "4", "二、制度建设", Kind.normal, 2, None),
        ("加1", "1", "加分项", Kind.bonus, 2, 4),  # 每项加2分，最高加4分
        ("加2", "2", "加分项", Kind.bonus, 1, None),
        ("减1", "1", "扣分项", Kind.penalty, 2, 6),
    ]
    assert got.indicator("1").points == "成立法治政府建设领导小组，主要负责人履行推进法治建设第一责任人职责。"
    assert got.indicator("2").scoring == "未制定计划的不得分，未公开的扣2分。"
    assert [(lv.name, lv.score) for lv in got.level1_scores] == [("一、组织领导工作", 12), ("二、制度建设", 8)]
    assert got.bonus_cap == 10 and got.penalty_cap is None and got.total_score == 20
    # the empty 得分 column is the assessor's: reported, not imported; no unit column: said once
    assert "第 6 列（F）「得分」是考核时填写的评分栏（表中为空），未导入" in output
    assert output.count("units-column-missing") == 1


def test_schema_show_totals_and_where_they_do_not_add_up(tmp_path: Path) -> None:
    imported(write_scoring_standard(tmp_path / "评分.xlsx"))
    shown = run("schema", "show", tmp_path / "评分.yaml").output
    assert "分值：常规指标 4 项有分值，合计 19 分" in shown
    assert "不一致：总分标明 20 分，各项合计 19 分" in shown  # 满分20分 in the title
    assert "一、组织领导工作：标明 12 分，所含 2 项合计 12 分\n" in shown
    assert "二、制度建设：标明 8 分，所含 2 项合计 7 分，不一致（相差 -1 分）" in shown
    assert "加分项 2 项，合计不超过 10 分：加1 2 分（最多 4）、加2 1 分" in shown
    assert "减分项 1 项，未标明上限" in shown


def test_level1_as_group_rows_codes_restart(tmp_path: Path) -> None:
    got, output = imported(write_group_rows(tmp_path / "细则.xlsx"))
    assert rows(got, "key", "code", "level1", "kind", "score", "cap", "lead") == [
        ("1.1", "1", "一、组织管理", Kind.normal, 4, None, ["司法局"]),
        ("1.2", "2", "一、组织管理", Kind.normal, 6, None, ["政府办"]),  # …（6分） at the end of the text
        ("2.1", "1", "二、制度建设", Kind.normal, 5, None, ["司法局"]),
        ("2.2", "2", "二、制度建设", Kind.normal, 3, None, ["政府办"]),
        ("3.1", "1", "三、依法决策", Kind.normal, None, None, ["司法局"]),
        ("加1", "1", "予以加分情形", Kind.bonus, 3, None, ["司法局"]),
        ("减1", "1", "扣分项", Kind.penalty, 2, 6, ["司法局"]),
    ]
    assert got.indicator("1.1").scoring == "未制定的扣4分。"  # 考 核 标 准, letter-spaced
    assert [(lv.name, lv.score, lv.weight) for lv in got.level1_scores] == [
        ("一、组织管理", 10, None), ("二、制度建设", 8, None), ("三、依法决策", None, 20)]
    assert got.bonus_cap == 10
    assert "第 3 行：一级指标「一、组织管理」单独成行（10 分）" in output
    shown = run("schema", "show", tmp_path / "细则.yaml").output
    assert "没有分值的常规指标 1 项：3.1" in shown
    assert "未标明权重的一级指标 2 个：一、组织管理、二、制度建设" in shown


def test_codes_running_on_across_group_rows_stay_the_keys(tmp_path: Path) -> None:
    table = write_grid(tmp_path / "t.xlsx", [
        ["序号", "考核内容", "分值", "责任单位"],
        ["一", "组织管理", 4, None],
        [1, "制定年度计划。", 4, "司法局"],
        ["二", "制度建设", 3, None],
        [2, "规范性文件全部审核。", 3, "司法局"],
    ])
    got, _ = imported(table)
    assert rows(got, "key", "level1", "score") == [("1", "一、组织管理", 4), ("2", "二、制度建设", 3)]


def test_national_layout_code_column_without_header(tmp_path: Path) -> None:
    got, output = imported(write_national(tmp_path / "国家.xlsx"))
    assert rows(got, "key", "level1", "level2", "level3") == [
        ("1", "一、政府职能依法全面履行", "1.行政审批制度改革全面推行",
         "向社会公布本级政府全部行政审批事项清单，实行目录化、编码化、动态化管理。"),
        ("2", "一、政府职能依法全面履行", "1.行政审批制度改革全面推行", "非行政许可审批事项全部取消。"),
        ("3", "一、政府职能依法全面履行", "2.落实权责清单、负面清单制度并实行动态管理", "编制并对外公布全部政府工作部门的权责清单。"),
        ("4", "二、依法行政制度体系完善", "3.提高制度建设公众参与度",
         "涉及人民群众切身利益的行政规范性文件，公开征求意见期限一般不少于7个工作日。"),
        ("5", "二、依法行政制度体系完善", "3.提高制度建设公众参与度", "行政规范性文件的合法性审核率达100%。"),
    ]
    assert all(i.lead == [] for i in got.indicators)
    assert "units-column-missing" in output
    # the sentence merged across below the table has no 注: still a footnote, reported
    assert "第 8 行：脚注行已跳过：本指标体系适用于市县两级政府" in output


def test_no_code_column_codes_from_the_text(tmp_path: Path) -> None:
    got, output = imported(write_no_code_column(tmp_path / "清单.xlsx"))
    assert rows(got, "key", "level1", "points", "lead") == [
        ("1", "政府职能依法全面履行", "全面推行“证照分离”“多证合一”。", ["行政审批局"]),
        ("2", "政府职能依法全面履行", "全面实施行政事业性收费清单制度。", ["编办"]),
        ("3", "政府职能依法全面履行", "优化政府组织结构。", ["编办"]),
        ("(一)", "依法行政制度体系完善", "提高制度建设公众参与度。", ["司法局"]),
        ("(二)", "依法行政制度体系完善", "加强行政规范性文件制定和监督管理。", ["司法局"]),
        ("(1)", "重大行政决策科学民主合法", "重大行政决策履行法定程序。", ["政府办"]),
        ("(2)", "重大行政决策科学民主合法", "决策后评估制度建立健全。", ["政府办"]),
    ]
    assert got.indicator("(二)").all_units_cooperate
    assert "一格内有 2 条编号的考核内容（2…3）" in output


def test_header_over_two_rows_merged_over_two_columns(tmp_path: Path) -> None:
    got, output = imported(write_awkward_header(tmp_path / "分解.xlsx"))
    assert rows(got, "key", "level1", "points", "lead", "cooperating", "deadline") == [
        ("1", "规范性文件管理", "行政规范性文件的合法性审核率达100%。", ["司法局"], ["政府办"], "2021年底"),
        ("2", "法律顾问", "建立政府法律顾问制度。", ["司法局"], [], "2021年6月"),
    ]
    assert got.title == "重点工作任务分解表"
    # a column the importer cannot place is named with its position and how to map it
    assert "单元格 G3：第 7 列（G）「工作要点」不对应任何字段，其内容（1 格）未导入；如需导入请用 --map '工作要点=字段'" in output
    assert "第 6 行：脚注行已跳过：以上任务须于每季度末报送进展情况" in output


def test_map_overrides_recognition(tmp_path: Path) -> None:
    table = write_awkward_header(tmp_path / "分解.xlsx")
    got, output = imported(table, "--map", "工作要点=note")
    assert got.indicator("1").note == "每季度通报。"
    assert "column-unmapped" not in output
    got, _ = imported(write_task_division(tmp_path / "分工.xlsx"), "--map", "工作措施=level3", "--map", "具体任务=level2")
    assert got.indicator("1").level2 == "深化行政审批制度改革"
    assert got.indicator("1").level3.startswith("向社会公布本级政府全部行政审批事项清单")
    got, _ = imported(write_task_division(tmp_path / "分工2.xlsx"), "--map", "G=ignore")
    assert got.indicator("1").deadline is None


def test_map_errors_name_what_is_there(tmp_path: Path) -> None:
    table = write_task_division(tmp_path / "分工.xlsx")
    result = run("schema", "import", table, "-o", tmp_path / "t.yaml", "--map", "措施内容=points")
    assert result.exit_code == 1
    assert "表头中没有「措施内容」列" in result.output and "「工作措施」" in result.output
    result = run("schema", "import", table, "-o", tmp_path / "t.yaml", "--map", "工作措施=text")
    assert result.exit_code == 1 and "不认识的字段「text」" in result.output and "points" in result.output
    assert not (tmp_path / "t.yaml").exists()


def test_preview_prints_columns_and_rows_writes_nothing(tmp_path: Path) -> None:
    table = write_scoring_standard(tmp_path / "评分.xlsx")
    result = run("schema", "import", table, "--preview", "3")
    assert result.exit_code == 0, result.output
    assert "B「考核项目」→ level1（一级指标）" in result.output
    assert "F「得分」→ （未导入）" in result.output
    assert "前 3 项指标（共 7 项）" in result.output
    assert "[3] 编号 3｜常规｜一级：二、制度建设" in result.output and "[4]" not in result.output
    assert "（预览，未写入任何文件）" in result.output
    assert list(tmp_path.iterdir()) == [table]


def test_no_header_says_what_was_seen_and_what_is_missing(tmp_path: Path) -> None:
    table = write_grid(tmp_path / "乱.xlsx", [["工作安排"], ["时间", "地点", "工作任务"], ["5月", "三楼", "培训"]])
    result = run("schema", "import", table, "-o", tmp_path / "t.yaml")
    assert result.exit_code == 1
    assert "找不到表头行" in result.output
    assert "最像表头的是第 2 行：A「时间」→？、B「地点」→？、C「工作任务」→三级指标" in result.output
    assert "缺少：编号、考评要点（指标内容）、责任单位" in result.output
    assert "--map" in result.output


@pytest.mark.parametrize(("printed", "field"), [
    ("序 号", "code"), ("编号", "code"), ("一级指标", "level1"), ("考核项目", "level1"), ("主要任务", "level1"),
    ("重点任务", "level1"), ("二级指标", "level2"), ("三级指标", "level3"), ("工作任务", "level3"), ("具体任务", "level3"),
    ("考评要点", "points"), ("考核内容", "points"), ("检查内容", "points"), ("考 核 标 准", "points"),
    ("基本要求", "points"), ("具体内容", "points"), ("工作措施", "points"), ("分值", "score"), ("分数", "score"),
    ("标准分", "score"), ("评分标准", "scoring"), ("扣分标准", "scoring"), ("评分细则", "scoring"),
    ("得分", "assessor"), ("自评分", "assessor"), ("考核分", "assessor"), ("牵头单位", "lead"), ("牵头部门", "lead"),
    ("配合单位", "cooperating"), ("参与单位", "cooperating"), ("责任单位（部门）", "units"), ("责任科室", "units"),
    ("责任人", "persons"), ("完成时限", "deadline"), ("完成时间", "deadline"), ("测评方法", "methods"),
    ("上报资料", "materials"), ("佐证材料", "materials"), ("备注", "note"),
    ("2021年度法治政府建设考核评分标准", None), ("附件2", None), ("时间", None), ("地点", None),
])
def test_header_names_by_meaning(printed: str, field: str | None) -> None:
    assert field_of(header_name(printed)) == field


def test_check_level1_score_of_no_indicator(tmp_path: Path) -> None:
    imported(write_scoring_standard(tmp_path / "评分.xlsx"))
    text = (tmp_path / "评分.yaml").read_text(encoding="utf-8").replace("- name: 二、制度建设\n", "- name: 二、制度建没\n")
    (tmp_path / "评分.yaml").write_text(text, encoding="utf-8")
    result = run("schema", "check", tmp_path / "评分.yaml")
    assert result.exit_code == 1
    assert "level1_scores 中的一级指标「二、制度建没」没有任何指标（规则 level1-unknown）" in result.output


def test_level2_rows_and_dotted_codes(tmp_path: Path) -> None:
    """一 / （一） / 1.1: level 1 and level 2 as rows of their own, codes printed 1.1, 1、 in the code column."""
    table = write_grid(tmp_path / "t.xlsx", [
        ["序号", "考核内容", "分值", "责任单位"],
        ["一", "组织领导", 6, None],
        ["（一）", "领导体制", None, None],
        ["1.1", "成立领导小组。", 3, "司法局"],
        ["1.2", "主要负责人听取汇报。", 3, "政府办"],
        ["（二）", "工作计划", None, None],
        ["1、", "制定年度计划。", None, "司法局"],
    ])
    got, output = imported(table)
    assert rows(got, "key", "code", "level1", "level2", "score") == [
        ("1.1", "1.1", "一、组织领导", "(一)领导体制", 3),
        ("1.2", "1.2", "一、组织领导", "(一)领导体制", 3),
        ("1", "1", "一、组织领导", "(二)工作计划", None),
    ]
    assert "第 3 行：二级指标「(一)领导体制」单独成行" in output


SHAPES = {"task-division": write_task_division, "scoring-standard": write_scoring_standard, "group-rows": write_group_rows,
          "national": write_national, "no-code-column": write_no_code_column, "awkward-header": write_awkward_header}
_COLUMN = re.compile(r"^  ([A-Z]+)「(.*?)」→ (.*)$", re.MULTILINE)


@pytest.mark.parametrize("shape", [*SHAPES, *WRITERS])
def test_every_column_is_mapped_or_a_finding(tmp_path: Path, shape: str) -> None:
    """Each fixture, the shipped systems' own tables too: --preview lists every column of the header
    with its field; each it does not import is named, with its letter, in a finding of the import."""
    table = tmp_path / f"{shape}.xlsx"
    table = SHAPES[shape](table) if shape in SHAPES else WRITERS[shape](load_system(shape), table)
    columns = _COLUMN.findall(run("schema", "import", table, "--preview", "1").output)
    assert columns and all(f for _, _, f in columns)
    output = run("schema", "import", table, "-o", tmp_path / "t.yaml", "--id", "t").output
    for letter, name, field in columns:
        if "未导入" in field:
            assert re.search(rf"第 \d+ 列（{letter}）「{re.escape(name or '（无表头）')}」.*未导入", output), (letter, name, output)
    if shape in ("scoring-standard", "awkward-header"):  # the two with a column no field takes
        assert any("未导入" in f for _, _, f in columns)


# Every row of each shape, every field the issue names: key, code, the three levels (level 3 and the
# points as their first ten characters), lead, cooperating, score, kind.
EVERY_ROW = {
    "task-division": [
        ("1", "1", "一、依法全面履行政府职能", None, "深化行政审批制度改革", "向社会公布本级政府全", ["行政审批局"], [], None, "normal"),
        ("2", "2", "一、依法全面履行政府职能", None, "落实权责清单制度", "编制并对外公布全部政", ["编办", "司法局", "财政局"], [], None, "normal"),
        ("3", "3", "一、依法全面履行政府职能", None, "优化法治化营商环境", "全面清理废除妨碍统一", ["发展与改革局", "市场监管分局"], ["司法局"], None, "normal"),
        ("4", "4", "二、完善依法行政制度体系", None, "加强行政规范性文件监", "行政规范性文件的合法", ["司法局"], [], None, "normal"),
        ("5", "5", "二、完善依法行政制度体系", None, "提高制度建设公众参与", "涉及人民群众切身利益", ["司法局"], ["政府办", "网信办"], None, "normal"),
    ],
    "scoring-standard": [
        ("1", "1", "一、组织领导工作", None, None, "成立法治政府建设领导", [], [], 6, "normal"),
        ("2", "2", "一、组织领导工作", None, None, "年度法治政府建设工作", [], [], 6, "normal"),
        ("3", "3", "二、制度建设", None, None, "行政规范性文件的合法", [], [], 5, "normal"),
        ("4", "4", "二、制度建设", None, None, "建立行政规范性文件清", [], [], 2, "normal"),
        ("加1", "1", "加分项", None, None, "法治政府建设有关工作", [], [], 2, "bonus"),
        ("加2", "2", "加分项", None, None, "法治政府建设工作经验", [], [], 1, "bonus"),
        ("减1", "1", "扣分项", None, None, "发生严重违法行政行为", [], [], 2, "penalty"),
    ],
    "group-rows": [
        ("1.1", "1", "一、组织管理", None, None, "制定年度法治政府建设", ["司法局"], [], 4, "normal"),
        ("1.2", "2", "一、组织管理", None, None, "按时报送法治政府建设", ["政府办"], [], 6, "normal"),
        ("2.1", "1", "二、制度建设", None, None, "行政规范性文件全部经", ["司法局"], [], 5, "normal"),
        ("2.2", "2", "二、制度建设", None, None, "规范性文件按规定报备", ["政府办"], [], 3, "normal"),
        ("3.1", "1", "三、依法决策", None, None, "重大行政决策履行法定", ["司法局"], [], None, "normal"),
        ("加1", "1", "予以加分情形", None, None, "获得省部级以上表彰的", ["司法局"], [], 3, "bonus"),
        ("减1", "1", "扣分项", None, None, "行政诉讼败诉的。", ["司法局"], [], 2, "penalty"),
    ],
    "national": [
        ("1", "1", "一、政府职能依法全面履行", "1.行政审批制度改革全面推行", "向社会公布本级政府全", None, [], [], None, "normal"),
        ("2", "2", "一、政府职能依法全面履行", "1.行政审批制度改革全面推行", "非行政许可审批事项全", None, [], [], None, "normal"),
        ("3", "3", "一、政府职能依法全面履行", "2.落实权责清单、负面清单制度并实行动态管理", "编制并对外公布全部政", None, [], [], None, "normal"),
        ("4", "4", "二、依法行政制度体系完善", "3.提高制度建设公众参与度", "涉及人民群众切身利益", None, [], [], None, "normal"),
        ("5", "5", "二、依法行政制度体系完善", "3.提高制度建设公众参与度", "行政规范性文件的合法", None, [], [], None, "normal"),
    ],
    "no-code-column": [
        ("1", "1", "政府职能依法全面履行", None, None, "全面推行“证照分离”", ["行政审批局"], [], None, "normal"),
        ("2", "2", "政府职能依法全面履行", None, None, "全面实施行政事业性收", ["编办"], [], None, "normal"),
        ("3", "3", "政府职能依法全面履行", None, None, "优化政府组织结构。", ["编办"], [], None, "normal"),
        ("(一)", "(一)", "依法行政制度体系完善", None, None, "提高制度建设公众参与", ["司法局"], [], None, "normal"),
        ("(二)", "(二)", "依法行政制度体系完善", None, None, "加强行政规范性文件制", ["司法局"], [], None, "normal"),
        ("(1)", "(1)", "重大行政决策科学民主合法", None, None, "重大行政决策履行法定", ["政府办"], [], None, "normal"),
        ("(2)", "(2)", "重大行政决策科学民主合法", None, None, "决策后评估制度建立健", ["政府办"], [], None, "normal"),
    ],
    "awkward-header": [
        ("1", "1", "规范性文件管理", None, None, "行政规范性文件的合法", ["司法局"], ["政府办"], None, "normal"),
        ("2", "2", "法律顾问", None, None, "建立政府法律顾问制度", ["司法局"], [], None, "normal"),
    ],
}


@pytest.mark.parametrize("shape", list(EVERY_ROW))
def test_every_row_of_every_shape_field_by_field(tmp_path: Path, shape: str) -> None:
    got, _ = imported(SHAPES[shape](tmp_path / f"{shape}.xlsx"))
    assert [(i.key, i.code, i.level1, i.level2, i.level3 and i.level3[:10], i.points and i.points[:10], i.lead,
             i.cooperating, i.score, i.kind.value) for i in got.indicators] == [tuple(r) for r in EVERY_ROW[shape]]


def test_check_names_every_indicator_without_a_level1(tmp_path: Path) -> None:
    """A table with no level-1 column imports with a warning per row, and `schema check` on the YAML
    says so too (it once said 0 problems while every 一级指标 was empty)."""
    table = write_grid(tmp_path / "t.xlsx", [["序号", "考核内容", "责任单位"], [1, "成立领导小组。", "司法局"],
                                            [2, "制定计划。", "政府办"]])
    _, output = imported(table)
    assert output.count("level1-missing") == 2
    result = run("schema", "check", tmp_path / "t.yaml")
    assert result.exit_code == 0 and "检查通过（2 条提示）" in result.output
    for key in ("1", "2"):
        assert f"（指标 {key}）：一级指标为空：汇总表的一级指标页和得分小计无法归类此指标（规则 level1-missing）" in result.output

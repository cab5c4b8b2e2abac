"""Seed 001: Jinfeng district (Yinchuan), 2020 demonstration-creation responsibility table (jinfeng-2020.yaml).

Checks the transcription against the source text of the seed.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from xlbridge.system.model import IndicatorSystem, Kind

HERE = Path(__file__).resolve()
SCHEMA = HERE.parents[1] / "schema" / "jinfeng-2020.yaml"
SEED = HERE.parents[2] / "shared" / "seeds" / "001_6365858b14120b95.txt"

LEVEL1 = [
    "政府职能依法全面履行",
    "依法行政制度体系完善",
    "重大行政决策科学民主合法",
    "行政执法严格规范公正文明",
    "行政权力制约监督科学有效",
    "社会矛盾纠纷依法有效化解",
    "政府工作人员法治思维和依法行政能力全面提高",
    "法治政府建设组织领导落实到位",
    "附加项",
]
# first row (code) of each level-1 indicator, as printed
LEVEL1_START = {1: 0, 23: 1, 31: 2, 45: 3, 67: 4, 79: 5, 88: 6, 92: 7, 96: 8}
# rows whose 考评要点 cell is merged with the row above (the cell is absent from the row)
MERGED_POINTS = {25: 24, 26: 24, 27: 24, 32: 31, 33: 31, 34: 31, 35: 31, 37: 36, 41: 40,
                 65: 64, 78: 77, 89: 88, 97: 96, 98: 96, 99: 96}
GROUPS = {"各行政执法部门(单位)", "政府各部门(单位)", "各镇、街道办事处"}

# code: (level1, level2, level3 substring, materials count, lead, cooperating, all_units_cooperate, kind)
SAMPLE = {
    "1": ("政府职能依法全面履行", "行政审批制度改革全面推行。", "向社会公布本级政府全部行政审批事项清单",
          1, ["行政审批局"], [], True, Kind.normal),
    "9": ("政府职能依法全面履行", "落实权责清单、负面清单制度并实行动态管理。", "全面实施行政事业性收费和政府性基金清单制度",
          1, ["发展与改革局"], [], False, Kind.normal),
    "20": ("政府职能依法全面履行", "创新社会治理,优化公共服务。", "建立健全政府购买公共服务制度",
           2, ["财政局"], ["各镇、街道办事处"], True, Kind.normal),
    "26": ("依法行政制度体系完善", "加强行政规范性文件制定和监督管理。", "行政规范性文件的合法性审核率达100%",
           3, ["司法局"], ["各镇、街道办事处"], True, Kind.normal),
    "36": ("重大行政决策科学民主合法", "专家论证、风险评估。", "专家参与论证重大行政决策的程序规则明确",
           1, ["政府各部门(单位)", "各镇、街道办事处"], [], False, Kind.normal),
    "44": ("重大行政决策科学民主合法", "强化决策规范化建设。", "制定重大行政决策终身责任追究制度",
           2, ["政府办"], [], False, Kind.normal),
    "45": ("行政执法严格规范公正文明", "行政执法体制权责统一、权威高效。", "城市管理综合执法队伍整合组建完成",
           1, ["综合执法局", "市场监管分局", "生态环境分局", "农业农村和水务局", "住房城乡建设和交通局",
               "文化旅游体育广电局", "各行政执法部门(单位)"], [], False, Kind.normal),
    "66": ("行政执法严格规范公正文明", "健全行政执法人员管理制度,加强行政执法保障。", "行政执法经费统一纳入财政预算予以保障",
           1, ["各行政执法部门(单位)"], [], False, Kind.normal),
    "70": ("行政权力制约监督科学有效", "自觉接受党内监督、人大监督、监察监督、民主监督、司法监督。", "自觉接受、配合监察机关开展的监督工作",
           3, ["监委", "审计局", "金凤区人民检察院"], [], False, Kind.normal),
    "77": ("行政权力制约监督科学有效", "全面推进政务公开。", "政府新闻发言人、突发事件信息发布等制度完善",
           1, ["政府办", "宣传部"], [], False, Kind.normal),
    "86": ("社会矛盾纠纷依法有效化解", "加强法治宣传教育。", "严格落实“谁执法谁普法”普法责任制",
           2, ["政府各部门(单位)", "司法局"], [], False, Kind.normal),
    "91": ("政府工作人员法治思维和依法行政能力全面提高", "强化对政府工作人员的法治教育培训和考查。", "在政府工作人员中普遍开展宪法法律教育",
           4, ["人力资源和社会保障局", "组织部"], [], False, Kind.normal),
    "94": ("法治政府建设组织领导落实到位", "强化考核评价和督促落实。", "党政主要负责人切实履行推进法治建设第一责任人职责",
           2, ["司法局"], ["各镇、街道办事处"], True, Kind.normal),
    "97": ("附加项", "加分项。", "有关做法经验在全国范围内推广的",
           1, ["司法局"], [], False, Kind.bonus),
    "98": ("附加项", "减分项。", "发生严重违法行政行为",
           1, ["司法局"], [], False, Kind.penalty),
}


def flat(text: str) -> str:
    return "".join(text.split())


@pytest.fixture(scope="module")
def system() -> IndicatorSystem:
    return IndicatorSystem.model_validate(yaml.safe_load(SCHEMA.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def source() -> str:
    if not SEED.exists():
        pytest.skip(f"seed text not available: {SEED}")
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def source_rows(source: str) -> dict[int, list[str]]:
    """Numbered table rows of the source: code -> non-padding cells after the code."""
    rows: dict[int, list[str]] = {}
    for line in source.splitlines():
        m = re.match(r"^(\d+) \| ", line)
        if not m:
            continue
        cells = [" ".join(c.split()) for c in line.split("|")[:-1]]
        while cells and not cells[-1]:
            cells.pop()
        rows[int(m.group(1))] = cells[1:]
    return rows


def cells_level2(cells: list[str]) -> str:
    # cells: [level1?, level2, level3, points?, units]; level2 is printed right before level3
    return cells[-4] if len(cells) >= 4 else cells[0]


def test_header(system: IndicatorSystem, source: str) -> None:
    assert system.id == "jinfeng-2020"
    assert system.version == "1"
    assert system.year == 2020
    assert system.period is None
    assert system.source == SEED.name
    assert system.points_label == "考评要点"
    assert system.level_names == ["一级指标", "二级指标", "三级指标"]
    for text in (system.title, system.issuer, system.document):
        assert text and text in source
    assert system.title == "2020年金凤区人民政府法治政府建设示范创建责任表"
    assert system.issuer == "中共银川市金凤区委依法治区委员会办公室"
    assert system.document == "银金法办发〔2020〕27号"


def test_counts(system: IndicatorSystem, source_rows: dict[int, list[str]]) -> None:
    assert len(source_rows) == 99
    assert sorted(source_rows) == list(range(1, 100))
    assert len(system.indicators) == 99
    assert Counter(i.kind for i in system.indicators) == {Kind.normal: 95, Kind.bonus: 2, Kind.penalty: 2}
    assert [i.code for i in system.indicators] == [str(n) for n in range(1, 100)]
    assert [i.key for i in system.indicators] == [i.code for i in system.indicators]
    assert list(dict.fromkeys(i.level1 for i in system.indicators)) == LEVEL1
    # level-2 cells printed: 9 rows with all four text cells, 24 with three, rows 33 and 98 with two
    assert len({i.level2 for i in system.indicators}) == 35
    new_level2 = [n for n, cells in source_rows.items() if len(cells) >= 4 or n in (33, 98)]
    assert len(new_level2) == 35
    for n in new_level2:
        assert system.indicator(str(n)).level2 == cells_level2(source_rows[n]), n


def test_level1_starts(system: IndicatorSystem, source_rows: dict[int, list[str]]) -> None:
    for ind in system.indicators:
        n = int(ind.code)
        start = max(s for s in LEVEL1_START if s <= n)
        assert ind.level1 == LEVEL1[LEVEL1_START[start]], ind.code
        if n in LEVEL1_START:
            assert source_rows[n][0] == ind.level1


def test_no_key_items(system: IndicatorSystem, source: str) -> None:
    # ★ is explained in the footnote but no 备注 cell of this dump carries one.
    assert source.count("★") == 1
    assert not any(i.key_item or i.note for i in system.indicators)
    assert not any(i.methods or i.persons for i in system.indicators)


def test_sample(system: IndicatorSystem) -> None:
    for code, (l1, l2, l3, n_mat, lead, coop, allc, kind) in SAMPLE.items():
        ind = system.indicator(code)
        assert ind is not None, code
        assert ind.level1 == l1, code
        assert ind.level2 == l2, code
        assert ind.level3 and l3 in ind.level3, code
        assert ind.methods == [], code
        assert len(ind.materials) == n_mat, code
        assert ind.lead == lead, code
        assert ind.cooperating == coop, code
        assert ind.all_units_cooperate is allc, code
        assert ind.persons == [], code
        assert ind.kind == kind, code


def test_materials_split(system: IndicatorSystem) -> None:
    ind = system.indicator("91")
    assert ind is not None
    assert ind.materials[1] == "银金普法办【2018】2号+关于落实金凤区国家工作人员学法用法制度的实施意见"
    assert ind.materials[3] == "能反映工作的图片、信息等资料。"
    assert system.indicator("73").materials == ["金凤区审计局审计全覆盖工作情况", "经济责任审计审计对象范围。"]
    assert system.indicator("77").materials == ["网络舆情处置工作方案。(涉密)"]
    for ind in system.indicators:
        assert ind.points and ind.materials, ind.code
        assert all(m and not m.endswith((";", "；")) and not re.match(r"\(\d+\)", m) for m in ind.materials)
        if not ind.points.startswith("(1)"):
            assert ind.materials == [ind.points], ind.code
        else:
            assert flat("".join(ind.materials)) in flat(re.sub(r"\(\d+\)|[;；]", "", ind.points)), ind.code


def test_merged_points(system: IndicatorSystem, source_rows: dict[int, list[str]]) -> None:
    for n, cells in source_rows.items():
        ind = system.indicator(str(n))
        assert ind is not None
        assert ind.level3 == cells[-2] or ind.level3 == cells[-3], n
        if n in MERGED_POINTS:
            assert ind.level3 == cells[-2], n
            assert ind.points == system.indicator(str(MERGED_POINTS[n])).points, n
        else:
            assert ind.points == cells[-2], n


def test_units(system: IndicatorSystem, source_rows: dict[int, list[str]]) -> None:
    names = [u.name for u in system.units]
    assert len(names) == len(set(names)) == 26
    assert {u.name for u in system.units if u.group} == GROUPS
    assert system.unit("各行政执法部门").name == "各行政执法部门(单位)"
    used = set()
    for ind in system.indicators:
        assert ind.units_text == source_rows[int(ind.code)][-1], ind.code
        for name in (*ind.lead, *ind.cooperating):
            assert name in names, (ind.code, name)
            used.add(name)
        assert not set(ind.lead) & set(ind.cooperating), ind.code
        assert ind.all_units_cooperate == ("各部门(单位)配合" in ind.units_text
                                           or "各部门(单位)、各镇、街道办事处配合" in ind.units_text), ind.code
    assert used == set(names)


def test_faithful(system: IndicatorSystem, source: str) -> None:
    flat_source = flat(source)
    for ind in system.indicators:
        for text in (ind.level1, ind.level2, ind.level3, ind.points, ind.units_text, *ind.materials):
            assert text and flat(text) in flat_source, (ind.code, text)

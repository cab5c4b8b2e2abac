"""Seed 003: Suzhou 苏州市法治政府建设2011~2015年规划任务分解表 (schema/suzhou-2011.yaml)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from xlbridge.system.model import IndicatorSystem, Kind

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "schema" / "suzhou-2011.yaml"
SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "003_8c850d15a6df09b0.txt"


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def system() -> IndicatorSystem:
    return IndicatorSystem.model_validate(yaml.safe_load(SCHEMA.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def source() -> str:
    if not SEED.exists():
        pytest.skip(f"seed text not available: {SEED}")
    return SEED.read_text(encoding="utf-8")


def test_header(system: IndicatorSystem) -> None:
    assert system.id == "suzhou-2011"
    assert system.issuer == "苏州市人民政府"
    assert system.period == (2011, 2015)
    assert system.years == [2011, 2012, 2013, 2014, 2015]
    assert system.level_names == ["名称", "工作任务"]
    assert system.points_label == "工作任务"
    assert system.source == SEED.name


def test_counts(system: IndicatorSystem) -> None:
    assert len(system.indicators) == 28
    assert Counter(i.kind for i in system.indicators) == {Kind.normal: 28}
    per_group = Counter(i.level1 for i in system.indicators)
    assert list(per_group.items()) == [
        ("(一)加快政府职能转变", 5),
        ("(二)完善依法科学民主决策机制", 4),
        ("(三)加强政府制度规范化建设", 4),
        ("(四)完善行政执法体制和规范行政执法行为", 4),
        ("(五)完善行政监督制度和机制", 3),
        ("(六)健全社会矛盾防范化解机制", 3),
        ("(七)加强法治政府建设保障措施", 5),
    ]


def test_keys_follow_group_and_task_numbers(system: IndicatorSystem) -> None:
    # task numbers restart in every group, so key = <group>.<task>
    keys = [i.key for i in system.indicators]
    assert keys == [
        "1.1", "1.2", "1.3", "1.4", "1.5",
        "2.1", "2.2", "2.3", "2.4",
        "3.1", "3.2", "3.3", "3.4",
        "4.1", "4.2", "4.3", "4.4",
        "5.1", "5.2", "5.3",
        "6.1", "6.2", "6.3",
        "7.1", "7.2", "7.3", "7.4", "7.5",
    ]
    for i in system.indicators:
        assert i.key.split(".")[1] == i.code


SAMPLES = [
    # key, code, level1, level3 start, level3 end, lead, cooperating, all_units_cooperate
    ("1.1", "1", "(一)加快政府职能转变", "强化政府社会管理和公共服务职能。", "专业化、市场化进程",
     ["市政府办", "财政局", "物价局"],
     ["发改委", "人社局", "卫生局", "公安局", "环保局", "安监局", "市容市政局", "民政局", "教育局", "编委办"],
     False),
    ("1.2", "2", "(一)加快政府职能转变", "深化行政管理体制改革。", "比重控制到30%以下",
     ["市政府办", "编委办"], ["发改委", "人社局", "政府研究室", "财政局", "监察局"], False),
    ("1.4", "4", "(一)加快政府职能转变", "深入推进行政管理方式改革和创新。", "等新型行政管理方式",
     ["市政府办", "发改委", "行政服务中心"], [], True),
    ("2.1", "1", "(二)完善依法科学民主决策机制", "健全公众参与、专家论证", "都要进行听证",
     ["市政府办"], [], True),
    ("3.3", "3", "(三)加强政府制度规范化建设", "加强规范性文件审查工作。", "报备率、及时率、规范率100%",
     ["市政府办", "政府法制办"], ["市政府有关部门"], False),
    ("4.1", "1", "(四)完善行政执法体制和规范行政执法行为", "深化行政执法体制改革。", "实行综合行政执法",
     ["市政府办", "政府法制办"], ["编委办", "城管执法局", "文广新局", "环保局", "农委", "交通运输局"], False),
    ("4.2", "2", "(四)完善行政执法体制和规范行政执法行为", "推进行政执法规范化建设。", "行政机关的矛盾和争议",
     ["政府法制办"], [], True),
    ("5.2", "2", "(五)完善行政监督制度和机制", "加强层级监督和专门监督。", "完善相关制度和机制",
     ["市政府办", "监察局"], ["审计局", "政府法制办"], False),
    ("5.3", "3", "(五)完善行政监督制度和机制", "建立行政问责机制。", "有责必问",
     ["监察局"], [], True),
    ("6.1", "1", "(六)健全社会矛盾防范化解机制", "加强行政复议和应诉工作。", "出庭应诉率达到90%以上",
     ["政府法制办", "信访局", "司法局"], ["市政府有关部门"], False),
    ("7.4", "4", "(七)加强法治政府建设保障措施", "增强依法行政观念。", "不少于15天法律知识更新学习",
     ["市政府办", "政府法制办", "人社局"], [], True),
    ("7.5", "5", "(七)加强法治政府建设保障措施", "加强政府法制机构和队伍建设。", "达到80%",
     ["市政府办", "编委办", "政府法制办"], [], True),
]


@pytest.mark.parametrize("key,code,level1,start,end,lead,coop,allc", SAMPLES)
def test_samples(system: IndicatorSystem, key, code, level1, start, end, lead, coop, allc) -> None:
    ind = system.indicator(key)
    assert ind is not None
    assert ind.code == code
    assert ind.level1 == level1
    assert ind.level2 is None
    assert ind.level3.startswith(start) and ind.level3.endswith(end)
    assert not re.match(r"\d+[、.]", ind.level3)  # own number not repeated
    assert ind.points is None
    assert ind.methods == []
    assert len(ind.materials) == 0
    assert ind.lead == lead
    assert ind.cooperating == coop
    assert ind.all_units_cooperate is allc
    assert ind.persons == []
    assert ind.kind is Kind.normal


def test_second_paragraph_kept(system: IndicatorSystem) -> None:
    ind = system.indicator("1.2")
    first, second = ind.level3.split("\n")
    assert first.endswith("历史文化名镇")
    assert second == "提高行政管理效能,减少行政成本,公用经费在财政预算中的比重控制到30%以下"
    assert sum("\n" in i.level3 for i in system.indicators) == 1


def test_units_consistent(system: IndicatorSystem) -> None:
    names = [u.name for u in system.units]
    assert len(names) == len(set(names)) == 26
    used = {n for i in system.indicators for n in (*i.lead, *i.cooperating)}
    assert used == set(names)
    for i in system.indicators:
        assert i.lead, i.key
        assert not set(i.lead) & set(i.cooperating), i.key
    assert [u.name for u in system.units if u.group] == ["市政府有关部门"]
    assert sum(i.all_units_cooperate for i in system.indicators) == 17
    assert {u.name for u in system.reporting_units} == set(names) - {"市政府有关部门"}
    assert [i.key for i in system.assigned("信访局")] == ["6.1", "6.3"]


def test_faithful_to_source(system: IndicatorSystem, source: str) -> None:
    flat = _squash(source)
    table = _squash(source.split("规划任务分解表", 1)[1])
    assert system.title == "苏州市法治政府建设2011~2015年规划任务分解表"
    assert system.title in source
    for ind in system.indicators:
        assert _squash(ind.level3) in table, ind.key
        # numbered "code、text" (2.1 is printed "1.")
        assert _squash(ind.code + ("." if ind.key == "2.1" else "、") + ind.level3.split("\n")[0]) in table, ind.key
        name = ind.level1.split(")", 1)[1]
        assert name in table, ind.key
        for unit in ind.units_text.split("、"):
            assert unit in flat, (ind.key, unit)
    assert _squash(source).count("(一)") == 1


def test_units_text_order_matches_source(system: IndicatorSystem, source: str) -> None:
    table = source.split("规划任务分解表", 1)[1]
    cells = [ln.strip() for ln in table.splitlines() if ln.strip()]
    # units between one task and the next, in print order (市政府 / 有关部门 is one wrapped name)
    got: list[list[str]] = []
    for c in cells:
        if re.match(r"\d+[、.]", c):
            got.append([])
        elif got and len(c) <= 12 and not re.fullmatch(r"\([一二三四五六七]\)", c):
            if c == "有关部门" and got[-1] and got[-1][-1] == "市政府":
                got[-1][-1] = "市政府有关部门"
            else:
                got[-1].append(c)
        elif c.startswith("第"):
            break
    # group names (short cells) follow the last task of a group: drop them
    names = {i.level1.split(")", 1)[1] for i in system.indicators}
    got = [[u for u in g if u not in names] for g in got]
    assert ["、".join(g) for g in got] == [i.units_text for i in system.indicators]

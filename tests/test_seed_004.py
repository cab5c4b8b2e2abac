"""Seed 004: Puyang justice bureau 2020 (濮司〔2020〕50号), 附件2 责任分工表 (puyang-2020.yaml).

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
SCHEMA = HERE.parents[1] / "schema" / "puyang-2020.yaml"
SEED = HERE.parents[2] / "shared" / "seeds" / "004_34aef47c508b53d7.txt"

LEVEL1 = [
    "一、政府职能依法全面履行",
    "二、依法行政制度体系完善",
    "三、重大行政决策科学民主合法",
    "四、行政执法严格规范公正文明",
    "（一）服务型行政执法建设整体推进",
    "五、行政权力制约监督科学有效",
    "（二）政务公开水平不断提升",
    "六、社会矛盾纠纷依法有效化解",
    "七、政府工作人员法治思维和依法行政能力全面提高",
    "八、法治政府建设组织领导落实到位",
    "九、附加项",
]
UNITS = [
    "法制仲裁科", "政治部", "律师公证管理科", "行政财务装备科", "司法鉴定管理科", "办公室",
    "法治调研科", "法律援助工作科", "基层工作指导科", "立法科", "新闻宣传科", "信息化工作科",
    "普法与依法治理科", "机关党委", "规范性文件管理科",
]
PEOPLE = {"王壮凯", "王海峰", "王奇锦", "李建伟", "杨英丽", "李绍栋", "徐鉴", "刘国", "刘合宝",
          "孙明山", "晁志强", "鲁学武", "李大伟", "何斌", "张秀雨"}
FOLD = str.maketrans("（）", "()")


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
def table(source: str) -> str:
    """附件2 only: from its heading to the 附件3 heading."""
    start = source.index("\n附件2\n")
    end = source.index("\n附件3\n", start)
    return source[start:end]


def test_header(system: IndicatorSystem) -> None:
    assert system.id == "puyang-2020"
    assert system.version == "1"
    assert system.title == "濮阳市司法局法治政府建设示范市创建工作责任分工表"
    assert system.issuer == "濮阳市司法局"
    assert system.document == "濮司〔2020〕50号"
    assert system.period == (2016, 2021)
    assert system.years == [2016, 2017, 2018, 2019, 2020, 2021]
    assert system.source == SEED.name
    assert system.level_names == ["一级指标", "二级指标", "三级指标"]
    assert system.points_label == "三级指标"


def test_counts(system: IndicatorSystem) -> None:
    inds = system.indicators
    assert len(inds) == 125
    assert Counter(i.kind for i in inds) == {Kind.normal: 121, Kind.bonus: 2, Kind.penalty: 2}
    normal = [i for i in inds if i.kind is Kind.normal]
    national = [int(i.code) for i in normal if i.code.isdigit()]
    province = [int(i.code[1:-1]) for i in normal if i.code.startswith("(")]
    city = [int(i.code[1:]) for i in normal if i.code.startswith("★")]
    assert (len(national), len(province), len(city)) == (93, 24, 4)
    # numbers skipped in the source are not invented
    assert set(range(1, 101)) - set(national) == {5, 12, 17, 50, 62, 64, 70}
    assert set(range(1, 26)) - set(province) == {21}
    assert city == [1, 2, 3, 5]
    assert national == sorted(national) and province == sorted(province)
    assert [i.key for i in inds if i.kind is not Kind.normal] == ["加1", "加2", "减1", "减2"]
    assert [i.key for i in inds if i.key_item] == ["★1", "★2", "★3", "★5"]
    assert list(dict.fromkeys(i.level1 for i in inds)) == LEVEL1


def test_codes_in_source_order(system: IndicatorSystem, table: str) -> None:
    printed = re.findall(r"^\t(\d+|[（(]\d+[）)]|★\d+)$", table, flags=re.MULTILINE)
    assert [c.translate(FOLD) for c in printed] == [i.code for i in system.indicators]
    for ind in system.indicators:
        if ind.kind is Kind.normal:
            assert ind.key == ind.code
        else:
            assert ind.key == {"bonus": "加", "penalty": "减"}[ind.kind.value] + ind.code


def test_every_text_in_source(system: IndicatorSystem, table: str) -> None:
    src = flat(table)
    for ind in system.indicators:
        assert ind.level3 and flat(ind.level3) in src, ind.key
        assert flat(ind.level1) in src, ind.key
        assert ind.level2 and flat(ind.level2) in src, ind.key
        assert ind.points is None
        for item in ind.materials:
            assert flat(item) in src, (ind.key, item)
        if ind.note:
            assert flat(ind.note) in src, ind.key
        assert ind.methods, ind.key
        for m in ind.methods:
            assert "\t" + m + "\n" in table or "\n" + m + "\n" in table, (ind.key, m)


def test_units_and_persons(system: IndicatorSystem, source: str) -> None:
    assert [u.name for u in system.units] == UNITS
    assert system.unit("基层科").name == "基层工作指导科"
    for u in system.units:
        for alias in u.aliases:
            assert alias in source
    for ind in system.indicators:
        named = ind.lead + ind.cooperating
        for name in named:
            assert name in UNITS, (ind.key, name)
        assert not ind.all_units_cooperate
        if ind.kind is Kind.penalty:
            assert named == [] and ind.persons == [] and ind.units_text is None
            assert ind.note == "如有所列情形发生，依法依规依纪追究相关单位责任。"
            continue
        assert ind.lead, ind.key
        # one 责任人 per 责任科室, aligned line by line
        assert [p.unit for p in ind.persons] == named, ind.key
        for p in ind.persons:
            assert p.name in PEOPLE
            assert not re.search(r"\d", p.name)
    # no phone numbers copied anywhere
    assert not re.search(r"\d{7,}", SCHEMA.read_text(encoding="utf-8"))


SAMPLES = [
    # key, level1, level2, level3 substring, methods, materials count, lead, cooperating, persons
    ("1", "一、政府职能依法全面履行", "1.行政审批制度改革全面推行", "实行目录化、编码化、动态化管理",
     ["网络检索", "材料查证", "随机访谈"], 4, ["法制仲裁科"], [], [("王壮凯", "法制仲裁科")]),
    ("9", "一、政府职能依法全面履行", "2.落实权责清单、负面清单制度并实行动态管理", "乱收费举报投诉查处机制建立健全",
     ["网络检索", "材料查证", "实地核验"], 5,
     ["政治部", "行政财务装备科", "司法鉴定管理科", "律师公证管理科"], [],
     [("李建伟", "政治部"), ("杨英丽", "行政财务装备科"), ("李绍栋", "司法鉴定管理科"), ("王奇锦", "律师公证管理科")]),
    ("(2)", "一、政府职能依法全面履行", "4.加强事中事后监管", "推进信用分级分类精准监管",
     ["材料查证"], 2, ["办公室"], [], [("徐鉴", "办公室")]),
    ("21", "一、政府职能依法全面履行", "6.创新社会治理，优化公共服务", "村（居）法律顾问全覆盖",
     ["实地核验"], 1, ["法律援助工作科", "基层工作指导科", "律师公证管理科"], [],
     [("刘合宝", "法律援助工作科"), ("孙明山", "基层工作指导科"), ("王奇锦", "律师公证管理科")]),
    ("31", "二、依法行政制度体系完善", "3.加强行政规范性文件制定和监督管理", "合法性审核率达100%",
     ["材料查证", "网络检索"], 5, ["法制仲裁科"], [], [("王壮凯", "法制仲裁科")]),
    ("38", "三、重大行政决策科学民主合法", "2.公众参与", "实行重大行政决策公开制度",
     ["网络检索", "材料查证"], 4, ["法制仲裁科"], ["办公室"], [("王壮凯", "法制仲裁科"), ("徐鉴", "办公室")]),
    ("★1", "三、重大行政决策科学民主合法", "4.合法性审查", "组建市、县政府法律顾问团",
     ["材料查证"], 1, ["法制仲裁科"], [], [("王壮凯", "法制仲裁科")]),
    ("(7)", "（一）服务型行政执法建设整体推进", "（2）转变执法理念", "纳入年度行政执法人员培训考试",
     ["座谈了解", "现场测试"], 2, ["法制仲裁科"], [], [("王壮凯", "法制仲裁科")]),
    ("(16)", "五、行政权力制约监督科学有效", "2.加强行政监督和审计监督", "开展统计数据质量检查情况",
     ["材料查证", "实地核查"], 2, ["办公室"], [], [("徐鉴", "办公室")]),
    ("81", "五、行政权力制约监督科学有效", "4.全面推进政务公开", "依申请公开政府信息的答复率达100%",
     ["网络检索", "材料查证"], 5, ["办公室"], [], [("徐鉴", "办公室")]),
    ("★2", "六、社会矛盾纠纷依法有效化解", "1.健全依法化解纠纷机制", "“三远一网”",
     ["实地核验"], 1, ["法律援助工作科", "信息化工作科"], [], [("刘合宝", "法律援助工作科"), ("杨英丽", "信息化工作科")]),
    ("87", "六、社会矛盾纠纷依法有效化解", "2.加强行政复议工作", "积极推进行政复议职责有效整合",
     ["材料查证", "案卷评查"], 9, ["法制仲裁科"], [], [("王壮凯", "法制仲裁科")]),
    ("95", "七、政府工作人员法治思维和依法行政能力全面提高", "2.强化对政府工作人员的法治教育培训和考查",
     "旁听人民法院庭审活动", ["材料查证"], 1, ["政治部", "机关党委"], [], [("王海峰", "政治部"), ("何斌", "机关党委")]),
    ("(23)", "八、法治政府建设组织领导落实到位", "（1）充分发挥法治政府建设组织推动机构作用。",
     "形成共同推进法治政府建设的长效机制", ["材料查证"], 1, ["规范性文件管理科"], [], [("张秀雨", "规范性文件管理科")]),
    ("加2", "九、附加项", "1.加分项", "有关做法经验在全国范围内推广的",
     ["材料查证"], 1, ["规范性文件管理科"], [], [("张秀雨", "规范性文件管理科")]),
    ("减2", "九、附加项", "2.减分项", "故意编造、虚构有关数据",
     ["材料查证"], 0, [], [], []),
]


@pytest.mark.parametrize(
    ("key", "level1", "level2", "level3", "methods", "n_materials", "lead", "coop", "persons"), SAMPLES
)
def test_samples(system: IndicatorSystem, key, level1, level2, level3, methods, n_materials, lead, coop, persons) -> None:
    ind = system.indicator(key)
    assert ind is not None
    assert ind.code == key.lstrip("加减")
    assert ind.level1 == level1
    assert ind.level2 == level2
    assert level3 in ind.level3
    assert ind.methods == methods
    assert len(ind.materials) == n_materials
    assert ind.lead == lead
    assert ind.cooperating == coop
    assert [(p.name, p.unit) for p in ind.persons] == persons
    assert ind.key_item == key.startswith("★")


def test_materials_detail(system: IndicatorSystem) -> None:
    # numbering prefixes removed; the web-search remark is its own last item
    assert system.indicator("1").materials == [
        "本部门压缩行政审批办理时限的情况说明或者证明材料",
        "向社会公布本部门全部行政审批事项清单",
        "实行目录化、编码化、动态化管理的制度文件及工作总结。",
        "（以上同时提供网络检索佐证材料）",
    ]
    # (2): the second item is printed on a continuation row after a page break
    assert system.indicator("(2)").materials[1] == "本部门实施信用评价和“大数据+信用”工作的说明材料。"
    # 31 prints item number 2 twice: both are kept
    assert system.indicator("31").materials[2].startswith("2016年以来，本部门没有发生因行政规范性文件未按程序制定被通报")
    for ind in system.indicators:
        for item in ind.materials:
            assert not re.match(r"\d{1,2}[.．]", item), (ind.key, item)
            assert not item.endswith(("；", ";")), (ind.key, item)


def test_blank_cells_are_same_as_above(system: IndicatorSystem) -> None:
    # empty 上报资料/责任科室 cells belong to the merged cell above
    assert system.indicator("30").materials == system.indicator("29").materials
    assert system.indicator("77").materials == system.indicator("75").materials
    assert system.indicator("89").materials == system.indicator("87").materials
    assert system.indicator("46").lead == ["政治部"]
    assert system.indicator("48").lead == ["法制仲裁科"] and system.indicator("48").cooperating == ["办公室"]
    assert system.indicator("(14)").lead == ["行政财务装备科"]
    assert system.indicator("92").lead == ["普法与依法治理科"]

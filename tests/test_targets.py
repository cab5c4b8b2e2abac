"""Quantitative targets read from indicator text (xlbridge.system.targets), on phrases and on the shipped systems."""

from __future__ import annotations

from pathlib import Path

import pytest

from xlbridge.normalise import fold_width
from xlbridge.system.files import load_system
from xlbridge.system.model import IndicatorSystem
from xlbridge.system.targets import Target, find_targets

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "schema"
SHIPPED = sorted(p.stem for p in SCHEMA_DIR.glob("*.yaml"))


def one(text: str) -> Target:
    found = find_targets(text)
    assert len(found) == 1, (text, found)
    return found[0]


def triples(text: str) -> list[tuple[str, float, str]]:
    return [(t.comparison, t.quantity, t.unit) for t in find_targets(text)]


# text → (comparison, quantity, unit, matched text)
PHRASES = {
    "部门领导班子集体学法每年安排不少于2次": (">=", 2, "次", "不少于2次"),
    "办理后满意度达到95%以上": (">=", 95, "%", "达到95%以上"),
    "行政规范性文件的合法性审核率达100%": (">=", 100, "%", "达100%"),
    "报备率、及时率、规范率均达100%": (">=", 100, "%", "达100%"),
    "法治专题培训不少于40学时": (">=", 40, "学时", "不少于40学时"),
    "承诺办理时限5个工作日": ("<=", 5, "个工作日", "5个工作日"),
    "承诺办理时限不超过5个工作日": ("<=", 5, "个工作日", "不超过5个工作日"),
    "明确责任主体的时间在7个工作日以内": ("<=", 7, "个工作日", "7个工作日以内"),
    "在执法决定作出之日起20个工作日内公布": ("<=", 20, "个工作日", "20个工作日内"),
    "政务服务事项网上可办率不低于80%": (">=", 80, "%", "不低于80%"),
    "严格执行2名以上执法人员执法": (">=", 2, "名", "2名以上"),
    "每年安排不少于２次": (">=", 2, "次", "不少于2次"),  # full-width digit
    "满意度达到９５％以上": (">=", 95, "%", "达到95%以上"),  # full-width digits and percent
    "最迟在事件发生后5小时内发布": ("<=", 5, "小时", "5小时内"),
    "履行等的发生率在5%以下": ("<=", 5, "%", "5%以下"),
    "受到追究的不超过3人": ("<=", 3, "人", "不超过3人"),
    "有效期一般不超过5年": ("<=", 5, "年", "不超过5年"),
    "征求意见期限一般不少于30日": (">=", 30, "日", "不少于30日"),
    "行政执法人员每年不少于15天法律知识更新学习": (">=", 15, "天", "不少于15天"),
    "年度工作100%按时完成": ("=", 100, "%", "100%"),
    # a phrase between the comparison word and the number
    "法制审核人员不少于本单位执法人员总数的5%": (">=", 5, "%", "不少于本单位执法人员总数的5%"),
    "分值权重不低于总分值的10%": (">=", 10, "%", "不低于总分值的10%"),
    # 至少 + a short verb, digits or Chinese numerals
    "每年至少组织1次行政执法案卷评查": (">=", 1, "次", "至少组织1次"),
    "每年至少举办2期本部门领导干部法治专题培训": (">=", 2, "期", "至少举办2期"),
    "政府每年至少召开一次会议": (">=", 1, "次", "至少召开一次"),
    "至少十五次": (">=", 15, "次", "至少十五次"),
    "至少建成一个法治学校": (">=", 1, "个", "至少建成一个"),
    "不得超过5个工作日": ("<=", 5, "个工作日", "不得超过5个工作日"),
    "3个月内办结": ("<=", 3, "个月", "3个月内"),
}


@pytest.mark.parametrize("text", PHRASES)
def test_phrase(text: str) -> None:
    comparison, quantity, unit, matched = PHRASES[text]
    t = one(text)
    assert (t.comparison, t.quantity, t.unit, t.text) == (comparison, quantity, unit, matched)
    assert t.month_day is None


def test_describe() -> None:
    assert one("不少于2次").describe() == "≥2次"
    assert one("达到95%以上").describe() == "≥95%"
    assert one("不超过5个工作日").describe() == "≤5个工作日"
    assert one("年度工作100%按时完成").describe() == "=100%"
    assert one("配备1.5小时内").describe() == "≤1.5小时"
    assert one("每年12月20日前").describe() == "每年12月20日前"


@pytest.mark.parametrize(
    ("text", "month_day", "matched"),
    [
        ("每年12月20日前向市政府报告年度推进依法行政工作情况", (12, 20), "每年12月20日前"),
        ("行政执法机关于每年1月31日前公开本机关上年度行政执法总体情况", (1, 31), "每年1月31日前"),
        ("每年3月1日之前报送", (3, 1), "每年3月1日之前"),
        ("每年３月１日以前报送", (3, 1), "每年3月1日以前"),
        ("每年1月底前报告", (1, 31), "每年1月底前"),
        ("每年2月底前报告", (2, 28), "每年2月底前"),
    ],
)
def test_before_date(text: str, month_day: tuple[int, int], matched: str) -> None:
    t = one(text)
    assert t.comparison == "before"
    assert t.month_day == month_day
    assert t.unit == "日期"
    assert t.text == matched


@pytest.mark.parametrize(
    "text",
    [
        "",
        "依法行政",
        "2019年以来本级政府压缩行政审批办理时限的情况说明",  # a calendar year, not a target
        "2015年内完成",  # 2015年 is a year, not a duration of 2015 years
        "2018-2020年本级政府的情况说明",
        "市县100个高频事项实现“最多跑一次”",  # a slogan, not a limit
        "原则上由一个部门统一负责",
        "下达2次通知",  # 下达 is not 达
        "任期长达5年",
        "每年13月1日前",  # no such month
        "每年2月30日前",  # no such day
        "开展“12.4”国家宪法日宣传",
    ],
)
def test_no_target(text: str) -> None:
    assert find_targets(text) == []


def test_none_text() -> None:
    assert find_targets(None) == []  # type: ignore[arg-type]


def test_several_in_order() -> None:
    text = "每年12月20日前报告；学法不少于2次，满意度达到95%以上，办结时限不超过5个工作日，发生率在5%以下。"
    found = find_targets(text)
    assert [t.text for t in found] == ["每年12月20日前", "不少于2次", "达到95%以上", "不超过5个工作日", "5%以下"]
    assert [t.comparison for t in found] == ["before", ">=", ">=", "<=", "<="]
    assert found[0].month_day == (12, 20)


def test_several_same_kind_in_order() -> None:
    text = "社区人民调解委员会有3名以上专职人民调解员,村有2名以上,企业有1名以上"
    assert triples(text) == [(">=", 3, "名"), (">=", 2, "名"), (">=", 1, "名")]


def test_lower_and_upper_bound_in_one_sentence() -> None:
    text = "合法性审核的时间一般不少于5个工作日,最长不超过15个工作日;"
    found = find_targets(text)
    assert [(t.comparison, t.quantity, t.unit, t.text) for t in found] == [
        (">=", 5, "个工作日", "不少于5个工作日"),
        ("<=", 15, "个工作日", "最长不超过15个工作日"),
    ]


def test_one_span_one_target() -> None:
    # 不少于2次以上 is one target, not ≥2 plus a second "2次以上"
    assert triples("每年不少于2次以上") == [(">=", 2, "次")]
    assert triples("领导班子至少安排4次以上法治专题学习") == [(">=", 4, "次")]
    # 80% after 不低于 is not also an "=80%"
    assert triples("网上可办率不低于80%") == [(">=", 80, "%")]


def test_spaces_inside() -> None:
    assert triples("满意度达到 95 % 以上") == [(">=", 95, "%")]
    assert one("满意度达到 95 % 以上").text == "达到 95 % 以上"
    assert triples("办结时限不超过　5　个工作日") == [("<=", 5, "个工作日")]  # ideographic spaces


def test_working_day_spellings_agree() -> None:
    assert triples("5工作日内") == triples("5个工作日内") == [("<=", 5, "个工作日")]


# ------------------------------------------------------------------ shipped systems


@pytest.fixture(scope="module")
def systems() -> dict[str, IndicatorSystem]:
    return {name: load_system(name) for name in SHIPPED}


def test_all_shipped_present() -> None:
    assert SHIPPED == ["changzhou-2014", "jinfeng-2020", "puyang-2020", "suzhou-2011"]


# (system, indicator key) → [(comparison, quantity, unit, matched text)], found by grepping schema/*.yaml
SHIPPED_TARGETS = {
    ("jinfeng-2020", "5"): [("<=", 5, "个工作日", "不超过5个工作日")],
    ("jinfeng-2020", "6"): [(">=", 80, "%", "不低于80%")],
    ("jinfeng-2020", "23"): [(">=", 7, "个工作日", "不少于7个工作日")],
    ("jinfeng-2020", "26"): [
        (">=", 100, "%", "达100%"),
        (">=", 5, "个工作日", "不少于5个工作日"),
        ("<=", 15, "个工作日", "最长不超过15个工作日"),
    ],
    ("jinfeng-2020", "29"): [(">=", 100, "%", "达100%")],
    ("jinfeng-2020", "47"): [("<=", 7, "个工作日", "7个工作日以内")],
    ("jinfeng-2020", "52"): [("<=", 20, "个工作日", "20个工作日内"), ("<=", 7, "个工作日", "7个工作日之内")],
    ("jinfeng-2020", "58"): [(">=", 5, "%", "不少于本单位执法人员总数的5%")],
    ("jinfeng-2020", "60"): [(">=", 1, "次", "至少组织1次")],
    ("jinfeng-2020", "63"): [(">=", 40, "学时", "不少于40学时")],
    ("jinfeng-2020", "67"): [(">=", 95, "%", "达95%以上")],
    ("jinfeng-2020", "77"): [("<=", 5, "小时", "5小时内"), ("<=", 24, "小时", "24小时内")],
    ("jinfeng-2020", "80"): [
        (">=", 3, "名", "3名以上"),
        (">=", 2, "名", "2名以上"),
        (">=", 1, "名", "1名以上"),
        (">=", 2, "名", "2名以上"),
    ],
    ("jinfeng-2020", "90"): [(">=", 4, "次", "至少安排4次以上"), (">=", 1, "次", "至少组织开展1次")],
    ("jinfeng-2020", "95"): [(">=", 10, "%", "不低于总分值的10%")],
    ("jinfeng-2020", "1"): [],  # only "2019年以来"
    ("jinfeng-2020", "44"): [],
    ("puyang-2020", "6"): [(">=", 80, "%", "不低于80%"), (">=", 80, "%", "80%以上")],
    ("puyang-2020", "(5)"): [("=", 100, "%", "100%")],
    ("puyang-2020", "(20)"): [(">=", 2, "期", "至少举办2期")],
    ("puyang-2020", "68"): [(">=", 40, "学时", "不少于40学时")],
    ("puyang-2020", "94"): [("<=", 3, "人", "不超过3人")],
    ("puyang-2020", "95"): [
        (">=", 4, "次", "至少安排4次以上"),
        (">=", 2, "期", "至少举办2期以上"),
        (">=", 1, "次", "至少组织开展1次"),
    ],
    ("changzhou-2014", "1.2.(2)"): [(">=", 2, "次", "不少于2次")],
    ("changzhou-2014", "1.2.(4)"): [(">=", 15, "天", "不少于15天")],
    ("changzhou-2014", "6.1.(2)"): [(">=", 95, "%", "达到95%以上")],
    ("changzhou-2014", "7.2.(2)"): [(">=", 100, "%", "达到100%"), (">=", 100, "%", "达到100%")],
    ("changzhou-2014", "1.1.(1)"): [],
    ("suzhou-2011", "1.2"): [("<=", 30, "%", "30%以下")],
    ("suzhou-2011", "3.4"): [("<=", 5, "年", "不超过5年")],
    ("suzhou-2011", "4.2"): [(">=", 1, "次", "至少组织一次")],
    ("suzhou-2011", "6.1"): [(">=", 90, "%", "达到90%以上")],
    ("suzhou-2011", "7.3"): [(">=", 15, "%", "不低于考评总分数的15%")],
    ("suzhou-2011", "7.4"): [(">=", 2, "次", "至少组织2次"), (">=", 15, "天", "不少于15天")],
}


@pytest.mark.parametrize(("system_id", "key"), list(SHIPPED_TARGETS))
def test_shipped_indicator_targets(systems: dict[str, IndicatorSystem], system_id: str, key: str) -> None:
    ind = systems[system_id].indicator(key)
    assert ind is not None, key
    got = [(t.comparison, t.quantity, t.unit, t.text) for t in ind.targets]
    assert got == SHIPPED_TARGETS[(system_id, key)]


def test_shipped_dates(systems: dict[str, IndicatorSystem]) -> None:
    (report,) = systems["changzhou-2014"].indicator("8.2.(3)").targets
    assert (report.comparison, report.month_day, report.text) == ("before", (12, 20), "每年12月20日前")
    (annual,) = systems["jinfeng-2020"].indicator("51").targets
    assert (annual.comparison, annual.month_day) == ("before", (1, 31))
    assert systems["puyang-2020"].indicator("56").targets == [annual]


def test_shipped_targets_are_in_their_text(systems: dict[str, IndicatorSystem]) -> None:
    """Every target quotes its own indicator; none is a calendar year; dates are real dates."""
    total = 0
    for system in systems.values():
        for ind in system.indicators:
            text = fold_width(" ".join(filter(None, (ind.level3, ind.points))))
            for t in ind.targets:
                total += 1
                assert t.text in text, (system.id, ind.key, t.text)
                assert not (t.unit == "年" and t.quantity >= 1000), (system.id, ind.key, t.text)
                if t.comparison == "before":
                    month, day = t.month_day
                    assert 1 <= month <= 12 and 1 <= day <= 31
                else:
                    assert t.month_day is None and t.quantity > 0
    assert total >= 100


def test_targets_serialised_with_indicator(systems: dict[str, IndicatorSystem]) -> None:
    dumped = systems["jinfeng-2020"].indicator("63").model_dump(mode="json")
    assert dumped["targets"] == [
        {"text": "不少于40学时", "comparison": ">=", "quantity": 40.0, "unit": "学时", "month_day": None}
    ]

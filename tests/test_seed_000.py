"""Seed 000: Changzhou city-management bureau, 2014 responsibility breakdown (changzhou-2014.yaml).

Checks the transcription against the source text of the seed.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from xlbridge.system.model import IndicatorSystem, Kind

HERE = Path(__file__).resolve()
SCHEMA = HERE.parents[1] / "schema" / "changzhou-2014.yaml"
SEED = HERE.parents[2] / "shared" / "seeds" / "000_414a4f36db94edfc.txt"

CATEGORIES = [
    "一、提高依法行政意识和能力",
    "二、改革行政管理方式",
    "三、提升制度建设质量",
    "四、坚持依法科学民主决策",
    "五、加强和改进行政执法工作",
    "六、强化行政监督",
    "七、依法防范和化解社会矛盾",
    "八、落实保障措施",
]
# items per (category, 考评内容) as counted in the source
ITEMS_PER_HEADING = {
    "1.1": 2, "1.2": 5,
    "2.1": 5, "2.2": 9, "2.3": 2, "2.4": 1,
    "3.1": 3, "3.2": 7, "3.3": 8,
    "4.1": 2, "4.2": 7, "4.3": 3,
    "5.1": 3, "5.2": 3, "5.3": 9,
    "6.1": 7, "6.2": 5,
    "7.1": 5, "7.2": 6, "7.3": 2, "7.4": 4,
    "8.1": 3, "8.2": 5, "8.3": 2,
}
# 7.4.(4) is split by a page break in the source (…法定职 | 权范围内…): both halves are checked.
PAGE_SPLIT = {"7.4.(4)": ("行政机关对属于本机关法定职", "权范围内的信访事项，依法受理")}


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


def test_header(system: IndicatorSystem) -> None:
    assert system.id == "changzhou-2014"
    assert system.year == 2014
    assert system.issuer == "常州市城市管理局"
    assert system.source == SEED.name
    assert system.level_names == ["考评项目", "考评内容", "基本要求"]
    assert system.points_label == "考评内容"


def test_counts(system: IndicatorSystem) -> None:
    assert len(system.indicators) == 108
    assert Counter(i.kind for i in system.indicators) == {Kind.normal: 108}
    per_heading = Counter(i.key.rsplit(".", 1)[0] for i in system.indicators)
    assert dict(per_heading) == ITEMS_PER_HEADING
    assert [c for c in dict.fromkeys(i.level1 for i in system.indicators)] == CATEGORIES


def test_keys_and_codes(system: IndicatorSystem) -> None:
    for ind in system.indicators:
        cat, head, code = ind.key.split(".", 2)
        assert code == ind.code
        assert ind.level1 == CATEGORIES[int(cat) - 1]
        assert ind.level2 is not None and ind.level2.startswith("（" + "一二三四五六七八九十"[int(head) - 1] + "）")
    # items are numbered (1)(2)… within every heading, in source order
    seen: dict[str, int] = {}
    for ind in system.indicators:
        prefix = ind.key.rsplit(".", 1)[0]
        seen[prefix] = seen.get(prefix, 0) + 1
        assert ind.code == f"({seen[prefix]})"


def test_every_text_in_source(system: IndicatorSystem, source: str) -> None:
    src = flat(source)
    for ind in system.indicators:
        assert flat(ind.level1) in src, ind.key
        assert flat(ind.level2 or "") in src, ind.key
        assert ind.points and flat(ind.points) in src, ind.key
        assert ind.level3
        if ind.key in PAGE_SPLIT:
            first, second = PAGE_SPLIT[ind.key]
            assert flat(ind.level3).startswith(first + second)
            head, tail = flat(ind.level3).split(first, 1)
            assert head == ""
            assert "（4）" + first in src and tail in src
        else:
            assert "（" + ind.code[1:-1] + "）" + flat(ind.level3) in src, ind.key


def test_units(system: IndicatorSystem, source: str) -> None:
    names = [u.name for u in system.units]
    assert names == [
        "组织人事处", "政策法规处", "宣传教育处", "市支队", "行政服务处",
        "办公室", "监察室", "受理指挥处", "计划财务处",
    ]
    assert system.unit("市 支 队").name == "市支队"
    assert system.unit("办 公 室").name == "办公室"
    assert system.unit("监 察 室").name == "监察室"
    for u in system.units:
        for alias in u.aliases:
            assert alias in source
    for ind in system.indicators:
        assert ind.cooperating == [] and ind.persons == [] and not ind.all_units_cooperate
        assert ind.methods == [] and ind.materials == []
        assert not ind.key_item and ind.note is None
        if ind.units_text:
            assert ind.units_text.split("、") == ind.lead
        for name in ind.lead:
            assert name in names
    # only 1.1.(1) has an empty 责任部门 cell in the source
    assert [i.key for i in system.indicators if not i.lead] == ["1.1.(1)"]
    assert system.indicator("1.1.(1)").units_text is None


SAMPLES = [
    # key, level1 idx, level2, level3 substring, lead
    ("1.1.(2)", 1, "（一）加强和重视依法行政意识与能力的培养", "重视提拔使用依法行政意识强", ["组织人事处"]),
    ("1.2.(4)", 1, "（二）建立健全法律知识学习培训长效机制", "培训时间每年不少于15天", ["政策法规处", "市支队"]),
    ("2.1.(3)", 2, "（一）深化行政审批制度改革", "“三集中、三到位”工作", ["行政服务处"]),
    ("2.2.(8)", 2, "（二）全面推进政务公开", "行政监察平台和政府法制监督平台正常开展工作", ["政策法规处", "监察室"]),
    ("2.3.(2)", 2, "（三）健全应急管理体制机制", "依法妥善处理突发事件", ["受理指挥处"]),
    ("2.4.(1)", 2, "（四）综合运用柔性管理方式", "行政奖励等行政管理方式", ["政策法规处", "市支队", "行政服务处"]),
    ("3.3.(7)", 3, "（三）加强规范性文件监督管理", "清理结果向社会公布", ["政策法规处"]),
    ("5.3.(9)", 5, "（三）规范行政执法行为", "未发生行政执法案件在行政复议", ["政策法规处", "行政服务处", "市支队"]),
    ("6.1.(5)", 6, "（一）自觉接受外部监督", "群众举报投诉制度", ["办公室", "宣传教育处", "监察室"]),
    ("6.2.(4)", 6, "（二）加强内部监督和专门监督", "有错必纠、有责必问", ["政策法规处", "监察室"]),
    ("7.3.(1)", 7, "（三）严格执行行政赔偿、补偿制度", "《中华人民共和国国家赔偿法》", ["计划财务处", "政策法规处"]),
    ("7.4.(4)", 7, "（四）推进信访工作制度化、规范化和法治化", "法定职权范围内的信访事项", ["办公室"]),
    ("8.2.(3)", 8, "（二）落实工作机制", "每年12月20日前向市政府报告", ["政策法规处"]),
    ("8.3.(2)", 8, "（三）加强法制机构队伍建设", "部门法制工作所需经费和办公条件充分保障", ["办公室", "计划财务处"]),
]


@pytest.mark.parametrize(("key", "cat", "level2", "level3", "lead"), SAMPLES)
def test_samples(system: IndicatorSystem, key, cat, level2, level3, lead) -> None:
    ind = system.indicator(key)
    assert ind is not None
    assert ind.code == key.rsplit(".", 1)[1]
    assert ind.level1 == CATEGORIES[cat - 1]
    assert ind.level2 == level2
    assert level3 in ind.level3
    assert ind.methods == []
    assert len(ind.materials) == 0
    assert ind.lead == lead
    assert ind.cooperating == []
    assert ind.persons == []
    assert ind.kind is Kind.normal


def test_points_shared_per_heading(system: IndicatorSystem) -> None:
    by_heading: dict[str, set[str]] = {}
    for ind in system.indicators:
        by_heading.setdefault(ind.key.rsplit(".", 1)[0], set()).add(ind.points or "")
    assert all(len(v) == 1 for v in by_heading.values())
    # the 5.3 heading continues after a page break with an empty 考评内容 cell: same points
    p = system.indicator("5.3.(9)").points
    assert p == system.indicator("5.3.(1)").points
    assert p.startswith("1.完善行政执法程序") and p.endswith("6.创新行政执法方式。")
    assert p.count("\n") == 5


def test_whole_text_7_4_4(system: IndicatorSystem) -> None:
    ind = system.indicator("7.4.(4)")
    assert ind.level3.startswith("行政机关对属于本机关法定职权范围内的信访事项，依法受理，及时妥善处理")
    assert ind.level3.endswith("告知信访人依照法定程序向有关机关提出。")

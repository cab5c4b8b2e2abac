"""The whole-column check the engine takes for speed says "clean" exactly when every cell,
checked on its own, is clean: it may never let a cell through that the per-cell path would change."""

from __future__ import annotations

import itertools

import pytest

from xlbridge.check import cells
from xlbridge.ledger.layout import Kind

TRICKY = [
    "完成了行政复议案件办理", "已完成", "未完成", "是", "否", "0393-6980399", "13800138000",
    "http://www.gov.cn/a?b=1", "http://a.cn\nhttps://b.cn", "第一行\n第二行",
    " 前导空格", "尾随空格 ", "两个  空格", "行尾空格 \n下一行", "第一行\n 行首空格", "空行\n\n之后",
    "回车\r\n换行", "制表\t符", "控制\x07字符", "全角\u3000空格", "不换行\u00a0空格", "转义_x000D_序列", "下划线_x",
    "ｈｔｔｐ：／／全角", "１２３４５", "零宽\u200b空格", "竖线 | 旁边有空格", "a|b", "",
    # Clean, but with the Chinese characters dropped (the column is first searched in Latin-1)
    # their neighbours form a pair that would not be: "\n\n", "_x", "  ", " \n", "\n ".
    "一\n二\n三", "下_划x线", "一 二 三", "空 格\n换行", "换\n行 空格",
]
KINDS = [Kind.text, Kind.choice, Kind.urls, Kind.phone]


def per_cell(values: list[str | None], kind: Kind) -> bool:
    return all(v is None or v == "" or cells.already_clean(v, kind) for v in values)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.value)
def test_one_value_columns_agree_with_the_per_cell_check(kind: Kind) -> None:
    for value in TRICKY:
        assert (cells.clean_column([value], kind) is not None) == per_cell([value], kind), repr(value)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.value)
def test_joined_values_never_hide_or_invent_a_problem(kind: Kind) -> None:
    """Pairs and triples: joining cells must not create a match across them, nor hide one."""
    for combo in itertools.chain(itertools.permutations(TRICKY, 2), itertools.combinations(TRICKY, 3)):
        column = [*combo, None]
        got = cells.clean_column(column, kind)
        assert (got is not None) == per_cell(column, kind), combo
        if got is not None:
            assert got == [v or "" for v in column]


def test_non_text_values_always_take_the_per_cell_path() -> None:
    assert cells.clean_column(["已完成", 2021.0], Kind.text) is None
    assert cells.clean_column(["已完成", 0.0], Kind.choice) is None  # falsy, yet must be reported as a number
    assert cells.clean_column(["2021"], Kind.year) is None


@pytest.mark.parametrize("kind", list(Kind), ids=lambda k: k.value)
@pytest.mark.parametrize("typed", ["\t=1+1", "＝1+1", " =SUM(A1)", "\x01=1", "_x0009_=1", "\u3000=1", "\n=1"])
def test_clean_up_never_makes_a_leading_equals_sign(kind: Kind, typed: str) -> None:
    """Text typed with a tab, space, control character or full-width ＝ in front is text: clean-up
    must not turn it into what a spreadsheet or a CSV reader takes as a formula."""
    result = cells.normalise(typed, kind, [])
    assert not str(result).startswith("="), (typed, result)
    assert str(result).lstrip().lstrip("＝=") == typed.lstrip("\t\x01 \u3000\n").replace("_x0009_", "").lstrip("＝=")


def test_an_equals_sign_typed_first_is_kept_as_typed() -> None:
    assert cells.normalise("=1+1", Kind.text, []) == "=1+1"  # a formula typed as text stays that text

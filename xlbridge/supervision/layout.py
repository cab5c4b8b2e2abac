"""The inspection workbook's layout, declared once: the writer, the reader and the checks take
sheets, columns, choices and metadata keys from here.

检查 sheet:
    row 1   title
    row 2   被检查单位 | 检查轮次 | 考核体系            (pre-filled, locked)
    row 3   检查人 | 检查日期                          (input)
    row 4   column headers
    row 5…  one row per indicator of the unit: its state as of the round's month, locked; the
            inspection's inputs beside it.
整改复核 sheet: rectification items still open from earlier rounds, locked, with the review inputs.
"""

from __future__ import annotations

# A ledger's column and header-field declarations serve here too (扣分 is the one number input).
from xlbridge.ledger.layout import Column, HeaderField, Kind, numbered

KIND = "inspection"  # the metadata's kind: how the intake tells this workbook from a ledger
TEMPLATE_VERSION = "2"  # 2: the 加分 and 加分依据 inputs

INSPECTION_SHEET = "检查"
REVIEW_SHEET = "整改复核"
GUIDE_SHEET = "填写说明"
LISTS_SHEET = "选项"
META_SHEET = "xlbridge"  # as a ledger's: very hidden, the signature is the proof

CONFORM, MOSTLY, NONCONFORM, UNCHECKED = "符合", "基本符合", "不符合", "未检查"
CONCLUSIONS = (CONFORM, MOSTLY, NONCONFORM, UNCHECKED)
CLOSE, REJECT = "销号", "未通过"
REVIEWS = (CLOSE, REJECT)


INSPECTION_COLUMNS = numbered((
    Column("code", "指标编号", 9, locked=True),
    Column("level1", "一级指标", 14, locked=True),
    Column("indicator", "指标内容", 40, locked=True),
    Column("methods", "测评方法", 10, locked=True),
    Column("points", "分值", 7, locked=True),
    Column("reported", "报送月份", 9, locked=True),
    Column("progress", "完成进度", 9, locked=True),
    Column("description", "进度说明", 36, locked=True),
    Column("materials", "上报材料", 26, locked=True),
    Column("links", "网址链接", 24, locked=True),
    Column("conclusion", "检查结论", 10, Kind.choice, choices=CONCLUSIONS, list_name="检查结论选项",
           prompt="请选择：符合 / 基本符合 / 不符合 / 未检查"),
    Column("problem", "发现问题", 30, prompt="不符合、基本符合的，写明发现的问题"),
    Column("deduction", "扣分", 7, prompt="扣分不超过本指标分值；不扣分可不填"),
    Column("requirement", "整改要求", 30, prompt="不符合的，写明整改要求"),
    Column("due", "整改期限", 12, prompt="如 2021-07-31；不得早于本轮检查"),
    Column("awarded", "已加分", 7, locked=True),  # a 加分项's awards so far this campaign
    Column("bonus", "加分", 7, prompt="只有加分项可加分，与已加分合计不超过其分值；不加分可不填"),
    Column("bonus_reason", "加分依据", 24, prompt="加分的，写明依据（如 表彰文件名称、文号）"),
))
REVIEW_COLUMNS = numbered((
    Column("item", "事项编号", 9, locked=True),
    Column("code", "指标编号", 9, locked=True),
    Column("round", "提出轮次", 9, locked=True),
    Column("problem", "问题", 30, locked=True),
    Column("requirement", "整改要求", 30, locked=True),
    Column("due", "整改期限", 11, locked=True),
    Column("status", "状态", 8, locked=True),
    Column("measures", "单位整改措施", 30, locked=True),
    Column("review", "复核结论", 10, Kind.choice, choices=REVIEWS, list_name="复核结论选项",
           prompt="请选择：销号 / 未通过；未复核的留空"),
    Column("review_note", "复核说明", 30, prompt="未通过的，写明原因"),
))
INSPECTION_COLUMN = {c.key: c for c in INSPECTION_COLUMNS}
NUMBER_INPUTS = frozenset({"deduction", "bonus"})
BONUS_INPUTS = frozenset({"bonus", "bonus_reason"})  # open on a 加分项's row only: locked, grey, on the others
REVIEW_COLUMN = {c.key: c for c in REVIEW_COLUMNS}

TITLE_ROW, UNIT_ROW, INPUT_ROW, HEADER_ROW = 1, 2, 3, 4
FIRST_ROW = HEADER_ROW + 1
REVIEW_HEADER_ROW = 2
REVIEW_FIRST_ROW = REVIEW_HEADER_ROW + 1


HEADER_FIELDS = (
    HeaderField("unit", "被检查单位", UNIT_ROW, 1, 2, locked=True),
    HeaderField("round", "检查轮次", UNIT_ROW, 4, 5, locked=True),
    HeaderField("system", "考核体系", UNIT_ROW, 7, 8, locked=True),
    HeaderField("inspector", "检查人", INPUT_ROW, 1, 2, locked=False, prompt="检查组成员姓名"),
    HeaderField("inspected_on", "检查日期", INPUT_ROW, 4, 5, locked=False, prompt="如 2021-06-20"),
)
HEADER_FIELD = {f.key: f for f in HEADER_FIELDS}

# Signed, in this order (the signature covers every key but itself).
META_KEYS = ("kind", "unit", "system_id", "system_version", "campaign", "round", "template_version", "issued_at",
             "rows_digest", "items_digest", "signature")

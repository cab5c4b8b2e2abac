"""The catalogue of inspection-workbook rules: stable ids, severity, Chinese title. An
inspection with any error is returned whole (退回): a half-valid one would open items wrongly."""

from __future__ import annotations

from xlbridge.findings import Severity

E, W = Severity.error, Severity.warning

RULES: dict[str, tuple[Severity, str]] = {
    "file-unreadable": (E, "文件无法读取"),
    "signature-missing": (E, "缺少签名"),
    "signature-invalid": (E, "签名不正确"),
    "system-unknown": (E, "指标体系不符"),
    "system-changed": (E, "检查表生成后指标体系已变更"),
    "template-version": (E, "检查表模板版本不符"),
    "unit-unknown": (E, "被检查单位不在指标体系中"),
    "unit-mismatch": (E, "以其他单位的名义报送"),
    "sheet-missing": (E, "工作表被删除或改名"),
    "header-changed": (E, "表头被修改"),
    "prefilled-changed": (E, "预填（锁定）内容被修改，或行被删除、移动"),
    "round-already-stored": (E, "本单位本轮检查结果已收到"),
    "inspection-blank": (E, "检查表未填写任何结论"),
    "conclusion-missing": (E, "未填检查结论"),
    "conclusion-invalid": (E, "检查结论不在下拉选项中"),
    "problem-missing": (E, "不符合但未写发现问题"),
    "requirement-missing": (E, "不符合但未写整改要求"),
    "due-missing": (E, "不符合但未写整改期限"),
    "due-invalid": (E, "整改期限无法识别"),
    "due-before-round": (E, "整改期限早于本轮检查"),
    "deduction-invalid": (E, "扣分不是不小于 0 的数字"),
    "deduction-over-points": (E, "扣分超过指标分值"),
    "deduction-no-points": (W, "指标没有分值，扣分不计入得分"),
    "deduction-on-bonus": (E, "加分项不扣分"),
    "bonus-invalid": (E, "加分不是不小于 0 的数字"),
    "bonus-not-bonus-item": (E, "只有加分项可以加分"),
    "bonus-over-points": (E, "加分与已加分合计超过加分项分值"),
    "bonus-reason-missing": (E, "加分但未写加分依据"),
    "bonus-no-points": (W, "加分项没有分值，加分不计入得分"),
    "problem-when-conform": (W, "检查结论为符合，却写了问题或扣分"),
    "review-invalid": (E, "复核结论不是“销号”或“未通过”"),
    "review-note-missing": (E, "未通过但未写复核说明"),
    "review-item-unknown": (E, "复核的整改事项不存在、已销号或不属于本单位"),
    "inspector-missing": (W, "未填检查人"),
    "date-invalid": (W, "检查日期无法识别"),
}

REJECTING = frozenset(rule for rule, (severity, _) in RULES.items() if severity is E)


def severity(rule: str) -> Severity:
    return RULES[rule][0]

"""The catalogue of ledger rules: stable ids (used in findings, receipts, the store and tests),
their default severity and a Chinese title. Messages carry the specifics."""

from __future__ import annotations

from xlbridge.findings import Severity

E, W, I = Severity.error, Severity.warning, Severity.info

RULES: dict[str, tuple[Severity, str]] = {
    "file-unreadable": (E, "文件无法读取"),
    "file-over-limit": (E, "工作簿超出台账范围或大小上限"),
    "file-unsafe": (E, "工作簿无法安全读取"),
    "file-macros": (E, "工作簿含宏"),
    # template: is this the ledger we issued, for this unit, unaltered?
    "meta-missing": (E, "缺少台账标识（隐藏的 xlbridge 工作表）"),
    "signature-missing": (E, "缺少签名"),
    "signature-invalid": (E, "签名不正确"),
    "signature-unchecked": (I, "签名在报送时由综合协调组核验"),
    "unit-unknown": (E, "责任单位不在指标体系中"),
    "system-unknown": (E, "指标体系不符"),
    "system-carried-broken": (E, "随台账携带的指标体系已损坏"),
    "system-changed": (E, "台账生成后指标体系已变更"),
    "template-version": (E, "台账模板版本不符"),
    "header-changed": (E, "表头被修改"),
    "prefilled-changed": (E, "预填（锁定）内容被修改"),
    "row-missing": (E, "指标行被删除"),
    "row-order": (E, "指标行顺序被调整"),
    "code-unknown": (E, "指标编号不存在"),
    "code-unassigned": (E, "指标不属于本单位"),
    "row-duplicate": (E, "指标行重复"),
    "year-out-of-range": (E, "年度不在考核范围内"),
    "continuation-orphan": (E, "续行前没有指标行"),
    "continuation-extra": (W, "续行中填写了只应写在指标行的内容"),
    "cell-outside-layout": (W, "台账列以外填写了内容"),
    "cells-merged": (E, "指标行中有跨列或锁定的合并单元格"),
    # content
    "period-missing": (E, "未填报送月份"),
    "period-outside-campaign": (E, "报送月份不在考核年度内"),
    "period-future": (E, "报送月份尚未到来"),
    "period-other": (I, "报送月份与下发时不同"),
    "ledger-blank": (E, "台账未填写任何内容"),
    "contact-missing": (W, "未填责任人或联系电话"),
    "period-invalid": (E, "报送月份无法识别"),
    "date-invalid": (W, "填表时间无法识别"),
    "progress-missing": (E, "未填完成进度"),
    "progress-invalid": (E, "完成进度不是本行可选的值（常规：已完成/未完成；减分项：无此情形/存在此情形；加分项：申报加分/不申报）"),
    "description-missing-done": (E, "已完成但未写具体完成情况"),
    "description-missing-pending": (E, "未完成但未写正在推进情况"),
    "description-missing-present": (E, "存在减分情形但未写明情况和整改措施"),
    "claim-description-missing": (E, "申报加分但未写申报依据"),
    "claim-evidence-missing": (E, "申报加分但没有上报材料或网址链接作为佐证"),
    "description-long": (W, "进度说明超过500字"),
    "description-too-long": (E, "进度说明超过1000字"),
    "link-missing": (E, "网络检索类指标没有网址链接"),
    "link-malformed": (E, "网址链接格式不正确"),
    "secret-invalid": (E, "涉密栏不是“是”或“否”"),
    "secret-with-content": (E, "涉密材料填写了网址或材料内容"),
    "materials-missing": (W, "已完成但没有上报材料目录"),
    "phone-malformed": (E, "联系电话格式不正确"),
    "formula-in-input": (E, "填报单元格中含公式"),
    "formula-in-ledger": (E, "台账中含公式（不在填报单元格中）"),
    "external-link": (W, "工作簿含外部链接"),
    "text-too-long": (E, "单元格文字超过 Excel 上限"),
    # the 整改 sheet (ledger/rectification.py)
    "rectify-changed": (E, "整改事项的预填内容被修改或删除"),
    "rectify-completion-invalid": (E, "完成情况不是“已整改”或“整改中”"),
    "rectify-measures-missing": (E, "填了完成情况但未写整改措施"),
    "rectify-completion-missing": (E, "写了整改措施但未选完成情况"),
    "rectify-evidence-missing": (W, "已整改但未列佐证材料"),
    # normalisation (reported, not counted as problems)
    "normalised-width": (I, "全角数字/字母已转为半角"),
    "normalised-space": (I, "多余空格、换行已清除"),
    "normalised-number": (I, "数字已按文本/年度处理"),
    "normalised-date": (I, "日期已统一格式"),
    "normalised-control": (I, "不可见控制字符已删除"),
    "normalised-merged": (I, "合并单元格的内容已填入其中每一行"),
}


def severity(rule: str) -> Severity:
    return RULES[rule][0]

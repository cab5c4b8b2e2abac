"""The ledger's 整改 sheet checked: its locked cells as issued (the signed digest), and every
answer complete — 完成情况 from the list, 整改措施 with it, 佐证材料 for 已整改."""

from __future__ import annotations

from typing import Any

from xlbridge.check import cells
from xlbridge.check.rules import severity
from xlbridge.findings import Finding
from xlbridge.ledger import rectification as R
from xlbridge.normalise import cell_text


def check_rectification(rows: list[list[Any]] | None, meta: dict[str, str], file: str | None) -> tuple[list[Finding], list[R.Answer]]:
    """Findings about the 整改 sheet and the answers it holds (none when it was not issued one)."""
    findings: list[Finding] = []

    def add(rule: str, message: str, row: int | None = None, key: str | None = None, hint: str | None = None) -> None:
        column = R.COLUMN[key] if key else None
        findings.append(Finding(rule, severity(rule), message, hint, file, R.SHEET, row, R.INDEX[key] if key else None,
                                column.header if column else None))

    signed = meta.get("items_digest")
    if not signed:
        return [], []  # issued without items; a 整改 sheet added by hand is not read
    if rows is None:
        add("rectify-changed", "整改工作表被删除", hint="请使用下发的台账，不要删除“整改”工作表")
        return findings, []
    table = [(n, {c.key: (raw[R.INDEX[c.key] - 1] if R.INDEX[c.key] - 1 < len(raw) else None) for c in R.COLUMNS})
             for n, raw in enumerate(rows[R.FIRST_ROW - 1:], start=R.FIRST_ROW)]
    while table and all(v in (None, "") for v in table[-1][1].values()):
        table.pop()
    if R.digest([values for _, values in table]) != signed:
        add("rectify-changed", "整改事项的灰色（锁定）内容与下发时不一致，或有行被删除、插入、移动",
            hint="请在下发的台账上填写，不要改动整改事项")
        return findings, []
    answers = []
    for n, v in table:
        measures, evidence = cells.as_text(v["measures"], []), cells.as_text(v["evidence"], [])
        completion = cells.as_compact(v["completion"], [])
        if completion and completion not in R.COMPLETIONS:
            add("rectify-completion-invalid", f"完成情况应为“已整改”或“整改中”，实为「{completion[:20]}」", n, "completion",
                hint="请从下拉列表选择")
            continue
        if completion and not measures:
            add("rectify-measures-missing", "已填完成情况，请写明整改措施", n, "measures")
        elif measures and not completion:
            add("rectify-completion-missing", "已写整改措施，请选择完成情况（已整改 / 整改中）", n, "completion")
        elif completion == R.DONE and not evidence:
            add("rectify-evidence-missing", "已整改的，请列出佐证材料", n, "evidence")
        if completion and measures:
            answers.append(R.Answer(n, int(cell_text(v["item"]) or 0), measures, completion, evidence))
    return findings, answers

"""A unit's receipt (回执) for one submission: accepted or rejected and why, every finding
with its cell, and what changed since the unit's previous accepted submission."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlite_utils

from xlbridge.service import store
from xlbridge.findings import SEVERITY_LABELS, Severity
from xlbridge.service.workspace import Workspace
from xlbridge.xlsx.owned import owned_workbook, text, write_table

UNKNOWN_UNIT_DIR = "未识别单位"
_FIRST = "本考核年度首次报送，没有可比较的上次报送"
_CHANGE_FIELDS = {"progress": "完成进度", "description": "进度说明", "materials": "上报材料", "links": "网址链接",
                  "secret": "涉密", "person": "责任人", "phone": "联系电话"}


def receipt_path(ws: Workspace, submission: dict[str, Any]) -> Path:
    unit = submission["unit"] or submission["claimed_unit"] or UNKNOWN_UNIT_DIR
    # The name may come from a rejected file's own metadata: never a path outside outbox/ ("..").
    safe = "".join(ch for ch in unit if ch.isprintable() and ch not in '\\/:*?"<>|')[:60].strip(" .") or UNKNOWN_UNIT_DIR
    stem = Path(submission["file_name"]).stem[:60]
    return ws.outbox / safe / f"回执_{submission['id']:06d}_{stem}.xlsx"


def write_receipt(ws: Workspace, db: sqlite_utils.Database, submission_id: int) -> Path:
    sub = db["submissions"].get(submission_id)
    findings = list(db["findings"].rows_where("submission_id = ?", [submission_id], order_by="row, col, id"))
    changes = _changes(db, sub) if sub["status"] == "accepted" else []
    path = receipt_path(ws, sub)
    with owned_workbook(path, small=True) as (wb, st):
        _summary_sheet(wb.add_worksheet("回执"), st, sub, changes)
        _findings_sheet(wb.add_worksheet("问题清单"), st, findings)
        _changes_sheet(wb.add_worksheet("变化"), st, changes, sub)
    return path


def _summary_sheet(ws: Any, st: Any, sub: dict[str, Any], changes: list[tuple[Any, ...]] | None) -> None:
    accepted = sub["status"] == "accepted"
    ws.set_column(0, 0, 16)
    ws.set_column(1, 1, 80)
    ws.write_string(0, 0, "台账报送回执", st.title)
    verdict = "已接收" if accepted else "已退回，未计入汇总"
    if accepted and sub["errors"]:
        verdict = f"已接收，但有 {sub['errors']} 个错误需整改（见“问题清单”），请修改后重新报送"
    items = [
        ("报送单位", sub["unit"] or sub["claimed_unit"] or "（无法识别）"),
        ("文件名", sub["file_name"]),
        ("收到时间", sub["received_at"]),
        ("报送月份", sub["period"]),
        ("处理结果", verdict),
        ("退回原因", sub["reason"] or ("无" if accepted else "")),
        ("错误 / 警告", f"{sub['errors']} 个错误，{sub['warnings']} 个警告"),
        ("签名核验", {"valid": "通过", "invalid": "不通过", "missing": "缺少签名", "unchecked": "未核验"}.get(sub["signature"], "")),
        ("指标行数", str(sub["rows"] or 0)),
        ("与上次相比", "—" if not accepted else _FIRST if changes is None else f"{len(changes)} 处变化（见“变化”）"),
        ("文件指纹", sub["sha256"]),
        ("说明", "原始文件已存档，不会丢失。退回的台账请按“问题清单”修改后重新报送；"
                 "涉密材料只报纸质件。如有疑问请联系综合协调组。"),
    ]
    for row, (label, value) in enumerate(items, start=2):
        ws.write_string(row, 0, label, st.header)
        style = (st.ok if accepted and not sub["errors"] else st.bad) if label == "处理结果" else st.text
        ws.write_string(row, 1, text(value), style)


def _findings_sheet(ws: Any, st: Any, findings: list[dict[str, Any]]) -> None:
    headers = ["级别", "工作表", "单元格", "栏目", "规则", "说明", "建议"]
    row = write_table(ws, 0, headers, [7, 8, 8, 14, 22, 60, 36], st)
    shown = [f for f in findings if f["severity"] != Severity.info.value] + [f for f in findings if f["severity"] == Severity.info.value]
    for f in shown:
        severity = Severity(f["severity"])
        style = {Severity.error: st.error, Severity.warning: st.warning}.get(severity, st.text)
        cell = f["cell"] or (f"第{f['row']}行" if f["row"] else "")
        values = [SEVERITY_LABELS[severity], f["sheet"], cell, f["field"], f["rule"], f["message"], f["hint"]]
        for col, value in enumerate(values):
            ws.write_string(row, col, text(value), style)
        row += 1
    if not findings:
        ws.write_string(row, 0, "没有发现问题", st.ok)


def _changes(db: sqlite_utils.Database, sub: dict[str, Any]) -> list[tuple[Any, ...]] | None:
    """Field changes since the unit's previous accepted submission; None for its first one
    (listing every filled cell as "new" would bury the receipt)."""
    previous = store.previous_accepted(db, sub["system_id"], sub["campaign"], sub["unit"], sub["id"])
    if previous is None:
        return None
    now = store.submission_rows(db, sub["id"])
    before = store.submission_rows(db, previous)
    out = []
    for identity in sorted(now, key=lambda k: (k[0], now[k]["sheet_row"] or 0)):
        old, new = before.get(identity), now[identity]
        for field, label in _CHANGE_FIELDS.items():
            was = (old or {}).get(field)
            if text(was) != text(new[field]) and (old or new[field] not in (None, "", 0)):
                out.append((identity[0], identity[1], label, _shown(field, was), _shown(field, new[field])))
    return out


def _changes_sheet(ws: Any, st: Any, changes: list[tuple[Any, ...]] | None, sub: dict[str, Any]) -> None:
    row = write_table(ws, 0, ["年度", "指标编号", "栏目", "上次报送", "本次报送"], [7, 10, 12, 50, 50], st)
    for change in changes or []:
        for col, value in enumerate(change):
            ws.write_string(row, col, text(value), st.text)
        row += 1
    if not changes:
        note = "退回的报送不比较变化" if sub["status"] != "accepted" else _FIRST if changes is None else "与上次相比没有变化"
        ws.write_string(row, 0, note, st.text)


def _shown(field: str, value: Any) -> Any:
    if field == "secret" and value is not None:
        return "是" if value else "否"
    return value

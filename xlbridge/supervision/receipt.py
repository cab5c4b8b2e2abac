"""The receipt (回执) for an inspection workbook, in outbox/督导检查/<轮次>/: accepted or returned
and why, every finding with its sheet and cell, the bonus it awarded, and the rectification items
it opened, closed or sent back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlite_utils

from xlbridge.findings import SEVERITY_LABELS, Severity
from xlbridge.service.workspace import Workspace, folder_name
from xlbridge.xlsx.owned import fit_name, owned_workbook, text, write_table
from xlbridge.xlsx.printing import Page, row_height, setup_xlsxwriter

FOLDER = "督导检查"


def round_folder(ws: Workspace, round_: str | None) -> Path:
    return ws.outbox / FOLDER / folder_name(round_, "轮次不明")  # the round comes from the file: never "../.."


def write_inspection_receipt(ws: Workspace, db: sqlite_utils.Database, inspection_id: int, *, duplicate: bool = False,
                             file_name: str = "") -> Path:
    inspection = dict(db["inspections"].get(inspection_id))
    unit = ws.unit_outbox(inspection["unit"]).name
    tag = "重复" if duplicate else f"{inspection_id:06d}"
    path = round_folder(ws, inspection["round"]) / fit_name(f"回执_{unit}_{inspection['round'] or ''}_{tag}", ".xlsx")
    accepted = inspection["status"] == "accepted"
    verdict = "已接收" if accepted else "已退回，未计入"
    if duplicate:
        verdict = f"重复报送：与 {inspection['received_at'][:16].replace('T', ' ')} 收到的 {inspection['file_name']} 相同，未重复计入"
    changes = _item_changes(db, inspection_id)
    score = db.execute("SELECT full_marks, deductions, score, COALESCE(bonus, 0) FROM scores WHERE inspection_id = ?",
                       [inspection_id]).fetchone()
    awarded = "；".join(f"指标 {b['indicator_key']} 加 {b['bonus']:g} 分：{b['bonus_reason']}"
                        for b in db["bonuses"].rows_where("inspection_id = ?", [inspection_id], order_by="id"))
    items = [("被检查单位", inspection["unit"] or "（无法识别）"), ("检查轮次", inspection["round"] or "（无法确定）"),
             ("文件名", file_name or inspection["file_name"]), ("收到时间", inspection["received_at"].replace("T", " ")[:16]),
             ("检查人", inspection["inspector"] or ""), ("处理结果", verdict), ("退回原因", inspection["reason"] or "无"),
             ("错误 / 警告", f"{inspection['errors']} 个错误，{inspection['warnings']} 个警告"),
             ("整改事项", _counts(changes)),
             ("加分", awarded or "无"),
             ("本轮得分", f"{score[2]:g}（满分 {score[0]:g}，扣 {score[1]:g} 分" + (f"，加 {score[3]:g} 分" if score[3] else "")
              + "）" if score else "—"),
             ("说明", "原始文件已存档。退回的检查表请按“问题清单”修改后重新报送。")]
    findings = list(db["inspection_findings"].rows_where("inspection_id = ?", [inspection_id], order_by="sheet, row, col, id"))
    title = f"督导检查结果回执 — {inspection['unit'] or unit}"
    with owned_workbook(path, small=True) as (wb, st):
        sheet = wb.add_worksheet("回执")
        widths = (14, 80)  # one portrait page wide
        for col, width in enumerate(widths):
            sheet.set_column(col, col, width)
        sheet.write_string(0, 0, "督导检查结果回执", st.title)
        for row, (label, value) in enumerate(items, start=2):
            sheet.set_row(row, row_height([(label, widths[0]), (text(value), widths[1])]))
            sheet.write_string(row, 0, label, st.header)
            sheet.write_string(row, 1, text(value), st.ok if label == "处理结果" and accepted and not duplicate else st.text)
        setup_xlsxwriter(sheet, Page(title, widths, len(items) + 1, landscape=False))
        _rows(wb.add_worksheet("问题清单"), st, title, ["级别", "工作表", "单元格", "规则", "说明", "建议"], [7, 10, 8, 22, 60, 36],
              [[SEVERITY_LABELS[Severity(f["severity"])], f["sheet"], f["cell"] or (f"第{f['row']}行" if f["row"] else ""),
                f["rule"], f["message"], f["hint"]] for f in findings], "没有发现问题")
        _rows(wb.add_worksheet("整改事项"), st, title, ["事项编号", "指标编号", "变化", "问题", "整改要求", "整改期限", "说明"],
              [9, 9, 14, 40, 40, 11, 30], changes, "本次检查没有整改事项的变化")
    return path


def _item_changes(db: sqlite_utils.Database, inspection_id: int) -> list[list[Any]]:
    sql = """SELECT i.id, i.indicator_key, h.old_status, h.new_status, i.problem, i.requirement, i.due, h.note
             FROM rectification_history h JOIN rectification_items i ON i.id = h.item_id
             WHERE h.source = 'inspection' AND h.ref = ? ORDER BY h.id"""
    return [[str(i), code, f"{old} → {new}" if old else f"新提出（{new}）", problem, requirement, due, note]
            for i, code, old, new, problem, requirement, due, note in db.execute(sql, [inspection_id])]


def _counts(changes: list[list[Any]]) -> str:
    new = sum(1 for c in changes if c[2].startswith("新提出"))
    closed = sum(1 for c in changes if c[2].endswith("已销号"))
    back = len(changes) - new - closed
    return f"新提出 {new} 项，销号 {closed} 项，复核未通过 {back} 项" if changes else "无"


def _rows(ws: Any, st: Any, title: str, headers: list[str], widths: list[float], rows: list[list[Any]],
          empty: str) -> None:
    row = write_table(ws, 0, headers, widths, st)
    for values in rows:
        ws.set_row(row, row_height((text(v), w) for v, w in zip(values, widths)))
        for col, value in enumerate(values):
            ws.write_string(row, col, text(value), st.text)
        row += 1
    if not rows:
        ws.write_string(row, 0, empty, st.ok)
        row += 1
    setup_xlsxwriter(ws, Page(title, widths, row - 1, header_rows=(0, 0)))

"""A unit's receipt (回执) for one submission: accepted or rejected and why, every finding
with its cell, and what changed since the unit's previous accepted submission."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from xlbridge.findings import SEVERITY_LABELS, Severity
from xlbridge.ledger.layout import LEDGER_SHEET, PROGRESS_CLAIMED, PROGRESS_PRESENT
from xlbridge.ledger.signature import SIGNATURE_LABELS
from xlbridge.service import open_items, store
from xlbridge.service.consolidate import deadline_for, local_time
from xlbridge.service.next_ledgers import following_month, next_ledger_path
from xlbridge.service.workspace import Workspace
from xlbridge.xlsx.owned import Styles, fit_name, text, write_table
from xlbridge.xlsx.printing import Page, row_height, row_heights, setup_xlsxwriter
from xlbridge.xlsx.replayed import replayed_workbook

_NO_MONTH = "月份不明"
_FIRST = "本考核年度首次报送，没有可比较的上次报送"
_CHANGE_FIELDS = {"progress": "完成进度", "description": "进度说明", "materials": "上报材料", "links": "网址链接",
                  "secret": "涉密", "person": "责任人", "phone": "联系电话"}


def receipt_path(ws: Workspace, submission: dict[str, Any], tag: str | None = None) -> Path:
    """outbox/<单位>/回执_<单位>_<YYYY-MM>_<n>.xlsx; ``tag`` replaces the number (a duplicate's receipt)."""
    folder = ws.unit_outbox(submission["unit"] or submission["claimed_unit"])
    number = tag or f"{submission['id']:06d}"
    return folder / fit_name(f"回执_{folder.name}_{submission['period'] or _NO_MONTH}_{number}", ".xlsx")


# How a receipt's workbook is written: from a package xlsxwriter builds once per shape (xlsx/replayed.py);
# a test writes the same receipt through xlsxwriter itself (owned_workbook) and compares the two.
Writer = Callable[[Path], AbstractContextManager[tuple[Any, Styles]]]


def write_duplicate_receipt(ws: Workspace, first: dict[str, Any], file_name: str, workbook: Writer = replayed_workbook) -> Path:
    """A short receipt for bytes already accepted: when they first came, nothing stored twice."""
    stamp = datetime.now()
    path = receipt_path(ws, first, tag=f"重复_{stamp:%Y%m%d-%H%M%S}")
    items = [("报送单位", path.parent.name), ("文件名", file_name), ("收到时间", f"{stamp:%Y-%m-%d %H:%M}"),
             ("处理结果", "重复报送：内容与已接收的文件完全相同，未重复计入"),
             ("首次收到", f"{local_time(first['received_at'])}（{first['file_name']}，{first['period']} 台账）"),
             ("文件指纹", first["sha256"])]
    with workbook(path) as (wb, st):
        sheet = wb.add_worksheet("回执")
        _print_form(sheet, path, _form(sheet, st, "台账报送回执（重复报送）", items) - 1)
    return path


def write_refusal_receipt(ws: Workspace, unit: str | None, name: str, kind: str, workbook: Writer = replayed_workbook) -> Path:
    """The receipt of an inbox entry that is no regular file (a symlink, a FIFO…): never read,
    moved to inbox-rejected/, nothing stored. Named like a rejection's, with the time and a tag."""
    stamp = datetime.now()
    tag = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:6]
    path = receipt_path(ws, {"unit": unit, "claimed_unit": None, "period": None},
                        tag=f"退回_{stamp:%Y%m%d-%H%M%S}_{tag}")
    items = [("报送单位", unit or "（无法识别）"), ("文件名", name), ("收到时间", f"{stamp:%Y-%m-%d %H:%M}"),
             ("处理结果", "已退回，未读取，未计入汇总"),
             ("退回原因", (f"收件箱中的“{name}”是{kind}，不是普通文件。为安全起见，系统不读取、不跟随这类条目，"
                          "已把它移出收件箱（移到 inbox-rejected/）")),
             ("说明", ("请把填好的台账文件本身（.xlsx）放入收件箱，不要放快捷方式、链接或其他特殊文件。"
                     "如有疑问请联系综合协调组。"))]
    with workbook(path) as (wb, st):
        sheet = wb.add_worksheet("回执")
        _print_form(sheet, path, _form(sheet, st, "台账报送回执（已退回）", items, {"处理结果": st.bad}) - 1)
    return path


_FORM_WIDTHS = (14, 8, 19, 10, 25, 20)  # one portrait A4 page wide
_FINDING_HEADERS = ("级别", "单元格", "指标", "栏目", "说明", "建议")
_finding_height = row_heights(list(enumerate(_FORM_WIDTHS)))


def _form(ws: Any, st: Any, title: str, items: list[tuple[str, Any]], styles: dict[str, Any] | None = None) -> int:
    """A receipt's first sheet: the title, then label and value side by side (the value across
    the columns the findings below use). Returns the next free row."""
    for col, width in enumerate(_FORM_WIDTHS):
        ws.set_column(col, col, width)
    ws.set_row(0, 24)
    ws.write_string(0, 0, title, st.title)
    last = len(_FORM_WIDTHS) - 1
    value_width = sum(_FORM_WIDTHS[1:])
    row = 2
    for label, value in items:
        value = text(value)
        ws.set_row(row, row_height([(label, _FORM_WIDTHS[0]), (value, value_width)]))
        ws.write_string(row, 0, label, st.header)
        ws.merge_range(row, 1, row, last, value, (styles or {}).get(label, st.text))
        row += 1
    return row


def _print_form(ws: Any, path: Path, last_row: int, findings_header: int | None = None) -> None:
    """One portrait page wide; a long list of findings repeats its header row on every later page."""
    header_rows = (findings_header, findings_header) if findings_header is not None else None
    setup_xlsxwriter(ws, Page(_print_title(path), _FORM_WIDTHS, last_row, header_rows=header_rows, landscape=False))


def _print_title(path: Path) -> str:
    """The page header of a receipt's pages: whose receipt it is (its folder is the unit's)."""
    return f"台账报送回执 — {path.parent.name}"


def write_receipt(ws: Workspace, db: sqlite_utils.Database, submission_id: int, workbook: Writer = replayed_workbook) -> Path:
    sub = db["submissions"].get(submission_id)
    findings = list(db["findings"].rows_where("submission_id = ?", [submission_id], order_by="row, col, id"))
    changes = _changes(db, sub) if sub["status"] == "accepted" else []
    path = receipt_path(ws, sub)
    counted = _counted(db, sub) if sub["status"] == "accepted" else ""
    timing = _timing(ws, sub)
    indicators = _finding_indicators(db, sub)
    with workbook(path) as (wb, st):
        sheet = wb.add_worksheet("回执")
        row = _summary_sheet(sheet, st, sub, changes, counted, timing, _next_ledger(ws, sub),
                             _declared(db, sub) if sub["status"] == "accepted" else "")
        end, findings_header = _findings(sheet, st, row + 1, findings, indicators)
        _print_form(sheet, path, end - 1, findings_header)
        if changes:
            _changes_sheet(wb.add_worksheet("变化"), st, changes, _print_title(path))
        _items_sheet(wb, st, db, sub, _print_title(path))
    return path


def _items_sheet(wb: Any, st: Any, db: sqlite_utils.Database, sub: dict[str, Any], title: str) -> None:
    """The unit's rectification items (service/open_items.py): answered by this file, still open."""
    items = open_items.source()
    rows = items.receipt_rows(db, sub) if items and sub["status"] == "accepted" else []
    if not rows:
        return
    ws = wb.add_worksheet("整改")
    widths = [9, 9, 6, 40, 11, 9, 50]
    row = write_table(ws, 0, ["事项编号", "指标编号", "重点", "问题", "整改期限", "状态", "本次答复"], widths, st)
    for values in rows:
        values = [text(v) for v in values]
        ws.set_row(row, row_height(zip(values, widths)))
        for col, value in enumerate(values):
            ws.write_string(row, col, value, st.bad if values[2] else st.text)
        row += 1
    setup_xlsxwriter(ws, Page(title, widths, row - 1, header_rows=(0, 0)))


def _counted(db: sqlite_utils.Database, sub: dict[str, Any]) -> str:
    """What this submission replaced, or that a later month keeps the current state."""
    later = store.later_period(db, sub["system_id"], sub["campaign"], sub["unit"], sub["period"])
    same = store.counting_submission(db, sub["system_id"], sub["campaign"], sub["unit"], sub["period"], exclude=sub["id"])
    parts = []
    if same and same["period"] == sub["period"] and same["received_at"] <= sub["received_at"]:
        when = datetime.fromisoformat(same["received_at"])
        parts.append(f"替换 {when.month}月{when.day}日 报送的 {same['period']} 台账")
    if later:
        parts.append(f"{later} 已报送，本份只计入 {sub['period']}")
    return "；".join(parts) or f"计入 {sub['period']}"


def _next_ledger(ws: Workspace, sub: dict[str, Any]) -> str:
    """Where the daemon puts the unit's pre-filled ledger for the following month."""
    month = following_month(sub["period"]) if sub["status"] == "accepted" and sub["period"] else None
    if not month or ws.next_ledgers == "off":
        return ""
    return f"{next_ledger_path(ws, sub['unit'], month).name}（已按本次报送预填，由综合协调组下发，或见 outbox/{ws.unit_outbox(sub['unit']).name}/）"


def _timing(ws: Workspace, sub: dict[str, Any]) -> str:
    if not sub["period"]:
        return "—"
    deadline = deadline_for(sub["period"], ws.deadline_day)
    on_time = datetime.fromisoformat(sub["received_at"]) < deadline
    return f"{'按时' if on_time else '逾期'}（截止时间：{deadline:%Y-%m-%d} 前）"


def _finding_indicators(db: sqlite_utils.Database, sub: dict[str, Any]) -> dict[int, str]:
    """Sheet row → indicator code and short text, for the findings list (accepted files only)."""
    # ledger_rows, not the view `rows`: its texts are not needed here
    sql = """SELECT r.sheet_row, i.code, COALESCE(NULLIF(i.level3, ''), i.points) FROM ledger_rows r
             JOIN indicators i ON i.system_id = ? AND i.system_version = ? AND i.key = r.indicator_key
             WHERE r.submission_id = ?"""
    params = [sub["system_id"], sub["system_version"], sub["id"]]
    return {row: f"{code} {(name or '')[:20]}" for row, code, name in db.execute(sql, params)}


def _declared(db: sqlite_utils.Database, sub: dict[str, Any]) -> str:
    """The 减分项 this file declares 存在此情形 and the 加分项 it claims (counted in no done-rate)."""
    sql = """SELECT r.progress, i.code FROM ledger_rows r
             JOIN indicators i ON i.system_id = ? AND i.system_version = ? AND i.key = r.indicator_key
             WHERE r.submission_id = ? AND r.progress IN (?, ?) ORDER BY r.sheet_row"""
    found: dict[str, list[str]] = {PROGRESS_PRESENT: [], PROGRESS_CLAIMED: []}
    for progress, code in db.execute(sql, [sub["system_id"], sub["system_version"], sub["id"], *found]):
        if code not in found[progress]:
            found[progress].append(code)
    parts = [f"存在此情形的减分项 {'、'.join(found[PROGRESS_PRESENT])}" if found[PROGRESS_PRESENT] else "",
             f"申报加分 {'、'.join(found[PROGRESS_CLAIMED])}（由督导检查组审核认定）" if found[PROGRESS_CLAIMED] else ""]
    return "；".join(p for p in parts if p)


def _summary_sheet(ws: Any, st: Any, sub: dict[str, Any], changes: list[tuple[Any, ...]] | None,
                   counted: str, timing: str, next_ledger: str = "", declared: str = "") -> int:
    accepted = sub["status"] == "accepted"
    verdict = "已接收" if accepted else "已退回，未计入汇总"
    if accepted and sub["errors"]:
        verdict = f"已接收，但有 {sub['errors']} 个错误需整改（见下方问题清单），请修改后重新报送"
    items = [
        ("报送单位", sub["unit"] or sub["claimed_unit"] or "（无法识别）"),
        ("文件名", sub["file_name"]),
        ("收到时间", local_time(sub["received_at"])),
        ("报送月份", sub["period"] or "（无法确定）"),
        ("是否按时", timing),
        ("计入情况", counted or "未计入"),
        *([("下月台账", next_ledger)] if next_ledger else []),
        ("处理结果", verdict),
        ("退回原因", sub["reason"] or ("无" if accepted else "")),
        ("错误 / 警告", f"{sub['errors']} 个错误，{sub['warnings']} 个警告"),
        ("签名核验", SIGNATURE_LABELS.get(sub["signature"], "")),
        ("指标行数", str(sub["rows"] or 0)),
        *([("加分项 / 减分项", declared)] if declared else []),
        ("与上次相比", "—" if not accepted else _FIRST if changes is None else f"{len(changes)} 处变化（见“变化”工作表）" if changes else "没有变化"),
        ("文件指纹", sub["sha256"]),
        ("说明", ("原始文件已存档，不会丢失。退回的台账请按下方问题清单修改后重新报送；"
                 "涉密材料只报纸质件。如有疑问请联系综合协调组。")),
    ]
    return _form(ws, st, "台账报送回执", items, {"处理结果": st.ok if accepted and not sub["errors"] else st.bad})


def _findings(ws: Any, st: Any, row: int, findings: list[dict[str, Any]],
              indicators: dict[int, str]) -> tuple[int, int | None]:
    """Below the form: every finding with its cell and indicator, problems first. Returns the next
    free row and the row of the findings' column headers (None when there are none)."""
    counts = Counter(Severity(f["severity"]) for f in findings)
    said = "，".join(f"{SEVERITY_LABELS[s]} {counts[s]} 条" for s in Severity if counts[s])
    ws.write_string(row, 0, f"问题清单（{said}）" if findings else "问题清单", st.section)
    row += 1
    if not findings:
        ws.merge_range(row, 0, row, len(_FORM_WIDTHS) - 1, "没有发现问题", st.ok)
        return row + 1, None
    header = row
    for col, label in enumerate(_FINDING_HEADERS):
        ws.write_string(row, col, label, st.header)
    row += 1
    shown = [f for f in findings if f["severity"] != Severity.info.value] + [f for f in findings if f["severity"] == Severity.info.value]
    for f in shown:
        severity = Severity(f["severity"])
        style = {Severity.error: st.error, Severity.warning: st.warning}.get(severity, st.text)
        cell = f["cell"] or (f"第{f['row']}行" if f["row"] else "")
        if cell and f["sheet"] and f["sheet"] != LEDGER_SHEET:
            cell = f"{f['sheet']}!{cell}"
        values = [text(v) for v in (SEVERITY_LABELS[severity], cell, indicators.get(f["row"], ""), f["field"],
                                    f["message"], f["hint"])]
        ws.set_row(row, _finding_height(values))
        for col, value in enumerate(values):
            ws.write_string(row, col, value, style)
        row += 1
    return row, header


def _changes(db: sqlite_utils.Database, sub: dict[str, Any]) -> list[tuple[Any, ...]] | None:
    """Field changes since the unit's previous accepted submission; None for its first one
    (listing every filled cell as "new" would bury the receipt)."""
    previous = store.previous_accepted(db, sub["system_id"], sub["campaign"], sub["unit"], sub["id"])
    if previous is None:
        return None
    before = store.submission_values(db, previous)
    # Rows stored exactly as before (most of a carried-forward month) are passed over whole, at C
    # speed; a text cell that refers to the same stored text as before is unchanged: only the others are read.
    now = {k: row for k, row in store.submission_values(db, sub["id"]).items() if before.get(k) != row}
    wanted: set[int] = set()
    for identity, new in now.items():
        old = before.get(identity)
        for field in store.TEXT_FIELDS:
            if old is None or old[field] != new[field]:
                wanted.update(i for i in (new[field], old and old[field]) if i is not None)
    texts = store.texts_by_id(db, wanted)
    out = []
    for identity in sorted(now, key=lambda k: (k[0], now[k]["sheet_row"] or 0)):
        old, new = before.get(identity), now[identity]
        for field, label in _CHANGE_FIELDS.items():
            if field in store.TEXT_FIELDS:
                if old is not None and old[field] == new[field]:
                    continue
                was, is_now = texts.get((old or {}).get(field)), texts.get(new[field])  # type: ignore[arg-type]
            else:
                was, is_now = (old or {}).get(field), new[field]
            if text(was) != text(is_now) and (old or is_now not in (None, "", 0)):
                out.append((identity[0], identity[1], label, _shown(field, was), _shown(field, is_now)))
    return out


_CHANGE_WIDTHS = (7, 10, 12, 50, 50)
_change_height = row_heights(list(enumerate(_CHANGE_WIDTHS)))


def _changes_sheet(ws: Any, st: Any, changes: list[tuple[Any, ...]], title: str) -> None:
    row = write_table(ws, 0, ["年度", "指标编号", "栏目", "上次报送", "本次报送"], list(_CHANGE_WIDTHS), st)
    for change in changes:
        values = [text(v) for v in change]
        ws.set_row(row, _change_height(values))
        for col, value in enumerate(values):
            ws.write_string(row, col, value, st.text)
        row += 1
    setup_xlsxwriter(ws, Page(title, _CHANGE_WIDTHS, row - 1, header_rows=(0, 0)))


def _shown(field: str, value: Any) -> Any:
    if field == "secret" and value is not None:
        return "是" if value else "否"
    return value

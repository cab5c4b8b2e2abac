"""The supervision group's tables, in the coordination group's store (the same SQLite file),
created here idempotently: the service's store knows nothing of them. Documented in the README
("The store"), readable with plain SQLite.

inspections            one row per inspection workbook received (accepted or rejected)
inspection_rows        each indicator's conclusion, problem, deduction, requirement, deadline
inspection_findings    every finding of every inspection workbook
rectification_items    整改事项: one per problem found, current status
rectification_history  every change of an item, who and when; only ever inserted
scores                 a unit's score as each accepted inspection left it
bonuses                加分: every bonus awarded, by an inspection or `xlbridge bonus add`; revoked, never deleted
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlite_utils

from xlbridge.findings import Finding

TABLES = ("inspections", "inspection_rows", "inspection_findings", "rectification_items", "rectification_history",
          "scores", "bonuses")
# ``store export``: each table's file name, and the columns the service's export does not name already.
EXPORTED = dict(zip(TABLES, ("督导检查", "检查结果", "检查表问题清单", "整改事项", "整改事项变更记录", "检查得分",
                             "加分记录")))
# Columns added to a table after it was first made: stores from before get them (empty) on first use.
_ADDED = {"inspection_rows": {"bonus": float, "bonus_reason": str}, "scores": {"bonus": float}}
HEADERS = {
    "points": "分值", "round": "检查轮次", "inspector": "检查人", "inspected_on": "检查日期", "inspection_id": "检查编号",
    "conclusion": "检查结论", "problem": "问题", "deduction": "扣分", "requirement": "整改要求", "due": "整改期限",
    "source": "来源", "measures": "整改措施", "completion": "完成情况", "evidence": "佐证材料", "created_at": "提出时间",
    "created_by": "提出人", "item_id": "事项编号", "at": "时间", "by": "操作人", "old_status": "原状态",
    "new_status": "新状态", "note": "说明", "ref": "依据编号", "full_marks": "满分", "deductions": "扣分合计",
    "score": "得分", "equal_weights": "等权重计分", "bonus": "加分", "bonus_reason": "加分依据",
    "month": "计入月份", "revoked_at": "撤销时间", "revoked_by": "撤销人", "revoke_reason": "撤销原因",
}


def has_tables(db: sqlite_utils.Database) -> bool:
    """Whether the supervision group has started here (its first tables exist, perhaps from an
    earlier release: ensure_tables brings them up to date)."""
    return "rectification_items" in db.table_names()


def ensure_tables(db: sqlite_utils.Database) -> sqlite_utils.Database:
    if set(TABLES) <= set(db.table_names()):  # bonuses came last, with the columns added in _create
        return db
    with db.atomic():
        _create(db)
    return db


def _create(db: sqlite_utils.Database) -> None:
    names = set(db.table_names())
    for table, columns in _ADDED.items():
        if table in names:
            missing = {c: t for c, t in columns.items() if c not in db[table].columns_dict}
            for column, type_ in missing.items():
                db[table].add_column(column, type_)
    if "inspections" not in names:
        db["inspections"].create(
            {"id": int, "sha256": str, "file_name": str, "archive_path": str, "size": int, "received_at": str,
             "processed_at": str, "unit": str, "claimed_unit": str, "system_id": str, "campaign": int, "round": str,
             "inspector": str, "inspected_on": str, "signature": str, "status": str, "reason": str, "errors": int,
             "warnings": int},
            pk="id", not_null={"sha256", "file_name", "received_at", "status"})
        db["inspections"].create_index(["sha256"])
        db["inspections"].create_index(["system_id", "campaign", "unit", "round", "status"])
    if "inspection_rows" not in names:
        db["inspection_rows"].create(
            {"id": int, "inspection_id": int, "indicator_key": str, "sheet_row": int, "points": float,
             "conclusion": str, "problem": str, "deduction": float, "requirement": str, "due": str, "bonus": float,
             "bonus_reason": str},
            pk="id", foreign_keys=[("inspection_id", "inspections", "id")])
        db["inspection_rows"].create_index(["inspection_id"])
    if "inspection_findings" not in names:
        db["inspection_findings"].create(
            {"id": int, "inspection_id": int, "rule": str, "severity": str, "sheet": str, "row": int, "col": int,
             "cell": str, "field": str, "message": str, "hint": str},
            pk="id", foreign_keys=[("inspection_id", "inspections", "id")])
        db["inspection_findings"].create_index(["inspection_id"])
    if "rectification_items" not in names:
        db["rectification_items"].create(
            {"id": int, "system_id": str, "campaign": int, "unit": str, "indicator_key": str, "round": str,
             "source": str, "inspection_id": int, "problem": str, "requirement": str, "due": str, "key_item": int,
             "status": str, "measures": str, "completion": str, "evidence": str, "created_at": str,
             "created_by": str, "updated_at": str},
            pk="id", not_null={"unit", "problem", "due", "status"},
            foreign_keys=[("inspection_id", "inspections", "id")])
        db["rectification_items"].create_index(["system_id", "unit", "status"])
    if "rectification_history" not in names:
        db["rectification_history"].create(
            {"id": int, "item_id": int, "at": str, "by": str, "old_status": str, "new_status": str, "note": str,
             "source": str, "ref": int},
            pk="id", not_null={"item_id", "at", "new_status"}, foreign_keys=[("item_id", "rectification_items", "id")])
        db["rectification_history"].create_index(["item_id"])
    if "scores" not in names:
        db["scores"].create(
            {"id": int, "inspection_id": int, "system_id": str, "campaign": int, "unit": str, "round": str,
             "full_marks": float, "deductions": float, "score": float, "equal_weights": int, "bonus": float},
            pk="id", foreign_keys=[("inspection_id", "inspections", "id")])
    if "bonuses" not in names:
        db["bonuses"].create(
            {"id": int, "system_id": str, "campaign": int, "unit": str, "indicator_key": str, "month": str,
             "bonus": float, "bonus_reason": str, "source": str, "inspection_id": int, "created_at": str, "created_by": str,
             "revoked_at": str, "revoked_by": str, "revoke_reason": str},
            pk="id", not_null={"unit", "indicator_key", "month", "bonus", "bonus_reason"},
            foreign_keys=[("inspection_id", "inspections", "id")])
        db["bonuses"].create_index(["system_id", "campaign", "unit", "month"])


def known_inspection(db: sqlite_utils.Database, sha256: str) -> dict[str, Any] | None:
    rows = list(db["inspections"].rows_where("sha256 = ? AND status = 'accepted'", [sha256], order_by="id", limit=1))
    return rows[0] if rows else None


def round_stored(db: sqlite_utils.Database, system_id: str, unit: str, round_: str) -> dict[str, Any] | None:
    rows = list(db["inspections"].rows_where(
        "system_id = ? AND unit = ? AND round = ? AND status = 'accepted'", [system_id, unit, round_], limit=1))
    return rows[0] if rows else None


def insert_inspection(db: sqlite_utils.Database, record: dict[str, Any], findings: list[Finding]) -> int:
    """The inspection's record and findings (inside the caller's transaction)."""
    inspection_id = int(db["inspections"].insert(record).last_pk)
    db.conn.executemany(
        "INSERT INTO inspection_findings (inspection_id, rule, severity, sheet, row, col, cell, field, message, hint)"
        " VALUES (?,?,?,?,?,?,?,?,?,?)",
        [(inspection_id, f.rule, f.severity.value, f.sheet, f.row, f.column, f.cell, f.field, f.message, f.hint)
         for f in findings])
    return inspection_id


def open_items(db: sqlite_utils.Database, system_id: str, unit: str | None = None) -> list[dict[str, Any]]:
    """Items not closed (销号), oldest first; of one unit or all."""
    where, params = "system_id = ? AND status != '已销号'", [system_id]
    if unit:
        where, params = where + " AND unit = ?", [*params, unit]
    return list(db["rectification_items"].rows_where(where, params, order_by="id"))


def items(db: sqlite_utils.Database, system_id: str, campaign: int | None = None) -> list[dict[str, Any]]:
    where, params = "system_id = ?", [system_id]
    if campaign:
        where, params = where + " AND campaign = ?", [*params, campaign]
    return list(db["rectification_items"].rows_where(where, params, order_by="id"))


def history(db: sqlite_utils.Database, item_id: int) -> list[dict[str, Any]]:
    return list(db["rectification_history"].rows_where("item_id = ?", [item_id], order_by="id"))


def bonuses(db: sqlite_utils.Database, system_id: str, campaign: int, unit: str | None = None,
            up_to: str = "9999-12", revoked_too: bool = False) -> list[dict[str, Any]]:
    """Bonus awarded in the campaign up to a month (YYYY-MM), in the order awarded."""
    where, params = "system_id = ? AND campaign = ? AND month <= ?", [system_id, campaign, up_to]
    if unit:
        where, params = where + " AND unit = ?", [*params, unit]
    if not revoked_too:
        where += " AND revoked_at IS NULL"
    return list(db["bonuses"].rows_where(where, params, order_by="month, id"))


def now() -> str:
    return datetime.now().isoformat(timespec="seconds")

"""The supervision group's side of a ledger's 整改 sheet (registered with service/open_items.py by
the faces): which items a unit's next ledger lists, what its answers do to them (已反馈, kept in
the history), and what its receipt says about them."""

from __future__ import annotations

import sqlite3
from typing import Any

import sqlite_utils

from xlbridge.errors import StoreError, describe
from xlbridge.ledger.rectification import Answer
from xlbridge.supervision import items as I
from xlbridge.supervision import store


class LedgerItems:
    def open_items(self, db: sqlite_utils.Database, system_id: str, unit: str) -> list[dict[str, Any]]:
        if not store.has_tables(db):  # reading never creates the group's tables in a ledger-only store
            return []
        return [{"item": i["id"], "code": i["indicator_key"], "key_item": i["key_item"], "problem": i["problem"],
                 "requirement": i["requirement"], "due": i["due"], "status": i["status"]}
                for i in store.open_items(db, system_id, unit)]

    def record_answers(self, db: sqlite_utils.Database, submission: dict[str, Any], answers: list[Answer]) -> None:
        """Each answer to an item still open of this unit marks it 已反馈 (an answer that repeats
        the stored one changes nothing); an item closed since the ledger was issued is left alone."""
        store.ensure_tables(db)
        by = submission.get("filled_by") or submission["unit"]
        try:
            for answer in answers:
                row = db["rectification_items"].get(answer.item) if answer.item else None
                if row is None or row["unit"] != submission["unit"] or row["status"] == I.CLOSED:
                    continue
                item = dict(row)
                fields = {"measures": answer.measures, "completion": answer.completion, "evidence": answer.evidence}
                if item["status"] == I.ANSWERED and all(item[k] == v for k, v in fields.items()):
                    continue
                I.change(db, item, I.ANSWERED, by=by, note=f"单位反馈（{answer.completion}）：{answer.measures}"[:500],
                         source="ledger", ref=submission["id"], at=submission["received_at"], **fields)
        except sqlite3.Error as exc:
            raise StoreError(f"写入整改反馈失败（{describe(exc)}），已回滚，原有数据未改变") from None

    def receipt_rows(self, db: sqlite_utils.Database, submission: dict[str, Any]) -> list[list[str]]:
        if not store.has_tables(db):
            return []
        answered = {r[0]: r[1] for r in db.execute(
            "SELECT item_id, note FROM rectification_history WHERE source = 'ledger' AND ref = ?", [submission["id"]])}
        rows = []
        for item in sorted(store.items(db, submission["system_id"]), key=lambda i: (i["id"] not in answered, i["id"])):
            if item["unit"] != submission["unit"] or (item["status"] == I.CLOSED and item["id"] not in answered):
                continue
            rows.append([str(item["id"]), item["indicator_key"] or "", "★" if item["key_item"] else "", item["problem"],
                         item["due"], item["status"], answered.get(item["id"], "尚未答复")])
        return rows


LEDGER_ITEMS = LedgerItems()

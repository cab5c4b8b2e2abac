"""Where a unit's next-month ledger gets its open rectification items (the 整改 sheet,
ledger/rectification.py) and where the unit's answers to them go. The service keeps no items:
the supervision group's package registers its source here from the faces, as with
service/kinds.py, so no import runs back up the flow. With none registered, ledgers carry no
整改 sheet."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import sqlite_utils

    from xlbridge.ledger.rectification import Answer


class ItemSource(Protocol):
    def open_items(self, db: sqlite_utils.Database, system_id: str, unit: str) -> list[dict[str, Any]]:
        """The unit's items not yet closed, as ledger/rectification.py's ``cells`` takes them."""

    def record_answers(self, db: sqlite_utils.Database, submission: dict[str, Any], answers: list[Answer]) -> None:
        """Inside the merge's transaction: the answers of an accepted ledger."""

    def receipt_rows(self, db: sqlite_utils.Database, submission: dict[str, Any]) -> list[list[str]]:
        """For the receipt's 整改 sheet: the items this submission answered, then those still open."""


_SOURCES: list[ItemSource] = []


def register(source: ItemSource | None) -> None:
    """The one source (None: none)."""
    _SOURCES[:] = [source] if source else []


def source() -> ItemSource | None:
    return _SOURCES[0] if _SOURCES else None

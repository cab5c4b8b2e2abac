"""Workbooks the intake takes besides ledgers, told apart by the ``kind`` their signed metadata
names (a ledger names none). The service knows no such kind itself: the package that issues one
(the supervision group's inspection workbooks) registers its handler here, from the faces that
run the intake (``xlbridge ingest``, ``xlbridge daemon``, the demo), so no import runs back up.

A handler's three steps mirror a ledger's: ``prepare`` (in a worker process: read and check,
touching no store; its result is pickled back), ``stage`` (inside the merge's transaction: store
the submission, return its :class:`~xlbridge.service.ingest.Outcome`) and ``finish`` (after the
commit: write the receipt).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from python_calamine import CalamineError, CalamineWorkbook

from xlbridge.errors import XlbridgeError
from xlbridge.ledger import layout as L
from xlbridge.ledger.reader import meta_values
from xlbridge.xlsx.safety import check_workbook_zip

if TYPE_CHECKING:  # annotations only: the intake imports this module
    import sqlite_utils

    from xlbridge.service.workspace import Workspace
    from xlbridge.system.model import IndicatorSystem

LEDGER = "ledger"


class SubmittedKind(Protocol):
    kind: str

    def prepare(self, archived: Path, name: str, key: bytes, system: IndicatorSystem) -> Any: ...

    def stage(self, ws: Workspace, db: sqlite_utils.Database, prepared: Any) -> Any: ...

    def finish(self, ws: Workspace, db: sqlite_utils.Database, outcome: Any) -> Path: ...


_KINDS: dict[str, SubmittedKind] = {}


def register(*handlers: SubmittedKind) -> None:
    for handler in handlers:
        _KINDS[handler.kind] = handler


def unregister(kind: str) -> None:
    _KINDS.pop(kind, None)


def registered() -> tuple[SubmittedKind, ...]:
    """What a worker process is started with (pickled by reference: it imports the handler's module)."""
    return tuple(_KINDS.values())


def handler(kind: str) -> SubmittedKind | None:
    return _KINDS.get(kind)


def kind_of(path: Path) -> str | None:
    """The kind a workbook's metadata sheet names; None for a ledger or a workbook with none.
    Asked only of a file that is not readable as a ledger, so a ledger never pays for it (the
    zip's bounds are checked first, as for a ledger)."""
    try:
        check_workbook_zip(path)
        wb = CalamineWorkbook.from_path(str(path))
        if L.META_SHEET not in wb.sheet_names:
            return None
        kind = meta_values(wb.get_sheet_by_name(L.META_SHEET).to_python()).get("kind")
    except (XlbridgeError, CalamineError, OSError, ValueError):
        return None
    return kind if kind and kind != LEDGER else None

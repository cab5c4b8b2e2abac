"""What the faces register so that the service's intake and next ledgers serve the supervision
group: inspection workbooks as a submitted kind, rectification items in the units' ledgers."""

from __future__ import annotations

from xlbridge.service import extra_sheets, kinds, open_items
from xlbridge.supervision.intake import INSPECTION
from xlbridge.supervision.ledger_items import LEDGER_ITEMS
from xlbridge.supervision.summary_sheets import write_sheets


def register() -> None:
    kinds.register(INSPECTION)
    open_items.register(LEDGER_ITEMS)
    extra_sheets.register(write_sheets)


def unregister() -> None:
    """Back to a ledger-only service (tests that registered in-process)."""
    kinds.unregister(INSPECTION.kind)
    open_items.register(None)
    extra_sheets.register(None)

"""One base for every error a user can cause; the CLI turns it into a Chinese message, not a traceback."""


class XlbridgeError(Exception):
    """A user-facing failure: the message is Chinese and names the file and place."""


class SchemaError(XlbridgeError):
    """An indicator-system file or table that cannot be read."""


class LedgerError(XlbridgeError):
    """A ledger workbook that cannot be read at all (not merely invalid)."""


class StoreError(XlbridgeError):
    """The central store refused an operation."""

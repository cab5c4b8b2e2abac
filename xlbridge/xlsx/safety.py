"""Opening a workbook someone sent us with openpyxl, after its bounds are checked.

An .xlsx is a zip of XML. A hostile or broken one can be: not a zip at all, half copied,
a zip bomb (a few KB that inflate to GB), a cell far out that makes a reader allocate for every
cell before it, or XML with entity expansion. :mod:`xlbridge.xlsx.bounds` checks the bytes first;
openpyxl then parses through defusedxml (it switches to it by itself when defusedxml is
installed; we insist on that below).
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any

from xlbridge.errors import LedgerError, os_reason, unparsable
from xlbridge.xlsx.bounds import Limits, read_capped, scan_workbook, sheet_names


def check_workbook_zip(path: Path, limits: Limits | None = None) -> bytes:
    """The bytes of ``path`` (read once) after every member and the bounds of every sheet are
    checked, for a reader that is then given them (or the file)."""
    limits = limits or Limits()
    try:
        with open(path, "rb") as fh:
            data = read_capped(fh, limits.file_bytes)
    except OSError as exc:
        raise LedgerError(f"{path.name}：无法读取（{os_reason(exc)}）") from None
    sheets = {name: limits.sheet() for name in sheet_names(data, path.name, limits)}
    scan_workbook(data, path.name, sheets, limits)
    return data


def open_untrusted_workbook(path: Path, limits: Limits | None = None, **kwargs: Any) -> Any:
    """openpyxl load of ``path`` after its bounds are checked; any parser failure becomes a
    LedgerError naming the file."""
    import openpyxl  # here, not on import: the daemon checks zips without loading it
    from openpyxl.xml import DEFUSEDXML

    if not DEFUSEDXML:  # pragma: no cover - defusedxml is a hard dependency
        raise ImportError("defusedxml 未安装：不能安全解析外来的工作簿")
    data = check_workbook_zip(path, limits)
    try:
        return openpyxl.load_workbook(BytesIO(data), **kwargs)
    except Exception:  # openpyxl raises many types for malformed parts  # noqa: BLE001
        raise LedgerError(unparsable(path.name)) from None

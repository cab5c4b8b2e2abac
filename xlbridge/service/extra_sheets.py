"""Sheets another package adds to the consolidated workbook (汇总台账), after the service's own
and before 明细: the supervision group's 得分 and 整改. Registered by the faces, as with
service/kinds.py, so that no import runs back up the flow; with none registered, 汇总 has none."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# (workbook, styles, store, workspace, month, the workbook's title for page headers) → None:
# adds its worksheets to the workbook, each with its page setup (xlbridge/xlsx/printing.py).
SheetWriter = Callable[[Any, Any, Any, Any, str, str], None]

_WRITERS: list[SheetWriter] = []


def register(writer: SheetWriter | None) -> None:
    """The one writer (None: none)."""
    _WRITERS[:] = [writer] if writer else []


def writers() -> tuple[SheetWriter, ...]:
    return tuple(_WRITERS)

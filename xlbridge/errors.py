"""One base for every error a user can cause; the CLI turns it into a Chinese message, not a traceback."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import click


class XlbridgeError(Exception):
    """A user-facing failure: the message is Chinese and names the file and place."""


class SchemaError(XlbridgeError):
    """An indicator-system file or table that cannot be read."""


class LedgerError(XlbridgeError):
    """A ledger workbook that cannot be read at all (not merely invalid)."""


class StoreError(XlbridgeError):
    """The central store refused an operation."""


class UserError(click.ClickException):
    """Printed as 错误：… on stderr, exit code 1 — never a traceback."""

    def show(self, file: Any = None) -> None:
        click.secho(f"错误：{self.format_message()}", file=file or sys.stderr, fg="red")


def friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except XlbridgeError as exc:
            raise UserError(str(exc)) from None

    return wrapper

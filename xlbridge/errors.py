"""One base for every error a user can cause; the CLI turns it into a Chinese message, not a traceback."""

from __future__ import annotations

import errno
import functools
import os
import sqlite3
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


# The operating system's reasons (strerror is English whatever the locale), and what to do.
_OS_REASONS = {
    errno.ENOENT: ("不存在", "请检查路径是否写对；要写入的文件夹须已存在"),
    errno.EACCES: ("没有访问权限", "请检查文件和文件夹的权限，或换一个有权限的位置；文件若正被 Excel 等程序打开，请先关闭"),
    errno.EPERM: ("不允许此操作", "请检查文件和文件夹的权限，或换一个有权限的位置"),
    errno.EISDIR: ("是文件夹，不是文件", "请写出文件的路径（含文件名）"),
    errno.ENOTDIR: ("路径中有一段是文件，不是文件夹", "请检查路径是否写对"),
    errno.ENOSPC: ("磁盘空间已满", "请清理磁盘后重试"),
    getattr(errno, "EDQUOT", errno.ENOSPC): ("超出磁盘配额", "请清理磁盘后重试"),
    errno.EROFS: ("位于只读的磁盘上", "请换一个可以写入的位置"),
    errno.EEXIST: ("已存在", "请换一个名字，或先移走原有的"),
    errno.ENAMETOOLONG: ("名字太长", "请换一个短一些的文件名或路径"),
    errno.EBUSY: ("正被占用", "请关闭占用它的程序后重试"),
    errno.ENOTEMPTY: ("文件夹不是空的", "请先清空或换一个文件夹"),
    errno.ELOOP: ("符号链接过多", "请检查路径中的链接"),
    errno.EMFILE: ("打开的文件太多", "请稍后重试"),
    errno.EIO: ("磁盘读写出错", "请检查磁盘或网络共享后重试"),
    errno.EINVAL: ("名字或参数不合法", "请检查路径中是否有不允许的字符"),
}


def os_reason(exc: OSError) -> str:
    """Why, in Chinese: 没有访问权限, 磁盘空间已满 … (the system's own words only for an errno
    not listed, after its code)."""
    known = _reasons(exc)
    if known:
        return known[0]
    code = errno.errorcode.get(exc.errno or 0, "")
    return f"系统错误 {code or exc.errno}（{exc.strerror or exc}）" if exc.errno else f"系统错误（{exc}）"


_NOT_A_FOLDER = ("是文件，不是文件夹", "请检查路径是否写对，或换一个文件夹")


def _reasons(exc: OSError) -> tuple[str, str] | None:
    if exc.errno == errno.EEXIST and exc.filename and os.path.isfile(exc.filename):
        return _NOT_A_FOLDER  # a folder to be made (mkdir) where a file is
    return _OS_REASONS.get(exc.errno or 0)


def os_message(exc: OSError) -> str:
    """「path」：reason；what to do — the file named (both, for a rename)."""
    known = _reasons(exc)
    advice = f"。{known[1]}" if known else ""
    names = "、".join(f"「{name}」" for name in (exc.filename, exc.filename2) if name not in (None, ""))
    return f"{names}：{os_reason(exc)}{advice}" if names else f"{os_reason(exc)}{advice}"


_SQLITE_REASONS = (  # SQLite's message (lower case) contains → what it means for the store, Chinese
    (("locked", "busy"), "正被另一个程序写入，请稍后重试"),
    (("disk is full", "database or disk is full"), "无法写入：磁盘空间已满，请清理磁盘后重试；已存储的数据未改变"),
    (("readonly", "read-only"), "是只读的：请检查 store.db 及其所在文件夹的写权限"),
    (("unable to open",), "无法打开：请检查工作区路径及其权限"),
    (("not a database", "malformed", "encrypted"),
     "已损坏或不是 SQLite 数据库文件：请用 xlbridge store backup 留下的备份恢复"),
    (("disk i/o",), "读写时磁盘出错：请检查磁盘或网络共享后重试"),
)


def sqlite_reason(exc: sqlite3.Error) -> str:
    """What SQLite's (English) error means for the store, in Chinese."""
    text = str(exc).lower()
    for words, reason in _SQLITE_REASONS:
        if any(w in text for w in words):
            return reason
    return f"出错（SQLite：{exc}）"


def unparsable(name: str) -> str:
    """A workbook the readers cannot take apart, for its sender (the library's own words, English
    and about its internals, would tell a clerk nothing)."""
    return (f"{name}：工作簿内容无法解析（文件已损坏，或不是 Excel 保存的 .xlsx 工作簿）。"
            "请用 Excel 或 WPS 打开后另存为 .xlsx，再重新报送")


def describe(exc: BaseException) -> str:
    """Any failure as a user reads it: our own messages as they are, the system's and SQLite's
    in Chinese; anything else (a bug) as Python words it, for a traceback to follow."""
    if isinstance(exc, XlbridgeError):
        return str(exc)
    if isinstance(exc, OSError):
        return os_message(exc)
    if isinstance(exc, sqlite3.Error):
        return f"中心库 store.db {sqlite_reason(exc)}"
    return f"{type(exc).__name__}: {exc}"


def friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A command whose every failure a user can cause (ours, the file system's, SQLite's) ends
    as 错误：… in Chinese, exit code 1, never a traceback."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (XlbridgeError, OSError, sqlite3.Error) as exc:
            raise UserError(describe(exc)) from None

    wrapper.friendly = True  # type: ignore[attr-defined]  # tests/test_cli_chinese.py checks every command
    return wrapper

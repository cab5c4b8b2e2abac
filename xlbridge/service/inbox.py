"""What the inbox holds, looked at without following anything.

The inbox is a folder anyone in the offices can write to, so an entry may be a symlink (to
/etc/shadow, to the workspace's own key, to a folder outside), a FIFO that blocks whoever opens
it, or a device. Only regular files are ever read, and they are opened with ``O_NOFOLLOW``
through folders opened the same way, so an entry swapped for a symlink after it was looked at
is refused too. Every other entry is moved out of the inbox to ``inbox-rejected/`` (the entry
itself: a symlink is renamed, never read) and gets one receipt; lock and temp files are left
alone, and ``status`` says why each is ignored.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from xlbridge.errors import XlbridgeError
from xlbridge.xlsx.owned import fit_name

# (pattern, why it is never read), first match wins: office lock files, temp and partial copies.
_IGNORED = [(re.compile(p, re.IGNORECASE), why) for p, why in (
    (r"^~\$", "Excel/WPS 的锁文件（“~$” 开头：有人正打开同名工作簿）"),
    (r"^\.~lock\.", "LibreOffice 的锁文件（“.~lock.” 开头）"),
    (r"#$", "LibreOffice 的锁文件（“#” 结尾）"),
    (r"^~", "Office 的临时文件（“~” 开头）"),
    (r"^\.", "隐藏文件或复制中的临时文件（“.” 开头）；如是台账，请去掉开头的“.”后重新放入"),
    (r"\.(tmp|part|partial|crdownload)$", "未完成的复制或下载（.tmp/.part/.partial/.crdownload 结尾）"),
)]
_KINDS = [(stat.S_ISLNK, "符号链接"), (stat.S_ISDIR, "文件夹"), (stat.S_ISFIFO, "命名管道（FIFO）"),
          (stat.S_ISCHR, "字符设备"), (stat.S_ISBLK, "块设备"), (stat.S_ISSOCK, "套接字")]
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_READ_FLAGS = os.O_RDONLY | _O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
_DIR_FLAGS = os.O_RDONLY | _O_NOFOLLOW | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)


class NotRegularFile(XlbridgeError):
    """An inbox entry that is no regular file: never read, moved out of the inbox."""

    def __init__(self, path: Path, kind: str) -> None:
        super().__init__(f"{path.name}：是{kind}，不是普通文件，不读取；请直接报送台账文件本身")
        self.path, self.kind = path, kind

    def __reduce__(self) -> tuple[type, tuple[Path, str]]:  # raised in a worker, re-raised here
        return type(self), (self.path, self.kind)


def ignored_reason(path: Path) -> str | None:
    """Why the inbox never reads a file of this name (lock, temp, partial copy), or None."""
    return next((why for pattern, why in _IGNORED if pattern.search(path.name)), None)


def is_ignored(path: Path) -> bool:
    return ignored_reason(path) is not None


def kind_of(mode: int) -> str | None:
    """None for a regular file, else what the entry is, in Chinese."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "特殊文件")


def entries(inbox: Path) -> Iterator[tuple[Path, os.stat_result]]:
    """Every entry under ``inbox`` but its real sub-folders, with its lstat, in name order;
    descends into real folders only, never through a symlink."""
    try:
        with os.scandir(inbox) as it:
            found = sorted(it, key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in found:
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue  # gone since the listing
        if stat.S_ISDIR(st.st_mode):
            yield from entries(Path(entry.path))
        else:
            yield Path(entry.path), st


def refused_entry(inbox: Path, path: Path) -> tuple[Path, str] | None:
    """The topmost entry from ``inbox`` down to ``path`` that is no regular file or real folder
    (``path`` itself, or a symlinked folder it lies in), and what it is; None if all are plain."""
    try:
        parts = path.relative_to(inbox).parts
    except ValueError:
        return None
    current = inbox
    for n, part in enumerate(parts):
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except OSError:
            return None  # gone: nothing to refuse
        last = n == len(parts) - 1
        if stat.S_ISLNK(mode) or not (stat.S_ISDIR(mode) or (last and stat.S_ISREG(mode))):
            return current, kind_of(mode) or "特殊文件"
    return None


def read_regular(path: Path, inbox: Path | None = None) -> bytes:
    """The bytes of ``path`` if it is a regular file, read without following a symlink at
    ``path`` or at any folder between ``inbox`` and it; else :class:`NotRegularFile`."""
    with open_regular(path, inbox) as fh:
        return fh.read()


def open_regular(path: Path, inbox: Path | None = None) -> BinaryIO:
    """``path`` open for reading, as :func:`read_regular` opens it."""
    return os.fdopen(_open_regular(path, inbox), "rb")


def _open_regular(path: Path, inbox: Path | None) -> int:
    try:
        fd = _open_below(path, inbox)
    except OSError as exc:
        if exc.errno not in (errno.ELOOP, errno.ENOTDIR, getattr(errno, "EMLINK", 0)):
            raise
        refused = refused_entry(inbox, path) if inbox is not None else None
        raise NotRegularFile(path, refused[1] if refused else "符号链接") from None
    kind = kind_of(os.fstat(fd).st_mode)
    if kind is not None:
        os.close(fd)
        raise NotRegularFile(path, kind)
    return fd


def _open_below(path: Path, inbox: Path | None) -> int:
    """Open ``path`` folder by folder from ``inbox`` (each with O_NOFOLLOW), else on its own."""
    try:
        parts = path.relative_to(inbox).parts if inbox is not None and os.name == "posix" else ()
    except ValueError:
        parts = ()
    if len(parts) < 2:
        return os.open(path, _READ_FLAGS)
    folder = os.open(inbox, _DIR_FLAGS)  # type: ignore[arg-type]
    try:
        for part in parts[:-1]:
            below = os.open(part, _DIR_FLAGS, dir_fd=folder)
            os.close(folder)
            folder = below
        return os.open(parts[-1], _READ_FLAGS, dir_fd=folder)
    finally:
        os.close(folder)


def move_out(inbox: Path, entry: Path, rejected: Path) -> Path:
    """Move ``entry`` itself (a symlink as a symlink) from the inbox to ``rejected``
    (inbox-rejected/, :attr:`Workspace.quarantine`), under its inbox sub-folder, keeping its name
    (a number added if one of that name is there). OSError if it cannot be moved (gone, or
    another file system: a rename, never a copy, so a link is never read)."""
    target_dir = rejected / entry.parent.relative_to(inbox)
    target_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = free_name(target_dir / entry.name)
    os.rename(entry, target)
    return target


def free_name(target: Path) -> Path:
    """``target``, or with （2）, （3）… before its suffix if an entry of that name is there."""
    candidate, n = target, 1
    while os.path.lexists(candidate):
        n += 1
        candidate = target.with_name(fit_name(f"{Path(target.name).stem}（{n}）", Path(target.name).suffix))
    return candidate


def claimed_unit_of(inbox: Path, entry: Path) -> str | None:
    """The unit an entry was sent as (its inbox sub-folder, or the name before the first `_`),
    from the names alone: nothing resolved, nothing followed."""
    with contextlib.suppress(ValueError):
        parts = entry.relative_to(inbox).parts
        if len(parts) > 1:
            return parts[0]
    stem = Path(entry.name).stem
    unit = stem.split("_", 1)[0].strip()
    return unit if "_" in stem and unit else None


def refused_listing(root: Path) -> list[tuple[str, str | None, datetime]]:
    """What inbox-rejected/ (``root``) holds: (path relative to it, what it is — None for a regular
    file, one quarantined after killing its reader —, when it was moved there)."""
    return [(str(p.relative_to(root)), kind_of(st.st_mode), datetime.fromtimestamp(st.st_ctime))
            for p, st in entries(root)]

"""One writer per workspace: the daemon, or one `xlbridge ingest`, never two at once.

The lock is ``fcntl.flock`` on the workspace folder itself, held for the writer's life. The OS
drops it when the process dies, even on kill -9; and unlike a lock file it cannot be deleted
away (a second daemon would simply lock the new file). Who holds it is written to
``.xlbridge-daemon.lock`` beside it, for the message the next one gets; that file is not the lock.
Windows, which cannot lock a folder, locks a byte of that file instead.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from xlbridge.errors import XlbridgeError
from xlbridge.service.workspace import Workspace

HOLDER_NAME = ".xlbridge-daemon.lock"
ROLES = {"daemon": "守护进程", "ingest": "xlbridge ingest"}


class WorkspaceBusy(XlbridgeError):
    """Another process writes to the workspace; ``role`` and ``pid`` say which, when known."""

    def __init__(self, ws: Workspace, role: str | None, pid: int | None) -> None:
        if role == "daemon":
            message = f"工作区 {ws.root} 已有守护进程在运行（进程号 {pid}），同一工作区只能运行一个"
        elif role in ROLES:
            message = (f"工作区 {ws.root} 正由 {ROLES[role]}（进程号 {pid}）写入，同一工作区只能运行一个写入者；"
                       "请等它结束后再试")
        else:  # the holder file was deleted or is unreadable: the lock itself still holds
            message = f"工作区 {ws.root} 已有守护进程或 xlbridge ingest 在运行（进程号未知），同一工作区只能运行一个写入者"
        super().__init__(message)
        self.role, self.pid = role, pid


@contextlib.contextmanager
def single_writer(ws: Workspace, role: str, wait: bool = False) -> Iterator[None]:
    """Hold the workspace's writer lock as ``role`` ("daemon", "ingest") for the block, waiting
    for it with ``wait``; else :class:`WorkspaceBusy` at once if another process holds it."""
    if os.name != "posix":
        with _windows_lock(ws, role):
            yield
        return
    import fcntl

    fd = os.open(ws.root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | os.O_CLOEXEC)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise WorkspaceBusy(ws, *holder(ws)) from None
        _write_holder(ws, role)
        yield
    finally:
        os.close(fd)  # releases the lock


def holder(ws: Workspace) -> tuple[str | None, int | None]:
    """What the holder file says: ("daemon", 1234); (None, None) when unreadable."""
    try:
        role, pid = (ws.root / HOLDER_NAME).read_text(encoding="utf-8").split()[:2]
        return role, int(pid)
    except (OSError, ValueError):
        return None, None


def rewrite_holder(ws: Workspace, role: str) -> None:
    """Write the holder file again if someone deleted it (the daemon does at each rescan)."""
    if not (ws.root / HOLDER_NAME).exists():
        _write_holder(ws, role)


def _write_holder(ws: Workspace, role: str) -> None:
    # For messages only: on a full disk the lock holds without it.
    with contextlib.suppress(OSError):
        (ws.root / HOLDER_NAME).write_text(f"{role} {os.getpid()}\n", encoding="utf-8")


@contextlib.contextmanager
def _windows_lock(ws: Workspace, role: str) -> Iterator[None]:
    import msvcrt

    path: Path = ws.root / HOLDER_NAME
    with open(path, "a+", encoding="utf-8") as fh:
        try:
            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            raise WorkspaceBusy(ws, None, None) from None
        fh.seek(1)
        fh.truncate()
        fh.write(f" {role} {os.getpid()}\n")
        fh.flush()
        yield

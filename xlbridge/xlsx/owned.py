"""Workbooks the system owns and rewrites whole (receipts, the consolidated workbook), written
with xlsxwriter: fast, constant memory, native charts, and never a formula from unit text.

One worksheet's bulk rows can be handed over as a stream instead (:meth:`OwnedWorkbook.stream_rows`,
used for the consolidated workbook's 明细): they are written as XML by :mod:`xlbridge.xlsx.stream`
into the package xlsxwriter wrote, at several times xlsxwriter's speed per cell."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.exceptions import FileCreateError

from xlbridge.errors import XlbridgeError, os_reason
from xlbridge.xlsx.stream import Block, PieceCache, RowStream, splice_rows

NAME_MAX = 255  # bytes of one file name on ext4, XFS, tmpfs, NTFS (in UTF-16 units there, fewer than bytes)
HELD_SUFFIX = "（新）"  # the new version of a workbook held open, written beside it
TEMP_DIR_PREFIX = ".xlsxwriter."  # + pid + "."; xlsxwriter's own part files, removed with the directory

# Unit text such as "=HYPERLINK(...)", "+86…", "-", "@x" must stay text: never let xlsxwriter
# turn strings into formulas, numbers or links.
OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
    "constant_memory": True,
    "tmpdir": None,
}


def fit_name(stem: str, suffix: str = "", limit: int = NAME_MAX) -> str:
    """``stem + suffix`` as a file name of at most ``limit`` UTF-8 bytes, whatever the stem holds.

    Names are built of parts joined by ``_`` (回执_<单位>_<月份>_<编号>): only the longest part (a unit
    or file name typed by someone) is cut, by whole characters, and tagged with a hash of the whole
    stem, so the unit and the month stay readable and two long names stay apart. ``suffix`` (an
    extension, a temp file's ``.<pid>.tmp``) is never cut."""
    name = stem + suffix
    room = limit - len(suffix.encode())
    if len(stem.encode()) <= room:
        return name
    tag = "-" + hashlib.sha256(stem.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    parts = stem.split("_")
    longest = max(range(len(parts)), key=lambda i: len(parts[i].encode()))
    over = len(stem.encode()) - room + len(tag.encode())
    if len(parts[longest].encode()) > over:
        parts[longest] = _cut(parts[longest], len(parts[longest].encode()) - over) + tag
        return "_".join(parts) + suffix
    return _cut(stem, room - len(tag)) + tag + suffix  # many long parts: the start of the whole


def _cut(text: str, size: int) -> str:
    """The longest start of ``text`` of at most ``size`` UTF-8 bytes (never half a character)."""
    return text.encode("utf-8", "surrogatepass")[:max(size, 0)].decode("utf-8", "ignore")


def temp_name(path: Path, tag: str = "") -> Path:
    """A hidden temp file beside ``path`` whose name says which process writes it (the daemon's
    stale-temp sweep reads the pid back), within the name limit however long ``path``'s name is."""
    return path.with_name(fit_name(f".{path.stem}{tag}", f".{os.getpid()}.tmp{path.suffix}"))


@contextlib.contextmanager
def written_atomically(path: Path) -> Iterator[Path]:
    """A temp file beside ``path`` for the caller to write, renamed over ``path`` once written:
    readers never see half a file, and a failure (a full disk) leaves no temp file, only a
    Chinese error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_name(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as exc:
        close_open_zips(exc)
        raise XlbridgeError(f"无法写入 {path}（{failure_reason(exc)}）") from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def save_atomically(wb: Any, path: Path) -> Path:
    """An openpyxl workbook saved with :func:`written_atomically`."""
    with written_atomically(path) as tmp:
        wb.save(tmp)
    return path


def held_copy(path: Path) -> Path:
    """汇总台账_2021-05.xlsx → 汇总台账_2021-05（新）.xlsx: where a new version goes while the old one is held."""
    return path.with_name(fit_name(path.stem, HELD_SUFFIX + path.suffix))


class HeldWorkbook(XlbridgeError):
    """The target could not be replaced (held open, a folder in its place); the new version is at ``beside``."""

    def __init__(self, message: str, beside: Path | None) -> None:
        super().__init__(message)
        self.beside = beside

    def __reduce__(self) -> tuple[Any, ...]:  # raised in a worker process, told by the daemon
        return (HeldWorkbook, (str(self), self.beside))


class Styles:
    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        base = {"font_name": "等线", "font_size": 10, "valign": "top", "text_wrap": True, "border": 1, "border_color": "#BFBFBF"}
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.header = wb.add_format({**base, "bold": True, "bg_color": "#DDEBF7", "align": "center", "valign": "vcenter"})
        self.text = wb.add_format(base)
        self.plain = wb.add_format({"font_name": "等线", "font_size": 10})
        self.note = wb.add_format({"font_name": "等线", "font_size": 10, "text_wrap": True, "valign": "top"})  # a long line above a table
        self.section = wb.add_format({"font_name": "等线", "font_size": 11, "bold": True})
        self.group = wb.add_format({**base, "bold": True, "bg_color": "#F2F2F2"})
        self.center = wb.add_format({**base, "align": "center"})
        self.percent = wb.add_format({**base, "num_format": "0.0%"})
        self.done = wb.add_format({**base, "align": "center", "bg_color": "#C6EFCE", "font_color": "#006100"})
        self.pending = wb.add_format({**base, "align": "center", "bg_color": "#FFEB9C", "font_color": "#9C5700"})
        self.missing = wb.add_format({**base, "align": "center", "bg_color": "#FFC7CE", "font_color": "#9C0006"})
        self.error = wb.add_format({**base, "font_color": "#9C0006"})
        self.warning = wb.add_format({**base, "font_color": "#9C5700"})
        self.ok = wb.add_format({**base, "font_color": "#006100", "bold": True})
        self.bad = wb.add_format({**base, "font_color": "#9C0006", "bold": True})


class OwnedWorkbook(xlsxwriter.Workbook):
    """An xlsxwriter workbook that can also take one worksheet's bulk rows as a stream."""

    def __init__(self, filename: str, options: dict[str, Any]) -> None:
        super().__init__(filename, options)
        self.row_streams: dict[str, RowStream] = {}

    def stream_rows(self, worksheet: Any, rows: Iterable[Sequence[Any]], count: int,
                    height: Callable[[Sequence[Any]], float] | None = None) -> None:
        """Append ``count`` rows to ``worksheet`` when the workbook is saved, after the last row
        written to it through xlsxwriter: the *template row*, whose cell styles (per column) the
        streamed cells take. Nothing may be written to the worksheet after that row. The rows are
        read only then, inside ``owned_workbook``; see :mod:`xlbridge.xlsx.stream` for how cells
        are written (text always as text). ``height`` gives each row its height in points."""
        self.row_streams[worksheet.name] = RowStream(rows, count, height)

    def stream_blocks(self, worksheet: Any, blocks: Sequence[Block], cache: PieceCache | None,
                      height: Callable[[Sequence[Any]], float] | None = None) -> None:
        """:meth:`stream_rows`, block by block: each block's deflated rows are taken from ``cache``
        when it holds them under the block's key (and where the block stands), else written and put there."""
        self.row_streams[worksheet.name] = RowStream((), sum(b.count for b in blocks), height, blocks, cache)


@contextlib.contextmanager
def owned_workbook(path: Path, small: bool = False, beside_if_held: bool = False) -> Iterator[tuple[OwnedWorkbook, Styles]]:
    """Write to a temp file beside ``path``, then rename over it: readers never see half a file.

    ``small`` (a receipt, a few hundred cells; the consolidated workbook, whose one large sheet
    is streamed): built in memory. constant_memory writes a temp file per worksheet part, half a
    receipt's time (and ~40 ms of a 汇总's on a busy disk); those go into a private folder beside
    ``path``, removed whole whatever happens (xlsxwriter leaves its part files behind when a
    write fails, e.g. on a full disk).

    With streamed rows, xlsxwriter's temp file is copied to a second one with the rows added,
    and that one is renamed over ``path``. No temp file outlives the call.

    If the target is held open (Windows locks open workbooks) or cannot be replaced, the previous
    file is kept and XlbridgeError is raised so the caller can retry later; with ``beside_if_held``
    the new version is first put beside it (:func:`held_copy`), and :class:`HeldWorkbook` says where.
    Once ``path`` is written again, that copy is removed.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp, spliced = temp_name(path), temp_name(path, ".rows")  # the daemon's stale-temp sweep knows both
    parts = None if small else Path(tempfile.mkdtemp(prefix=f"{TEMP_DIR_PREFIX}{os.getpid()}.", dir=path.parent))
    try:
        wb = OwnedWorkbook(str(tmp), {**OPTIONS, "tmpdir": str(parts or path.parent), "in_memory": small})
        try:
            yield wb, Styles(wb)
            wb.close()
            done = tmp
            if wb.row_streams:
                splice_rows(tmp, spliced, wb.row_streams)
                done = spliced
        except (OSError, FileCreateError) as exc:  # e.g. the folder is read-only or the disk full
            close_open_zips(exc)
            raise XlbridgeError(f"无法写入 {path}（{failure_reason(exc)}），已保留上一版本，稍后重试") from None
        try:
            os.replace(done, path)
        except OSError as exc:
            held = "正被其他程序打开" if isinstance(exc, PermissionError) else f"无法替换（{failure_reason(exc)}）"
            beside = _put_beside(done, path) if beside_if_held else None
            kept = f"新版本已写为 {beside.name}" if beside else "已保留上一版本"
            raise HeldWorkbook(f"{path} {held}，{kept}，稍后重试", beside) from None
        if beside_if_held:
            with contextlib.suppress(OSError):
                held_copy(path).unlink(missing_ok=True)  # the stand-in of a held version is stale now
    finally:
        for leftover in (tmp, spliced):
            with contextlib.suppress(OSError):
                leftover.unlink(missing_ok=True)
        if parts is not None:
            shutil.rmtree(parts, ignore_errors=True)


def close_open_zips(exc: BaseException) -> None:
    """xlsxwriter (and openpyxl) leave their zip open when a write fails. Closed here (where a second failure is
    expected and dropped), not at collection, where Python would print it as a traceback."""
    seen: BaseException | None = exc
    while seen is not None:  # xlsxwriter re-raises the OSError as FileCreateError: look at both
        tb = seen.__traceback__
        while tb is not None:
            for value in list(tb.tb_frame.f_locals.values()):
                if isinstance(value, zipfile.ZipFile):
                    with contextlib.suppress(Exception):
                        value.close()
            tb = tb.tb_next
        seen = seen.__context__


def _put_beside(done: Path, path: Path) -> Path | None:
    beside = held_copy(path)
    try:
        os.replace(done, beside)
    except OSError:
        return None  # that one held too: the temp file is removed, the old version stays
    return beside


def failure_reason(exc: BaseException) -> str:
    """Why a write failed, in Chinese (磁盘空间已满, 没有访问权限 …; errors.os_reason)."""
    if isinstance(exc, FileCreateError) and exc.args and isinstance(exc.args[0], OSError):
        exc = exc.args[0]  # xlsxwriter's wrapper of the OSError
    return os_reason(exc) if isinstance(exc, OSError) else str(exc)


def text(value: Any) -> str:
    return "" if value is None else str(value)


def write_table(ws: Any, first_row: int, headers: list[str], widths: list[float], styles: Styles) -> int:
    for col, (header, width) in enumerate(zip(headers, widths)):
        ws.set_column(col, col, width)
        ws.write_string(first_row, col, header, styles.header)
    ws.freeze_panes(first_row + 1, 0)
    return first_row + 1

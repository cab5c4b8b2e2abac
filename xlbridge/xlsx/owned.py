"""Workbooks the system owns and rewrites whole (receipts, the consolidated workbook), written
with xlsxwriter: fast, constant memory, native charts, and never a formula from unit text.

One worksheet's bulk rows can be handed over as a stream instead (:meth:`OwnedWorkbook.stream_rows`,
used for the consolidated workbook's 明细): they are written as XML by :mod:`xlbridge.xlsx.stream`
into the package xlsxwriter wrote, at several times xlsxwriter's speed per cell."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.exceptions import FileCreateError

from xlbridge.errors import XlbridgeError
from xlbridge.xlsx.stream import RowStream, splice_rows

# Unit text such as "=HYPERLINK(...)", "+86…", "-", "@x" must stay text: never let xlsxwriter
# turn strings into formulas, numbers or links.
_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
    "constant_memory": True,
    "tmpdir": None,
}


class Styles:
    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        base = {"font_name": "等线", "font_size": 10, "valign": "top", "text_wrap": True, "border": 1, "border_color": "#BFBFBF"}
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.header = wb.add_format({**base, "bold": True, "bg_color": "#DDEBF7", "align": "center", "valign": "vcenter"})
        self.text = wb.add_format(base)
        self.plain = wb.add_format({"font_name": "等线", "font_size": 10})
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


@contextlib.contextmanager
def owned_workbook(path: Path, small: bool = False) -> Iterator[tuple[OwnedWorkbook, Styles]]:
    """Write to a temp file beside ``path``, then rename over it: readers never see half a file.

    ``small`` (a receipt, a few hundred cells): built in memory. constant_memory, which the
    consolidated workbook needs, writes a temp file per worksheet part, half a receipt's time.

    With streamed rows, xlsxwriter's temp file is copied to a second one with the rows added,
    and that one is renamed over ``path``.

    If the target is held open (Windows locks open workbooks), the previous file is kept and
    XlbridgeError is raised so the caller can retry later.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.xlsx")
    spliced = path.with_name(f".{path.stem}.rows.{os.getpid()}.tmp.xlsx")  # the daemon's stale-temp sweep knows both
    wb = OwnedWorkbook(str(tmp), {**_OPTIONS, "tmpdir": str(path.parent), "in_memory": small})
    try:
        try:
            yield wb, Styles(wb)
            wb.close()
            done = tmp
            if wb.row_streams:
                splice_rows(tmp, spliced, wb.row_streams)
                done = spliced
        except (OSError, FileCreateError) as exc:  # e.g. the folder is read-only or the disk full
            raise XlbridgeError(f"无法写入 {path}（{exc}），已保留上一版本，稍后重试") from None
        try:
            os.replace(done, path)
        except PermissionError:
            raise XlbridgeError(f"{path} 正被其他程序打开，已保留上一版本，稍后重试") from None
        except OSError as exc:
            raise XlbridgeError(f"无法替换 {path}（{exc.strerror}），已保留上一版本，稍后重试") from None
    finally:
        for leftover in (tmp, spliced):
            if leftover.exists():
                leftover.unlink()


def text(value: Any) -> str:
    return "" if value is None else str(value)


def write_table(ws: Any, first_row: int, headers: list[str], widths: list[float], styles: Styles) -> int:
    for col, (header, width) in enumerate(zip(headers, widths)):
        ws.set_column(col, col, width)
        ws.write_string(first_row, col, header, styles.header)
    ws.freeze_panes(first_row + 1, 0)
    return first_row + 1

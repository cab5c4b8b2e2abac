"""Bulk worksheet rows written straight as SpreadsheetML into a package that xlsxwriter wrote.

Why this module exists: the consolidated workbook's 明细 sheet has one row per stored ledger row,
60,000 rows × 12 cells (~135 MB of XML, mostly Chinese text) in the benchmark, whose goal is the
whole workbook in ≤ 9 s. Through xlsxwriter each cell costs ~12 µs of Python (type dispatch,
dimension checks, escaping, one file write per cell): the workbook took ~12.9 s, and xlsxwriter
alone writing the same rows ~12.3 s, so no saving on our side of the calls could reach the goal.
A Rust-backed writer was evaluated instead (rvgsrust-xlsxwriter 0.3.5, on rust_xlsxwriter: 明细
alone in ~6.2 s) and not adopted: a beta a few months old from one small team, whose speed is
bounded by the same deflate, while receipts would still need xlsxwriter. So for this one sheet,
and only for its data rows, we write the XML ourselves: one f-string per cell, special characters
looked for once per row, and the deflate (which releases the GIL) running in a second thread
while the next rows are built. For clean text the result is byte for byte the sheet XML
xlsxwriter's ``constant_memory`` mode writes.

Everything else stays with xlsxwriter: it writes the whole workbook first — the other sheets,
styles, chart, and on this sheet the header row, column widths, frozen panes, autofilter and one
*template row*, the first data row. :func:`splice_rows` then copies that package entry by entry
(compressed as it is) and inserts the streamed rows after the template row, each cell reusing
the style id (``s=``) of the template's cell in its column, and corrects the sheet's ``<dimension>``.

The rows can come in *blocks* (one unit's rows of 明细), each deflated as a piece of its own
(:mod:`xlbridge.xlsx.pieces`) and kept in a cache under the block's key, the row it starts at and
the template's styles: the next write copies the piece of a block that did not change.

A streamed cell is written as xlsxwriter writes it, except that characters XML 1.0 forbids are
removed instead of escaped:

* a string is an inline string (``t="inlineStr"``): text, never a formula, number or link, however
  it starts (``=``, ``+``, ``-``, ``@``, ``http://``);
* C0 control characters other than tab, LF and CR, and U+FFFE/U+FFFF, are removed; ``&``, ``<``
  and ``>`` are escaped; a literal ``_xHHHH_`` gets its underscore escaped as ``_x005F_`` (Excel
  would otherwise read it as an escaped character); leading or trailing whitespace is kept with
  ``xml:space="preserve"``; text over Excel's cell limit of 32,767 UTF-16 units is cut there;
* an int or a finite float is a number; ``None`` and ``""`` are blank cells that keep the style;
  anything else is its ``str()`` as text.
"""

from __future__ import annotations

import hashlib
import math
import posixpath
import queue
import re
import threading
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from xlbridge.findings import column_index, column_letter
from xlbridge.xlsx.pieces import COMPRESS_LEVEL, Deflater, Piece, PieceZip

_ROWS_PER_CHUNK = 512  # ~1 MB of XML per chunk handed to the compressing thread
_QUEUED_CHUNKS = 4  # bounds the memory held between the two threads
_UNCACHED_PIECE = 4 << 20  # bytes of XML after which an uncached run of rows is cut into a new piece
_SOURCE = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]  # a cached piece is this code's XML

_EXCEL_CELL_LIMIT = 32767  # UTF-16 code units
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPE_LIKE = re.compile("(_x[0-9A-Fa-f]{4}_)")
_TEMPLATE_CELL = re.compile(r'<c r="([A-Z]{1,3})\d+"(?: s="(\d+)")?')
_DIMENSION = re.compile(r'<dimension ref="([A-Z]{1,3}\d+)(?::([A-Z]{1,3})\d+)?"/>')

_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_DOC_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


@dataclass
class Block:
    """``count`` rows deflated and cached together (one unit's rows of 明细). ``key`` says all
    their XML depends on but where they stand: the stream adds the first row's number and the
    template's styles. An empty key: not cached."""

    key: str
    count: int
    rows: Callable[[], Iterable[Sequence[Any]]]


class PieceCache(Protocol):
    """Where deflated blocks are kept between two writes (:mod:`xlbridge.service.summary_cache`)."""

    def get(self, key: str) -> Piece | None: ...

    def put(self, pieces: dict[str, Piece]) -> None: ...


@dataclass
class RowStream:
    """``count`` rows for one worksheet, each a sequence of cell values from the template's column on.

    The count is needed up front: ``<dimension>`` comes before the rows in the sheet XML, and the
    entry is compressed as it is written. A stream that yields another number of rows fails.
    With ``blocks`` (and a ``cache``) the rows come block by block, each block's deflated XML
    taken from the cache when it holds it; ``rows`` is then unused.
    """

    rows: Iterable[Sequence[Any]]
    count: int
    height: Callable[[Sequence[Any]], float] | None = None  # each row's height in points (None: the default)
    blocks: Sequence[Block] = ()
    cache: PieceCache | None = None


@dataclass(frozen=True)
class _Cut:
    """Ends the piece being deflated; ``key``: cache it under that key."""

    key: str = ""
    final: bool = False


def splice_rows(source: Path, target: Path, streams: dict[str, RowStream]) -> None:
    """Copy the package ``source`` to ``target``, appending each stream's rows to its worksheet
    (by sheet name) after the last row xlsxwriter wrote there, the template row. The other
    entries are copied compressed as they are."""
    with zipfile.ZipFile(source) as src, open(target, "wb") as out:
        parts = worksheet_parts(src)
        missing = set(streams) - set(parts)
        if missing:
            raise ValueError(f"no worksheet named {', '.join(sorted(missing))}")
        by_part = {parts[name]: stream for name, stream in streams.items()}
        package = PieceZip(out)
        for info in src.infolist():
            stream = by_part.get(info.filename)
            if stream is None:
                package.copy(src, info)
                continue
            new = _write_in_thread(package, info, _sheet_items(src.read(info).decode("utf-8"), stream))
            if stream.cache is not None and new:
                stream.cache.put(new)
        package.close()


def worksheet_parts(src: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → its part in the package, from xl/workbook.xml and its relationships."""
    rels = ET.fromstring(src.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_NS_PKG_REL}Relationship")}
    parts = {}
    for sheet in ET.fromstring(src.read("xl/workbook.xml")).iter(f"{_NS_MAIN}sheet"):
        target = targets[sheet.get(f"{_NS_DOC_REL}id")]
        parts[sheet.get("name", "")] = target[1:] if target.startswith("/") else posixpath.normpath(f"xl/{target}")
    return parts


def _sheet_items(xml: str, stream: RowStream) -> Iterator[bytes | Piece | _Cut]:
    """The worksheet XML with the streamed rows inserted before ``</sheetData>``: UTF-8 chunks to
    deflate, cuts between pieces, and the cached pieces of blocks written before."""
    end = xml.rindex("</sheetData>")
    head, tail = xml[:end], xml[end:]
    template = head[head.rindex("<row "):]
    template_row = int(re.match(r'<row r="(\d+)"', template).group(1))  # type: ignore[union-attr]
    cells = _TEMPLATE_CELL.findall(template)
    if not cells:
        raise ValueError("the template row has no cells")
    first = column_index(cells[0][0])
    styles = {column_index(letters): f' s="{s}"' if s else "" for letters, s in cells}
    columns = [(column_letter(n), styles.get(n, "")) for n in range(first, max(styles) + 1)]
    blocks = stream.blocks or [Block("", stream.count, lambda: stream.rows)]
    announced = sum(b.count for b in blocks) if stream.blocks else stream.count
    last_row = template_row + announced

    def dimension(m: re.Match[str]) -> str:
        last_col = max(columns[-1][0], m.group(2) or "", key=lambda c: (len(c), c))
        return f'<dimension ref="{m.group(1)}:{last_col}{last_row}"/>'

    head, found = _DIMENSION.subn(dimension, head, count=1)
    if not found:
        raise ValueError("the worksheet has no <dimension>")
    yield head.encode("utf-8")
    yield _Cut()
    number = template_row + 1
    for block in blocks:
        key = _piece_key(block.key, number, columns) if block.key and stream.cache is not None else ""
        cached = stream.cache.get(key) if key and stream.cache is not None else None
        if cached is not None:
            yield cached
        else:
            size = 0
            for chunk in _block_chunks(block, number, columns, stream.height, None if stream.blocks else stream.count):
                yield chunk
                size += len(chunk)
                if not key and size >= _UNCACHED_PIECE:  # a piece of no key may end anywhere: memory stays bounded
                    yield _Cut()
                    size = 0
            yield _Cut(key)
        number += block.count
    yield tail.encode("utf-8")
    yield _Cut(final=True)


def _piece_key(key: str, first_row: int, columns: list[tuple[str, str]]) -> str:
    where = f"{key}\n{first_row}\n{columns}\n{COMPRESS_LEVEL}\n{_SOURCE}"
    return hashlib.sha256(where.encode("utf-8", "surrogatepass")).hexdigest()


def _block_chunks(block: Block, first_row: int, columns: list[tuple[str, str]],
                  height: Callable[[Sequence[Any]], float] | None, announced: int | None) -> Iterator[bytes]:
    """A block's rows as UTF-8 chunks of XML; exactly ``block.count`` rows or ValueError
    (``announced``: the count the caller gave for a plain stream, named in the error)."""
    written = 0
    batch: list[str] = []
    for row in _rows_xml(block.rows(), first_row, columns, height):
        written += 1
        if written > block.count:
            break
        batch.append(row)
        if len(batch) == _ROWS_PER_CHUNK:
            yield "".join(batch).encode("utf-8", "replace")
            batch = []
    if written != block.count:
        said = block.count if announced is None else announced
        raise ValueError(f"{'more' if written > block.count else written} rows streamed, {said} announced")
    if batch:
        yield "".join(batch).encode("utf-8", "replace")


def _rows_xml(rows: Iterable[Sequence[Any]], first_row: int, columns: list[tuple[str, str]],
              height: Callable[[Sequence[Any]], float] | None = None) -> Iterator[str]:
    width = len(columns)
    for number, values in enumerate(rows, start=first_row):
        if len(values) > width:
            raise ValueError(f"row {number} has {len(values)} cells, the template row {width}")
        plain = plain_text("".join([v for v in values if v.__class__ is str]))
        cells = []
        for (col, style), value in zip(columns, values):
            if value.__class__ is not str:
                if value is None:
                    cells.append(f'<c r="{col}{number}"{style}/>')
                    continue
                if value.__class__ in (int, float) and math.isfinite(value):
                    cells.append(f'<c r="{col}{number}"{style}><v>{value:.16G}</v></c>')
                    continue
                value = xml_text(str(value))
            elif not plain:
                value = xml_text(value)
            if not value:
                cells.append(f'<c r="{col}{number}"{style}/>')
            elif value[0].isspace() or value[-1].isspace():
                cells.append(f'<c r="{col}{number}"{style} t="inlineStr"><is><t xml:space="preserve">{value}</t></is></c>')
            else:
                cells.append(f'<c r="{col}{number}"{style} t="inlineStr"><is><t>{value}</t></is></c>')
        ht = f' ht="{height(values):g}" customHeight="1"' if height else ""
        yield f'<row r="{number}"{ht}>{"".join(cells)}</row>'


def plain_text(joined: str) -> bool:
    """Whether the joined text of a row's cells is XML text as it is (:func:`xml_text` would leave
    each cell unchanged): one look decides whether any cell needs more than the plain f-string.
    isprintable() is False for control characters (and for line breaks, tabs, U+3000 and a few
    more, which then take the exact per-cell path, which leaves them as they are)."""
    return len(joined) <= _EXCEL_CELL_LIMIT // 2 and escape_free(joined)


def escape_free(text: str) -> bool:
    """Whether ``text`` holds nothing :func:`xml_text` escapes or removes (its length aside)."""
    return ("&" not in text and "<" not in text and ">" not in text and "_x" not in text
            and (text.isprintable() or text.replace("\n", "").isprintable()))


def clean_text(value: Any) -> Any:
    """A string without the characters XML 1.0 forbids (anything else as it is): for the template
    row, which xlsxwriter writes, so that it is cleaned like the streamed rows."""
    return _FORBIDDEN.sub("", value) if value.__class__ is str else value


def xml_text(value: str) -> str:
    """A string as the XML text of an inline string (see the module docstring)."""
    value = _FORBIDDEN.sub("", value)
    if len(value) > _EXCEL_CELL_LIMIT // 2:
        utf16 = value.encode("utf-16-le", "surrogatepass")
        if len(utf16) > 2 * _EXCEL_CELL_LIMIT:  # cut there; "ignore" drops a surrogate pair cut in half
            value = utf16[: 2 * _EXCEL_CELL_LIMIT].decode("utf-16-le", "ignore")
    if "_x" in value:
        value = _ESCAPE_LIKE.sub(r"_x005F\1", value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _write_in_thread(package: PieceZip, info: zipfile.ZipInfo, items: Iterator[bytes | Piece | _Cut]) -> dict[str, Piece]:
    """The entry ``info`` of ``package`` from ``items``, deflated and written in a second thread:
    zlib and crc32 release the GIL, so the compression of one chunk overlaps the building of the
    next. The first failure on either side stops both and is raised here. Returns the pieces
    deflated under a key, for the cache."""
    pending: queue.Queue[bytes | Piece | _Cut | None] = queue.Queue(maxsize=_QUEUED_CHUNKS)
    failed: list[BaseException] = []
    new: dict[str, Piece] = {}

    def pieces() -> Iterator[Piece]:
        deflater = Deflater()
        while (item := pending.get()) is not None:
            if item.__class__ is bytes:
                deflater.add(item)  # type: ignore[arg-type]
            elif isinstance(item, Piece):
                yield item
            else:
                assert isinstance(item, _Cut)
                piece = deflater.piece(final=item.final)
                if item.key:
                    new[item.key] = piece
                yield piece
                deflater = Deflater()

    def drain() -> None:
        try:
            package.write_pieces(info, pieces())
        except BaseException as exc:  # noqa: BLE001  (raised again in the calling thread)
            failed.append(exc)
            while pending.get() is not None:  # keep taking items so that the producer never blocks
                pass

    writer = threading.Thread(target=drain, name="xlsx-deflate", daemon=True)
    writer.start()
    try:
        for item in items:
            if failed:
                break
            pending.put(item)
    finally:
        pending.put(None)
        writer.join()
    if failed:
        raise failed[0]
    return new


__all__ = ["COMPRESS_LEVEL", "Block", "PieceCache", "RowStream", "clean_text", "escape_free", "plain_text",
           "splice_rows", "worksheet_parts", "xml_text"]

"""A zip package assembled from pieces that were deflated apart, so that a piece deflated once can
be written again without deflating it again.

Why: the consolidated workbook's 明细 is most of its bytes (12,000 rows ≈ 27 MB of XML for 60
units), and most of a unit's rows are the same from one rewrite to the next (a late March file
rewrites every later month's 汇总, whose 明细 did not change). Each unit's rows are deflated as a
piece of their own and cached (:mod:`xlbridge.service.summary_cache`); the next rewrite copies the
piece's bytes instead of building and deflating its XML again.

How a piece can stand anywhere in an entry: it is a raw deflate stream from a fresh compressor
(no back-reference reaches outside it), ended by a sync flush (byte-aligned, not final). A run
of such pieces, the last one finished with a final block, is one valid deflate stream. The
entry's CRC-32 is combined from the pieces' own: crc(A‖B) = crc(0ⁿ, crc(A)) ⊕ crc(0ⁿ, 0) ⊕ crc(B)
for |B| = n (zlib's crc32_combine, which Python does not expose; crc32 over zeros is fast C).

The other entries of the package are copied as they are, compressed bytes and all.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

COMPRESS_LEVEL = 5  # zlib's default (6) takes ~55% longer on our Chinese text for a file ~3% smaller
_LIMIT = 0xFFFFFFFF  # sizes and offsets of a zip without zip64
_ZEROS = bytes(1 << 20)


@dataclass(frozen=True)
class Piece:
    """``data``: raw deflate of ``size`` bytes whose CRC-32 is ``crc``, sync-flushed (or final)."""

    data: bytes
    crc: int
    size: int


class Deflater:
    """Deflates one piece from the chunks handed to it."""

    def __init__(self, level: int = COMPRESS_LEVEL) -> None:
        self._z = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
        self._out: list[bytes] = []
        self.crc = 0
        self.size = 0

    def add(self, chunk: bytes) -> None:
        self.crc = zlib.crc32(chunk, self.crc)
        self.size += len(chunk)
        self._out.append(self._z.compress(chunk))

    def piece(self, final: bool = False) -> Piece:
        self._out.append(self._z.flush(zlib.Z_FINISH if final else zlib.Z_SYNC_FLUSH))
        return Piece(b"".join(self._out), self.crc, self.size)


def deflated(data: bytes, final: bool = False) -> Piece:
    d = Deflater()
    d.add(data)
    return d.piece(final)


def crc_combine(crc_a: int, crc_b: int, size_b: int) -> int:
    """The CRC-32 of A‖B from A's, B's and B's length."""
    shifted, zeros = crc_a, 0
    while size_b:
        n = min(size_b, len(_ZEROS))
        view = memoryview(_ZEROS)[:n]
        shifted, zeros = zlib.crc32(view, shifted), zlib.crc32(view, zeros)
        size_b -= n
    return shifted ^ zeros ^ crc_b


class PieceZip:
    """A zip written entry by entry to a seekable file: entries copied from another zip as they
    are, or made of pieces. Sizes beyond 4 GiB (zip64) are refused."""

    def __init__(self, out: IO[bytes]) -> None:
        self._out = out
        self._central: list[bytes] = []

    def copy(self, src: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        """``info``'s entry of ``src``, its compressed bytes unchanged."""
        fp = src.fp
        assert fp is not None
        fp.seek(info.header_offset)
        header = fp.read(30)
        if header[:4] != b"PK\x03\x04":
            raise zipfile.BadZipFile(f"no local header for {info.filename}")
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        fp.seek(info.header_offset + 30 + name_len + extra_len)
        remaining, chunks = info.compress_size, []
        while remaining:
            chunk = fp.read(min(remaining, 1 << 20))
            if not chunk:
                raise zipfile.BadZipFile(f"{info.filename} is cut short")
            chunks.append(chunk)
            remaining -= len(chunk)
        self._entry(info, info.compress_type, b"".join(chunks), info.CRC, info.file_size)

    def write_pieces(self, info: zipfile.ZipInfo, pieces: Iterable[Piece]) -> None:
        """An entry deflated from ``pieces`` in order; the last one must be final."""
        offset = self._start(info, zipfile.ZIP_DEFLATED)
        crc = size = compressed = 0
        for piece in pieces:
            self._out.write(piece.data)
            crc = crc_combine(crc, piece.crc, piece.size) if size else piece.crc  # the first: nothing to shift
            size += piece.size
            compressed += len(piece.data)
        self._finish(info, zipfile.ZIP_DEFLATED, offset, crc, compressed, size)

    def close(self) -> None:
        start = self._out.tell()
        for record in self._central:
            self._out.write(record)
        size = self._out.tell() - start
        if len(self._central) > 0xFFFF or start > _LIMIT:
            raise ValueError("zip too large without zip64")
        self._out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(self._central), len(self._central),
                                    size, start, 0))

    def _entry(self, info: zipfile.ZipInfo, method: int, data: bytes, crc: int, size: int) -> None:
        offset = self._start(info, method)
        self._out.write(data)
        self._finish(info, method, offset, crc, len(data), size)

    def _start(self, info: zipfile.ZipInfo, method: int) -> int:
        offset = self._out.tell()
        self._out.write(self._local(info, method, 0, 0, 0))
        return offset

    def _finish(self, info: zipfile.ZipInfo, method: int, offset: int, crc: int, compressed: int, size: int) -> None:
        if max(offset, compressed, size, self._out.tell()) > _LIMIT:
            raise ValueError(f"{info.filename}: too large for a zip without zip64")
        end = self._out.tell()
        self._out.seek(offset)
        self._out.write(self._local(info, method, crc, compressed, size))
        self._out.seek(end)
        name, flags = _name(info)
        time, date = _dos_time(info)
        made_by = info.create_system << 8 | 20
        self._central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, made_by, 20, flags, method, time, date, crc,
                                         compressed, size, len(name), 0, 0, 0, 0, info.external_attr, offset) + name)

    @staticmethod
    def _local(info: zipfile.ZipInfo, method: int, crc: int, compressed: int, size: int) -> bytes:
        name, flags = _name(info)
        time, date = _dos_time(info)
        return struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, time, date, crc, compressed, size,
                           len(name), 0) + name


def _name(info: zipfile.ZipInfo) -> tuple[bytes, int]:
    try:
        return info.filename.encode("ascii"), 0
    except UnicodeEncodeError:
        return info.filename.encode("utf-8"), 0x800  # bit 11: the name is UTF-8


def _dos_time(info: zipfile.ZipInfo) -> tuple[int, int]:
    y, mo, d, h, mi, s = info.date_time
    return h << 11 | mi << 5 | s // 2, max(y - 1980, 0) << 9 | mo << 5 | d


__all__ = ["COMPRESS_LEVEL", "Deflater", "Piece", "PieceZip", "crc_combine", "deflated"]

"""A package written as one zip, in one write, atomically: for the workbooks written many times
a month from parts built once (the pre-filled ledgers, the receipts).

Why not :mod:`zipfile`: zlib's deflate was the largest cost of a 200-row pre-filled ledger (~3.5 ms
of its ~16 at level 1, for ~590 KB of sheet XML), and zipfile deflates every part again on every
write, styles and theme included. Here each part is deflated by ISA-L (:mod:`isal.isal_zlib`, the
same raw deflate streams, ~4× faster than zlib at level 1 for files as large), and the parts that
never change are deflated once (:func:`deflated`) and copied as they are. The zip itself is the
plain format every reader knows: local headers, data, central directory; no zip64 (a part or a
package over 4 GB is refused, far above anything written here).
"""

from __future__ import annotations

import contextlib
import os
import re
import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from isal import isal_zlib

from xlbridge.errors import XlbridgeError
from xlbridge.xlsx.owned import failure_reason, temp_name

LEVEL = 1  # ISA-L's levels are 0–3; 1 packs as tightly as zlib's 1 (measured on ledger and receipt XML)
_LIMIT = 0xFFFFFFFF
_UTF8_NAME = 0x800
_DOS_1980 = (0, (0 << 9) | (1 << 5) | 1)  # 1980-01-01 00:00, as xlsxwriter dates its parts
_CORE_TIME = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


@dataclass(frozen=True)
class Deflated:
    """A part's data deflated, with what its zip entry records."""

    data: bytes
    crc: int
    size: int


def deflated(data: bytes) -> Deflated:
    compressor = isal_zlib.compressobj(LEVEL, isal_zlib.DEFLATED, -15)
    return Deflated(compressor.compress(data) + compressor.flush(), zlib.crc32(data), len(data))


def core_stamped(core_xml: bytes) -> bytes:
    """docProps/core.xml of a package built once, created and modified now (UTC)."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    return _CORE_TIME.sub(lambda m: m[1] + now + m[2], core_xml)


def write_zip(path: Path, parts: Iterable[tuple[str, bytes | Deflated]]) -> Path:
    """The zip of ``parts`` (name, data or data deflated already) at ``path``: written to a temp
    file beside it, then renamed over it, so readers never see half a file; a failure (a full
    disk) leaves no temp file, only a Chinese error."""
    chunks: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for name, data in parts:
        part = data if isinstance(data, Deflated) else deflated(data)
        encoded = name.encode("utf-8")
        flags = 0 if encoded.isascii() else _UTF8_NAME
        if max(len(part.data), part.size, offset) > _LIMIT:
            raise XlbridgeError(f"无法写入 {path}（{name} 超过 4 GB）")
        time, date = _DOS_1980
        header = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, 8, time, date, part.crc, len(part.data),
                             part.size, len(encoded), 0)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, 8, time, date, part.crc,
                                   len(part.data), part.size, len(encoded), 0, 0, 0, 0, 0, offset) + encoded)
        chunks += (header, encoded, part.data)
        offset += len(header) + len(encoded) + len(part.data)
    directory = b"".join(central)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), len(directory), offset, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_name(path)
    try:
        with open(tmp, "wb") as fh:
            fh.write(b"".join([*chunks, directory, end]))
        os.replace(tmp, path)
    except OSError as exc:
        raise XlbridgeError(f"无法写入 {path}（{failure_reason(exc)}）") from None
    finally:  # a full disk or a held target: no half-written temp file stays behind
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
    return path

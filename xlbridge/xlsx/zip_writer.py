"""A package written as one zip, atomically: for the workbooks written many times a month from
parts built once (the pre-filled ledgers, the receipts).

Why not :mod:`zipfile`: zlib's deflate was the largest cost of a 200-row pre-filled ledger (~3.5 ms
of its ~16 at level 1, for ~590 KB of sheet XML), and zipfile deflates every part again on every
write, styles and theme included. Here each part is deflated by ISA-L (:mod:`isal.isal_zlib`, the
same raw deflate streams, ~4× faster than zlib at level 1 for files as large), and the parts that
never change are deflated once (:func:`deflated`) and copied as they are, by the zip writer of
pieces (:mod:`xlbridge.xlsx.pieces`) the consolidated workbook uses too.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from isal import isal_zlib

from xlbridge.errors import XlbridgeError
from xlbridge.xlsx.owned import written_atomically
from xlbridge.xlsx.pieces import Piece, PieceZip

LEVEL = 1  # ISA-L's levels are 0–3; 1 packs as tightly as zlib's 1 (measured on ledger and receipt XML)
_DOS_1980 = (1980, 1, 1, 0, 0, 0)  # as xlsxwriter dates its parts
_CORE_TIME = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def deflated(data: bytes) -> Piece:
    """``data`` as one final piece, deflated by ISA-L."""
    compressor = isal_zlib.compressobj(LEVEL, isal_zlib.DEFLATED, -15)
    return Piece(compressor.compress(data) + compressor.flush(), zlib.crc32(data), len(data))


def core_stamped(core_xml: bytes) -> bytes:
    """docProps/core.xml of a package built once, created and modified now (UTC)."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    return _CORE_TIME.sub(lambda m: m[1] + now + m[2], core_xml)


def write_zip(path: Path, parts: Iterable[tuple[str, bytes | Piece]]) -> Path:
    """The zip of ``parts`` (name, data or data deflated already) at ``path``: written to a temp
    file beside it, then renamed over it, so readers never see half a file; a failure (a full
    disk) leaves no temp file, only a Chinese error."""
    try:
        with written_atomically(path) as tmp, open(tmp, "wb") as fh:
            package = PieceZip(fh)
            for name, data in parts:
                package.write_pieces(zipfile.ZipInfo(name, _DOS_1980),
                                     [data if isinstance(data, Piece) else deflated(data)])
            package.close()
    except ValueError as exc:  # a part or the package over 4 GB, far above anything written here
        raise XlbridgeError(f"无法写入 {path}（{exc}）") from None
    return path

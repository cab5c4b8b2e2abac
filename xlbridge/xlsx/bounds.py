"""Bounds of a submitted workbook, checked on its bytes before any reader allocates for it.

Readers trust what a workbook says: calamine allocates one cell for every position between A1
and the farthest cell reference it meets (one cell at XFD1048576 asks for 550 GB and aborts the
process), and zip readers allocate what a member's header declares. So before calamine or
openpyxl sees a file, every member's declared size and its own compression ratio are checked,
each sheet a reader will parse is inflated here with a cap (its real size, whatever the header
says), and its XML is scanned for its ``<dimension>``, the farthest cell and row reference, cells
or rows without a reference (which readers place one after the other), and formulas (the reader
needs their positions, and this is the one pass over the sheet that finds them).

The scan is two C-speed regular-expression passes over the XML, not a parse: the usual sheet
(every cell ``<c r="A1" …``, as Excel, WPS, LibreOffice, openpyxl and xlsxwriter write them, all
within the limits) matches nothing but its formulas. Anything else (a reference beyond what the
fast pattern lets through, an attribute order or quoting it does not expect, a cell without
``r``) falls to an exact walk over every cell and row tag.
"""

from __future__ import annotations

import os
import re
import struct
import zipfile
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import PurePosixPath
from typing import BinaryIO

from defusedxml import DefusedXmlException, ElementTree
from isal import isal_zlib

from xlbridge.errors import LedgerError
from xlbridge.findings import column_index, column_letter

MB = 1024 * 1024
MAX_MEMBERS = 10_000
MAX_RATIO = 200  # one member's own ratio; shared strings of repeated Chinese text compress ~10–30×
RATIO_FLOOR = 1 * MB  # smaller members may compress as they like: they cannot cost much
DEFLATE_MAX_RATIO = 1032  # the most deflate can expand: a member's packed size bounds its real size
EXCEL_MAX_ROWS, EXCEL_MAX_COLUMNS = 1_048_576, 16_384
_REQUIRED = ("[Content_Types].xml",)
_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}


class BoundsError(LedgerError):
    """A workbook over a limit, or one no reader may be given; ``rule`` names the kind."""

    def __init__(self, message: str, rule: str = "file-over-limit") -> None:
        super().__init__(message)
        self.rule = rule


@dataclass(frozen=True)
class SheetLimits:
    rows: int
    columns: int
    cells: int
    what: str = "工作表范围"  # how the receipt names the range ("台账范围")


@dataclass(frozen=True)
class Limits:
    """What any submitted workbook may hold (Workspace settings); sheets get their own below."""

    file_bytes: int = 50 * MB
    unpacked_bytes: int = 256 * MB  # all members inflated, and each one
    rows: int = 20_000
    columns: int = 64
    cells: int = 500_000

    def sheet(self, what: str = "工作表范围") -> SheetLimits:
        return SheetLimits(self.rows, self.columns, self.cells, what)


@dataclass
class SheetScan:
    max_row: int = 0
    max_column: int = 0
    formulas: set[tuple[int, int]] = field(default_factory=set)  # (row, col), 1-based


@dataclass
class Scan:
    names: list[str]  # the workbook's sheets, in order
    sheets: dict[str, SheetScan]  # the sheets scanned (those a reader will parse)
    macros: bool = False


@dataclass
class Package:
    """A workbook's zip, its members checked: what a reader may open (its sheets still to scan)."""

    data: bytes
    file: str
    limits: Limits
    infos: list[zipfile.ZipInfo]
    names: list[str]  # the sheets, in workbook order
    parts: dict[str, str]  # sheet name → its zip member
    scanned: set[str] = field(default_factory=set)  # members the sheet scan inflates itself

    def verify(self) -> None:
        """Every other member whose packed size lets it (alone, or with the members before it left
        unchecked) inflate past the cap, inflated with the cap and the output dropped: what the
        members really hold, never what their headers say, stays within the limits. The usual
        200-row ledger has none to inflate."""
        cap, unchecked = self.limits.unpacked_bytes, 0
        for info in self.infos:
            if info.filename in self.scanned or info.compress_type != zipfile.ZIP_DEFLATED:
                continue
            worst = info.compress_size * DEFLATE_MAX_RATIO
            if unchecked + worst > cap:
                inflate(self.data, info, self.file, cap, keep=False)
            else:
                unchecked += worst

    @property
    def macros(self) -> bool:
        return any(i.filename.lower().endswith("vbaproject.bin") for i in self.infos)

    @property
    def external_links(self) -> int:
        """Links to other workbooks or DDE servers (Excel keeps each in xl/externalLinks/)."""
        return sum(i.filename.lower().startswith("xl/externallinks/externallink") for i in self.infos)

    def scan(self, sheets: dict[str, SheetLimits]) -> dict[str, SheetScan]:
        """Each of ``sheets`` (name → its limits) inflated with the cap and scanned; a sheet not in
        the workbook is skipped."""
        return self.scan_inflated(self.inflate(sheets), sheets)

    def inflate(self, sheets: Iterable[str]) -> dict[str, bytes]:
        """The XML of each of ``sheets`` in the workbook, inflated with the cap (unscanned yet)."""
        by_name = {i.filename: i for i in self.infos}
        xmls = {}
        for name in sheets:
            part = self.parts.get(name)
            if part is None:
                continue
            info = by_name.get(part)
            if info is None:
                raise LedgerError(f"{self.file}：工作簿结构损坏（找不到工作表「{name}」的数据）")
            xmls[name] = inflate(self.data, info, self.file, self.limits.unpacked_bytes)
        return xmls

    def scan_inflated(self, xmls: dict[str, bytes], sheets: dict[str, SheetLimits]) -> dict[str, SheetScan]:
        return {name: scan_sheet(xml, self.file, name, sheets[name]) for name, xml in xmls.items()}

    def with_stored(self, xmls: dict[str, bytes]) -> bytes:
        """The workbook again, each of these sheets stored as the XML the scan reads (so a reader
        parses the very bytes that were checked, and does not inflate them a second time); every
        other member copied as it is packed. (Storing the shared strings too was measured: faster
        on an Excel-style file, slower on a LibreOffice one, whose 8 MB calamine inflates faster
        than python-calamine copies it in.)"""
        stored = {self.parts[name]: xml for name, xml in xmls.items()}
        return repacked(self.data, self.infos, stored)


def open_package(data: bytes, file: str, limits: Limits, scanned: Iterable[str] = (), verify: bool = True) -> Package:
    """``data`` (a whole .xlsx) checked against ``limits``: its size, every member's declared size
    and ratio, and (``verify``, else :meth:`Package.verify` before any reader opens it) the real
    size of every member that could inflate past the cap but the ``scanned`` sheets (their scan
    inflates them). Raises BoundsError / LedgerError, in Chinese."""
    if len(data) > limits.file_bytes:
        raise BoundsError(f"{file}：文件大小 {len(data) / MB:.1f} MB，超过上限 {limits.file_bytes // MB} MB（设置 max_file_mb）")
    try:
        zf = zipfile.ZipFile(BytesIO(data))
    except zipfile.BadZipFile:
        raise LedgerError(_not_a_zip_message(file, data)) from None
    with zf:
        infos = zf.infolist()
        _check_members(file, infos, limits)
        names, parts = _sheet_parts(zf, data, file, limits)
    package = Package(data, file, limits, infos, names, parts, {parts[n] for n in scanned if n in parts})
    if verify:
        package.verify()
    return package


def scan_workbook(data: bytes, file: str, sheets: dict[str, SheetLimits], limits: Limits) -> Scan:
    """:func:`open_package`, then ``sheets`` scanned."""
    package = open_package(data, file, limits, sheets)
    return Scan(package.names, package.scan(sheets), package.macros)


def read_capped(fh: BinaryIO, cap: int) -> bytes:
    """An open file's bytes, at most ``cap`` + 1 of them (one more than the cap tells it is over).
    Asked for by its size, not the cap: read(cap) would allocate the whole cap first."""
    size = os.fstat(fh.fileno()).st_size
    return fh.read(min(size, cap) + 1)


def sheet_names(data: bytes, file: str, limits: Limits) -> list[str]:
    """The workbook's sheets, in order (its zip checked first)."""
    return list(sheet_members(data, file, limits))


def sheet_members(data: bytes, file: str, limits: Limits) -> dict[str, str]:
    """Each sheet's zip member, in workbook order (a sheet with no member: an empty string)."""
    try:
        zf = zipfile.ZipFile(BytesIO(data))
    except zipfile.BadZipFile:
        raise LedgerError(_not_a_zip_message(file, data)) from None
    with zf:
        _check_members(file, zf.infolist(), limits)
        names, parts = _sheet_parts(zf, data, file, limits)
    return {name: parts.get(name, "") for name in names}


# --------------------------------------------------------------------------- the zip
def _check_members(file: str, infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    if len(infos) > MAX_MEMBERS:
        raise BoundsError(f"{file}：压缩包内文件数过多（{len(infos)} 个），疑似恶意文件，已拒收")
    names = {i.filename for i in infos}
    if any(i.filename.startswith(("/", "..")) or "/../" in i.filename or "\\" in i.filename for i in infos):
        raise BoundsError(f"{file}：压缩包内含非法路径，疑似恶意文件，已拒收")
    if "xl/encryptedPackage" in names or "EncryptionInfo" in names:
        raise LedgerError(f"{file}：工作簿设置了打开密码，请取消密码后再提交")
    if not all(r in names for r in _REQUIRED) or not any(n.startswith("xl/") for n in names):
        raise LedgerError(f"{file}：不是 Excel 工作簿（.xlsx），请用 Excel/WPS 另存为 .xlsx 格式后再提交")
    cap = limits.unpacked_bytes
    total = 0
    for i in infos:
        if i.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise BoundsError(f"{file}：压缩包成员 {i.filename[:80]} 使用了不支持的压缩方式，已拒收")
        if i.compress_type == zipfile.ZIP_STORED and i.file_size != i.compress_size:
            raise BoundsError(f"{file}：压缩包成员 {i.filename[:80]} 的大小前后不一致，文件已损坏或被篡改，已拒收")
        # Declared sizes first: readers size their buffers by them.
        if i.file_size > cap:
            raise BoundsError(f"{file}：压缩包成员 {i.filename[:80]} 声明解压后 {i.file_size // MB} MB，超过上限 {cap // MB} MB，"
                              "疑似“压缩炸弹”，已拒收")
        if i.file_size > RATIO_FLOOR and i.file_size > MAX_RATIO * max(i.compress_size, 1):
            raise BoundsError(f"{file}：压缩包成员 {i.filename[:80]} 压缩比 {i.file_size // max(i.compress_size, 1)}:1，"
                              "疑似“压缩炸弹”，已拒收")
        # Then the real size: only what deflate can make of the packed bytes bounds it. A member
        # that could inflate past the cap is inflated here, with the cap, and its output dropped.
        worst = i.compress_size * (DEFLATE_MAX_RATIO if i.compress_type == zipfile.ZIP_DEFLATED else 1)
        total += min(worst, i.file_size) if worst <= cap else i.file_size
    if total > cap:
        raise BoundsError(f"{file}：解压后共 {total // MB} MB，超过上限 {cap // MB} MB，疑似“压缩炸弹”，已拒收")


_LOCAL_HEADER = struct.Struct("<4s22xHH")


def inflate(data: bytes, info: zipfile.ZipInfo, file: str, cap: int, keep: bool = True) -> bytes:
    """A member's bytes, inflated from its packed data with ``cap`` on the output: never more
    than the cap is made, and a real size other than the declared one is refused."""
    offset = info.header_offset
    magic, name_len, extra_len = _LOCAL_HEADER.unpack_from(data, offset)
    if magic != b"PK\x03\x04":
        raise LedgerError(f"{file}：工作簿已损坏（压缩包成员 {info.filename[:80]} 的位置不正确）")
    start = offset + _LOCAL_HEADER.size + name_len + extra_len
    packed = memoryview(data)[start:start + info.compress_size]
    if info.compress_type == zipfile.ZIP_STORED:
        out = bytes(packed)
        size = len(out)
    else:
        inflater = isal_zlib.decompressobj(-15)  # ISA-L: ~3× zlib's speed, the same stepwise bound
        size, chunks, rest = 0, [], packed
        try:
            while True:
                # In steps, each bounded: a bomb costs the cap at most, never its full size.
                chunk = inflater.decompress(rest, min(cap + 1 - size, 64 * MB))
                size += len(chunk)
                if keep:
                    chunks.append(chunk)
                if size > cap:
                    raise BoundsError(f"{file}：压缩包成员 {info.filename[:80]} 解压后超过 {cap // MB} MB，疑似“压缩炸弹”，已拒收")
                rest = inflater.unconsumed_tail
                if inflater.eof or not rest:
                    break
        except isal_zlib.error:
            raise LedgerError(f"{file}：工作簿内容无法解析（压缩包成员 {info.filename[:80]} 已损坏，无法解压）") from None
        out = b"".join(chunks)
    if size != info.file_size:
        raise BoundsError(f"{file}：压缩包成员 {info.filename[:80]} 实际解压后 {size} 字节，与声明的 {info.file_size} 字节不符，"
                          "文件已损坏或被篡改，已拒收")
    return out


_ZIP_LOCAL = struct.Struct("<4s5H3L2H")
_ZIP_CENTRAL = struct.Struct("<4s6H3L5H2L")
_ZIP_END = struct.Struct("<4s4H2LH")
_UTF8 = 0x800


def repacked(data: bytes, infos: list[zipfile.ZipInfo], stored: dict[str, bytes]) -> bytes:
    """A zip of ``infos``' members: those named in ``stored`` stored with those bytes, the others'
    packed bytes copied from ``data`` (their headers rewritten: no data descriptors, no extras).
    A few milliseconds of copying for a 5 MB sheet, against the ~15 ms of inflating it again."""
    out, central = [], []
    offset = 0
    for info in infos:
        name = info.filename.encode("utf-8")
        if info.filename in stored:
            body = stored[info.filename]
            method, crc, size = zipfile.ZIP_STORED, isal_zlib.crc32(body), len(body)
        else:
            _, name_len, extra_len = _LOCAL_HEADER.unpack_from(data, info.header_offset)
            start = info.header_offset + _LOCAL_HEADER.size + name_len + extra_len
            body = memoryview(data)[start:start + info.compress_size]
            method, crc, size = info.compress_type, info.CRC, info.file_size
        dostime = info.date_time[3] << 11 | info.date_time[4] << 5 | info.date_time[5] // 2
        dosdate = (info.date_time[0] - 1980) << 9 | info.date_time[1] << 5 | info.date_time[2]
        out.append(_ZIP_LOCAL.pack(b"PK\x03\x04", 20, _UTF8, method, dostime, dosdate, crc, len(body), size, len(name), 0))
        out += (name, body)
        central.append(_ZIP_CENTRAL.pack(b"PK\x01\x02", 20, 20, _UTF8, method, dostime, dosdate, crc, len(body), size,
                                         len(name), 0, 0, 0, 0, 0, offset) + name)
        offset += _ZIP_LOCAL.size + len(name) + len(body)
    directory = b"".join(central)
    end = _ZIP_END.pack(b"PK\x05\x06", 0, 0, len(central), len(central), len(directory), offset, 0)
    return b"".join([*out, directory, end])


def _not_a_zip_message(file: str, head: bytes) -> str:
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return f"{file}：这是旧版 .xls 或加密的工作簿，请用 Excel/WPS 另存为 .xlsx（不加密）后再提交"
    if not head:
        return f"{file}：文件为空（可能尚未复制完成）"
    return f"{file}：文件已损坏或不完整（不是有效的 .xlsx 压缩包）"


_STRUCTURE_CAP = 4 * MB  # workbook.xml and its relationships: a few KB in any real workbook


def _sheet_parts(zf: zipfile.ZipFile, data: bytes, file: str, limits: Limits) -> tuple[list[str], dict[str, str]]:
    """The workbook's sheet names, and the zip member of each (workbook.xml → relationships)."""
    try:
        workbook = ElementTree.fromstring(inflate(data, zf.getinfo("xl/workbook.xml"), file, _STRUCTURE_CAP))
        rels = ElementTree.fromstring(inflate(data, zf.getinfo("xl/_rels/workbook.xml.rels"), file, _STRUCTURE_CAP))
    except (KeyError, ElementTree.ParseError, DefusedXmlException) as exc:
        # DefusedXmlException: an entity declaration (billion laughs) in workbook.xml.
        why = ("缺少 xl/workbook.xml 或其关系文件" if isinstance(exc, KeyError)
               else "含实体声明（可能是“十亿笑声”攻击）" if isinstance(exc, DefusedXmlException) else "XML 无法解析")
        raise LedgerError(f"{file}：工作簿结构损坏或含不安全的 XML（{why}）；请用 Excel 或 WPS 另存为 .xlsx 后重新报送") from None
    targets = {r.get("Id"): r.get("Target") or "" for r in rels.iterfind("rel:Relationship", _NS)}
    names, parts = [], {}
    for sheet in workbook.iterfind("m:sheets/m:sheet", _NS):
        name = sheet.get("name") or ""
        names.append(name)
        target = targets.get(sheet.get(f"{{{_NS['r']}}}id"), "")
        if target:
            parts[name] = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
    return names, parts


# --------------------------------------------------------------------------- a sheet's XML
_FORMULA = re.compile(rb"<f[\s>/]")
_PREFIXED_FORMULA = re.compile(rb":f[\s>/]")  # <x:f>: no usual sheet has a prefix (two passes at C speed beat one)
_FORMULA_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]+)"[^>]*?(?<!/)>(?:<v>[^<]*</v>)?<f[\s>/]')
_ANY_FORMULA = re.compile(rb"<(?:[\w.-]+:)?f(?=[\s>/])([^>]*)")
_REF_ATTR = re.compile(rb"(?:^|\s)ref\s*=\s*[\"']\s*([^\"']*)")
_DIMENSION = re.compile(rb"<(?:[\w.-]+:)?dimension\s[^>]*?\bref\s*=\s*[\"']([^\"']*)")
_ANY_TAG = re.compile(rb"<(?:[\w.-]+:)?(c|row)(?=[\s>/])([^>]*)")
_R_ATTR = re.compile(rb"(?:^|\s)r\s*=\s*[\"']\s*([^\"']*)")
_REF = re.compile(rb"([A-Za-z]{0,4})([0-9]{0,8})$")
_SMALLEST_CELL = 12  # bytes of <c r="A1"/>: a sheet this many times max_cells long may hold more


def _fast_pattern(limits: SheetLimits) -> re.Pattern[bytes]:
    """A cell tag that is not the usual, within-limits kind: a reference of as many letters as the
    column limit's or as many digits as the row limit's, another first attribute, or none. One
    pattern, with a literal prefix (``<c``) the regex engine searches at C speed. Rows need no
    pattern of their own: a reader places a cell by its own reference, and only cells without one
    by their row (those make the walk run)."""
    letters = len(column_letter(max(min(limits.columns, EXCEL_MAX_COLUMNS), 1)))
    digits = len(str(limits.rows))
    return re.compile(rb'<c(?: r="(?:[A-Za-z]{%d}|[A-Za-z]{1,%d}[0-9]{%d})| (?!r=")|[>/])' % (letters, letters - 1, digits)
                      if letters > 1 else rb'<c[\s>/]')


_PATTERNS: dict[SheetLimits, re.Pattern[bytes]] = {}


def scan_sheet(xml: bytes, file: str, sheet: str, limits: SheetLimits) -> SheetScan:
    scan = SheetScan()
    _check_dimension(xml, file, sheet, limits)
    cell = _PATTERNS.get(limits)
    if cell is None:
        cell = _PATTERNS[limits] = _fast_pattern(limits)
    usual_bound = min(26, limits.columns) * 10 ** (len(str(limits.rows)) - 1)
    if cell.search(xml) or usual_bound > limits.cells or len(xml) > _SMALLEST_CELL * limits.cells:
        _walk(xml, file, sheet, limits, scan)
    # Formulas are looked for in the cells only: Excel's extLst holds <xm:f> of data validations.
    start, end = xml.find(b"sheetData"), xml.rfind(b"sheetData")
    if start >= 0 and (_FORMULA.search(xml, start, end) or _PREFIXED_FORMULA.search(xml, start, end)):
        scan.formulas = _formulas(xml, start, end, file, sheet, limits)
    return scan


def _formulas(xml: bytes, start: int, end: int, file: str, sheet: str, limits: SheetLimits) -> set[tuple[int, int]]:
    """Every cell a formula makes, in whatever form it is written: each ``<f>`` (with any
    namespace prefix; also the ``<f t="shared" si="0"/>`` of a shared formula's other cells) in
    the cell it is in, and every cell of the range one covers (``ref``: an array formula, a data
    table, a shared formula, whose other cells may hold a value alone)."""
    tags = list(_ANY_FORMULA.finditer(xml, start, end))
    usual = _FORMULA_CELL.findall(xml, start, end)
    if len(usual) == len(tags):  # each <f> right in its <c r="…">, as Excel and LibreOffice write them
        cells = {(int(r), column_index(c.decode())) for c, r in usual}
    else:  # another form (a prefix, spaces, attributes in another order, cells without r): placed as readers do
        cells = _walk(xml, file, sheet, limits, SheetScan(), [m.start() for m in tags])
    for tag in tags:
        ref = _REF_ATTR.search(tag.group(1))
        if ref:
            cells |= _formula_range(ref.group(1), file, sheet, limits, len(cells))
    return cells


def _formula_range(ref: bytes, file: str, sheet: str, limits: SheetLimits, counted: int) -> set[tuple[int, int]]:
    """The cells of a formula's ``ref`` ("B2:C5", or one cell), within the sheet's limits."""
    ends = [_REF.match(part.strip().replace(b"$", b"")) for part in ref.split(b":")[:2]]
    if not all(end and end.group(1) and end.group(2) for end in ends):
        return set()
    (row1, col1), (row2, col2) = (_position(end.group(1), end.group(2)) for end in (ends[0], ends[-1]))  # type: ignore[union-attr]
    top, bottom, left, right = min(row1, row2), max(row1, row2), min(col1, col2), max(col1, col2)
    shown = ref.decode("ascii", "replace")[:30]
    if bottom > limits.rows or right > limits.columns:
        raise BoundsError(f"{file}：工作表「{sheet}」的公式范围 {shown} 超出{limits.what}"
                          f"（最多 {limits.rows} 行、{limits.columns} 列），已拒收")
    if counted + (bottom - top + 1) * (right - left + 1) > limits.cells:
        raise BoundsError(f"{file}：工作表「{sheet}」的公式范围 {shown} 超过上限 {limits.cells} 格，已拒收")
    return {(row, col) for row in range(top, bottom + 1) for col in range(left, right + 1)}


def _check_dimension(xml: bytes, file: str, sheet: str, limits: SheetLimits) -> None:
    match = _DIMENSION.search(xml, 0, 64 * 1024)  # before sheetData, near the start
    if not match:
        return
    last = match.group(1).split(b":")[-1].strip()
    ref = _REF.match(last.replace(b"$", b""))
    if ref:
        row, col = _position(ref.group(1), ref.group(2))
        if row > limits.rows or col > limits.columns:
            raise BoundsError(f"{file}：工作表「{sheet}」声明的范围 {last.decode('ascii', 'replace')[:20]} 超出{limits.what}"
                              f"（最多 {limits.rows} 行、{limits.columns} 列），已拒收；请删除多余的行列后重新保存")


def _position(letters: bytes, digits: bytes) -> tuple[int, int]:
    col = 0
    for ch in letters.upper():
        col = col * 26 + ch - 64
    return (int(digits) if digits else 0), col


def _far_row(file: str, sheet: str, limits: SheetLimits, row: int) -> None:
    raise BoundsError(f"{file}：工作表「{sheet}」第 {row} 行超出{limits.what}（最多 {limits.rows} 行），已拒收；"
                      "请删除多余的行后重新保存")


def _walk(xml: bytes, file: str, sheet: str, limits: SheetLimits, scan: SheetScan,
          formulas_at: list[int] | None = None) -> set[tuple[int, int]]:
    """Every cell and row tag, placed as readers place them (a cell or row without ``r`` goes
    after the one before): the farthest position, and the number of cells and rows. With
    ``formulas_at`` (offsets of ``<f>`` tags, in order): the cells they are in."""
    row = col = cells = rows = 0
    far_row = False  # a row past the limit: said at its first cell, which names it better
    pending, done = deque(formulas_at or ()), set()
    cell: tuple[int, int] | None = None  # the cell being read, where an <f> belongs
    for match in _ANY_TAG.finditer(xml):
        while pending and pending[0] < match.start():
            pending.popleft()
            if cell is not None:
                done.add(cell)
        attr = _R_ATTR.search(match.group(2))
        if match.group(1) == b"row":
            cell = None
            if far_row:
                _far_row(file, sheet, limits, row)
            rows += 1
            row = int(attr.group(1)) if attr and attr.group(1).strip().isdigit() else row + 1
            col = 0
            far_row = row > limits.rows or rows > limits.rows
            scan.max_row = max(scan.max_row, row)
            continue
        cells += 1
        ref = _REF.match(attr.group(1).strip()) if attr else None
        if ref and ref.group(1):
            cell_row, col = _position(ref.group(1), ref.group(2))
            cell_row = cell_row or row
        else:
            cell_row, col = row, col + 1
        if cell_row > limits.rows or col > limits.columns:
            name = f"{column_letter(min(col, EXCEL_MAX_COLUMNS * 2))}{cell_row}"
            raise BoundsError(f"{file}：工作表「{sheet}」的单元格 {name} 超出{limits.what}"
                              f"（最多 {limits.rows} 行、{limits.columns} 列），已拒收；请删除该单元格的内容和格式后重新保存")
        if cells > limits.cells:
            raise BoundsError(f"{file}：工作表「{sheet}」的单元格超过 {limits.cells} 个，超出{limits.what}，已拒收")
        scan.max_row, scan.max_column = max(scan.max_row, cell_row), max(scan.max_column, col)
        cell = (cell_row, col)
    if pending and cell is not None:
        done.add(cell)
    if far_row:
        _far_row(file, sheet, limits, row)
    if scan.max_row * scan.max_column > limits.cells:
        raise BoundsError(f"{file}：工作表「{sheet}」的范围 {column_letter(scan.max_column)}{scan.max_row} 共 "
                          f"{scan.max_row * scan.max_column} 格，超过上限 {limits.cells} 格，已拒收")
    return done

"""Checks run before any parser touches a workbook someone sent us.

An .xlsx is a zip of XML. A hostile or broken one can be: not a zip at all, half copied,
a zip bomb (a few KB that inflate to GB), or XML with entity expansion. We look at the zip's
central directory before inflating anything, and openpyxl parses through defusedxml
(it switches to it by itself when defusedxml is installed; we insist on that below).
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.xml import DEFUSEDXML

from xlbridge.errors import LedgerError

MAX_UNCOMPRESSED = 512 * 1024 * 1024  # a 2,000-row ledger is < 5 MB inflated
MAX_RATIO = 200  # shared strings of repeated Chinese text compress ~10–30×
MAX_MEMBERS = 10_000
_REQUIRED = ("[Content_Types].xml",)

if not DEFUSEDXML:  # pragma: no cover - defusedxml is a hard dependency
    raise ImportError("defusedxml 未安装：不能安全解析外来的工作簿")


def check_workbook_zip(path: Path) -> None:
    """Raise LedgerError (Chinese, naming the file) unless ``path`` is a sane xlsx container."""
    name = path.name
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            if len(infos) > MAX_MEMBERS:
                raise LedgerError(f"{name}：压缩包内文件数过多（{len(infos)} 个），疑似恶意文件，已拒收")
            total = sum(i.file_size for i in infos)
            packed = sum(i.compress_size for i in infos) or 1
            if total > MAX_UNCOMPRESSED or (total > 10 * 1024 * 1024 and total / packed > MAX_RATIO):
                raise LedgerError(
                    f"{name}：解压后大小 {total // (1024 * 1024)} MB（压缩比 {total // packed}:1），疑似“压缩炸弹”，已拒收"
                )
            if any(i.filename.startswith(("/", "..")) or "/../" in i.filename for i in infos):
                raise LedgerError(f"{name}：压缩包内含非法路径，疑似恶意文件，已拒收")
            if not all(r in names for r in _REQUIRED) or not any(n.startswith("xl/") for n in names):
                raise LedgerError(f"{name}：不是 Excel 工作簿（.xlsx），请用 Excel/WPS 另存为 .xlsx 格式后再提交")
            if "xl/encryptedPackage" in names or "EncryptionInfo" in names:
                raise LedgerError(f"{name}：工作簿设置了打开密码，请取消密码后再提交")
    except zipfile.BadZipFile:
        raise LedgerError(_not_a_zip_message(path)) from None
    except OSError as exc:
        raise LedgerError(f"{name}：无法读取（{exc.strerror}）") from None


def _not_a_zip_message(path: Path) -> str:
    head = path.read_bytes()[:8] if path.exists() else b""
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return f"{path.name}：这是旧版 .xls 或加密的工作簿，请用 Excel/WPS 另存为 .xlsx（不加密）后再提交"
    if not head:
        return f"{path.name}：文件为空（可能尚未复制完成）"
    return f"{path.name}：文件已损坏或不完整（不是有效的 .xlsx 压缩包）"


def open_untrusted_workbook(path: Path, **kwargs: Any) -> Any:
    """openpyxl load after the zip checks; any parser failure becomes a LedgerError."""
    check_workbook_zip(path)
    try:
        return openpyxl.load_workbook(path, **kwargs)
    except Exception as exc:  # openpyxl raises many types for malformed parts
        raise LedgerError(f"{path.name}：工作簿内容无法解析（{type(exc).__name__}: {exc}）") from None

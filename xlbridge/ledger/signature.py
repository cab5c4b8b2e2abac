"""HMAC over a ledger's identity and issued content.

The key stays with the coordination group: it signs ledgers when they are built and the daemon
verifies submissions. It never travels with a ledger or the add-in, so a clerk's machine can
check structure and content but not the signature.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Sequence
from pathlib import Path

from xlbridge.errors import XlbridgeError
from xlbridge.ledger.layout import META_KEYS, OPTIONAL_META_KEYS

KEY_ENV = "XLBRIDGE_KEY_FILE"
# A stored submission's signature check (submissions.signature) as receipts and exports say it.
SIGNATURE_LABELS = {"valid": "通过", "invalid": "不通过", "missing": "缺少签名", "unchecked": "未核验"}


def sign(meta: dict[str, str], key: bytes, keys: Sequence[str] = META_KEYS) -> str:
    """The HMAC of ``meta``'s ``keys`` (a ledger's by default; other workbooks the group issues,
    such as inspection workbooks, name their own)."""
    return hmac.new(key, _canonical(meta, keys), hashlib.sha256).hexdigest()


def verify(meta: dict[str, str], key: bytes, keys: Sequence[str] = META_KEYS) -> bool:
    return hmac.compare_digest(sign(meta, key, keys), meta.get("signature", ""))


def _canonical(meta: dict[str, str], keys: Sequence[str]) -> bytes:
    signed = {k: str(meta.get(k, "")) for k in keys
              if k != "signature" and (k not in OPTIONAL_META_KEYS or meta.get(k))}
    return json.dumps(signed, ensure_ascii=False, sort_keys=True).encode("utf-8")


def key_path(explicit: Path | None = None, workspace: Path | None = None) -> Path:
    """Argument, then $XLBRIDGE_KEY_FILE, then <workspace>/xlbridge.key, then ./xlbridge.key."""
    if explicit:
        return explicit
    if os.environ.get(KEY_ENV):
        return Path(os.environ[KEY_ENV])
    return (workspace or Path.cwd()) / "xlbridge.key"


def load_key(path: Path) -> bytes:
    try:
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        raise XlbridgeError(f"找不到签名密钥文件 {path}（由综合协调组保管，可用 xlbridge key init 生成）") from None
    except ValueError:
        raise XlbridgeError(f"签名密钥文件 {path} 内容不正确（应为十六进制文本）") from None
    if len(key) < 16:
        raise XlbridgeError(f"签名密钥文件 {path} 过短")
    return key


def load_or_create_key(path: Path) -> tuple[bytes, bool]:
    """The key at ``path``; created (mode 0600) if there is none. Returns (key, created)."""
    if path.exists():
        return load_key(path), False
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key.hex() + "\n")
    return key, True

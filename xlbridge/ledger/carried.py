"""The indicator system a ledger carries, for the clerk's check.

A clerk's machine has only the shipped systems, and finds a ledger's by its id. A workspace may
work from its own (``xlbridge schema import`` → a YAML file), or from a shipped id it revised: then
the ledger carries the whole system, as JSON, zlib-compressed and base64-encoded in its metadata
(``system_data``, split over cells), signed with the rest. The whole system and not the unit's
slice: the engine also asks whether a code exists in the system at all (code-unknown against
code-unassigned), and the text is the same for every unit, so it is built once per system.

The clerk's side reads it bounded: the text's length before it is decoded, the JSON's size while
it is inflated, pydantic's validation. The service never reads it: it checks a ledger against its
own workspace's system, and the signature makes a changed copy a rejected ledger.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from functools import lru_cache

from pydantic import ValidationError

from xlbridge.errors import LedgerError, XlbridgeError
from xlbridge.ledger import layout as L
from xlbridge.ledger.content import issued_ledger
from xlbridge.system.files import pydantic_message, shipped_system
from xlbridge.system.members import as_issued, member_of_value
from xlbridge.system.model import IndicatorSystem

PREFIX = "zlib1:"  # the encoding, so that another can follow
MAX_CHARS = L.SYSTEM_DATA_CELLS * L.CELL_CHARS  # what the metadata row holds
MAX_JSON_BYTES = 16 * 1024 * 1024  # a 400-indicator system is well under 1 MB of JSON
WHERE = f"台账标识（隐藏工作表 {L.META_SHEET}，单元格 B{L.META_KEYS.index(L.SYSTEM_DATA) + 1} 起）"


class CarriedSystemError(LedgerError):
    """The system a ledger carries is too large, damaged or not a valid indicator system."""


def system_data(system: IndicatorSystem, unit: str) -> str | None:
    """What ``unit``'s ledger carries as ``system_data``: None when the shipped system of the same id
    gives the clerk's check the same ledger (the shipped systems, and their towns via member_of)."""
    if _shipped_stands_in(system, unit):
        return None
    return encoded(system)


def _shipped_stands_in(system: IndicatorSystem, unit: str) -> bool:
    shipped = shipped_system(system.id)
    if shipped is None:
        return False
    if shipped is system:
        return True
    try:  # as the clerk's check will have it
        clerk = as_issued(shipped, {"unit": unit, "member_of": member_of_value(system, unit) or ""}, "")
    except XlbridgeError:
        return False
    return _fingerprint(clerk, unit) == _fingerprint(system, unit)


def _fingerprint(system: IndicatorSystem, unit: str) -> tuple[object, ...]:
    """What the engine reads of a system for one unit's ledger: version, title, years, every key
    (code-unknown) with its methods (网络检索), the unit's rows (once, without a year)."""
    return (system.version, system.title, system.years, [(i.key, i.methods) for i in system.indicators],
            issued_ledger(system, unit, [0]).digest)


_ENCODED: dict[int, tuple[IndicatorSystem, str]] = {}


def encoded(system: IndicatorSystem) -> str:
    """The system as a ledger carries it; once per loaded system (every unit's ledger carries it)."""
    cached = _ENCODED.get(id(system))
    if cached is None or cached[0] is not system:
        if len(_ENCODED) > 16:
            _ENCODED.clear()
        data = system.model_dump(mode="json", exclude_defaults=True, exclude={"indicators": {"__all__": {"targets"}}})
        raw = json.dumps({"id": system.id, **data}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        text = PREFIX + base64.b64encode(zlib.compress(raw, 9)).decode("ascii")
        if len(text) > MAX_CHARS:
            raise XlbridgeError(f"指标体系「{system.title}」压缩后仍有 {len(text):,} 个字符，超过台账可携带的 "
                                f"{MAX_CHARS:,} 个字符（{L.SYSTEM_DATA_CELLS} 个单元格），无法随台账下发")
        cached = _ENCODED[id(system)] = (system, text)
    return cached[1]


def cells(text: str | None) -> list[str | None]:
    """``text`` over the metadata row's cells, B onwards: every cell, the unused ones None."""
    parts: list[str | None] = [text[i:i + L.CELL_CHARS] for i in range(0, len(text or ""), L.CELL_CHARS)]
    return parts + [None] * (L.SYSTEM_DATA_CELLS - len(parts))


@lru_cache(maxsize=4)
def carried_system(text: str) -> IndicatorSystem:
    """The system ``text`` (a ledger's ``system_data``) holds, bounded at every step; one object per
    text, so the engine's caches hold across checks of one ledger."""
    if len(text) > MAX_CHARS:
        raise _broken(f"有 {len(text):,} 个字符，超过上限 {MAX_CHARS:,}，未解压")
    if not text.startswith(PREFIX):
        raise _broken("不是本系统写入的格式")
    try:
        packed = base64.b64decode(text[len(PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        raise _broken("编码已损坏（不是 base64）") from None
    inflate = zlib.decompressobj()
    try:
        raw = inflate.decompress(packed, MAX_JSON_BYTES + 1)
    except zlib.error:
        raise _broken("压缩数据已损坏") from None
    if len(raw) > MAX_JSON_BYTES or inflate.unconsumed_tail:
        raise _broken(f"解压后超过 {MAX_JSON_BYTES // (1024 * 1024)} MB 上限，已停止解压")
    if not inflate.eof:
        raise _broken("压缩数据不完整")
    try:
        data = json.loads(raw.decode("utf-8"))
        return IndicatorSystem.model_validate(data)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _broken(_reason(exc)) from None


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "（顶层）"
        return f"不是有效的指标体系（{where}：{pydantic_message(err)}；共 {exc.error_count()} 处问题）"
    return "内容不是有效的 JSON"


def _broken(reason: str) -> CarriedSystemError:
    return CarriedSystemError(f"{WHERE}中随台账携带的指标体系{reason}，无法校验；"
                              "请使用综合协调组下发的原台账，不要改动隐藏的标识表")

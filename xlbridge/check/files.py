"""Validate a ledger file from disk: read it safely, pick its indicator system, run the engine."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from xlbridge.check.engine import Validation, validate_grid
from xlbridge.check.rules import severity
from xlbridge.errors import LedgerError, XlbridgeError
from xlbridge.findings import Finding, Report
from xlbridge.gc_tuning import batch_gc
from xlbridge.ledger import layout as L
from xlbridge.ledger.carried import WHERE, CarriedSystemError, carried_system
from xlbridge.ledger.reader import read_ledger
from xlbridge.system.files import load_system, shipped_system
from xlbridge.system.members import as_issued
from xlbridge.system.model import IndicatorSystem
from xlbridge.xlsx.bounds import BoundsError

_SYSTEM_ID = re.compile(r"[a-z0-9][a-z0-9_-]*")  # IndicatorSystem.id


@dataclass
class FileResult:
    report: Report
    validation: Validation | None  # None when the file could not be read at all
    system: IndicatorSystem | None = None

    @property
    def valid(self) -> bool:
        return self.validation is not None and self.report.valid

    @property
    def findings(self) -> list[Finding]:
        return self.report.findings

    @property
    def summary(self) -> str:
        return self.report.summary()


def unreadable(file: str, reason: str, rule: str = "file-unreadable") -> FileResult:
    finding = Finding(rule=rule, severity=severity(rule), message=reason.removeprefix(f"{file}："), file=file)
    return FileResult(Report(findings=[finding]), None)


class LedgerSystemError(LedgerError):
    """The ledger does not name an indicator system this installation has."""

    def __init__(self, message: str, rule: str) -> None:
        super().__init__(message)
        self.rule = rule


def ledger_system(meta: dict[str, str] | None) -> IndicatorSystem:
    """The indicator system a ledger was issued under, by its metadata: the one it carries
    (system_data, ledger/carried.py: a workspace's own system), else the shipped one of its id.

    Only a shipped id is looked up, never a path or a file elsewhere: a workbook must not make
    the reader open a file of its choosing. This is the clerk's side; the service checks every
    ledger against its own workspace's system and never reads what a ledger carries.
    """
    meta = meta or {}
    name = meta.get("system_id")
    if not name:
        raise LedgerSystemError("台账缺少系统标识（隐藏工作表 xlbridge），无法判断属于哪个指标体系；请使用系统下发的台账", "meta-missing")
    if not _SYSTEM_ID.fullmatch(name):
        raise LedgerSystemError(f"台账标识的指标体系「{name[:60]}」不是有效的指标体系 id", "system-unknown")
    if meta.get(L.SYSTEM_DATA):
        try:
            system = carried_system(meta[L.SYSTEM_DATA])
        except CarriedSystemError as exc:
            raise LedgerSystemError(str(exc), "system-carried-broken") from None
        if system.id != name:
            raise LedgerSystemError(f"{WHERE}中随台账携带的指标体系是「{system.id[:60]}」，台账标识的是「{name}」；"
                                    "请使用综合协调组下发的原台账", "system-carried-broken")
        return system  # as issued: the workspace's members are in it already
    system = shipped_system(name)
    if system is None:
        raise LedgerSystemError(f"台账标识的指标体系「{name}」在本系统中不存在，请更新 xlbridge", "system-unknown")
    return issued_under(system, meta)


def issued_under(system: IndicatorSystem, meta: dict[str, str]) -> IndicatorSystem:
    """``system`` as the ledger was issued under it: a unit the coordination group's workspace made
    a member of a group (a town of 各镇、街道办事处) is one here too, so this machine checks the
    same rows the service will."""
    try:
        return as_issued(system, meta, "台账标识（隐藏工作表 xlbridge）member_of 中的")
    except XlbridgeError as exc:
        raise LedgerSystemError(str(exc), "system-unknown") from None


def validate_file(path: Path, system_name: str | None = None, key: bytes | None = None) -> FileResult:
    with batch_gc():
        return _validate_file(path, system_name, key)


def _validate_file(path: Path, system_name: str | None, key: bytes | None) -> FileResult:
    try:
        grid = read_ledger(path, system=load_system(system_name) if system_name else None)
    except BoundsError as exc:
        return unreadable(path.name, str(exc), exc.rule)
    except XlbridgeError as exc:
        return unreadable(path.name, str(exc))
    try:
        system = issued_under(load_system(system_name), grid.meta or {}) if system_name else ledger_system(grid.meta)
    except LedgerSystemError as exc:
        return unreadable(path.name, str(exc), exc.rule)
    validation = validate_grid(grid, system, key)
    return FileResult(validation.report, validation, system)

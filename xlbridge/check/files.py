"""Validate a ledger file from disk: read it safely, pick its indicator system, run the engine."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from xlbridge.check.engine import Validation, validate_grid
from xlbridge.check.rules import severity
from xlbridge.errors import XlbridgeError
from xlbridge.findings import Finding, Report
from xlbridge.ledger.reader import read_ledger
from xlbridge.model import IndicatorSystem
from xlbridge.schema_io import load_system

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


def validate_file(path: Path, system_name: str | None = None, key: bytes | None = None) -> FileResult:
    try:
        grid = read_ledger(path)
    except XlbridgeError as exc:
        return unreadable(path.name, str(exc))
    name = system_name or (grid.meta or {}).get("system_id")
    if not name:
        return unreadable(path.name, "台账缺少系统标识，无法判断属于哪个指标体系；请使用系统下发的台账，或用 --system 指定", "meta-missing")
    if not system_name and not _SYSTEM_ID.fullmatch(name):
        # The file names its own system; load_system also takes paths, and a submitted workbook
        # must not make the server read a file of its choosing.
        return unreadable(path.name, f"台账标识的指标体系「{name[:60]}」不是有效的指标体系 id", "system-unknown")
    try:
        system = load_system(name)
    except XlbridgeError:
        return unreadable(path.name, f"台账标识的指标体系「{name}」在本系统中不存在", "system-unknown")
    validation = validate_grid(grid, system, key)
    return FileResult(validation.report, validation, system)

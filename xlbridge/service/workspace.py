"""The coordination group's workspace: inbox/, archive/, outbox/, store.db and settings.

Settings precedence (as in watchfiles): command-line argument, then environment variable
(XLBRIDGE_<NAME>), then ``xlbridge.toml`` in the workspace, then the default.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from xlbridge.errors import XlbridgeError
from xlbridge.system.files import DEFAULT_SYSTEM, load_system, shipped_system_path
from xlbridge.system.members import with_members
from xlbridge.system.model import IndicatorSystem
from xlbridge.xlsx.bounds import MB, Limits

CONFIG_NAME = "xlbridge.toml"
UNKNOWN_UNIT_DIR = "未识别单位"
NEXT_LEDGER_MODES = ("after-submission", "after-deadline", "off")
QUARANTINE_DIR = "inbox-rejected"


@dataclass
class Workspace:
    root: Path
    inbox: Path = field(default=Path("inbox"))
    archive: Path = field(default=Path("archive"))
    outbox: Path = field(default=Path("outbox"))
    store: Path = field(default=Path("store.db"))
    key_file: Path = field(default=Path("xlbridge.key"))
    system: str = DEFAULT_SYSTEM
    campaign: int | None = None  # default: the year of the reporting period
    deadline_day: int = 1  # 附件3: submitted before the 1st of the following month
    settle_seconds: float = 1.0  # a file must keep size and mtime this long before it is read
    debounce_ms: int = 1500  # one consolidation per burst of arrivals
    expected_units: list[str] = field(default_factory=list)  # default: every reporting unit
    workers: int | None = None  # processes preparing files ahead of the merge; default one per CPU (≤ 4)
    # The daemon writes a unit's next-month ledger, pre-filled, after each accepted submission
    # ("after-submission"), every unit's once a month's deadline has passed ("after-deadline"),
    # or leaves it to `xlbridge ledgers next` ("off").
    next_ledgers: str = "after-submission"
    # Bounds of a submitted workbook, checked before any reader allocates for it (xlsx/bounds.py);
    # the 台账 sheet's rows are further bounded by the largest ledger the system issues.
    max_file_mb: int = 50
    max_rows: int = 20_000
    max_columns: int = 64
    max_cells: int = 500_000
    # Address-space limit of each process that parses a submitted file (MB; 0 = none).
    worker_memory_mb: int = 2048
    # A 汇总 that cannot be replaced (open in Excel on a share, a folder in its place) is tried again
    # after this many seconds, then after twice as long each time, at most every 5 minutes.
    consolidate_retry_seconds: float = 5.0
    # Members of the system's groups the indicator table does not name (the towns of 各镇、街道办事处):
    # group → new units, each of which then reports what the group leads ([members] in xlbridge.toml).
    members: dict[str, list[str]] = field(default_factory=dict)
    members_source = "工作区设置 members"  # where they were written, for errors (set by load)

    @classmethod
    def load(cls, root: Path, **overrides: Any) -> Workspace:
        root = root.resolve()
        values: dict[str, Any] = {}
        config = root / CONFIG_NAME
        if config.exists():
            try:
                values.update(tomllib.loads(config.read_text(encoding="utf-8")))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise XlbridgeError(f"配置文件 {config} 格式错误：{exc}") from None
        known = {f.name: f for f in fields(cls)}
        unknown = set(values) - set(known)
        if unknown:
            raise XlbridgeError(f"配置文件 {config} 中有不认识的设置：{'、'.join(sorted(unknown))}")
        members_source = f"配置文件 {config} 的 [members]"
        for name in known:
            env = os.environ.get(f"XLBRIDGE_{name.upper()}")
            if env is not None and name != "root":
                values[name] = env
                if name == "members":
                    members_source = "环境变量 XLBRIDGE_MEMBERS"
        values.update({k: v for k, v in overrides.items() if v is not None})
        ws = cls(root=root)
        ws.members_source = members_source
        for name, value in values.items():
            try:
                setattr(ws, name, _coerce(known[name].type, value))
            except (TypeError, ValueError):
                raise XlbridgeError(f"设置 {name} 的值「{value}」不正确（见 {config} 或环境变量 XLBRIDGE_{name.upper()}）") from None
        if not 1 <= ws.deadline_day <= 28:  # every month has the day: deadline_for() builds a date from it
            raise XlbridgeError(f"设置 deadline_day 应为 1–28 之间的日期（下月几日前报送），实为 {ws.deadline_day}")
        if ws.next_ledgers not in NEXT_LEDGER_MODES:
            raise XlbridgeError(f"设置 next_ledgers 应为 {'、'.join(NEXT_LEDGER_MODES)} 之一，实为「{ws.next_ledgers}」")
        _check_members(ws.members, members_source)
        for name in ("max_file_mb", "max_rows", "max_columns", "max_cells"):
            if getattr(ws, name) < 1:
                raise XlbridgeError(f"设置 {name} 应为正整数，实为 {getattr(ws, name)}")
        for name in ("inbox", "archive", "outbox", "store", "key_file"):
            path = Path(getattr(ws, name))
            setattr(ws, name, path if path.is_absolute() else root / path)
        ws.system = _system_setting(ws.system, root)
        return ws

    def indicator_system(self) -> IndicatorSystem:
        """The system this workspace works from: the one named by ``system``, with the members
        its settings give the system's groups. The same object while neither changes."""
        return with_members(load_system(self.system), self.members, self.members_source)

    def ensure(self) -> Workspace:
        for path in (self.inbox, self.archive, self.outbox):
            path.mkdir(parents=True, exist_ok=True)
        if os.name == "posix" and self.archive.stat().st_mode & 0o077:
            self.archive.chmod(0o700)  # every file ever received: for the coordination group's account only
        return self

    @property
    def limits(self) -> Limits:
        return Limits(file_bytes=self.max_file_mb * MB, unpacked_bytes=max(256, 5 * self.max_file_mb) * MB,
                      rows=self.max_rows, columns=self.max_columns, cells=self.max_cells)

    @property
    def quarantine(self) -> Path:
        """inbox-rejected/: files that must not be read again (beside inbox/, never watched)."""
        return self.root / QUARANTINE_DIR

    @property
    def consolidated_dir(self) -> Path:
        return self.outbox / "汇总"

    @property
    def cache_dir(self) -> Path:
        """cache/: what the daemon keeps to write faster, rebuilt from the store when lost."""
        return self.root / "cache"

    def unit_outbox(self, unit: str | None) -> Path:
        """outbox/<单位>/, where a unit's receipts and ledgers go. The name may come from a
        rejected file's own metadata: never a path outside outbox/ ("..")."""
        return self.outbox / folder_name(unit, UNKNOWN_UNIT_DIR)


def folder_name(text: str | None, fallback: str) -> str:
    """A folder name made from text a submitted file supplied (a unit, a round): no separators,
    no "..", nothing unprintable, at most 60 characters; ``fallback`` when nothing is left."""
    name = "".join(ch for ch in text or "" if ch.isprintable() and ch not in '\\/:*?"<>|')[:60].strip(" .")
    return name or fallback


def _check_members(members: dict[str, list[str]], source: str) -> None:
    """The shape of [members]: a group's name = a list of non-empty unit names."""
    for group, names in members.items():
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise XlbridgeError(f"{source}「{group}」应为单位名称的列表，如 \"{group}\" = [\"甲镇\", \"乙街道办事处\"]"
                                "（[members] 须写在配置文件最后：TOML 中表头之后的各行都属于这个表）")
        if not all(n.strip() for n in names):
            raise XlbridgeError(f"{source}「{group}」：成员名称为空")


def _coerce(type_name: Any, value: Any) -> Any:
    text = str(type_name)
    if text.startswith("dict"):
        return _members_table(value)
    if "list" in text and isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if text.startswith("int") and value is not None:
        return int(value)
    if text.startswith("float"):
        return float(value)
    return value


def _members_table(value: Any) -> dict[str, Any]:
    """[members] from the settings file as it is; from the environment written
    ``集体=甲,乙;集体2=丙`` (a group's own name may hold 、)."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        raise TypeError(value)
    table: dict[str, Any] = {}
    for part in filter(str.strip, value.split(";")):
        group, sep, names = part.partition("=")
        if not sep or not group.strip():
            raise ValueError(value)
        table[group.strip()] = [n.strip() for n in names.split(",")]
    return table


def _system_setting(system: str, root: Path) -> str:
    """A shipped id as it is; a relative path from the workspace folder when the file is there (the
    daemon and the commands run from anywhere), else as written (the working directory's, as before)."""
    if shipped_system_path(system) is not None or Path(system).is_absolute():
        return system
    beside = root / system
    return str(beside) if beside.is_file() else system

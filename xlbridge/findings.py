"""Typed findings: what every check (schema, ledger, ingest) reports, and their report.

Plain dataclasses, not pydantic models: only xlbridge's own checks make them, and a ledger with
long text makes one per row or more (a pydantic model cost a tenth of the rules' time).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any


class Severity(str, Enum):
    error = "error"
    warning = "warning"
    info = "info"  # a normalisation that changed a value


SEVERITY_LABELS = {Severity.error: "错误", Severity.warning: "警告", Severity.info: "提示"}


def column_letter(col: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str) -> int:
    """A → 1, AA → 27 (letters of either case)."""
    col = 0
    for ch in letters.upper():
        col = col * 26 + ord(ch) - 64
    return col


@dataclass(slots=True)
class Finding:
    rule: str
    severity: Severity
    message: str
    hint: str | None = None
    file: str | None = None
    sheet: str | None = None
    row: int | None = None  # 1-based, as Excel shows it
    column: int | None = None  # 1-based
    field: str | None = None  # the column's Chinese header, or a schema field path
    value: str | None = None

    @property
    def cell(self) -> str | None:
        if self.row is None or self.column is None:
            return None
        return f"{column_letter(self.column)}{self.row}"

    @property
    def where(self) -> str:
        parts = [p for p in (self.file, self.sheet and f"工作表「{self.sheet}」") if p]
        if self.cell:
            parts.append(f"单元格 {self.cell}")
        elif self.row is not None:
            parts.append(f"第 {self.row} 行")
        if self.field:
            parts.append(f"（{self.field}）")
        return " ".join(parts)

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "severity": self.severity.value}

    def line(self) -> str:
        label = SEVERITY_LABELS[self.severity]
        text = f"[{label}] {self.where}：{self.message}（规则 {self.rule}）"
        return f"{text} 建议：{self.hint}" if self.hint else text


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.error]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.warning]

    @property
    def valid(self) -> bool:
        return not self.errors

    def counts(self) -> Counter[Severity]:
        return Counter(f.severity for f in self.findings)

    def summary(self) -> str:
        """The one line a clerk sees first: 3 个错误，2 个警告."""
        c = self.counts()
        if not c[Severity.error] and not c[Severity.warning]:
            return "校验通过，没有发现问题"
        return f"{c[Severity.error]} 个错误，{c[Severity.warning]} 个警告"

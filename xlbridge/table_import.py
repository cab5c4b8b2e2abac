"""Import an indicator table as offices really keep it: an Excel sheet, often converted from Word.

What such sheets look like: a title row or two above the header; header names that vary by
office (考评要点 / 基本要求 / 考评内容 …); the header repeated at the top of every printed page;
merged cells and blank "same as above" cells in the hierarchy columns; several units or persons
on separate lines of one cell; footnote rows (注：…). Whatever cannot be placed is reported with
sheet and row, never dropped silently.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlbridge.errors import SchemaError
from xlbridge.findings import Finding, Severity
from xlbridge.model import Indicator, IndicatorSystem, Kind, Person, Unit, unit_key
from xlbridge.normalise import fold_width, no_spaces, squash, tidy_multiline
from xlbridge.responsibility import is_group, parse_responsibility
from xlbridge.workbook_safety import open_untrusted_workbook

# Header text (spaces removed) → field. Order within a field is priority.
HEADERS: dict[str, tuple[str, ...]] = {
    "code": ("序号", "编号"),
    "level1": ("一级指标", "考评项目", "名称", "类别"),
    "level2": ("二级指标",),
    "level3": ("三级指标", "工作任务"),
    "points": ("考评要点", "基本要求", "考评内容", "考核内容", "评分标准"),
    "methods": ("测评方法", "考评方法", "考核方法"),
    "materials": ("上报资料", "上报材料", "佐证材料"),
    "lead": ("牵头部门", "牵头单位", "牵头科室"),
    "units": ("责任单位", "责任部门", "责任科室", "配合部门", "配合单位"),
    "persons": ("责任人",),
    "note": ("备注",),
}
HIERARCHY = ("level1", "level2")
_CODE = re.compile(r"^(?:★\s*\d+|\(\d+\)|\d+)$")
_GROUP_CODE = re.compile(r"^\(?[一二三四五六七八九十]+\)?[、.]?$")
_LEADING_CODE = re.compile(r"^\s*(★\s*\d+|\(\d+\)|\d+)\s*[、.．]\s*")
_FOOTNOTE = re.compile(r"^(注|说明|备注|附注)\s*[:：\d]")
_ITEM_SPLIT = re.compile(r"(?:^|(?<=[;；。\n]))\s*(?:[(（]\d+[)）]|\d+[.、．])\s*")
_LIST_SPLIT = re.compile(r"[\n、，,;；/]+")


@dataclass
class ImportResult:
    system: IndicatorSystem
    findings: list[Finding] = field(default_factory=list)


@dataclass
class _Columns:
    by_field: dict[str, int]
    header_row: int
    # 000-style tables: 考评项目 / 考评内容 / 基本要求 — content is level 2, requirement is level 3.
    content_is_level2: bool = False


def import_table(path: Path, *, system_id: str, issuer: str = "未注明", sheet: str | None = None) -> ImportResult:
    wb = open_untrusted_workbook(path)
    ws = _pick_sheet(wb, sheet, path)
    grid = _unmerged_grid(ws)
    cols = _find_header(grid)
    if cols is None:
        raise SchemaError(
            f"{path.name} 工作表「{ws.title}」：找不到表头行。表头应包含 序号、一级指标、三级指标、"
            "考评要点/基本要求、责任单位 等列名中的至少三个"
        )
    title = next((squash(str(v)) for row in grid[: cols.header_row] for v in row if _text(v)), path.stem)
    builder = _Builder(path.name, ws.title, cols)
    for index in range(cols.header_row + 1, len(grid)):
        builder.row(index + 1, grid[index])
    system = IndicatorSystem(
        id=system_id,
        title=title,
        issuer=issuer,
        source=path.name,
        level_names=builder.level_names(),
        points_label=builder.points_label(grid),
        units=builder.units(),
        indicators=builder.finish(),
    )
    return ImportResult(system=system, findings=builder.findings)


def _pick_sheet(wb: Any, sheet: str | None, path: Path) -> Any:
    if sheet is None:
        for ws in wb.worksheets:
            if _find_header(_unmerged_grid(ws, limit=40)) is not None:
                return ws
        return wb.worksheets[0]
    if sheet not in wb.sheetnames:
        raise SchemaError(f"{path.name}：没有名为「{sheet}」的工作表（有：{'、'.join(wb.sheetnames)}）")
    return wb[sheet]


def _unmerged_grid(ws: Any, limit: int | None = None) -> list[list[Any]]:
    """Cell values with every merged range's value copied into all its cells."""
    rows = [list(r) for r in ws.iter_rows(values_only=True, max_row=limit)]
    for rng in ws.merged_cells.ranges:
        top = rng.min_row - 1
        if top >= len(rows):
            continue
        value = rows[top][rng.min_col - 1]
        for r in range(rng.min_row - 1, min(rng.max_row, len(rows))):
            for c in range(rng.min_col - 1, rng.max_col):
                rows[r][c] = value
    return rows


def _header_fields(row: list[Any]) -> dict[str, int]:
    found: dict[str, int] = {}
    for col, value in enumerate(row):
        name = no_spaces(fold_width(_text(value)))
        for field_name, names in HEADERS.items():
            if name in names and field_name not in found:
                found[field_name] = col
                break
    return found


def _find_header(grid: list[list[Any]]) -> _Columns | None:
    for index, row in enumerate(grid):
        fields = _header_fields(row)
        if len(fields) >= 3:
            names = {no_spaces(_text(v)) for v in row}
            content_is_level2 = "考评项目" in names and "基本要求" in names and "考评内容" in names
            if content_is_level2:
                fields["level2"] = fields.pop("points")
                fields["level3"] = next(i for i, v in enumerate(row) if no_spaces(_text(v)) == "基本要求")
            if "lead" in fields and "units" in fields:
                fields["cooperating"] = fields.pop("units")
            return _Columns(fields, index, content_is_level2)
    return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


class _Builder:
    def __init__(self, file: str, sheet: str, cols: _Columns) -> None:
        self.file, self.sheet, self.cols = file, sheet, cols
        self.indicators: list[Indicator] = []
        self.findings: list[Finding] = []
        self._above: dict[str, str] = {}
        self._group_code = ""
        self._spellings: dict[str, set[str]] = {}
        self._seen_rows: set[tuple[str, ...]] = set()

    def report(self, row: int, severity: Severity, rule: str, message: str, column: int | None = None) -> None:
        self.findings.append(
            Finding(rule=rule, severity=severity, message=message, file=self.file, sheet=self.sheet,
                    row=row, column=None if column is None else column + 1)
        )

    def cell(self, values: list[Any], name: str) -> str:
        col = self.cols.by_field.get(name)
        return _text(values[col]) if col is not None and col < len(values) else ""

    def row(self, number: int, values: list[Any]) -> None:
        cells = [_text(v) for v in values]
        if not any(cells):
            return
        if len(_header_fields(values)) >= 3:
            return  # the header repeated at the top of a printed page
        first = next(c for c in cells if c)
        if _FOOTNOTE.match(first) and sum(1 for c in cells if c) <= 2:
            self.report(number, Severity.info, "footnote", f"脚注行已跳过：{squash(first)[:40]}")
            return
        code, text_fields = self._code(number, values)
        fields = {name: self.cell(values, name) for name in ("level1", "level2", "level3", "points")}
        fields.update(text_fields)
        for name in HIERARCHY:
            if fields[name]:
                self._above[name] = fields[name]
            elif name in self.cols.by_field:
                fields[name] = self._above.get(name, "")
        if code is None:
            if any(fields[n] for n in ("level3", "points")):
                self.report(number, Severity.error, "code-missing",
                            "有指标内容但没有编号，无法识别为指标，请补上序号", self.cols.by_field.get("code"))
            return
        identity = (code, fields["level3"], fields["points"], fields["level1"])
        if identity in self._seen_rows:
            return  # a row continued on the next page repeats under a merged range
        self._seen_rows.add(identity)
        self._add(number, code, fields, values)

    def _code(self, number: int, values: list[Any]) -> tuple[str | None, dict[str, str]]:
        raw = fold_width(self.cell(values, "code")).replace(" ", "")
        extra: dict[str, str] = {}
        if _GROUP_CODE.match(raw):  # 003: the 序号 column numbers groups (一)(二); tasks carry theirs
            self._group_code = raw if raw.startswith("(") else f"({raw.rstrip('、.')})"
            raw = ""
        if raw and _CODE.match(raw):
            return raw, extra
        if raw:
            self.report(number, Severity.warning, "code-unparsed", f"编号「{raw}」不是可识别的指标编号", self.cols.by_field.get("code"))
        for name in ("level3", "points"):
            text = fold_width(self.cell(values, name))
            m = _LEADING_CODE.match(text)
            if m:
                extra[name] = self.cell(values, name)[m.end():].strip()
                return m.group(1).replace(" ", ""), extra
        return None, extra

    def _add(self, number: int, code: str, fields: dict[str, str], values: list[Any]) -> None:
        level1 = squash(fields["level1"])
        if self._group_code and not level1.startswith(self._group_code):
            level1 = self._group_code + level1
        level2, points = squash(fields["level2"]) or None, tidy_multiline(fields["points"]) or None
        if self.cols.content_is_level2 and level2:
            heading, _, rest = tidy_multiline(fields["level2"]).partition("\n")
            level2, points = squash(heading), rest or points
        level3 = tidy_multiline(fields["level3"]) or None
        if not level1:
            self.report(number, Severity.warning, "level1-missing", "一级指标为空，且上方没有可沿用的值", self.cols.by_field.get("level1"))
        kind = _kind(level1, level2 or "", level3 or "")
        units_text = tidy_multiline(self.cell(values, "units") or self.cell(values, "cooperating"))
        lead, cooperating, all_units = self._units(number, values)
        note = squash(self.cell(values, "note")) or None
        indicator = Indicator(
            key=code,
            code=code,
            level1=level1,
            level2=level2,
            level3=level3,
            points=points,
            methods=[m for m in (no_spaces(x) for x in _LIST_SPLIT.split(self.cell(values, "methods"))) if m],
            materials=split_items(self.cell(values, "materials")),
            units_text="、".join(no_spaces(u) for u in units_text.split("\n")) or None,
            lead=lead,
            cooperating=cooperating,
            all_units_cooperate=all_units,
            persons=self._persons(number, values, lead + cooperating),
            key_item="★" in (note or "") or code.startswith("★"),
            note=note,
            kind=kind,
        )
        self.indicators.append(indicator)

    def finish(self) -> list[Indicator]:
        """Keys: the printed code, unless codes repeat (then 加n/减n, or level1.level2.code)."""
        counts = Counter(i.code for i in self.indicators)
        hierarchical = any(n > 1 for code, n in counts.items() if self._normal_code(code))
        ordinals: dict[tuple[str, ...], int] = {}

        def ordinal(*path: str) -> int:
            return ordinals.setdefault(path, sum(1 for p in ordinals if p[:-1] == path[:-1]) + 1)

        out: list[Indicator] = []
        for ind in self.indicators:
            key = ind.code
            if ind.kind is not Kind.normal and counts[ind.code] > 1:
                key = ("加" if ind.kind is Kind.bonus else "减") + ind.code
            elif hierarchical:
                parts = [str(ordinal(ind.level1))]
                if ind.level2:
                    parts.append(str(ordinal(ind.level1, ind.level2)))
                key = ".".join([*parts, ind.code])
            out.append(ind.model_copy(update={"key": key}))
        return out

    def _normal_code(self, code: str) -> bool:
        return any(i.code == code and i.kind is Kind.normal for i in self.indicators)

    def _units(self, number: int, values: list[Any]) -> tuple[list[str], list[str], bool]:
        if "lead" in self.cols.by_field:
            lead = self._canonical(_LIST_SPLIT.split(self.cell(values, "lead")))
            coop = parse_responsibility(self.cell(values, "cooperating"))
            coop_names = [n for n in self._canonical(coop.lead + coop.cooperating) if n not in lead]
            if not lead:
                self.report(number, Severity.warning, "lead-missing", "牵头部门为空", self.cols.by_field["lead"])
            return lead, coop_names, coop.all_units_cooperate
        text = self.cell(values, "units")
        if not text:
            self.report(number, Severity.warning, "units-missing", "责任单位为空", self.cols.by_field.get("units"))
        parsed = parse_responsibility(text)
        return self._canonical(parsed.lead), self._canonical(parsed.cooperating), parsed.all_units_cooperate

    def _canonical(self, names: list[str]) -> list[str]:
        out: list[str] = []
        for name in names:
            if not name.strip():
                continue
            canonical = unit_key(name)
            self._spellings.setdefault(canonical, set()).add(squash(name))
            if canonical not in out:
                out.append(canonical)
        return out

    def _persons(self, number: int, values: list[Any], units: list[str]) -> list[Person]:
        names = [squash(p) for p in self.cell(values, "persons").split("\n") if p.strip()]
        if not names:
            return []
        if len(names) == len(units):
            return [Person(name=n, unit=u) for n, u in zip(names, units)]
        if len(names) > 1 and len(units) != 1:
            self.report(number, Severity.warning, "persons-unaligned",
                        f"责任人 {len(names)} 人与责任单位 {len(units)} 个不能逐行对应，未记录所属单位",
                        self.cols.by_field.get("persons"))
            return [Person(name=n) for n in names]
        return [Person(name=n, unit=units[0] if units else None) for n in names]

    def units(self) -> list[Unit]:
        return [
            Unit(name=name, aliases=sorted(s for s in spellings if s != name), group=is_group(name))
            for name, spellings in self._spellings.items()
        ]

    def level_names(self) -> list[str]:
        return ["一级指标", "二级指标", "三级指标"] if not self.cols.content_is_level2 else ["考评项目", "考评内容", "基本要求"]

    def points_label(self, grid: list[list[Any]]) -> str:
        col = self.cols.by_field.get("points", self.cols.by_field.get("level3"))
        return no_spaces(_text(grid[self.cols.header_row][col])) if col is not None else "考评要点"


def _kind(*texts: str) -> Kind:
    joined = "".join(texts[:2])
    if "加分" in joined:
        return Kind.bonus
    if "减分" in joined:
        return Kind.penalty
    return Kind.normal


def split_items(text: str) -> list[str]:
    """`1.…；2.…` or `(1)…;(2)…` into items, numbering and trailing separators removed."""
    text = tidy_multiline(text or "")
    if not text:
        return []
    parts = [p.strip().rstrip(";；").strip() for p in _ITEM_SPLIT.split(text)]
    items: list[str] = []
    for part in parts:
        items += [line.strip() for line in part.split("\n") if line.strip()]
    return items

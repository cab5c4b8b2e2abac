"""Indicator-system files: load (with located Chinese errors), check, save, JSON Schema."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from xlbridge.errors import SchemaError
from xlbridge.findings import Finding, Severity
from xlbridge.model import IndicatorSystem
from xlbridge.responsibility import parse_responsibility

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schema"
DEFAULT_SYSTEM = "jinfeng-2020"

_PYDANTIC_MESSAGES = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不认识的字段（拼写错误？）",
    "string_type": "应为文本",
    "int_parsing": "应为整数",
    "float_parsing": "应为数字",
    "list_type": "应为列表",
    "bool_parsing": "应为 true 或 false",
    "enum": "取值不在允许范围内",
    "string_pattern_mismatch": "格式不对（只能用小写字母、数字、-、_）",
    "tuple_type": "应为两个年份 [起, 止]",
}


def resolve(name_or_path: str | Path) -> Path:
    """A schema file path, or the id of a shipped system (``jinfeng-2020``)."""
    path = Path(name_or_path)
    if path.exists():
        return path
    shipped = SCHEMA_DIR / f"{name_or_path}.yaml"
    if shipped.exists():
        return shipped
    known = "、".join(sorted(p.stem for p in SCHEMA_DIR.glob("*.yaml")))
    raise SchemaError(f"找不到指标体系文件「{name_or_path}」。已内置的指标体系：{known}")


def load_system(name_or_path: str | Path) -> IndicatorSystem:
    path = resolve(name_or_path)
    return _load_cached(path.resolve(), path.stat().st_mtime_ns)


@lru_cache(maxsize=16)
def _load_cached(path: Path, _mtime: int) -> IndicatorSystem:
    text = _read_text(path)
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark else ""
        raise SchemaError(f"{path}：{where} YAML 格式错误：{getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise SchemaError(f"{path}：文件内容应为一个指标体系（键值对），实际为空或格式不对")
    try:
        return IndicatorSystem.model_validate(data)
    except ValidationError as exc:
        lines = [_explain(path, root, data, err) for err in exc.errors()]
        raise SchemaError(f"{path} 有 {len(lines)} 处错误：\n" + "\n".join(lines)) from None


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise SchemaError(f"{path}：不是 UTF-8 编码的文本文件，请另存为 UTF-8") from None
    except OSError as exc:
        raise SchemaError(f"{path}：无法读取（{exc.strerror}）") from None


def _explain(path: Path, root: Any, data: Any, err: dict[str, Any]) -> str:
    loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
    line = _line_of(root, loc)
    label = _label(data, loc)
    message = _PYDANTIC_MESSAGES.get(err["type"], err["msg"])
    where = f"第 {line} 行" if line else ""
    return f"  {path.name} {where} {label}：{message}"


def _label(data: Any, loc: list[Any]) -> str:
    """indicators.3.lead → 指标 3（编号 4）字段 lead."""
    if len(loc) >= 2 and loc[0] == "indicators" and isinstance(loc[1], int):
        try:
            code = data["indicators"][loc[1]].get("key") or data["indicators"][loc[1]].get("code")
        except (AttributeError, IndexError, KeyError, TypeError):
            code = None
        rest = ".".join(str(p) for p in loc[2:]) or "(整条指标)"
        return f"第 {loc[1] + 1} 条指标（编号 {code}）字段 {rest}"
    return "字段 " + ".".join(str(p) for p in loc) if loc else "文件"


def _line_of(node: Any, loc: list[Any]) -> int | None:
    """Walk the composed YAML node tree along a pydantic error path to its source line."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def save_system(system: IndicatorSystem, path: Path) -> None:
    data = system.model_dump(mode="json", exclude_defaults=True, exclude={"indicators": {"__all__": {"targets"}}})
    data = {"id": system.id, "version": system.version, **data}
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100000)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def json_schema() -> str:
    return json.dumps(IndicatorSystem.model_json_schema(mode="serialization"), ensure_ascii=False, indent=2)


def check_system(system: IndicatorSystem, file: str | None = None) -> list[Finding]:
    """Semantic checks the model cannot express: references, alignment, vocabulary."""
    out: list[Finding] = []

    def add(rule: str, severity: Severity, message: str, where: str | None = None) -> None:
        out.append(Finding(rule=rule, severity=severity, message=message, file=file, field=where))

    names: dict[str, str] = {}
    for unit in system.units:
        for spelling in (unit.name, *unit.aliases):
            if spelling in names and names[spelling] != unit.name:
                add("unit-duplicate", Severity.error, f"单位名称「{spelling}」同时属于「{names[spelling]}」和「{unit.name}」", "units")
            names[spelling] = unit.name
    canonical = {u.name for u in system.units}
    if not system.indicators:
        add("system-empty", Severity.error, "指标体系没有任何指标")
    for ind in system.indicators:
        where = f"指标 {ind.key}"
        for unit in (*ind.lead, *ind.cooperating):
            if unit not in canonical:
                add("unit-unknown", Severity.error, f"责任单位「{unit}」未在 units 中登记", where)
        for person in ind.persons:
            if person.unit and person.unit not in canonical:
                add("person-unit-unknown", Severity.error, f"责任人「{person.name}」所属单位「{person.unit}」未登记", where)
        if not ind.lead:
            add("lead-missing", Severity.warning, "没有牵头（责任）单位，任何单位的台账都不会包含此指标", where)
        for method in ind.unknown_methods:
            add("method-unknown", Severity.warning, f"测评方法「{method}」不在已知方法中，已保留", where)
        if not (ind.level3 or ind.points):
            add("text-missing", Severity.error, "三级指标和考评要点都为空", where)
        if ind.units_text:
            parsed = parse_responsibility(ind.units_text)
            named = {_canonical(system, n) for n in (*parsed.lead, *parsed.cooperating)}
            if named != {*ind.lead, *ind.cooperating} or parsed.all_units_cooperate != ind.all_units_cooperate:
                add(
                    "units-text-mismatch",
                    Severity.warning,
                    f"责任单位原文「{ind.units_text}」与 lead/cooperating 列出的单位不一致",
                    where,
                )
    return out


def _canonical(system: IndicatorSystem, name: str) -> str:
    unit = system.unit(name)
    return unit.name if unit else name

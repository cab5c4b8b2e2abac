"""Indicator-system files: load (with located Chinese errors), check, save, JSON Schema."""

from __future__ import annotations

import json
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from xlbridge.errors import SchemaError, os_reason
from xlbridge.findings import Finding, Severity
from xlbridge.system.model import Indicator, IndicatorSystem, unit_key
from xlbridge.system.responsibility import parse_responsibility


def _schema_dir() -> Path:
    """schema/ beside the package (a checkout or editable install), else the installed copy."""
    beside = Path(__file__).resolve().parents[2] / "schema"
    installed = Path(sys.prefix) / "share" / "xlbridge" / "schema"
    return beside if beside.is_dir() or not installed.is_dir() else installed


SCHEMA_DIR = _schema_dir()
DEFAULT_SYSTEM = "jinfeng-2020"

_PYDANTIC_MESSAGES = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不认识的字段（拼写错误？）",
    "string_type": "应为文本（编号、版本等纯数字请加引号，如 '1'）",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "list_type": "应为列表（每项一行，以「- 」开头）",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "model_type": "应为键值对（字段: 值）",
    "dict_type": "应为键值对（字段: 值）",
    "enum": "取值不在允许范围内",
    "literal_error": "取值不在允许范围内",
    "string_pattern_mismatch": "格式不对（只能用小写字母、数字、-、_）",
    "tuple_type": "应为两个年份 [起, 止]",
    "too_short": "项数太少",
    "too_long": "项数太多",
}
# The commonest YAML slips, in words a clerk can act on; the parser's own text follows in brackets.
_YAML_PROBLEMS = {
    "mapping values are not allowed here": "这里不能出现「键: 值」（缩进不对，或文本中的冒号需加引号）",
    "found character '\\t' that cannot start any token": "不能用 Tab 缩进，请改用空格",
    "could not find expected ':'": "缺少冒号「:」",
    "found unexpected end of stream": "到文件末尾仍未结束",
    "but found another document": "文件中只能有一个文档（删除多余的 ---）",
    "found unhashable key": "键不能是列表或键值对",
}
_YAML_CONTEXTS = {
    "while parsing a flow sequence": "方括号「[」没有闭合",
    "while parsing a flow mapping": "花括号「{」没有闭合",
    "while scanning a quoted scalar": "引号没有闭合",
    "while parsing a block mapping": "键值对的缩进不一致",
    "while parsing a block collection": "列表的缩进不一致",
}


def resolve(name_or_path: str | Path) -> Path:
    """The id of a shipped system (``jinfeng-2020``), or a schema file path.

    A shipped id wins over a same-named file in the working directory, so a stray file there
    cannot shadow the system a ledger names.
    """
    shipped = SCHEMA_DIR / f"{name_or_path}.yaml"
    if "/" not in str(name_or_path) and "\\" not in str(name_or_path) and shipped.is_file():
        return shipped
    path = Path(name_or_path)
    if path.exists():
        return path  # a folder is reported by the loader, which names what it found
    known = "、".join(sorted(p.stem for p in SCHEMA_DIR.glob("*.yaml")))
    raise SchemaError(f"找不到指标体系文件「{name_or_path}」。已内置的指标体系：{known}")


def shipped_system(system_id: str) -> IndicatorSystem | None:
    """The shipped system of this id, None when there is none: never a file elsewhere (an id a
    workbook names must not make the reader open a file of its choosing)."""
    path = shipped_system_path(system_id)
    return load_system(path) if path is not None else None


def shipped_system_path(system_id: str) -> Path | None:
    path = SCHEMA_DIR / f"{system_id}.yaml"
    if "/" in system_id or "\\" in system_id or system_id.startswith(".") or not path.is_file():
        return None
    return path


def load_system(name_or_path: str | Path) -> IndicatorSystem:
    path = resolve(name_or_path)
    stat = path.stat()
    # Size as well as time: on network shares and FAT the clock ticks in whole seconds.
    return _load_cached(path.resolve(), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=16)
def _load_cached(path: Path, _mtime: int, _size: int) -> IndicatorSystem:
    text = _read_text(path)
    root, data = _parse_yaml(path, text)
    if data is None:
        raise SchemaError(f"{path}：文件是空的，应为一个指标体系（id、title、issuer、indicators 等字段）")
    if not isinstance(root, yaml.MappingNode) or not isinstance(data, dict):
        raise SchemaError(
            f"{path}：第 {root.start_mark.line + 1} 行 文件内容应为一个指标体系"
            "（id、title、issuer、indicators 等字段的键值对），实际不是键值对"
        )
    repeated = _repeated_keys(path, root, data)
    if repeated:
        raise SchemaError(f"{path} 有 {len(repeated)} 处重复的键（后一个会悄悄覆盖前一个）：\n" + "\n".join(repeated))
    problems = _repeated_indicator_keys(path, root, data)
    try:
        system = IndicatorSystem.model_validate(data)
    except ValidationError as exc:
        errors = [err for err in exc.errors() if not (problems and _is_repeat(err))]
        problems += [_explain(path, root, data, err) for err in errors]
    if problems:
        raise SchemaError(f"{path} 有 {len(problems)} 处错误：\n" + "\n".join(problems))
    return system


_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ten times faster on a 400-indicator file


def _parse_yaml(path: Path, text: str) -> tuple[Any, Any]:
    """One parse: the node tree (for line numbers) and the data built from it. A file libyaml
    refuses is parsed again by the pure-Python loader, whose errors name line and column."""
    try:
        loader = _FAST_LOADER(text)
        try:
            root = loader.get_single_node()
            return root, (loader.construct_document(root) if root is not None else None)
        finally:
            loader.dispose()
    except yaml.YAMLError:
        pass
    loader = None
    try:
        loader = yaml.SafeLoader(text)
        root = loader.get_single_node()
        return root, (loader.construct_document(root) if root is not None else None)
    except yaml.reader.ReaderError as exc:
        before = text[: exc.position]
        where = f"第 {before.count(chr(10)) + 1} 行第 {exc.position - before.rfind(chr(10))} 列"
        raise SchemaError(f"{path}：{where} 含有不允许的控制字符 #x{exc.character:04x}，请删除") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列 " if mark else ""
        problem = str(getattr(exc, "problem", None) or exc)
        message = f"{_YAML_PROBLEMS[problem]}（{problem}）" if problem in _YAML_PROBLEMS else problem
        context, start = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context in _YAML_CONTEXTS or (context and problem not in _YAML_PROBLEMS):
            message += f"；{_YAML_CONTEXTS.get(context, context)}"
            if start and (not mark or start.line != mark.line):
                message += f"，始于第 {start.line + 1} 行"
        raise SchemaError(f"{path}：{where}YAML 格式错误：{message}") from None
    finally:
        if loader is not None:
            loader.dispose()


def _repeated_keys(path: Path, node: Any, data: Any, loc: tuple[Any, ...] = ()) -> list[str]:
    """YAML lets a later key silently replace an earlier one; in a schema that loses data."""
    out: list[str] = []
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else None
            if name is not None and name != "<<":
                if name in seen:
                    line, label = key.start_mark.line + 1, _label(data, [*loc, name])
                    out.append(f"  {path.name} 第 {line} 行 {label}：键「{name}」重复（第 {seen[name]} 行已有）")
                else:
                    seen[name] = key.start_mark.line + 1
            out += _repeated_keys(path, value, data, (*loc, name))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out += _repeated_keys(path, item, data, (*loc, i))
    return out


def _repeated_indicator_keys(path: Path, root: Any, data: dict[str, Any]) -> list[str]:
    """Indicator keys must be unique; name every repeat with its line and the first occurrence."""
    indicators = data.get("indicators")
    if not isinstance(indicators, list):
        return []
    out: list[str] = []
    first: dict[str, int] = {}
    for n, ind in enumerate(indicators):
        key = ind.get("key") if isinstance(ind, dict) else None
        if key is None:
            continue
        key = str(key).strip()
        if key in first:
            line = _line_of(root, ["indicators", n, "key"])
            where = f"第 {line} 行 " if line else ""
            out.append(
                f"  {path.name} {where}{_label(data, ['indicators', n, 'key'])}："
                f"指标编号(key)「{key}」重复，与第 {first[key] + 1} 条指标相同"
            )
        else:
            first[key] = n
    return out


def _is_repeat(err: Any) -> bool:
    """The model's own whole-file error for repeated keys, already reported with lines."""
    return err["type"] == "value_error" and not err["loc"] and "重复" in err["msg"]


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise SchemaError(f"{path}：不是 UTF-8 编码的文本文件，请另存为 UTF-8") from None
    except IsADirectoryError:
        raise SchemaError(f"{path}：是文件夹，不是指标体系文件") from None
    except OSError as exc:
        raise SchemaError(f"{path}：无法读取（{os_reason(exc)}）") from None


def _explain(path: Path, root: Any, data: Any, err: dict[str, Any]) -> str:
    loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
    line = _line_of(root, loc)
    return f"  {path.name} {f'第 {line} 行 ' if line else ''}{_label(data, loc)}：{pydantic_message(err)}"


def pydantic_message(err: Any) -> str:
    """One of pydantic's errors in Chinese (the validators of the model speak Chinese already)."""
    message = _PYDANTIC_MESSAGES.get(err["type"], err["msg"])
    ctx = err.get("ctx") or {}
    if err["type"] == "value_error" and "error" in ctx:
        message = str(ctx["error"])  # our own validators speak Chinese; drop pydantic's "Value error, "
    elif "expected" in ctx:
        message += "，可选：" + str(ctx["expected"]).replace(" or ", ", ")
    elif "max_length" in ctx or "min_length" in ctx:
        message += f"（实际 {ctx.get('actual_length')} 项）"
    return message


def _label(data: Any, loc: list[Any]) -> str:
    """indicators.3.lead → 指标 3（编号 4）字段 lead."""
    if len(loc) >= 2 and loc[0] == "indicators" and isinstance(loc[1], int):
        try:
            code = data["indicators"][loc[1]].get("key") or data["indicators"][loc[1]].get("code")
        except (AttributeError, IndexError, KeyError, TypeError):
            code = None
        rest = ".".join(str(p) for p in loc[2:]) or "(整条指标)"
        number = f"（编号 {code}）" if code is not None else "（无编号）"
        return f"第 {loc[1] + 1} 条指标{number}字段 {rest}"
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
    if not path.parent.is_dir():
        raise SchemaError(f"输出目录「{path.parent}」不存在，请先创建或换一个位置")
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise SchemaError(f"无法写入「{path}」（{os_reason(exc)}）") from None


def json_schema() -> str:
    return json.dumps(IndicatorSystem.model_json_schema(mode="serialization"), ensure_ascii=False, indent=2)


def check_system(system: IndicatorSystem, file: str | None = None) -> list[Finding]:
    """Semantic checks the model cannot express: references, alignment, vocabulary."""
    out: list[Finding] = []

    def add(rule: str, severity: Severity, message: str, where: str | None = None) -> None:
        out.append(Finding(rule=rule, severity=severity, message=message, file=file, field=where))

    names: dict[str, str] = {}  # folded spelling (市 支 队 = 市支队) → canonical name
    registered: set[str] = set()
    for unit in system.units:
        if unit.name in registered:
            add("unit-duplicate", Severity.error, f"单位「{unit.name}」在 units 中登记了两次", "units")
        registered.add(unit.name)
        for spelling in (unit.name, *unit.aliases):
            folded = unit_key(spelling)
            if folded in names and names[folded] != unit.name:
                add("unit-duplicate", Severity.error, f"单位名称「{spelling}」同时属于「{names[folded]}」和「{unit.name}」", "units")
            names[folded] = unit.name
    canonical = {u.name for u in system.units}
    level1s = {i.level1 for i in system.indicators}
    for level1 in system.level1_scores:
        if level1.name not in level1s:
            add("level1-unknown", Severity.error, f"level1_scores 中的一级指标「{level1.name}」没有任何指标", "level1_scores")
    out += [Finding(rule=f.rule, severity=f.severity, message=f.message, file=file, field=f.field)
            for f in _group_findings(system)]
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
        elif _reaches_no_ledger(system, ind, canonical):
            groups = "、".join(f"「{u}」" for u in (*ind.lead, *ind.cooperating))
            add("ledger-none", Severity.warning,
                f"不会进入任何单位的台账：责任单位{groups}是集体，且没有登记成员（members）。"
                f"指标内容：{ind.text[:30]}", where)
        for method in ind.unknown_methods:
            add("method-unknown", Severity.warning, f"测评方法「{method}」不在已知方法中，已保留", where)
        if not (ind.level3 or ind.points):
            add("text-missing", Severity.error, "三级指标和考评要点都为空", where)
        if not ind.level1.strip():  # an import that found no level-1 column or heading rows
            add("level1-missing", Severity.warning, "一级指标为空：汇总表的一级指标页和得分小计无法归类此指标", where)
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


def _reaches_no_ledger(system: IndicatorSystem, ind: Indicator, canonical: set[str]) -> bool:
    """Every unit it names is a registered group, and none has members (unknown units are errors already)."""
    named = (*ind.lead, *ind.cooperating)
    if not all(u in canonical for u in named):
        return False
    return all(system.unit(u).group for u in system.reached(ind))  # type: ignore[union-attr]


def _group_findings(system: IndicatorSystem) -> list[Finding]:
    """A group reaches ledgers only through its members: each must be a registered single unit."""
    out: list[Finding] = []
    for unit in system.units:
        where = f"单位 {unit.name}"
        if unit.members and not unit.group:
            out.append(Finding(rule="members-not-group", severity=Severity.error, field=where,
                               message=f"「{unit.name}」列有成员（members），但没有标为集体（group: true）"))
        if unit.group and not unit.members:
            reason = f"：{unit.members_note}" if unit.members_note else ""
            out.append(Finding(rule="group-members-missing", severity=Severity.warning, field=where,
                               message=f"集体「{unit.name}」没有登记成员（members），由它牵头的指标不会进入其成员的台账{reason}"))
        for member in unit.members:
            found = system.unit(member)
            if found is None or found.name != member:
                out.append(Finding(rule="member-unknown", severity=Severity.error, field=where,
                                   message=f"成员「{member}」未在 units 中登记（或不是登记的名称）"))
            elif found.group:
                out.append(Finding(rule="member-is-group", severity=Severity.error, field=where,
                                   message=f"成员「{member}」本身是集体；请直接列出单位"))
    return out


def _canonical(system: IndicatorSystem, name: str) -> str:
    unit = system.unit(name)
    return unit.name if unit else name

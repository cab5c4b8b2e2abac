"""Finding an indicator table's header row by what its names mean, and accounting for every column.

Offices name the same column a dozen ways (考评要点 / 基本要求 / 考核标准 / 具体内容 / 工作措施…),
letter-space them (考 核 标 准), split them over two rows (责任单位 over 牵头 │ 配合) or merge one
name over two columns (三级指标 over the code and the text). A name is recognised by the words
it contains, not looked up in a fixed list; every column ends up mapped to a field or reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from xlbridge.errors import SchemaError
from xlbridge.findings import column_letter
from xlbridge.normalise import fold_width, no_spaces

# Chinese names of the fields a column can fill, for messages and --map.
FIELD_LABELS: dict[str, str] = {
    "code": "编号",
    "level1": "一级指标",
    "level2": "二级指标",
    "level3": "三级指标",
    "points": "考评要点（指标内容）",
    "scoring": "评分标准",
    "score": "分值",
    "methods": "测评方法",
    "materials": "上报资料",
    "lead": "牵头单位",
    "cooperating": "配合单位",
    "units": "责任单位",
    "persons": "责任人",
    "deadline": "完成时限",
    "note": "备注",
    "assessor": "评分栏（考核时填写，不导入）",
    "ignore": "不导入",
}
TEXT_FIELDS = ("level1", "level2", "level3", "points")
# Tried in order, first match wins: (field, whole names, words a name contains). Specific before
# general: 评分标准 is scoring before 标准 makes it content; 责任人 before 责任 makes it units.
_RULES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("assessor", ("得分", "自评分", "考核分", "实得分", "评分", "复核分", "考评分"), ("得分", "自评")),
    ("scoring", (), ("评分标准", "扣分标准", "评分细则", "扣分细则", "评分办法", "计分办法", "计分方法", "评分方法")),
    ("score", ("分值", "分数", "标准分", "满分", "分", "基本分"), ("分值",)),
    ("persons", ("联系人",), ("责任人",)),
    ("lead", (), ("牵头",)),
    ("cooperating", (), ("配合", "参与", "协办", "协助")),
    ("units", ("单位", "部门", "科室"), ("责任单位", "责任部门", "责任科室", "责任处室", "承办", "实施单位", "责任主体")),
    ("deadline", (), ("时限", "完成时间", "时间要求", "时间安排", "进度安排", "完成期限")),
    ("methods", (), ("方法", "方式")),
    ("materials", (), ("资料", "材料")),
    ("note", ("备注", "说明", "附注"), ()),
    ("code", ("序号", "编号", "序", "项次", "代码", "号"), ("序号", "编号")),
    ("level1", (), ("一级",)),
    ("level2", (), ("二级",)),
    ("level3", (), ("三级",)),
    ("level1", ("考评项目", "考核项目", "项目", "名称", "类别", "主要任务", "重点任务", "任务类别", "领域"), ()),
    ("level3", ("工作任务", "具体任务", "任务", "工作事项", "事项", "目标任务", "工作目标"), ()),
    ("points", (), ("内容", "要点", "要求", "标准", "措施", "指标", "细则")),
)
_HEADER_SUFFIX = re.compile(r"\(.*\)$")
_NOT_A_NAME = re.compile(r"[。，；;,!！？?]|\d")
_MAX_NAME = 10  # header names are short; a longer cell is data or a title
CODE_VALUE = re.compile(r"^(?:★\s*\d+|\(\d+\)|\d+[、.]?|\d+(?:\.\d+)+)$")


def header_name(value: Any) -> str:
    """序 号 → 序号, 责任单位（部门） → 责任单位."""
    return _HEADER_SUFFIX.sub("", no_spaces(fold_width(cell_text(value))))


def field_of(name: str) -> str | None:
    if not name or len(name) > _MAX_NAME or _NOT_A_NAME.search(name):
        return None
    for field_name, whole, words in _RULES:
        if name in whole or any(w in name for w in words):
            return field_name
    return None


def cell_text(value: Any) -> str:
    """A table cell as text: None empty, a whole float without its .0, stripped."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


@dataclass
class Columns:
    """The header: which column fills which field, and what each column was called."""

    by_field: dict[str, int]
    header_row: int  # 0-based index of the last header row
    header: list[str] = field(default_factory=list)
    # 000-style tables: 考评项目 / 考评内容 / 基本要求 — content is level 2, requirement is level 3.
    content_is_level2: bool = False
    first_row: int | None = None  # 0-based index of the first header row, when split over two
    ignored: set[int] = field(default_factory=set)  # columns the user mapped away (--map X=ignore)
    assessor: set[int] = field(default_factory=set)  # 得分 / 自评分: left blank for the assessor

    def label(self, name: str) -> str | None:
        col = self.by_field.get(name)
        return self.header[col] if col is not None and col < len(self.header) and self.header[col] else None

    def field_at(self, col: int) -> str | None:
        return next((f for f, c in self.by_field.items() if c == col), None)

    def describe(self, col: int) -> str:
        name = self.header[col] if col < len(self.header) and self.header[col] else "（无表头）"
        return f"第 {col + 1} 列（{column_letter(col + 1)}）「{name}」"


def recognise(names: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for col, name in enumerate(names):
        f = field_of(name)
        if f == "points" and "points" in found and name != names[found["points"]] and name.endswith(("标准", "细则")):
            f = "scoring"  # 考核内容 │ 考核标准: the second says how it is scored
        if f is not None and f not in found:
            found[f] = col
    return found


def _is_header(fields: dict[str, int]) -> bool:
    return len(fields) >= 3 or (len(fields) == 2 and any(f in fields for f in TEXT_FIELDS) and "assessor" not in fields)


def _header_like(names: list[str]) -> bool:
    """A second header row: short names only, no number, no sentence."""
    cells = [n for n in names if n]
    return bool(cells) and all(len(n) <= _MAX_NAME and not _NOT_A_NAME.search(n) for n in cells)


def _combined(top: list[str], low: list[str]) -> list[str]:
    """Two header rows as one: 责任单位 merged over 牵头 │ 配合 gives 牵头, 配合; 考核 over 标准
    (one name cut in two) gives 考核标准; a name merged down both rows stays itself."""
    out: list[str] = []
    for c in range(max(len(top), len(low))):
        t = top[c] if c < len(top) else ""
        lo = low[c] if c < len(low) else ""
        spans = (c > 0 and c - 1 < len(top) and top[c - 1] == t) or (c + 1 < len(top) and top[c + 1] == t)
        if not lo or lo == t:
            out.append(t)
        elif not t or spans or field_of(lo) is not None and field_of(t + lo) is None:
            out.append(lo)
        else:
            out.append(t + lo)
    return out


def find_header(grid: list[list[Any]]) -> Columns | None:
    """The first row (or pair of rows) whose names mean at least three fields, one of them text."""
    for index, row in enumerate(grid):
        names = [header_name(v) for v in row]
        fields = recognise(names)
        below = [header_name(v) for v in grid[index + 1]] if index + 1 < len(grid) else []
        if _header_like(names) and len(set(filter(None, names))) >= 2 and below and _header_like(below) and below != names:
            joined = _combined(names, below)
            joined_fields = recognise(joined)
            if _is_header(joined_fields) and len(joined_fields) > len(fields) - (not _is_header(fields)):
                return _columns(joined_fields, joined, index + 1, first_row=index)
        if _is_header(fields):
            return _columns(fields, names, index)
    return None


def _columns(fields: dict[str, int], names: list[str], index: int, first_row: int | None = None) -> Columns:
    content_is_level2 = {"考评项目", "基本要求", "考评内容"} <= set(names)
    if content_is_level2:
        fields["level2"] = names.index("考评内容")
        fields["level3"] = names.index("基本要求")
        fields.pop("points", None)
    if "lead" in fields and "units" in fields and "cooperating" not in fields:
        fields["cooperating"] = fields.pop("units")
    cols = Columns(fields, index, names, content_is_level2, first_row)
    cols.assessor = {c for c, n in enumerate(names) if field_of(n) == "assessor"}
    fields.pop("assessor", None)  # a column to report, not a field of the indicator
    return cols


def settle_columns(cols: Columns, data: list[list[Any]]) -> None:
    """Columns the names alone leave open, decided by what the column holds.

    One name over two columns: 三级指标 over the code and the text; 考核内容 over the content and
    the requirement. A column with no name between 二级指标 and 三级指标 holding 1, 2, 3: the codes.
    """
    width = max((len(r) for r in data), default=0)
    for name in TEXT_FIELDS:
        col = cols.by_field.get(name)
        if col is None or col + 1 >= len(cols.header) or cols.header[col + 1] != cols.header[col]:
            continue
        if "code" not in cols.by_field and _mostly_codes(data, col):
            cols.by_field["code"], cols.by_field[name] = col, col + 1
        elif name == "points" and "level2" not in cols.by_field:
            above = "level1" if "level1" not in cols.by_field else "level2"  # the content heads its requirements
            cols.by_field[above], cols.by_field["points"] = col, col + 1
    if "code" not in cols.by_field:
        for col in range(width):
            named = col < len(cols.header) and cols.header[col]
            if not named and cols.field_at(col) is None and _mostly_codes(data, col):
                cols.by_field["code"] = col
                break


def _mostly_codes(data: list[list[Any]], col: int) -> bool:
    values = [no_spaces(fold_width(cell_text(r[col]))) for r in data if col < len(r) and cell_text(r[col])]
    return bool(values) and sum(bool(CODE_VALUE.match(v)) for v in values) >= 0.6 * len(values)


def apply_map(cols: Columns, overrides: list[str], file: str) -> None:
    """--map '具体内容=points' (or a column letter, --map 'C=points'): the user's word wins."""
    for item in overrides:
        name, sep, target = (p.strip() for p in item.partition("="))
        if not sep or not name or not target:
            raise SchemaError(f"--map「{item}」格式不对，应为「列名=字段」，例如 --map '具体内容=points'")
        if target not in FIELD_LABELS:
            choices = "、".join(f"{k}（{v}）" for k, v in FIELD_LABELS.items())
            raise SchemaError(f"--map「{item}」：不认识的字段「{target}」。可用：{choices}")
        col = _column_named(cols, name)
        if col is None:
            seen = "、".join(f"「{n}」" for n in dict.fromkeys(cols.header) if n)
            raise SchemaError(f"--map「{item}」：{file} 的表头中没有「{name}」列（表头有：{seen}；也可写列字母，如 C）")
        for f in [f for f, c in cols.by_field.items() if c == col]:
            del cols.by_field[f]
        cols.ignored.discard(col)
        cols.assessor.discard(col)
        if target in ("ignore", "assessor"):  # reported as such, never imported
            (cols.ignored if target == "ignore" else cols.assessor).add(col)
        else:
            cols.by_field[target] = col
    if "lead" in cols.by_field and "units" in cols.by_field and "cooperating" not in cols.by_field:
        cols.by_field["cooperating"] = cols.by_field.pop("units")


def _column_named(cols: Columns, name: str) -> int | None:
    wanted = header_name(name)
    for col, header in enumerate(cols.header):
        if header == wanted:
            return col
    if re.fullmatch(r"[A-Za-z]{1,2}", name):
        col = 0
        for ch in name.upper():
            col = col * 26 + ord(ch) - 64
        return col - 1
    return None


def no_header_message(grid: list[list[Any]], where: str) -> str:
    """Which row looked most like a header, what it was read as, and which fields are missing."""
    best, best_fields = None, {}
    for index, row in enumerate(grid[:40]):
        names = [header_name(v) for v in row]
        fields = recognise(names)
        if len([n for n in names if n]) >= 2 and len(fields) > len(best_fields) or best is None and any(names):
            best, best_fields = index, fields
    message = f"{where}：找不到表头行（前 40 行中没有一行能认出三个以上的列）。"
    if best is not None:
        names = [header_name(v) for v in grid[best]]
        seen = "、".join(
            f"{column_letter(c + 1)}「{n}」→{FIELD_LABELS[f] if (f := field_of(n)) else '？'}"
            for c, n in enumerate(names) if n
        )
        missing = [FIELD_LABELS[f] for f in ("code", "level3", "points", "units") if f not in best_fields]
        message += f"最像表头的是第 {best + 1} 行：{seen}；缺少：{'、'.join(missing) or '（无）'}。"
    return message + "可用 --map '列名=字段' 指定各列（如 --map '具体内容=points'），字段见 xlbridge schema import --help"

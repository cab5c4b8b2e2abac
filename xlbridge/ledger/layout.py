"""The ledger layout, declared once. The writer (openpyxl), the fast reader (calamine), the
Excel adapter (xlwings) and the validation engine all take positions, headers, types and
locking from here and from nowhere else.

台账 sheet:
    row 1   title
    row 2   责任单位 | 考核体系 | 考核年度                (pre-filled, locked)
    row 3   报送月份 | 填表时间 | 填表人                   (input)
    row 4   column headers
    row 5…  one row per (year, indicator); continuation rows (编号 and 年度 empty) add
            material lines to the indicator row above them, as 附件3 allows.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum

from xlbridge.system.model import Kind as RowKind

TEMPLATE_VERSION = "1"

LEDGER_SHEET = "台账"
GUIDE_SHEET = "填报说明"
META_SHEET = "xlbridge"  # very hidden; LibreOffice turns it into plain hidden, the signature is the proof
LISTS_SHEET = "选项"  # dropdown sources: a literal list over 255 characters is cut by LibreOffice
RESULTS_SHEET = "校验结果"  # written by the add-in

# Protection is advisory (LibreOffice lets its API edit locked cells) and its password is no
# secret: the add-in lifts it to mark cells. The server compares every pre-filled cell instead.
PROTECTION_PASSWORD = "xlbridge"
LOCKED_FILL, INPUT_FILL, HEADER_FILL = "F2F2F2", "FFFFFF", "DDEBF7"


class Kind(str, Enum):
    text = "text"  # free text, cell formatted "@" so nothing converts
    choice = "choice"
    year = "year"
    urls = "urls"  # one link per line
    phone = "phone"


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: float
    kind: Kind = Kind.text
    locked: bool = False
    required: bool = False
    choices: tuple[str, ...] = ()
    list_name: str | None = None  # defined name for the dropdown source
    max_length: int | None = None
    prompt: str | None = None

    @property
    def index(self) -> int:
        """1-based column number (set once below; the engine asks for it per cell)."""
        return self.__dict__["_index"]


PROGRESS_DONE, PROGRESS_PENDING = "已完成", "未完成"
SECRET_YES, SECRET_NO = "是", "否"
DESCRIPTION_SOFT_LIMIT, DESCRIPTION_HARD_LIMIT = 500, 1000

COLUMNS: tuple[Column, ...] = (
    Column("year", "年度", 7, Kind.year, locked=True),
    Column("code", "指标编号", 9, locked=True),
    Column("level1", "一级指标", 16, locked=True),
    Column("indicator", "三级指标 / 考评要点", 46, locked=True),
    Column("methods", "测评方法", 11, locked=True),
    Column("required_materials", "应报材料", 36, locked=True),
    Column("role", "职责", 6, locked=True),
    Column(
        "progress", "完成进度", 10, Kind.choice, required=True,
        choices=(PROGRESS_DONE, PROGRESS_PENDING), list_name="进度选项",
        prompt="请选择：已完成 / 未完成",
    ),
    Column(
        "description", "进度说明", 44, required=True, max_length=DESCRIPTION_HARD_LIMIT,
        prompt="已完成：写上月具体完成情况；未完成：写正在推进情况。一般不超过500字，最多1000字。",
    ),
    Column("materials", "上报材料（目录）", 32, prompt="按时间顺序列出材料目录，一行一项；材料较多可在下方插入行续写。"),
    Column("links", "网址链接", 30, Kind.urls, prompt="每行一个 http:// 或 https:// 链接；网络检索类指标必填。"),
    Column(
        "secret", "涉密", 6, Kind.choice, choices=(SECRET_NO, SECRET_YES), list_name="涉密选项",
        prompt="涉密材料只报送纸质件，不填链接和材料内容。",
    ),
    Column("person", "责任人", 9, max_length=50),
    Column("phone", "联系电话", 14, Kind.phone, max_length=30, prompt="手机或座机，如 13800138000 或 0393-6980399"),
)


def numbered(columns: tuple[Column, ...]) -> tuple[Column, ...]:
    """Columns with their 1-based index set, in order (a sheet's layout, declared once)."""
    for number, column in enumerate(columns, start=1):
        object.__setattr__(column, "_index", number)
    return columns


numbered(COLUMNS)
COLUMN = {c.key: c for c in COLUMNS}
LOCKED = tuple(c for c in COLUMNS if c.locked)
INPUTS = tuple(c for c in COLUMNS if not c.locked)

# 完成进度 by the row's kind. A 减分项 is no task to complete but a situation that must not occur,
# a 加分项 something a unit may claim: each offers its own pair, with its own dropdown and prompt.
PROGRESS_ABSENT, PROGRESS_PRESENT = "无此情形", "存在此情形"
PROGRESS_CLAIMED, PROGRESS_UNCLAIMED = "申报加分", "不申报"


def _kind_columns(choices: tuple[str, str], list_name: str, progress: str, description: str) -> dict[str, Column]:
    """完成进度 and 进度说明 as a row of one kind shows them: its choices, its prompts."""
    return {"progress": replace(COLUMN["progress"], choices=choices, list_name=list_name, prompt=progress),
            "description": replace(COLUMN["description"], prompt=description)}


KIND_COLUMNS: dict[RowKind, dict[str, Column]] = {
    RowKind.normal: {"progress": COLUMN["progress"], "description": COLUMN["description"]},
    RowKind.penalty: _kind_columns(
        (PROGRESS_ABSENT, PROGRESS_PRESENT), "减分选项",
        "减分项：本单位没有此情形选“无此情形”；存在此情形的选“存在此情形”，并在进度说明中写明情况和整改措施。",
        "存在此情形的：写明发生了什么、采取了哪些整改措施；无此情形的可不填。最多1000字。"),
    RowKind.bonus: _kind_columns(
        (PROGRESS_CLAIMED, PROGRESS_UNCLAIMED), "加分选项",
        "加分项：申报加分的选“申报加分”，在进度说明中写明依据，并列出上报材料或网址链接作为佐证；不申报的选“不申报”。",
        "申报加分的：写明申报依据（表彰文件名称、文号，或被推广的做法）；不申报的可不填。最多1000字。"),
}
BY_KIND = ("progress", "description")  # the columns whose dropdown or prompt differs by row kind
for _columns in KIND_COLUMNS.values():
    for _key, _column in _columns.items():
        object.__setattr__(_column, "_index", COLUMN[_key].index)
PROGRESS_COLUMNS = {kind: columns["progress"] for kind, columns in KIND_COLUMNS.items()}
# Values after which 进度说明 may stay empty: nothing happened, nothing claimed.
NOTHING_TO_SAY = (PROGRESS_ABSENT, PROGRESS_UNCLAIMED)


def progress_column(kind: RowKind) -> Column:
    """The 完成进度 column as a row of this kind offers it."""
    return PROGRESS_COLUMNS[kind]


def kind_column(key: str, kind: RowKind) -> Column:
    """Column ``key`` (one of BY_KIND) as a row of this kind shows it."""
    return KIND_COLUMNS[kind][key]


def progress_kind(value: str) -> RowKind | None:
    """The kind whose choices hold ``value`` (None for an empty or foreign value)."""
    return next((k for k, c in PROGRESS_COLUMNS.items() if value in c.choices), None)


# Input columns a continuation row may carry; 完成进度 belongs to the indicator row.
CONTINUATION_INPUTS = ("materials", "links", "secret")

TITLE_ROW, UNIT_ROW, INPUT_ROW, HEADER_ROW = 1, 2, 3, 4
FIRST_DATA_ROW = HEADER_ROW + 1


@dataclass(frozen=True)
class HeaderField:
    key: str
    label: str
    row: int
    label_col: int
    value_col: int
    locked: bool
    prompt: str | None = None


HEADER_FIELDS: tuple[HeaderField, ...] = (
    HeaderField("unit", "责任单位", UNIT_ROW, 1, 2, locked=True),
    HeaderField("system", "考核体系", UNIT_ROW, 5, 6, locked=True),
    HeaderField("campaign", "考核年度", UNIT_ROW, 8, 9, locked=True),
    HeaderField("period", "报送月份", INPUT_ROW, 1, 2, locked=False, prompt="如 2021-05（报送哪个月的进展）"),
    HeaderField("filled_on", "填表时间", INPUT_ROW, 5, 6, locked=False, prompt="如 2021-05-28"),
    HeaderField("filled_by", "填表人", INPUT_ROW, 8, 9, locked=False),
)
HEADER_FIELD = {f.key: f for f in HEADER_FIELDS}

def ledger_title(unit: str, campaign: object) -> str:
    return f"{unit} {campaign} 年法治政府建设工作台账"


def issued_header(meta: dict[str, str]) -> dict[tuple[int, int], str]:
    """The locked cells of rows 1–3 as issued, (row, col) → text, from the signed metadata:
    the title, each field's label, 考核体系 and 考核年度, and every other cell empty. The input
    cells (报送月份, 填表时间, 填表人) and 责任单位 (checked as prefilled-changed) are left out."""
    cells: dict[tuple[int, int], str] = {(row, col): "" for row in (TITLE_ROW, UNIT_ROW, INPUT_ROW)
                                         for col in range(1, len(COLUMNS) + 1)}
    cells[(TITLE_ROW, 1)] = ledger_title(meta.get("unit", ""), meta.get("campaign", ""))
    values = {"system": meta.get("system_title", ""), "campaign": meta.get("campaign", "")}
    for f in HEADER_FIELDS:
        cells[(f.row, f.label_col)] = f.label
        if f.key in values:
            cells[(f.row, f.value_col)] = values[f.key]
        else:
            del cells[(f.row, f.value_col)]
    return cells


# Keys of the metadata sheet, in order; the signature covers all but itself.
META_KEYS = (
    "unit", "system_id", "system_version", "system_title", "campaign", "years",
    "template_version", "issued_at", "rows_digest", "period", "items_digest", "member_of", "system_data", "signature",
)
# Keys added after ledgers were first issued: signed only when present, so older ledgers verify.
# items_digest: the 整改 sheet's locked cells (ledger/rectification.py), when the ledger has one.
# member_of: the groups a workspace made the unit a member of (system/members.py), one a line.
# system_data: the indicator system itself, compressed (ledger/carried.py), when the clerk's shipped
# copy cannot stand in for it; split over the cells of its row, B onwards (a cell holds 32,767 characters).
OPTIONAL_META_KEYS = frozenset({"period", "items_digest", "member_of", "system_data"})
SYSTEM_DATA = "system_data"
CELL_CHARS = 32_767
SYSTEM_DATA_CELLS = 16


@dataclass
class LedgerRow:
    """One data row as read back from a workbook (values already normalised)."""

    number: int  # sheet row, 1-based
    values: dict[str, object] = field(default_factory=dict)

    @property
    def is_continuation(self) -> bool:
        return not self.values.get("year") and not self.values.get("code")

    def text(self, key: str) -> str:
        value = self.values.get(key)
        return "" if value is None else str(value)

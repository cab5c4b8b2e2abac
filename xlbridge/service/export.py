"""``store export``: the store's tables and views as CSV or JSON files a person can read.

By default every file, column and coded value is named in Chinese (报送记录.csv, 处理结果 已接收,
涉密 是/否, 类别 加分项, 重点 ★); ``raw`` writes the tables as stored (submissions.csv,
status accepted, secret 1) for other programs. CSV is UTF-8 with a BOM, so Excel opens it as
such, and safe against formula injection either way.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import sqlite_utils

from xlbridge.findings import SEVERITY_LABELS
from xlbridge.ledger.signature import SIGNATURE_LABELS
from xlbridge.system.model import KIND_LABELS

# Exported table or view → its file name when labelled.
EXPORTED = {
    "submissions": "报送记录", "rows": "填报内容_全部历史", "findings": "问题清单", "current": "当前状态",
    "current_rows": "当前填报", "latest_submissions": "最新报送", "monthly_submissions": "各月计入的报送",
    "indicators": "指标", "units": "单位", "assignments": "分工",
}

# Column → header, for every column of every exported table (one name means one thing everywhere).
HEADERS = {
    "id": "编号", "sha256": "文件指纹", "file_name": "文件名", "archive_path": "存档路径", "size": "文件大小（字节）",
    "received_at": "收到时间", "processed_at": "处理时间", "unit": "单位", "claimed_unit": "文件所署单位",
    "system_id": "指标体系", "system_version": "指标体系版本", "campaign": "考核年度", "period": "报送月份",
    "template_version": "模板版本", "signature": "签名核验", "status": "处理结果", "reason": "退回原因",
    "errors": "错误数", "warnings": "警告数", "rows": "指标行数", "filled_by": "填表人", "filled_on": "填表时间",
    "submission_id": "报送编号", "year": "年度", "indicator_key": "指标标识", "sheet_row": "台账行号",
    "progress": "完成进度", "description": "进度说明", "materials": "上报材料", "links": "网址链接", "secret": "涉密",
    "person": "责任人", "phone": "联系电话", "rule": "规则", "severity": "级别", "sheet": "工作表", "row": "行",
    "col": "列", "cell": "单元格", "field": "栏目", "message": "说明", "hint": "建议", "row_id": "填报行编号",
    "updated_at": "更新时间", "month": "月份", "key": "指标标识", "position": "顺序", "code": "指标编号",
    "level1": "一级指标", "level2": "二级指标", "level3": "三级指标", "points": "考评要点", "methods": "测评方法",
    "lead": "牵头单位", "cooperating": "配合单位", "kind": "类别", "key_item": "重点", "name": "单位",
    "is_group": "单位组", "role": "职责",
}

_YES_NO = {0: "否", 1: "是"}
_STATUS = {"accepted": "已接收", "rejected": "已退回"}
# Column → its coded value in words.
LABELS: dict[str, Callable[[Any], Any]] = {
    "secret": _YES_NO.get,
    "is_group": _YES_NO.get,
    "key_item": lambda v: "★" if v else "",
    "kind": lambda v: {k.value: label for k, label in KIND_LABELS.items()}.get(v, v),
    "status": lambda v: _STATUS.get(v, v),
    "signature": lambda v: SIGNATURE_LABELS.get(v, v),
    "severity": lambda v: {k.value: label for k, label in SEVERITY_LABELS.items()}.get(v, v),
}

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """Text a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading ' (OWASP)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def export(db: sqlite_utils.Database, out: Path, fmt: str, raw: bool = False, extra: Mapping[str, str] | None = None,
           extra_headers: Mapping[str, str] | None = None) -> list[Path]:
    """One file per exported table or view in ``out``; their paths. ``extra``: another package's
    tables (name → file name when labelled), those the store has; ``extra_headers`` their columns."""
    out.mkdir(parents=True, exist_ok=True)
    present = set(db.table_names())
    tables = {**EXPORTED, **{name: label for name, label in (extra or {}).items() if name in present}}
    theirs = {**HEADERS, **(extra_headers or {})}  # another package's columns, in its own tables only
    paths = []
    for name, label in tables.items():
        cursor = db.execute(f"SELECT * FROM [{name}]")
        columns = [d[0] for d in cursor.description]
        rows: Any = cursor if raw else (_labelled(columns, row) for row in cursor)
        names = theirs if name not in EXPORTED else HEADERS
        headers = columns if raw else [names.get(c, c) for c in columns]
        path = out / f"{name if raw else label}.{fmt}"
        if fmt == "csv":
            with open(path, "w", encoding="utf-8-sig", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(headers)
                writer.writerows([csv_safe(v) for v in row] for row in rows)
        else:
            path.write_text(json.dumps([dict(zip(headers, r)) for r in rows], ensure_ascii=False, indent=1), encoding="utf-8")
        paths.append(path)
    return paths


def _labelled(columns: list[str], row: tuple[Any, ...]) -> list[Any]:
    return [LABELS[c](v) if c in LABELS and v is not None else v for c, v in zip(columns, row)]

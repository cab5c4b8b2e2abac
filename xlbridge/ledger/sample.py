"""A deterministic sample clerk: fills generated ledgers the way units really do, for the demo,
the tests and the benchmarks. Uses openpyxl on ledgers xlbridge itself generated (never on a
user's workbook)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import openpyxl

from xlbridge.ledger import layout as L
from xlbridge.system.model import WEB_SEARCH, Indicator, IndicatorSystem, Kind

Answer = Mapping[str, Any]  # column key → value, for the input columns


def fill_ledger(
    src: Path,
    dst: Path,
    answer: Callable[[int, str], Answer | None],
    *,
    header: Mapping[str, Any] | None = None,
    continuations: Mapping[tuple[int, str], list[Answer]] | None = None,
) -> Path:
    """Copy ``src`` to ``dst`` with input cells filled.

    ``answer(year, code)`` gives the input values for an indicator row (None leaves it blank);
    ``continuations`` adds inserted material rows under given indicator rows, as a clerk would.
    """
    wb = openpyxl.load_workbook(src)
    ws = wb[L.LEDGER_SHEET]
    for key, value in (header or {}).items():
        f = L.HEADER_FIELD[key]
        ws.cell(f.row, f.value_col, value)
    year_col, code_col = L.COLUMN["year"].index, L.COLUMN["code"].index
    inserts: list[tuple[int, list[Answer]]] = []
    for row in range(L.FIRST_DATA_ROW, ws.max_row + 1):
        year, code = ws.cell(row, year_col).value, ws.cell(row, code_col).value
        if year is None or code is None:
            continue
        values = answer(int(year), str(code))
        for key, value in (values or {}).items():
            ws.cell(row, L.COLUMN[key].index, value)
        extra = (continuations or {}).get((int(year), str(code)))
        if extra:
            inserts.append((row, extra))
    for row, extra in reversed(inserts):
        _insert_rows_keeping_heights(ws, row + 1, len(extra))
        for offset, values in enumerate(extra, start=1):
            for key, value in values.items():
                ws.cell(row + offset, L.COLUMN[key].index, value)
    dst.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dst)
    return dst


def _insert_rows_keeping_heights(ws, at: int, count: int) -> None:  # type: ignore[no-untyped-def]
    """openpyxl's insert_rows moves cells but not row heights; move those too."""
    heights = {r: d.height for r, d in ws.row_dimensions.items() if r >= at and d.height}
    ws.insert_rows(at, count)
    for r in sorted(heights, reverse=True):
        ws.row_dimensions[r + count].height = heights[r]
    for r in range(at, at + count):
        ws.row_dimensions[r].height = None


def _pick(seed: str, n: int) -> int:
    return int(hashlib.sha256(seed.encode()).hexdigest()[:8], 16) % n


_DONE_TEXT = [
    "上月已按要求完成{what}，形成工作总结并报分管领导审定，相关文件已在门户网站公开。",
    "上月召开专题会议研究{what}，印发实施方案，明确责任人和完成时限，已全部落实到位。",
    "已完成{what}的材料整理，按2016年至2021年时间顺序编制目录，纸质材料装订成册备查。",
]
_PENDING_TEXT = [
    "正在推进{what}，已起草工作方案，预计下月底前完成审核并印发。",
    "{what}已完成前期调研，正在征求相关科室意见，下月提交局务会研究。",
]


def clerk_answer(system: IndicatorSystem, unit: str, *, done_share: int = 70) -> Callable[[int, str], Answer]:
    """Plausible, valid answers: done or not done by a stable hash, links where 网络检索 needs them."""

    def answer(year: int, code: str) -> Answer:
        ind = system.indicator(code)
        assert ind is not None
        seed = f"{unit}|{year}|{code}"
        what = _topic(ind)
        done = _pick(seed, 100) < done_share
        texts = _DONE_TEXT if done else _PENDING_TEXT
        values: dict[str, Any] = {
            "progress": L.PROGRESS_DONE if done else L.PROGRESS_PENDING,
            "description": texts[_pick(seed + "t", len(texts))].format(what=what),
            "materials": "\n".join(f"{year}年{m[:30]}" for m in (ind.materials or [what])[:3]),
            "person": ["王伟", "李娜", "张敏", "刘洋", "陈静"][_pick(unit, 5)],
            "phone": f"139{_pick(unit + 'p', 10**8):08d}",
            "secret": L.SECRET_NO,
        }
        if ind.kind is Kind.penalty:  # a situation that must not occur: the sample unit has none
            values["progress"], values["description"] = L.PROGRESS_ABSENT, ""
        elif ind.kind is Kind.bonus:  # nothing claimed
            values["progress"], values["description"] = L.PROGRESS_UNCLAIMED, ""
        if WEB_SEARCH in ind.methods or _pick(seed + "l", 3) == 0:
            values["links"] = f"http://www.example.gov.cn/zfxxgk/{year}/{_pick(seed, 10**6):06d}.html"
        return values

    return answer


def _topic(ind: Indicator) -> str:
    text = (ind.level3 or ind.points or ind.level1).split("。")[0]
    return f"“{text[:24]}”相关工作"

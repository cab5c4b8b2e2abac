"""The quarterly 通报 (季度点评通报): a Word document in the style of a government notice, from
the store: reporting and on-time rates of the quarter's months, the inspections' findings by
indicator, the rectification items closed, open and overdue (units named), and a placeholder for
the group's next steps. ``quarter_facts`` gathers, ``write_bulletin`` writes; the test reads both."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import sqlite_utils

from xlbridge.errors import XlbridgeError
from xlbridge.service.consolidate import deadline_for
from xlbridge.service.workspace import Workspace
from xlbridge.supervision import document as D
from xlbridge.supervision import items as I
from xlbridge.supervision import store
from xlbridge.supervision.plan import expected_units
from xlbridge.supervision.scores import UnitScore, unit_scores
from xlbridge.supervision.scoring import cut_text
from xlbridge.supervision.timeline import end_of, items_on, quarter_day

_QUARTER = re.compile(r"^(\d{4})\s*[Qq]([1-4])$")
_NUMERALS = "一二三四"
NEXT_STEPS = "（此部分由督导检查组根据本季度情况填写。）"


def quarter_months(quarter: str) -> list[str]:
    m = _QUARTER.match(quarter.strip())
    if not m:
        raise XlbridgeError(f"季度「{quarter}」格式不对，应写成 2021Q2")
    year, q = int(m.group(1)), int(m.group(2))
    return [f"{year:04d}-{month:02d}" for month in range(3 * q - 2, 3 * q + 1)]


@dataclass
class QuarterFacts:
    quarter: str
    year: int
    number: int  # 1–4
    months: list[str]
    units: list[str]
    reporting: list[dict[str, Any]]  # month, expected, reported, on_time
    findings: list[dict[str, Any]]  # code, text, unit, round, conclusion, problem, deduction
    closed: list[dict[str, Any]] = field(default_factory=list)
    open: list[dict[str, Any]] = field(default_factory=list)
    overdue: list[dict[str, Any]] = field(default_factory=list)
    scores: list[UnitScore] = field(default_factory=list)
    as_of: date | None = None

    @property
    def label(self) -> str:
        return f"{self.year}年第{_NUMERALS[self.number - 1]}季度"


def quarter_facts(ws: Workspace, db: sqlite_utils.Database, quarter: str, today: date | None = None) -> QuarterFacts:
    """The quarter as of ``today`` (by default its last day, or today if earlier: timeline.py)."""
    months = quarter_months(quarter)
    day = today or quarter_day(months)
    system = ws.indicator_system()
    campaign = ws.campaign or int(months[0][:4])
    units = expected_units(ws)
    store.ensure_tables(db)
    I.mark_overdue(db, system.id, day)
    facts = QuarterFacts(quarter.upper(), int(months[0][:4]), int(quarter.strip()[-1]), months, units,
                         [_reporting(db, system.id, campaign, month, units, ws.deadline_day, day) for month in months],
                         _findings(db, system, months), as_of=day)
    for item in items_on(db, system.id, day, campaign, rounds_to=months[-1]):
        if item["unit"] not in units:
            continue
        closed_in_quarter = item["status"] == I.CLOSED and months[0] <= item["changed_at"][:7] <= months[-1]
        target = (facts.closed if closed_in_quarter else None if item["status"] == I.CLOSED
                  else facts.overdue if item["status"] == I.OVERDUE else facts.open)
        if target is not None:
            target.append(item)
    facts.scores = unit_scores(db, system, campaign, months[-1], units)
    return facts


def _reporting(db: sqlite_utils.Database, system_id: str, campaign: int, month: str, units: list[str],
               deadline_day: int, day: date) -> dict[str, Any]:
    deadline = deadline_for(month, deadline_day).isoformat(timespec="seconds")
    first = dict(db.execute(
        "SELECT unit, MIN(received_at) FROM submissions WHERE status = 'accepted' AND system_id = ? AND campaign = ?"
        " AND period = ? AND received_at < ? GROUP BY unit", [system_id, campaign, month, end_of(day)]).fetchall())
    reported = [u for u in units if u in first]
    return {"month": month, "expected": len(units), "reported": len(reported),
            "on_time": sum(1 for u in reported if first[u] < deadline), "missing": [u for u in units if u not in first]}


def _findings(db: sqlite_utils.Database, system: Any, months: list[str]) -> list[dict[str, Any]]:
    sql = """SELECT r.indicator_key, i.unit, i.round, r.conclusion, r.problem, r.deduction
             FROM inspection_rows r JOIN inspections i ON i.id = r.inspection_id
             WHERE i.status = 'accepted' AND i.system_id = ? AND i.round BETWEEN ? AND ?
               AND r.conclusion IN ('不符合', '基本符合')
             ORDER BY r.indicator_key, i.unit, i.round"""
    out = []
    for code, unit, round_, conclusion, problem, deduction in db.execute(sql, [system.id, months[0], months[-1]]):
        indicator = system.indicator(code)
        out.append({"code": code, "text": indicator.text[:40] if indicator else "", "unit": unit, "round": round_,
                    "conclusion": conclusion, "problem": problem, "deduction": deduction,
                    "key_item": bool(indicator and indicator.key_item)})
    return out


def write_bulletin(facts: QuarterFacts, path: Path, issuer: str = "法治政府建设督导检查组", number: int | None = None) -> Path:
    subject = f"关于{facts.label}法治政府建设督导检查情况的通报"
    doc = D.new_document(issuer, subject)
    D.centered(doc, issuer, color="C00000")
    D.centered(doc, f"督查通报〔{facts.year}〕{number or facts.number}号")
    D.title(doc, subject)
    D.body(doc, "各责任单位：", indent=False)
    D.body(doc, f"现将{facts.label}（{facts.months[0]} 至 {facts.months[-1]}）工作台账报送、督导检查和问题整改情况通报如下。")
    _overall(doc, facts)
    _problems(doc, facts)
    _rectification(doc, facts)
    D.heading(doc, "四、下一步工作")
    D.body(doc, NEXT_STEPS)
    D.right(doc, issuer)
    D.right(doc, f"{facts.months[-1][:4]}年{int(facts.months[-1][5:])}月")
    return D.save(doc, path)


def _overall(doc: Any, facts: QuarterFacts) -> None:
    D.heading(doc, "一、总体情况")
    expected = sum(r["expected"] for r in facts.reporting)
    reported = sum(r["reported"] for r in facts.reporting)
    on_time = sum(r["on_time"] for r in facts.reporting)
    D.body(doc, f"本季度应报送工作台账 {expected} 份，实际报送 {reported} 份，报送率 {_rate(reported, expected)}；"
                f"按时报送 {on_time} 份，按时报送率 {_rate(on_time, expected)}。")
    D.table(doc, ["月份", "应报单位", "已报送", "按时报送", "报送率", "按时率", "未报送单位"],
            [[r["month"], r["expected"], r["reported"], r["on_time"], _rate(r["reported"], r["expected"]),
              _rate(r["on_time"], r["expected"]), "、".join(r["missing"]) or "无"] for r in facts.reporting],
            [18, 14, 14, 16, 16, 16, 62])
    scored = [s for s in facts.scores if s.score is not None]
    if scored:
        D.body(doc, f"本季度督导检查 {len(scored)} 个单位（计分方法：{scored[0].method}）。各单位得分及名次如下：")
        D.table(doc, ["名次", "单位", "得分", "满分", "加分", "检查轮次"],
                [[s.rank, s.unit, f"{s.score:g}", f"{s.full_marks:g}", f"{s.bonus:g}" if s.bonuses else "", s.round]
                 for s in scored], [14, 62, 18, 18, 20, 24])
        awarded = [(s.unit, b) for s in facts.scores for b in s.bonuses]
        if awarded:
            D.body(doc, "加分情况：" + "；".join(f"{unit}（指标 {b.code}）加 {b.points:g} 分，{b.reason}{cut_text(b)}"
                                                  for unit, b in awarded) + "。")
    else:
        D.body(doc, "本季度尚未开展督导检查。")


def _problems(doc: Any, facts: QuarterFacts) -> None:
    D.heading(doc, "二、主要问题")
    if not facts.findings:
        D.body(doc, "本季度督导检查未发现需要通报的问题。")
        return
    indicators = len({f["code"] for f in facts.findings})
    D.body(doc, f"督导检查在 {indicators} 项指标中发现问题 {len(facts.findings)} 个，按指标列示如下（★ 为重点指标）：")
    D.table(doc, ["指标", "单位", "轮次", "结论", "发现问题", "扣分"],
            [[("★" if f["key_item"] else "") + f"{f['code']} {f['text']}", f["unit"], f["round"], f["conclusion"],
              f["problem"], f"{f['deduction']:g}" if f["deduction"] else ""] for f in facts.findings],
            [36, 28, 18, 16, 44, 14])


def _rectification(doc: Any, facts: QuarterFacts) -> None:
    D.heading(doc, "三、整改情况")
    D.body(doc, f"截至{facts.as_of:%Y年%m月%d日}，本季度销号整改事项 {len(facts.closed)} 项；尚在整改 {len(facts.open)} 项；"
                f"逾期未整改 {len(facts.overdue)} 项" + (f"，涉及{'、'.join(dict.fromkeys(i['unit'] for i in facts.overdue))}，"
                                                        "请抓紧整改并说明原因。" if facts.overdue else "。"))
    rows = [[i["id"], i["unit"], i["indicator_key"], i["problem"], i["due"], i["status"]]
            for i in (*facts.overdue, *facts.open, *facts.closed)]
    if rows:
        D.table(doc, ["编号", "单位", "指标", "问题", "整改期限", "状态"], rows, [12, 34, 14, 56, 22, 18])


def _rate(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "—"

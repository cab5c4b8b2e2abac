"""The consolidated workbook for the coordination group (综合协调组), rewritten whole.

Snapshot semantics: for period P each unit counts with its latest accepted submission whose
reporting month is ≤ P; the overview says whether the unit reported for P itself, and whether
on time (before day ``deadline_day`` of the following month).
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from typing import Any

import sqlite_utils

from xlbridge.errors import XlbridgeError
from xlbridge.ledger.content import campaign_years
from xlbridge.ledger.layout import (
    NOTHING_TO_SAY,
    PROGRESS_ABSENT,
    PROGRESS_CLAIMED,
    PROGRESS_DONE,
    PROGRESS_PENDING,
    PROGRESS_PRESENT,
    PROGRESS_UNCLAIMED,
)
from xlbridge.service import extra_sheets, store
from xlbridge.service.store import LATEST_FIRST, rows_revision
from xlbridge.service.summary_cache import CACHE_NAME, SummaryCache
from xlbridge.service.trend import Month, write_trend
from xlbridge.service.workspace import Workspace
from xlbridge.system.model import WEB_SEARCH, Indicator, IndicatorSystem, Kind
from xlbridge.xlsx import printing
from xlbridge.xlsx.owned import OwnedWorkbook, Styles, fit_name, owned_workbook, text, write_table
from xlbridge.xlsx.printing import (
    LINE_PT,
    MAX_ROW_PT,
    Page,
    blocks,
    per_page,
    row_height,
    row_heights,
    rows_for_px,
    setup_xlsxwriter,
    spanning,
    text_lines,
)
from xlbridge.xlsx.stream import Block, clean_text

NOT_FILLED = "未填"
LEAD_MARK = "▲"


@dataclass
class UnitStatus:
    unit: str
    status: str  # 按时报送 / 逾期报送 / 已退回 / 未报送
    submission: dict[str, Any] | None
    expected: int  # 常规 rows only: a 加分项 or 减分项 is no task to complete
    done: int = 0
    pending: int = 0
    present: tuple[str, ...] = ()  # codes of the 减分项 it declares 存在此情形
    claimed: tuple[str, ...] = ()  # codes of the 加分项 it claims (申报加分)

    @property
    def missing(self) -> int:
        return max(self.expected - self.done - self.pending, 0)


def latest_period(db: sqlite_utils.Database, system_id: str) -> str | None:
    row = db.execute("SELECT MAX(period) FROM submissions WHERE system_id = ? AND status = 'accepted'", [system_id]).fetchone()
    return row[0] if row else None


def deadline_for(period: str, day: int) -> datetime:
    year, month = (int(p) for p in period.split("-"))
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return datetime(year, month, day)


def local_time(iso: str | None) -> str:
    """2021-06-03T09:15:02 → 2021-06-03 09:15 (stored times are local times)."""
    return iso.replace("T", " ")[:16] if iso else ""


def months_to_rewrite(db: sqlite_utils.Database, system_id: str, accepted: Iterable[tuple[int, str]]) -> list[str]:
    """Every month whose 汇总 the accepted (campaign, reporting month) pairs change, in order."""
    return sorted({m for campaign, period in set(accepted) for m in affected_months(db, system_id, campaign, period)})


def affected_months(db: sqlite_utils.Database, system_id: str, campaign: int, period: str) -> list[str]:
    """The months whose 汇总 a submission for ``period`` changes: its own and every later month
    of the campaign up to the latest one reported (a later month may still count it, and every
    later month's 趋势 shows this one)."""
    row = db.execute("SELECT MAX(period) FROM submissions WHERE status = 'accepted' AND system_id = ? AND campaign = ?",
                     [system_id, campaign]).fetchone()
    last = max(period, row[0] or period)
    return [m for m in campaign_months(campaign) if period <= m <= last]


def campaign_months(campaign: int) -> list[str]:
    return [f"{campaign:04d}-{m:02d}" for m in range(1, 13)]


def reported_months(db: sqlite_utils.Database, system_id: str, campaign: int) -> list[str]:
    """Every month of the campaign from the first reported to the latest (``consolidate --all``)."""
    first, last = db.execute("SELECT MIN(period), MAX(period) FROM submissions WHERE status = 'accepted'"
                             " AND system_id = ? AND campaign = ?", [system_id, campaign]).fetchone()
    return [m for m in campaign_months(campaign) if first and first <= m <= last]


def consolidate(ws: Workspace, db: sqlite_utils.Database, period: str | None = None) -> Path:
    system = ws.indicator_system()
    period = check_period(period or latest_period(db, system.id) or f"{date.today():%Y-%m}")
    campaign = ws.campaign or int(period[:4])
    years = campaign_years(system, campaign)
    units = ws.expected_units or [u.name for u in system.reporting_units]
    snapshot = snapshot_rows(db, system.id, campaign, period)
    statuses = unit_statuses(db, system, units, campaign, period, ws.deadline_day, len(years), snapshot)
    sources = snapshot_sources(db, system.id, campaign, period)
    path = ws.consolidated_dir / fit_name(f"汇总台账_{period}", ".xlsx")
    title = f"{system.title} — {period} 台账汇总"
    with SummaryCache(ws.cache_dir / CACHE_NAME, period) as cache:
        months = _trend(db, system, units, campaign, period, ws.deadline_day, years, (snapshot, statuses), cache)
        with owned_workbook(path, beside_if_held=True) as (wb, st):
            _overview(wb.add_worksheet("总览"), st, title, period, statuses, ws.deadline_day, sources)
            _matrix(wb.add_worksheet("指标进度"), st, title, system, units, snapshot)
            _level1(wb, wb.add_worksheet("一级指标"), st, title, system, units, years, snapshot)
            write_trend(wb, wb.add_worksheet("趋势"), st, title, units,
                        # a 一级指标 of 加分项 and 减分项 only (附加项) has no done-rate: not a 0 % line
                        list(dict.fromkeys(i.level1 for i in system.indicators if i.kind is Kind.normal)), months)
            _missing_units(wb.add_worksheet("未报送"), st, title, system, statuses, sources)
            _missing_links(wb.add_worksheet("缺链接"), st, title, db, system, campaign, period)
            _contacts(wb.add_worksheet("联系人"), st, title, statuses, sources)
            _key_items(wb.add_worksheet("重点"), st, title, system, units, snapshot)
            for write in extra_sheets.writers():  # the supervision group's 得分 and 整改, when registered
                write(wb, st, db, ws, period, title)
            _details(wb, wb.add_worksheet("明细"), st, title, db, system.id, campaign, period, cache)
        cache.keep()  # written: the month now uses these pieces
    return path


def consolidate_apart(ws: Workspace, period: str | None = None) -> Path:
    """:func:`consolidate` on a read-only connection of its own: in a worker process, beside the
    daemon, which keeps the store's only writing connection."""
    conn = store.read_only(ws.store)
    try:
        return consolidate(ws, sqlite_utils.Database(conn), period)
    finally:
        conn.close()


def check_period(period: str) -> str:
    """The period as stored (YYYY-MM): "2021-5" would match no submission and sort after "2021-10"."""
    try:
        year, month = (int(p) for p in period.split("-"))
        if not 1 <= month <= 12 or not 2000 <= year < 9999:
            raise ValueError
    except ValueError:
        raise XlbridgeError(f"报送月份「{period}」格式不对，应写成 2021-05") from None
    return f"{year:04d}-{month:02d}"


_SNAPSHOT_CTE = f"""
    WITH ranked AS (
        SELECT unit, id, ROW_NUMBER() OVER (PARTITION BY unit ORDER BY {LATEST_FIRST}) AS n
        FROM submissions
        WHERE status = 'accepted' AND system_id = :system AND campaign = :campaign AND period <= :period),
    snap AS (SELECT unit, id AS sid FROM ranked WHERE n = 1)
"""


def snapshot_rows(db: sqlite_utils.Database, system_id: str, campaign: int, period: str) -> dict[tuple[str, str], list[str]]:
    """(unit, indicator key) → progress values over the years, from each unit's snapshot submission."""
    sql = _SNAPSHOT_CTE + "SELECT s.unit, r.indicator_key, r.progress FROM snap s JOIN rows r ON r.submission_id = s.sid"
    out: dict[tuple[str, str], list[str]] = defaultdict(list)
    for unit, key, progress in db.execute(sql, {"system": system_id, "campaign": campaign, "period": period}):
        out[(unit, key)].append(progress or "")
    return out


def snapshot_sources(db: sqlite_utils.Database, system_id: str, campaign: int, period: str) -> dict[str, dict[str, Any]]:
    """unit → the submission its figures come from (its period may be earlier than ``period``),
    with the 填表人 and the most frequent 责任人 and phone of its rows: who to call."""
    sql = _SNAPSHOT_CTE + """
        SELECT s.unit, sub.period, sub.received_at, sub.filled_by,
               (SELECT person FROM rows WHERE submission_id = s.sid AND person != '' GROUP BY person ORDER BY COUNT(*) DESC LIMIT 1),
               (SELECT phone FROM rows WHERE submission_id = s.sid AND phone != '' GROUP BY phone ORDER BY COUNT(*) DESC LIMIT 1)
        FROM snap s JOIN submissions sub ON sub.id = s.sid"""
    return {unit: {"period": p, "received_at": at, "filled_by": by, "person": person, "phone": phone}
            for unit, p, at, by, person, phone in db.execute(sql, {"system": system_id, "campaign": campaign, "period": period})}


def _trend(db: sqlite_utils.Database, system: IndicatorSystem, units: list[str], campaign: int, period: str,
           deadline_day: int, years: list[int], current: tuple[dict[tuple[str, str], list[str]], list[UnitStatus]],
           cache: SummaryCache) -> list[Month]:
    """Each month of the campaign from its first report up to ``period``, computed as that month's own 汇总 computes it
    (``period`` itself: the snapshot and statuses the workbook already has).

    An earlier month's figures are kept in ``cache`` under what they are made of (each unit's
    snapshot submission and the month's submissions): a late March file rewrites every later
    month's 汇总, but only March's figures change, so only March is computed again."""
    months = []
    # From the campaign's first reported month: months before it (ledgers not yet issued) would
    # show every unit as 未报送 at 0 %.
    first = db.execute("SELECT MIN(period) FROM submissions WHERE system_id = ? AND campaign = ? AND status = 'accepted'",
                       [system.id, campaign]).fetchone()[0] or period
    base = [_SOURCE, _system_fingerprint(system, units), units, deadline_day, years, campaign, rows_revision(db)]
    for month in (m for m in campaign_months(campaign) if min(first, period) <= m <= period):
        key = _month_key(db, system.id, campaign, month, base)
        figures = cache.figures(month, key) if month != period else None
        if figures is None:
            if month == period:
                snapshot, statuses = current
            else:
                snapshot = snapshot_rows(db, system.id, campaign, month)
                statuses = unit_statuses(db, system, units, campaign, month, deadline_day, len(years), snapshot)
            level1 = _level1_rates(system, units, years, snapshot)
            figures = Month(month, {s.unit: s.status for s in statuses},
                            {s.unit: _done_rate(s, system, snapshot) for s in statuses},
                            {k: (d / e if e else 0.0) for k, (e, d) in level1.items()})
            cache.keep_figures(key, figures)
        months.append(figures)
    return months


def _month_key(db: sqlite_utils.Database, system_id: str, campaign: int, month: str, base: list[Any]) -> str:
    """What a month's figures are made of: each unit's snapshot submission, the month's own
    submissions (on time, late, returned), and ``base`` (the system, the settings, the code)."""
    params = {"system": system_id, "campaign": campaign, "period": month}
    snap = db.execute(_SNAPSHOT_CTE + "SELECT unit, sid FROM snap ORDER BY unit", params).fetchall()
    subs = db.execute(f"SELECT unit, id, status, received_at FROM submissions WHERE {_MONTH_SUBMISSIONS} ORDER BY id",
                      [system_id, campaign, month, month]).fetchall()
    return hashlib.sha256(json.dumps([base, month, snap, subs], ensure_ascii=False).encode()).hexdigest()


def _system_fingerprint(system: IndicatorSystem, units: list[str]) -> str:
    """The system as the figures use it: who reports what with which role, and the 一级指标."""
    shape = [system.id, system.version, list(dict.fromkeys(i.level1 for i in system.indicators)),
             [[u, [[i.key, i.level1, system.role(i, u)] for i in system.assigned(u)]] for u in units]]
    return hashlib.sha256(json.dumps(shape, ensure_ascii=False).encode()).hexdigest()


def _done_rate(s: UnitStatus, system: IndicatorSystem, snapshot: dict[tuple[str, str], list[str]]) -> float | None:
    """The unit's done-rate as of the snapshot; None when it has reported nothing yet."""
    if not any((s.unit, i.key) in snapshot for i in system.assigned(s.unit)):
        return None
    return s.done / s.expected if s.expected else 0.0


def tasks(system: IndicatorSystem, unit: str) -> list[Indicator]:
    """The unit's indicators a done-rate counts: the 常规 ones (a 减分项 is a situation that must
    not occur, a 加分项 something it may claim; 总览 lists those declared and claimed)."""
    return [i for i in system.assigned(unit) if i.kind is Kind.normal]


def _level1_rates(system: IndicatorSystem, units: list[str], years: list[int],
                  snapshot: dict[tuple[str, str], list[str]]) -> dict[str, tuple[int, int]]:
    """一级指标 → (rows expected, rows done)."""
    expected: Counter[str] = Counter()
    done: Counter[str] = Counter()
    for unit in units:
        for ind in tasks(system, unit):  # where the unit leads or cooperates
            expected[ind.level1] += len(years)
            done[ind.level1] += sum(v == PROGRESS_DONE for v in snapshot.get((unit, ind.key), ()))
    order = dict.fromkeys(i.level1 for i in system.indicators)
    return {k: (expected[k], done[k]) for k in order if k in expected}


# A month's submissions. A file that could not be read at all has no system or campaign, but its
# unit did send something. A rejected file whose month could not be read is shown in the month it
# arrived (shown only: it counts for no month).
_MONTH_SUBMISSIONS = ("(system_id = ? AND campaign = ? OR system_id IS NULL AND status = 'rejected')"
                      " AND (period = ? OR period IS NULL AND status = 'rejected' AND substr(received_at, 1, 7) = ?)")


def unit_statuses(db: sqlite_utils.Database, system: IndicatorSystem, units: list[str], campaign: int, period: str,
                   deadline_day: int, n_years: int, snapshot: dict[tuple[str, str], list[str]]) -> list[UnitStatus]:
    deadline = deadline_for(period, deadline_day)
    subs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for sub in db["submissions"].rows_where(_MONTH_SUBMISSIONS, [system.id, campaign, period, period],
                                            order_by="received_at, id"):
        subs[sub["unit"]].append(sub)
    statuses = []
    for unit in units:
        accepted = [s for s in subs.get(unit, []) if s["status"] == "accepted"]
        latest = accepted[-1] if accepted else (subs[unit][-1] if subs.get(unit) else None)
        if accepted:
            first_received = datetime.fromisoformat(accepted[0]["received_at"])
            status = "按时报送" if first_received < deadline else "逾期报送"
        else:
            status = "已退回" if latest else "未报送"
        counted = tasks(system, unit)
        s = UnitStatus(unit, status, latest, expected=len(counted) * n_years)
        progress = Counter(p for ind in counted for p in snapshot.get((unit, ind.key), []))
        s.done, s.pending = progress[PROGRESS_DONE], progress[PROGRESS_PENDING]
        declared = [(i, snapshot.get((unit, i.key), ())) for i in system.assigned(unit) if i.kind is not Kind.normal]
        s.present = tuple(i.code for i, values in declared if i.kind is Kind.penalty and PROGRESS_PRESENT in values)
        s.claimed = tuple(i.code for i, values in declared if i.kind is Kind.bonus and PROGRESS_CLAIMED in values)
        statuses.append(s)
    return statuses


_OVERVIEW_WIDTHS = (5, 24, 10, 18, 9, 8, 7, 7, 7, 8, 6, 6, 28, 20)


def _overview(ws: Any, st: Styles, title: str, period: str, statuses: list[UnitStatus], deadline_day: int,
              sources: dict[str, dict[str, Any]]) -> None:
    deadline = deadline_for(period, deadline_day)
    ws.write_string(0, 0, title, st.title)
    counts = Counter(s.status for s in statuses)
    ws.write_string(1, 0, f"截止时间：{deadline:%Y-%m-%d} 前；应报 {len(statuses)} 个单位，"
                          + "，".join(f"{k} {counts[k]}" for k in ("按时报送", "逾期报送", "已退回", "未报送")), st.plain)
    # wrapped across the table's width: with many units named it is longer than a page is wide
    note = kind_rows_note(statuses)
    ws.merge_range(2, 0, 2, len(_OVERVIEW_WIDTHS) - 1, note, st.note)
    ws.set_row(2, row_height([(note, sum(_OVERVIEW_WIDTHS))]))
    headers = ["序号", "单位", "状态", "报送时间", "报送月份", "应填行数", "已完成", "未完成", "未填", "完成率", "错误", "警告", "文件",
               "数据来源"]
    ws.set_row(3, row_height(zip(headers, _OVERVIEW_WIDTHS)))
    row = write_table(ws, 3, headers, list(_OVERVIEW_WIDTHS), st)
    for n, s in enumerate(statuses, start=1):
        sub = s.submission or {}
        style = {"按时报送": st.done, "逾期报送": st.pending}.get(s.status, st.missing)
        source = sources.get(s.unit, {}).get("period")
        note = "本月报送" if source == period else f"沿用 {source} 的填报（本月未报送）" if source else "尚无被接收的报送"
        received, file_name = local_time(sub.get("received_at")), text(sub.get("file_name"))
        ws.set_row(row, row_height([(s.unit, _OVERVIEW_WIDTHS[1]), (received, _OVERVIEW_WIDTHS[3]),
                                    (file_name, _OVERVIEW_WIDTHS[12]), (note, _OVERVIEW_WIDTHS[13])]))
        ws.write_number(row, 0, n, st.center)
        ws.write_string(row, 1, s.unit, st.text)
        ws.write_string(row, 2, s.status, style)
        ws.write_string(row, 3, received, st.text)
        ws.write_string(row, 4, text(sub.get("period")), st.center)
        for col, value in enumerate((s.expected, s.done, s.pending, s.missing), start=5):
            ws.write_number(row, col, value, st.center)
        ws.write_number(row, 9, s.done / s.expected if s.expected else 0, st.percent)
        ws.write_number(row, 10, sub.get("errors") or 0, st.center)
        ws.write_number(row, 11, sub.get("warnings") or 0, st.center)
        ws.write_string(row, 12, file_name, st.text)
        ws.write_string(row, 13, note, st.text if source == period else st.pending)
        row += 1
    setup_xlsxwriter(ws, Page(title, _OVERVIEW_WIDTHS, row - 1, header_rows=(3, 3)))


def kind_rows_note(statuses: list[UnitStatus]) -> str:
    """One line: the 减分项 declared to have occurred and the 加分项 claimed, unit by unit (not in any done-rate)."""
    present = "；".join(f"{s.unit}（{'、'.join(s.present)}）" for s in statuses if s.present)
    claimed = "；".join(f"{s.unit}（{'、'.join(s.claimed)}）" for s in statuses if s.claimed)
    return (f"减分项（不计入完成率）：{'报告存在此情形的有 ' + present if present else '没有单位报告存在此情形'}。"
            f"加分项（不计入完成率）：{'申报加分的有 ' + claimed if claimed else '没有单位申报加分'}。")


def _status_styles(st: Styles) -> dict[str, Any]:
    """A cell status's colour: 存在此情形 (a 减分项 occurred) as alarming as 未填, 无此情形 as good as 已完成."""
    return {PROGRESS_DONE: st.done, PROGRESS_PENDING: st.pending, NOT_FILLED: st.missing, PROGRESS_PRESENT: st.missing,
            PROGRESS_ABSENT: st.done, PROGRESS_CLAIMED: st.done, PROGRESS_UNCLAIMED: st.center}


def _cell_status(values: list[str]) -> str:
    if not values or all(v == "" for v in values):
        return NOT_FILLED
    for flagged in (PROGRESS_PRESENT, PROGRESS_CLAIMED):  # a 减分项 or 加分项 in any year
        if flagged in values:
            return flagged
    if all(v in NOTHING_TO_SAY for v in values):
        return values[0] if len(set(values)) == 1 else PROGRESS_ABSENT
    if all(v == PROGRESS_DONE for v in values):
        return PROGRESS_DONE
    return PROGRESS_PENDING


_MATRIX_LEFT = (7, 36)  # 编号 and the indicator's short text: repeated at the left of every printed page
_MATRIX_UNIT = 9
_MATRIX_TEXT = 16  # characters of the indicator's text: one line of the left column
_MATRIX_SCALE = 85  # percent: three blocks of units for 23 units, four pages down for 99 indicators


def _matrix(ws: Any, st: Styles, title: str, system: IndicatorSystem, units: list[str],
            snapshot: dict[tuple[str, str], list[str]]) -> None:
    """Indicators down, units across. Printed in page-sized blocks of units, each page with the
    indicator codes and texts at the left and the unit names on top; each 一级指标 opens with a
    row of its own."""
    ws.write_string(0, 0, f"指标 × 单位完成情况（{LEAD_MARK} 为牵头单位；多年度指标全部年度完成才算已完成）", st.plain)
    headers = ["指标编号", "指标", *units]
    widths = [*_MATRIX_LEFT, *([_MATRIX_UNIT] * len(units))]
    ws.set_row(1, row_height(zip(headers, widths)))
    row = write_table(ws, 1, headers, widths, st)
    ws.freeze_panes(2, 2)
    styles = _status_styles(st)
    roles_of: dict[str, dict[str, str | None]] = defaultdict(dict)  # indicator → unit → role (not every indicator × unit)
    for unit in units:
        for ind in system.assigned(unit):
            roles_of[ind.key][unit] = system.role(ind, unit)
    level1 = None
    for ind in system.indicators:
        roles = roles_of.get(ind.key)
        if not roles:
            continue
        if ind.level1 != level1:
            level1 = ind.level1
            ws.set_row(row, row_height([(level1, sum(_MATRIX_LEFT))]))
            ws.merge_range(row, 0, row, 1, level1, st.group)
            row += 1
        short = _clip(ind.text, _MATRIX_TEXT)
        ws.set_row(row, row_height([(short, _MATRIX_LEFT[1])]))
        ws.write_string(row, 0, ind.code, st.center)
        ws.write_string(row, 1, short, st.text)
        for col, unit in enumerate(units, start=2):
            if unit in roles:
                status = _cell_status(snapshot.get((unit, ind.key), []))
                mark = LEAD_MARK if roles[unit] == "牵头" else ""
                ws.write_string(row, col, mark + status, styles[status])
        row += 1
    starts = blocks(len(units), per_page(_MATRIX_LEFT, _MATRIX_UNIT, _MATRIX_SCALE))
    setup_xlsxwriter(ws, Page(title, widths, row - 1, header_rows=(1, 1), left_cols=(0, 1),
                              col_breaks=[len(_MATRIX_LEFT) + c for c in starts], landscape=True, scale=_MATRIX_SCALE))


_LEVEL1_WIDTHS = (36, 10, 10, 10)
_LEVEL1_CHART_PX = 700  # about a portrait A4 page wide


def _level1(wb: Any, ws: Any, st: Styles, title: str, system: IndicatorSystem, units: list[str], years: list[int],
            snapshot: dict[tuple[str, str], list[str]]) -> None:
    """The table, and below it a bar chart one portrait page wide: table and chart on one page."""
    rates = _level1_rates(system, units, years, snapshot)
    row = write_table(ws, 0, ["一级指标", "应填行数", "已完成", "完成率"], list(_LEVEL1_WIDTHS), st)
    first = row
    for level1, (expected, done) in rates.items():
        ws.set_row(row, row_height([(level1, _LEVEL1_WIDTHS[0])]))
        ws.write_string(row, 0, level1, st.text)
        ws.write_number(row, 1, expected, st.center)
        ws.write_number(row, 2, done, st.center)
        ws.write_number(row, 3, done / expected if expected else 0, st.percent)
        row += 1
    widths = spanning(_LEVEL1_WIDTHS, _LEVEL1_CHART_PX)
    last = row - 1
    if row > first:
        chart = wb.add_chart({"type": "bar"})
        chart.add_series({
            "name": "完成率", "categories": ["一级指标", first, 0, row - 1, 0], "values": ["一级指标", first, 3, row - 1, 3],
            "data_labels": {"value": True, "num_format": "0%"}, "fill": {"color": "#5B9BD5"},
        })
        chart.set_title({"name": "各一级指标完成率"})
        chart.set_x_axis({"min": 0, "max": 1, "num_format": "0%"})
        chart.set_y_axis({"reverse": True})
        chart.set_legend({"none": True})
        height = 80 + 32 * (row - first)
        chart.set_size({"width": _LEVEL1_CHART_PX, "height": height})
        ws.insert_chart(row + 1, 0, chart)
        last = row + 1 + rows_for_px(height)
    setup_xlsxwriter(ws, Page(title, widths, last, header_rows=(0, 0), landscape=False))


_MISSING_WIDTHS = (24, 10, 10, 10, 18, 50, 10, 10, 14)


def _missing_units(ws: Any, st: Styles, title: str, system: IndicatorSystem, statuses: list[UnitStatus],
                   sources: dict[str, dict[str, Any]]) -> None:
    headers = ["单位", "状态", "牵头指标数", "配合指标数", "最近一次报送", "退回原因", "填表人", "责任人", "联系电话"]
    ws.set_row(0, row_height(zip(headers, _MISSING_WIDTHS)))
    row = write_table(ws, 0, headers, list(_MISSING_WIDTHS), st)
    for s in statuses:
        if s.status not in ("未报送", "已退回"):
            continue
        sub = s.submission or {}
        roles = [system.role(i, s.unit) for i in system.assigned(s.unit)]  # a group's members count its rows
        lead, coop = roles.count("牵头"), roles.count("配合")
        who = sources.get(s.unit, {})  # from the unit's last accepted submission: who to call
        values = [s.unit, s.status, lead, coop, local_time(sub.get("received_at")), text(sub.get("reason")),
                  text(who.get("filled_by")), text(who.get("person")), text(who.get("phone"))]
        ws.set_row(row, row_height(zip(values, _MISSING_WIDTHS)))
        for col, value in enumerate(values):
            if isinstance(value, int):
                ws.write_number(row, col, value, st.center)
            else:
                ws.write_string(row, col, value, st.missing if col == 1 else st.text)
        row += 1
    setup_xlsxwriter(ws, Page(title, _MISSING_WIDTHS, row - 1, header_rows=(0, 0)))


_LINK_WIDTHS = (24, 6, 8, 44, 16, 9, 9, 14)


def _missing_links(ws: Any, st: Styles, title: str, db: sqlite_utils.Database, system: IndicatorSystem,
                   campaign: int, period: str) -> None:
    """Rows of 网络检索 indicators (测评方法 names it) with no link, per unit, as each unit's
    figures stand for the month; 涉密 rows are left out (they must not have a link)."""
    ws.write_string(0, 0, f"测评方法含“{WEB_SEARCH}”的指标中没有填写网址链接的行（涉密行除外），按单位", st.plain)
    headers = ["单位", "年度", "指标编号", "指标", "测评方法", "完成进度", "责任人", "联系电话"]
    ws.set_row(1, row_height(zip(headers, _LINK_WIDTHS)))
    row = write_table(ws, 1, headers, list(_LINK_WIDTHS), st)
    web = {i.key: i for i in system.indicators if WEB_SEARCH in i.methods}
    sql = _SNAPSHOT_CTE + """
        SELECT s.unit, r.year, r.indicator_key, r.progress, r.person, r.phone
        FROM snap s JOIN rows r ON r.submission_id = s.sid
        WHERE COALESCE(r.links, '') = '' AND NOT COALESCE(r.secret, 0)
        ORDER BY s.unit, r.id"""
    per_unit: Counter[str] = Counter()
    styles = {PROGRESS_DONE: st.done, PROGRESS_PENDING: st.pending}
    for unit, year, key, progress, person, phone in db.execute(sql, {"system": system.id, "campaign": campaign,
                                                                     "period": period}):
        ind = web.get(key)
        if ind is None:
            continue
        per_unit[unit] += 1
        values = [unit, year, ind.code, _clip(ind.text, 60), "、".join(ind.methods), text(progress), text(person), text(phone)]
        ws.set_row(row, row_height(zip(values, _LINK_WIDTHS)))
        for col, value in enumerate(values):
            if isinstance(value, int):
                ws.write_number(row, col, value, st.center)
            else:
                ws.write_string(row, col, value, styles.get(value, st.missing) if col == 5 else st.text)
        row += 1
    if not per_unit:
        ws.write_string(row, 0, "没有缺少网址链接的网络检索类指标行", st.plain)
        row += 1
    else:
        ws.autofilter(1, 0, row - 1, len(headers) - 1)
    setup_xlsxwriter(ws, Page(title, _LINK_WIDTHS, row - 1, header_rows=(1, 1)))


_CONTACT_WIDTHS = (24, 10, 10, 10, 14, 12, 18)


def _contacts(ws: Any, st: Styles, title: str, statuses: list[UnitStatus], sources: dict[str, dict[str, Any]]) -> None:
    """Who to call in each unit: 填表人, 责任人 and phone of its last accepted submission."""
    headers = ["单位", "本月状态", "填表人", "责任人", "联系电话", "来自报送月份", "报送时间"]
    row = write_table(ws, 0, headers, list(_CONTACT_WIDTHS), st)
    styles = {"按时报送": st.done, "逾期报送": st.pending}
    for s in statuses:
        who = sources.get(s.unit, {})
        values = [s.unit, s.status, text(who.get("filled_by")), text(who.get("person")), text(who.get("phone")),
                  text(who.get("period")) or "尚无被接收的报送", local_time(who.get("received_at"))]
        ws.set_row(row, row_height(zip(values, _CONTACT_WIDTHS)))
        for col, value in enumerate(values):
            ws.write_string(row, col, value, styles.get(value, st.missing) if col == 1 else st.text)
        row += 1
    setup_xlsxwriter(ws, Page(title, _CONTACT_WIDTHS, row - 1, header_rows=(0, 0)))


_KEY_WIDTHS = (9, 16, 50, 14, 20, 6, 10)


def _key_items(ws: Any, st: Styles, title: str, system: IndicatorSystem, units: list[str],
               snapshot: dict[tuple[str, str], list[str]]) -> None:
    headers = ["指标编号", "一级指标", "指标内容", "备注", "单位", "职责", "完成情况"]
    row = write_table(ws, 0, headers, list(_KEY_WIDTHS), st)
    styles = _status_styles(st)
    for ind in (i for i in system.indicators if i.key_item):
        for unit in units:
            role = system.role(ind, unit)
            if not role:
                continue
            status = _cell_status(snapshot.get((unit, ind.key), []))
            values = [ind.code, ind.level1, _clip(ind.text, 200), text(ind.note), unit, role]
            ws.set_row(row, row_height(zip(values, _KEY_WIDTHS)))
            for col, value in enumerate(values):
                ws.write_string(row, col, value, st.text)
            ws.write_string(row, 6, status, styles[status])
            row += 1
    if row == 1:
        ws.write_string(row, 0, "本指标体系没有标注★的重点指标", st.plain)
        row += 1
    setup_xlsxwriter(ws, Page(title, _KEY_WIDTHS, row - 1, header_rows=(0, 0)))


_DETAIL_HEADERS = ["单位", "年度", "指标编号", "一级指标", "测评方法", "完成进度", "进度说明", "上报材料", "网址链接", "涉密", "责任人",
                   "联系电话", "报送月份"]
_DETAIL_WIDTHS = (16, 6, 8, 16, 12, 8, 50, 34, 30, 5, 8, 13, 8)
_DETAIL_WRAPPED = (0, 3, 4, 6, 7, 8)  # the columns whose text wraps (the others hold a word or a number)
_DETAIL_LONG = {6: "description", 7: "materials"}  # the columns widened when their text would be cut
_MAX_DETAIL_WIDTH = 100


def _detail_widths(longest: dict[str, int]) -> list[float]:
    """The 明细 columns, 进度说明 and 上报材料 widened just enough that their longest text (all
    CJK, ``longest`` characters) fits a row of Excel's 409 pt; rows past that are cut in print."""
    widths = list(_DETAIL_WIDTHS)
    for col, field in _DETAIL_LONG.items():
        while text_lines("字" * longest.get(field, 0), widths[col]) * LINE_PT + 3 > MAX_ROW_PT \
                and widths[col] < _MAX_DETAIL_WIDTH:
            widths[col] += 2
    return widths


def _details(wb: OwnedWorkbook, ws: Any, st: Styles, title: str, db: sqlite_utils.Database, system_id: str,
             campaign: int, period: str, cache: SummaryCache | None = None) -> None:
    """Every row of every unit's snapshot submission, by unit, in sheet order.

    60,000 rows in the benchmark: xlsxwriter writes the header and the first row (the template
    row), the rest are streamed by xlbridge.xlsx.stream (which says why) — each cell with the
    template's style, text as text and the year as a number, as xlsxwriter writes them, at a
    fraction of the cost. Characters XML forbids are removed from the text, the template's too.
    Every row gets a height that shows its text (estimated from the wrapped columns).

    Each unit's rows are one block, deflated once and kept in ``cache`` under what they depend on
    (:func:`_block_key`): a rewrite where that unit's figures did not change copies them.
    """
    # Unit by unit and each submission's rows by id: the order of "ORDER BY unit, rows.id" without
    # sorting 60,000 long rows in a temp b-tree (the rows index on submission_id is in id order).
    # A stored submission's rows never change, so the counts stay true while the rows are read.
    snapshot = [_Source(*r) for r in db.execute(_SNAPSHOT_CTE + """
        SELECT s.unit, s.sid, sub.system_id, sub.system_version, sub.period, sub.sha256,
               (SELECT COUNT(*) FROM rows r JOIN indicators i ON i.system_id = sub.system_id
                    AND i.system_version = sub.system_version AND i.key = r.indicator_key
                WHERE r.submission_id = s.sid)
        FROM snap s JOIN submissions sub ON sub.id = s.sid
        ORDER BY s.unit
    """, {"system": system_id, "campaign": campaign, "period": period}).fetchall()]
    revision = rows_revision(db)
    widths = _detail_widths(_longest_texts(db, snapshot, revision, cache))
    detail_height = row_heights([(n, widths[n]) for n in _DETAIL_WRAPPED])
    row = write_table(ws, 0, _DETAIL_HEADERS, widths, st)
    ws.autofilter(0, 0, 0, len(_DETAIL_HEADERS) - 1)
    snapshot = [s for s in snapshot if s.count]
    count = sum(s.count for s in snapshot)
    setup_xlsxwriter(ws, Page(title, widths, max(count, 1), header_rows=(0, 0)))
    if not snapshot:
        return
    template = next(_detail_rows(db, snapshot[0]))
    # Strings stay strings: the workbook never converts to formulas (nor do the streamed rows).
    ws.set_row(row, detail_height(template))
    ws.write_row(row, 0, [clean_text(v) for v in template], st.text)
    texts = _indicator_texts(db, {(s.system_id, s.system_version) for s in snapshot})
    blocks = [Block(_block_key(s, first, widths, texts[s.system_id, s.system_version], revision), s.count - first,
                    lambda s=s, first=first: islice(_detail_rows(db, s), first, None))
              for s, first in zip(snapshot, [1] + [0] * (len(snapshot) - 1))]  # the template row is the first unit's first
    wb.stream_blocks(ws, blocks, cache, height=detail_height)


@dataclass(frozen=True)
class _Source:
    """A unit's snapshot submission, as 明细 shows it."""

    unit: str
    sid: int
    system_id: str
    system_version: str
    period: str
    sha256: str
    count: int  # its rows 明细 shows


# What the cached parts of 汇总 are made by: this module (the queries, the columns, the figures), the
# store's views it reads, and the row heights.
_SOURCE = hashlib.sha256(b"".join(Path(m.__file__).read_bytes()
                                  for m in (sys.modules[__name__], store, printing))).hexdigest()


def _block_key(source: _Source, skipped: int, widths: list[float], indicators: str, revision: int) -> str:
    """Everything a unit's block of 明细 depends on but where it stands (the stream adds that): the
    submission (its id, and its bytes' hash, which no other store gives the same id by chance), the unit it
    is filed under now (a renamed unit takes its history along), the indicator texts of its
    system version, the column widths (the row heights follow them), the code that writes them,
    and the store's count of changes to rows made after they were stored (by hand: xlbridge never does)."""
    return json.dumps([_SOURCE, source.unit, source.sid, source.sha256, source.system_id, source.system_version,
                       source.period, source.count, skipped, widths, indicators, revision], ensure_ascii=False)


def _indicator_texts(db: sqlite_utils.Database, versions: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(system, version) → a hash of the indicator columns 明细 shows."""
    out = {}
    for system_id, version in versions:
        h = hashlib.sha256()
        for row in db.execute("SELECT key, code, level1, methods FROM indicators WHERE system_id = ? AND system_version = ?"
                              " ORDER BY key", [system_id, version]):
            h.update(json.dumps(row, ensure_ascii=False).encode("utf-8", "surrogatepass"))
        out[system_id, version] = h.hexdigest()
    return out


def _longest_texts(db: sqlite_utils.Database, snapshot: list[_Source], revision: int,
                   cache: SummaryCache | None) -> dict[str, int]:
    """The longest 进度说明 and 上报材料 of the snapshot's rows, each submission's kept in ``cache``
    (its rows never change; ``revision`` counts the changes made to them anyway)."""
    keys = {s.sid: f"{s.sid}:{s.sha256}:{revision}" for s in snapshot}
    known = cache.lengths(list(keys.values())) if cache is not None else {}
    missing = [sid for sid, key in keys.items() if key not in known]
    if missing:
        found = {keys[sid]: (d or 0, m or 0) for sid, d, m in db.execute(
            "SELECT submission_id, MAX(LENGTH(description)), MAX(LENGTH(materials)) FROM rows"
            " WHERE submission_id IN (SELECT value FROM json_each(?)) GROUP BY submission_id", [json.dumps(missing)])}
        found.update({keys[sid]: (0, 0) for sid in missing if keys[sid] not in found})
        if cache is not None:
            cache.keep_lengths(found)
        known.update(found)
    return {"description": max((d for d, _ in known.values()), default=0),
            "materials": max((m for _, m in known.values()), default=0)}


def _detail_rows(db: sqlite_utils.Database, source: _Source) -> Iterator[tuple[Any, ...]]:
    sql = """
        SELECT r.year, i.code, i.level1, i.methods, r.progress, r.description, r.materials, r.links,
               CASE r.secret WHEN 1 THEN '是' ELSE '否' END, r.person, r.phone
        FROM rows r JOIN submissions sub ON sub.id = r.submission_id
        JOIN indicators i ON i.system_id = sub.system_id AND i.system_version = sub.system_version
                         AND i.key = r.indicator_key
        WHERE r.submission_id = :sid
        ORDER BY r.id
    """
    for values in db.execute(sql, {"sid": source.sid}):
        yield (source.unit, *values, source.period)


def _clip(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"

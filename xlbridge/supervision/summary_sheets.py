"""The supervision group's sheets in the coordination group's 汇总台账 (registered with
service/extra_sheets.py by the faces): 得分 (units ranked, a bar chart) and 整改 (every item not
closed, overdue first, coloured by status) as of the month (timeline.month_day: by default its
last day), so that a 汇总 rewritten years later still says what it said then. Read-only: an item
past its deadline shows as 逾期 here; the store records it when a supervision command notices
(items.mark_overdue)."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlite_utils

from xlbridge.service.workspace import Workspace
from xlbridge.supervision import items as I
from xlbridge.supervision import store
from xlbridge.supervision.plan import expected_units
from xlbridge.supervision.scores import unit_scores
from xlbridge.supervision.scoring import bonus_text
from xlbridge.supervision.timeline import items_on, month_day
from xlbridge.xlsx.owned import Styles, text, write_table
from xlbridge.xlsx.printing import CHART_PAGE_PX, Page, chart_page, row_height, setup_xlsxwriter, spanning

_ORDER = {I.OVERDUE: 0, I.OPEN: 1, I.ANSWERED: 2}


def write_sheets(wb: Any, st: Styles, db: sqlite_utils.Database, ws: Workspace, period: str, title: str) -> None:
    if not store.has_tables(db):
        return  # no inspection, no item yet: the 汇总 stays as the coordination group knows it
    store.ensure_tables(db)  # a store from before the bonus points gains them
    system = ws.indicator_system()
    campaign = ws.campaign or int(period[:4])
    _scores(wb, st, unit_scores(db, system, campaign, period, expected_units(ws)), period, title)
    day = month_day(period, ws.deadline_day)
    found = [i for i in items_on(db, system.id, day, campaign, rounds_to=period) if i["status"] != I.CLOSED]
    _items(wb.add_worksheet("整改"), st, found, day, title)


_SCORE_WIDTHS = [6, 24, 8, 8, 10, 56, 40]
_ITEM_WIDTHS = [6, 20, 8, 5, 40, 36, 11, 8, 12, 40]


def _scores(wb: Any, st: Styles, scores: list[Any], period: str, title: str) -> None:
    sheet = wb.add_worksheet("得分")
    sheet.write_string(0, 0, f"截至 {period} 的督导检查得分（{scores[0].method if scores else ''}）", st.title)
    row = write_table(sheet, 2, ["名次", "单位", "得分", "满分", "检查轮次", "扣分及原因", "加分及理由"], _SCORE_WIDTHS, st)
    first = row
    for s in scores:
        deductions = "；".join(f"指标 {d.code} 扣 {d.points:g}：{d.reason}" for d in s.deductions)
        bonuses = "；".join(bonus_text(b) for b in s.bonuses)
        sheet.write_string(row, 0, str(s.rank or "—"), st.center)
        sheet.write_string(row, 1, s.unit, st.text)
        if s.score is None:
            sheet.write_string(row, 2, "未检查", st.missing)
        else:
            sheet.write_number(row, 2, s.score, st.center)
        sheet.write_number(row, 3, s.full_marks, st.center)
        sheet.write_string(row, 4, text(s.round), st.center)
        sheet.write_string(row, 5, deductions, st.text)
        sheet.write_string(row, 6, bonuses, st.text)
        sheet.set_row(row, row_height(zip((deductions, bonuses), _SCORE_WIDTHS[5:])))
        row += 1
    breaks = []
    if row > first:  # the chart on a page of its own, after the table
        chart = wb.add_chart({"type": "bar"})
        chart.add_series({"name": "得分", "categories": [sheet.name, first, 1, row - 1, 1],
                          "values": [sheet.name, first, 2, row - 1, 2], "data_labels": {"value": True}})
        chart.set_title({"name": "各单位督导检查得分"})
        chart.set_x_axis({"min": 0, "max": max([100.0, *(s.score or 0 for s in scores)])})  # bonus may pass 100
        chart.set_y_axis({"reverse": True, "interval_unit": 1, "num_font": {"size": 8}})  # every unit named
        chart.set_legend({"none": True})
        page, row = chart_page(sheet, chart, row)
        breaks.append(page)
    setup_xlsxwriter(sheet, Page(title, spanning(_SCORE_WIDTHS, CHART_PAGE_PX[0]), row, header_rows=(2, 2),
                                 row_breaks=breaks))


def _items(sheet: Any, st: Styles, items: list[dict[str, Any]], day: date, title: str) -> None:
    sheet.write_string(0, 0, f"截至 {day.isoformat()} 未销号的整改事项（逾期的在前）", st.title)
    row = write_table(sheet, 2, ["编号", "单位", "指标", "重点", "问题", "整改要求", "整改期限", "状态", "提出", "单位反馈"],
                      _ITEM_WIDTHS, st)
    style = {I.OVERDUE: st.missing, I.OPEN: st.pending, I.ANSWERED: st.done}
    for item in sorted(items, key=lambda i: (_ORDER[i["status"]], i["due"], i["id"])):
        values = [str(item["id"]), item["unit"], item["indicator_key"], "★" if item["key_item"] else "", item["problem"],
                  item["requirement"], item["due"], item["status"], item["round"] or item["source"], item["measures"]]
        sheet.set_row(row, row_height(zip(values, _ITEM_WIDTHS)))
        for col, value in enumerate(values):
            sheet.write_string(row, col, text(value), style[item["status"]] if col == 7 else st.text)
        row += 1
    if not items:
        sheet.write_string(row, 0, "没有未销号的整改事项", st.ok)
    setup_xlsxwriter(sheet, Page(title, _ITEM_WIDTHS, row, header_rows=(2, 2)))

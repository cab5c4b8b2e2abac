"""The 趋势 sheet of the consolidated workbook: the year at a glance, month by month up to the
workbook's month. Per unit: 按时 / 逾期 / 未报送 (or 已退回) and its done-rate as of that month; per
一级指标: the done-rate by month, with a native line chart. The figures are computed by
:mod:`xlbridge.service.consolidate` (the same snapshot as each month's own 汇总) and handed in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from xlbridge.xlsx.owned import Styles, write_table
from xlbridge.xlsx.printing import CHART_PAGE_PX, Page, chart_page, row_height, setup_xlsxwriter, spanning

SHORT_STATUS = {"按时报送": "按时", "逾期报送": "逾期", "已退回": "已退回", "未报送": "未报送"}


@dataclass
class Month:
    month: str
    status: Mapping[str, str]  # unit → 按时报送 / 逾期报送 / 已退回 / 未报送
    unit_rate: Mapping[str, float | None]  # unit → done-rate as of the month (None: nothing reported yet)
    level1_rate: Mapping[str, float]  # 一级指标 → done-rate as of the month


HEADER = "单位 / 一级指标"
LEVEL1_SECTION = "各一级指标完成率（截至当月）"


def write_trend(wb: Any, ws: Any, st: Styles, title: str, units: Sequence[str], level1s: Sequence[str],
                months: Sequence[Month]) -> None:
    """Prints as the units' table, the 一级指标 table, and the chart, each starting a page. Both
    tables share the month columns and one header row (单位 / 一级指标), repeated on every page:
    a print title is one range of rows, and 45 units run to a second page."""
    ws.write_string(0, 0, "全年趋势：各单位每月报送情况（按时 / 逾期 / 未报送）及截至当月的完成率", st.plain)
    headers = [HEADER, *(f"{m.month[5:]}月" for m in months)]
    widths = [24, *([11] * len(months))]
    row = write_table(ws, 1, headers, widths, st)
    ws.freeze_panes(2, 1)
    styles = {"按时报送": st.done, "逾期报送": st.pending}
    for unit in units:
        ws.set_row(row, row_height([(unit, widths[0])]))
        ws.write_string(row, 0, unit, st.text)
        for col, m in enumerate(months, start=1):
            status = m.status.get(unit, "未报送")
            rate = m.unit_rate.get(unit)
            shown = SHORT_STATUS[status] + ("" if rate is None else f" {rate:.0%}")
            ws.write_string(row, col, shown, styles.get(status, st.missing))
        row += 1

    row += 1
    breaks = [row]
    ws.write_string(row, 0, LEVEL1_SECTION, st.plain)
    row += 1
    first = row
    for level1 in level1s:
        ws.set_row(row, row_height([(level1, widths[0])]))
        ws.write_string(row, 0, level1, st.text)
        for col, m in enumerate(months, start=1):
            ws.write_number(row, col, m.level1_rate.get(level1, 0.0), st.percent)
        row += 1
    if row > first and months:
        chart = wb.add_chart({"type": "line"})
        for r in range(first, row):
            chart.add_series({"name": ["趋势", r, 0], "categories": ["趋势", 1, 1, 1, len(months)],
                              "values": ["趋势", r, 1, r, len(months)], "marker": {"type": "circle"}})
        chart.set_title({"name": "各一级指标完成率（按月）"})
        chart.set_y_axis({"min": 0, "max": 1, "num_format": "0%"})
        chart.set_legend({"position": "bottom"})
        page, row = chart_page(ws, chart, row)
        breaks.append(page)
    setup_xlsxwriter(ws, Page(title, spanning(widths, CHART_PAGE_PX[0]), row, header_rows=(1, 1), row_breaks=breaks,
                              landscape=True))

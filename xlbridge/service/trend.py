"""The 趋势 sheet of the consolidated workbook: the year at a glance, month by month up to the
workbook's month. Per unit: 按时 / 逾期 / 未报送 (or 已退回) and its done-rate as of that month; per
一级指标: the done-rate by month, with a native line chart. The figures are computed by
:mod:`xlbridge.service.consolidate` (the same snapshot as each month's own 汇总) and handed in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from xlbridge.xlsx.owned import Styles, write_table

SHORT_STATUS = {"按时报送": "按时", "逾期报送": "逾期", "已退回": "已退回", "未报送": "未报送"}


@dataclass
class Month:
    month: str
    status: Mapping[str, str]  # unit → 按时报送 / 逾期报送 / 已退回 / 未报送
    unit_rate: Mapping[str, float | None]  # unit → done-rate as of the month (None: nothing reported yet)
    level1_rate: Mapping[str, float]  # 一级指标 → done-rate as of the month


def write_trend(wb: Any, ws: Any, st: Styles, units: Sequence[str], level1s: Sequence[str], months: Sequence[Month]) -> None:
    ws.write_string(0, 0, "全年趋势：各单位每月报送情况（按时 / 逾期 / 未报送）及截至当月的完成率", st.plain)
    headers = ["单位", *(f"{m.month[5:]}月" for m in months)]
    row = write_table(ws, 1, headers, [22, *([11] * len(months))], st)
    ws.freeze_panes(2, 1)
    styles = {"按时报送": st.done, "逾期报送": st.pending}
    for unit in units:
        ws.write_string(row, 0, unit, st.text)
        for col, m in enumerate(months, start=1):
            status = m.status.get(unit, "未报送")
            rate = m.unit_rate.get(unit)
            shown = SHORT_STATUS[status] + ("" if rate is None else f" {rate:.0%}")
            ws.write_string(row, col, shown, styles.get(status, st.missing))
        row += 1

    row += 1
    ws.write_string(row, 0, "各一级指标完成率（截至当月）", st.plain)
    row = write_table(ws, row + 1, ["一级指标", *(f"{m.month[5:]}月" for m in months)], [22, *([11] * len(months))], st)
    first = row
    for level1 in level1s:
        ws.write_string(row, 0, level1, st.text)
        for col, m in enumerate(months, start=1):
            ws.write_number(row, col, m.level1_rate.get(level1, 0.0), st.percent)
        row += 1
    if row > first and months:
        chart = wb.add_chart({"type": "line"})
        for r in range(first, row):
            chart.add_series({"name": ["趋势", r, 0], "categories": ["趋势", first - 1, 1, first - 1, len(months)],
                              "values": ["趋势", r, 1, r, len(months)], "marker": {"type": "circle"}})
        chart.set_title({"name": "各一级指标完成率（按月）"})
        chart.set_y_axis({"min": 0, "max": 1, "num_format": "0%"})
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": 720, "height": 400})
        ws.insert_chart(row + 1, 0, chart)

"""Version 2 of jinfeng-2020, revised mid-campaign: the changes an office really makes.

Indicator 100 added, 99 removed, 4 re-worded, 8 re-assigned (发展与改革局 → 司法局), and 网信办
renamed 区委网信办 with the old name kept as its alias.
"""

from __future__ import annotations

from pathlib import Path

from xlbridge.system.files import load_system, save_system
from xlbridge.system.model import Indicator, IndicatorSystem

OLD_NAME, NEW_NAME = "网信办", "区委网信办"
REWORDED_4 = "对各类证明事项，凡没有法律法规依据的一律取消，保留的证明事项清单向社会公布。"


def version_2(path: Path) -> IndicatorSystem:
    v1 = load_system("jinfeng-2020")
    units = [u.model_copy(update={"name": NEW_NAME, "aliases": [OLD_NAME]}) if u.name == OLD_NAME else u for u in v1.units]
    indicators: list[Indicator] = []
    for ind in v1.indicators:
        if ind.key == "99":
            continue
        update: dict[str, object] = {"lead": [NEW_NAME if u == OLD_NAME else u for u in ind.lead]}
        if ind.key == "4":
            update["level3"] = REWORDED_4
        if ind.key == "8":
            update["lead"] = ["司法局"]
        indicators.append(ind.model_copy(update=update))
    indicators.append(Indicator(key="100", code="100", level1="法治政府建设组织领导落实到位",
                                level3="每半年听取一次法治政府建设工作汇报。", lead=["司法局"]))
    v2 = v1.model_copy(update={"version": "2", "units": units, "indicators": indicators})
    save_system(v2, path)  # saved and loaded again: validated as any schema file
    return load_system(path)

"""Scores of the shipped systems (issue 13: "fill them wherever a shipped seed states them").

Every statement of points or weight in each shipped system's seed (分值, 权重, 占…%, N分, 加/扣N分,
总分, 满分) is found by reading the seed itself; each is either carried as a score of the system or
is the text of an indicator, and the system's ``scores_note`` says why it has no scores.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from xlbridge.cli import main
from xlbridge.normalise import fold_width
from xlbridge.system.files import SCHEMA_DIR, load_system

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
SHIPPED = sorted(p.stem for p in SCHEMA_DIR.glob("*.yaml"))
# Points (3分, 加2分, 扣1分), weights (权重, 占…15%), totals; not 分工/分析/分解/分别/分管/分局/分期/分类/分享/分担/分批.
SCORE = re.compile(r"\d+(?:\.\d+)?\s*分(?![工析解别管局期类享担批])|分值|权重|占[^。；]{0,12}[%％]|总分|满分|[加扣减]\s*\d+\s*分")


def statements(text: str) -> list[str]:
    """Each statement of points or a weight in the seed: the words around it, spaces and widths folded."""
    flat = re.sub(r"\s+", "", fold_width(text))
    return [flat[max(0, m.start() - 8): m.end() + 4] for m in SCORE.finditer(flat)]


@pytest.mark.parametrize("system_id", SHIPPED)
def test_every_score_a_seed_states_is_carried_or_is_indicator_text(system_id: str) -> None:
    system = load_system(system_id)
    seed = SEEDS / (system.source or "")
    assert seed.is_file(), f"{system_id}: its seed {system.source} is not in {SEEDS}"
    found = statements(seed.read_text(encoding="utf-8"))
    has_scores = any(i.score is not None for i in system.indicators) or system.level1_scores \
        or system.total_score is not None or system.bonus_cap is not None or system.penalty_cap is not None
    if has_scores:
        return  # the importer's tests check the numbers row by row
    texts = [" ".join(filter(None, (i.level1, i.level2, i.level3, i.points, *i.materials))) for i in system.indicators]
    for sentence in found:
        holder = [i for i, t in zip(system.indicators, texts) if sentence in re.sub(r"\s+", "", fold_width(t))]
        assert holder, f"{system_id}: the seed states a score the system does not carry: {sentence}"
        assert f"第{holder[0].key}项" in (system.scores_note or ""), (system_id, holder[0].key, system.scores_note)
    assert system.scores_note and "没有分值" in system.scores_note, system_id


@pytest.mark.parametrize("system_id", SHIPPED)
def test_schema_show_says_why_a_shipped_system_has_no_scores(system_id: str) -> None:
    system = load_system(system_id)
    output = CliRunner().invoke(main, ["schema", "show", system_id]).output
    assert f"分值：表中没有分值（{system.scores_note}）" in output


def test_the_seeds_state_scores_only_as_indicator_text() -> None:
    """What the scan finds, seed by seed: only the weight rule-of-law must have in performance
    assessments (a requirement of one indicator, and its 上报资料), never an indicator's own points."""
    phrases = {"000": [], "001": ["分值权重不低于总分值的10%"], "002": [], "003": ["所占分值不低于考评总分数的15%"],
               "004": ["分值权重不低于总分值的10%", "分值权重和年度综合考核"]}
    for path in sorted(SEEDS.glob("*.txt")):
        flat = re.sub(r"\s+", "", fold_width(path.read_text(encoding="utf-8")))
        said = phrases[path.name[:3]]
        assert all(p in flat for p in said), path.name
        for p in said:
            flat = flat.replace(p, "")
        assert statements(flat) == [], path.name

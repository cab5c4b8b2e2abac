"""`xlbridge demo`: the whole cycle on the default indicator system — ledgers built, filled as
clerks would (some late, one with errors, one tampered with, one unit silent), ingested, receipts
and the consolidated workbook written, and where they are printed."""

from __future__ import annotations

import os
import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from click.testing import Result
from print_fixtures import page_setup_problems
from ws_fixtures import clean_environment, run, sheet_rows  # noqa: F401  (clean_environment is autouse)

from xlbridge.system.files import DEFAULT_SYSTEM, load_system


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Result]]:
    root = tmp_path_factory.mktemp("demo") / "演示工作区"
    with pytest.MonkeyPatch.context() as mp:
        for name in [n for n in os.environ if n.startswith("XLBRIDGE_")]:
            mp.delenv(name)
        mp.chdir(root.parent)
        yield root, run("demo", "--workspace", root)


def test_the_demo_runs_and_prints_where_everything_is(demo: tuple[Path, Result]) -> None:
    root, result = demo
    assert result.exit_code == 0, result.output
    out = result.output
    consolidated = root / "outbox" / "汇总" / "汇总台账_2021-05.xlsx"
    for label, path in (("中心库", root / "store.db"), ("原始文件存档", root / "archive"),
                        ("各单位回执", root / "outbox"), ("汇总台账（综合协调组）", consolidated)):
        assert f"{label}：{path}" in out, label
        assert path.exists(), path
    units = load_system(DEFAULT_SYSTEM).reporting_units
    assert f"已为 {len(units)} 个单位生成工作台账" in out
    assert "1 个单位未报送" in out


def test_the_demo_files_exist(demo: tuple[Path, Result]) -> None:
    root, result = demo
    units = load_system(DEFAULT_SYSTEM).reporting_units
    assert len(list((root / "ledgers").glob("*.xlsx"))) == len(units)
    with sqlite3.connect(root / "store.db") as conn:
        subs = conn.execute("SELECT unit, status, sha256, archive_path FROM submissions WHERE period = '2021-05'").fetchall()
        june = conn.execute("SELECT unit, status FROM submissions WHERE period = '2021-06'").fetchall()
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert len(subs) == len(units) - 1  # one unit silent
    assert Counter(s[1] for s in subs) == {"accepted": len(units) - 2, "rejected": 1}
    # June: from the pre-filled ledgers in outbox/<单位>/, every unit but one, all accepted.
    assert len(june) == len(units) - 1 and {s for _, s in june} == {"accepted"}
    assert len(list((root / "outbox").glob("*/*_2021-06_工作台账.xlsx"))) == len(units)
    for unit, _, sha, archive_path in subs:
        assert (root / "archive" / archive_path).exists() and archive_path.startswith(sha[:2] + "/")
        assert list((root / "outbox" / unit).glob("回执_*.xlsx")), unit
    assert list((root / "inbox").rglob("*")) == []  # everything taken in
    assert (root / "outbox" / "汇总" / "汇总台账_2021-06.xlsx").is_file()
    assert f"汇总台账 2021-06：{root / 'outbox' / '汇总' / '汇总台账_2021-06.xlsx'}" in result.output


def test_the_consolidated_overview(demo: tuple[Path, Result]) -> None:
    root, _ = demo
    rows = sheet_rows(root / "outbox" / "汇总" / "汇总台账_2021-05.xlsx", "总览")
    statuses = {r[1]: r[2] for r in rows[4:] if r[1]}
    units = load_system(DEFAULT_SYSTEM).reporting_units
    assert list(statuses) == [u.name for u in units]
    counts = Counter(statuses.values())
    assert counts["未报送"] == 1 and counts["已退回"] == 1 and counts["逾期报送"] == 2
    assert counts["按时报送"] == len(units) - 4
    assert statuses[units[-1].name] == "未报送"
    missing = [r[:2] for r in sheet_rows(root / "outbox" / "汇总" / "汇总台账_2021-05.xlsx", "未报送")[1:] if r[0]]
    assert sorted(missing) == sorted((u, s) for u, s in statuses.items() if s in ("未报送", "已退回"))
    # The unit with content errors was accepted, and its errors are counted.
    assert any(r[2] == "按时报送" and r[10] for r in rows[4:] if r[1])


def test_the_demo_runs_again_but_never_wipes_another_folder(demo: tuple[Path, Result], tmp_path: Path) -> None:
    root, _ = demo
    again = run("demo", "--workspace", root)  # its own workspace: emptied and rebuilt
    assert again.exit_code == 0, again.output
    assert (root / "outbox" / "汇总" / "汇总台账_2021-05.xlsx").exists()

    precious = tmp_path / "工作区"
    (precious / "archive").mkdir(parents=True)
    (precious / "archive" / "报送.xlsx").write_bytes(b"every file a unit ever sent")
    refused = run("demo", "--workspace", precious)
    assert refused.exit_code == 1 and "不是演示工作区" in refused.output
    assert (precious / "archive" / "报送.xlsx").read_bytes() == b"every file a unit ever sent"


def test_the_demo_inspection_round(demo: tuple[Path, Result]) -> None:
    """⑦: the supervision group's June round — a workbook per unit, two units found lacking, the
    scores in 汇总 and the quarter's 通报, each printed where it is."""
    from docx import Document

    root, result = demo
    units = load_system(DEFAULT_SYSTEM).reporting_units
    folder = root / "outbox" / "督导检查" / "2021-06"
    assert f"已生成 {len(units)} 份检查表 → {folder}" in result.output
    assert len(list(folder.glob("督导检查_*.xlsx"))) == len(units)
    assert len(list(folder.glob("回执_*.xlsx"))) == len(units)
    assert "提出整改事项 2 项" in result.output
    bulletin = root / "outbox" / "督导检查" / "通报_2021Q2.docx"
    assert f"2021 年第二季度通报：{bulletin}" in result.output
    assert "关于2021年第二季度法治政府建设督导检查情况的通报" in [p.text for p in Document(str(bulletin)).paragraphs]
    june = root / "outbox" / "汇总" / "汇总台账_2021-06.xlsx"
    assert f"汇总台账（含得分、整改）：{june}" in result.output
    scores = sheet_rows(june, "得分")
    assert len(scores) == 3 + len(units) and sorted(r[2] for r in scores[3:])[:2] != [100, 100]
    items = sheet_rows(june, "整改")  # the June round's two items, as of June's last day (the round came in July)
    assert items[0][0].startswith("截至 2021-06-30") and [r[0] for r in items[3:]] == ["1", "2"]


def test_every_sheet_the_demo_writes_carries_its_page_setup(demo: tuple[Path, Result]) -> None:
    """Ledgers (issued and pre-filled), receipts, both 汇总 (趋势, 得分, 整改, 缺链接, 联系人 …),
    inspection workbooks and their receipts: every visible sheet prints (tests/print_fixtures.py).
    The clerks' own files (archive/, the filled copies) are theirs, never rewritten."""
    root, result = demo
    assert result.exit_code == 0, result.output
    written = sorted([*root.glob("ledgers/*.xlsx"), *root.glob("outbox/**/*.xlsx")])
    sheets = {(p.parent.name if p.parent.name in ("汇总", "ledgers") else p.name.split("_")[0], s)
              for p in written for s in openpyxl.load_workbook(p, read_only=True).sheetnames}
    for sheet in ("趋势", "得分", "整改", "缺链接", "联系人", "明细", "变化", "检查", "整改复核", "问题清单", "整改事项"):
        assert any(s == sheet for _, s in sheets), sheet  # the demo writes each kind
    problems = [p for path in written for p in page_setup_problems(path)]
    assert problems == []

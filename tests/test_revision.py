"""Revisions mid-campaign (issue 13): version 2 of jinfeng-2020 (tests/revision_fixtures.py) beside
version 1 — `xlbridge schema diff`, a campaign on a real workspace and store across the change, and
the store's migration to systems kept by version."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import openpyxl
from click.testing import CliRunner
from ledger_fixtures import KEY, filled_ledger
from revision_fixtures import NEW_NAME, OLD_NAME, REWORDED_4, version_2
from ws_fixtures import ON_TIME, clean_environment, drop, ingest, run  # noqa: F401  (autouse fixture)

from xlbridge.cli import main
from xlbridge.ledger import layout as L
from xlbridge.service import store
from xlbridge.service.workspace import Workspace
from xlbridge.system.files import load_system
from xlbridge.system.revision import compare


def diff(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["schema", "diff", *map(str, args)])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_schema_diff_lists_every_kind_of_change_in_chinese(tmp_path: Path) -> None:
    version_2(tmp_path / "v2.yaml")
    code, output = diff("jinfeng-2020", tmp_path / "v2.yaml")
    assert code == 0, output
    lines = output.splitlines()
    assert lines[0] == "2020年金凤区人民政府法治政府建设示范创建责任表：jinfeng-2020 第 1 版 → jinfeng-2020 第 2 版"
    assert "新增指标 1 项：" in lines
    assert "  + 100（法治政府建设组织领导落实到位）每半年听取一次法治政府建设工作汇报。〔牵头：司法局〕" in lines
    assert "删除指标 1 项：" in lines and any(line.startswith("  - 99（附加项）在示范创建活动的申报材料中") for line in lines)
    assert "改写指标 1 项：" in lines
    assert f"  ~ 4 三级指标「对各类证明事项,凡没有法律法规依据的一律取消。对保留的证明事项实行清单管理,做到…」→「{REWORDED_4}」" in lines
    # 74 and 75 name the renamed unit: a rename is not a re-assignment
    assert "调整责任单位 1 项：" in lines and "  ~ 8 牵头 发展与改革局 → 司法局" in lines
    assert f"  {OLD_NAME} → {NEW_NAME}" in lines
    assert "新增单位" not in output and "撤销单位" not in output


def test_same_version_has_no_differences() -> None:
    code, output = diff("jinfeng-2020", "jinfeng-2020")
    assert code == 0 and output.splitlines()[-1] == "两个版本的指标和责任单位没有差别"


def test_persisting_keys_and_renames(tmp_path: Path) -> None:
    rev = compare(load_system("jinfeng-2020"), version_2(tmp_path / "v2.yaml"))
    assert len(rev.persisting) == 98 and "99" not in rev.persisting and "100" not in rev.persisting
    assert rev.unit_in_new(OLD_NAME) == NEW_NAME and rev.unit_in_new("司法局") == "司法局"


def test_diff_of_a_missing_file_is_a_chinese_error(tmp_path: Path) -> None:
    code, output = diff("jinfeng-2020", tmp_path / "没有.yaml")
    assert code == 1 and "找不到指标体系文件" in output


# --------------------------------------------------------------------------- a campaign across 1 → 2
JUNE = {"period": "2021-06", "filled_on": "2021-06-28", "filled_by": "王伟"}


def _workspace(root: Path, system: str) -> Workspace:
    root.mkdir(parents=True, exist_ok=True)
    (root / "xlbridge.toml").write_text(f'system = "{system}"\ncampaign = 2021\n', encoding="utf-8")
    (root / "xlbridge.key").write_text(KEY.hex() + "\n", encoding="ascii")
    return Workspace.load(root).ensure()


def _ledger_rows(path: Path) -> dict[str, tuple[object, object]]:
    ws = openpyxl.load_workbook(path)[L.LEDGER_SHEET]
    out = {}
    for r in range(L.FIRST_DATA_ROW, ws.max_row + 1):
        code = ws.cell(r, L.COLUMN["code"].index).value
        if code is not None:
            out[str(code)] = (ws.cell(r, L.COLUMN["progress"].index).value, ws.cell(r, L.COLUMN["indicator"].index).value)
    return out


def test_campaign_across_version_1_to_2(tmp_path: Path) -> None:
    v1 = load_system("jinfeng-2020")
    ws = _workspace(tmp_path / "ws", "jinfeng-2020")
    may = {}
    for unit in (OLD_NAME, "司法局"):
        ledger = filled_ledger(tmp_path, indicator_system=v1, unit=unit, name=f"{unit}-05.xlsx")
        may[unit] = _ledger_rows(ledger)
        assert ingest(ws, drop(ws, ledger, f"{unit}/{unit}_2021-05.xlsx", ON_TIME)).status == "accepted"

    # version 2 becomes the workspace's system, registered beside version 1
    v2_path = tmp_path / "v2.yaml"
    version_2(v2_path)
    ws = _workspace(tmp_path / "ws", str(v2_path))

    # a version-1 ledger sent now: one clear message, no talk of another unit
    late = filled_ledger(tmp_path, indicator_system=v1, unit=OLD_NAME, header=JUNE, name="old-06.xlsx")
    outcome = ingest(ws, drop(ws, late, f"{OLD_NAME}/{OLD_NAME}_2021-06.xlsx", ON_TIME.replace(month=6)))
    assert outcome.status == "rejected" and outcome.unit == NEW_NAME
    with sqlite3.connect(ws.store) as conn:
        errors = conn.execute("SELECT rule, message FROM findings WHERE submission_id = ? AND severity = 'error'",
                              [outcome.submission_id]).fetchall()
    assert errors == [("system-changed", "这份台账按指标体系第 1 版生成，现行的是第 2 版（指标或责任分工已修订），本份未计入")]

    # version-2 ledgers for June, answers carried over wherever the key persists
    result = run("ledgers", "next", "-w", ws.root, "--period", "2021-06")
    assert result.exit_code == 0, result.output
    renamed = _ledger_rows(ws.outbox / NEW_NAME / f"{NEW_NAME}_2021-06_工作台账.xlsx")
    assert {k: p for k, (p, _) in renamed.items()} == {k: p for k, (p, _) in may[OLD_NAME].items()}  # 74, 75
    justice = _ledger_rows(ws.outbox / "司法局" / "司法局_2021-06_工作台账.xlsx")
    assert "99" not in justice and justice["100"][0] is None and justice["8"][0] is None  # removed; new; newly assigned
    persisting = [k for k in may["司法局"] if k != "99"]
    assert all(justice[k][0] == may["司法局"][k][0] for k in persisting)
    assert justice["4"][1] == REWORDED_4 and may["司法局"]["4"][1] != REWORDED_4  # the new wording

    with sqlite3.connect(ws.store) as conn:
        # both versions stored; rows keep the text of the version they were reported against
        assert dict(conn.execute("SELECT system_version, COUNT(*) FROM indicators GROUP BY 1")) == {"1": 99, "2": 99}
        (text,) = conn.execute("SELECT level3 FROM current_rows WHERE unit = '司法局' AND indicator_key = '4'").fetchone()
        assert text == v1.indicator("4").level3
        # the renamed unit keeps its history: May's submission is filed under the new name
        units = conn.execute("SELECT unit, status FROM submissions ORDER BY id").fetchall()
    assert units == [(NEW_NAME, "accepted"), ("司法局", "accepted"), (NEW_NAME, "rejected")]
    may_status = json.loads(run("status", "-w", ws.root, "--period", "2021-05", "--json").output)
    states = {u["unit"]: u["state"] for u in may_status["units"]}
    assert states[NEW_NAME] == "on_time" and states["司法局"] == "on_time"
    assert OLD_NAME not in states


def test_a_version_5_store_is_migrated_to_systems_by_version(tmp_path: Path) -> None:
    """Schema 5 kept one version per system: on open each table gains the version it held."""
    path = tmp_path / "store.db"
    db = store.open_store(path)
    store.register_system(db, load_system("jinfeng-2020"))
    before = {t: db.execute(f"SELECT COUNT(*) FROM [{t}]").fetchone()[0] for t in ("units", "indicators", "assignments")}
    with db.atomic():  # back to schema 5's tables, keyed without the version
        db.execute("DROP VIEW current_rows")
        indicator_columns = ("system_id, key, position, code, level1, level2, level3, points, methods, materials, lead,"
                             " cooperating, kind, key_item")
        for name, cols in (("assignments", "system_id, unit, indicator_key, role"), ("units", "system_id, name, is_group"),
                           ("indicators", indicator_columns)):
            db.execute(f"CREATE TABLE [{name}_5] AS SELECT {cols} FROM [{name}]")
            db.execute(f"DROP TABLE [{name}]")
            db.execute(f"ALTER TABLE [{name}_5] RENAME TO [{name}]")
        db.execute("CREATE TABLE systems_5 AS SELECT id, version, title, issuer, loaded_at FROM systems")
        db.execute("DROP TABLE systems")
        db.execute("ALTER TABLE systems_5 RENAME TO systems")
        db.execute("UPDATE meta SET value = '5' WHERE key = 'schema_version'")
    db.close()
    db = store.open_store(path)
    try:
        assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("6",)
        after = {t: db.execute(f"SELECT COUNT(*) FROM [{t}]").fetchone()[0] for t in before}
        assert after == before
        assert db.execute("SELECT DISTINCT system_version FROM indicators").fetchall() == [("1",)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        store.register_system(db, version_2(tmp_path / "v2.yaml"))  # version 2 beside it
        assert db.execute("SELECT version FROM systems ORDER BY version").fetchall() == [("1",), ("2",)]
    finally:
        db.close()


def test_a_renamed_unit_keeps_its_on_time_record_and_its_rectification_items(tmp_path: Path) -> None:
    """Registering version 2 files 网信办's May ledger and its open rectification item under 区委网信办:
    May stays 按时 in status and in the 汇总's trend, the item is the renamed unit's to answer;
    the name it was sent under stays as claimed."""
    from xlbridge.supervision.hooks import register, unregister

    v1 = load_system("jinfeng-2020")
    ws = _workspace(tmp_path / "ws", "jinfeng-2020")
    ledger = filled_ledger(tmp_path, indicator_system=v1, unit=OLD_NAME, name="may.xlsx")
    assert ingest(ws, drop(ws, ledger, f"{OLD_NAME}/{OLD_NAME}_2021-05.xlsx", ON_TIME)).status == "accepted"
    register()
    try:
        key = v1.assigned(OLD_NAME)[0].key
        added = run("rectify", "add", "-w", ws.root, "--unit", OLD_NAME, "--indicator", key, "--problem", "台账缺少附件",
                    "--due", "2021-07-31")
        assert added.exit_code == 0, added.output
        v2_path = tmp_path / "v2.yaml"
        version_2(v2_path)
        ws = _workspace(tmp_path / "ws", str(v2_path))
        assert run("ledgers", "next", "-w", ws.root, "--period", "2021-06").exit_code == 0  # registers version 2
        items = json.loads(run("rectify", "list", "-w", ws.root, "--json", "--as-of", "2021-06-30").output)
        assert [(i["unit"], i["indicator_key"], i["problem"]) for i in items] == [(NEW_NAME, key, "台账缺少附件")]
        may = json.loads(run("status", "-w", ws.root, "--period", "2021-05", "--json").output)
        assert {u["unit"]: u["state"] for u in may["units"]}[NEW_NAME] == "on_time"
        assert run("consolidate", "-w", ws.root, "--period", "2021-06").exit_code == 0
    finally:
        unregister()
    with sqlite3.connect(ws.store) as conn:
        assert conn.execute("SELECT unit, claimed_unit FROM submissions").fetchall() == [(NEW_NAME, OLD_NAME)]
        assert conn.execute("SELECT COUNT(*) FROM assignments WHERE unit = ? AND system_version = '1'",
                            [OLD_NAME]).fetchone()[0] == len(v1.assigned(OLD_NAME))  # version 1 as it was
    [june] = (ws.outbox / "汇总").glob("汇总台账_2021-06*.xlsx")
    trend = [r[:3] for r in openpyxl.load_workbook(june, read_only=True)["趋势"].iter_rows(values_only=True)
             if r and any(c in (OLD_NAME, NEW_NAME) for c in r)]
    assert len(trend) == 1 and trend[0][0] == NEW_NAME and trend[0][1].startswith("按时")  # May, on time

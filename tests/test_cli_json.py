"""`--json` on every command that prints a table or a list: one JSON document on stdout, English
keys that stay put, Chinese text as it is (UTF-8, never \\u-escaped), the same facts as the text.
Run on real files: shipped systems, real ledgers, a real workspace and store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest
from ledger_fixtures import KEY, UNIT, filled_ledger, system
from office_tables import write_suzhou
from test_cli_chinese import LEAVES
from ws_fixtures import clean_environment, drop, is_chinese, make_workspace, run  # noqa: F401  (an autouse fixture)

from xlbridge.service.export import EXPORTED
from xlbridge.service.workspace import Workspace
from xlbridge.system.files import load_system

# Commands whose output is no table: what they print instead.
NO_TABLE = {
    "demo": "the demo's narration",
    "key init": "one line",
    "rectify add": "one line",
    "rectify close": "one line",
    "rectify reopen": "one line",
    "bonus add": "one line",
    "bonus revoke": "one line",
    "schema jsonschema": "JSON already",
    "store backup": "one path",
    "addin build": "two lines",
    "daemon": "a log: --log-format json",
}


def as_json(*args: Any) -> Any:
    result = run(*args, "--json")
    assert result.exit_code in (0, 1), result.output
    text = result.stdout
    assert "\\u" not in text, "Chinese must not be escaped"
    data = json.loads(text)
    assert_english_keys(data)
    return data


def assert_english_keys(data: Any) -> None:
    if isinstance(data, dict):
        assert all(k.isascii() for k in data), list(data)
        for v in data.values():
            assert_english_keys(v)
    elif isinstance(data, list):
        for v in data:
            assert_english_keys(v)


@pytest.mark.parametrize("path,command", LEAVES, ids=[" ".join(p) for p, _ in LEAVES])
def test_every_command_that_prints_a_table_has_json(path: tuple[str, ...], command: click.Command) -> None:
    name = " ".join(path)
    has_json = any("--json" in p.opts for p in command.params if isinstance(p, click.Option))
    assert has_json != (name in NO_TABLE), f"{name}: --json {'missing' if not has_json else 'unexpected'}"


def test_schema_show_units_and_check(tmp_path: Path) -> None:
    shown = as_json("schema", "show", "puyang-2020")
    assert (shown["id"], shown["indicators"], shown["kinds"]) == ("puyang-2020", 125, {"normal": 121, "bonus": 2, "penalty": 2})
    assert sum(x["indicators"] for x in shown["per_level1"]) == 125 and is_chinese(shown["title"])
    assert {"method": "网络检索", "indicators": 41} in shown["methods"]
    units = as_json("schema", "units", "puyang-2020")
    lead = next(u for u in units["units"] if u["unit"] == UNIT)["lead"]
    assert lead == [i.key for i in load_system("puyang-2020").indicators if UNIT in i.lead]
    checked = as_json("schema", "check", "puyang-2020")
    assert checked and all(is_chinese(f["message"]) for f in checked)
    assert f"（{len(checked)} 条提示）" in run("schema", "check", "puyang-2020").output  # what the text says


def test_schema_import(tmp_path: Path) -> None:
    table = write_suzhou(load_system("suzhou-2011"), tmp_path / "苏州.xlsx")
    data = as_json("schema", "import", table, "-o", tmp_path / "s.yaml")
    assert (data["indicators"], Path(data["output"]).name) == (28, "s.yaml")
    assert all(is_chinese(f["message"]) for f in data["findings"])


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return make_workspace(tmp_path / "ws")


def test_ledgers_build_and_next(ws: Workspace, tmp_path: Path) -> None:
    built = as_json("ledgers", "build", "puyang-2020", "--campaign", "2021", "-w", ws.root,
                    "--out", tmp_path / "out", "--unit", UNIT)
    assert [Path(p).name for p in built["files"]] == [f"{UNIT}_2021_工作台账.xlsx"]
    assert all(Path(p).is_file() for p in built["files"])
    ingested = as_json("ingest", "-w", ws.root, drop(ws, filled_ledger(tmp_path), f"{UNIT}/5.xlsx"))
    assert [(f["status"], f["unit"], f["period"]) for f in ingested["files"]] == [("accepted", UNIT, "2021-05")]
    assert Path(ingested["files"][0]["receipt"]).is_file()
    assert [Path(p).name for p in ingested["consolidated"]] == ["汇总台账_2021-05.xlsx"]
    following = as_json("ledgers", "next", "-w", ws.root, "--period", "2021-06", "--unit", UNIT)
    assert [Path(p).name for p in following["files"]] == [f"{UNIT}_2021-06_工作台账.xlsx"]


def test_validate(tmp_path: Path) -> None:
    (tmp_path / "xlbridge.key").write_text(KEY.hex())
    data = as_json("validate", filled_ledger(tmp_path), "--key-file", tmp_path / "xlbridge.key")
    assert [(Path(d["file"]).name, d["valid"]) for d in data] == [("filled.xlsx", True)]
    assert is_chinese(data[0]["summary"])


def test_ingest_consolidate_status_and_export(ws: Workspace, tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    ingested = as_json("ingest", "-w", ws.root, drop(ws, filled_ledger(tmp_path), f"{UNIT}/5.xlsx"),
                       drop(ws, bad, f"{UNIT}/bad.xlsx"))
    assert sorted(f["status"] for f in ingested["files"]) == ["accepted", "rejected"]
    rejected = next(f for f in ingested["files"] if f["status"] == "rejected")
    assert is_chinese(rejected["summary"])
    consolidated = as_json("consolidate", "-w", ws.root, "--period", "2021-05")
    [workbook] = consolidated["workbooks"]
    assert workbook["period"] == "2021-05" and Path(workbook["path"]).is_file()
    units = len(system().reporting_units)
    # The CLI takes arrival from the file's inode change, i.e. today: long after May's deadline.
    assert workbook["counts"] == {"on_time": 0, "late": 1, "rejected": 0, "missing": units - 1}
    assert as_json("consolidate", "-w", ws.root, "--all")["workbooks"][0]["counts"] == workbook["counts"]
    assert as_json("status", "-w", ws.root, "--period", "2021-05")["counts"] == workbook["counts"]
    exported = as_json("store", "export", "-w", ws.root, "--out", tmp_path / "export")
    assert [Path(p).name for p in exported["files"]] == [f"{name}.csv" for name in EXPORTED.values()]
    assert all(Path(p).is_file() for p in exported["files"])

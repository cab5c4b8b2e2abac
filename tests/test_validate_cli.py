"""`xlbridge validate` and `xlbridge ledgers build` as a coordination group or a clerk runs them."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result
from ledger_fixtures import (  # noqa: F401  (baseline, ledger_dir are fixtures)
    KEY,
    OTHER_KEY,
    SYSTEM_ID,
    UNIT,
    baseline,
    edited,
    ledger_dir,
    set_cells,
)

from xlbridge.cli import main
from xlbridge.ledger import layout as L
from xlbridge.system.files import load_system


@pytest.fixture(autouse=True)
def _no_ambient_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No key from the environment or the working directory unless a test puts one there."""
    monkeypatch.delenv("XLBRIDGE_KEY_FILE", raising=False)
    monkeypatch.chdir(tmp_path)


def run(*args: str | Path) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def key_file(directory: Path, key: bytes = KEY, name: str = "coordination.key") -> Path:
    path = directory / name
    path.write_text(key.hex() + "\n", encoding="ascii")
    return path


@pytest.fixture
def three_files(baseline: Path, tmp_path: Path) -> tuple[Path, Path, Path]:
    valid = tmp_path / "法制仲裁科_valid.xlsx"
    valid.write_bytes(baseline.read_bytes())
    invalid = edited(baseline, tmp_path / "invalid.xlsx", set_cells({"H5": "进行中", "I6": "法" * 501}))
    corrupt = tmp_path / "corrupt.xlsx"
    corrupt.write_bytes(baseline.read_bytes()[:2000])
    return valid, invalid, corrupt


# =========================================================================== validate
def test_table_output_for_several_files(three_files: tuple[Path, Path, Path], tmp_path: Path) -> None:
    valid, invalid, corrupt = three_files
    result = run("validate", valid, invalid, corrupt, "--key-file", key_file(tmp_path))
    assert result.exit_code == 1
    out = result.output
    assert f"{valid}：校验通过，没有发现问题" in out
    assert f"{invalid}：1 个错误，1 个警告" in out
    assert f"{corrupt}：1 个错误，0 个警告" in out
    assert "[错误] invalid.xlsx 工作表「台账」 单元格 H5 （完成进度）：完成进度应为“已完成”或“未完成”，实为「进行中」（规则 progress-invalid）" in out
    assert "[警告] invalid.xlsx 工作表「台账」 单元格 I6 （进度说明）：进度说明 501 字" in out
    assert "[错误] corrupt.xlsx：文件已损坏或不完整" in out
    assert "（规则 file-unreadable）" in out
    # in the order given, each file's findings under its own line
    assert out.index(str(valid)) < out.index(str(invalid)) < out.index("H5") < out.index(str(corrupt))


def test_json_output(three_files: tuple[Path, Path, Path], tmp_path: Path) -> None:
    valid, invalid, corrupt = three_files
    result = run("validate", "--json", valid, invalid, corrupt, "--key-file", key_file(tmp_path))
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert [(d["file"], d["valid"]) for d in data] == [(str(valid), True), (str(invalid), False), (str(corrupt), False)]
    assert data[0]["findings"] == [] and data[0]["summary"] == "校验通过，没有发现问题"
    by_rule = {f["rule"]: f for f in data[1]["findings"]}
    assert set(by_rule) == {"progress-invalid", "description-long"}
    assert by_rule["progress-invalid"] == {
        "rule": "progress-invalid", "severity": "error", "message": "完成进度应为“已完成”或“未完成”，实为「进行中」",
        "hint": "请从下拉列表选择", "file": "invalid.xlsx", "sheet": "台账", "row": 5, "column": 8, "field": "完成进度", "value": "进行中",
    }
    assert by_rule["description-long"]["severity"] == "warning"
    assert [f["rule"] for f in data[2]["findings"]] == ["file-unreadable"]
    assert data[2]["findings"][0]["row"] is None


def test_json_includes_info_findings(baseline: Path) -> None:
    result = run("validate", "--json", baseline)  # no key here: the signature is checked on submission
    assert result.exit_code == 0
    [entry] = json.loads(result.output)
    assert entry["valid"] is True
    assert [f["rule"] for f in entry["findings"]] == ["signature-unchecked"]


def test_exit_code_0_when_all_valid(baseline: Path, tmp_path: Path) -> None:
    second = tmp_path / "second.xlsx"
    second.write_bytes(baseline.read_bytes())
    result = run("validate", baseline, second, "--key-file", key_file(tmp_path))
    assert result.exit_code == 0, result.output
    assert result.output.count("校验通过，没有发现问题") == 2


def test_warnings_alone_do_not_fail(baseline: Path, tmp_path: Path) -> None:
    warned = edited(baseline, tmp_path / "warned.xlsx", set_cells({"I5": "法" * 600, "N5": None}))
    result = run("validate", warned)
    assert result.exit_code == 0
    assert "0 个错误，2 个警告" in result.output  # 进度说明 over 500 字; one row without 联系电话


def test_info_only_with_all(baseline: Path, tmp_path: Path) -> None:
    spaced = edited(baseline, tmp_path / "spaced.xlsx", set_cells({"H5": "已完成 "}))
    plain = run("validate", spaced)
    assert plain.exit_code == 0
    assert "[提示]" not in plain.output
    assert "另有 2 条提示（自动规范化的单元格等），加 --all 查看" in plain.output  # H5, and the signature
    everything = run("validate", "--all", spaced)
    assert "另有" not in everything.output
    assert "[提示] spaced.xlsx 工作表「台账」 单元格 H5 （完成进度）：多余空格、换行已清除：「已完成 」→「已完成」" in everything.output
    assert "签名将在报送后由系统核验" in everything.output


def test_key_file_option(baseline: Path, tmp_path: Path) -> None:
    right = run("validate", baseline, "--key-file", key_file(tmp_path))
    assert right.exit_code == 0
    wrong = run("validate", baseline, "--key-file", key_file(tmp_path, OTHER_KEY, "other.key"))
    assert wrong.exit_code == 1
    assert "台账签名不正确" in wrong.output and "signature-invalid" in wrong.output


def test_key_from_environment_and_working_directory(baseline: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XLBRIDGE_KEY_FILE", str(key_file(tmp_path, OTHER_KEY, "env.key")))
    assert "signature-invalid" in run("validate", baseline).output
    monkeypatch.delenv("XLBRIDGE_KEY_FILE")
    key_file(tmp_path, KEY, "xlbridge.key")  # ./xlbridge.key
    result = run("validate", "--all", baseline)
    assert result.exit_code == 0 and "signature" not in result.output


def test_missing_key_file_is_a_chinese_error(baseline: Path, tmp_path: Path) -> None:
    result = run("validate", baseline, "--key-file", tmp_path / "nowhere.key")
    assert result.exit_code == 1
    assert "找不到签名密钥文件" in result.output


def test_bad_key_file_is_a_chinese_error(baseline: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.key"
    bad.write_text("not hex", encoding="ascii")
    result = run("validate", baseline, "--key-file", bad)
    assert result.exit_code == 1
    assert "内容不正确" in result.output


def test_system_option(baseline: Path, tmp_path: Path) -> None:
    result = run("validate", baseline, "--system", "jinfeng-2020")
    assert result.exit_code == 1
    assert "system-unknown" in result.output and "unit-unknown" in result.output


def test_nonexistent_file_is_a_usage_error(tmp_path: Path) -> None:
    result = run("validate", tmp_path / "missing.xlsx")
    assert result.exit_code == 2
    assert "missing.xlsx" in result.output


# =========================================================================== ledgers build
def test_build_all_units_with_the_workspace_key(tmp_path: Path) -> None:
    system = load_system("jinfeng-2020")
    ws = tmp_path / "ws"
    assert run("key", "init", "-w", ws).exit_code == 0
    result = run("ledgers", "build", "jinfeng-2020", "--campaign", "2020", "--out", tmp_path / "out", "-w", ws,
                 "--period", "2020-05")
    assert result.exit_code == 0, result.output
    files = sorted((tmp_path / "out").glob("*.xlsx"))
    units = [u.name for u in system.reporting_units]
    assert sorted(f.name for f in files) == sorted(f"{u}_2020_工作台账.xlsx" for u in units)
    assert f"共生成 {len(units)} 份台账" in result.output
    assert openpyxl.load_workbook(files[0])["台账"]["B3"].value == "2020-05"  # issued for a month
    # every ledger verifies with the workspace's key
    check = run("validate", *files[:3], "--key-file", ws / "xlbridge.key")
    assert check.exit_code == 1  # unfilled: 完成进度 missing everywhere …
    assert "signature-invalid" not in check.output and "progress-missing" in check.output


def test_build_never_creates_a_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Following the README out of order (ledgers before key init) must stop, not sign with a stray key."""
    monkeypatch.chdir(tmp_path)
    for args in (["jinfeng-2020"], ["jinfeng-2020", "-w", tmp_path / "ws"], ["nowhere-2099"]):
        result = run("ledgers", "build", *args, "--campaign", "2020", "--out", tmp_path / "out")
        assert result.exit_code == 1
        assert "xlbridge key init" in result.output or "nowhere-2099" in result.output
    assert not list(tmp_path.rglob("*.key")) and not (tmp_path / "out").exists()


def test_build_reuses_the_key(tmp_path: Path) -> None:
    key = key_file(tmp_path)
    result = run("ledgers", "build", SYSTEM_ID, "--campaign", "2021", "--out", tmp_path, "--unit", UNIT, "--key-file", key)
    assert result.exit_code == 0
    assert key.read_text(encoding="ascii").strip() == KEY.hex()


def test_build_one_unit(tmp_path: Path) -> None:
    result = run("ledgers", "build", SYSTEM_ID, "--campaign", "2021", "--out", tmp_path / "out", "--unit", UNIT,
                 "--key-file", key_file(tmp_path))
    assert result.exit_code == 0, result.output
    [file] = (tmp_path / "out").glob("*.xlsx")
    assert file.name == f"{UNIT}_2021_工作台账.xlsx"
    assert "共生成 1 份台账" in result.output
    ws = openpyxl.load_workbook(file)["台账"]
    assert ws["B2"].value == UNIT
    assert ws.max_row == L.FIRST_DATA_ROW - 1 + 6 * 5  # 2016–2021 × 5 indicators


def test_build_several_units_by_alias_spelling(tmp_path: Path) -> None:
    result = run("ledgers", "build", "changzhou-2014", "--campaign", "2014", "--out", tmp_path,
                 "--unit", "市 支 队", "--unit", "办公室", "--key-file", key_file(tmp_path))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.glob("*.xlsx")) == ["办公室_2014_工作台账.xlsx", "市支队_2014_工作台账.xlsx"]


def test_build_unknown_unit(tmp_path: Path) -> None:
    result = run("ledgers", "build", SYSTEM_ID, "--campaign", "2021", "--out", tmp_path / "out", "--unit", "宣传科",
                 "--key-file", key_file(tmp_path))
    assert result.exit_code == 1
    assert "单位「宣传科」不在指标体系" in result.output
    assert UNIT in result.output  # lists the units that do exist
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.xlsx"))


def test_build_unknown_system(tmp_path: Path) -> None:
    result = run("ledgers", "build", "nowhere-2099", "--campaign", "2021", "--out", tmp_path, "--key-file", key_file(tmp_path))
    assert result.exit_code == 1
    assert "找不到指标体系文件「nowhere-2099」" in result.output


@pytest.mark.parametrize(("years", "expected"), [("2020-2021", [2020, 2021]), ("2019", [2019])])
def test_build_years(tmp_path: Path, years: str, expected: list[int]) -> None:
    result = run("ledgers", "build", SYSTEM_ID, "--campaign", "2021", "--out", tmp_path, "--unit", UNIT,
                 "--years", years, "--key-file", key_file(tmp_path))
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(tmp_path / f"{UNIT}_2021_工作台账.xlsx")
    ws = wb["台账"]
    got = [ws.cell(r, 1).value for r in range(L.FIRST_DATA_ROW, ws.max_row + 1)]
    assert sorted(set(got)) == expected
    assert len(got) == 5 * len(expected)
    meta = {wb[L.META_SHEET].cell(r, 1).value: wb[L.META_SHEET].cell(r, 2).value for r in range(1, len(L.META_KEYS) + 1)}
    assert meta["years"] == ",".join(map(str, expected))


def test_build_years_malformed(tmp_path: Path) -> None:
    result = run("ledgers", "build", SYSTEM_ID, "--campaign", "2021", "--out", tmp_path, "--years", "二〇二一",
                 "--key-file", key_file(tmp_path))
    assert result.exit_code == 2
    assert "应写成 2016-2021 或 2021" in result.output


def test_validating_leaves_the_callers_collector_settings(three_files: tuple[Path, Path, Path]) -> None:
    """validate_file collects garbage less often while it reads (the ribbon's process, a
    caller's own program), and gives the caller its own setting back, also after a bad file."""
    import gc

    from xlbridge.check.files import validate_file

    before = gc.get_threshold()
    gc.set_threshold(500, 5, 5)
    try:
        for path in three_files:
            validate_file(path, SYSTEM_ID, KEY)
            assert gc.get_threshold() == (500, 5, 5)
    finally:
        gc.set_threshold(*before)

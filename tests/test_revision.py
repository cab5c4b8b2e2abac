"""Revisions mid-campaign (issue 13): `xlbridge schema diff OLD NEW` on version 1 and 2 of jinfeng-2020."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from revision_fixtures import NEW_NAME, OLD_NAME, REWORDED_5, version_2

from xlbridge.cli import main
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
    assert f"  ~ 5 三级指标「全面推行“证照分离”“多证合一”。进一步压缩企业开办时间,承诺办理时限不超过5个…」→「{REWORDED_5}」" in lines
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

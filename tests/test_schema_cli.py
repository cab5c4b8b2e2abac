"""`xlbridge schema …` on the shipped indicator systems and on broken schema files, through the real CLI."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from click.testing import CliRunner, Result

from xlbridge.cli import main
from xlbridge.system.targets import find_targets

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "schema"
SHIPPED_FILES = sorted(SCHEMA_DIR.glob("*.yaml"))
SHIPPED = [p.stem for p in SHIPPED_FILES]
KNOWN = "changzhou-2014、jinfeng-2020、puyang-2020、suzhou-2011"

# A small valid system; the tests below break one line of it at a time.
BASE = """\
id: t-2020
title: 测试指标体系
issuer: 司法局
units:
- name: 司法局
- name: 财政局
indicators:
- key: '1'
  code: '1'
  level1: 政府职能依法全面履行
  level3: 每年组织学法不少于2次
  lead:
  - 司法局
- key: ★1
  code: ★1
  level1: 政府职能依法全面履行
  level3: 办结时限不超过5个工作日
  lead:
  - 财政局
"""


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def edited(replace: dict[int, str | None] | None = None, insert_after: dict[int, str] | None = None) -> str:
    """BASE with 1-based lines replaced (None deletes) or new lines inserted after them."""
    out = []
    for n, line in enumerate(BASE.splitlines(keepends=True), start=1):
        if replace and n in replace:
            if replace[n] is not None:
                out.append(replace[n] + "\n")
        else:
            out.append(line)
        if insert_after and n in insert_after:
            out.append(insert_after[n] + "\n")
    return "".join(out)


def write(tmp_path: Path, text: str | bytes, name: str = "system.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def assert_clean_failure(result: Result) -> None:
    """Exit 1 through click, never a traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output


def raw(name: str) -> dict[str, Any]:
    return yaml.safe_load((SCHEMA_DIR / f"{name}.yaml").read_text(encoding="utf-8"))


# ------------------------------------------------------------------ schema check: shipped systems


def test_base_is_valid(tmp_path: Path) -> None:
    path = write(tmp_path, BASE)
    result = run("schema", "check", str(path))
    assert result.exit_code == 0, result.output
    assert result.output == f"{path}：2 项指标，检查通过（0 条提示）\n"


def test_base_with_bom_is_valid(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeff".encode() + BASE.encode("utf-8"))
    result = run("schema", "check", str(path))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=SHIPPED)
def test_check_shipped_file(path: Path) -> None:
    count = sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("- key:"))
    result = run("schema", "check", str(path))
    assert result.exit_code == 0, result.output
    assert f"{path}：{count} 项指标，检查通过（" in result.stdout
    assert "[错误]" not in result.output
    assert result.stderr == ""


@pytest.mark.parametrize("name", SHIPPED)
def test_check_shipped_by_name(name: str) -> None:
    result = run("schema", "check", name)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{name}：")
    assert "检查通过" in result.stdout


def test_check_all_shipped_at_once() -> None:
    result = run("schema", "check", *map(str, SHIPPED_FILES))
    assert result.exit_code == 0, result.output
    assert result.stdout.count("检查通过") == 4
    # the one remark on jinfeng: the towns, whose names the table does not give
    assert "jinfeng-2020.yaml：99 项指标，检查通过（1 条提示）" in result.stdout
    assert "changzhou-2014.yaml：108 项指标，检查通过" in result.stdout
    assert "puyang-2020.yaml：125 项指标，检查通过" in result.stdout
    assert "suzhou-2011.yaml：28 项指标，检查通过" in result.stdout


def test_check_shipped_warnings_are_warnings() -> None:
    result = run("schema", "check", str(SCHEMA_DIR / "puyang-2020.yaml"))
    assert result.exit_code == 0
    assert "（指标 (11)）：测评方法「问卷调查」不在已知方法中，已保留（规则 method-unknown）" in result.stdout
    assert "（指标 减1）：没有牵头（责任）单位，任何单位的台账都不会包含此指标（规则 lead-missing）" in result.stdout


def test_check_json(tmp_path: Path) -> None:
    result = run("schema", "check", "--json", "puyang-2020")
    assert result.exit_code == 0
    findings = json.loads(result.stdout)
    assert {f["rule"] for f in findings} == {"method-unknown", "lead-missing"}
    assert all(f["severity"] == "warning" and f["file"] == "puyang-2020" for f in findings)


# ------------------------------------------------------------------ schema check: broken files


def test_invalid_yaml_names_line(tmp_path: Path) -> None:
    path = write(tmp_path, edited({10: "  level1: 政府职能: 依法全面履行"}))
    result = run("schema", "check", str(path))
    assert_clean_failure(result)
    assert result.stderr == (
        f"{path}：第 10 行第 15 列 YAML 格式错误：这里不能出现「键: 值」（缩进不对，或文本中的冒号需加引号）"
        "（mapping values are not allowed here）\n"
    )


def test_unclosed_bracket_names_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, edited({12: "  lead: [司法局", 13: None}))
    result = run("schema", "check", str(path))
    assert_clean_failure(result)
    assert "第 13 行第 6 列 YAML 格式错误：" in result.stderr
    assert "方括号「[」没有闭合，始于第 12 行" in result.stderr


def test_tab_indent(tmp_path: Path) -> None:
    path = write(tmp_path, edited({11: "\tlevel3: 每年组织学法不少于2次"}))
    result = run("schema", "check", str(path))
    assert_clean_failure(result)
    assert f"{path}：第 11 行第 1 列 YAML 格式错误：不能用 Tab 缩进，请改用空格" in result.stderr


def test_control_character_names_line(tmp_path: Path) -> None:
    path = write(tmp_path, edited({2: "title: 测试\x07指标体系"}))
    result = run("schema", "check", str(path))
    assert_clean_failure(result)
    assert result.stderr == f"{path}：第 2 行第 10 列 含有不允许的控制字符 #x0007，请删除\n"


def test_missing_required_field(tmp_path: Path) -> None:
    path = write(tmp_path, edited({16: None}))  # level1 of indicator ★1
    result = run("schema", "check", str(path))
    assert_clean_failure(result)
    assert result.stderr == (
        f"{path} 有 1 处错误：\n  system.yaml 第 14 行 第 2 条指标（编号 ★1）字段 level1：缺少必填字段\n"
    )


def test_missing_top_level_field(tmp_path: Path) -> None:
    path = write(tmp_path, edited({3: None}))  # issuer
    result = run("schema", "check", str(path))
    assert_clean_failure(result)
    assert "  system.yaml 第 1 行 字段 issuer：缺少必填字段" in result.stderr


def test_unknown_field(tmp_path: Path) -> None:
    path = write(tmp_path, edited(insert_after={17: "  leed: 财政局"}))
    result = run("schema", "check", str(path))
    assert_clean_failure(result)
    assert result.stderr == (
        f"{path} 有 1 处错误：\n  system.yaml 第 18 行 第 2 条指标（编号 ★1）字段 leed：不认识的字段（拼写错误？）\n"
    )


def test_unknown_top_level_field(tmp_path: Path) -> None:
    path = write(tmp_path, edited({2: "titel: 测试指标体系"}))
    result = run("schema", "check", str(path))
    assert_clean_failure(result)
    assert "  system.yaml 第 2 行 字段 titel：不认识的字段（拼写错误？）" in result.stderr
    assert "  system.yaml 第 1 行 字段 title：缺少必填字段" in result.stderr
    assert result.stderr.startswith(f"{path} 有 2 处错误：\n")


def test_several_errors_all_reported(tmp_path: Path) -> None:
    path = write(tmp_path, edited({9: "  code: 1", 16: None}, insert_after={17: "  kind: 加分项"}))
    result = run("schema", "check", str(path))
    assert_clean_failure(result)
    assert result.stderr.startswith(f"{path} 有 3 处错误：\n")
    assert "第 9 行 第 1 条指标（编号 1）字段 code：应为文本（编号、版本等纯数字请加引号，如 '1'）" in result.stderr
    assert "第 14 行 第 2 条指标（编号 ★1）字段 level1：缺少必填字段" in result.stderr
    assert "第 17 行 第 2 条指标（编号 ★1）字段 kind：取值不在允许范围内，可选：'normal', 'bonus', 'penalty'" in result.stderr


def test_duplicate_yaml_keys(tmp_path: Path) -> None:
    path = write(tmp_path, edited(insert_after={11: "  level3: 另一条要求"}))
    result = run("schema", "check", str(path))
    assert_clean_failure(result)
    assert result.stderr == (
        f"{path} 有 1 处重复的键（后一个会悄悄覆盖前一个）：\n"
        "  system.yaml 第 12 行 第 1 条指标（编号 1）字段 level3：键「level3」重复（第 11 行已有）\n"
    )


def test_duplicate_top_level_key(tmp_path: Path) -> None:
    path = write(tmp_path, edited(insert_after={3: "issuer: 财政局"}))
    result = run("schema", "check", str(path))
    assert_clean_failure(result)
    assert "  system.yaml 第 4 行 字段 issuer：键「issuer」重复（第 3 行已有）" in result.stderr


def test_duplicate_indicator_key(tmp_path: Path) -> None:
    path = write(tmp_path, edited({14: "- key: '1'"}))
    result = run("schema", "check", str(path))
    assert_clean_failure(result)
    assert result.stderr == (
        f"{path} 有 1 处错误：\n"
        "  system.yaml 第 14 行 第 2 条指标（编号 1）字段 key：指标编号(key)「1」重复，与第 1 条指标相同\n"
    )
    assert "Value error" not in result.output


def test_lead_unit_not_registered(tmp_path: Path) -> None:
    path = write(tmp_path, edited({19: "  - 审计局"}))
    result = run("schema", "check", str(path))
    assert_clean_failure(result)
    assert result.stdout == (
        f"{path}：2 项指标，检查有错误（1 条提示）\n"
        f"[错误] {path} （指标 ★1）：责任单位「审计局」未在 units 中登记（规则 unit-unknown）\n"
    )
    as_json = run("schema", "check", "--json", str(path))
    assert_clean_failure(as_json)
    (finding,) = json.loads(as_json.stdout)
    assert (finding["rule"], finding["severity"], finding["field"]) == ("unit-unknown", "error", "指标 ★1")


def test_unit_registered_twice(tmp_path: Path) -> None:
    path = write(tmp_path, edited(insert_after={6: "- name: 司法局"}))
    result = run("schema", "check", str(path))
    assert_clean_failure(result)
    assert "（units）：单位「司法局」在 units 中登记了两次（规则 unit-duplicate）" in result.stdout


def test_alias_spelled_with_spaces_collides(tmp_path: Path) -> None:
    path = write(tmp_path, edited({6: "- name: 财政局\n  aliases:\n  - 司 法 局"}))
    result = run("schema", "check", str(path))
    assert_clean_failure(result)
    assert "单位名称「司 法 局」同时属于「司法局」和「财政局」（规则 unit-duplicate）" in result.stdout


def test_not_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.encode("gbk"))
    result = run("schema", "check", str(path))
    assert_clean_failure(result)
    assert result.stderr == f"{path}：不是 UTF-8 编码的文本文件，请另存为 UTF-8\n"


def test_empty_file(tmp_path: Path) -> None:
    for text in ("", "\n\n# 只有注释\n"):
        path = write(tmp_path, text)
        result = run("schema", "check", str(path))
        assert_clean_failure(result)
        assert result.stderr == f"{path}：文件是空的，应为一个指标体系（id、title、issuer、indicators 等字段）\n"


def test_not_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "- 司法局\n- 财政局\n")
    result = run("schema", "check", str(path))
    assert_clean_failure(result)
    assert "第 1 行 文件内容应为一个指标体系（id、title、issuer、indicators 等字段的键值对），实际不是键值对" in result.stderr


def test_directory(tmp_path: Path) -> None:
    result = run("schema", "check", str(tmp_path))
    assert_clean_failure(result)
    assert result.stderr == f"{tmp_path}：是文件夹，不是指标体系文件\n"


def test_unknown_system_name() -> None:
    result = run("schema", "check", "nosuch-2020")
    assert_clean_failure(result)
    assert result.stderr == f"找不到指标体系文件「nosuch-2020」。已内置的指标体系：{KNOWN}\n"
    for command in ("show", "units"):
        result = run("schema", command, "nosuch-2020")
        assert_clean_failure(result)
        assert result.output == f"错误：找不到指标体系文件「nosuch-2020」。已内置的指标体系：{KNOWN}\n"


def test_bad_file_does_not_stop_the_others(tmp_path: Path) -> None:
    bad = write(tmp_path, "", "bad.yaml")
    good = write(tmp_path, BASE, "good.yaml")
    result = run("schema", "check", str(bad), str(good), "jinfeng-2020")
    assert_clean_failure(result)
    assert f"{bad}：文件是空的" in result.stderr
    assert f"{good}：2 项指标，检查通过（0 条提示）" in result.stdout
    assert "jinfeng-2020：99 项指标，检查通过（1 条提示）" in result.stdout


def test_edited_file_is_reloaded(tmp_path: Path) -> None:
    path = write(tmp_path, BASE)
    assert run("schema", "check", str(path)).exit_code == 0
    path.write_text(edited({19: "  - 审计局"}), encoding="utf-8")  # same size, maybe the same clock tick
    assert_clean_failure(run("schema", "check", str(path)))


# ------------------------------------------------------------------ schema show


KIND_LABELS = {"normal": "常规", "bonus": "加分项", "penalty": "减分项"}


def expected_show(data: dict[str, Any]) -> list[str]:
    """The summary lines, counted straight from the YAML (not through the model)."""
    inds = data["indicators"]
    units = data.get("units", [])
    named = {n for i in inds for n in (*i.get("lead", []), *i.get("cooperating", []))}
    reporting = [u for u in units if not u.get("group") and u["name"] in named]
    kinds = Counter(i.get("kind", "normal") for i in inds)
    texts = [" ".join(filter(None, (i.get("level3"), i.get("points")))) for i in inds]
    targets = sum(bool(find_targets(text)) for text in texts)
    level1 = {i["level1"] for i in inds}
    level2 = {i["level2"] for i in inds if i.get("level2")}
    lines = [
        f"指标 {len(inds)} 项；责任单位 {len(units)} 个（需报送台账 {len(reporting)} 个）",
        (f"一级指标 {len(level1)} 个，二级指标 {len(level2)} 个，"
        f"三级指标/要求 {sum(1 for i in inds if i.get('level3') or i.get('points'))} 项"),
        "类别：" + "，".join(f"{KIND_LABELS[k]} {n}" for k, n in kinds.items()),
        f"重点指标（★）{sum(bool(i.get('key_item')) for i in inds)} 项；含量化目标 {targets} 项",
    ]
    methods = Counter(m for i in inds for m in i.get("methods", []))
    if methods:
        lines.append("测评方法：" + "，".join(f"{m} {n}" for m, n in methods.most_common()))
    lines.append("各一级指标：")
    lines += [f"  {name}：{n} 项" for name, n in Counter(i["level1"] for i in inds).items()]
    return lines


@pytest.mark.parametrize("name", SHIPPED)
def test_show_counts_match_file(name: str) -> None:
    result = run("schema", "show", name)
    assert result.exit_code == 0, result.output
    out = result.stdout.splitlines()
    data = raw(name)
    assert out[0] == f"{data['title']}（{name}，第 1 版）"
    for line in expected_show(data):
        assert line in out, line


def test_show_jinfeng() -> None:
    out = run("schema", "show", "jinfeng-2020").stdout.splitlines()
    assert out[:5] == [
        "2020年金凤区人民政府法治政府建设示范创建责任表（jinfeng-2020，第 1 版）",
        "发文单位：中共银川市金凤区委依法治区委员会办公室  银金法办发〔2020〕27号  年度：2020",
        "指标 99 项；责任单位 26 个（需报送台账 23 个）",
        "一级指标 9 个，二级指标 35 个，三级指标/要求 99 项",
        "类别：常规 95，加分项 2，减分项 2",
    ]
    assert out[5].startswith("重点指标（★）0 项；含量化目标 ")
    assert "  政府职能依法全面履行：22 项" in out
    assert "  行政执法严格规范公正文明：22 项" in out
    assert "  附加项：4 项" in out
    assert not any(line.startswith("测评方法") for line in out)  # 001 prints no 测评方法 column


def test_show_puyang_methods() -> None:
    out = run("schema", "show", "puyang-2020").stdout.splitlines()
    assert "指标 125 项；责任单位 15 个（需报送台账 15 个）" in out
    assert "发文单位：濮阳市司法局  濮司〔2020〕50号  年度：2016–2021" in out
    assert "类别：常规 121，加分项 2，减分项 2" in out
    assert out[5].startswith("重点指标（★）4 项；")
    (methods,) = [line for line in out if line.startswith("测评方法：")]
    assert methods.startswith("测评方法：材料查证 89，网络检索 41，实地核验 23，随机访谈 12，案卷评查 10，")
    assert "未知测评方法（已保留）：实地核查、座谈了解、现场测试、问卷调查" in out


def test_show_changzhou_and_suzhou() -> None:
    out = run("schema", "show", "changzhou-2014").stdout.splitlines()
    assert "指标 108 项；责任单位 9 个（需报送台账 9 个）" in out
    assert "一级指标 8 个，二级指标 24 个，三级指标/要求 108 项" in out
    assert "类别：常规 108" in out
    out = run("schema", "show", "suzhou-2011").stdout.splitlines()
    assert "指标 28 项；责任单位 26 个（需报送台账 25 个）" in out
    assert "一级指标 7 个，二级指标 0 个，三级指标/要求 28 项" in out


def test_show_a_file(tmp_path: Path) -> None:
    result = run("schema", "show", str(write(tmp_path, BASE)))
    assert result.exit_code == 0
    assert result.stdout.splitlines()[2:6] == [
        "指标 2 项；责任单位 2 个（需报送台账 2 个）",
        "一级指标 1 个，二级指标 0 个，三级指标/要求 2 项",
        "类别：常规 2",
        "重点指标（★）0 项；含量化目标 2 项",
    ]


def test_show_bad_file(tmp_path: Path) -> None:
    result = run("schema", "show", str(write(tmp_path, edited({16: None}))))
    assert_clean_failure(result)
    assert "错误：" in result.output
    assert "第 14 行 第 2 条指标（编号 ★1）字段 level1：缺少必填字段" in result.output


# ------------------------------------------------------------------ schema units


def test_units_jinfeng() -> None:
    result = run("schema", "units", "jinfeng-2020")
    assert result.exit_code == 0, result.output
    out = result.stdout.splitlines()
    i = out.index("行政审批局：牵头 5 项，配合 0 项")
    assert out[i + 1] == "  牵头：1 2 3 5 6"
    assert out[i + 2] == "  作为「政府各部门(单位)」的成员报送：19 36 37 85 86 87"  # its members report what a group is named for
    assert out[i + 3] == "司法局：牵头 33 项，配合 0 项"
    assert "各镇、街道办事处（集体，不单独报送）：牵头 4 项，配合 14 项" in out
    assert "  牵头：36 37 85 87" in out
    assert "  成员：（未登记，见 schema check）" in out
    assert "  成员：综合执法局、市场监管分局、生态环境分局、农业农村和水务局、住房城乡建设和交通局、文化旅游体育广电局、公安分局" in out


@pytest.mark.parametrize("name", SHIPPED)
def test_units_match_file(name: str) -> None:
    out = run("schema", "units", name).stdout.splitlines()
    data = raw(name)
    for unit in data.get("units", []):
        lead = [i["key"] for i in data["indicators"] if unit["name"] in i.get("lead", [])]
        coop = [i["key"] for i in data["indicators"] if unit["name"] in i.get("cooperating", [])]
        tag = "（集体，不单独报送）" if unit.get("group") else ""
        head = f"{unit['name']}{tag}：牵头 {len(lead)} 项，配合 {len(coop)} 项"
        assert head in out
        at = out.index(head) + 1
        if lead:
            assert out[at] == "  牵头：" + " ".join(lead)
            at += 1
        if coop:
            assert out[at] == "  配合：" + " ".join(coop)
    blanket = [i["key"] for i in data["indicators"] if i.get("all_units_cooperate")]
    if blanket:
        assert out[-1] == f"各部门（单位）均需配合的指标 {len(blanket)} 项：" + " ".join(blanket)


# ------------------------------------------------------------------ schema jsonschema


def test_jsonschema_is_committed_and_current() -> None:
    result = run("schema", "jsonschema")
    assert result.exit_code == 0
    committed = (SCHEMA_DIR / "indicator-system.schema.json").read_text(encoding="utf-8")
    assert result.stdout == committed, "xlbridge schema jsonschema -o schema/indicator-system.schema.json"
    schema = json.loads(result.stdout)
    assert schema["title"] == "IndicatorSystem"
    assert set(schema["required"]) >= {"id", "title", "issuer", "indicators"}
    assert schema["additionalProperties"] is False


def test_jsonschema_to_file(tmp_path: Path) -> None:
    out = tmp_path / "s.json"
    result = run("schema", "jsonschema", "-o", str(out))
    assert result.exit_code == 0
    committed = (SCHEMA_DIR / "indicator-system.schema.json").read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8") == committed


# ------------------------------------------------------------------ help text


def walk(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    for name, command in group.commands.items():
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from walk(command, (*path, name))


COMMANDS = list(walk(main))


def test_commands_found() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    schema = {"schema check", "schema show", "schema units", "schema import", "schema jsonschema"}
    assert {"schema", *schema} <= names


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_has_help(path: tuple[str, ...], command: click.Command) -> None:
    assert command.help and command.help.strip(), f"xlbridge {' '.join(path)} has no help text"
    result = run(*path, "--help")
    assert result.exit_code == 0
    assert "".join(command.help.strip().splitlines()[0].split()) in "".join(result.stdout.split())  # wrapped to width


def test_main_help() -> None:
    assert main.help and main.help.strip()
    result = run("--help")
    assert result.exit_code == 0
    assert "xlbridge：法治政府建设工作台账的生成、校验、收取与汇总。" in result.stdout
    for name, command in main.commands.items():
        assert name in result.stdout
        assert command.get_short_help_str()

"""Every message the CLI prints, click's own included, is Chinese: a walk over every command of
the real ``xlbridge`` group with a wrong option, a missing required option or argument, a bad
value for each typed option, and --help."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from ws_fixtures import clean_environment, is_chinese  # noqa: F401  (an autouse fixture)

from xlbridge import click_zh
from xlbridge.cli import main

ENGLISH = ("Error", "Usage", "Missing", "No such", "Invalid value", "Try '", "Options", "Commands",
           "does not exist", "is not", "Show this message", "default:", "required]", "[OPTIONS]", "COMMAND")
METAVARS = re.compile(r"(?<![_A-Z])(TEXT|INTEGER|FLOAT|DIRECTORY|FILENAME|FILES?|PATH|SYSTEM)(?![_A-Z])")  # click's type names


def commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    out = []
    for name, command in sorted(group.commands.items()):
        out.append(((*path, name), command))
        if isinstance(command, click.Group):
            out += commands(command, (*path, name))
    return out


ALL = commands(main)
LEAVES = [(path, c) for path, c in ALL if not isinstance(c, click.Group)]
IDS = [" ".join(path) for path, _ in ALL]
LEAF_IDS = [" ".join(path) for path, _ in LEAVES]


def invoke(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), prog_name="xlbridge", catch_exceptions=False)
    assert result.exit_code != 0 or "--help" in args, result.output
    return result.output


def assert_chinese(output: str) -> None:
    assert is_chinese(output), output
    for word in ENGLISH:
        assert word not in output, f"{word!r} in:\n{output}"
    assert not METAVARS.search(output), output


def test_the_walk_covers_every_command() -> None:
    assert {"status", "daemon", "validate", "ingest", "consolidate", "store export", "ledgers build",
            "schema show", "addin build"} <= set(LEAF_IDS)


def undocumented(command: click.Command) -> list[str]:
    """Its options and arguments without Chinese help text (click shows an argument's only from
    8.5: click_zh.argument gives every one its help and the 参数 section)."""
    return [p.opts[0] if isinstance(p, click.Option) else p.human_readable_name
            for p in command.params if not is_chinese(getattr(p, "help", None))]


@pytest.mark.parametrize("path,command", ALL, ids=IDS)
def test_a_wrong_option_is_said_in_chinese(path: tuple[str, ...], command: click.Command) -> None:
    output = invoke(*path, "--no-such-option")
    assert_chinese(output)
    assert "错误：没有选项「--no-such-option」" in output
    assert f"用法：xlbridge {' '.join(path)}" in output
    assert undocumented(command) == []
    if not isinstance(command, click.Group):  # its failures (a path, the disk, the store) end in Chinese too
        assert getattr(command.callback, "friendly", False), f"{' '.join(path)} is not @friendly"


@pytest.mark.parametrize("path,command", LEAVES, ids=LEAF_IDS)
def test_a_missing_required_option_or_argument_is_said_in_chinese(path: tuple[str, ...], command: click.Command) -> None:
    required = [p for p in command.params if p.required]
    if not required:
        pytest.skip("nothing required")
    output = invoke(*path)
    assert_chinese(output)
    assert re.search(r"错误：缺少(选项|参数)「", output), output
    assert undocumented(command) == []


@pytest.mark.parametrize("path,command", LEAVES, ids=LEAF_IDS)
def test_a_bad_value_is_said_in_chinese(path: tuple[str, ...], command: click.Command, tmp_path: Path) -> None:
    checked = 0
    for param in command.params:
        bad = _bad_value(param, tmp_path)
        if bad is None:
            continue
        args = [*path, *_required_values(command, skip=param, tmp_path=tmp_path)]
        args += [param.opts[0], bad] if isinstance(param, click.Option) else [bad]
        output = invoke(*args)
        assert_chinese(output)
        assert "的值不正确：" in output, output
        checked += 1
    if not checked:
        pytest.skip("no option with a value that can be wrong")


def _bad_value(param: click.Parameter, tmp_path: Path) -> str | None:
    if isinstance(param.type, click.Choice):
        return "no-such-choice"
    if isinstance(param.type, (click.types.IntParamType, click.types.FloatParamType)):
        return "abc"
    if isinstance(param.type, click.Path) and param.type.exists:
        return str(tmp_path / "不存在.xlsx")
    if isinstance(param.type, click.Path) and not param.type.file_okay:
        (tmp_path / "a-file").write_text("x")
        return str(tmp_path / "a-file")  # a file where a folder is wanted
    return None


def _required_values(command: click.Command, skip: click.Parameter, tmp_path: Path) -> list[str]:
    """Good enough values for the other required parameters: the bad one must be what fails."""
    out: list[str] = []
    for param in command.params:
        if param is skip or not param.required:
            continue
        good = "2021" if isinstance(param.type, click.types.IntParamType) else str(tmp_path / "out")
        if isinstance(param.type, click.Path) and param.type.exists:
            (tmp_path / "good.xlsx").write_text("x")
            good = str(tmp_path / "good.xlsx")
        out += [param.opts[0], good] if isinstance(param, click.Option) else [good]
    return out


@pytest.mark.parametrize("path,command", ALL, ids=IDS)
def test_help_is_chinese_with_help_for_every_option(path: tuple[str, ...], command: click.Command) -> None:
    output = invoke(*path, "--help")
    assert output.startswith(f"用法：xlbridge {' '.join(path)}".rstrip()), output
    assert "选项：" in output
    assert ("命令：" in output) == isinstance(command, click.Group)
    assert_chinese(output)
    assert is_chinese(command.help), f"{' '.join(path)} has no Chinese help"
    assert undocumented(command) == []
    arguments = [p for p in command.params if isinstance(p, click.Argument)]
    assert ("参数：" in output) == bool(arguments), output
    if arguments:  # each argument under 参数：, its help beside it, before the options
        section = output[output.index("参数："):output.index("选项：")]
        for param in arguments:
            assert any(param.metavar in line and param.help[:8] in line for line in section.splitlines()), section


GROUPS = [(path, c) for path, c in [((), main), *ALL] if isinstance(c, click.Group)]


@pytest.mark.parametrize("path,group", GROUPS, ids=[" ".join(p) or "xlbridge" for p, _ in GROUPS])
def test_an_unknown_command_is_said_in_chinese(path: tuple[str, ...], group: click.Group) -> None:
    output = invoke(*path, "no-such-command")
    assert_chinese(output)
    assert "错误：没有命令「no-such-command」" in output


def test_the_top_level_says_unknown_commands_and_suggests_in_chinese() -> None:
    output = invoke("statu")
    assert_chinese(output)
    assert "没有命令「statu」" in output and "status" in output


def test_every_message_click_wraps_has_a_chinese_translation() -> None:
    """A click upgrade that adds a message fails here, not in front of a user."""
    singles, plurals = set(), set()
    for source in Path(click.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "ngettext"):
                texts = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
                if node.func.id == "_" and len(texts) == 1:
                    singles.add(texts[0])
                elif node.func.id == "ngettext" and len(texts) == 2:
                    plurals.add((texts[0], texts[1]))
    singles.discard("d")  # a variable named "d" in _termui_impl, not a message
    assert singles - set(click_zh.MESSAGES) == set()
    assert plurals - set(click_zh.PLURALS) == set()
    assert all(is_chinese(t) for t in (*click_zh.MESSAGES.values(), *click_zh.PLURALS.values()))


HELP_WIDTH = 80  # click's formatter never goes wider


@pytest.mark.parametrize("path,command", [((), main), *ALL], ids=["xlbridge", *IDS])
def test_help_lines_up_and_wraps_by_display_width(path: tuple[str, ...], command: click.Command) -> None:
    """A Chinese character takes two columns: every option's, argument's and command's text starts
    in one column of its section and no line runs past the width; no short help shows as 「...」."""
    output = invoke(*path, "--help")
    assert all(click_zh.display_width(line) <= HELP_WIDTH for line in output.splitlines()), output
    assert "  ..." not in output
    for section in re.split(r"\n(?=\S+：\n)", output)[1:]:
        heading, *rows = section.rstrip("\n").splitlines()
        if heading not in ("参数：", "选项：", "命令："):
            continue
        starts = set()
        for row in rows:
            term = re.match(r"^  (\S.*?)(\s{2,})\S", row)
            text_start = click_zh.display_width(term[1] + term[2]) + 2 if term else len(row) - len(row.lstrip())
            starts.add(text_start)
        assert len(starts) == 1, (heading, rows)

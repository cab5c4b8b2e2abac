"""click's own words in Chinese: usage errors, missing options, bad values, help headings.

click wraps every message it prints in gettext (``from gettext import gettext as _`` in each of
its modules). Configuring gettext globally would depend on the user's locale and need a compiled
``.mo`` file; instead :func:`install` binds each click module's ``_`` and ``ngettext`` to one
catalogue here, so the CLI reads in Chinese whatever the locale. A string click adds in a later
version falls back to English, and ``tests/test_cli_chinese.py`` fails on it.

The usage line's ``[OPTIONS]``/``COMMAND [ARGS]...`` and the type names in metavars (``TEXT``,
``INTEGER``) are not gettext messages: :class:`Command` and :class:`Group` set them. Positional
arguments get help text through :func:`argument` and a 参数 section in every command's help,
on any click 8 (click itself takes an argument's ``help`` only from 8.5).
"""

from __future__ import annotations

import gettext
import importlib
import re
import sys
import unicodedata
from typing import Any

import click

# msgid → Chinese. Placeholders keep click's names; !r is dropped (「」 quote instead).
MESSAGES: dict[str, str] = {
    "Usage:": "用法：",
    "Options": "选项",
    "Commands": "命令",
    "Positional arguments": "参数",
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "运行「{command} {option}」查看帮助。",
    "Show this message and exit.": "显示本帮助并退出。",
    "Show the version and exit.": "显示版本并退出。",
    "%(prog)s, version %(version)s": "%(prog)s 版本 %(version)s",
    "Aborted!": "已中止。",
    "Missing command.": "缺少命令。",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing {param_type}": "缺少{param_type}",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "No such option {name!r}.": "没有选项「{name}」。",
    "No such command {name!r}.": "没有命令「{name}」。",
    "Invalid value: {message}": "值不正确：{message}",
    "Invalid value for {param_hint}: {message}": "{param_hint}的值不正确：{message}",
    "Option {name!r} does not take a value.": "选项「{name}」不带值。",
    "Argument {name!r} takes {nargs} values.": "参数「{name}」需要 {nargs} 个值。",
    "Invalid start character for option ({option})": "选项的开头字符不正确（{option}）",
    "Value must be an iterable.": "值必须是一组值。",
    "unknown error": "未知错误",
    "Could not open file {filename!r}: {message}": "无法打开文件「{filename}」：{message}",
    "Choose from:\n\t{choices}": "可选：\n\t{choices}",
    "Choice({choices})": "可选（{choices}）",
    "{value!r} is not a valid {number_type}.": "「{value}」不是有效的数字。",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 内。",
    "{value!r} is not a valid boolean. Recognized values: {states}": "「{value}」不是有效的是/否值，可用：{states}",
    "{value!r} is not a valid UUID.": "「{value}」不是有效的 UUID。",
    "file": "文件",
    "directory": "目录",
    "path": "路径",
    "{name} {filename!r} does not exist.": "{name}「{filename}」不存在。",
    "{name} {filename!r} is a file.": "{name}「{filename}」是文件，应为目录。",
    "{name} {filename!r} is a directory.": "{name}「{filename}」是目录，应为文件。",
    "{name} {filename!r} is not readable.": "{name}「{filename}」不可读。",
    "{name} {filename!r} is not writable.": "{name}「{filename}」不可写。",
    "{name} {filename!r} is not executable.": "{name}「{filename}」不可执行。",
    "env var: {var}": "环境变量：{var}",
    "default: {default}": "默认：{default}",
    "required": "必填",
    "(dynamic)": "（动态）",
    "deprecated": "已弃用",
    "DeprecationWarning: The command {name!r} is deprecated.{extra_message}": "提示：命令「{name}」已弃用。{extra_message}",
    "DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}": "提示：{param_type}「{name}」已弃用。{extra_message}",
    "Do you want to continue?": "是否继续？",
    "Confirm the action without prompting.": "不再询问，直接确认。",
    "Repeat for confirmation": "请再输入一次以确认",
    "Error: The two entered values do not match.": "错误：两次输入不一致。",
    "Error: invalid input": "错误：输入不正确",
    "Press any key to continue...": "按任意键继续……",
    "{editor}: Editing failed": "{editor}：编辑失败",
    "{editor}: Editing failed: {e}": "{editor}：编辑失败：{e}",
    "Windows error: {error}": "Windows 错误：{error}",
    "Unknown color {colour!r}": "未知颜色「{colour}」",
    "Unknown standard stream '{name}'": "未知标准流「{name}」",
    "Shell completion is not supported for Bash versions older than 4.4.": "Bash 4.4 以下版本不支持命令补全。",
    "Couldn't detect Bash version, shell completion is not supported.": "无法识别 Bash 版本，不支持命令补全。",
    # Mistakes in the program, not the user's, yet shown to them if made:
    "Name '{name}' defined twice": "名称「{name}」定义了两次",
    "Could not determine name for option with declarations {decls!r}": "无法确定选项 {decls} 的名称",
    "Boolean option {decl!r} cannot use the same flag for true/false.": "是/否选项 {decl} 的两个开关不能相同。",
    "Arguments take exactly one parameter declaration, got {length}: {decls}.": "参数只能有一个声明，实有 {length} 个：{decls}。",
    "No options defined but a name was passed ({name}). Did you mean to declare an argument instead? Did you mean to pass '--{name}'?":
        "没有定义选项却给了名称（{name}）。",
}

# (singular, plural) → Chinese: the language has one form.
PLURALS: dict[tuple[str, str], str] = {
    ("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"): "多余的参数（{args}）",
    ("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"): "（是否想输入：{possibility}{possibilities}？）",
    ("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."): "选项「{name}」需要一个值。",
    ("Takes {nargs} values but 1 was given.", "Takes {nargs} values but {len} were given."): "需要 {nargs} 个值，实际给了 {len} 个。",
    ("{value!r} is not {choice}.", "{value!r} is not one of {choices}."): "「{value}」不是可选的值（可选：{choice}{choices}）。",
    ("{value!r} does not match the format {format}.", "{value!r} does not match the formats {formats}."):
        "「{value}」不符合格式 {format}{formats}。",
    ("{len_type} values are required, but {len_value} was given.", "{len_type} values are required, but {len_value} were given."):
        "需要 {len_type} 个值，实际给了 {len_value} 个。",
}

# click's type names, shown in metavars (--campaign 整数).
TYPE_NAMES = {"text": "文本", "integer": "整数", "float": "数值", "boolean": "是/否", "filename": "文件名",
              "文件": "文件", "目录": "目录", "路径": "路径", "datetime": "日期时间", "uuid": "UUID"}

_CLICK_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "types", "termui", "utils",
                  "shell_completion", "_termui_impl", "_winconsole")


class _Catalogue(gettext.NullTranslations):
    def gettext(self, message: str) -> str:
        return MESSAGES.get(message, message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        text = PLURALS.get((msgid1, msgid2))
        if text is None:
            return msgid1 if n == 1 else msgid2
        # One Chinese template serves both forms: the placeholder click does not fill stays empty.
        return text.replace("{possibility}{possibilities}", "{possibility}" if n == 1 else "{possibilities}") \
                   .replace("{choice}{choices}", "{choice}" if n == 1 else "{choices}") \
                   .replace("{format}{formats}", "{format}" if n == 1 else "{formats}")


CATALOGUE = _Catalogue()


def install() -> None:
    """Bind click's gettext hooks to the Chinese catalogue (idempotent)."""
    for name in _CLICK_MODULES:
        if name == "_winconsole" and sys.platform != "win32":
            continue  # it refuses to be imported elsewhere
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = CATALOGUE.gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = CATALOGUE.ngettext  # type: ignore[attr-defined]


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: a Chinese character (or full-width punctuation) two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


_NO_LINE_START = "，。；：、！？）」』】》"  # never the first character of a line


def _wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` columns: Chinese breaks between any two characters, other text
    at spaces (a word longer than a line stays whole); a closing mark takes the character before
    it onto the next line rather than start one."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line: list[str] = []
        for token in re.findall(r"[\u2e80-\uffef]|[^\s\u2e80-\uffef]+|\s+", paragraph):
            if display_width("".join(line) + token) > width and "".join(line).strip():
                carried: list[str] = []
                while token in _NO_LINE_START and len(line) > 1 and (not carried or carried[0] in _NO_LINE_START):
                    carried.insert(0, line.pop())
                lines.append("".join(line).rstrip())
                line = carried
                if token.isspace():
                    continue
            line.append(token)
        lines.append("".join(line).rstrip())
    return lines


class HelpFormatter(click.HelpFormatter):
    """Full-width colons after headings and the usage prefix, as Chinese text writes them; option
    and argument lists aligned and wrapped by display width (click counts a Chinese character as
    one column, and 「--wait 数值」 would push its help out of line)."""

    def write_text(self, text: str) -> None:
        """A command's help, paragraph by paragraph, wrapped by display width; the lines of a
        docstring paragraph joined without a space where Chinese meets Chinese."""
        indent = " " * self.current_indent
        for n, paragraph in enumerate(re.split(r"\n\s*\n", text.strip("\n"))):
            if n:
                self.write("\n")
            parts = [line.strip() for line in paragraph.splitlines() if line.strip()]
            joined = "".join(a if not b or display_width(a[-1:]) == 2 == display_width(b[:1]) else a + " "
                             for a, b in zip(parts, [*parts[1:], ""]))
            for line in _wrap(joined, max(self.width - self.current_indent, 11)):
                self.write(f"{indent}{line}\n")

    def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
        rows = list(rows)
        first_col = min(max((display_width(term) for term, _ in rows), default=0), col_max) + col_spacing
        text_width = max(self.width - first_col - 2, 10)
        for term, text in rows:
            self.write(f"{'':>{self.current_indent}}{term}")
            if not text:
                self.write("\n")
                continue
            if display_width(term) <= first_col - col_spacing:
                self.write(" " * (first_col - display_width(term)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = _wrap(text, text_width)
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write(f"{'':>{first_col + self.current_indent}}{line}\n")

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading}：\n")

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, MESSAGES["Usage:"] if prefix is None else prefix)


class Context(click.Context):
    formatter_class = HelpFormatter


def _chinese_metavars(params: list[click.Parameter]) -> None:
    for param in params:
        if isinstance(param, click.Option) and param.metavar is None and not param.is_flag \
                and param.type.name in TYPE_NAMES:
            param.metavar = TYPE_NAMES[param.type.name]


class Argument(click.Argument):
    """A positional argument with help text, whatever click 8 release is installed."""

    def __init__(self, param_decls: Any, required: bool | None = None, help: str | None = None, **attrs: Any) -> None:
        super().__init__(param_decls, required=required, **attrs)
        self.help = help


def argument(*param_decls: str, help: str, **attrs: Any) -> Any:
    """``click.argument`` with the help text every argument must have (shown under 参数：)."""
    return click.argument(*param_decls, cls=Argument, help=help, **attrs)


def _format_arguments(command: click.Command, ctx: click.Context, formatter: click.HelpFormatter) -> None:
    rows = [(param.metavar or param.name.upper(), getattr(param, "help", None) or "")
            for param in command.get_params(ctx) if isinstance(param, click.Argument)]
    if rows:
        with formatter.section(MESSAGES["Positional arguments"]):
            formatter.write_dl(rows)


class _Chinese:
    """Parameter errors named the Chinese way: 缺少选项「--campaign」, 「--format」的值不正确; help
    with a 参数 section before the options."""

    context_class = Context

    def get_short_help_str(self, limit: int = 45) -> str:
        """The first sentence of the help in the list of commands, cut by display width (click
        cuts at a space, which Chinese has none of, and shows 「...」)."""
        if getattr(self, "short_help", None) or not getattr(self, "help", None):
            return super().get_short_help_str(limit)  # type: ignore[misc]
        first = "".join(line.strip() for line in self.help.split("\n\n")[0].splitlines())  # type: ignore[attr-defined]
        first = first.split("。")[0] + "。" if "。" in first else first
        if display_width(first) <= 2 * limit:
            return first
        while display_width(first) > 2 * limit - 2:
            first = first[:-1]
        return first.rstrip("，、；：") + "…"

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self.format_usage(ctx, formatter)  # type: ignore[attr-defined]
        self.format_help_text(ctx, formatter)  # type: ignore[attr-defined]
        _format_arguments(self, ctx, formatter)  # type: ignore[arg-type]
        self.format_options(ctx, formatter)  # type: ignore[attr-defined]
        self.format_epilog(ctx, formatter)  # type: ignore[attr-defined]

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)  # type: ignore[misc]
        except click.MissingParameter as exc:
            if exc.param is None or exc.message:
                raise
            kind = "选项" if isinstance(exc.param, click.Option) else "参数"
            raise click.UsageError(f"缺少{kind}{_hint(exc.param)}", ctx) from None
        except click.BadParameter as exc:
            if exc.param is not None and exc.param_hint is None:
                exc.param_hint = _hint(exc.param)
            raise


def _hint(param: click.Parameter) -> str:
    names = param.opts if isinstance(param, click.Option) else [param.human_readable_name]
    return "「" + " / ".join(names) + "」"  # click's own: '--campaign' / 'FILES'


class Command(_Chinese, click.Command):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", "[选项]")
        super().__init__(*args, **kwargs)
        _chinese_metavars(self.params)


class Group(_Chinese, click.Group):
    command_class = Command
    group_class = type  # subgroups are of this class too

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", "[选项]")
        kwargs.setdefault("subcommand_metavar", "命令 [参数]...")
        super().__init__(*args, **kwargs)
        _chinese_metavars(self.params)


install()  # before any click.Path() is made: its name ("file", "directory") is translated then

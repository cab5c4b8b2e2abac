"""``xlbridge addin``: build the Excel add-in. Registered on the main group in ``xlbridge.cli``."""

from __future__ import annotations

from pathlib import Path

import click

from xlbridge import click_zh
from xlbridge.errors import friendly


@click.group(cls=click_zh.Group)
def addin() -> None:
    """Excel 加载项（功能区“法治台账 → 校验”）。"""


@addin.command("build")
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("workbooks/xlbridge.xlam"), show_default=True,
              help="输出的加载项文件；文件名必须是 xlbridge.xlam")
@click.option("--interpreter",
              help=r"写入加载项配置的 Python 解释器（Interpreter_Win），如 C:\xlbridge\.venv\Scripts\pythonw.exe")
@click.option("--inbox", help=r"写入加载项配置的报送文件夹（XLBRIDGE_INBOX），如 \\fileserver\台账收件箱")
@friendly
def addin_build(out: Path, interpreter: str | None, inbox: str | None) -> None:
    """用 xlwings 的自定义加载项模板生成 xlbridge.xlam（中文功能区：法治台账 → 校验）。"""
    from xlbridge.excel.addin import build_addin

    path = build_addin(out, interpreter=interpreter, inbox=inbox)
    click.echo(f"已生成加载项 {path}")
    click.echo(f"安装：xlwings addin install -f {path}")

"""Build ``xlbridge.xlam`` from xlwings' own custom add-in template.

``xlwings quickstart xlbridge --addin --ribbon`` writes an add-in whose VBA callback
``RibbonMyAddin.RunMain`` runs ``RunPython "import " & m & ";" & m & ".main()"`` where ``m`` is the
add-in's file name without extension: the file must stay named ``xlbridge.xlam`` so the button
runs ``import xlbridge;xlbridge.main()``. The VBA is left exactly as xlwings generated it; only the
ribbon XML (Chinese tab, group and button) and, when asked, the add-in's config sheet change.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

from defusedxml import ElementTree as SafeET

from xlbridge.errors import XlbridgeError

ADDIN_NAME = "xlbridge"  # the Python module RunMain imports, taken from the file name
ADDIN_FILENAME = f"{ADDIN_NAME}.xlam"
CUSTOM_UI = "customUI/customUI.xml"
CUSTOM_UI_NS = "http://schemas.microsoft.com/office/2006/01/customui"
# xlwings names every custom add-in's VBA project "myaddin"; its config sheet is "_myaddin.conf"
# (inactive) until renamed "myaddin.conf", and its user config file is ~/.myaddin/myaddin.conf.
CONFIG_SHEET = "myaddin.conf"
INACTIVE_CONFIG_SHEET = f"_{CONFIG_SHEET}"
INTERPRETER_KEY, INBOX_KEY = "Interpreter_Win", "XLBRIDGE_INBOX"

TAB_LABEL, GROUP_LABEL, BUTTON_LABEL = "法治台账", "台账校验", "校验"
SCREENTIP = "校验本台账"
SUPERTIP = (
    "逐项检查本工作簿中的工作台账：有问题的单元格标红（错误）或标黄（警告）并加批注，"
    "全部问题列在「校验结果」工作表，点击单元格地址即可跳转。没有错误时可直接保存并报送。"
)

_SHEET_DATA = re.compile(r"<sheetData\s*/>|<sheetData>.*?</sheetData>", re.DOTALL)
_DIMENSION = re.compile(r'<dimension ref="[^"]*"\s*/>')


class AddinError(XlbridgeError):
    """The add-in could not be built."""


def build_addin(out: Path, *, interpreter: str | None = None, inbox: str | None = None) -> Path:
    """Write the custom ribbon add-in to ``out`` (atomically) and return the path.

    ``interpreter`` and ``inbox`` are written into the add-in's own config sheet, which is then
    activated; without them the add-in uses ``python`` on PATH and the clerk's config files.
    """
    if out.name != ADDIN_FILENAME:
        raise AddinError(f"加载项文件必须命名为 {ADDIN_FILENAME}（按钮按文件名导入 Python 模块），而不是 {out.name}")
    with tempfile.TemporaryDirectory(prefix="xlbridge-addin-") as tmp:
        template = _quickstart(Path(tmp))
        parts = _read_parts(template)
    button = _generated_button(parts[CUSTOM_UI])
    parts[CUSTOM_UI] = ribbon_xml(button.get("onAction", ""), button.get("imageMso") or "MacroPlay")
    settings = {k: v for k, v in ((INTERPRETER_KEY, interpreter), (INBOX_KEY, inbox)) if v}
    if settings:
        _write_config_sheet(parts, settings)
    _write_zip(parts, out)
    return out


def _quickstart(folder: Path) -> Path:
    """Run xlwings' own ``quickstart --addin --ribbon`` in ``folder``; return the generated .xlam."""
    cmd = [sys.executable, "-m", "xlwings.cli", "quickstart", ADDIN_NAME, "--addin", "--ribbon"]
    done = subprocess.run(cmd, cwd=folder, capture_output=True, text=True, encoding="utf-8", errors="replace",
                          check=False)
    xlam = folder / ADDIN_NAME / ADDIN_FILENAME
    if done.returncode != 0 or not xlam.is_file():
        raise AddinError(f"xlwings quickstart 运行失败（退出码 {done.returncode}）：{(done.stderr or done.stdout).strip()}")
    return xlam


def _read_parts(xlam: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(xlam) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _generated_button(xml: bytes) -> ET.Element:
    root = SafeET.fromstring(xml)
    button = root.find(f".//{{{CUSTOM_UI_NS}}}button")
    if button is None or not button.get("onAction"):
        raise AddinError("xlwings 生成的加载项中没有带 onAction 的功能区按钮，无法改写")
    return button


def ribbon_xml(on_action: str, image_mso: str = "MacroPlay") -> bytes:
    """The add-in's ribbon: tab 法治台账 → group 台账校验 → large button 校验."""
    ET.register_namespace("", CUSTOM_UI_NS)
    ns = f"{{{CUSTOM_UI_NS}}}"
    root = ET.Element(f"{ns}customUI")
    tabs = ET.SubElement(ET.SubElement(root, f"{ns}ribbon"), f"{ns}tabs")
    tab = ET.SubElement(tabs, f"{ns}tab", id="xlbridgeTab", label=TAB_LABEL)
    group = ET.SubElement(tab, f"{ns}group", id="xlbridgeGroup", label=GROUP_LABEL)
    ET.SubElement(group, f"{ns}button", {
        "id": "xlbridgeValidate", "label": BUTTON_LABEL, "size": "large", "imageMso": image_mso,
        "screentip": SCREENTIP, "supertip": SUPERTIP, "onAction": on_action,
    })
    ET.indent(root)
    declaration = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    return (declaration + ET.tostring(root, encoding="unicode")).encode("utf-8")


def _write_config_sheet(parts: dict[str, bytes], settings: dict[str, str]) -> None:
    """Activate the add-in's config sheet (``_myaddin.conf`` → ``myaddin.conf``) holding only ``settings``.

    Only the given keys: an empty Interpreter_Win on the sheet would shadow the clerk's config file.
    """
    workbook = parts["xl/workbook.xml"].decode("utf-8")
    if f'name="{INACTIVE_CONFIG_SHEET}"' not in workbook:
        raise AddinError(f"xlwings 生成的加载项中没有配置工作表 {INACTIVE_CONFIG_SHEET}")
    workbook = workbook.replace(f'name="{INACTIVE_CONFIG_SHEET}"', f'name="{CONFIG_SHEET}"')
    parts["xl/workbook.xml"] = workbook.encode("utf-8")
    sheet_part = _config_sheet_part(parts)
    xml = parts[sheet_part].decode("utf-8")
    rows = "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>{escape(key)}</t></is></c>'
        f'<c r="B{n}" t="inlineStr"><is><t>{escape(value)}</t></is></c></row>'
        for n, (key, value) in enumerate(settings.items(), start=1)
    )
    xml = _SHEET_DATA.sub(lambda _: f"<sheetData>{rows}</sheetData>", xml, count=1)
    xml = _DIMENSION.sub(f'<dimension ref="A1:B{len(settings)}"/>', xml, count=1)
    parts[sheet_part] = xml.encode("utf-8")


def _config_sheet_part(parts: dict[str, bytes]) -> str:
    ns = {
        "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
        "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
    }
    workbook = SafeET.fromstring(parts["xl/workbook.xml"])
    rels = SafeET.fromstring(parts["xl/_rels/workbook.xml.rels"])
    sheets = workbook.iterfind("m:sheets/m:sheet", ns)
    rid = next(s.get(f"{{{ns['r']}}}id") for s in sheets if s.get("name") == CONFIG_SHEET)
    target = next(r.get("Target") for r in rels.iterfind("rel:Relationship", ns) if r.get("Id") == rid)
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def _write_zip(parts: dict[str, bytes], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in parts.items():  # the template's order
                zf.writestr(name, data)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)

"""The custom ribbon add-in: built by xlwings' own quickstart machinery, ribbon XML rewritten in
Chinese, the generated VBA (and so the button's callback) untouched."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import xlwings
from click.testing import CliRunner
from defusedxml import ElementTree

from xlbridge.excel.addin import (
    ADDIN_FILENAME,
    CONFIG_SHEET,
    CUSTOM_UI,
    CUSTOM_UI_NS,
    AddinError,
    build_addin,
)
from xlbridge.excel.cli import addin

NS = {"ui": CUSTOM_UI_NS}
TEMPLATE = Path(xlwings.__file__).parent / "quickstart_addin_ribbon.xlam"


@pytest.fixture(scope="module")
def xlam(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_addin(tmp_path_factory.mktemp("addin") / ADDIN_FILENAME)


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def test_ribbon_has_the_chinese_tab_group_and_large_button(xlam: Path) -> None:
    root = ElementTree.fromstring(parts(xlam)[CUSTOM_UI])  # well-formed, or this raises
    assert root.tag == f"{{{CUSTOM_UI_NS}}}customUI"
    tabs = root.findall("ui:ribbon/ui:tabs/ui:tab", NS)
    assert [t.get("label") for t in tabs] == ["法治台账"]
    groups = tabs[0].findall("ui:group", NS)
    assert [g.get("label") for g in groups] == ["台账校验"]
    (button,) = groups[0].findall("ui:button", NS)
    assert button.get("label") == "校验"
    assert button.get("size") == "large"
    assert "校验" in button.get("screentip", "")
    assert "校验结果" in button.get("supertip", "")
    assert len({e.get("id") for e in root.iter() if e.get("id")}) == 3  # ids unique


def test_on_action_is_the_callback_of_the_generated_vba(xlam: Path) -> None:
    on_action = _button(xlam).get("onAction")
    module, _, procedure = on_action.partition(".")
    vba = parts(xlam)["xl/vbaProject.bin"]
    # The PROJECT stream (plain text) lists the module; the procedure name survives compression.
    assert f"Module={module}".encode() in vba
    assert procedure.encode() in vba
    assert (module, procedure) == ("RibbonMyAddin", "RunMain")


def test_vba_runs_main_of_the_module_named_after_the_addin(xlam: Path) -> None:
    """RunMain imports the module named like the add-in: xlbridge.xlam → import xlbridge;xlbridge.main()."""
    olefile = pytest.importorskip("olefile", reason="olefile reads the VBA project's streams")
    source = _module_source(olefile, parts(xlam)["xl/vbaProject.bin"], "RibbonMyAddin")
    assert "Sub RunMain(control As IRibbonControl)" in source
    assert "mymodule = Left(ThisWorkbook.Name, (InStrRev(ThisWorkbook.Name" in source
    assert 'RunPython "import " & mymodule & ";" & mymodule & ".main()"' in source
    assert Path(ADDIN_FILENAME).stem == "xlbridge"
    import xlbridge

    assert callable(xlbridge.main)


def test_only_the_ribbon_changes(xlam: Path) -> None:
    built, template = parts(xlam), parts(TEMPLATE)
    assert set(built) == set(template)
    assert built["xl/vbaProject.bin"] == template["xl/vbaProject.bin"]
    assert [n for n in built if built[n] != template[n]] == [CUSTOM_UI]


def test_config_sheet_is_activated_with_only_the_given_settings(tmp_path: Path) -> None:
    from python_calamine import CalamineWorkbook

    path = build_addin(tmp_path / ADDIN_FILENAME, interpreter=r"C:\xlbridge\.venv\Scripts\pythonw.exe",
                       inbox=r"\\fileserver\台账收件箱")
    wb = CalamineWorkbook.from_path(str(path))
    assert wb.sheet_names == [CONFIG_SHEET]
    assert wb.get_sheet_by_name(CONFIG_SHEET).to_python() == [
        ["Interpreter_Win", r"C:\xlbridge\.venv\Scripts\pythonw.exe"],
        ["XLBRIDGE_INBOX", r"\\fileserver\台账收件箱"],
    ]
    assert parts(path)["xl/vbaProject.bin"] == parts(TEMPLATE)["xl/vbaProject.bin"]


def test_without_settings_the_config_sheet_stays_inactive(xlam: Path) -> None:
    assert b'name="_myaddin.conf"' in parts(xlam)["xl/workbook.xml"]


def test_the_file_must_keep_its_name(tmp_path: Path) -> None:
    with pytest.raises(AddinError, match="xlbridge.xlam"):
        build_addin(tmp_path / "法治台账.xlam")


def test_cli_builds_the_addin(tmp_path: Path) -> None:
    out = tmp_path / "workbooks" / ADDIN_FILENAME
    result = CliRunner().invoke(addin, ["build", "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert out.is_file() and not list(out.parent.glob("*.tmp"))
    assert f"xlwings addin install -f {out}" in result.output
    wrong = CliRunner().invoke(addin, ["build", "-o", str(tmp_path / "addin.xlam")], catch_exceptions=False)
    assert wrong.exit_code == 1
    assert "加载项文件必须命名为 xlbridge.xlam" in wrong.output


# --------------------------------------------------------------------------- VBA source (MS-OVBA)
def _button(xlam: Path):  # type: ignore[no-untyped-def]
    return ElementTree.fromstring(parts(xlam)[CUSTOM_UI]).find(".//ui:button", NS)


def _module_source(olefile, vba_project: bytes, module: str) -> str:  # type: ignore[no-untyped-def]
    ole = olefile.OleFileIO(vba_project)
    offsets = _module_offsets(_decompress(ole.openstream("VBA/dir").read()))
    return _decompress(ole.openstream(f"VBA/{module}").read()[offsets[module]:]).decode("cp1252")


def _module_offsets(dir_stream: bytes) -> dict[str, int]:
    """MODULESTREAMNAME (0x1A) → MODULEOFFSET (0x31) from the decompressed dir stream (MS-OVBA 2.3.4.2)."""
    offsets, name, pos = {}, "", 0
    while pos + 6 <= len(dir_stream):
        record = int.from_bytes(dir_stream[pos:pos + 2], "little")
        size = int.from_bytes(dir_stream[pos + 2:pos + 6], "little")
        if record == 0x0009:  # PROJECTVERSION: its size field says 4, the record holds 6
            size = 6
        data = dir_stream[pos + 6:pos + 6 + size]
        if record == 0x001A:
            name = data.decode("cp1252")
        elif record == 0x0031:
            offsets[name] = int.from_bytes(data, "little")
        pos += 6 + size
    return offsets


def _decompress(data: bytes) -> bytes:
    """MS-OVBA 2.4.1 decompression of a CompressedContainer."""
    assert data[0] == 1, "not a compressed container"
    out, pos = bytearray(), 1
    while pos < len(data):
        header = int.from_bytes(data[pos:pos + 2], "little")
        end, pos, start = min(pos + (header & 0x0FFF) + 3, len(data)), pos + 2, len(out)
        if not header & 0x8000:
            out += data[pos:pos + 4096]
            pos += 4096
            continue
        while pos < end:
            flags, pos = data[pos], pos + 1
            for bit in range(8):
                if pos >= end:
                    break
                if not flags >> bit & 1:
                    out.append(data[pos])
                    pos += 1
                    continue
                token, pos = int.from_bytes(data[pos:pos + 2], "little"), pos + 2
                bits = max((len(out) - start - 1).bit_length(), 4)
                offset, length = (token >> (16 - bits)) + 1, (token & (0xFFFF >> bits)) + 3
                for _ in range(length):
                    out.append(out[-offset])
    return bytes(out)

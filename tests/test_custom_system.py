"""A workspace's own indicator system (issue 13): imported from an office's table with
`xlbridge schema import`, named by path in xlbridge.toml. Its ledgers carry the system, signed, in
the hidden metadata sheet (ledger/carried.py), so the clerk's check (`xlbridge validate` with no
--system, the add-in's button) finds it, and agrees with the service, which never reads it.

Real files throughout: the office table written with openpyxl, imported by the CLI, ledgers built
by `ledgers build -w`, filled with openpyxl (once re-saved by LibreOffice), checked by `xlbridge
validate`, by the button's seam and by `xlbridge ingest` into a real store.
"""

from __future__ import annotations

import base64
import json
import shutil
import zlib
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from ledger_fixtures import CAMPAIGN, HEADER, KEY, edited, filled_ledger, rewrite_member
from office_tables import write_group_rows
from ws_fixtures import clean_environment, connect, run  # noqa: F401  (clean_environment: autouse)

from xlbridge.check.engine import validate_grid
from xlbridge.check.files import LedgerSystemError, ledger_system, validate_file
from xlbridge.ledger import carried
from xlbridge.ledger import layout as L
from xlbridge.ledger.reader import read_ledger
from xlbridge.ledger.sample import clerk_answer, fill_ledger
from xlbridge.service.workspace import Workspace
from xlbridge.system.files import SCHEMA_DIR, load_system
from xlbridge.xlsx.bounds import Limits, sheet_members

UNIT = "司法局"
PERIOD = "2021-05"
DATA_ROW = L.META_KEYS.index(L.SYSTEM_DATA) + 1


@pytest.fixture
def custom(tmp_path: Path) -> tuple[Path, Path]:
    """A workspace whose system was imported from an office's 考核细则 table, and 司法局's ledger
    as `ledgers build -w` issues it."""
    table = write_group_rows(tmp_path / "考核细则.xlsx")
    yaml = tmp_path / "office-2021.yaml"
    imported = run("schema", "import", table, "-o", yaml, "--issuer", "某区司法局")
    assert imported.exit_code == 0, imported.output
    assert not (SCHEMA_DIR / yaml.name).exists()  # not a shipped system
    root = tmp_path / "ws"
    root.mkdir()
    (root / "xlbridge.toml").write_text(f'system = "{yaml}"\ncampaign = {CAMPAIGN}\n', encoding="utf-8")
    (root / "xlbridge.key").write_text(KEY.hex() + "\n", encoding="ascii")
    out = tmp_path / "issued"
    built = run("ledgers", "build", yaml, "--campaign", CAMPAIGN, "--out", out, "--unit", UNIT, "--period", PERIOD,
                "-w", root)
    assert built.exit_code == 0, built.output
    [issued] = out.glob("*.xlsx")
    return root, issued


def workspace_system(root: Path) -> Any:
    return Workspace.load(root).indicator_system()


def fill(root: Path, issued: Path, dst: Path) -> Path:
    return fill_ledger(issued, dst, clerk_answer(workspace_system(root), UNIT), header=HEADER)


def service_findings(root: Path, path: Path) -> Any:
    """The engine as the service runs it: the workspace's system (never the one the ledger carries), the key."""
    return validate_grid(read_ledger(path), workspace_system(root), KEY)


def clerk_view(findings: list[Any]) -> list[tuple[str, int | None, int | None]]:
    return [(f.rule, f.row, f.column) for f in findings if f.rule != "signature-unchecked"]


def set_system_data(text: str, cells: int = L.SYSTEM_DATA_CELLS) -> Any:
    """The metadata row of system_data rewritten with ``text`` over ``cells`` cells."""

    def edit(wb: openpyxl.Workbook) -> None:
        ws = wb[L.META_SHEET]
        for col in range(2, 2 + L.SYSTEM_DATA_CELLS):
            ws.cell(DATA_ROW, col).value = None
        size = -(-len(text) // cells) if text else 1
        for n in range(cells):
            ws.cell(DATA_ROW, 2 + n).value = text[n * size:(n + 1) * size] or None

    return edit


def decoded(text: str) -> dict[str, Any]:
    return json.loads(zlib.decompress(base64.b64decode(text.removeprefix(carried.PREFIX))))


def encoded(data: dict[str, Any]) -> str:
    return carried.PREFIX + base64.b64encode(zlib.compress(json.dumps(data, ensure_ascii=False).encode())).decode()


# --------------------------------------------------------------------------- what the ledger carries
def test_the_ledger_of_a_custom_system_carries_it_signed_and_split_over_cells(custom: tuple[Path, Path]) -> None:
    root, issued = custom
    system = workspace_system(root)
    meta = read_ledger(issued).meta
    assert meta["system_id"] == system.id == "office-2021"
    assert meta["system_data"].startswith(carried.PREFIX)
    assert carried.carried_system(meta["system_data"]).model_dump() == system.model_dump()
    row = [c.value for c in openpyxl.load_workbook(issued)[L.META_SHEET][DATA_ROW]]
    assert row[0] == L.SYSTEM_DATA and all(len(v) <= L.CELL_CHARS for v in row[1:] if v)
    assert "".join(v for v in row[1:] if v) == meta["system_data"]
    # the signature covers it: the ledger verifies as issued
    assert service_findings(root, issued).signature_ok is True


def test_a_shipped_systems_ledger_carries_nothing(tmp_path: Path) -> None:
    meta = read_ledger(filled_ledger(tmp_path, indicator_system=load_system("jinfeng-2020"), unit=UNIT)).meta
    assert meta["system_data"] == ""


def test_a_shipped_id_the_workspace_revised_is_carried(tmp_path: Path) -> None:
    """The same id as a shipped system, other rows: the clerk's shipped copy cannot stand in."""
    shipped = load_system("jinfeng-2020")
    first = shipped.indicators[0]
    revised = shipped.model_copy(update={"indicators": [first.model_copy(update={"level3": "改过的指标文字"}),
                                                        *shipped.indicators[1:]]})
    unit = first.lead[0]
    other = next(u.name for u in shipped.reporting_units if first not in shipped.assigned(u.name))
    assert read_ledger(filled_ledger(tmp_path, indicator_system=revised, unit=unit, name="a.xlsx")).meta["system_data"]
    # a unit whose rows did not change still gets the shipped system
    assert read_ledger(filled_ledger(tmp_path, indicator_system=revised, unit=other, name="b.xlsx")).meta["system_data"] == ""
    clerk = validate_file(filled_ledger(tmp_path, indicator_system=revised, unit=unit, name="c.xlsx"))
    assert clerk.valid, clerk.summary


# --------------------------------------------------------------------------- the clerk's side and the service's agree
def test_validate_without_system_the_button_and_the_service_agree(custom: tuple[Path, Path], tmp_path: Path) -> None:
    from test_excel_ribbon import FakeBook

    from xlbridge.excel.ribbon import validate_book

    root, issued = custom
    filled = fill(root, issued, tmp_path / "司法局_2021-05.xlsx")
    result = run("validate", filled)
    assert result.exit_code == 0 and "不存在" not in result.output, result.output
    clerk = validate_file(filled)
    assert clerk.valid and {f.rule for f in clerk.findings} == {"signature-unchecked"}, clerk.summary
    button = validate_book(FakeBook(filled))
    assert button.validation is not None and button.validation.report.valid
    assert clerk_view(button.validation.report.findings) == clerk_view(clerk.findings) == \
        clerk_view(service_findings(root, filled).report.findings) == []
    ingested = run("ingest", filled, "-w", root)
    assert ingested.exit_code == 0, ingested.output
    [sub] = connect(root / "store.db").execute("SELECT unit, status, signature, errors FROM submissions").fetchall()
    assert sub == (UNIT, "accepted", "valid", 0)


def test_mistakes_are_found_alike_on_every_side(custom: tuple[Path, Path], tmp_path: Path) -> None:
    from test_excel_ribbon import FakeBook

    from xlbridge.excel.ribbon import validate_book

    root, issued = custom
    filled = fill(root, issued, tmp_path / "filled.xlsx")
    other = next(i for i in workspace_system(root).indicators if UNIT not in i.lead)  # 政府办's
    wb = openpyxl.load_workbook(filled)
    ws = wb[L.LEDGER_SHEET]
    ws.cell(L.FIRST_DATA_ROW, L.COLUMN["progress"].index).value = "差不多了"
    ws.cell(L.FIRST_DATA_ROW + 1, L.COLUMN["code"].index).value = other.key  # code-unassigned, not code-unknown
    wb.save(bad := tmp_path / "司法局_bad.xlsx")
    clerk = validate_file(bad)
    button = validate_book(FakeBook(bad))
    service = service_findings(root, bad)
    assert button.validation is not None
    assert {"progress-invalid", "code-unassigned"} <= {f.rule for f in clerk.findings}, clerk.summary
    assert clerk_view(clerk.findings) and clerk_view(clerk.findings) == clerk_view(button.validation.report.findings) \
        == clerk_view(service.report.findings)
    cli = run("validate", bad, "--json")
    assert cli.exit_code == 1
    assert [(f["rule"], f["row"], f["column"]) for f in json.loads(cli.output)[0]["findings"] if f["rule"] != "signature-unchecked"] \
        == clerk_view(clerk.findings)


def test_a_ledger_saved_by_libreoffice_checks_alike(custom: tuple[Path, Path], tmp_path: Path,
                                                     tmp_path_factory: pytest.TempPathFactory) -> None:
    from test_libreoffice import resave

    root, issued = custom
    filled = fill(root, issued, tmp_path / "filled" / "司法局_2021-05.xlsx")
    saved = resave(filled, tmp_path / "saved", tmp_path_factory)
    assert read_ledger(saved).meta["system_data"] == read_ledger(issued).meta["system_data"]
    clerk = validate_file(saved)
    assert clerk.valid, clerk.summary
    service = service_findings(root, saved)
    assert service.signature_ok is True
    assert clerk_view(clerk.findings) == clerk_view(service.report.findings)


def test_next_months_ledger_carries_it_too(custom: tuple[Path, Path], tmp_path: Path) -> None:
    """`ledgers next` (the pre-filled ledgers written from the prebuilt workbook) carries the system as well."""
    root, issued = custom
    filled = fill(root, issued, tmp_path / "司法局_2021-05.xlsx")
    assert run("ingest", filled, "-w", root).exit_code == 0
    result = run("ledgers", "next", "-w", root, "--period", "2021-06", "--json")
    assert result.exit_code == 0, result.output
    paths = {read_ledger(Path(p)).meta["unit"]: Path(p) for p in json.loads(result.output)["files"]}
    assert set(paths) == {UNIT, "政府办"}  # 政府办 never reported: its ledger is blank
    for path in paths.values():
        assert read_ledger(path).meta["system_data"] == read_ledger(issued).meta["system_data"]
        clerk = validate_file(path)
        assert clerk.system is not None and clerk.system.id == "office-2021"
        assert clerk_view(clerk.findings) == clerk_view(service_findings(root, path).report.findings)
    assert validate_file(paths[UNIT]).valid  # carried-over answers, checked like typed ones


# --------------------------------------------------------------------------- what is refused
def test_a_tampered_embedded_system_is_refused_by_the_service(custom: tuple[Path, Path], tmp_path: Path) -> None:
    root, issued = custom
    filled = fill(root, issued, tmp_path / "filled.xlsx")
    data = decoded(read_ledger(filled).meta["system_data"])
    for ind in data["indicators"]:
        ind["methods"] = []  # no 网络检索: links would no longer be asked for
    forged = edited(filled, tmp_path / "司法局_forged.xlsx", set_system_data(encoded(data), cells=3))
    run("ingest", forged, "-w", root)
    [sub] = connect(root / "store.db").execute("SELECT status, signature FROM submissions").fetchall()
    assert sub == ("rejected", "invalid")
    assert service_findings(root, forged).signature_ok is False


def test_a_huge_embedded_blob_is_refused_before_decompressing(custom: tuple[Path, Path], tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    _, issued = custom
    # every cell full, then one longer than Excel lets a cell be (the XML itself allows it)
    full = edited(issued, tmp_path / "full.xlsx", set_system_data(carried.PREFIX + "A" * (carried.MAX_CHARS - len(carried.PREFIX))))
    assert len(read_ledger(full).meta["system_data"]) == carried.MAX_CHARS
    member = sheet_members(full.read_bytes(), full.name, Limits())[L.META_SHEET]
    huge = rewrite_member(full, tmp_path / "huge.xlsx", member, lambda xml: xml.replace(b"AAAA<", b"AAAAAAAA<", 1))

    def never(*_: Any) -> Any:
        raise AssertionError("decoded a blob over the limit")

    [finding] = validate_file(huge).findings
    assert finding.rule == "system-carried-broken" and "未解压" in finding.message
    assert f"隐藏工作表 {L.META_SHEET}" in finding.message and f"B{DATA_ROW}" in finding.message
    meta = read_ledger(huge).meta
    assert len(meta["system_data"]) > carried.MAX_CHARS
    # nothing of it is decoded: the length is looked at first
    monkeypatch.setattr(carried.base64, "b64decode", never)
    monkeypatch.setattr(carried.zlib, "decompressobj", never)
    with pytest.raises(LedgerSystemError, match="未解压"):
        ledger_system(meta)


def test_a_blob_inflating_past_the_limit_stops_inflating(custom: tuple[Path, Path], tmp_path: Path) -> None:
    _, issued = custom
    bomb = zlib.compress(b"[" + b" " * (carried.MAX_JSON_BYTES + 1024) + b"]", 9)
    text = carried.PREFIX + base64.b64encode(bomb).decode()
    assert len(text) < carried.MAX_CHARS
    result = validate_file(edited(issued, tmp_path / "bomb.xlsx", set_system_data(text)))
    [finding] = result.findings
    assert finding.rule == "system-carried-broken" and "已停止解压" in finding.message


@pytest.mark.parametrize(("text", "says"), [
    ("zlib1:这不是base64", "不是 base64"),
    ("gzip:AAAA", "不是本系统写入的格式"),
    (carried.PREFIX + base64.b64encode(b"not zlib").decode(), "压缩数据已损坏"),
    (encoded({"id": "office-2021", "title": "x"}), "不是有效的指标体系（issuer：缺少必填字段"),
    (encoded({"id": "jinfeng-2020", "title": "x", "issuer": "y", "indicators": []}), "是「jinfeng-2020」"),
])
def test_a_broken_embedded_system_is_a_chinese_error_naming_sheet_and_cell(custom: tuple[Path, Path], tmp_path: Path,
                                                                           text: str, says: str) -> None:
    _, issued = custom
    broken = edited(issued, tmp_path / "broken.xlsx", set_system_data(text, cells=1))
    result = run("validate", broken)
    assert result.exit_code == 1
    assert says in result.output and f"隐藏工作表 {L.META_SHEET}" in result.output and f"B{DATA_ROW}" in result.output, \
        result.output


def test_an_id_is_looked_up_among_the_shipped_systems_only(custom: tuple[Path, Path], tmp_path: Path) -> None:
    """A ledger carrying nothing names a system by id: a file of that name in the working
    directory is never opened (the clerk's check is run from anywhere)."""
    root, issued = custom
    shutil.copyfile(Path(Workspace.load(root).system), Path.cwd() / "office-2021")
    plain = edited(issued, tmp_path / "plain.xlsx", set_system_data(""))
    [finding] = validate_file(plain).findings
    assert finding.rule == "system-unknown" and "不存在" in finding.message


def big_system(indicators: int = 300) -> Any:
    """A system whose carried copy spans several cells: 300 indicators of text zlib cannot shrink
    much (a stable pseudo-random run of CJK characters each); 司法局 leads the first five."""
    from random import Random

    from xlbridge.system.model import Indicator, IndicatorSystem, Unit

    rng = Random(13)
    indicators = [Indicator(key=str(n), code=str(n), level1="一、组织领导", methods=["材料查证"],
                            level3="".join(chr(rng.randrange(0x4E00, 0x4E00 + 3000)) for _ in range(200)),
                            lead=[UNIT if n <= 5 else "政府办"]) for n in range(1, indicators + 1)]
    return IndicatorSystem(id="big-office", title="某区法治政府建设考核细则", issuer="某区司法局", year=CAMPAIGN,
                           units=[Unit(name=UNIT), Unit(name="政府办")], indicators=indicators)


def test_a_system_over_several_cells_survives_libreoffice(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    from test_libreoffice import resave

    system = big_system()
    filled = filled_ledger(tmp_path, indicator_system=system, unit=UNIT, name="司法局_2021-05.xlsx")
    text = read_ledger(filled).meta["system_data"]
    parts = [c.value for c in openpyxl.load_workbook(filled)[L.META_SHEET][DATA_ROW][1:] if c.value]
    assert len(parts) >= 3 and all(len(p) == L.CELL_CHARS for p in parts[:-1]) and "".join(parts) == text
    saved = resave(filled, tmp_path / "saved", tmp_path_factory)
    assert read_ledger(saved).meta["system_data"] == text
    clerk = validate_file(saved)
    assert clerk.valid, clerk.summary
    assert clerk.system is not None and clerk.system.model_dump() == system.model_dump()
    service = validate_grid(read_ledger(saved), system, KEY)
    assert service.signature_ok is True and clerk_view(clerk.findings) == clerk_view(service.report.findings)


def test_a_system_too_large_to_carry_is_refused_before_any_ledger_is_written(tmp_path: Path) -> None:
    from xlbridge.errors import XlbridgeError
    from xlbridge.ledger.writer import build_ledgers

    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(XlbridgeError, match="超过台账可携带的"):
        build_ledgers(big_system(2000), CAMPAIGN, out, KEY)
    assert list(out.iterdir()) == []


def test_the_daemon_accepts_it_and_issues_next_months_ledger_carrying_it(custom: tuple[Path, Path]) -> None:
    """The real daemon with two worker processes: the submission is checked against the workspace's
    system, and the next month's ledger it writes after it carries the system too."""
    import signal

    from test_daemon import DaemonProcess

    root, issued = custom
    config = root / "xlbridge.toml"
    config.write_text("workers = 2\n" + config.read_text(encoding="utf-8"), encoding="utf-8")
    following = root / "outbox" / UNIT / f"{UNIT}_2021-06_工作台账.xlsx"
    daemon = DaemonProcess(root)
    try:
        daemon.start()
        (root / "inbox" / UNIT).mkdir(parents=True, exist_ok=True)
        fill(root, issued, root / "inbox" / UNIT / "司法局_2021-05.xlsx")
        daemon.wait_for(following.exists, "the next month's ledger")
        assert daemon.signal(signal.SIGTERM) == 0
    finally:
        daemon.ensure_stopped()
    [sub] = connect(root / "store.db").execute("SELECT unit, status, errors, signature FROM submissions").fetchall()
    assert sub == (UNIT, "accepted", 0, "valid")
    assert read_ledger(following).meta["system_data"] == read_ledger(issued).meta["system_data"]
    clerk = validate_file(following)
    assert clerk.valid, clerk.summary


def test_a_system_file_beside_the_settings_is_found_from_any_working_directory(
        custom: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`system = "office-2021.yaml"` names the file in the workspace folder, as inbox/ and the key are:
    the daemon and the commands run from anywhere."""
    root, _ = custom
    shutil.copyfile(Path(Workspace.load(root).system), root / "office-2021.yaml")
    (root / "xlbridge.toml").write_text(f'system = "office-2021.yaml"\ncampaign = {CAMPAIGN}\n', encoding="utf-8")
    (elsewhere := tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(elsewhere)
    assert Workspace.load(root).system == str(root / "office-2021.yaml")
    shown = run("schema", "show", "-w", root)
    assert shown.exit_code == 0 and workspace_system(root).title in shown.output, shown.output
    # a shipped id stays an id, even with a file of that name in the folder
    (root / "jinfeng-2020").write_text("not a system", encoding="utf-8")
    (root / "xlbridge.toml").write_text('system = "jinfeng-2020"\n', encoding="utf-8")
    assert Workspace.load(root).system == "jinfeng-2020"

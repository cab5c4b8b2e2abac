"""Group members from the workspace's settings (issue 13): the towns and sub-districts of
各镇、街道办事处, which the coordination group knows and jinfeng-2020's table never names, listed
under [members] in xlbridge.toml. Everything the workspace derives from the system sees them; a
ledger issued to one carries its group in the signed metadata, so a clerk's check (which has only
the shipped system) agrees with the service's.

Real files throughout: a workspace folder with xlbridge.toml, ledgers written by `ledgers build`,
filled with openpyxl, checked by `xlbridge validate`, ingested by `xlbridge ingest`, a real store.
"""

from __future__ import annotations

import json
import signal
import sys
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from ledger_fixtures import CAMPAIGN, HEADER, KEY, edited, filled_ledger, set_meta
from ws_fixtures import clean_environment, connect, run, sheet_rows  # noqa: F401  (clean_environment: autouse)

from xlbridge.check.engine import validate_grid
from xlbridge.check.files import validate_file
from xlbridge.ledger import layout as L
from xlbridge.ledger.reader import read_ledger
from xlbridge.ledger.sample import clerk_answer, fill_ledger
from xlbridge.service.workspace import Workspace
from xlbridge.system.files import check_system, load_system

GROUP = "各镇、街道办事处"
TOWNS = ["良田镇", "丰登镇", "满城北街街道办事处"]  # as a coordination group would write them
PERIOD = "2021-05"


def jinfeng_workspace(root: Path, members: str | None = None, expected: list[str] | None = None) -> Path:
    """A jinfeng-2020 workspace with the tests' key; ``members`` the [members] table's lines."""
    root.mkdir(parents=True, exist_ok=True)
    lines = ['system = "jinfeng-2020"', f"campaign = {CAMPAIGN}"]
    if expected is not None:
        lines.append("expected_units = [" + ", ".join(f'"{u}"' for u in expected) + "]")
    lines += ["", "[members]", members if members is not None else f'"{GROUP}" = [' + ", ".join(f'"{t}"' for t in TOWNS) + "]"]
    (root / "xlbridge.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "xlbridge.key").write_text(KEY.hex() + "\n", encoding="ascii")
    return root


def town_led() -> list[str]:
    """jinfeng-2020's indicators that name 各镇、街道办事处 (as lead or cooperating)."""
    jinfeng = load_system("jinfeng-2020")
    return [i.key for i in jinfeng.indicators if GROUP in (*i.lead, *i.cooperating)]


# --------------------------------------------------------------------------- the system a workspace works from
def test_the_workspace_system_has_the_towns_as_members_and_reporting_units(tmp_path: Path) -> None:
    ws = Workspace.load(jinfeng_workspace(tmp_path / "ws"))
    system = ws.indicator_system()
    assert system.members_of(GROUP) == TOWNS
    assert [u.name for u in system.reporting_units][-3:] == TOWNS
    assert [i.key for i in system.assigned("良田镇")] == town_led()
    lead_only = [k for k in town_led() if GROUP in system.indicator(k).lead]
    assert lead_only and all(system.role(system.indicator(k), "良田镇") == "牵头" for k in lead_only)
    assert "xlbridge.toml" in system.unit(GROUP).members_note and "无从得知" in system.unit(GROUP).members_note
    assert system.supplied_groups("良田镇") == (GROUP,) and system.supplied_groups("司法局") == ()
    assert ws.indicator_system() is system  # derived once: the caches keyed on it hold
    shipped = load_system("jinfeng-2020")
    assert shipped.unit("良田镇") is None and shipped.members_of(GROUP) == []  # the shipped file is untouched
    # the other groups' members are as the schema lists them
    assert system.members_of("政府各部门(单位)") == shipped.members_of("政府各部门(单位)")


def test_a_workspace_without_members_works_from_the_shipped_system_itself(tmp_path: Path) -> None:
    ws = Workspace.load(jinfeng_workspace(tmp_path / "ws", members=""))
    assert ws.indicator_system() is load_system("jinfeng-2020")


def test_members_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = jinfeng_workspace(tmp_path / "ws", members="")
    monkeypatch.setenv("XLBRIDGE_MEMBERS", f"{GROUP}=良田镇, 丰登镇")
    assert Workspace.load(root).indicator_system().members_of(GROUP) == ["良田镇", "丰登镇"]


# --------------------------------------------------------------------------- schema check / units -w
def test_schema_check_with_the_workspace_has_no_group_without_members(tmp_path: Path) -> None:
    root = jinfeng_workspace(tmp_path / "ws")
    alone = run("schema", "check", "jinfeng-2020", "--json")
    assert [f["rule"] for f in json.loads(alone.output)] == ["group-members-missing"]
    for args in (["-w", root], ["jinfeng-2020", "-w", root]):
        result = run("schema", "check", *args, "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.output) == []
    result = run("schema", "check", "-w", root)
    assert "jinfeng-2020：99 项指标，检查通过（0 条提示）" in result.output
    shipped = json.loads(run("schema", "show", "jinfeng-2020", "--json").output)
    shown = json.loads(run("schema", "show", "-w", root, "--json").output)
    assert shown["reporting_units"] == shipped["reporting_units"] + len(TOWNS)
    assert run("schema", "check").exit_code == 2  # neither a file nor a workspace: a usage error


def test_schema_units_with_the_workspace_lists_each_town(tmp_path: Path) -> None:
    root = jinfeng_workspace(tmp_path / "ws")
    data = json.loads(run("schema", "units", "-w", root, "--json").output)["units"]
    towns = {u["unit"]: u for u in data if u["unit"] in TOWNS}
    assert set(towns) == set(TOWNS)
    assert towns["良田镇"]["as_member"] == {GROUP: town_led()}
    assert next(u for u in data if u["unit"] == GROUP)["members"] == TOWNS
    text = run("schema", "units", "-w", root).output
    assert f"  成员：{'、'.join(TOWNS)}" in text and f"  作为「{GROUP}」的成员报送：" in text
    assert "良田镇" not in run("schema", "units", "jinfeng-2020").output


@pytest.mark.parametrize(("members", "message"), [
    (f'"{GROUP}" = ["良田镇", "司法局"]', f"[members]「{GROUP}」：成员「司法局」已是指标体系中的单位"),
    (f'"{GROUP}" = ["良田镇", " 各行政执法部门 "]', "成员「各行政执法部门」已是指标体系中的单位（即「各行政执法部门(单位)」）"),
    (f'"{GROUP}" = ["良田镇", ""]', f"[members]「{GROUP}」：成员名称为空"),
    (f'"{GROUP}" = ["良田镇", "良田镇"]', "成员「良田镇」重复"),
    (f'"{GROUP}" = "良田镇"', f"[members]「{GROUP}」应为单位名称的列表"),
    ('"各乡镇" = ["良田镇"]', "[members]「各乡镇」：指标体系「2020年金凤区人民政府法治政府建设示范创建责任表」中没有这个单位"),
    ('"司法局" = ["良田镇"]', "「司法局」在指标体系中是单个单位，不是集体（group: true），不能补充成员"),
])
def test_a_bad_member_is_a_chinese_error_naming_the_file_and_key(tmp_path: Path, members: str, message: str) -> None:
    root = jinfeng_workspace(tmp_path / "ws", members=members)
    for args in (["schema", "check", "-w", root], ["ledgers", "next", "-w", root, "--period", PERIOD],
                 ["schema", "units", "-w", root]):
        result = run(*args)
        assert result.exit_code == 1, (args, result.output)
        assert message in result.output, (args, result.output)
        assert str(root.resolve() / "xlbridge.toml") in result.output


# --------------------------------------------------------------------------- a town's ledger, both sides
@pytest.fixture
def town_ledgers(tmp_path: Path) -> tuple[Path, Path]:
    """The workspace (良田镇 and 司法局 expected) and 良田镇's ledger as `ledgers build -w` issues it."""
    root = jinfeng_workspace(tmp_path / "ws", expected=["良田镇", "丰登镇", "司法局"])
    out = tmp_path / "issued"
    result = run("ledgers", "build", "jinfeng-2020", "--campaign", CAMPAIGN, "--out", out, "--unit", "良田镇",
                 "--period", PERIOD, "-w", root)
    assert result.exit_code == 0, result.output
    [issued] = out.glob("*.xlsx")
    return root, issued


def test_a_towns_ledger_carries_its_group_in_the_signed_metadata(town_ledgers: tuple[Path, Path]) -> None:
    _, issued = town_ledgers
    meta = read_ledger(issued).meta
    assert meta["unit"] == "良田镇" and meta["member_of"] == GROUP
    assert meta["system_data"] == ""  # the shipped system, with member_of, stands in on the clerk's side
    codes = [str(r[L.COLUMN["code"].index - 1]) for r in sheet_rows(issued, L.LEDGER_SHEET)[L.FIRST_DATA_ROW - 1:]
             if r[L.COLUMN["code"].index - 1] is not None]
    assert codes == town_led()
    # a unit of the shipped system gets no member_of: its ledger's metadata is as before
    shipped = filled_ledger(issued.parent, indicator_system=load_system("jinfeng-2020"), unit="司法局", name="司法局.xlsx")
    assert read_ledger(shipped).meta["member_of"] == ""


def fill_town(issued: Path, dst: Path) -> Path:
    """良田镇's ledger filled in by its clerk, as the sample clerk fills any ledger."""
    system = Workspace.load(issued.parent.parent / "ws").indicator_system()
    return fill_ledger(issued, dst, clerk_answer(system, "良田镇"), header=HEADER)


def test_the_clerks_check_and_the_service_agree_on_a_towns_ledger(town_ledgers: tuple[Path, Path], tmp_path: Path) -> None:
    root, issued = town_ledgers
    filled = fill_town(issued, tmp_path / "良田镇_2021-05.xlsx")
    clerk = validate_file(filled)  # the shipped system only, no key: as on the clerk's machine
    assert clerk.valid, clerk.summary
    assert {f.rule for f in clerk.findings} == {"signature-unchecked"}
    assert [i.key for i in clerk.system.assigned("良田镇")] == town_led()
    for args in ([filled], ["--system", "jinfeng-2020", filled]):
        result = run("validate", *args)
        assert result.exit_code == 0 and "不在指标体系" not in result.output, result.output
    # the service, with its key and the workspace's system
    outcome = run("ingest", filled, "-w", root, "--json")
    assert outcome.exit_code == 0, outcome.output
    [sub] = connect(root / "store.db").execute("SELECT unit, status, errors FROM submissions").fetchall()
    assert sub == ("良田镇", "accepted", 0)
    # the engine as the service runs it: the workspace's system (never the ledger's member_of), the key
    daemon = validate_grid(read_ledger(filled), Workspace.load(root).indicator_system(), KEY)
    assert {f.rule for f in daemon.report.findings} == set()
    assert [(f.rule, f.row, f.column) for f in clerk.findings if f.rule != "signature-unchecked"] == \
        [(f.rule, f.row, f.column) for f in daemon.report.findings]


def test_a_mistake_in_a_towns_ledger_is_found_alike_on_both_sides(town_ledgers: tuple[Path, Path], tmp_path: Path) -> None:
    root, issued = town_ledgers
    filled = fill_town(issued, tmp_path / "filled.xlsx")
    wb = openpyxl.load_workbook(filled)
    wb[L.LEDGER_SHEET].cell(L.FIRST_DATA_ROW, L.COLUMN["progress"].index).value = "差不多了"
    wb.save(bad := tmp_path / "良田镇_bad.xlsx")
    clerk = validate_file(bad)
    daemon = validate_grid(read_ledger(bad), Workspace.load(root).indicator_system(), KEY)
    clerk_errors = [(f.rule, f.row, f.column) for f in clerk.findings if f.rule != "signature-unchecked"]
    assert clerk_errors and clerk_errors == [(f.rule, f.row, f.column) for f in daemon.report.findings]
    assert not clerk.valid


def test_member_of_naming_no_group_of_the_system_is_refused_on_the_clerks_side(town_ledgers: tuple[Path, Path],
                                                                                tmp_path: Path) -> None:
    _, issued = town_ledgers
    forged = edited(issued, tmp_path / "forged.xlsx", set_meta("member_of", "各乡镇"))
    result = validate_file(forged)
    assert not result.valid
    [finding] = result.findings
    assert "member_of" in finding.message and "「各乡镇」" in finding.message and "没有这个单位" in finding.message


def test_the_service_refuses_a_forged_member_of(town_ledgers: tuple[Path, Path], tmp_path: Path) -> None:
    """member_of is signed: a ledger that names itself a member of another group is refused."""
    root, issued = town_ledgers
    forged = edited(fill_town(issued, tmp_path / "f.xlsx"), tmp_path / "良田镇_x.xlsx",
                    set_meta("member_of", f"{GROUP}\n政府各部门(单位)"))
    run("ingest", forged, "-w", root)
    [sub] = connect(root / "store.db").execute("SELECT status, signature FROM submissions").fetchall()
    assert sub == ("rejected", "invalid")


# --------------------------------------------------------------------------- everything derived in the workspace
def test_every_part_of_the_workspace_sees_the_towns(town_ledgers: tuple[Path, Path], tmp_path: Path) -> None:
    root, issued = town_ledgers
    filled = fill_town(issued, tmp_path / "良田镇_2021-05.xlsx")
    assert run("ingest", filled, "-w", root).exit_code == 0
    # status: the towns expected, 良田镇 reported, 丰登镇 not
    status = json.loads(run("status", "-w", root, "--period", PERIOD, "--json").output)
    by_unit = {u["unit"]: u for u in status["units"]}
    assert set(by_unit) == {"良田镇", "丰登镇", "司法局"}
    assert by_unit["良田镇"]["reported"] and not by_unit["丰登镇"]["reported"]
    assert by_unit["丰登镇"]["expected_rows"] == len(town_led())
    # the 汇总: units and missing units
    [summary] = (root / "outbox" / "汇总").glob(f"汇总台账_{PERIOD}*.xlsx")
    missing = [r[0] for r in sheet_rows(summary, "未报送")[1:] if r and r[0]]
    assert "丰登镇" in missing and "良田镇" not in missing
    matrix_header = sheet_rows(summary, "指标进度")
    assert any("良田镇" in str(c) for row in matrix_header[:3] for c in row)
    # ledgers next: a ledger for every expected town, carrying its group
    result = run("ledgers", "next", "-w", root, "--period", "2021-06", "--json")
    assert result.exit_code == 0, result.output
    files = [Path(f) for f in json.loads(result.output)["files"]]
    towns = {read_ledger(f).meta["unit"]: read_ledger(f).meta for f in files}
    assert {"良田镇", "丰登镇"} <= set(towns) and towns["丰登镇"]["member_of"] == GROUP
    assert validate_file(next(f for f in files if "丰登镇" in f.name)).system.unit("丰登镇") is not None
    # the supervision group: an inspection plan and scores for the towns
    plan = run("inspect", "plan", "-w", root, "--round", "2021-06", "--unit", "丰登镇", "--json")
    assert plan.exit_code == 0, plan.output
    scores = json.loads(run("score", "-w", root, "--period", "2021-06", "--json").output)
    assert {"良田镇", "丰登镇"} <= {u["unit"] for u in scores["units"]}
    # 催报 (as of today: `ingest` took the file now): a notice for the town that did not report, none for the other
    notices = [Path(f).name for f in json.loads(run("remind", "-w", root, "--period", PERIOD, "--as-of",
                                                    date.today().isoformat(), "--json").output)["files"]]
    assert any("丰登镇" in n for n in notices) and not any("良田镇" in n for n in notices), notices
    # the store knows the towns as units with their assignments
    db = connect(root / "store.db")
    assert db.execute("SELECT COUNT(*) FROM assignments WHERE unit = '丰登镇'").fetchone()[0] == len(town_led())


def test_check_system_of_the_workspace_system_is_clean(tmp_path: Path) -> None:
    system = Workspace.load(jinfeng_workspace(tmp_path / "ws")).indicator_system()
    assert check_system(system) == []


def test_a_town_listed_after_the_first_submission_joins_the_store(town_ledgers: tuple[Path, Path], tmp_path: Path) -> None:
    root, issued = town_ledgers
    assert run("ingest", fill_town(issued, tmp_path / "良田镇_2021-05.xlsx"), "-w", root).exit_code == 0
    config = root / "xlbridge.toml"
    text = config.read_text(encoding="utf-8").replace('"满城北街街道办事处"]', '"满城北街街道办事处", "黄河东路街道办事处"]')
    config.write_text(text.replace('"司法局"]', '"司法局", "黄河东路街道办事处"]'), encoding="utf-8")
    assert run("ledgers", "next", "-w", root, "--period", "2021-06", "--unit", "黄河东路街道办事处").exit_code == 0
    db = connect(root / "store.db")
    assert db.execute("SELECT is_group FROM units WHERE name = '黄河东路街道办事处'").fetchall() == [(0,)]
    assert db.execute("SELECT COUNT(*) FROM assignments WHERE unit = '黄河东路街道办事处'").fetchone()[0] == len(town_led())


@pytest.mark.skipif(sys.platform == "win32", reason="the daemon test signals a POSIX process")
def test_the_daemon_accepts_a_towns_ledger_through_its_workers(town_ledgers: tuple[Path, Path], tmp_path: Path) -> None:
    """The real daemon with two worker processes: the workspace's system (the towns) reaches them."""
    from test_daemon import DaemonProcess

    root, issued = town_ledgers
    config = root / "xlbridge.toml"
    config.write_text("workers = 2\n" + config.read_text(encoding="utf-8"), encoding="utf-8")  # before [members]
    daemon = DaemonProcess(root)
    try:
        daemon.start()
        (root / "inbox" / "良田镇").mkdir(parents=True, exist_ok=True)
        fill_town(issued, root / "inbox" / "良田镇" / "良田镇_2021-05.xlsx")
        daemon.wait_for(lambda: (root / "store.db").exists() and connect(root / "store.db").execute(
            "SELECT COUNT(*) FROM submissions").fetchone()[0] == 1, "the town's ledger to be stored")
        assert daemon.signal(signal.SIGTERM) == 0
    finally:
        daemon.ensure_stopped()
    [sub] = connect(root / "store.db").execute("SELECT unit, status, errors, signature FROM submissions").fetchall()
    assert sub == ("良田镇", "accepted", 0, "valid")
    assert (root / "outbox" / "良田镇").is_dir()


def test_the_government_departments_are_every_government_organ_the_table_names() -> None:
    """What jinfeng-2020's 政府各部门(单位) rests on (its members_note): the table lists no members;
    they are the units it names itself, less the Party organs, the supervisory commission and the courts."""
    jinfeng = load_system("jinfeng-2020")
    named = {u for i in jinfeng.indicators for u in (*i.lead, *i.cooperating) if not jinfeng.unit(u).group}
    not_government = {"编办", "网信办", "宣传部", "组织部", "监委", "金凤区人民法院", "金凤区人民检察院"}
    assert set(jinfeng.members_of("政府各部门(单位)")) == named - not_government
    note = jinfeng.unit("政府各部门(单位)").members_note
    assert "都没有列出" in note and "[members]" in note and all(u in note for u in ("编办", "监委", "法院", "检察院"))


def test_the_add_in_button_checks_a_towns_ledger_as_the_service_does(town_ledgers: tuple[Path, Path], tmp_path: Path) -> None:
    """The ribbon button (an in-memory book as Excel hands values over) finds the town's rows and
    the same mistake, at the same cell, as the service with the workspace's system."""
    from test_excel_ribbon import FakeBook

    from xlbridge.excel.ribbon import validate_book

    root, issued = town_ledgers
    filled = fill_town(issued, tmp_path / "filled.xlsx")
    wb = openpyxl.load_workbook(filled)
    wb[L.LEDGER_SHEET].cell(L.FIRST_DATA_ROW, L.COLUMN["progress"].index).value = "差不多了"
    wb.save(bad := tmp_path / "良田镇_bad.xlsx")
    outcome = validate_book(FakeBook(bad))
    assert outcome.validation is not None
    button = [(f.rule, f.cell) for f in outcome.validation.report.findings if f.rule != "signature-unchecked"]
    daemon = validate_grid(read_ledger(bad), Workspace.load(root).indicator_system(), KEY)
    assert button and button == [(f.rule, f.cell) for f in daemon.report.findings]


def test_a_department_the_table_does_not_name_joins_the_listed_ones(tmp_path: Path) -> None:
    """政府各部门(单位) lists the departments the table names; the workspace adds one it knows."""
    members = f'"政府各部门(单位)" = ["教育局"]\n"{GROUP}" = ["良田镇"]'
    system = Workspace.load(jinfeng_workspace(tmp_path / "ws", members=members)).indicator_system()
    shipped = load_system("jinfeng-2020")
    assert system.members_of("政府各部门(单位)") == [*shipped.members_of("政府各部门(单位)"), "教育局"]
    named = [i.key for i in shipped.indicators if "政府各部门(单位)" in (*i.lead, *i.cooperating)]
    assert [i.key for i in system.assigned("教育局")] == named
    assert system.supplied_groups("教育局") == ("政府各部门(单位)",)
    assert system.unit("政府各部门(单位)").members_note.startswith(shipped.unit("政府各部门(单位)").members_note)
    assert [i.key for i in system.assigned("司法局")] == [i.key for i in shipped.assigned("司法局")]


def test_a_setting_written_below_members_is_said_to_belong_there(tmp_path: Path) -> None:
    root = jinfeng_workspace(tmp_path / "ws", members=f'"{GROUP}" = ["良田镇"]\ndeadline_day = 3')
    result = run("status", "-w", root)
    assert result.exit_code == 1
    assert "[members]「deadline_day」应为单位名称的列表" in result.output and "须写在配置文件最后" in result.output


def test_a_ledger_in_two_groups_saved_by_libreoffice_checks_alike(tmp_path: Path,
                                                                   tmp_path_factory: pytest.TempPathFactory) -> None:
    """A unit the workspace made a member of two groups (member_of on two lines), filled and saved by
    LibreOffice as a clerk would: the clerk's check and the service agree, the signature holds."""
    from test_libreoffice import resave

    members = f'"{GROUP}" = ["良田镇"]\n"政府各部门(单位)" = ["良田镇"]'
    root = jinfeng_workspace(tmp_path / "ws", members=members, expected=["良田镇"])
    out = tmp_path / "issued"
    assert run("ledgers", "build", "jinfeng-2020", "--campaign", CAMPAIGN, "--out", out, "--unit", "良田镇",
               "--period", PERIOD, "-w", root).exit_code == 0
    [issued] = out.glob("*.xlsx")
    assert read_ledger(issued).meta["member_of"] == f"{GROUP}\n政府各部门(单位)"
    system = Workspace.load(root).indicator_system()
    filled = fill_ledger(issued, tmp_path / "filled" / "良田镇_2021-05.xlsx", clerk_answer(system, "良田镇"), header=HEADER)
    saved = resave(filled, tmp_path / "saved", tmp_path_factory)
    assert read_ledger(saved).meta["member_of"] == f"{GROUP}\n政府各部门(单位)"
    clerk = validate_file(saved)
    assert clerk.valid, clerk.summary
    assert [i.key for i in clerk.system.assigned("良田镇")] == [i.key for i in system.assigned("良田镇")]
    daemon = validate_grid(read_ledger(saved), system, KEY)
    assert [(f.rule, f.cell) for f in clerk.findings if f.rule != "signature-unchecked"] == \
        [(f.rule, f.cell) for f in daemon.report.findings]
    assert daemon.signature_ok is True

"""Group units with members (issue 13): a group-led indicator reaches every member's ledger as
lead; `schema check` names every indicator that reaches no ledger and every group without members.

Real files throughout: the shipped jinfeng-2020 YAML, ledgers written and read back with openpyxl,
a real SQLite store.
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
from click.testing import CliRunner
from ledger_fixtures import build_ledger

from xlbridge.cli import main
from xlbridge.ledger import layout as L
from xlbridge.service import store
from xlbridge.system.files import load_system

ENFORCEMENT = ["综合执法局", "市场监管分局", "生态环境分局", "农业农村和水务局", "住房城乡建设和交通局",
               "文化旅游体育广电局", "公安分局"]
# the 24 indicators of jinfeng-2020 led only by groups (各行政执法部门(单位), 政府各部门(单位), 各镇、街道办事处)
GROUP_LED = ["12", "19", "36", "37", "46", "47", "49", "50", "51", "52", "53", "54", "55", "56", "58", "59", "60",
             "61", "62", "64", "65", "66", "85", "87"]


def check(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["schema", "check", *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_jinfeng_declares_members_where_the_table_supports_it() -> None:
    jinfeng = load_system("jinfeng-2020")
    assert jinfeng.members_of("各行政执法部门") == ENFORCEMENT  # an alias finds the group too
    assert "第45项" in jinfeng.unit("各行政执法部门(单位)").members_note
    assert len(jinfeng.members_of("政府各部门(单位)")) == 16
    assert "组织部" not in jinfeng.members_of("政府各部门(单位)")
    towns = jinfeng.unit("各镇、街道办事处")
    assert towns.members == [] and "无从得知" in towns.members_note


def test_every_jinfeng_indicator_reaches_a_ledger() -> None:
    jinfeng = load_system("jinfeng-2020")
    on_ledgers = {i.key for u in jinfeng.reporting_units for i in jinfeng.assigned(u.name)}
    assert on_ledgers == {i.key for i in jinfeng.indicators}
    for key in GROUP_LED:
        ind = jinfeng.indicator(key)
        assert all(jinfeng.unit(u).group for u in ind.lead), key
        assert any(jinfeng.role(ind, u.name) == "牵头" for u in jinfeng.reporting_units), key
    assert jinfeng.role(jinfeng.indicator("46"), "公安分局") == "牵头"
    assert jinfeng.role(jinfeng.indicator("19"), "民政局") == "牵头"
    assert jinfeng.role(jinfeng.indicator("19"), "组织部") is None  # a Party organ, not a government department


def test_blanket_all_units_cooperate_keeps_todays_rule() -> None:
    """各部门(单位)配合 stays with the lead: indicator 1 is on 行政审批局's ledger only."""
    jinfeng = load_system("jinfeng-2020")
    one = jinfeng.indicator("1")
    assert one.all_units_cooperate
    assert [u.name for u in jinfeng.reporting_units if one in jinfeng.assigned(u.name)] == ["行政审批局"]


def test_member_ledger_carries_group_led_rows_as_lead(tmp_path: Path) -> None:
    jinfeng = load_system("jinfeng-2020")
    path = build_ledger(tmp_path, indicator_system=jinfeng, unit="公安分局", years=[2020])
    ws = openpyxl.load_workbook(path)[L.LEDGER_SHEET]
    roles = {}
    for r in range(L.FIRST_DATA_ROW, ws.max_row + 1):
        code = ws.cell(r, L.COLUMN["code"].index).value
        if code is not None:
            roles[str(code)] = ws.cell(r, L.COLUMN["role"].index).value
    enforcement_led = [k for k in GROUP_LED if "各行政执法部门(单位)" in jinfeng.indicator(k).lead]
    assert all(roles[k] == "牵头" for k in enforcement_led)
    assert roles["57"] == "牵头"  # named itself
    assert set(roles) == {i.key for i in jinfeng.assigned("公安分局")}


def test_store_assignments_include_members(tmp_path: Path) -> None:
    db = store.open_store(tmp_path / "store.db")
    store.register_system(db, load_system("jinfeng-2020"))
    rows = set(db.execute("SELECT unit, role FROM assignments WHERE system_id = 'jinfeng-2020' AND indicator_key = '46'"))
    assert rows == {(u, "牵头") for u in ENFORCEMENT}


def test_check_jinfeng_lists_no_indicator_without_a_ledger() -> None:
    code, output = check("jinfeng-2020", "--json")
    assert code == 0
    findings = json.loads(output)
    assert [f["rule"] for f in findings] == ["group-members-missing"]
    assert findings[0]["field"] == "单位 各镇、街道办事处"


BASE = """\
id: t
title: 测试
issuer: 测试
units:
- name: 司法局
- name: 各镇、街道办事处
  group: true
- name: 各行政执法部门
  group: true
  members: [司法局, 审计局]
indicators:
- {key: '1', code: '1', level1: 一, level3: 内容一。, lead: [司法局]}
- {key: '2', code: '2', level1: 一, level3: 镇街道做好普法宣传。, lead: [各镇、街道办事处]}
- {key: '3', code: '3', level1: 一, level3: 执法公示。, lead: [各行政执法部门]}
"""


def test_check_names_unreached_indicators_groups_without_members_and_unknown_members(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(BASE, encoding="utf-8")
    code, output = check(str(path))
    assert code == 1  # 审计局 is not a registered unit
    assert "（指标 2）：不会进入任何单位的台账：责任单位「各镇、街道办事处」是集体，且没有登记成员（members）。指标内容：镇街道做好普法宣传。（规则 ledger-none）" in output
    assert "（单位 各镇、街道办事处）：集体「各镇、街道办事处」没有登记成员（members）" in output
    assert "（单位 各行政执法部门）：成员「审计局」未在 units 中登记（或不是登记的名称）（规则 member-unknown）" in output
    assert "指标 3）：不会进入" not in output  # 司法局 is a member: it reaches a ledger


def test_a_copy_with_other_members_answers_with_its_own_assignments() -> None:
    system = load_system("jinfeng-2020")
    member = ENFORCEMENT[0]
    before = {i.key for i in system.assigned(member)}  # fills the original's caches
    units = [u.model_copy(update={"members": [m for m in u.members if m != member]}) if u.group else u
             for u in system.units]
    copy = system.model_copy(update={"units": units})
    after = {i.key for i in copy.assigned(member)}
    assert set(GROUP_LED) & before - after, "the group-led rows leave the former member's ledger"
    assert {i.key for i in system.assigned(member)} == before, "the original is unchanged"

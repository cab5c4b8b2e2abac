"""The README's first command: the whole cycle on a shipped indicator system.

Builds every unit's ledger, fills them as clerks would (a deterministic sample: most on time,
some late, one with content errors, one tampered with, one unit silent), ingests them through
the daemon's pipeline, and writes receipts and the consolidated workbook; then the supervision
group's June round: inspection workbooks, two units found lacking, scores and the quarter's 通报.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import openpyxl

from xlbridge.errors import XlbridgeError
from xlbridge.ledger import layout as L
from xlbridge.ledger.sample import clerk_answer, fill_ledger
from xlbridge.ledger.signature import load_or_create_key
from xlbridge.ledger.writer import build_ledgers
from xlbridge.service import store
from xlbridge.service.consolidate import consolidate
from xlbridge.service.ingest import ingest_file
from xlbridge.service.next_ledgers import write_next_ledgers
from xlbridge.service.workspace import Workspace
from xlbridge.supervision import hooks
from xlbridge.supervision import layout as S
from xlbridge.supervision.bulletin import quarter_facts, write_bulletin
from xlbridge.supervision.commands import scores_as_of
from xlbridge.supervision.plan import plan_round
from xlbridge.system.files import DEFAULT_SYSTEM, load_system
from xlbridge.system.summary import describe

CAMPAIGN = 2021
PERIOD = "2021-05"
NEXT_PERIOD = "2021-06"
ON_TIME = datetime(2021, 5, 28, 16, 30)
LATE = datetime(2021, 6, 3, 9, 15)
JUNE_ON_TIME = datetime(2021, 6, 29, 10, 0)
INSPECTED = datetime(2021, 7, 5, 15, 0)  # the June round, carried out early in July
FOLLOWING = "2021-07"
DEMO_MARKER = ".xlbridge-demo"


def run_demo(system_name: str | None, workspace: Path, echo: Callable[[str], None] = print) -> None:
    system_id = system_name or DEFAULT_SYSTEM
    system = load_system(system_id)
    if workspace.exists():
        if any(workspace.iterdir()) and not (workspace / DEMO_MARKER).exists():
            # Never wipe a real workspace (its archive is every file units ever sent) or any other folder.
            raise XlbridgeError(f"{workspace} 不是空目录，也不是演示工作区；为免误删，请换一个目录运行演示")
        shutil.rmtree(workspace)  # the demo always starts from nothing
    workspace.mkdir(parents=True)
    (workspace / DEMO_MARKER).write_text("xlbridge demo workspace: `xlbridge demo` empties this folder\n", encoding="utf-8")
    ws = Workspace.load(workspace, system=system_id, campaign=CAMPAIGN).ensure()
    hooks.register()  # the supervision group's inspection workbooks, 整改 sheets, 得分 and 整改 in 汇总
    key, _ = load_or_create_key(ws.key_file)
    echo("\n".join(describe(system)))

    ledgers = build_ledgers(system, CAMPAIGN, ws.root / "ledgers", key, period=PERIOD)
    echo(f"\n① 已为 {len(ledgers)} 个单位生成工作台账 → {ws.root / 'ledgers'}")

    submissions = _fill_as_clerks(system, ledgers, ws.root / "submitted")
    echo(f"② 各单位填报（{len(submissions)} 份，其中逾期 2 份、有内容错误 1 份、被改动 1 份，1 个单位未报送）")

    db = store.open_store(ws.store)
    accepted = _receive(ws, db, key, submissions, echo)
    may = consolidate(ws, db, PERIOD)
    echo("\n③ 5 月收取完成：")
    echo(f"   中心库：{ws.store}")
    echo(f"   原始文件存档：{ws.archive}")
    echo(f"   各单位回执：{ws.outbox}/<单位>/")
    echo(f"   汇总台账（综合协调组）：{may}")

    june_ledgers = write_next_ledgers(ws, db, NEXT_PERIOD)
    echo(f"\n④ 已生成 {len(june_ledgers)} 份 {NEXT_PERIOD} 台账，按各单位 5 月的填报预填 → {ws.outbox}/<单位>/")
    june = _june_as_clerks(system, june_ledgers, ws.root / "submitted-06", accepted)
    echo(f"⑤ 各单位在预填台账上只改本月有变化的内容（{len(june)} 份，1 个单位未报送）")
    _receive(ws, db, key, june, echo)
    may, june_book = (consolidate(ws, db, month) for month in (PERIOD, NEXT_PERIOD))
    echo("\n⑥ 6 月收取完成：")
    echo(f"   汇总台账 {PERIOD}：{may}")
    echo(f"   汇总台账 {NEXT_PERIOD}：{june_book}")
    _inspection_round(ws, db, key, echo)
    db.close()


def _inspection_round(ws: Workspace, db, key: bytes, echo: Callable[[str], None]) -> None:  # type: ignore[no-untyped-def]
    """⑦ The supervision group's June round: inspection workbooks, two units found lacking,
    the scores, the 汇总 with 得分 and 整改, and the quarter's 通报."""
    planned = plan_round(ws, db, NEXT_PERIOD, today=INSPECTED.date())
    echo(f"\n⑦ 督导检查组 {NEXT_PERIOD} 检查：已生成 {len(planned)} 份检查表 → {planned[0].parent}")
    for n, path in enumerate(planned):
        filled = _inspect_as_group(path, ws.root / "inspected" / path.name, lacking=n in (1, 2))
        inbox_copy = ws.inbox / filled.name
        shutil.copy2(filled, inbox_copy)
        ingest_file(ws, db, inbox_copy, key, received_at=INSPECTED)
    items = db.execute("SELECT COUNT(*) FROM rectification_items").fetchone()[0]
    echo(f"   检查结果已收取，提出整改事项 {items} 项（单位在 {FOLLOWING} 台账的“整改”表中答复）；回执 → {planned[0].parent}")
    scores = scores_as_of(ws, db, NEXT_PERIOD)
    echo("   得分（前 3 名）：" + "；".join(f"{s.rank}. {s.unit} {s.score:g}" for s in scores[:3] if s.score is not None))
    echo(f"   汇总台账（含得分、整改）：{consolidate(ws, db, NEXT_PERIOD)}")
    bulletin = write_bulletin(quarter_facts(ws, db, "2021Q2", INSPECTED.date()), ws.outbox / "督导检查" / "通报_2021Q2.docx")
    echo(f"   2021 年第二季度通报：{bulletin}")


def _inspect_as_group(src: Path, dst: Path, lacking: bool) -> Path:
    """Every indicator checked 符合; a unit found lacking gets its first one 不符合, with the full
    problem, requirement, deduction and deadline the check asks for."""
    wb = openpyxl.load_workbook(src)
    sheet = wb[S.INSPECTION_SHEET]
    sheet.cell(S.INPUT_ROW, S.HEADER_FIELD["inspector"].value_col, "督导检查组")
    sheet.cell(S.INPUT_ROW, S.HEADER_FIELD["inspected_on"].value_col, f"{INSPECTED:%Y-%m-%d}")
    column = S.INSPECTION_COLUMN
    for row in range(S.FIRST_ROW, sheet.max_row + 1):
        if sheet.cell(row, column["code"].index).value:
            sheet.cell(row, column["conclusion"].index, S.CONFORM)
    if lacking:
        points = float(sheet.cell(S.FIRST_ROW, column["points"].index).value or 0)
        for key, value in (("conclusion", S.NONCONFORM), ("problem", "台账材料与网站公开内容不一致"),
                           ("deduction", min(2.0, points)), ("requirement", "核对并更正公开内容"),
                           ("due", f"{FOLLOWING}-31")):
            sheet.cell(S.FIRST_ROW, column[key].index, value)
    dst.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dst)
    return dst


def _receive(ws: Workspace, db, key: bytes, files: dict[Path, datetime], echo: Callable[[str], None]) -> set[str]:  # type: ignore[no-untyped-def]
    """Ingest files in arrival order (simulated arrival times); the units accepted."""
    accepted = set()
    for path, arrived in sorted(files.items(), key=lambda item: item[1]):
        inbox_copy = ws.inbox / path.name
        shutil.copy2(path, inbox_copy)
        outcome = ingest_file(ws, db, inbox_copy, key, received_at=arrived)
        label = {"accepted": "已接收", "rejected": "已退回", "duplicate": "重复"}[outcome.status]
        echo(f"   {label}  {outcome.unit or '?'}  {outcome.summary}".rstrip())
        if outcome.status == "accepted" and outcome.unit:
            accepted.add(outcome.unit)
    store.refresh_search(db)
    return accepted


def _june_as_clerks(system, ledgers: list[Path], out: Path, reported: set[str]) -> dict[Path, datetime]:  # type: ignore[no-untyped-def]
    """June on the pre-filled ledgers: every fifth row gets a new 进度说明; a unit whose May was
    not accepted fills its ledger whole; the first unit stays silent."""
    filled = {}
    header = {"period": NEXT_PERIOD, "filled_on": f"{NEXT_PERIOD}-28", "filled_by": "填表人"}
    for n, ledger in enumerate(ledgers[1:]):
        unit = ledger.name.split("_", 1)[0]
        dst = out / f"{unit}_{NEXT_PERIOD}.xlsx"
        if unit not in reported:
            fill_ledger(ledger, dst, clerk_answer(system, unit), header=header)
        else:
            _update_a_fifth(ledger, dst)
        filled[dst] = JUNE_ON_TIME.replace(minute=n % 60)
    return filled


def _update_a_fifth(src: Path, dst: Path) -> None:
    wb = openpyxl.load_workbook(src)
    ws = wb[L.LEDGER_SHEET]
    column = L.COLUMN["description"].index
    for row in range(L.FIRST_DATA_ROW, ws.max_row + 1, 5):
        if ws.cell(row, L.COLUMN["progress"].index).value:
            ws.cell(row, column, f"{ws.cell(row, column).value or ''}6月：按计划继续推进，已形成阶段性材料。"[-480:])
    dst.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dst)


def _fill_as_clerks(system, ledgers: list[Path], out: Path) -> dict[Path, datetime]:  # type: ignore[no-untyped-def]
    """Deterministic variety: the last unit is silent, two are late, one has errors, one is tampered.
    Returns each filled ledger with the time it is to arrive."""
    filled = {}
    for n, ledger in enumerate(ledgers[:-1]):
        unit = ledger.name.split("_", 1)[0]
        answer = clerk_answer(system, unit)
        if n == 1:
            answer = _with_errors(answer)
        dst = out / f"{unit}_{PERIOD}.xlsx"
        header = {"period": PERIOD, "filled_on": f"{PERIOD}-28", "filled_by": "填表人"}
        fill_ledger(ledger, dst, answer, header=header)
        if n == 2:
            _tamper(dst)
        filled[dst] = LATE if n in (3, 4) else ON_TIME.replace(minute=n % 60)
    return filled


def _with_errors(answer):  # type: ignore[no-untyped-def]
    def wrong(year: int, code: str):  # type: ignore[no-untyped-def]
        values = dict(answer(year, code))
        if code.endswith("1"):
            values.update(progress="完成了", description="")
        if code.endswith("2"):
            values.update(links="www.example.gov.cn/a", phone="12345")
        return values

    return wrong


def _tamper(path: Path) -> None:
    """A clerk unlocks the sheet and edits a pre-filled cell: the submission must be rejected."""
    wb = openpyxl.load_workbook(path)
    ws = wb[L.LEDGER_SHEET]
    ws.cell(L.FIRST_DATA_ROW, L.COLUMN["indicator"].index, "（已改写的指标内容）")
    wb.save(path)

"""The `xlbridge` command. Each command parses options, makes one call into the library and
prints; every XlbridgeError becomes a Chinese message and exit code 1, never a traceback."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from xlbridge import click_zh
from xlbridge.errors import XlbridgeError, describe, friendly
from xlbridge.findings import Finding, Severity


def _utf8_console() -> None:
    # Windows consoles default to a legacy code page; our output is Chinese.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")


@click.group(cls=click_zh.Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="xlbridge")
def main() -> None:
    """xlbridge：法治政府建设工作台账的生成、校验、收取与汇总。"""
    _utf8_console()


json_option = click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（英文键名、中文原样，见 README）")


def echo_json(data: Any) -> None:
    """JSON for other programs: stable English keys, Chinese as it is (not \\u-escaped)."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def echo_either(as_json: bool, data: Any, lines: Iterable[str]) -> None:
    """A command's result as JSON (``--json``) or as its Chinese lines."""
    if as_json:
        echo_json(data)
    else:
        click.echo("\n".join(lines))


def print_findings(findings: list[Finding], as_json: bool = False) -> None:
    if as_json:
        echo_json([f.as_json() for f in findings])
        return
    for f in findings:
        color = {Severity.error: "red", Severity.warning: "yellow"}.get(f.severity)
        click.secho(f.line(), fg=color)


# --------------------------------------------------------------------------- schema
@main.group()
def schema() -> None:
    """指标体系文件：导入、检查、查看。"""


system_argument = click_zh.argument("system", metavar="指标体系",
                                     help="内置指标体系名（如 jinfeng-2020，见 schema/）或指标体系文件（.yaml / .json）的路径")


@schema.command("check")
@click_zh.argument("files", nargs=-1, metavar="文件或体系名...",
                   help="要检查的指标体系文件路径或内置体系名，可以给多个；用 -w 时可以不写")
@click.option("--workspace", "-w", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="按这个工作区的设置（含 [members] 补充的集体成员）检查；不写文件名时检查工作区的指标体系")
@json_option
@friendly
def schema_check(files: tuple[str, ...], workspace: Path | None, as_json: bool) -> None:
    """检查指标体系文件，逐条报告问题及位置。每个可以是文件路径或内置体系名。"""
    from xlbridge.system.files import check_system

    if not files and workspace is None:
        raise click.UsageError("请写出要检查的指标体系文件或体系名，或用 -w 指定工作区")
    failed = False
    all_findings: list[Finding] = []
    for name in files or [None]:
        try:
            system = _system_for(name, workspace)
        except XlbridgeError as exc:
            failed = True
            click.secho(str(exc), fg="red", err=True)
            continue
        label = str(name or system.id)
        findings = check_system(system, file=label)
        all_findings += findings
        failed |= any(f.severity is Severity.error for f in findings)
        if not as_json:
            verdict = "有错误" if any(f.severity is Severity.error for f in findings) else "通过"
            click.echo(f"{label}：{len(system.indicators)} 项指标，检查{verdict}（{len(findings)} 条提示）")
    print_findings(all_findings, as_json)
    if failed:
        sys.exit(1)


optional_system_argument = click_zh.argument(
    "system", metavar="[指标体系]", required=False,
    help="内置指标体系名或指标体系文件的路径；用 -w 时可以不写（用工作区的指标体系）")
system_workspace_option = click.option(
    "--workspace", "-w", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="按这个工作区的设置（含 [members] 补充的集体成员）；不写指标体系时用工作区的指标体系")


def _system_for(name: str | None, workspace: Path | None):  # type: ignore[no-untyped-def]
    """The system ``name`` names; with a workspace of that system, as the workspace has it (the
    members its settings add). No name: the workspace's own."""
    from xlbridge.system.files import load_system
    from xlbridge.system.members import with_members

    if workspace is None:
        if name is None:
            raise click.UsageError("请写出指标体系（内置体系名或 YAML 文件），或用 -w 指定工作区")
        return load_system(name)
    ws = _workspace(workspace)
    if name is None:
        return ws.indicator_system()
    named = load_system(name)
    return with_members(named, ws.members, ws.members_source) if named.id == load_system(ws.system).id else named


@schema.command("show")
@optional_system_argument
@system_workspace_option
@json_option
@friendly
def schema_show(system: str | None, workspace: Path | None, as_json: bool) -> None:
    """指标体系概况：各级指标、类别、测评方法的数量。"""
    from xlbridge.system.summary import describe, overview

    loaded = _system_for(system, workspace)
    echo_either(as_json, overview(loaded), describe(loaded))


@schema.command("units")
@optional_system_argument
@system_workspace_option
@json_option
@friendly
def schema_units(system: str | None, workspace: Path | None, as_json: bool) -> None:
    """每个责任单位牵头和配合的指标。"""
    from xlbridge.system.summary import assignments, unit_assignments

    loaded = _system_for(system, workspace)
    echo_either(as_json, assignments(loaded), unit_assignments(loaded))


@schema.command("diff")
@click_zh.argument("old", metavar="旧版本", help="原来的指标体系：内置体系名或文件路径")
@click_zh.argument("new", metavar="新版本", help="修订后的指标体系：内置体系名或文件路径")
@json_option
@friendly
def schema_diff(old: str, new: str, as_json: bool) -> None:
    """两个版本的指标体系之间：新增、删除、改写、调整责任单位的指标，以及更名的单位。"""
    from xlbridge.system.files import load_system
    from xlbridge.system.revision import compare, describe

    rev = compare(load_system(old), load_system(new))
    if not as_json:
        click.echo("\n".join(describe(rev)))
        return
    echo_json({
        "old": {"id": rev.old.id, "version": rev.old.version}, "new": {"id": rev.new.id, "version": rev.new.version},
        "added": [{"key": i.key, "level1": i.level1, "text": i.text, "lead": i.lead} for i in rev.added],
        "removed": [{"key": i.key, "level1": i.level1, "text": i.text} for i in rev.removed],
        "reworded": [{"key": after.key, "fields": changed} for _, after, changed in rev.reworded],
        "reassigned": [{"key": after.key, "lead": [before.lead, after.lead],
                        "cooperating": [before.cooperating, after.cooperating]} for before, after in rev.reassigned],
        "renamed": [{"old": a, "new": b} for a, b in rev.renamed.items()],
        "units_added": rev.units_added, "units_removed": rev.units_removed,
    })


@schema.command("import")
@click_zh.argument("table", metavar="指标表", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                   help="印发的指标责任分工表：Excel（.xlsx）或 Word（.docx）文件")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="输出的 .yaml 文件（--preview 时可省略）")
@click.option("--sheet", help="工作表名（默认自动识别含表头的工作表）")
@click.option("--id", "system_id", help="指标体系 id（默认取输出文件名）")
@click.option("--issuer", default="未注明", show_default=True, help="发文单位")
@click.option("--map", "overrides", multiple=True, metavar="列名=字段",
              help="指定某列对应的字段，优先于自动识别，可多次使用：--map '具体内容=points' --map '主要任务=level1'。"
                   "列名也可写列字母（C=points）。字段：code level1 level2 level3 points scoring score methods "
                   "materials lead cooperating units persons deadline note assessor ignore")
@click.option("--preview", "preview", is_flag=False, flag_value=10, type=int, default=None, metavar="[N]",
              help="只显示列的对应关系和前 N 项（默认 10）指标的识别结果，不写文件")
@json_option
@friendly
def schema_import(table: Path, output: Path | None, sheet: str | None, system_id: str | None, issuer: str,
                  overrides: tuple[str, ...], preview: int | None, as_json: bool) -> None:
    """从 Excel 指标表（常由 Word 转换而来）导入指标体系。"""
    from xlbridge.system.files import save_system
    from xlbridge.system.summary import import_preview
    from xlbridge.system.table_import import import_table

    if output is None and preview is None:
        raise click.UsageError("请用 -o 指定输出的 .yaml 文件（或用 --preview 先查看识别结果）")
    default_id = (output.stem if output else table.stem).lower()
    if system_id is None and preview is not None and output is None:
        default_id = "preview"
    result = import_table(table, system_id=system_id or default_id, issuer=issuer, sheet=sheet, overrides=overrides)
    if preview is not None:
        print_findings(result.findings)
        click.echo("\n".join(import_preview(result.system, result.columns, preview)))
        click.echo("（预览，未写入任何文件）")
        return
    assert output is not None
    save_system(result.system, output)
    failed = any(f.severity is Severity.error for f in result.findings)
    if as_json:
        echo_json({"output": output, "indicators": len(result.system.indicators), "units": len(result.system.units),
                   "findings": [f.as_json() for f in result.findings]})
    else:
        print_findings(result.findings)
        click.echo(f"已导入 {len(result.system.indicators)} 项指标、{len(result.system.units)} 个单位 → {output}")
        if failed:
            click.secho("有无法识别的行（见上），请核对原表后重新导入或手工补充。", fg="red")
    if failed:
        sys.exit(1)


@schema.command("jsonschema")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="写入此文件（默认输出到屏幕）")
@friendly
def schema_jsonschema(output: Path | None) -> None:
    """导出指标体系的 JSON Schema。"""
    from xlbridge.system.files import json_schema

    text = json_schema()
    if output:
        output.write_text(text + "\n", encoding="utf-8")
    else:
        click.echo(text)


# --------------------------------------------------------------------------- demo
@main.command()
@click.option("--system", default=None, help="指标体系（默认 jinfeng-2020）")
@click.option("--workspace", "-w", type=click.Path(file_okay=False, path_type=Path), default=Path("demo-workspace"), show_default=True,
              help="演示工作区（每次运行前清空）")
@friendly
def demo(system: str | None, workspace: Path) -> None:
    """在内置指标体系上演示完整流程，并打印生成文件的位置。"""
    from xlbridge.demo import run_demo

    run_demo(system, workspace, echo=click.echo)


# --------------------------------------------------------------------------- ledgers
workspace_option = click.option(
    "--workspace", "-w", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True,
    help="工作区目录（含 inbox/、archive/、outbox/、store.db、xlbridge.toml）",
)

key_option = click.option(
    "--key-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="综合协调组的签名密钥（默认 $XLBRIDGE_KEY_FILE 或 ./xlbridge.key）",
)


@main.group()
def ledgers() -> None:
    """各单位工作台账。"""


@ledgers.command("build")
@system_argument
@click.option("--campaign", type=int, required=True, help="考核年度，如 2021")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="输出目录")
@click.option("--unit", "units", multiple=True, help="只生成这个单位的台账（可重复）")
@click.option("--years", help="台账覆盖的年度，如 2016-2021 或 2021（默认取指标体系的年度范围）")
@click.option("--period", help="台账所报告的月份（预填报送月份），如 2021-05")
@click.option("--workspace", "-w", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="用这个工作区的签名密钥签名（与 --key-file 二选一），并按它的设置补充集体成员（[members]）")
@key_option
@json_option
@friendly
def ledgers_build(system: str, campaign: int, out: Path, units: tuple[str, ...], years: str | None,
                  period: str | None, workspace: Path | None, key_file: Path | None, as_json: bool) -> None:
    """为每个责任单位生成工作台账（带下拉、字数限制、锁定和签名）。"""
    from xlbridge.ledger.writer import build_ledgers

    # Every argument is checked before anything is written; with -w, the workspace's members too.
    indicator_system = _system_for(system, workspace)
    year_list = _years(years)
    month = _period(period, campaign) if period else None
    key_bytes = _signing_key(workspace, key_file)
    paths = build_ledgers(indicator_system, campaign, out, key_bytes, list(units) or None, year_list, month)
    _echo_files(paths, f"共生成 {len(paths)} 份台账 → {out}", as_json)


def _echo_files(paths: list[Path], total: str | None, as_json: bool) -> None:
    """The files a command wrote, one a line and a total, or as JSON {"files": [...]}."""
    if as_json:
        echo_json({"files": paths})
        return
    for p in paths:
        click.echo(str(p))
    if total:
        click.echo(total)


@ledgers.command("next")
@workspace_option
@click.option("--period", required=True, help="下发哪个月的台账，如 2021-06")
@click.option("--unit", "units", multiple=True, help="只生成这个单位的台账（可重复）")
@json_option
@friendly
def ledgers_next(workspace: Path, period: str, units: tuple[str, ...], as_json: bool) -> None:
    """按各单位最近一次被接收的填报内容预填，生成该月台账，写入 outbox/<单位>/。"""
    from xlbridge.service.next_ledgers import write_next_ledgers

    ws = _workspace(workspace)
    month = _period(period, ws.campaign)
    _signing_key(workspace, None)  # say how to get a key before touching the store
    _register_supervision()
    db = _existing_store(ws)
    try:
        paths = write_next_ledgers(ws, db, month, list(units) or None)
    finally:
        db.close()
    _echo_files(paths, f"共生成 {len(paths)} 份 {month} 台账（已按上次报送预填）", as_json)


def _signing_key(workspace: Path | None, key_file: Path | None) -> bytes:
    """An existing key only: a key made here would sign ledgers the workspace rejects."""
    from xlbridge.ledger.signature import key_path, load_key

    path = key_file or (_workspace(workspace).key_file if workspace else key_path(None))
    if not path.exists():
        hint = f"xlbridge key init -w {workspace}" if workspace else "xlbridge key init -w 工作区目录，再用 -w 指定该工作区"
        raise XlbridgeError(f"找不到签名密钥 {path}。台账必须用工作区的密钥签名，请先运行 {hint}")
    return load_key(path)


def _period(text: str, campaign: int | None) -> str:
    from xlbridge.service.consolidate import check_period

    month = check_period(text)
    if campaign and int(month[:4]) != campaign:
        raise XlbridgeError(f"月份 {month} 不在 {campaign} 考核年度内")
    return month


def _years(text: str | None) -> list[int] | None:
    if not text:
        return None
    first, _, last = text.partition("-")
    if not (first.isdecimal() and len(first) == 4 and (not last or (last.isdecimal() and len(last) == 4))):
        raise click.BadParameter(f"年度「{text}」应写成 2016-2021 或 2021")
    years = list(range(int(first), int(last or first) + 1))
    if not years:
        raise click.BadParameter(f"年度「{text}」起止颠倒，应写成 2016-2021")
    return years


# --------------------------------------------------------------------------- validate
@main.command()
@click_zh.argument("files", nargs=-1, required=True, metavar="台账文件...", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                   help="要校验的工作台账（.xlsx），可以给多个")
@click.option("--system", "system_name", help="指标体系（默认：台账携带的指标体系，否则按台账中的标识选内置体系）")
@json_option
@click.option("--all", "show_all", is_flag=True, help="同时列出“提示”（自动规范化的单元格）")
@key_option
@friendly
def validate(files: tuple[Path, ...], system_name: str | None, as_json: bool, show_all: bool, key_file: Path | None) -> None:
    """校验一个或多个台账文件；有错误时退出码为 1。"""
    from xlbridge.check.files import validate_file
    from xlbridge.ledger.signature import key_path, load_key

    path = key_path(key_file)
    key = load_key(path) if (key_file or path.exists()) else None
    results = []
    failed = False
    for file in files:
        result = validate_file(file, system_name, key)
        failed |= not result.valid
        results.append((file, result))
    if as_json:
        echo_json([{"file": f, "valid": r.valid, "summary": r.summary, "findings": [x.as_json() for x in r.findings]}
                   for f, r in results])
    else:
        for file, result in results:
            click.secho(f"{file}：{result.summary}", fg="green" if result.valid else "red", bold=True)
            shown = [f for f in result.findings if show_all or f.severity is not Severity.info]
            print_findings(shown)
            if len(shown) < len(result.findings):
                click.echo(f"另有 {len(result.findings) - len(shown)} 条提示（自动规范化的单元格等），加 --all 查看")
    if failed:
        sys.exit(1)


# --------------------------------------------------------------------------- coordination group


def _workspace(workspace: Path, **overrides: Any):  # type: ignore[no-untyped-def]
    from xlbridge.service.workspace import Workspace

    return Workspace.load(workspace, **overrides)


def _existing_store(ws):  # type: ignore[no-untyped-def]
    """The store of a real workspace (one with a store, settings or an inbox): a mistyped
    --workspace must not leave an empty store behind."""
    from xlbridge.service.store import open_store
    from xlbridge.service.workspace import CONFIG_NAME

    if not ws.store.exists() and not (ws.root / CONFIG_NAME).exists() and not ws.inbox.is_dir():
        raise XlbridgeError(f"工作区 {ws.root} 中没有中心库 {ws.store.name}（工作区路径是否写错？尚未收取过任何报送？）")
    return open_store(ws.store)


def _register_supervision() -> None:
    """The supervision group's hooks: the intake also takes inspection workbooks (service/kinds.py),
    and ledgers carry and answer the units' rectification items (service/open_items.py)."""
    from xlbridge.supervision.hooks import register

    register()


@main.group()
def key() -> None:
    """综合协调组的签名密钥。"""


@key.command("init")
@workspace_option
@friendly
def key_init(workspace: Path) -> None:
    """在工作区生成签名密钥（已有则不覆盖）。"""
    from xlbridge.ledger.signature import load_or_create_key

    ws = _workspace(workspace)
    _, created = load_or_create_key(ws.key_file)
    click.echo(f"{'已生成' if created else '已存在'}签名密钥：{ws.key_file}（请妥善保管，不要随台账分发）")


@main.command()
@click_zh.argument("files", nargs=-1, required=True, metavar="文件...", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                   help="要收取的台账或检查表（.xlsx），可以给多个；先复制到工作区的 inbox/ 再处理")
@workspace_option
@click.option("--no-consolidate", is_flag=True, help="只收取，不重写汇总表")
@click.option("--wait", "wait_seconds", type=float, default=300, show_default=True,
              help="守护进程正在运行时：最多等它处理这些文件多少秒")
@json_option
@friendly
def ingest(files: tuple[Path, ...], workspace: Path, no_consolidate: bool, wait_seconds: float, as_json: bool) -> None:
    """不监视目录，立即收取这些文件（与守护进程相同的流程）。

    守护进程正在运行时，文件交给它的收件箱处理（工作区只有一个写入者），本命令等待并报告结果。"""
    from xlbridge.service.single_writer import WorkspaceBusy, single_writer

    ws = _workspace(workspace).ensure()
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(single_writer(ws, "ingest"))
        except WorkspaceBusy as busy:
            if busy.role != "daemon":
                raise
            _hand_to_daemon(ws, files, busy.pid, wait_seconds, as_json)
            return
        _ingest_here(ws, files, no_consolidate, as_json)


def _ingest_here(ws, files: tuple[Path, ...], no_consolidate: bool, as_json: bool) -> None:  # type: ignore[no-untyped-def]
    from xlbridge.gc_tuning import batch_gc
    from xlbridge.ledger.signature import load_key
    from xlbridge.service.consolidate import consolidate, months_to_rewrite
    from xlbridge.service.ingest import ingest_groups
    from xlbridge.service.prepare import is_ignored
    from xlbridge.service.store import open_store, refresh_search
    from xlbridge.service.workers import Preparer

    key_bytes = load_key(ws.key_file)
    _register_supervision()
    ordered = sorted((f for f in files if not is_ignored(f)), key=lambda f: (f.stat().st_ctime_ns, f.name))
    failed = 0
    accepted: set[tuple[int, str]] = set()  # (campaign, month) of the accepted files: their 汇总 change
    results: list[dict[str, Any]] = []
    with batch_gc(), Preparer(ws, key_bytes, ws.workers, fork=True).start(ordered) as preparer:
        db = open_store(ws.store)
        for file, outcome in (item for group in ingest_groups(ws, db, preparer, ordered) for item in group):
            if isinstance(outcome, Exception):
                if not isinstance(outcome, (XlbridgeError, OSError)):
                    raise outcome
                failed += 1  # one bad file must not stop the batch; nothing of it was merged
                reason = outcome if isinstance(outcome, XlbridgeError) else f"无法读取（{describe(outcome)}）"
                results.append({"file": file, "status": "failed", "reason": reason})
                if not as_json:
                    click.secho(f"失败  {file.name}  {reason}", fg="red", err=True)
                continue
            if outcome.status == "accepted" and outcome.period and outcome.campaign:
                accepted.add((outcome.campaign, outcome.period))
            results.append({"file": file, "status": outcome.status, "unit": outcome.unit, "period": outcome.period,
                            "submission_id": outcome.submission_id, "summary": outcome.summary,
                            "receipt": outcome.receipt})
            if not as_json:
                label = {"accepted": "已接收", "rejected": "已退回", "duplicate": "重复"}[outcome.status]
                click.echo(f"{label}  {file.name}  {outcome.unit or ''}  {outcome.summary}".rstrip())
                if outcome.receipt:
                    click.echo(f"    回执：{outcome.receipt}")
    refresh_search(db)
    workbooks = []
    if not no_consolidate and len(ordered) > failed:
        for month in months_to_rewrite(db, ws.indicator_system().id, accepted) or [None]:
            workbooks.append(consolidate(ws, db, month))
            if not as_json:
                click.echo(f"汇总表：{workbooks[-1]}")
    if as_json:
        echo_json({"files": results, "consolidated": workbooks})
    if failed:
        sys.exit(1)


def _hand_to_daemon(ws, files: tuple[Path, ...], pid: int | None, wait_seconds: float,  # type: ignore[no-untyped-def]
                    as_json: bool = False) -> None:
    from xlbridge.service.handover import hand_over, last_submission_id, wait_taken
    from xlbridge.service.inbox import is_ignored
    from xlbridge.service.receipt import receipt_path

    since = last_submission_id(ws)
    handed = hand_over(ws, [f for f in files if not is_ignored(f)])
    click.echo(f"守护进程（进程号 {pid or '未知'}）正在运行：{len(handed)} 个文件已交给它的收件箱 {ws.inbox} 处理"
               "（工作区只有一个写入者，本命令不直接写中心库），等待结果…", err=as_json)
    late = 0
    labels = {"accepted": "已接收", "rejected": "已退回"}
    results: list[dict[str, Any]] = []
    for item in wait_taken(ws, handed, since, wait_seconds):
        sub = item.submission
        if not item.taken:
            late += 1
            results.append({"file": item.source, "status": "pending"})
            click.secho(f"未完成  {item.source.name}  {wait_seconds:.0f} 秒内守护进程尚未处理完，文件仍在收件箱，"
                        "回执稍后写入 outbox/", fg="yellow", err=True)
        elif sub is None:
            results.append({"file": item.source, "status": "duplicate"})
            if not as_json:
                click.echo(f"重复  {item.source.name}  内容与已收到的文件相同，未重复计入（回执见 outbox/）")
        else:
            summary = sub["reason"] or (f"{sub['errors']} 个错误需整改" if sub["errors"] else "")
            results.append({"file": item.source, "status": sub["status"], "unit": sub["unit"], "period": sub["period"],
                            "submission_id": sub["id"], "summary": summary, "receipt": receipt_path(ws, sub)})
            if not as_json:
                click.echo(f"{labels.get(sub['status'], sub['status'])}  {item.source.name}  {sub['unit'] or ''}  "
                           f"{summary}".rstrip())
                click.echo(f"    回执：{receipt_path(ws, sub)}")
    if as_json:
        echo_json({"files": results, "consolidated": []})  # the daemon rewrites the 汇总 itself
    if late:
        sys.exit(1)


@main.command()
@workspace_option
@click.option("--period", help="报送月份，如 2021-05（默认为已收到的最新月份）")
@click.option("--all", "every_month", is_flag=True, help="重写考核年度内已报送的每个月的汇总表")
@json_option
@friendly
def consolidate(workspace: Path, period: str | None, every_month: bool, as_json: bool) -> None:
    """生成综合协调组的汇总台账。"""
    from xlbridge.service.consolidate import consolidate as run
    from xlbridge.service.consolidate import latest_period, reported_months
    from xlbridge.service.month_status import month_status

    _register_supervision()  # 汇总 gains the supervision group's 得分 and 整改 sheets
    ws = _workspace(workspace)
    db = _existing_store(ws)
    system_id = ws.indicator_system().id
    latest = latest_period(db, system_id)
    months: list[str | None] = [period or latest]
    if every_month:
        campaign = ws.campaign or (int(latest[:4]) if latest else None)
        months = list(reported_months(db, system_id, campaign)) if campaign else []
        if not months:
            raise XlbridgeError("中心库中还没有被接收的台账，没有可汇总的月份")
    written = [(month, run(ws, db, month)) for month in months]
    if not as_json:
        for _, path in written:
            click.echo(str(path))
        return
    workbooks = []
    for month, path in written:  # with each workbook its month's 总览 in figures (none before any report)
        entry: dict[str, Any] = {"path": path, "period": None, "counts": None}
        if month:
            state = month_status(ws, db, month)
            entry.update(period=state.period, counts=state.as_json()["counts"])
        workbooks.append(entry)
    echo_json({"workbooks": workbooks})


@main.command()
@workspace_option
@click.option("--period", help="只看这个月各单位的报送情况，如 2021-06（默认：全部报送记录，加上最新月份）")
@json_option
@friendly
def status(workspace: Path, period: str | None, as_json: bool) -> None:
    """报送情况：收件箱里待处理、已忽略和不是普通文件的条目，已接收、已退回的报送，以及某月各单位是否报送、是否按时、错误数和联系人。"""
    from xlbridge.service.consolidate import latest_period
    from xlbridge.service.inbox import entries, ignored_reason, kind_of, refused_listing
    from xlbridge.service.month_status import month_status

    ws = _workspace(workspace)
    db = _existing_store(ws)
    month = _period(period, ws.campaign) if period else latest_period(db, ws.indicator_system().id)
    state = month_status(ws, db, month) if month else None
    if period:
        echo_either(as_json, state.as_json(), state.lines())
        return
    pending, ignored, special = [], [], []  # the inbox as it is, nothing followed
    for path, st in entries(ws.inbox):
        name = str(path.relative_to(ws.inbox))
        reason, kind = ignored_reason(path), kind_of(st.st_mode)
        if reason:
            ignored.append({"name": name, "reason": reason})
        elif kind:
            special.append({"name": name, "kind": kind})
        else:
            pending.append(name)
    refused = [{"name": name, "kind": kind, "moved_at": when.isoformat(timespec="seconds")}
               for name, kind, when in refused_listing(ws.quarantine)]
    subs = list(db.query("SELECT id, unit, claimed_unit, file_name, period, received_at, status, errors, warnings, reason"
                         " FROM submissions ORDER BY id"))
    if as_json:
        echo_json({"pending": pending, "ignored": ignored, "not_regular": special, "refused": refused,
                   "submissions": subs, "month": state.as_json() if state else None})
        return
    counts = {s: sum(1 for x in subs if x["status"] == s) for s in ("accepted", "rejected")}
    inbox_counts = [("待处理", len(pending), True), ("已忽略", len(ignored), False), ("不读取", len(special), False),
                    ("已移出", len(refused), False)]
    click.echo("，".join([f"{label} {n}" for label, n, always in inbox_counts if n or always]
                        + [f"已接收 {counts['accepted']}", f"已退回 {counts['rejected']}"]))
    for name in pending:
        click.echo(f"  待处理  {name}")
    for item in ignored:
        click.echo(f"  已忽略  {item['name']}  （{item['reason']}）")
    for item in special:
        click.echo(f"  不读取  {item['name']}  （{item['kind']}，不是普通文件；守护进程会把它移到 inbox-rejected/）")
    for item in refused:
        why = f"{item['kind']}，不是普通文件，未读取" if item["kind"] else "工作簿无法安全读取，已拒收，不再读取"
        click.echo(f"  已移出  inbox-rejected/{item['name']}  （{why}；{item['moved_at']}）")
    for s in subs:
        label = "已接收" if s["status"] == "accepted" else "已退回"
        click.echo(f"  {label}  #{s['id']} {s['unit'] or s['claimed_unit'] or '?'} {s['period']} {s['received_at']} "
                   f"{s['file_name']} 错误 {s['errors']} 警告 {s['warnings']}" + (f"  原因：{s['reason']}" if s["reason"] else ""))
    if state:
        click.echo("")
        click.echo("\n".join(state.lines()))


@main.command()
@workspace_option
@click.option("--settle", type=float, help="文件大小和时间保持不变多少秒后才读取")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="日志格式：text（每个事件一行中文）或 json（每个事件一行 JSON）")
@click.option("-v", "--verbose", is_flag=True, help="输出调试日志")
@friendly
def daemon(workspace: Path, settle: float | None, log_format: str, verbose: bool) -> None:
    """监视 inbox/，自动收取、校验、入库、发回执、更新汇总表（Ctrl+C 停止）；日志写到标准错误。"""
    from xlbridge.service.daemon import Daemon
    from xlbridge.service.daemon_log import configure

    configure(log_format, verbose)
    ws = _workspace(workspace, settle_seconds=settle)
    _register_supervision()
    Daemon(ws).run()


@main.group("store")
def store_group() -> None:
    """中心库：导出与备份。"""


@store_group.command("export")
@workspace_option
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True,
              help="文件格式：csv（UTF-8 带 BOM，Excel 可直接打开）或 json")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="输出目录（每个表一个文件）")
@click.option("--raw", is_flag=True, help="按中心库原样导出：英文表名、列名和代码（accepted、0/1、normal），供其他程序读取")
@json_option
@friendly
def store_export(workspace: Path, fmt: str, out: Path, raw: bool, as_json: bool) -> None:
    """把各表和视图导出为 CSV 或 JSON：中文表头和中文取值（是/否、常规/加分项/减分项、★）。"""
    from xlbridge.service.export import export
    from xlbridge.supervision.store import EXPORTED, HEADERS

    ws = _workspace(workspace)
    _echo_files(export(_existing_store(ws), out, fmt, raw, extra=EXPORTED, extra_headers=HEADERS), None, as_json)


@store_group.command("backup")
@workspace_option
@click_zh.argument("target", metavar="备份文件", type=click.Path(dir_okay=False, path_type=Path),
                   help="备份写到这个文件（如 backup.db；文件夹不存在时自动创建，已有的同名文件被替换）")
@friendly
def store_backup(workspace: Path, target: Path) -> None:
    """用 SQLite 在线备份复制中心库（守护进程运行时也可执行）。"""
    from xlbridge.service.store import backup

    ws = _workspace(workspace)
    click.echo(str(backup(_existing_store(ws), target)))


# --------------------------------------------------------------------------- supervision group
def _as_of(text: str | None):  # type: ignore[no-untyped-def]
    from datetime import date

    try:
        return date.fromisoformat(text) if text else date.today()
    except ValueError:
        raise XlbridgeError(f"日期「{text}」格式不对，应写成 2021-07-31") from None


as_of_option = click.option("--as-of", "as_of", help="按这一天判断整改事项是否逾期，如 2021-08-01（默认今天）")
period_as_of_option = click.option("--as-of", "as_of", help="按这一天的情况写，如 2021-08-01"
                                   "（默认：该月报送截止前一天或该季度最后一天，今天更早则为今天）")


@main.group()
def inspect() -> None:
    """督导检查组：双月检查的检查表。"""


@inspect.command("plan")
@workspace_option
@click.option("--round", "round_", required=True, help="检查轮次（所检查的月份），如 2021-06")
@click.option("--unit", "units", multiple=True, help="只生成这个单位的检查表（可重复）")
@as_of_option
@json_option
@friendly
def inspect_plan(workspace: Path, round_: str, units: tuple[str, ...], as_of: str | None, as_json: bool) -> None:
    """为每个单位生成检查表（预填该月完成情况和未销号的整改事项），写入 outbox/督导检查/<轮次>/。"""
    from xlbridge.supervision.plan import plan_round

    ws = _workspace(workspace)
    month = _period(round_, ws.campaign)
    _signing_key(workspace, None)
    db = _existing_store(ws)
    try:
        paths = plan_round(ws, db, month, list(units) or None, today=_as_of(as_of))
    finally:
        db.close()
    _echo_files(paths, f"共生成 {len(paths)} 份 {month} 检查表；填好后放入 {ws.inbox}", as_json)


@main.group()
def rectify() -> None:
    """督导检查组：整改事项（交办、反馈、销号）。"""


@rectify.command("add")
@workspace_option
@click.option("--unit", required=True, help="责任单位")
@click.option("--indicator", required=True, help="指标编号")
@click.option("--problem", required=True, help="发现的问题")
@click.option("--requirement", default="", help="整改要求")
@click.option("--due", required=True, help="整改期限，如 2021-07-31")
@click.option("--by", "by", default="督导检查组", show_default=True, help="提出人")
@friendly
def rectify_add(workspace: Path, unit: str, indicator: str, problem: str, requirement: str, due: str, by: str) -> None:
    """记录一项日常督导发现的整改事项。"""
    from xlbridge.supervision.commands import add_daily_item

    _item_command(workspace, lambda ws, db: add_daily_item(ws, db, unit, indicator, problem, requirement,
                                                           _as_of(due).isoformat(), by), "已记录", first=True)


@rectify.command("list")
@workspace_option
@click.option("--all", "show_all", is_flag=True, help="包括已销号的事项")
@click.option("--unit", help="只列这个单位的事项")
@json_option
@as_of_option
@friendly
def rectify_list(workspace: Path, show_all: bool, unit: str | None, as_json: bool, as_of: str | None) -> None:
    """列出整改事项及其状态（逾期的先列）。"""
    from xlbridge.supervision.commands import list_items

    ws = _workspace(workspace)
    db = _existing_store(ws)
    try:
        found = list_items(ws, db, _as_of(as_of), show_all, unit)
    finally:
        db.close()
    if as_json:
        echo_json(found)  # each item with its history
        return
    for i in found:
        star = "★" if i["key_item"] else ""
        click.echo(f"{i['id']:>4}  {i['status']}  {i['unit']}  指标 {star}{i['indicator_key']}  期限 {i['due']}  {i['problem']}")
    click.echo(f"共 {len(found)} 项")


item_option = click.option("--item", "item_id", required=True, type=int, help="整改事项编号（见 xlbridge rectify list）")
by_option = click.option("--by", "by", default="督导检查组", show_default=True, help="操作人")


@rectify.command("close")
@workspace_option
@item_option
@click.option("--reason", required=True, help="销号依据，如 经实地核验已整改到位")
@by_option
@friendly
def rectify_close(workspace: Path, item_id: int, reason: str, by: str) -> None:
    """在检查轮次之外为一项整改事项销号（日常督导核验已整改）。"""
    from xlbridge.supervision.commands import close_item

    _item_command(workspace, lambda ws, db: close_item(ws, db, item_id, reason, by), "已销号")


@rectify.command("reopen")
@workspace_option
@item_option
@click.option("--reason", required=True, help="重新打开的原因，如 复查发现问题反弹")
@click.option("--due", help="新的整改期限，如 2021-10-31（默认沿用原期限）")
@by_option
@friendly
def rectify_reopen(workspace: Path, item_id: int, reason: str, due: str | None, by: str) -> None:
    """重新打开一项已销号的整改事项（改回待整改，保留全部变更记录）。"""
    from xlbridge.supervision.commands import reopen_item

    new_due = _as_of(due).isoformat() if due else None
    _item_command(workspace, lambda ws, db: reopen_item(ws, db, item_id, reason, by, new_due), "已重新打开")


@rectify.command("show")
@workspace_option
@item_option
@json_option
@friendly
def rectify_show(workspace: Path, item_id: int, as_json: bool) -> None:
    """显示一项整改事项及其全部变更记录（谁、何时、由什么状态改为什么状态）。"""
    from xlbridge.supervision.commands import item_lines, show_item

    ws = _workspace(workspace)
    db = _existing_store(ws)
    try:
        item = show_item(ws, db, item_id)
    finally:
        db.close()
    echo_either(as_json, item, item_lines(item))


def _item_command(workspace: Path, act: Any, done: str, first: bool = False) -> None:
    """An item changed (``first``: recorded), said in one line, and the latest 汇总 rewritten."""
    from xlbridge.service.consolidate import latest_period

    ws = _workspace(workspace)
    db = _existing_store(ws)
    try:
        item = act(ws, db)
        said = f"{done}整改事项 {item['id']}" if first else f"整改事项 {item['id']} {done}"
        click.echo(f"{said}：{item['unit']} 指标 {item['indicator_key']}，期限 {item['due']}（{item['status']}）")
        _refresh_summaries(ws, db, [latest_period(db, item["system_id"])])  # its 整改 sheet: the items as of now
    finally:
        db.close()


def _refresh_summaries(ws, db, months: list[str | None]) -> None:  # type: ignore[no-untyped-def]
    """The 汇总 a supervision command changed, rewritten as the daemon does after a submission."""
    from xlbridge.service.consolidate import consolidate as write

    _register_supervision()
    for month in filter(None, months):  # none before the first ledger arrives
        click.echo(f"汇总表：{write(ws, db, month)}")


def _bonus_months(db, bonus: dict[str, Any]) -> list[str | None]:  # type: ignore[no-untyped-def]
    """Its month's 汇总 and the later ones already written (none for a month not yet reported)."""
    from xlbridge.service.consolidate import latest_period, months_to_rewrite

    latest = latest_period(db, bonus["system_id"]) or ""
    return [m for m in months_to_rewrite(db, bonus["system_id"], [(bonus["campaign"], bonus["month"])]) if m <= latest]


@main.group()
def bonus() -> None:
    """督导检查组：加分项的加分（检查轮次之外记录、撤销）。"""


@bonus.command("add")
@workspace_option
@click.option("--unit", required=True, help="单位")
@click.option("--indicator", required=True, help="加分项的指标编号，如 加1")
@click.option("--points", required=True, type=float, help="加分，不超过该加分项的分值")
@click.option("--reason", required=True, help="加分依据，如 表彰文件名称、文号")
@click.option("--period", required=True, help="从哪个月起计入得分，如 2021-06")
@by_option
@friendly
def bonus_add(workspace: Path, unit: str, indicator: str, points: float, reason: str, period: str, by: str) -> None:
    """记录一项加分（如获省部级表彰），从该月起计入得分。"""
    from xlbridge.supervision.bonuses import add_bonus, bonus_line

    ws = _workspace(workspace)
    month = _period(period, ws.campaign)
    db = _existing_store(ws)
    try:
        found = add_bonus(ws, db, unit, indicator, points, reason, month, by)
        click.echo(f"已记录加分：{bonus_line(found).strip()}")
        _refresh_summaries(ws, db, _bonus_months(db, found))  # the scores from its month on
    finally:
        db.close()


@bonus.command("revoke")
@workspace_option
@click.option("--id", "bonus_id", required=True, type=int, help="加分记录编号（见 xlbridge bonus list）")
@click.option("--reason", required=True, help="撤销原因")
@by_option
@friendly
def bonus_revoke(workspace: Path, bonus_id: int, reason: str, by: str) -> None:
    """撤销一项记错的加分（保留记录，不再计入得分）。"""
    from xlbridge.supervision.bonuses import bonus_line, revoke

    ws = _workspace(workspace)
    db = _existing_store(ws)
    try:
        found = revoke(ws, db, bonus_id, reason, by)
        click.echo(f"已撤销：{bonus_line(found).strip()}")
        _refresh_summaries(ws, db, _bonus_months(db, found))
    finally:
        db.close()


@bonus.command("list")
@workspace_option
@json_option
@friendly
def bonus_list(workspace: Path, as_json: bool) -> None:
    """列出全部加分记录（包括已撤销的）。"""
    from xlbridge.supervision.bonuses import bonus_line, list_bonuses

    ws = _workspace(workspace)
    db = _existing_store(ws)
    try:
        found = list_bonuses(ws, db)
    finally:
        db.close()
    echo_either(as_json, found, [*map(bonus_line, found), f"共 {len(found)} 项"])


@main.command()
@workspace_option
@click.option("--period", required=True, help="按哪个月计分（取该月及以前最近一轮检查），如 2021-06")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@friendly
def score(workspace: Path, period: str, as_json: bool) -> None:
    """各单位督导检查得分：总分、一级指标小计、扣分及原因、名次。"""
    from xlbridge.supervision.commands import score_lines, scores_as_of

    ws = _workspace(workspace)
    month = _period(period, ws.campaign)
    db = _existing_store(ws)
    try:
        scores = scores_as_of(ws, db, month)
    finally:
        db.close()
    echo_either(as_json, {"period": month, "units": [s.as_json() for s in scores]}, score_lines(scores, month))


@main.command()
@workspace_option
@click.option("--quarter", required=True, help="季度，如 2021Q2")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="输出的 .docx 文件")
@period_as_of_option
@json_option
@friendly
def bulletin(workspace: Path, quarter: str, output: Path, as_of: str | None, as_json: bool) -> None:
    """季度点评通报（Word 文档，党政机关公文格式）：报送情况、主要问题、整改情况。"""
    from xlbridge.supervision.bulletin import quarter_facts, write_bulletin

    ws = _workspace(workspace)
    db = _existing_store(ws)
    try:
        facts = quarter_facts(ws, db, quarter, _as_of(as_of) if as_of else None)
    finally:
        db.close()
    path = write_bulletin(facts, output)
    if as_json:
        echo_json({"quarter": facts.quarter, "file": path, "reporting": facts.reporting,
                   "closed": len(facts.closed), "open": len(facts.open), "overdue": len(facts.overdue)})
        return
    click.echo(f"已生成 {facts.label}通报：{path}")


@main.command()
@workspace_option
@click.option("--period", required=True, help="催报哪个月的台账，如 2021-06")
@period_as_of_option
@json_option
@friendly
def remind(workspace: Path, period: str, as_of: str | None, as_json: bool) -> None:
    """为未报送该月台账（或整改事项临近、超过期限）的单位各写一页催报通知（Word）。"""
    from xlbridge.supervision.remind import reminders, write_reminder

    ws = _workspace(workspace)
    month = _period(period, ws.campaign)
    db = _existing_store(ws)
    try:
        found = reminders(ws, db, month, _as_of(as_of) if as_of else None)
    finally:
        db.close()
    paths = [write_reminder(ws, reminder) for reminder in found]
    _echo_files(paths, f"共 {len(found)} 份催报通知" if found else f"{month}：各单位均已报送，没有临近期限的整改事项", as_json)


# --------------------------------------------------------------------------- Excel add-in
from xlbridge.excel.cli import addin

main.add_command(addin)

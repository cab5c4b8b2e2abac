"""The ingest pipeline on real files: archive → validate → merge → receipt, in a real workspace
with a real SQLite store. Every way a submission is rejected leaves the stored data exactly as
it was, keeps the raw file in the archive and gets a receipt that says why in Chinese."""

from __future__ import annotations

import hashlib
import json
import re
import stat
import zipfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from ledger_fixtures import (  # noqa: F401  (baseline, ledger_dir are fixtures)
    KEY,
    OTHER_KEY,
    UNIT,
    baseline,
    cell,
    data_row,
    delete_sheet,
    edited,
    filled_ledger,
    ledger_dir,
    ledger_sheet_member,
    rewrite_member,
    set_cells,
    set_meta,
    system,
)
from ws_fixtures import (  # noqa: F401  (clean_environment is an autouse fixture)
    ARRIVALS,
    LATE,
    clean_environment,
    count,
    drop,
    dump,
    dumps,
    foreign_key_problems,
    ingest,
    is_chinese,
    make_workspace,
    receipt_summary,
    run,
    submissions,
)

from xlbridge.ledger import layout as L
from xlbridge.ledger.sample import clerk_answer
from xlbridge.service import store
from xlbridge.service.ingest import ingest_file
from xlbridge.service.workspace import UNKNOWN_UNIT_DIR, Workspace

ROW = data_row(2016, "9")  # the first indicator row (5)
OTHER_UNIT = "信息化工作科"  # another reporting unit of puyang-2020


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return make_workspace(tmp_path / "ws")


def archived(ws: Workspace, data: bytes, suffix: str = ".xlsx") -> Path:
    sha = hashlib.sha256(data).hexdigest()
    return ws.archive / sha[:2] / f"{sha}{suffix}"


# =========================================================================== accepted
def test_accepted_submission_is_archived_stored_and_receipted(ws: Workspace, baseline: Path) -> None:
    path = drop(ws, baseline, f"{UNIT}_2021-05.xlsx")
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()

    outcome = ingest(ws, path)

    assert (outcome.status, outcome.unit, outcome.sha256) == ("accepted", UNIT, sha)
    copy = ws.archive / sha[:2] / f"{sha}.xlsx"
    assert copy.read_bytes() == data  # content-addressed, byte for byte
    assert not path.exists()  # taken from the inbox only once stored

    [sub] = submissions(ws.store)
    assert {k: sub[k] for k in ("id", "sha256", "file_name", "archive_path", "size", "received_at", "unit",
                                "claimed_unit", "system_id", "system_version", "campaign", "period",
                                "template_version", "signature", "status", "reason", "errors", "warnings",
                                "rows", "filled_by", "filled_on")} == {
        "id": outcome.submission_id, "sha256": sha, "file_name": path.name, "archive_path": f"{sha[:2]}/{sha}.xlsx",
        "size": len(data), "received_at": "2021-05-28T10:00:00", "unit": UNIT, "claimed_unit": UNIT,
        "system_id": "puyang-2020", "system_version": system().version, "campaign": 2021, "period": "2021-05",
        "template_version": L.TEMPLATE_VERSION, "signature": "valid", "status": "accepted", "reason": None,
        "errors": 0, "warnings": 0, "rows": 30, "filled_by": "王伟", "filled_on": "2021-05-28",
    }

    # Every ledger row, as the clerk wrote it.
    answer = clerk_answer(system(), UNIT)
    assert count(ws.store, "rows", "submission_id = ?", (sub["id"],)) == 30
    with_cols = {r["indicator_key"]: r for r in _query(ws, "SELECT * FROM rows WHERE year = 2016")}
    for code, row in with_cols.items():
        want = answer(2016, code)
        assert row["submission_id"] == sub["id"]
        assert row["progress"] == want["progress"] and row["description"] == want["description"]
        assert row["materials"] == want["materials"] and row["person"] == want["person"]
        assert row["links"] == want.get("links", "") and row["secret"] == 0
    assert with_cols["9"]["sheet_row"] == ROW

    # The current state: one row per (unit, indicator, year), all from this submission.
    current = _query(ws, "SELECT * FROM current")
    assert len(current) == 30 and {c["submission_id"] for c in current} == {sub["id"]}
    assert {(c["system_id"], c["campaign"], c["unit"]) for c in current} == {("puyang-2020", 2021, UNIT)}
    assert len(_query(ws, "SELECT * FROM current_rows")) == 30
    assert foreign_key_problems(ws.store) == []

    assert outcome.receipt == ws.outbox / UNIT / f"回执_{UNIT}_2021-05_{sub['id']:06d}.xlsx"
    assert receipt_summary(outcome.receipt)["处理结果"] == "已接收"


def test_arrival_time_is_when_the_file_landed_not_its_modification_time(ws: Workspace, baseline: Path) -> None:
    """A copy keeps the clerk's save time (Explorer, cp -p, unzip): a ledger saved on time but sent
    late must count as late."""
    path = drop(ws, baseline, f"{UNIT}_2021-05.xlsx", when=datetime(2021, 5, 28, 10, 0))
    before = datetime.now().replace(microsecond=0)
    db = store.open_store(ws.store)
    try:
        ingest_file(ws, db, path, KEY)  # no explicit time: the pipeline decides
    finally:
        db.close()
    (received,) = [s["received_at"] for s in submissions(ws.store)]
    assert datetime.fromisoformat(received) >= before - timedelta(seconds=2)


def test_content_errors_are_accepted_with_their_findings(ws: Workspace, baseline: Path, tmp_path: Path) -> None:
    bad = edited(baseline, tmp_path / "errors.xlsx", set_cells({
        cell("progress", ROW): None,  # progress-missing at H5
        cell("links", ROW + 1): "www.example.gov.cn",  # link-malformed at K6
        cell("phone", ROW + 2): "12345",  # phone-malformed at N7
    }))
    outcome = ingest(ws, drop(ws, bad, "errors.xlsx"))

    assert outcome.status == "accepted"
    [sub] = submissions(ws.store)
    assert sub["errors"] >= 3 and sub["reason"] is None
    found = {(f["rule"], f["cell"]) for f in _query(ws, "SELECT * FROM findings WHERE submission_id = ?", sub["id"])}
    assert {("progress-missing", f"H{ROW}"), ("link-malformed", f"K{ROW + 1}"), ("phone-malformed", f"N{ROW + 2}")} <= found
    for f in _query(ws, "SELECT * FROM findings"):
        assert f["severity"] in ("error", "warning", "info") and is_chinese(f["message"])
    # Stored and current even with errors: the receipt asks for a correction.
    assert count(ws.store, "rows") == 30 and count(ws.store, "current") == 30


def test_same_bytes_twice_are_recognised_and_not_merged_twice(ws: Workspace, baseline: Path) -> None:
    first = ingest(ws, drop(ws, baseline, f"{UNIT}_2021-05.xlsx"))
    receipts = sorted(ws.outbox.rglob("*.xlsx"))
    before = dumps(ws.store, ("rows", "current", "findings", "submissions"))

    again = drop(ws, baseline, f"{UNIT}/再次报送.xlsx", when=LATE)
    outcome = ingest(ws, again)

    assert (outcome.status, outcome.submission_id, outcome.unit) == ("duplicate", first.submission_id, UNIT)
    assert "重复" in outcome.summary
    assert dumps(ws.store, ("rows", "current", "findings", "submissions")) == before
    assert len(list(ws.archive.rglob("*.xlsx"))) == 1
    # A short receipt of its own: when the bytes first came; the first receipt is untouched.
    [short] = sorted(set(ws.outbox.rglob("*.xlsx")) - set(receipts))
    assert "重复" in short.name and "2021-05" in short.name
    assert not again.exists()


def test_the_stored_file_left_in_the_inbox_by_a_kill_gets_no_second_receipt(ws: Workspace, baseline: Path) -> None:
    """Killed after the receipt, before the file left the inbox: the same name, arrived at the same
    moment, is the stored file itself. It is removed; the clerk is not told they sent it twice."""
    ingest(ws, drop(ws, baseline, f"{UNIT}_2021-05.xlsx"))
    receipts = sorted(ws.outbox.rglob("*.xlsx"))
    left = drop(ws, baseline, f"{UNIT}_2021-05.xlsx")  # as it was when the daemon died

    outcome = ingest(ws, left)

    assert outcome.status == "duplicate" and outcome.left_over
    assert sorted(ws.outbox.rglob("*.xlsx")) == receipts and not left.exists()


def test_a_changed_submission_moves_current_and_keeps_history(ws: Workspace, baseline: Path, tmp_path: Path) -> None:
    first = ingest(ws, drop(ws, baseline, f"{UNIT}_2021-05.xlsx"))
    old = _query(ws, "SELECT * FROM rows WHERE sheet_row = ?", ROW)[0]
    flipped = "未完成" if old["progress"] == "已完成" else "已完成"
    changed = edited(baseline, tmp_path / "june.xlsx", set_cells({
        "B3": "2021-06", cell("progress", ROW): flipped, cell("description", ROW): "六月份已召开行政复议工作专题会议。",
    }))
    second = ingest(ws, drop(ws, changed, f"{UNIT}_2021-06.xlsx", when=LATE))

    assert second.status == "accepted" and second.submission_id > first.submission_id
    assert count(ws.store, "rows") == 60  # full history
    assert count(ws.store, "rows", "submission_id = ?", (first.submission_id,)) == 30
    current = _query(ws, "SELECT * FROM current")
    assert len(current) == 30 and {c["submission_id"] for c in current} == {second.submission_id}
    now = _query(ws, "SELECT * FROM current_rows WHERE year = 2016 AND indicator_key = '9'")[0]
    assert (now["progress"], now["description"], now["period"]) == (flipped, "六月份已召开行政复议工作专题会议。", "2021-06")
    # The earlier answer is still there, unchanged.
    assert _query(ws, "SELECT * FROM rows WHERE id = ?", old["id"])[0] == old
    [latest] = _query(ws, "SELECT * FROM latest_submissions")
    assert latest["id"] == second.submission_id
    assert foreign_key_problems(ws.store) == []


# =========================================================================== rejected
Case = Callable[[Path, Path], tuple[Path, str]]  # (baseline, tmp_path) → (file, name in the inbox)


def _edited(*edits, name: str = f"{UNIT}_2021-05.xlsx") -> Case:  # type: ignore[no-untyped-def]
    return lambda base, tmp: (edited(base, tmp / "edited.xlsx", *edits), name)


def _wrong_key(base: Path, tmp: Path) -> tuple[Path, str]:
    return filled_ledger(tmp, key=OTHER_KEY, name="other-key.xlsx"), f"{UNIT}_2021-05.xlsx"


def _truncated(base: Path, tmp: Path) -> tuple[Path, str]:
    (tmp / "half.xlsx").write_bytes(base.read_bytes()[: base.stat().st_size // 2])
    return tmp / "half.xlsx", f"{UNIT}_2021-05.xlsx"


def _flipped(base: Path, tmp: Path) -> tuple[Path, str]:
    data = bytearray(base.read_bytes())
    member = ledger_sheet_member(base)
    with zipfile.ZipFile(base) as zf:
        info = zf.getinfo(member)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + 40, start + info.compress_size - 40, 7):
        data[i] ^= 0x5A
    (tmp / "flipped.xlsx").write_bytes(bytes(data))
    return tmp / "flipped.xlsx", "flipped.xlsx"


def _text(base: Path, tmp: Path) -> tuple[Path, str]:
    (tmp / "notes.xlsx").write_text("年度,指标编号,完成进度\n2016,9,已完成\n", encoding="utf-8")
    return tmp / "notes.xlsx", "notes.xlsx"


def _pdf(base: Path, tmp: Path) -> tuple[Path, str]:
    (tmp / "材料.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
    return tmp / "材料.pdf", f"{UNIT}_材料.pdf"


def _bomb(base: Path, tmp: Path) -> tuple[Path, str]:
    """A workbook-looking zip of ~100 KB whose one sheet inflates to 32 MB of zeros."""
    path = tmp / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            for _ in range(2):
                fh.write(b"\0" * (16 << 20))
    assert path.stat().st_size < 1 << 20
    return path, "bomb.xlsx"


_LAUGHS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<!DOCTYPE lolz [<!ENTITY lol0 "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10) for i in range(1, 10))
    + b"]>\n"
)


def _laughs(member: str | None, use: bool) -> Case:
    def change(xml: bytes) -> bytes:
        body = re.sub(rb"^<\?xml[^>]*\?>\s*", b"", xml)
        if use:  # a billion "lol"s in the first progress cell
            body = body.replace("<t>已完成</t>".encode(), b"<t>&lol9;</t>", 1)
        return _LAUGHS + body

    def case(base: Path, tmp: Path) -> tuple[Path, str]:
        return rewrite_member(base, tmp / "lol.xlsx", member or ledger_sheet_member(base), change), "lol.xlsx"

    return case


def _other_system(base: Path, tmp: Path) -> tuple[Path, str]:
    """A genuine, correctly signed ledger of another indicator system than the workspace's."""
    from xlbridge.ledger.writer import write_ledger
    from xlbridge.system.files import load_system

    return write_ledger(load_system("jinfeng-2020"), "司法局", 2021, tmp / "jinfeng.xlsx", KEY), "jinfeng.xlsx"


# id → (how the file is made, receipt folder, fragment of the reason, signature status or None)
REJECTIONS: dict[str, tuple[Case, str, str, str | None]] = {
    "wrong-key": (_wrong_key, UNIT, "签名不正确", "invalid"),
    "tampered-signature": (_edited(set_meta("signature", "0" * 64)), UNIT, "签名不正确", "invalid"),
    "tampered-campaign": (_edited(set_meta("campaign", "2022")), UNIT, "签名不正确", "invalid"),
    "signature-missing": (_edited(set_meta("signature", None)), UNIT, "缺少签名", "missing"),
    "template-version": (_edited(set_meta("template_version", "0")), UNIT, "模板版本", "invalid"),
    "meta-missing": (_edited(delete_sheet(L.META_SHEET), name="台账.xlsx"), UNKNOWN_UNIT_DIR, "缺少台账标识", "missing"),
    "unit-mismatch-folder": (
        _edited(set_cells({cell("description", ROW): "另一份说明"}), name=f"{OTHER_UNIT}/台账.xlsx"),
        OTHER_UNIT, f"这是「{UNIT}」的台账，却以「{OTHER_UNIT}」的名义报送", "valid"),
    "unit-mismatch-name": (
        _edited(set_cells({cell("description", ROW): "又一份说明"}), name=f"{OTHER_UNIT}_2021-05.xlsx"),
        OTHER_UNIT, f"这是「{UNIT}」的台账，却以「{OTHER_UNIT}」的名义报送", "valid"),
    "locked-cell": (_edited(set_cells({cell("indicator", ROW): "（改写的指标）"})), UNIT, "与下发内容不一致", "valid"),
    "locked-unit-cell": (_edited(set_cells({"B2": OTHER_UNIT})), UNIT, "责任单位被改为", "valid"),
    "truncated-zip": (_truncated, UNIT, "文件已损坏或不完整", "missing"),
    "corrupt-deflate": (_flipped, UNKNOWN_UNIT_DIR, "工作簿内容无法解析", "missing"),
    "text-renamed": (_text, UNKNOWN_UNIT_DIR, "不是有效的 .xlsx", "missing"),
    "zip-bomb": (_bomb, UNKNOWN_UNIT_DIR, "压缩炸弹", "missing"),
    "billion-laughs-sheet": (_laughs(None, True), UNKNOWN_UNIT_DIR, "无法解析", "missing"),
    "billion-laughs-workbook": (_laughs("xl/workbook.xml", False), UNKNOWN_UNIT_DIR, "不安全的 XML", "missing"),
    "pdf": (_pdf, UNIT, "不是 Excel 工作簿", "missing"),
    "other-system": (_other_system, UNKNOWN_UNIT_DIR, "本工作区收取的是「puyang-2020」", "missing"),
    "system-id-is-a-path": (_edited(set_meta("system_id", "/etc"), name="台账.xlsx"), UNKNOWN_UNIT_DIR,
                            "本工作区收取的是「puyang-2020」", "missing"),
}


@pytest.mark.parametrize("case", list(REJECTIONS))
def test_rejected_without_touching_stored_data(case: str, ws: Workspace, baseline: Path, tmp_path: Path) -> None:
    make, folder, fragment, signature = REJECTIONS[case]
    ingest(ws, drop(ws, baseline, f"{UNIT}_2021-05.xlsx"))  # something stored to protect
    before = dumps(ws.store)
    accepted = submissions(ws.store)

    src, name = make(baseline, tmp_path)
    path = drop(ws, src, name)
    data = path.read_bytes()
    outcome = ingest(ws, path)

    assert outcome.status == "rejected", outcome.summary
    # Stored data untouched: rows, current state, full-text index, indicator system.
    assert dumps(ws.store) == before
    assert foreign_key_problems(ws.store) == []
    # The submission itself is on record, with why.
    subs = submissions(ws.store)
    assert subs[:-1] == accepted
    sub = subs[-1]
    assert (sub["status"], sub["sha256"]) == ("rejected", outcome.sha256)
    assert fragment in sub["reason"] and is_chinese(sub["reason"])
    assert sub["signature"] == signature
    assert count(ws.store, "findings", "submission_id = ? AND severity = 'error'", (sub["id"],)) >= 1
    # The raw file is kept, byte for byte.
    suffix = ".bin" if name.endswith(".pdf") else ".xlsx"
    assert archived(ws, data, suffix).read_bytes() == data
    assert sub["archive_path"] == str(archived(ws, data, suffix).relative_to(ws.archive))
    # The sender's receipt says why, in Chinese.
    assert outcome.receipt is not None and outcome.receipt.parent == ws.outbox / folder
    summary = receipt_summary(outcome.receipt)
    assert summary["处理结果"] == "已退回，未计入汇总"
    assert fragment in summary["退回原因"] and is_chinese(summary["退回原因"])
    assert "Traceback" not in summary["退回原因"]
    assert not path.exists()


def test_a_rejection_keeps_the_previous_current_state(ws: Workspace, baseline: Path, tmp_path: Path) -> None:
    """A unit's rejected correction does not replace what it submitted before."""
    first = ingest(ws, drop(ws, baseline, f"{UNIT}_2021-05.xlsx"))
    tampered = edited(baseline, tmp_path / "t.xlsx", set_cells({cell("progress", ROW): "已完成", "D6": "x"}))
    assert ingest(ws, drop(ws, tampered, f"{UNIT}_2021-06.xlsx", when=LATE)).status == "rejected"
    assert {c[6] for c in dump(ws.store, "current")} == {first.submission_id}
    [latest] = _query(ws, "SELECT id FROM latest_submissions")
    assert latest["id"] == first.submission_id


def test_a_forged_unit_name_cannot_put_a_receipt_outside_the_outbox(ws: Workspace, baseline: Path, tmp_path: Path) -> None:
    forged = edited(baseline, tmp_path / "forged.xlsx", set_meta("unit", ".."))
    outcome = ingest(ws, drop(ws, forged, "forged.xlsx"))
    assert outcome.status == "rejected"
    assert outcome.receipt is not None and outcome.receipt.parent == ws.outbox / UNKNOWN_UNIT_DIR
    assert [p.name for p in ws.root.glob("回执_*")] == []


def test_unit_mismatch_is_not_counted_against_the_unit_named_in_the_file(ws: Workspace, baseline: Path) -> None:
    """Unit B dropped unit A's ledger: B gets the rejection, A has sent nothing."""
    outcome = ingest(ws, drop(ws, baseline, f"{OTHER_UNIT}/{UNIT}_2021-05.xlsx"))
    assert outcome.status == "rejected"
    [sub] = submissions(ws.store)
    assert (sub["unit"], sub["claimed_unit"]) == (OTHER_UNIT, OTHER_UNIT)
    assert list((ws.outbox).iterdir()) == [ws.outbox / OTHER_UNIT]


# =========================================================================== CLI
def test_cli_ingest_ignores_office_lock_files(ws: Workspace, baseline: Path, tmp_path: Path) -> None:
    real = drop(ws, baseline, f"{UNIT}_2021-05.xlsx")
    excel_lock = ws.inbox / f"~${UNIT}_2021-05.xlsx"
    excel_lock.write_bytes(b"\x07locked by clerk" + b"\0" * 150)
    lo_lock = ws.inbox / f".~lock.{UNIT}_2021-05.xlsx#"
    lo_lock.write_text("王伟,clerk-pc,clerk-pc,28.05.2021 10:00,file:///C:/Users/clerk/AppData;", encoding="utf-8")

    result = run("ingest", "-w", ws.root, real, excel_lock, lo_lock)

    assert result.exit_code == 0, result.output
    assert f"已接收  {real.name}  {UNIT}" in result.output
    assert "回执：" in result.output and "汇总表：" in result.output
    assert "~$" not in result.output and ".~lock." not in result.output
    assert excel_lock.exists() and lo_lock.exists()  # never touched
    assert [s["file_name"] for s in submissions(ws.store)] == [real.name]
    assert (ws.outbox / "汇总" / "汇总台账_2021-05.xlsx").exists()


def test_cli_ingest_of_a_file_outside_the_inbox_leaves_it_in_place(ws: Workspace, baseline: Path, tmp_path: Path) -> None:
    outside = tmp_path / "download" / f"{UNIT}_2021-05.xlsx"
    outside.parent.mkdir()
    outside.write_bytes(baseline.read_bytes())
    result = run("ingest", "-w", ws.root, "--no-consolidate", outside)
    assert result.exit_code == 0, result.output
    assert "已接收" in result.output and "汇总表" not in result.output
    assert outside.read_bytes() == baseline.read_bytes()
    assert archived(ws, baseline.read_bytes()).exists()


def test_cli_status_shows_pending_accepted_and_rejected(ws: Workspace, baseline: Path, tmp_path: Path) -> None:
    ingest(ws, drop(ws, baseline, f"{UNIT}_2021-05.xlsx"))
    ingest(ws, drop(ws, *_text(baseline, tmp_path)))
    waiting = drop(ws, baseline, f"{OTHER_UNIT}/台账.xlsx")
    (ws.inbox / OTHER_UNIT / "~$台账.xlsx").write_bytes(b"lock")

    result = run("status", "-w", ws.root)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "待处理 1，已忽略 1，已接收 1，已退回 1"
    assert f"  待处理  {OTHER_UNIT}/台账.xlsx" in lines
    assert any(line.startswith(f"  已接收  #1 {UNIT} 2021-05") for line in lines)
    assert any(line.startswith("  已退回  #2") and "原因：" in line and "不是有效的 .xlsx" in line for line in lines)
    assert f"  已忽略  {OTHER_UNIT}/~$台账.xlsx  （Excel/WPS 的锁文件" in result.output  # said, with why

    as_json = json.loads(run("status", "-w", ws.root, "--json").output)
    assert as_json["pending"] == [f"{OTHER_UNIT}/台账.xlsx"]
    assert [s["status"] for s in as_json["submissions"]] == ["accepted", "rejected"]
    assert waiting.exists()


def test_cli_key_init_creates_once(tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    first = run("key", "init", "-w", root)
    assert first.exit_code == 0 and "已生成签名密钥" in first.output
    key_file = root / "xlbridge.key"
    content = key_file.read_text()
    assert len(bytes.fromhex(content.strip())) == 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    second = run("key", "init", "-w", root)
    assert second.exit_code == 0 and "已存在" in second.output
    assert key_file.read_text() == content


def _query(ws: Workspace, sql: str, *params: object) -> list[dict[str, object]]:
    import sqlite3

    conn = sqlite3.connect(f"file:{ws.store}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()

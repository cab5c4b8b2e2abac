"""Files prepared in worker processes and merged in groups: the same results as one process,
a worker that dies costs a retry and nothing else, workers never outlive their parent, and a
group that cannot be committed leaves every one of its files in the inbox and the store as it was.

Real files (submission_fixtures), real worker processes (fork and fork server), a real store.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from ledger_fixtures import KEY
from submission_fixtures import Submissions, submissions  # noqa: F401  (a fixture)
from ws_fixtures import clean_environment, count, dumps, make_workspace  # noqa: F401  (an autouse fixture)

from xlbridge.errors import StoreError
from xlbridge.service import store
from xlbridge.service.ingest import ingest_groups
from xlbridge.service.prepare import Prepared, prepare
from xlbridge.service.workers import Preparer, read_ahead
from xlbridge.service.workspace import Workspace

posix = pytest.mark.skipif(sys.platform == "win32", reason="fork, the fork server and SIGKILL are POSIX")


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return make_workspace(tmp_path / "ws")


def into_inbox(ws: Workspace, files: list[Path]) -> list[Path]:
    dropped = []
    for src in files:
        dst = ws.inbox / src.name
        dst.write_bytes(src.read_bytes())
        dropped.append(dst)
    return dropped


def essentials(p: Prepared) -> tuple[object, ...]:
    """What the store takes from a prepared file (the arrival time aside: a copy has its own)."""
    v = p.validation
    assert v is not None
    return (p.path.name, p.sha256, p.size, p.archived.name, p.claimed, p.sender,
            [(f.rule, f.row, f.column, f.message) for f in p.findings],
            [(r.row, r.year, r.code, r.progress, r.description, r.materials, r.links) for r in v.records],
            v.meta, v.header, v.signature_ok)


# --------------------------------------------------------------------------- same results
@posix
@pytest.mark.parametrize("fork", [True, False], ids=["fork", "forkserver"])
def test_workers_prepare_exactly_what_one_process_does(ws: Workspace, submissions: Submissions, fork: bool) -> None:
    paths = into_inbox(ws, submissions.make(6))
    expected = [essentials(prepare(ws, p, KEY)) for p in paths]

    with Preparer(ws, KEY, workers=2, fork=fork) as preparer:
        groups = list(preparer.in_groups(paths))
        got = [essentials(pending.result()) for group in groups for pending in group]

    assert got == expected  # same files, same order, same findings and records
    assert [p.path for g in groups for p in g] == paths


def test_untrusted_files_are_parsed_in_a_child_even_with_no_workers(ws: Workspace, submissions: Submissions) -> None:
    """workers = 0 (or one file) means no pool of workers, not parsing in this process: a reader
    that dies must take a child with it, never the daemon."""
    paths = into_inbox(ws, submissions.make(2))
    for preparer, batch in ((Preparer(ws, KEY, workers=2), paths[:1]), (Preparer(ws, KEY, workers=0), paths)):
        with preparer:
            got = [p.result() for g in preparer.in_groups(batch) for p in g]
            assert preparer._pool is not None and preparer._pool._max_workers == max(preparer.workers, 1)
            assert [p.validation is not None for p in got] == [True] * len(batch)
    with Preparer(ws, KEY, workers=0, isolate=False) as trusted:  # files this process made itself
        assert [len(g) for g in trusted.in_groups(paths)] == [1, 1]
        assert trusted._pool is None


# --------------------------------------------------------------------------- a worker dies
def _workers() -> list[multiprocessing.Process]:
    return [p for p in multiprocessing.active_children() if p.is_alive()]


@posix
def test_a_killed_worker_costs_a_retry_not_a_file(ws: Workspace, submissions: Submissions) -> None:
    paths = into_inbox(ws, submissions.make(8))
    with Preparer(ws, KEY, workers=2).start(paths) as preparer:
        deadline = time.monotonic() + 30
        while len(_workers()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        victim = _workers()[0]
        os.kill(victim.pid, signal.SIGKILL)  # as the OOM killer would
        victim.join(10)
        db = store.open_store(ws.store)
        outcomes = [o for g in ingest_groups(ws, db, preparer, paths) for _, o in g]
        db.close()

    assert [getattr(o, "status", o) for o in outcomes] == ["accepted"] * len(paths)
    assert count(ws.store, "submissions") == len(paths)
    assert not any(p.exists() for p in paths)


@posix
@pytest.mark.parametrize("fork", [True, False], ids=["fork", "forkserver"])
def test_workers_exit_when_their_parent_is_killed(ws: Workspace, fork: bool) -> None:
    script = textwrap.dedent(f"""
        import multiprocessing, sys, time
        from pathlib import Path
        from xlbridge.service.workers import Preparer
        from xlbridge.service.workspace import Workspace
        preparer = Preparer(Workspace.load(Path({str(ws.root)!r})), b"k", workers=2, fork={fork}).start([Path("a"), Path("b")])
        while len(multiprocessing.active_children()) < 2:
            time.sleep(0.05)
        print(" ".join(str(p.pid) for p in multiprocessing.active_children()), flush=True)
        time.sleep(120)
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        pids = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(pids) >= 2
        parent.kill()
        parent.wait(10)
        deadline = time.monotonic() + 20
        while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in pids if _alive(pid)], "workers outlived their killed parent"
    finally:
        parent.kill()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # Re-parented to an init that does not reap (a container): a zombie is dead for our purpose.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return True


# --------------------------------------------------------------------------- groups
@posix
def test_a_batch_merges_in_order_under_fewer_commits(ws: Workspace, submissions: Submissions) -> None:
    files = submissions.make(12)
    paths = into_inbox(ws, files) + [ws.inbox / "again.xlsx"]
    paths[-1].write_bytes(files[0].read_bytes())  # the same bytes twice in one batch
    db = store.open_store(ws.store)
    with Preparer(ws, KEY, workers=2) as preparer:
        groups = list(ingest_groups(ws, db, preparer, paths))
    db.close()

    outcomes = [o for g in groups for _, o in g]
    assert [p for g in groups for p, _ in g] == paths
    assert [o.status for o in outcomes] == ["accepted"] * 12 + ["duplicate"]
    assert outcomes[-1].submission_id == outcomes[0].submission_id
    assert [o.submission_id for o in outcomes[:12]] == sorted(o.submission_id for o in outcomes[:12])
    assert all(o.receipt and o.receipt.exists() for o in outcomes)
    assert not any(p.exists() for p in paths)
    assert count(ws.store, "submissions") == 12
    assert all(len(g) <= read_ahead(2) for g in groups)


def test_a_group_the_store_refuses_leaves_every_file_in_the_inbox(ws: Workspace, submissions: Submissions) -> None:
    paths = into_inbox(ws, submissions.make(3))
    db = store.open_store(ws.store)
    with Preparer(ws, KEY, workers=0) as preparer:  # one merge first: the store has data to keep
        list(ingest_groups(ws, db, preparer, paths[:1]))
    before = dumps(ws.store, ("submissions", "rows", "findings", "current"))
    prepared = [prepare(ws, p, KEY) for p in paths[1:]]

    from xlbridge.service.ingest import merge_group

    other = sqlite3.connect(ws.store)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the store
    db.execute("PRAGMA busy_timeout = 100")
    try:
        results = merge_group(ws, db, prepared)
    finally:
        other.rollback()
        other.close()

    assert all(isinstance(r, StoreError) and "已回滚" in str(r) for r in results)
    assert dumps(ws.store, ("submissions", "rows", "findings", "current")) == before
    assert all(p.exists() for p in paths[1:])  # not one of them taken from the inbox
    assert not list(ws.outbox.rglob(f"*{paths[1].stem}*"))  # and no receipt claims they were

    results = merge_group(ws, db, prepared)  # the lock gone, the same files go in
    assert [r.status for r in results] == ["accepted", "accepted"]
    assert not any(p.exists() for p in paths[1:])
    db.close()


def test_a_new_version_of_the_system_file_reaches_the_workers(tmp_path: Path, submissions: Submissions) -> None:
    source = Path(__file__).resolve().parents[1] / "schema" / "puyang-2020.yaml"
    system_file = tmp_path / "puyang-2020.yaml"
    system_file.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    ws = make_workspace(tmp_path / "ws")
    ws.system = str(system_file)
    with Preparer(ws, KEY, workers=2) as preparer:
        first = [p.result() for g in preparer.in_groups(into_inbox(ws, submissions.make(2))) for p in g]
        text = system_file.read_text(encoding="utf-8").replace("version: '1'", "version: '2'", 1)
        system_file.write_text(text, encoding="utf-8")
        os.utime(system_file, ns=(time.time_ns(), time.time_ns() + 10**9))  # a new mtime, whatever the clock step
        second = [p.result() for g in preparer.in_groups(into_inbox(ws, submissions.make(2))) for p in g]

    assert preparer.system.version == "2"
    assert not any(f.rule == "system-changed" for p in first for f in p.findings)
    assert all(any(f.rule == "system-changed" for f in p.findings) for p in second)  # checked against version 2

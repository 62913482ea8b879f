"""A thread's read snapshot kept across executions (ispc_sqlite/snapshots.py), attacked.

A view hands its read transaction back when it closes and the thread's next view reuses it only
while SQLite's WAL index shows no commit since; these tests try to make a view see a stale chain
(commits by another connection, another process, this repository's own writer, a commit racing
the close), to make one thread read through another's snapshot, and to make a kept snapshot stop
the WAL from being checkpointed.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from ispc_framework.plugins import AssetOutput, NativeCoin, SealedDraft, TxInput, TxOutput
from ispc_sqlite import SqliteRepository
from ispc_sqlite import snapshots

ALICE = b"\xa1" * 32
BOB = b"\xb0" * 32


def coin(owner: bytes, amount: int) -> TxOutput:
    return TxOutput(owner, asset=AssetOutput(NativeCoin(), amount))


@pytest.fixture
def chain(tmp_path):
    repo = SqliteRepository(tmp_path / "chain.db", synchronous="normal")
    genesis = repo.writer().create_genesis("devnet", 1_000, [coin(ALICE, 100)])
    yield repo, genesis.created[0]
    repo.close()


def pay(repo: SqliteRepository, outpoint, owner: bytes, amount: int):
    """Spend ``outpoint`` into one output of ``amount`` for ``owner``: the new outpoint."""
    return repo.writer().apply(SealedDraft((TxInput(outpoint),), (coin(owner, amount),), ())) \
        .created[0]


def seen(repo: SqliteRepository):
    """What a fresh head view shows: revision, head height, alice's and bob's outputs."""
    with repo.view() as view:
        return (view.revision(), view.head().height, len(view.utxos_of(ALICE)),
                len(view.utxos_of(BOB)))


def test_a_closed_views_snapshot_is_reused_by_the_threads_next_view(chain):
    repo, _ = chain
    first = repo.view()
    conn = first._conn
    first.close()
    assert conn.in_transaction  # kept, not ended
    with repo.view() as second:
        assert second._conn is conn


def test_another_connections_commit_is_seen_by_the_next_view(chain):
    repo, genesis = chain
    before = seen(repo)  # leaves a kept snapshot
    other = SqliteRepository(repo.path, synchronous="normal")
    try:
        pay(other, genesis, BOB, 100)
    finally:
        other.close()
    assert seen(repo) == (before[0] + 1, 1, 0, 1)


def test_another_processs_commit_is_seen_by_the_next_view(chain, tmp_path):
    repo, genesis = chain
    before = seen(repo)
    script = (
        "import sys\n"
        "from ispc_framework.plugins import AssetOutput, NativeCoin, OutPoint, SealedDraft, "
        "TxInput, TxOutput\n"
        "from ispc_sqlite import SqliteRepository\n"
        "repo = SqliteRepository(sys.argv[1], synchronous='normal')\n"
        "op = OutPoint(bytes.fromhex(sys.argv[2]), 0)\n"
        "repo.writer().apply(SealedDraft((TxInput(op),), (TxOutput(b'\\xb0' * 32, "
        "asset=AssetOutput(NativeCoin(), 100)),), ()))\n"
        "repo.close()\n")
    subprocess.run([sys.executable, "-c", script, str(repo.path), genesis.tx_id.hex()],
                   check=True, timeout=120)
    assert seen(repo) == (before[0] + 1, 1, 0, 1)


def test_a_raw_sqlite_write_is_seen_by_the_next_view(chain):
    """Any commit moves the WAL index, not only a writer of this plugin."""
    repo, _ = chain
    with repo.view() as view:
        count = view.query("SELECT count(*) FROM resources")[0][0]
    raw = sqlite3.connect(repo.path, isolation_level=None)
    try:
        raw.execute("INSERT INTO resources (content_hash, size, content) VALUES (?, 1, x'00')",
                    (b"\x01" * 32,))
    finally:
        raw.close()
    with repo.view() as view:
        assert view.query("SELECT count(*) FROM resources")[0][0] == count + 1


def test_this_repositorys_apply_is_seen_and_ends_every_kept_snapshot(chain):
    repo, genesis = chain
    seen(repo)
    kept = []
    barrier = threading.Barrier(2)

    def on_a_thread():  # a second thread keeps a snapshot of its own
        view = repo.view()
        kept.append(view._conn)
        view.close()
        barrier.wait()

    worker = threading.Thread(target=on_a_thread)
    worker.start()
    barrier.wait()
    worker.join()
    assert kept[0].in_transaction
    pay(repo, genesis, BOB, 100)
    assert not kept[0].in_transaction  # ended by the commit: the WAL can be checkpointed
    assert seen(repo)[1:] == (1, 0, 1)


def test_a_view_left_open_across_a_commit_stays_a_snapshot_and_is_not_reused(chain):
    repo, genesis = chain
    old = repo.view()
    assert old.utxo_exists(genesis)
    pay(repo, genesis, BOB, 100)
    assert old.utxo_exists(genesis) and old.head().height == 0  # its own snapshot still
    old.close()  # a stale snapshot is offered back: it must not serve the next view
    with repo.view() as view:
        assert view.head().height == 1 and not view.utxo_exists(genesis)


def test_a_commit_racing_the_views_opening_is_never_hidden(chain):
    """Commits from another connection while this thread keeps opening views: every view
    shows at least the state committed before it was opened."""
    repo, genesis = chain
    other = SqliteRepository(repo.path, synchronous="normal")
    committed = [0]
    stop = threading.Event()

    def write():
        op = genesis
        while not stop.is_set() and committed[0] < 40:
            op = pay(other, op, ALICE if committed[0] % 2 else BOB, 100)
            committed[0] += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while writer.is_alive():
            floor = committed[0]
            with repo.view() as view:
                assert view.head().height >= floor
    finally:
        stop.set()
        writer.join()
        other.close()
    with repo.view() as view:
        assert view.head().height == committed[0]


def test_threads_never_share_a_snapshot(chain):
    repo, _ = chain
    conns: dict[int, set[int]] = {}
    together = threading.Barrier(4)  # all alive at once: a finished thread's id may be reused

    def run(n: int) -> None:
        together.wait()
        for _ in range(50):
            with repo.view() as view:
                conns.setdefault(n, set()).add(id(view._conn))
                view.head()
        together.wait()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for n in range(4):  # each thread reused one connection, nobody else's
        assert len(conns[n]) == 1
    assert len(set().union(*conns.values())) == 4


def test_an_idle_kept_snapshot_is_ended_after_the_linger(chain, monkeypatch):
    repo, genesis = chain
    monkeypatch.setattr(snapshots, "LINGER_SECONDS", 0.05)
    view = repo.view()
    conn = view._conn
    view.close()
    deadline = time.monotonic() + 10
    while conn.in_transaction and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not conn.in_transaction


def test_another_process_can_checkpoint_the_wal_after_the_linger(chain, monkeypatch):
    """An idle process's kept snapshot must not stop another writer's checkpoints for good."""
    repo, genesis = chain
    monkeypatch.setattr(snapshots, "LINGER_SECONDS", 0.05)
    seen(repo)  # this process keeps a snapshot of revision R
    other = SqliteRepository(repo.path, synchronous="normal")
    try:
        pay(other, genesis, BOB, 100)  # the WAL now holds frames newer than the snapshot
        time.sleep(0.3)
        raw = sqlite3.connect(repo.path, isolation_level=None)
        try:
            busy, frames, done = raw.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
        finally:
            raw.close()
        assert busy == 0 and frames == done
    finally:
        other.close()


def test_a_forked_child_does_not_use_the_parents_snapshot(chain):
    if not hasattr(os, "fork"):
        pytest.skip("no fork here")
    repo, genesis = chain
    view = repo.view()
    parent_conn = view._conn
    view.close()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report whether its view reused the parent's connection
        try:
            with repo.view() as child_view:
                os.write(write, b"shared" if child_view._conn is parent_conn else b"own")
        except BaseException as exc:  # noqa: BLE001 - report anything to the parent
            os.write(write, repr(exc).encode()[:200])
        finally:
            os._exit(0)
    os.close(write)
    answer = os.read(read, 256)
    os.close(read)
    os.waitpid(pid, 0)
    assert answer == b"own"
    with repo.view() as again:  # the parent's own snapshot is still good
        assert again._conn is parent_conn and again.utxo_exists(genesis)


def test_closing_the_repository_ends_and_closes_kept_snapshots(chain):
    repo, _ = chain
    view = repo.view()
    conn = view._conn
    view.close()
    repo.close()
    with pytest.raises(sqlite3.ProgrammingError):
        conn.execute("SELECT 1")


def test_without_a_wal_index_to_read_every_view_begins_afresh(chain, monkeypatch):
    """No shared-memory file to probe (or an unknown WAL-index version): no reuse, still right."""
    repo, genesis = chain
    repo._snapshots.close()  # as if the probe could not be set up
    first = repo.view()
    conn = first._conn
    first.close()
    assert not conn.in_transaction
    pay(repo, genesis, BOB, 100)
    assert seen(repo)[1:] == (1, 0, 1)


def test_the_probe_refuses_an_unknown_wal_index_version(tmp_path):
    path = tmp_path / "x.db"
    (tmp_path / "x.db-shm").write_bytes(b"\x00" * 32768)
    assert snapshots.WalIndexProbe.open(path) is None

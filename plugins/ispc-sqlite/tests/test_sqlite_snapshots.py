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

from ispc_framework.plugins import (AssetOutput, ISPCError, NativeCoin, RepositoryError,
                                    SealedDraft, TxInput, TxOutput)
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


# The session-6 attacker's review of kept snapshots (two of these broke the first version).

def _wal_growth(repo, genesis, rounds, park):
    """Alternate one execution (view opened and closed) and one block, ``rounds`` times; the
    WAL file's size at the end."""
    point, owner = genesis, BOB
    for _ in range(rounds):
        if park:
            with repo.view() as view:
                view.head()
        point = pay(repo, point, owner, 100)
        owner = ALICE if owner == BOB else BOB
    return os.path.getsize(f"{repo.path}-wal")


def test_wal_is_restarted_when_executions_run_between_blocks(tmp_path):
    """An execution between every two blocks leaves a parked snapshot that is still there when
    the next COMMIT's automatic checkpoint runs (after_commit ends them only afterwards), so that
    checkpoint can never backfill the whole WAL, the next write can never restart it, and the WAL
    grows without bound although no view is ever open during a commit."""
    sizes = {}
    for park in (False, True):
        repo = SqliteRepository(tmp_path / f"chain-{park}.db", synchronous="normal")
        try:
            genesis = repo.writer().create_genesis("devnet", 1_000, [coin(ALICE, 100)]).created[0]
            sizes[park] = _wal_growth(repo, genesis, 1500, park)
        finally:
            repo.close()
    # without executions the WAL is restarted (stays around the autocheckpoint size)
    assert sizes[True] <= 2 * sizes[False] + (1 << 20), sizes


def test_wal_growth_control_views_without_parking(tmp_path, monkeypatch):
    """Control for the test above: the same executions with parking disabled (the behaviour
    before 72a286d) keep the WAL bounded."""
    monkeypatch.setattr(snapshots.ParkedSnapshots, "park", lambda self, *a: False)
    repo = SqliteRepository(tmp_path / "chain.db", synchronous="normal")
    try:
        genesis = repo.writer().create_genesis("devnet", 1_000, [coin(ALICE, 100)]).created[0]
        size = _wal_growth(repo, genesis, 1500, True)
    finally:
        repo.close()
    assert size < 8 << 20, size


def test_nested_views_on_one_thread_never_share_a_connection_and_follow_commits(chain):
    repo, genesis = chain
    outer = repo.view()
    inner = repo.view()
    assert outer._conn is not inner._conn
    inner.close()                       # parked
    again = repo.view()                 # reuses inner's snapshot
    assert again._conn is not outer._conn
    outer.close()                       # replaces the parked one? `again` still holds its conn
    third = repo.view()
    assert third._conn is not again._conn
    pay(repo, genesis, BOB, 100)
    again.close()  # both closed after the commit: stale headers
    third.close()
    with repo.view() as fresh:
        assert fresh.head().height == 1 and len(fresh.utxos_of(BOB)) == 1
        assert fresh.utxo(genesis) is None


def test_a_view_closed_on_another_thread_is_never_shared(chain):
    repo, genesis = chain
    view = repo.view()
    conn = view._conn
    seen = {}

    def close_there():
        view.close()                    # parked for this other thread
        with repo.view() as there:
            seen["there"] = there._conn
    t = threading.Thread(target=close_there)
    t.start()
    t.join()
    with repo.view() as here:           # this thread has nothing parked: a fresh snapshot
        assert here._conn is not conn
        pay(repo, genesis, BOB, 100)
    with repo.view() as after:
        assert after.head().height == 1 and after.utxo(genesis) is None


def test_threads_open_close_views_while_blocks_are_applied(chain):
    """Every view opened after a commit returned shows at least that commit, on every thread;
    no two live views share a connection."""
    repo, genesis = chain
    committed = [0]                      # height known to be committed before the view opens
    live: dict[int, int] = {}
    errors = []
    live_lock = threading.Lock()
    stop = threading.Event()

    def reader():
        try:
            while not stop.is_set():
                floor = committed[0]
                with repo.view() as view:
                    with live_lock:
                        assert id(view._conn) not in live
                        live[id(view._conn)] = 1
                    h = view.head().height
                    assert h >= floor, (h, floor)
                    assert view.revision() == view.revision()
                    with live_lock:
                        del live[id(view._conn)]
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    point, owner = genesis, BOB
    for h in range(1, 40):
        point = pay(repo, point, owner, 100)
        committed[0] = h
        owner = ALICE if owner == BOB else BOB
        time.sleep(0.002)
    stop.set()
    for t in threads:
        t.join()
    assert not errors, errors[0]


def test_view_at_never_uses_or_leaves_a_kept_snapshot(chain):
    repo, genesis = chain
    with repo.view():
        pass                               # parks a head snapshot at height 0
    pay(repo, genesis, BOB, 100)
    with repo.view():
        pass                               # parks at height 1
    with repo.view_at(0) as past:
        assert past.head().height == 0 and past.utxo(genesis) is not None
        past_conn = past._conn
    assert not past_conn.in_transaction    # a past view's snapshot is ended, not parked
    with repo.view() as now:
        assert now.head().height == 1 and now._conn is not past_conn


def test_user_sql_cannot_end_or_swap_the_kept_snapshot(chain):
    repo, genesis = chain
    view = repo.view()
    conn = view._conn
    for sql in ("ROLLBACK", "COMMIT", "END", "BEGIN", "SAVEPOINT s", "RELEASE s",
                "ROLLBACK TO s", "SELECT 1; ROLLBACK", "PRAGMA query_only=OFF",
                "SELECT * FROM no_such_table", "SELECT randomblob(2000000000)",
                "SELECT json('not json')", "SELECT abs(-9223372036854775808)"):
        with pytest.raises(ISPCError):  # typed, whatever the statement
            view.query(sql)
        assert conn.in_transaction, sql
    view.close()
    assert conn.in_transaction              # parked, still in its snapshot
    pay(repo, genesis, BOB, 100)
    with repo.view() as after:
        assert after.head().height == 1 and after.utxo(genesis) is None
        # the reused connection (if it is) is in a read transaction that sees the commit
        assert after.query("SELECT COUNT(*) FROM sqlite_master")[0][0] > 0


def test_error_while_opening_a_view_leaks_nothing_and_parks_nothing(chain, monkeypatch):
    repo, genesis = chain
    from ispc_sqlite import view as view_mod
    opened = []
    real_open = view_mod.begin_snapshot

    def boom(conn):
        opened.append(conn)
        real_open(conn)
        raise sqlite3.OperationalError("injected")
    monkeypatch.setattr(view_mod, "begin_snapshot", boom)
    with pytest.raises(ISPCError):
        repo.view()
    monkeypatch.setattr(view_mod, "begin_snapshot", real_open)
    assert not repo._snapshots._parked
    with pytest.raises(sqlite3.ProgrammingError):
        opened[0].execute("SELECT 1")       # closed, not pooled
    with repo.view() as view:
        assert view.head().height == 0


def test_timer_and_close_raise_nothing_anywhere(tmp_path, monkeypatch):
    """Parked snapshots expiring, the repository closed with a timer pending and views closed
    after the repository: no exception in any thread, no connection left open."""
    monkeypatch.setattr(snapshots, "LINGER_SECONDS", 0.05)
    hooked = []
    monkeypatch.setattr(threading, "excepthook", lambda args: hooked.append(args))
    repo = SqliteRepository(tmp_path / "c.db", synchronous="normal")
    repo.writer().create_genesis("devnet", 1_000, [coin(ALICE, 100)])
    conns = []
    for _ in range(5):
        def one():
            with repo.view() as v:
                conns.append(v._conn)
        t = threading.Thread(target=one)
        t.start()
        t.join()
    time.sleep(0.3)                          # all expired by the timer
    assert not repo._snapshots._parked
    assert all(not c.in_transaction for c in conns)
    late = repo.view()
    with repo.view():
        pass                                 # parked, timer pending
    repo.close()
    late.close()                             # after close: idempotent, nothing raised
    time.sleep(0.2)
    assert not hooked, hooked
    for c in conns:
        with pytest.raises(sqlite3.ProgrammingError):
            c.execute("SELECT 1")
    with pytest.raises(RepositoryError):
        repo.view()


def test_a_checkpoint_restart_from_another_process_is_seen(chain):
    """A RESTART checkpoint by another connection after the park changes the salts; the kept
    snapshot (pinning the WAL) makes it wait, then the linger ends it."""
    repo, genesis = chain
    with repo.view():
        pass
    other = sqlite3.connect(repo.path, timeout=5)
    try:
        t0 = time.monotonic()
        busy, log, done = other.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
        assert time.monotonic() - t0 < 4.0
    finally:
        other.close()
    with repo.view() as view:
        assert view.head().height == 0 and view.utxo(genesis) is not None
    pay(repo, genesis, BOB, 100)
    with repo.view() as view:
        assert view.head().height == 1


def test_a_timer_that_cannot_start_does_not_disable_expiry_forever(chain, monkeypatch):
    """threading.Timer.start() can fail (no more threads; interpreter shutdown on 3.12+). The
    failure must not escape view.close() nor leave a never-started timer recorded, which would
    stop every later parked snapshot from expiring (pinning the WAL against other processes)."""
    repo, genesis = chain
    monkeypatch.setattr(snapshots, "LINGER_SECONDS", 0.05)
    real_start = threading.Timer.start
    calls = []

    def failing_start(self):
        calls.append(self)
        if len(calls) == 1:
            raise RuntimeError("can't start new thread")
        real_start(self)
    monkeypatch.setattr(threading.Timer, "start", failing_start)
    view = repo.view()
    try:
        view.close()
    except RuntimeError:
        pass  # reported below through the state it leaves
    with repo.view():
        pass                                  # parks again: a timer must be started now
    time.sleep(0.4)
    assert not repo._snapshots._parked, "a parked snapshot never expires"

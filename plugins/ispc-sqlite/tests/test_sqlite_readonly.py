"""Draft-only writes made physical: nothing reachable from an execution's view can write."""

from __future__ import annotations

import sqlite3

import pytest

from ispc_framework.plugins import ReadOnlyViolation, RepositoryError
from ispc_framework.plugins import AssetOutput, NativeCoin, SealedDraft, TxOutput
from ispc_sqlite import SqliteRepository

OWNER = b"\x11" * 32

WRITES = [
    "DELETE FROM outputs",
    "UPDATE chain_state SET revision = revision + 1",
    "INSERT INTO resources (content_hash, size, content) VALUES (x'00', 0, x'')",
    "DROP TABLE blocks",
    "CREATE TABLE scratch (x)",
    "CREATE TEMP TABLE scratch (x)",
    "PRAGMA query_only = OFF",
    "PRAGMA user_version = 99",
    "ATTACH DATABASE 'elsewhere.db' AS elsewhere",
    "VACUUM",
]


@pytest.fixture
def repo(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a successful ATTACH would create elsewhere.db here
    repository = SqliteRepository(tmp_path / "ro.db")
    repository.writer().create_genesis("devnet", 1, [TxOutput(OWNER, asset=AssetOutput(
        NativeCoin(), 5))])
    repository.writer().store_resource(b"code")
    yield repository
    repository.close()


def _snapshot(repo):
    view = repo.view()
    state = (view.revision(), view.head(), view.utxos_of(OWNER),
             view.query("SELECT count(*) FROM resources"))
    view.close()
    return state


@pytest.mark.parametrize("sql", WRITES)
def test_writes_through_the_view_raise_read_only_violation(repo, tmp_path, sql):
    before = _snapshot(repo)
    view = repo.view()
    with pytest.raises(ReadOnlyViolation) as err:
        view.query(sql)
    assert err.value.code == "read-only" and err.value.hint
    assert _snapshot(repo) == before
    assert not (tmp_path / "elsewhere.db").exists()
    assert repo.verify() == []


def test_the_raw_connection_cannot_write_even_with_its_guards_removed(repo):
    """A host function that dug out the sqlite3 connection, removed the authorizer and turned
    query_only off still meets the OS-level read-only file handle (mode=ro)."""
    before = _snapshot(repo)
    view = repo.view()
    raw = object.__getattribute__(view, "_conn")
    with pytest.raises(sqlite3.DatabaseError, match="not authorized"):
        raw.execute("DELETE FROM outputs")
    raw.set_authorizer(lambda *args: sqlite3.SQLITE_OK)  # allow everything (works on 3.10 too)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        raw.execute("DELETE FROM outputs")  # query_only
    raw.execute("PRAGMA query_only = OFF")
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        raw.execute("DELETE FROM outputs")  # mode=ro
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        raw.execute("UPDATE chain_state SET revision = 0")
    assert _snapshot(repo) == before


def test_the_view_has_no_writer_and_refuses_attributes(repo):
    view = repo.view()
    for name in ("apply", "store_resource", "create_genesis", "writer", "_repo"):
        assert not hasattr(view, name)
    with pytest.raises(ReadOnlyViolation):
        view._conn = None
    with pytest.raises(ReadOnlyViolation):
        view.anything = 1
    assert view.revision() == 2


def test_a_view_is_a_snapshot_and_a_new_view_sees_the_write(repo):
    """A view is one read transaction: a write by any path (here, the writer) bumps the revision
    a *new* view reads, while a view opened before keeps its revision, head and outputs."""
    view = repo.view()
    before = (view.revision(), view.head(), view.utxos_of(OWNER))
    key = repo.writer().store_resource(b"new bytes")
    repo.writer().apply(SealedDraft((), (TxOutput(OWNER, asset=AssetOutput(NativeCoin(), 9)),),
                                    ()))
    assert (view.revision(), view.head(), view.utxos_of(OWNER)) == before
    assert view.query("SELECT count(*) FROM blocks") == [(before[1].height + 1,)]
    with repo.view() as fresh:
        assert fresh.revision() == before[0] + 2
        assert fresh.head().height == before[1].height + 1
        assert fresh.resource_content(key) == b"new bytes"


@pytest.mark.parametrize("statement", ["COMMIT", "ROLLBACK", "END", "BEGIN", "SAVEPOINT s",
                                       "end transaction", "BEGIN DEFERRED"])
def test_sql_through_the_view_cannot_end_its_snapshot(repo, statement):
    """Ending the read transaction would let later reads see a newer chain: refused, also for
    the exact text of the plugin's own (cached) snapshot statements."""
    view = repo.view()
    revision = view.revision()
    repo.writer().store_resource(b"moved on")
    with pytest.raises(ReadOnlyViolation):
        view.query(statement)
    assert view.revision() == revision
    assert view.query("SELECT revision FROM chain_state") == [(revision,)]


def test_a_closed_view_is_refused_and_its_connection_is_reused(repo):
    view = repo.view()
    conn = view._conn
    view.close()
    view.close()  # idempotent
    for call in (view.head, view.revision, lambda: view.utxos_of(OWNER),
                 lambda: view.resource_content(b"\0" * 32)):
        with pytest.raises(RepositoryError) as info:
            call()
        assert info.value.code == "closed"
    again = repo.view()
    assert again._conn is conn and again.revision() == repo.view().revision()

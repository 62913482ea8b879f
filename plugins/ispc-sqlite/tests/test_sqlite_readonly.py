"""Draft-only writes made physical: nothing reachable from an execution's view can write."""

from __future__ import annotations

import sqlite3

import pytest

from ispc_framework.plugins import ReadOnlyViolation
from ispc_framework.plugins import AssetOutput, NativeCoin, TxOutput
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


def test_revision_detects_an_out_of_band_write(repo):
    """What the coordinator relies on: revision() before and after a run differs iff something
    was written, so a write by any path (here, the writer) is visible."""
    view = repo.view()
    before = view.revision()
    repo.writer().store_resource(b"new bytes")
    assert view.revision() == before + 1

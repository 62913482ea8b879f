"""Opening SQLite connections: one writable connection for commands, read-only ones for views.

A view's connection is locked down three ways, so a host function that reached it could still not
write: the file is opened with ``mode=ro`` (the OS-level handle cannot write), ``PRAGMA
query_only`` is on, and an authorizer allows only reads (it also refuses ``ATTACH`` and
``PRAGMA``, which ``mode=ro`` alone would let through to create or write *another* file).

A reader also refuses transaction statements (``BEGIN``/``COMMIT``/...) unless the plugin itself
issues them through :func:`begin_snapshot`/:func:`end_snapshot`: a view is one read transaction (a
snapshot), and SQL passed to ``view.query`` must not be able to end it and read a newer state.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ispc_framework.plugins import ReadOnlyViolation, RepositoryError, SchemaError

__all__ = ["open_writer", "open_reader", "begin_snapshot", "end_snapshot", "user_sql",
           "translate"]

SYNCHRONOUS = ("full", "normal")

# Statements a view may prepare; everything else (writes, DDL, ATTACH, PRAGMA) is denied.
_READ_ACTIONS = frozenset({sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION,
                           sqlite3.SQLITE_RECURSIVE})

# The plugin's own snapshot statements. Python's sqlite3 caches prepared statements by their
# text and the authorizer runs only when a statement is prepared, so SQL from ``view.query`` is
# run through :func:`user_sql`, which makes its text differ from these (it can never reuse them).
_BEGIN, _END = "BEGIN DEFERRED", "ROLLBACK"


class _Flag:
    __slots__ = ("on",)

    def __init__(self) -> None:
        self.on = False


class _Reader(sqlite3.Connection):
    """A reader connection that knows when the plugin itself opens or ends a transaction."""

    own_transaction: _Flag


def _reader_authorizer(own_transaction: _Flag):
    # Holds the flag, not the connection: no reference cycle through the authorizer.
    def authorize(action: int, arg1, arg2, db_name, trigger) -> int:
        if action in _READ_ACTIONS:
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_TRANSACTION and own_transaction.on:
            return sqlite3.SQLITE_OK
        return sqlite3.SQLITE_DENY
    return authorize


def begin_snapshot(conn: sqlite3.Connection) -> None:
    """Open the read transaction a view lives in (the snapshot is taken by its first read)."""
    _own(conn, _BEGIN)


def end_snapshot(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        _own(conn, _END)


def _own(conn: sqlite3.Connection, sql: str) -> None:
    flag = conn.own_transaction  # type: ignore[attr-defined]
    flag.on = True
    try:
        conn.execute(sql)
    finally:
        flag.on = False


def user_sql(sql: str) -> str:
    """SQL from outside the plugin, made distinct from the plugin's own cached statements."""
    return sql + "\n"


def open_writer(path: Path, *, synchronous: str, busy_timeout_ms: int) -> sqlite3.Connection:
    """The one connection that writes. Autocommit mode: every transaction is an explicit
    BEGIN IMMEDIATE, so Python's sqlite3 never opens or commits one behind our back."""
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False,
                           timeout=busy_timeout_ms / 1000)
    try:
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise RepositoryError(f"{path}: SQLite refused WAL mode (got {mode!r})",
                                  code="wal-unavailable")
        conn.execute(f"PRAGMA synchronous={synchronous.upper()}")
        conn.execute("PRAGMA foreign_keys=ON")
    except sqlite3.Error as exc:
        conn.close()
        raise translate(exc, str(path)) from exc
    except BaseException:
        conn.close()
        raise
    return conn


def open_reader(path: Path, *, busy_timeout_ms: int, pragmas: bool = False) -> sqlite3.Connection:
    """A connection that cannot write (see the module docstring). ``pragmas=True`` drops the
    authorizer (never for views) so the integrity checker can run ``PRAGMA integrity_check``."""
    uri = path.resolve().as_uri() + "?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False,
                               timeout=busy_timeout_ms / 1000, factory=_Reader)
    except sqlite3.Error as exc:
        raise translate(exc, str(path)) from exc
    try:
        conn.execute("PRAGMA query_only=ON")
        conn.own_transaction = _Flag()
        if not pragmas:
            conn.set_authorizer(_reader_authorizer(conn.own_transaction))
    except BaseException:
        conn.close()
        raise
    return conn


_SQLITE_READONLY, _SQLITE_AUTH = 8, 23


def _is_read_only_refusal(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)  # Python 3.11+; 3.10 has only the message
    if code is not None and code & 0xFF in (_SQLITE_READONLY, _SQLITE_AUTH):
        return True
    # DDL refused by the authorizer reports SQLITE_ERROR with this message.
    text = str(exc).lower()
    # VACUUM has no authorizer action; inside a view's read transaction SQLite refuses it so.
    return any(sign in text for sign in ("cannot vacuum", "readonly", "not authorized",
                                         "authorization denied"))


def translate(exc: sqlite3.Error, where: str = "") -> RepositoryError:
    """Map a sqlite3 exception to the typed error a caller can act on."""
    text = str(exc)
    prefix = f"{where}: " if where else ""
    if _is_read_only_refusal(exc):
        return ReadOnlyViolation(f"{prefix}a chain view is read-only ({text})")
    if "locked" in text or "busy" in text:
        return RepositoryError(f"{prefix}the database stayed locked by another writer ({text})",
                               code="database-busy")
    if "not a database" in text:
        return SchemaError(f"{prefix}the file is not a SQLite database", code="not-a-database")
    if "malformed" in text:
        return RepositoryError(f"{prefix}the database file is corrupt ({text})",
                               code="database-corrupt")
    if "closed" in text:
        return RepositoryError(f"{prefix}the repository was closed ({text})", code="closed")
    if "unable to open" in text:
        return RepositoryError(f"{prefix}cannot open the database ({text})", code="cannot-open")
    return RepositoryError(f"{prefix}SQLite failed: {text}", code="storage-error")

"""SqliteRepository: the plugin's factory object (``ispc_sqlite.repository:SqliteRepository``).

It opens (and creates or migrates) one database file, keeps the single writable connection for
:meth:`writer`, and serves every :meth:`view` from a small pool of read-only connections: a view
is one read transaction on a connection taken from the pool (opened only when none is idle) and
given back when the view closes, so an execution costs a ``BEGIN``, not a connection; and while
nothing is committed, the thread's next view goes on in the same read transaction, which costs
nothing (:mod:`.snapshots`). Views work while a writer applies a block: WAL lets readers keep
their snapshot without waiting.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from os import PathLike
from pathlib import Path

from ispc_framework.plugins import ChainPins, ConfigError, NotFound, RepositoryError, resolve_settings

from .cache import ReadCache
from .connection import SYNCHRONOUS, end_snapshot, open_reader, open_writer, translate
from .integrity import verify_database
from .plugin import REPOSITORY
from .schema import ensure_schema
from .snapshots import ParkedSnapshots
from .view import SqliteChainView
from .writer import SqliteWriter

__all__ = ["SqliteRepository"]

#: the declared settings' defaults (plugin.py, the one place they are written), so a repository
#: built directly (tests, library use) gets the same ones as one the core builds from ispc.toml
_DEFAULTS = resolve_settings(REPOSITORY.settings, None, "sqlite")
#: idle reader connections kept for reuse (one per thread running executions is what is needed)
MAX_IDLE_READERS = 8


def _setting_int(name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"[plugin.sqlite] {name}: expected an integer >= {low}, got {value!r}")
    return value


class SqliteRepository:
    """A repository in one SQLite file. Settings are the keys of ``[plugin.sqlite]``."""

    def __init__(self, path: str | PathLike[str] = _DEFAULTS["path"], *,
                 synchronous: str = _DEFAULTS["synchronous"],
                 busy_timeout_ms: int = _DEFAULTS["busy_timeout_ms"],
                 max_resource_bytes: int = _DEFAULTS["max_resource_bytes"]) -> None:
        if not isinstance(path, (str, PathLike)) or str(path) in ("", ":memory:") \
                or str(path).startswith("file:"):
            raise ConfigError(f"[plugin.sqlite] path: expected a file path, got {path!r}",
                              hint="views need a file they can reopen read-only; use a file path")
        if synchronous not in SYNCHRONOUS:
            raise ConfigError(f"[plugin.sqlite] synchronous: expected one of {SYNCHRONOUS}, got "
                              f"{synchronous!r}")
        self._busy_timeout_ms = _setting_int("busy_timeout_ms", busy_timeout_ms, 0)
        max_bytes = _setting_int("max_resource_bytes", max_resource_bytes, 1)
        self.path = Path(path).expanduser().absolute()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"[plugin.sqlite] path: cannot create {self.path.parent}: {exc}",
                              hint="choose a writable directory") from exc
        where = str(self.path)
        conn = open_writer(self.path, synchronous=synchronous,
                           busy_timeout_ms=self._busy_timeout_ms)
        try:
            self.migrated_from = ensure_schema(conn, where)
        except sqlite3.Error as exc:
            conn.close()
            raise translate(exc, where) from exc
        except BaseException:
            conn.close()
            raise
        self._writer_conn = conn
        self._cache = ReadCache()
        self._views: weakref.WeakSet[SqliteChainView] = weakref.WeakSet()
        self._idle: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False
        # after the writer opened WAL mode: the -shm file the probe reads exists now
        self._snapshots = ParkedSnapshots(self.path, self._end)
        self._writer = SqliteWriter(conn, where, max_resource_bytes=max_bytes, cache=self._cache,
                                    end_snapshots=self._snapshots.end_all)

    def __repr__(self) -> str:
        return f"SqliteRepository({str(self.path)!r})"

    def _check_open(self) -> None:
        if self._closed:
            raise RepositoryError(f"{self.path}: the repository was closed", code="closed")

    def view(self) -> SqliteChainView:
        """A read-only snapshot of the chain as committed now (close it, or close the repo)."""
        return self._open_view(None)

    def view_at(self, height: int) -> SqliteChainView:
        """A read-only view of the chain as it was at block ``height``."""
        if isinstance(height, bool) or not isinstance(height, int) \
                or not 0 <= height <= 2**63 - 1:  # beyond SQLite integers: no such block
            raise NotFound(f"{self.path}: there is no block {height!r}", code="no-such-height",
                           hint="`ispc chain` lists the blocks")
        past = self._open_view(height)
        if past._head is None or past._head.height != height:
            past.close()
            raise NotFound(f"{self.path}: there is no block {height!r}", code="no-such-height",
                           hint="`ispc chain` lists the blocks")
        return past

    def _open_view(self, height: int | None) -> SqliteChainView:
        self._check_open()
        kept = self._snapshots.take() if height is None else None
        if kept is not None:  # nothing committed since: the same snapshot a BEGIN would take
            view = SqliteChainView(kept.conn, str(self.path), None, cache=self._cache,
                                   release=self._release, snapshot=(kept.header, kept.state))
        else:
            with self._lock:
                self._check_open()
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                conn = open_reader(self.path, busy_timeout_ms=self._busy_timeout_ms)
            before = self._snapshots.header() if height is None else None
            try:
                view = SqliteChainView(conn, str(self.path), height, cache=self._cache,
                                       release=self._release)
            except BaseException:
                conn.close()
                raise
            if before is not None and self._snapshots.header() == before:
                view._keep_header(before)  # no commit between BEGIN and the first read
        with self._lock:
            if self._closed:  # closed meanwhile: its close() did not see this view
                view.close()
                self._check_open()
            self._views.add(view)
        return view

    def _release(self, conn: sqlite3.Connection, header: bytes | None,
                 state: tuple[int, ChainPins | None]) -> None:
        """Take back a closed view's connection, still in its snapshot: keep the snapshot for
        the thread's next view (a head view whose snapshot header is known), or end it."""
        if header is not None and not self._closed and self._snapshots.park(conn, header, state):
            return
        self._end(conn)

    def _end(self, conn: sqlite3.Connection) -> None:
        """End the snapshot ``conn`` is in and pool the connection (or close it)."""
        try:
            end_snapshot(conn)
        except sqlite3.Error:
            conn.close()  # not reusable: drop it
            return
        with self._lock:
            if not self._closed and len(self._idle) < MAX_IDLE_READERS:
                self._idle.append(conn)
                return
        conn.close()

    def writer(self) -> SqliteWriter:
        self._check_open()
        return self._writer

    def verify(self) -> list[str]:
        """Problems found by SQLite's integrity checks and by re-deriving every block (see
        :mod:`.integrity`); empty when the file is healthy."""
        self._check_open()
        return verify_database(self.path, busy_timeout_ms=self._busy_timeout_ms)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            views = list(self._views)
        for view in views:
            view.close()
        self._snapshots.close()
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
        with self._writer._lock:  # wait for a running transaction to finish
            self._writer_conn.close()

    def __enter__(self) -> SqliteRepository:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

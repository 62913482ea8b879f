"""A thread's read snapshot kept from one execution to the next, while nothing was committed.

Opening a view costs a ``BEGIN``, a ``SELECT`` of revision and head and, at close, a
``ROLLBACK``: two ``fcntl`` locks and three statements, ~8-11 us, a few percent of a token
transfer. When a head view closes, its read transaction is kept ("parked") for the next view
opened on the same thread, which reuses it if no commit happened since. A new transaction
would read exactly the same state then, so the view is still the chain as committed when it was
opened: reuse changes nothing a run can observe.

Whether anything was committed is read where SQLite itself reads it: the WAL-index header at the
start of the database's ``-shm`` file (https://www.sqlite.org/walformat.html, "The WAL-Index
Header"). Every commit rewrites it (its change counter, last frame and checksums move), and a
new read transaction takes its snapshot from it; its layout is fixed because processes running
different SQLite versions share the file. The probe maps the file's first 96 bytes read-only
(both copies of the header) and compares them with the ones recorded when the snapshot was
taken: equal means no commit since, anything else (a commit, one in progress, a checkpoint
restarting the WAL) means the parked snapshot is ended and the view begins afresh. A snapshot is recorded only
when the header was the same before its ``BEGIN`` and after its first read (no commit slipped in
between), and only for WAL-index version 3007000; without a probe (no ``-shm`` file, another
version) every view begins afresh, as before. Unlinking or truncating ``-shm`` while the database
is open corrupts it for SQLite as well (https://www.sqlite.org/howtocorrupt.html), so the probe
does not guard against that.

A kept snapshot must not stop the WAL from being checkpointed (a reader pins the frames after
its snapshot): this repository's writer ends every parked snapshot just before each ``COMMIT``
(whose automatic checkpoint could otherwise never copy the whole WAL back, so the WAL would never
restart and grew without bound; tests/test_sqlite_snapshots.py) and after it, and a timer ends
those left idle for ``LINGER_SECONDS`` (another process's writer may be committing meanwhile);
when no timer thread can be started, nothing is kept. A forked child never uses its parent's
parked connections (SQLite connections must not cross a fork): it leaves them alone, and opens
its own.
"""

from __future__ import annotations

import mmap
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["LINGER_SECONDS", "WalIndexProbe", "ParkedSnapshots"]

#: how long a parked snapshot may sit unused before the timer ends it
LINGER_SECONDS = 1.0

_WAL_INDEX_VERSION = 3007000
_HEADER = 48  # one copy of the WAL-index header; the shared-memory file starts with two

_instances: weakref.WeakSet[ParkedSnapshots] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for shelf in list(_instances):
        shelf._forked()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class WalIndexProbe:
    """Reads the WAL-index header of one database (see the module docstring)."""

    __slots__ = ("_map",)

    def __init__(self, shared: mmap.mmap) -> None:
        self._map = shared

    @classmethod
    def open(cls, database: Path) -> WalIndexProbe | None:
        """A probe of ``database``'s ``-shm`` file, or None if there is none to read."""
        try:
            fd = os.open(f"{database}-shm", os.O_RDONLY)
        except OSError:
            return None
        try:
            if os.fstat(fd).st_size < 2 * _HEADER:
                return None
            shared = mmap.mmap(fd, 2 * _HEADER, mmap.MAP_SHARED, mmap.PROT_READ)
        except (OSError, ValueError):
            return None
        finally:
            os.close(fd)  # the mapping stays valid without the descriptor
        if int.from_bytes(shared[:4], "little") != _WAL_INDEX_VERSION:
            shared.close()
            return None
        return cls(shared)

    def header(self) -> bytes | None:
        """Both header copies; None while they differ (a commit is writing them) or once the
        probe is closed."""
        try:
            both = self._map[:2 * _HEADER]
        except ValueError:  # closed by the repository's close() on another thread
            return None
        return both if both[:_HEADER] == both[_HEADER:] else None

    def close(self) -> None:
        self._map.close()


class _Parked:
    __slots__ = ("conn", "header", "state", "since")

    def __init__(self, conn: sqlite3.Connection, header: bytes, state: Any) -> None:
        self.conn, self.header, self.state = conn, header, state
        self.since = time.monotonic()


class ParkedSnapshots:
    """At most one parked snapshot per thread. ``end(conn)`` ends a snapshot that is not
    reused and takes its connection back (the repository's idle pool)."""

    def __init__(self, database: Path, end: Callable[[sqlite3.Connection], None]) -> None:
        self._probe = WalIndexProbe.open(database)
        self._end = end
        self._lock = threading.Lock()
        self._parked: dict[int, _Parked] = {}
        self._timer: threading.Timer | None = None
        self._inherited: list[_Parked] = []  # a forked child's copies of the parent's: untouched
        _instances.add(self)

    def header(self) -> bytes | None:
        """The WAL-index header now, or None (no probe, or a commit is writing it)."""
        probe = self._probe
        return probe.header() if probe is not None else None

    def take(self) -> _Parked | None:
        """This thread's parked snapshot (``conn``, ``header``, ``state``) if nothing was
        committed since it was taken."""
        if not self._parked:
            return None
        with self._lock:
            parked = self._parked.pop(threading.get_ident(), None)
        if parked is None:
            return None
        if parked.header == self.header():
            return parked
        self._end(parked.conn)
        return None

    def park(self, conn: sqlite3.Connection, header: bytes | None, state: Any) -> bool:
        """Keep ``conn``'s snapshot (taken at WAL-index ``header``) for this thread's next view;
        False if it cannot be kept (the caller ends it)."""
        if header is None or self._probe is None:
            return False
        entry = _Parked(conn, header, state)
        with self._lock:
            if self._probe is None or (self._timer is None
                                       and not self._schedule(LINGER_SECONDS)):
                return False  # without a timer nothing may be kept: it could linger for good
            older = self._parked.pop(threading.get_ident(), None)
            self._parked[threading.get_ident()] = entry
        if older is not None:
            self._end(older.conn)
        return True

    def end_all(self) -> None:
        """End every parked snapshot (after a commit: they are stale, and pin the WAL)."""
        if not self._parked:
            return
        with self._lock:
            parked, self._parked = list(self._parked.values()), {}
        for entry in parked:
            self._end(entry.conn)

    def close(self) -> None:
        """End every parked snapshot; nothing is parked from now on."""
        with self._lock:
            probe, self._probe = self._probe, None
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
        self.end_all()
        if probe is not None:
            probe.close()

    # ------------------------------------------------------------------------- internals

    def _schedule(self, delay: float) -> bool:
        """Start the expiry timer (called with self._lock held); False if no thread can start
        (threads exhausted, interpreter shutting down)."""
        timer = threading.Timer(delay, self._expire)
        timer.daemon = True
        try:
            timer.start()
        except RuntimeError:
            return False
        self._timer = timer
        return True

    def _expire(self) -> None:
        now = time.monotonic()
        with self._lock:
            self._timer = None
            idle = [key for key, entry in self._parked.items()
                    if now - entry.since >= LINGER_SECONDS]
            expired = [self._parked.pop(key) for key in idle]
            if self._parked and self._probe is not None:
                oldest = min(entry.since for entry in self._parked.values())
                if not self._schedule(max(0.0, oldest + LINGER_SECONDS - now)):
                    expired += self._parked.values()  # no later timer: end them all now
                    self._parked = {}
        for entry in expired:
            self._end(entry.conn)

    def _forked(self) -> None:
        self._inherited.extend(self._parked.values())
        self._parked = {}
        self._lock = threading.Lock()
        self._timer = None

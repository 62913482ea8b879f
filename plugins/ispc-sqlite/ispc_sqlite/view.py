"""SqliteChainView: the read-only chain view an execution receives.

It owns nothing but a connection that cannot write (see :mod:`.connection`) and the repository's
read cache (:mod:`.cache`, immutable facts only), and holds no reference to the repository or its
writer, so nothing reachable from it can change the chain.

A view is one SQLite read transaction: everything it returns is from the one committed state that
was current when it was opened (its snapshot), however many blocks are applied meanwhile, so a run
reads a consistent chain and is pinned to it. Closing the view hands the connection back to the
repository, which keeps its transaction for the thread's next view while nothing is committed
(:mod:`.snapshots`) or ends it and pools the connection (connections are reused, not reopened).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from typing import Any

from ispc_framework.plugins import ChainPins
from ispc_framework.plugins import decode
from ispc_framework.plugins import NotFound, ReadOnlyViolation, RepositoryError, ValidationError
from ispc_framework.plugins import (Event, OutPoint, ResourceCategory, ResourceOutput,
                                    StateOutput, TxOutput)
from ispc_framework.plugins import BlockInfo, BlockRecord

from . import storage
from .cache import ReadCache
from .connection import begin_snapshot, end_snapshot, translate, user_sql
from .schema import from_u64

__all__ = ["SqliteChainView"]

#: ``release(conn, header, (revision, head))``: the view's connection back from ``close``
Release = Callable[[sqlite3.Connection, "bytes | None", "tuple[int, ChainPins | None]"], None]

_MAX_SQLITE_INT = 2**63 - 1
_BLOCK_COLUMNS = "height, timestamp, block_hash, parent_hash, transaction_id, output_count"


def _outpoint(value: Any) -> OutPoint:
    if not isinstance(value, OutPoint):
        raise ValidationError("outpoint", f"expected OutPoint, got {type(value).__name__}")
    return value


def _hash_bytes(value: Any, field: str) -> bytes:
    if not isinstance(value, bytes):
        raise ValidationError(field, f"expected bytes, got {type(value).__name__}")
    return value


def _block(row: tuple) -> BlockInfo:
    height, timestamp, block_hash, parent_hash, transaction_id, output_count = row
    return BlockInfo(height, from_u64(timestamp), block_hash, parent_hash, transaction_id,
                     output_count)


class SqliteChainView:
    """Read-only chain access over one ``mode=ro`` connection; thread-safe (one lock per view).

    With ``height`` the view shows the chain as it was at that block: later blocks, outputs they
    created and spends they made are invisible (outputs keep their creation and spending heights,
    so no history is lost)."""

    __slots__ = ("_conn", "_lock", "_where", "_height", "_cache", "_revision", "_head",
                 "_release", "_header", "_closed", "__weakref__")
    _conn: sqlite3.Connection
    _lock: threading.Lock
    _where: str
    _height: int | None
    _cache: ReadCache
    _revision: int
    _head: ChainPins | None
    _release: Release | None
    _header: bytes | None
    _closed: bool

    def __init__(self, conn: sqlite3.Connection, where: str, height: int | None = None, *,
                 cache: ReadCache | None = None, release: Release | None = None,
                 snapshot: tuple[bytes, tuple[int, ChainPins | None]] | None = None) -> None:
        """Open the snapshot on ``conn``, or with ``snapshot`` = (WAL-index header, (revision,
        head)) go on in the head snapshot ``conn`` is still in (:mod:`.snapshots`).
        ``release(conn, header, state)`` takes the connection, still in its snapshot, back at
        close (default: end the snapshot and close the connection)."""
        set_ = object.__setattr__
        set_(self, "_conn", conn)
        set_(self, "_lock", threading.Lock())
        set_(self, "_where", where)
        set_(self, "_height", height)
        set_(self, "_cache", cache if cache is not None else ReadCache())
        set_(self, "_release", release)
        set_(self, "_header", None)
        set_(self, "_closed", False)
        if snapshot is not None:
            header, (revision, head) = snapshot
            set_(self, "_header", header)
            set_(self, "_revision", revision)
            set_(self, "_head", head)
            return
        top = _MAX_SQLITE_INT if height is None else height
        try:
            begin_snapshot(conn)
            # The first read takes the snapshot; revision and head come with it.
            row = conn.execute(
                "SELECT s.revision, s.chain_id, b.height, b.timestamp, b.block_hash "
                "FROM chain_state AS s LEFT JOIN blocks AS b ON b.height = "
                "(SELECT MAX(height) FROM blocks WHERE height <= ?)", (top,)).fetchone()
        except sqlite3.Error as exc:
            end_snapshot(conn)
            raise translate(exc, where) from exc
        revision, chain_id, *head = row
        set_(self, "_revision", revision if height is None else -1)  # the past does not change
        set_(self, "_head", None if head[0] is None else self._cache.pins(row, lambda: ChainPins(
            head[0], from_u64(head[1]), head[2], chain_id)))

    def _unspent(self, prefix: str = "") -> tuple[str, tuple]:
        """SQL for "unspent at this view's height" and its parameters."""
        if self._height is None:
            return f"{prefix}spent_height IS NULL", ()
        return (f"{prefix}height <= ? AND ({prefix}spent_height IS NULL OR "
                f"{prefix}spent_height > ?)", (self._height, self._height))

    def _top(self) -> int:
        return _MAX_SQLITE_INT if self._height is None else self._height

    def __setattr__(self, name: str, value: Any) -> None:
        raise ReadOnlyViolation(f"a chain view is read-only (tried to set {name!r})")

    def __repr__(self) -> str:
        return f"SqliteChainView({self._where!r})"

    def _rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            if self._closed:
                raise RepositoryError(f"{self._where}: the view was closed", code="closed")
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise translate(exc, self._where) from exc

    def _one(self, sql: str, params: tuple = ()) -> tuple | None:
        rows = self._rows(sql + " LIMIT 1", params)
        return rows[0] if rows else None

    # -------------------------------------------------------------------------- ChainView

    def head(self) -> ChainPins:
        if self._closed:
            raise RepositoryError(f"{self._where}: the view was closed", code="closed")
        if self._head is None:
            raise NotFound("the chain has no genesis block", code="no-genesis")
        return self._head

    def block_hash(self, height: int) -> bytes | None:
        if isinstance(height, bool) or not isinstance(height, int):
            raise ValidationError("height", f"expected an integer, got {type(height).__name__}")
        if self._closed:
            raise RepositoryError(f"{self._where}: the view was closed", code="closed")
        # Blocks are numbered 0..head without gaps, so the snapshot has exactly the blocks up
        # to its head; those never change, so their hashes can come from the shared cache.
        if self._head is None or not 0 <= height <= self._head.height:
            return None

        def load() -> bytes | None:
            row = self._one("SELECT block_hash FROM blocks WHERE height = ?", (height,))
            return row[0] if row else None
        return self._cache.block_hash(height, load)

    def _at_revision(self, key: tuple, load: Callable[[], Any]) -> Any:
        """``load()``, answered from the repository's table of this revision's answers for a
        head view (a past view's revision is -1 and is never cached; it reads the file)."""
        if self._height is not None:
            return load()
        if self._closed:
            raise RepositoryError(f"{self._where}: the view was closed", code="closed")
        return self._cache.at_revision(self._revision, key, load)

    def utxo(self, outpoint: OutPoint) -> TxOutput | None:
        op = _outpoint(outpoint)

        def load() -> TxOutput | None:
            unspent, params = self._unspent()
            row = self._one(f"SELECT body FROM outputs WHERE tx_id = ? AND idx = ? AND {unspent}",
                            (op.tx_id, op.index, *params))
            return self._cache.decoded(row[0], decode) if row else None
        return self._at_revision(("utxo", op.tx_id, op.index), load)

    def utxo_exists(self, outpoint: OutPoint) -> bool:
        op = _outpoint(outpoint)

        def load() -> bool:
            unspent, params = self._unspent()
            return self._one(f"SELECT 1 FROM outputs WHERE tx_id = ? AND idx = ? AND {unspent}",
                             (op.tx_id, op.index, *params)) is not None
        return self._at_revision(("utxo_exists", op.tx_id, op.index), load)

    def was_spent(self, outpoint: OutPoint) -> bool:
        """True if the outpoint existed and has been spent (tells InputSpent from InputMissing)."""
        op = _outpoint(outpoint)
        return self._one("SELECT 1 FROM outputs WHERE tx_id = ? AND idx = ? "
                         "AND spent_height <= ?", (op.tx_id, op.index, self._top())) is not None

    def resource(self, content_hash: bytes) -> ResourceOutput | None:
        """The resource output for ``content_hash``: the oldest unspent one if several exist."""
        key = _hash_bytes(content_hash, "content_hash")
        unspent, params = self._unspent()

        def load() -> ResourceOutput | None:
            row = self._one(f"SELECT body FROM outputs WHERE resource_hash = ? AND {unspent} "
                            "ORDER BY height, idx", (key, *params))
            return decode(row[0]).resource if row else None
        return self._at_revision(("resource", key), load)

    def resource_exists(self, content_hash: bytes) -> bool:
        return self.resource(content_hash) is not None

    def resource_content(self, content_hash: bytes) -> bytes | None:
        key = _hash_bytes(content_hash, "content_hash")

        def load() -> bytes | None:
            row = self._one("SELECT content FROM resources WHERE content_hash = ?", (key,))
            return bytes(row[0]) if row else None
        if self._closed:
            raise RepositoryError(f"{self._where}: the view was closed", code="closed")
        # only blobs available at this view's height (the head's for a head view); the cache,
        # shared by views at every height, is consulted only for an available blob
        if self._one("SELECT 1 FROM resources WHERE content_hash = ? AND available_height <= "
                     "COALESCE(?, (SELECT MAX(height) FROM blocks), 0)",
                     (key, self._height)) is None:
            return None
        return self._cache.content(key, load)

    def revision(self) -> int:
        """The snapshot's revision (-1 for a past view): constant for the view's lifetime."""
        if self._closed:
            raise RepositoryError(f"{self._where}: the view was closed", code="closed")
        return self._revision

    def utxos_of(self, owner: bytes) -> list[tuple[OutPoint, TxOutput]]:
        key = _hash_bytes(owner, "owner")
        unspent, params = self._unspent()
        rows = self._rows(f"SELECT tx_id, idx, body FROM outputs WHERE owner = ? AND {unspent} "
                          "ORDER BY height, idx", (key, *params))
        return [(OutPoint(tx_id, idx), decode(body)) for tx_id, idx, body in rows]

    def blocks(self, limit: int = 10) -> list[BlockInfo]:
        """The newest ``limit`` blocks, newest first."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise ValidationError("limit", f"expected a non-negative integer, got {limit!r}")
        rows = self._rows(f"SELECT {_BLOCK_COLUMNS} FROM blocks WHERE height <= ? "
                          "ORDER BY height DESC LIMIT ?", (self._top(), min(limit, _MAX_SQLITE_INT)))
        return [_block(row) for row in rows]

    def applied_transaction(self, transaction_id: bytes) -> tuple[int, bytes] | None:
        """(block height, stored result encoding) of an applied signed transaction."""
        key = _hash_bytes(transaction_id, "transaction_id")

        def load() -> tuple[int, bytes] | None:
            row = self._one("SELECT height, result FROM applied_transactions "
                            "WHERE transaction_id = ? AND height <= ?", (key, self._top()))
            return (row[0], bytes(row[1])) if row else None
        return self._at_revision(("applied", key), load)

    # ------------------------------------------------------------------------ contract storage

    def _storage(self, query, contract: bytes, *args: Any) -> Any:
        _hash_bytes(contract, "contract")
        height = args[-1]
        if isinstance(height, bool) or not isinstance(height, int) or height < 0:
            raise ValidationError("height", f"expected a non-negative integer, got {height!r}")
        with self._lock:
            if self._closed:
                raise RepositoryError(f"{self._where}: the view was closed", code="closed")
            try:
                return query(self._conn, contract, *args[:-1], min(height, self._top()))
            except sqlite3.Error as exc:
                raise translate(exc, self._where) from exc

    def state_get(self, contract: bytes, key: bytes, height: int) -> bytes | None:
        return self._storage(storage.state_get, contract, _hash_bytes(key, "key"), height)

    def state_items(self, contract: bytes, height: int) -> dict[bytes, bytes]:
        return self._storage(storage.state_items, contract, height)

    def state_version(self, contract: bytes, height: int) -> tuple[int, bytes]:
        return self._storage(storage.state_version, contract, height)

    # -------------------------------------------------------------------------- inspection
    # `ispc block`, `tx`, `events` and `contracts`: devnet-sized reads over the columns the
    # writer already keeps (the block's draft encoding, applied_transactions), no extra index.

    def block_record(self, height: int) -> BlockRecord | None:
        info = self.block(height)
        if info is None or height > self._top():
            return None
        row = self._one("SELECT draft FROM blocks WHERE height = ?", (height,))
        if row is None:
            return None
        draft = decode(bytes(row[0]))
        # applied_transactions is keyed by id: finding a block's row scans it (devnet sizes)
        signed = self._one("SELECT transaction_id, result FROM applied_transactions "
                           "WHERE height = ?", (height,))
        return BlockRecord(info, draft, *((bytes(signed[0]), bytes(signed[1])) if signed
                                          else (None, None)))

    def find_transaction(self, transaction_id: bytes) -> int | None:
        key = _hash_bytes(transaction_id, "transaction_id")
        row = self._one("SELECT height FROM blocks WHERE transaction_id = ? AND height <= ?",
                        (key, self._top()))
        if row is None:
            row = self._one("SELECT height FROM applied_transactions WHERE transaction_id = ? "
                            "AND height <= ?", (key, self._top()))
        return row[0] if row else None

    def events(self, since: int = 0, contract: bytes | None = None
               ) -> list[tuple[int, int, Event]]:
        if isinstance(since, bool) or not isinstance(since, int):
            raise ValidationError("since", f"expected an integer, got {type(since).__name__}")
        if contract is not None:
            _hash_bytes(contract, "contract")
        rows = self._rows("SELECT height, draft FROM blocks WHERE height >= ? AND height <= ? "
                          "ORDER BY height", (max(0, min(since, _MAX_SQLITE_INT)), self._top()))
        return [(height, index, event) for height, draft in rows
                for index, event in enumerate(decode(bytes(draft)).events)
                if contract is None or event.contract == contract]

    def resource_outputs(self, category: ResourceCategory | None = None
                         ) -> list[tuple[int, OutPoint, TxOutput]]:
        unspent, params = self._unspent()
        rows = self._rows(f"SELECT height, tx_id, idx, body FROM outputs WHERE resource_hash IS "
                          f"NOT NULL AND {unspent} ORDER BY height, idx", params)
        found = [(height, OutPoint(tx_id, idx), decode(body)) for height, tx_id, idx, body in rows]
        return [row for row in found
                if category is None or row[2].resource.category == category]

    # ------------------------------------------------------------------------------ extras

    def block(self, height: int) -> BlockInfo | None:
        if isinstance(height, bool) or not isinstance(height, int):
            raise ValidationError("height", f"expected an integer, got {type(height).__name__}")
        if not 0 <= height <= _MAX_SQLITE_INT:
            return None
        row = self._one(f"SELECT {_BLOCK_COLUMNS} FROM blocks WHERE height = ?", (height,))
        return _block(row) if row else None

    def state_outputs(self, state_id: bytes) -> list[tuple[int, OutPoint, StateOutput]]:
        """Every output ever made for ``state_id`` (spent or not), oldest first, with its height."""
        key = _hash_bytes(state_id, "state_id")
        rows = self._rows("SELECT s.height, s.tx_id, s.idx, o.body FROM state_outputs AS s "
                          "JOIN outputs AS o USING (tx_id, idx) WHERE s.state_id = ? "
                          "ORDER BY s.height, s.idx", (key,))
        return [(height, OutPoint(tx_id, idx), decode(body).state)
                for height, tx_id, idx, body in rows]

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Run read-only SQL (diagnostics, tooling). Any write raises ReadOnlyViolation."""
        if not isinstance(sql, str):
            raise ValidationError("sql", f"expected text, got {type(sql).__name__}")
        return self._rows(user_sql(sql), tuple(params))

    def close(self) -> None:
        """Give the connection back, still in its snapshot, to be kept for this thread's next
        view or ended (idempotent)."""
        with self._lock:
            if self._closed:
                return
            object.__setattr__(self, "_closed", True)
            conn, release = self._conn, self._release
        if release is not None:
            release(conn, self._header if self._height is None else None,
                    (self._revision, self._head))
            return
        try:
            end_snapshot(conn)
        finally:
            conn.close()

    def _keep_header(self, header: bytes | None) -> None:
        """Record the WAL-index header this head view's snapshot was taken at (None: unknown,
        the snapshot is ended at close instead of kept)."""
        object.__setattr__(self, "_header", header)

    def __enter__(self) -> SqliteChainView:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


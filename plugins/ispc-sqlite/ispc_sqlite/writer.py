"""SqliteWriter: the explicit write commands (genesis, store a resource, apply a sealed draft).

Every command is one ``BEGIN IMMEDIATE`` transaction: it validates, writes and bumps the revision,
or raises a typed error and rolls back, so a block is either entirely in the file or not at all.
The block rules (transaction id, block hash, spendability) are the core's functions, so this
repository derives exactly the ids :class:`~ispc_framework._repository.MemoryRepository` does.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ispc_framework.plugins import ChainPins, check_distinct_inputs, decode, encode
from ispc_framework.plugins import (
    InputSpent,
    LimitExceeded,
    NotFound,
    RepositoryError,
    ValidationError,
)
from ispc_framework.plugins import MAX_U64, OutPoint, SealedDraft, TxOutput
from ispc_framework.plugins import (
    GENESIS_PARENT,
    AppliedBlock,
    ApplyCheck,
    BlockInfo,
    block_hash_of,
    check_head,
    check_new_transaction,
    check_spendable,
    content_hash,
    transaction_id_of,
)
from ispc_framework.plugins import check_delta

from . import storage
from .cache import ReadCache
from .connection import translate
from .schema import from_u64, u64

__all__ = ["SqliteWriter"]

MAX_CHAIN_ID_BYTES = 128


def _u64_field(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_U64:
        raise ValidationError(field, f"expected an integer in [0, 2^64), got {value!r}")
    return value


class _TransactionReader:
    """What check_spendable needs, read through the writer's own open transaction."""

    def __init__(self, conn: sqlite3.Connection, cache: ReadCache) -> None:
        self._conn = conn
        self._cache = cache

    def _spent_height(self, op: OutPoint) -> tuple | None:
        return self._conn.execute("SELECT spent_height FROM outputs WHERE tx_id = ? AND idx = ?",
                                  (op.tx_id, op.index)).fetchone()

    def utxo_exists(self, op: OutPoint) -> bool:
        row = self._spent_height(op)
        return row is not None and row[0] is None

    def was_spent(self, op: OutPoint) -> bool:
        row = self._spent_height(op)
        return row is not None and row[0] is not None

    def utxo(self, op: OutPoint) -> TxOutput | None:
        row = self._conn.execute("SELECT body FROM outputs WHERE tx_id = ? AND idx = ? AND "
                                 "spent_height IS NULL", (op.tx_id, op.index)).fetchone()
        return self._cache.decoded(row[0], decode) if row else None


class SqliteWriter:
    """The write half of the repository; handed only to explicit commands, never to executions."""

    def __init__(self, conn: sqlite3.Connection, where: str, *, max_resource_bytes: int,
                 cache: ReadCache | None = None,
                 end_snapshots: Callable[[], None] | None = None) -> None:
        """``cache``: the views' read cache, which an apply carries forward to the revision it
        commits (:meth:`ReadCache.advance`); ``end_snapshots()`` ends the read snapshots the
        repository keeps (:mod:`.snapshots`): just before every ``COMMIT``, whose automatic
        checkpoint a kept snapshot would hold back (the WAL would never restart), and after
        it, for those kept meanwhile."""
        self._conn = conn
        self._cache = cache if cache is not None else ReadCache()
        self._end_snapshots = end_snapshots
        self._where = where
        self._max_resource_bytes = max_resource_bytes
        self._lock = threading.Lock()  # one connection, many threads: serialise transactions

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise translate(exc, self._where) from exc
            try:
                yield self._conn
                if self._end_snapshots is not None:
                    self._end_snapshots()
                self._conn.execute("COMMIT")
            except BaseException as exc:
                try:
                    self._conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass  # the transaction is already gone (e.g. the connection broke)
                if isinstance(exc, sqlite3.Error):
                    raise translate(exc, self._where) from exc
                raise
        if self._end_snapshots is not None:
            self._end_snapshots()

    # ------------------------------------------------------------------- RepositoryWriter

    def create_genesis(self, chain_id: str, timestamp: int,
                       allocations: Sequence[TxOutput]) -> AppliedBlock:
        if not isinstance(chain_id, str) or not chain_id:
            raise ValidationError("chain_id", f"expected non-empty text, got {chain_id!r}")
        if len(chain_id.encode("utf-8", "surrogatepass")) > MAX_CHAIN_ID_BYTES:
            raise ValidationError("chain_id", f"at most {MAX_CHAIN_ID_BYTES} UTF-8 bytes allowed")
        _u64_field(timestamp, "timestamp")
        genesis = SealedDraft((), tuple(allocations), ())  # validates every allocation
        with self._transaction() as conn:
            if conn.execute("SELECT 1 FROM blocks LIMIT 1").fetchone() is not None:
                raise RepositoryError("the chain already has a genesis block",
                                      code="genesis-exists")
            conn.execute("UPDATE chain_state SET chain_id = ?", (chain_id,))
            return self._append_block(conn, genesis, 0, timestamp, GENESIS_PARENT, chain_id)[0]

    def store_resource(self, content: bytes) -> bytes:
        """Store ``content`` once under its SHA-256; storing the same bytes again is a no-op."""
        if not isinstance(content, (bytes, bytearray, memoryview)):
            raise ValidationError("content", f"expected bytes, got {type(content).__name__}")
        data = bytes(content)
        if len(data) > self._max_resource_bytes:
            raise LimitExceeded(f"resource of {len(data)} bytes exceeds the cap of "
                                f"{self._max_resource_bytes}", code="resource-too-large",
                                limit="max_resource_bytes")
        key = content_hash(data)
        with self._transaction() as conn:
            # available from the next block on (0 before genesis): see ChainView.resource_content
            inserted = conn.execute(
                "INSERT OR IGNORE INTO resources (content_hash, size, content, available_height) "
                "VALUES (?, ?, ?, (SELECT COALESCE(MAX(height) + 1, 0) FROM blocks))",
                (key, len(data), data)).rowcount
            if inserted:
                conn.execute("UPDATE chain_state SET revision = revision + 1")
        return key

    def apply(self, draft: SealedDraft, *, timestamp: int | None = None,
              expected_head: ChainPins | None = None, check: ApplyCheck | None = None,
              record: tuple[bytes, bytes] | None = None) -> AppliedBlock:
        """Devnet: make ``draft`` the next block, spending its inputs and creating its outputs.

        Everything is decided inside one ``BEGIN IMMEDIATE`` transaction, which excludes every
        other writer (thread or process): the head compare-and-swap against ``expected_head``,
        the replay check of ``record``'s transaction id, spendability and ``check(reader)``."""
        if not isinstance(draft, SealedDraft):
            raise ValidationError("draft", f"expected SealedDraft, got {type(draft).__name__}")
        if timestamp is not None:
            _u64_field(timestamp, "timestamp")
        check_distinct_inputs(draft.inputs)
        with self._transaction() as conn:
            row = conn.execute("SELECT b.height, b.timestamp, b.block_hash, s.chain_id, "
                               "s.revision FROM blocks AS b, chain_state AS s "
                               "ORDER BY b.height DESC LIMIT 1").fetchone()
            if row is None:
                raise NotFound("the chain has no genesis block", code="no-genesis")
            height, head_raw_ts, head_hash, chain_id, revision = row
            head_ts = from_u64(head_raw_ts)
            check_head(ChainPins(height, head_ts, head_hash, chain_id), expected_head)
            if record is not None:
                check_new_transaction(record[0], conn.execute(
                    "SELECT 1 FROM applied_transactions WHERE transaction_id = ?",
                    (record[0],)).fetchone() is not None)
            reader = _TransactionReader(conn, self._cache)
            check_spendable(draft, reader)
            if check is not None:
                check(reader)
            if draft.state is not None:
                delta = draft.state
                version, root = storage.state_version(conn, delta.contract, height)
                # the contract's whole storage is read only if the tree of its root is not
                # remembered (check_delta -> root_after): an apply costs its writes, not the size
                check_delta(delta, version, root,
                            (lambda: storage.state_items(conn, delta.contract, height))
                            if delta.writes else None)
            when = head_ts + 1 if timestamp is None else timestamp
            if when < head_ts:
                raise RepositoryError("block timestamp goes backwards", code="timestamp-order")
            if when > MAX_U64:
                raise ValidationError("timestamp", "head timestamp + 1 overflows u64",
                                      code="timestamp-overflow")
            applied, spent_resources = self._append_block(conn, draft, height + 1, when,
                                                          head_hash, chain_id)
            if record is not None:
                conn.execute("INSERT INTO applied_transactions VALUES (?, ?, ?)",
                             (record[0], height + 1, bytes(record[1])))
        self._carry_forward(revision, draft, applied, spent_resources, record)
        return applied

    def _carry_forward(self, revision: int, draft: SealedDraft, applied: AppliedBlock,
                       spent_resources: list[bytes], record: tuple[bytes, bytes] | None) -> None:
        """Tell the views' cache what the committed block changed (see ReadCache.advance)."""
        changes: dict[Any, Any] = {}
        dropped = [("resource", key) for key in spent_resources]
        for tx_input in draft.inputs:
            if not tx_input.reference_only:
                op = tx_input.outpoint
                changes[("utxo", op.tx_id, op.index)] = None
                changes[("utxo_exists", op.tx_id, op.index)] = False
        for op, output in zip(applied.created, draft.outputs):
            # the block wrote encode(output), and the encoder takes only the model classes
            # themselves (no subclasses): the object is what decoding its row gives
            changes[("utxo", op.tx_id, op.index)] = output
            changes[("utxo_exists", op.tx_id, op.index)] = True
            if output.resource is not None:
                dropped.append(("resource", output.resource.content_hash))
        if record is not None:
            changes[("applied", record[0])] = (applied.block.height, bytes(record[1]))
        self._cache.advance(revision, changes, dropped)

    # -------------------------------------------------------------------------- internals

    def _append_block(self, conn: sqlite3.Connection, draft: SealedDraft, height: int,
                      timestamp: int, parent: bytes, chain_id: str
                      ) -> tuple[AppliedBlock, list[bytes]]:
        """Write the block; returns it and the content hashes of the resource outputs it spent."""
        tx_id = transaction_id_of(draft, height)
        block = BlockInfo(height, timestamp,
                          block_hash_of(parent, height, timestamp, chain_id, tx_id),
                          parent, tx_id, len(draft.outputs))
        conn.execute("INSERT INTO blocks VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (height, u64(timestamp), block.block_hash, parent, tx_id,
                      len(draft.outputs), encode(draft)))
        spent_resources: list[bytes] = []
        for index, tx_input in enumerate(draft.inputs):
            if tx_input.reference_only:
                continue
            op = tx_input.outpoint
            spent = conn.execute("UPDATE outputs SET spent_height = ? WHERE tx_id = ? AND idx = ?"
                                 " AND spent_height IS NULL RETURNING resource_hash",
                                 (height, op.tx_id, op.index)).fetchall()
            if len(spent) != 1:  # check_spendable ran in this transaction; never expected
                raise InputSpent(f"input {index} was spent while applying", input_index=index)
            if spent[0][0] is not None:
                spent_resources.append(bytes(spent[0][0]))
        created = tuple(OutPoint(tx_id, index) for index in range(len(draft.outputs)))
        rows = []
        for index, output in enumerate(draft.outputs):
            body = encode(output)  # only model classes themselves encode: no subclass gets here
            self._cache.remember_decoded(body, output)
            rows.append((tx_id, index, height, output.owner,
                         output.resource.content_hash if output.resource is not None else None,
                         body))
        conn.executemany(
            "INSERT INTO outputs (tx_id, idx, height, owner, resource_hash, body) "
            "VALUES (?, ?, ?, ?, ?, ?)", rows)
        conn.executemany(
            "INSERT INTO state_outputs VALUES (?, ?, ?, ?, ?, ?)",
            [(output.state.state_id, u64(output.state.version), height, tx_id, index,
              output.state.execution_result_hash)
             for index, output in enumerate(draft.outputs) if output.state is not None])
        if draft.state is not None:
            storage.write_delta(conn, draft.state, height)
        conn.execute("UPDATE chain_state SET revision = revision + 1")
        return AppliedBlock(block, created), spent_resources

"""The repository seam, split in two so that "executions never write" is a type-level fact.

* :class:`ChainView` is read-only; it is all an execution (and its host functions) ever receives.
* :class:`RepositoryWriter` is used only by explicit commands (``ispc init``, ``ispc deploy``,
  ``ispc apply``); the coordinator never hands it to an engine.

The block rules (how a sealed draft becomes a block, how outpoints and hashes are derived) live here
as pure functions, so every repository plugin derives the same ids. :class:`MemoryRepository` is the
in-memory reference implementation: the model that property tests compare real repositories with,
and the chain view that HostABI tests run against.
"""

from __future__ import annotations

import hashlib
import struct
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol, runtime_checkable

import attrs

from ._context import ChainPins
from ._draft import check_distinct_inputs
from ._encoding import digest, encode
from ._errors import (InputMissing, InputSpent, NotFound, ReadOnlyViolation, RepositoryError,
                     TransactionRejected, ValidationError)
from ._model import (HASH_LEN, MAX_U64, Event, OutPoint, ResourceCategory, ResourceOutput,
                     SealedDraft, TxOutput)
from ._state import EMPTY_ROOT, check_delta

__all__ = [
    "BlockInfo",
    "BlockRecord",
    "AppliedBlock",
    "ChainView",
    "RepositoryWriter",
    "Repository",
    "transaction_id_of",
    "block_hash_of",
    "genesis_hash_of",
    "content_hash",
    "check_spendable",
    "check_timestamp",
    "check_head",
    "check_new_transaction",
    "ApplyCheck",
    "MemoryRepository",
]

GENESIS_PARENT = bytes(HASH_LEN)


@attrs.frozen
class BlockInfo:
    height: int
    timestamp: int
    block_hash: bytes
    parent_hash: bytes
    transaction_id: bytes  # one transaction (one applied draft) per devnet block
    output_count: int



@attrs.frozen
class BlockRecord:
    """A block with what it applied (``ispc block``, ``ispc tx``): its draft and, for a block
    written by ``ispc apply``, the signed transaction's id and the stored result encoding (both
    None for the genesis block, deploys and other direct writes)."""

    info: BlockInfo
    draft: SealedDraft
    signed_transaction_id: bytes | None = None
    result: bytes | None = None


@attrs.frozen
class AppliedBlock:
    block: BlockInfo
    created: tuple[OutPoint, ...]


def content_hash(content: bytes) -> bytes:
    """Resources are addressed by plain SHA-256 of their bytes, so anyone can check them."""
    return hashlib.sha256(content).digest()


def transaction_id_of(draft: SealedDraft, height: int) -> bytes:
    """The id of the transaction a draft becomes at ``height`` (so identical drafts differ)."""
    return digest("ispc/transaction", struct.pack(">Q", height), encode(draft))


def block_hash_of(parent_hash: bytes, height: int, timestamp: int, chain_id: str,
                  transaction_id: bytes) -> bytes:
    return digest("ispc/block", parent_hash, struct.pack(">QQ", height, timestamp),
                  chain_id.encode(), transaction_id)


def genesis_hash_of(chain_id: str, timestamp: int, allocations: Sequence[TxOutput]) -> bytes:
    """The hash block 0 gets from ``create_genesis(chain_id, timestamp, allocations)`` (so a
    signer can bind a transaction to a chain it knows the genesis of)."""
    tx_id = transaction_id_of(SealedDraft((), tuple(allocations), ()), 0)
    return block_hash_of(GENESIS_PARENT, 0, timestamp, chain_id, tx_id)


@runtime_checkable
class ChainView(Protocol):
    """Read-only chain access for executions. Implementations must not be able to write."""

    def head(self) -> ChainPins: ...
    def block_hash(self, height: int) -> bytes | None: ...
    def utxo(self, outpoint: OutPoint) -> TxOutput | None: ...
    def utxo_exists(self, outpoint: OutPoint) -> bool: ...
    def resource(self, content_hash: bytes) -> ResourceOutput | None: ...
    def resource_exists(self, content_hash: bytes) -> bool: ...
    # A blob stored while the head is at height h is available from block h + 1 on (from 0
    # before genesis): a view at height H sees only blobs available at H, so what a run pinned
    # to a block can read does not change when someone stores a blob later.
    def resource_content(self, content_hash: bytes) -> bytes | None: ...
    def revision(self) -> int: ...
    def utxos_of(self, owner: bytes) -> list[tuple[OutPoint, TxOutput]]: ...
    def blocks(self, limit: int = 10) -> list[BlockInfo]: ...
    # Contract storage, as of block ``height`` (history is kept; a height above the head reads
    # the head). Absent keys are None; a contract that never wrote has version 0, EMPTY_ROOT.
    def state_get(self, contract: bytes, key: bytes, height: int) -> bytes | None: ...
    def state_items(self, contract: bytes, height: int) -> dict[bytes, bytes]: ...
    def state_version(self, contract: bytes, height: int) -> tuple[int, bytes]: ...
    def applied_transaction(self, transaction_id: bytes) -> tuple[int, bytes] | None: ...
    # Inspection (``ispc block``, ``tx``, ``events``, ``contracts``), as of the view's height.
    def block_record(self, height: int) -> BlockRecord | None: ...
    def find_transaction(self, transaction_id: bytes) -> int | None:
        """The height of the block whose transaction id (the outpoints' ``tx_id``) or signed
        transaction id is ``transaction_id``, or None."""
        ...
    def events(self, since: int = 0, contract: bytes | None = None
               ) -> list[tuple[int, int, Event]]:
        """(height, index in its block, event) of every event applied from block ``since`` on,
        oldest first; with ``contract``, only that contract's."""
        ...
    def resource_outputs(self, category: ResourceCategory | None = None
                         ) -> list[tuple[int, OutPoint, TxOutput]]:
        """(height, outpoint, output) of every unspent resource output (of ``category``),
        oldest first: the deployed contracts, models and files."""
        ...


@runtime_checkable
class RepositoryWriter(Protocol):
    """Writes, for explicit commands only."""

    def create_genesis(self, chain_id: str, timestamp: int,
                       allocations: Sequence[TxOutput]) -> AppliedBlock: ...
    def store_resource(self, content: bytes) -> bytes: ...
    def apply(self, draft: SealedDraft, *, timestamp: int | None = None,
              expected_head: ChainPins | None = None, check: ApplyCheck | None = None,
              record: tuple[bytes, bytes] | None = None) -> AppliedBlock:
        """Write ``draft`` as the next block. In the same write transaction: the head must equal
        ``expected_head`` (``result-stale``), ``record``'s transaction id must be new
        (``transaction-replayed``), the inputs unspent, and ``check(reader)`` must not raise;
        ``record`` = (signed transaction id, result encoding) is stored with the block."""
        ...


@runtime_checkable
class Repository(Protocol):
    """What a repository plugin's factory returns."""

    def view(self) -> ChainView: ...
    def view_at(self, height: int) -> ChainView: ...
    def writer(self) -> RepositoryWriter: ...
    def close(self) -> None: ...


def check_timestamp(timestamp: int) -> None:
    if isinstance(timestamp, bool) or not isinstance(timestamp, int) or not 0 <= timestamp <= MAX_U64:
        raise ValidationError("timestamp", f"must be an integer in [0, 2^64), got {timestamp!r}")


#: called by ``apply`` inside its write transaction with a reader offering ``utxo(outpoint)``
ApplyCheck = Callable[[Any], None]


def check_head(head: ChainPins, expected: ChainPins | None) -> None:
    """The compare-and-swap of apply: the block is written only on the head it was made for."""
    if expected is not None and head != expected:
        raise RepositoryError(
            f"the result was computed at height {expected.height}, the head is now "
            f"{head.height}: a result applies only on the block it was pinned to",
            code="result-stale", hint="run the request again against the current head")


def check_new_transaction(transaction_id: bytes, applied: bool) -> None:
    if applied:
        raise TransactionRejected(f"transaction {transaction_id.hex()[:16]}… is already on the "
                                  f"chain", code="transaction-replayed",
                                  hint="sign a new transaction (another --nonce)")


class _UnspentLookup(Protocol):
    """What check_spendable reads (every ChainView is one; a writer's own transaction, too)."""

    def utxo_exists(self, outpoint: OutPoint) -> bool: ...


def check_spendable(draft: SealedDraft, view: _UnspentLookup) -> None:
    """Raise unless every input of ``draft`` is unspent right now and listed once.

    ``view.utxo`` only sees unspent outputs, so "never existed" (InputMissing) and "spent"
    (InputSpent) are told apart by views that offer ``was_spent``; others report both as missing.
    """
    check_distinct_inputs(draft.inputs)
    for index, tx_input in enumerate(draft.inputs):
        if view.utxo_exists(tx_input.outpoint):
            continue
        spent = getattr(view, "was_spent", None)
        if spent is not None and spent(tx_input.outpoint):
            kind = "reference" if tx_input.reference_only else "input"
            raise InputSpent(f"{kind} {index} ({tx_input.outpoint.tx_id.hex()[:16]}:"
                             f"{tx_input.outpoint.index}) is already spent", input_index=index)
        raise InputMissing(f"input {index} ({tx_input.outpoint.tx_id.hex()[:16]}:"
                           f"{tx_input.outpoint.index}) does not exist", input_index=index)


class _MemoryState:
    """The data of a MemoryRepository, shared by its views (which only read it): a view holds
    this, never the repository, so no writer is reachable from a view."""

    __slots__ = ("lock", "blocks", "chain_id", "utxos", "outputs", "resource_outputs",
                 "created_at", "spent_at", "applied", "drafts", "signed_at", "blobs",
                 "blob_heights", "revision", "storage", "storage_versions", "pins")

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.blocks: list[BlockInfo] = []
        # height -> that block's ChainPins, made by the first head() pinned to it: every later
        # run pinned to the block gets the same frozen object, so its encoding (kept on it:
        # _model.Memoised) is made once per block, not per run. Safe to share: only the block's
        # public, immutable values (and their deterministic encoding); bounded by the blocks.
        self.pins: dict[int, ChainPins] = {}
        self.chain_id = ""
        self.utxos: dict[OutPoint, TxOutput] = {}
        self.outputs: dict[OutPoint, TxOutput] = {}  # every output ever made
        self.resource_outputs: dict[bytes, list[OutPoint]] = {}  # content hash -> oldest first
        self.created_at: dict[OutPoint, int] = {}
        self.spent_at: dict[OutPoint, int] = {}
        # signed transaction id -> (block height, stored result encoding)
        self.applied: dict[bytes, tuple[int, bytes]] = {}
        self.drafts: list[SealedDraft] = []  # the draft each block applied, by height
        self.signed_at: dict[int, tuple[bytes, bytes]] = {}  # height -> (signed tx id, result)
        self.blobs: dict[bytes, bytes] = {}
        self.blob_heights: dict[bytes, int] = {}  # the block from which a blob is available
        self.revision = 0
        # contract -> key -> [(height, value or None)], oldest first: the whole history
        self.storage: dict[bytes, dict[bytes, list[tuple[int, bytes | None]]]] = {}
        # contract -> [(height, version, root)], oldest first
        self.storage_versions: dict[bytes, list[tuple[int, int, bytes]]] = {}

    def pins_of(self, height: int) -> ChainPins:
        """The ChainPins of block ``height`` (which exists), made once."""
        with self.lock:
            pins = self.pins.get(height)
            if pins is None:
                block = self.blocks[height]
                pins = self.pins[height] = ChainPins(block.height, block.timestamp,
                                                     block.block_hash, self.chain_id)
            return pins


class _MemoryView:
    """Read-only facade over a MemoryRepository (no writer methods exist on it). It is a snapshot:
    it shows the chain as it was when it was opened (``height`` None) or at a past block, however
    many blocks are applied meanwhile (outputs created later are hidden, later spends undone),
    like a SQLite read transaction."""

    __slots__ = ("_state", "_top", "_revision")
    _state: _MemoryState
    _top: int
    _revision: int

    def __init__(self, state: _MemoryState, height: int | None = None) -> None:
        with state.lock:
            top = len(state.blocks) - 1 if height is None else height
            revision = state.revision if height is None else -1  # the past does not change
        object.__setattr__(self, "_state", state)
        object.__setattr__(self, "_top", top)   # -1: opened before genesis
        object.__setattr__(self, "_revision", revision)

    def __setattr__(self, name: str, value: object) -> None:
        raise ReadOnlyViolation("a chain view is read-only")

    def _visible(self, outpoint: OutPoint) -> bool:
        created = self._state.created_at.get(outpoint)
        if created is None or created > self._top:
            return False
        spent = self._state.spent_at.get(outpoint)
        return spent is None or spent > self._top

    def head(self) -> ChainPins:
        if self._top < 0:
            raise NotFound("the chain has no genesis block", code="no-genesis",
                           hint="run `ispc init` first")
        return self._state.pins_of(self._top)

    def block_hash(self, height: int) -> bytes | None:
        with self._state.lock:
            return self._state.blocks[height].block_hash if 0 <= height <= self._top else None

    def utxo(self, outpoint: OutPoint) -> TxOutput | None:
        with self._state.lock:
            return self._state.outputs.get(outpoint) if self._visible(outpoint) else None

    def utxo_exists(self, outpoint: OutPoint) -> bool:
        with self._state.lock:
            return self._visible(outpoint)

    def was_spent(self, outpoint: OutPoint) -> bool:
        with self._state.lock:
            spent = self._state.spent_at.get(outpoint)
            return spent is not None and spent <= self._top

    def resource(self, content_hash: bytes) -> ResourceOutput | None:
        """The oldest visible unspent resource output for ``content_hash`` (indexed by hash)."""
        with self._state.lock:
            for outpoint in self._state.resource_outputs.get(content_hash, ()):
                if self._visible(outpoint):
                    return self._state.outputs[outpoint].resource
        return None

    def resource_exists(self, content_hash: bytes) -> bool:
        return self.resource(content_hash) is not None

    def resource_content(self, content_hash: bytes) -> bytes | None:
        with self._state.lock:
            available = self._state.blob_heights.get(content_hash)
            if available is None or available > max(self._top, 0):
                return None
            return self._state.blobs[content_hash]

    def revision(self) -> int:
        """The snapshot's revision (-1 for a past view): constant for the view's lifetime."""
        return self._revision

    def utxos_of(self, owner: bytes) -> list[tuple[OutPoint, TxOutput]]:
        with self._state.lock:
            return [(op, out) for op, out in self._state.outputs.items()
                    if out.owner == owner and self._visible(op)]

    def blocks(self, limit: int = 10) -> list[BlockInfo]:
        with self._state.lock:
            blocks = self._state.blocks[:self._top + 1]
            return list(reversed(blocks[-limit:])) if limit > 0 else []

    def applied_transaction(self, transaction_id: bytes) -> tuple[int, bytes] | None:
        """(block height, stored result encoding) of an applied signed transaction."""
        with self._state.lock:
            found = self._state.applied.get(transaction_id)
        if found is None or found[0] > self._top:
            return None
        return found

    def block_record(self, height: int) -> BlockRecord | None:
        with self._state.lock:
            if not 0 <= height <= self._top:
                return None
            signed = self._state.signed_at.get(height)
            return BlockRecord(self._state.blocks[height], self._state.drafts[height],
                               *(signed if signed else (None, None)))

    def find_transaction(self, transaction_id: bytes) -> int | None:
        with self._state.lock:
            for block in self._state.blocks[:self._top + 1]:
                if block.transaction_id == transaction_id:
                    return block.height
            found = self._state.applied.get(transaction_id)
            return found[0] if found is not None and found[0] <= self._top else None

    def events(self, since: int = 0, contract: bytes | None = None
               ) -> list[tuple[int, int, Event]]:
        with self._state.lock:
            drafts = self._state.drafts[:self._top + 1]
        return [(height, index, event)
                for height, draft in enumerate(drafts) if height >= since
                for index, event in enumerate(draft.events)
                if contract is None or event.contract == contract]

    def resource_outputs(self, category: ResourceCategory | None = None
                         ) -> list[tuple[int, OutPoint, TxOutput]]:
        with self._state.lock:
            found = [(self._state.created_at[op], op, out)
                     for op, out in self._state.outputs.items()
                     if out.resource is not None and self._visible(op)
                     and (category is None or out.resource.category == category)]
        return sorted(found, key=lambda row: (row[0], row[1].index))

    # Storage reads never look past the view's own block (a height above it reads it).

    def state_get(self, contract: bytes, key: bytes, height: int) -> bytes | None:
        with self._state.lock:
            return _as_of(self._state.storage.get(contract, {}).get(key, ()),
                          min(height, self._top))

    def state_items(self, contract: bytes, height: int) -> dict[bytes, bytes]:
        height = min(height, self._top)
        with self._state.lock:
            keys = self._state.storage.get(contract, {})
            found = ((key, _as_of(history, height)) for key, history in keys.items())
            return {key: value for key, value in found if value is not None}

    def state_version(self, contract: bytes, height: int) -> tuple[int, bytes]:
        height = min(height, self._top)
        with self._state.lock:
            versions = [entry for entry in self._state.storage_versions.get(contract, ())
                        if entry[0] <= height]
            return (versions[-1][1], versions[-1][2]) if versions else (0, EMPTY_ROOT)

    def close(self) -> None:
        pass


def _as_of(history: Iterable[tuple[int, bytes | None]], height: int) -> bytes | None:
    """The value of a key's (height, value) history at ``height`` (None: absent or deleted)."""
    value = None
    for written_at, written in history:
        if written_at > height:
            break
        value = written
    return value


class _MemoryReader:
    """What an apply ``check`` callback sees: the state inside the write lock."""

    def __init__(self, state: _MemoryState) -> None:
        self._state = state

    def utxo(self, outpoint: OutPoint) -> TxOutput | None:
        return self._state.utxos.get(outpoint)


class MemoryRepository:
    """In-memory reference repository: same rules as ispc-sqlite, no persistence."""

    def __init__(self) -> None:
        self._state = _MemoryState()

    def view(self) -> ChainView:
        return _MemoryView(self._state)

    def view_at(self, height: int) -> ChainView:
        """A read-only view of the chain as it was at block ``height``."""
        with self._state.lock:
            if not 0 <= height < len(self._state.blocks):
                raise NotFound(f"there is no block {height}", code="no-such-height",
                               hint="`ispc chain` lists the blocks")
        return _MemoryView(self._state, height)

    def writer(self) -> MemoryRepository:
        return self

    def close(self) -> None:
        pass

    def _head(self) -> ChainPins:
        with self._state.lock:
            if not self._state.blocks:
                raise NotFound("the chain has no genesis block", code="no-genesis",
                               hint="run `ispc init` first")
            return self._state.pins_of(len(self._state.blocks) - 1)

    def create_genesis(self, chain_id: str, timestamp: int,
                       allocations: Sequence[TxOutput]) -> AppliedBlock:
        with self._state.lock:
            if self._state.blocks:
                raise RepositoryError("the chain already has a genesis block",
                                      code="genesis-exists", hint="use a new repository")
            check_timestamp(timestamp)
            self._state.chain_id = chain_id
            return self._append_block(SealedDraft((), tuple(allocations), ()), 0, timestamp,
                                      GENESIS_PARENT)

    def store_resource(self, content: bytes) -> bytes:
        key = content_hash(content)
        with self._state.lock:
            if key not in self._state.blobs:
                self._state.blobs[key] = bytes(content)
                # available from head + 1 (0 before genesis): a pinned run never sees it
                self._state.blob_heights[key] = len(self._state.blocks)
                self._state.revision += 1
        return key

    def apply(self, draft: SealedDraft, *, timestamp: int | None = None,
              expected_head: ChainPins | None = None, check: ApplyCheck | None = None,
              record: tuple[bytes, bytes] | None = None) -> AppliedBlock:
        with self._state.lock:  # the whole check-and-write is one critical section
            head = self._head()
            check_head(head, expected_head)
            if record is not None:
                check_new_transaction(record[0], record[0] in self._state.applied)
            check_spendable(draft, self.view())
            if draft.state is not None:
                view = self.view()
                contract = draft.state.contract
                version, root = view.state_version(contract, head.height)
                check_delta(draft.state, version, root,  # storage read only if needed
                            (lambda: view.state_items(contract, head.height))
                            if draft.state.writes else None)
            if check is not None:
                check(_MemoryReader(self._state))
            when = head.timestamp + 1 if timestamp is None else timestamp
            check_timestamp(when)
            if when < head.timestamp:
                raise RepositoryError("block timestamp goes backwards", code="timestamp-order")
            applied = self._append_block(draft, head.height + 1, when, head.block_hash)
            if record is not None:
                self._state.applied[record[0]] = (applied.block.height, bytes(record[1]))
                self._state.signed_at[applied.block.height] = (record[0], bytes(record[1]))
            return applied

    def _append_block(self, draft: SealedDraft, height: int, timestamp: int,
                      parent: bytes) -> AppliedBlock:
        tx_id = transaction_id_of(draft, height)
        for tx_input in draft.inputs:
            if not tx_input.reference_only:
                del self._state.utxos[tx_input.outpoint]
                self._state.spent_at[tx_input.outpoint] = height
        created = tuple(OutPoint(tx_id, index) for index in range(len(draft.outputs)))
        self._state.utxos.update(zip(created, draft.outputs))
        delta = draft.state
        if delta is not None and delta.writes:
            keys = self._state.storage.setdefault(delta.contract, {})
            for write in delta.writes:
                keys.setdefault(write.key, []).append((height, write.value))
            self._state.storage_versions.setdefault(delta.contract, []).append(
                (height, delta.version, delta.root))
        self._state.outputs.update(zip(created, draft.outputs))
        self._state.created_at.update((op, height) for op in created)
        for outpoint, output in zip(created, draft.outputs):
            if output.resource is not None:
                self._state.resource_outputs.setdefault(output.resource.content_hash,
                                                  []).append(outpoint)
        block = BlockInfo(height, timestamp, block_hash_of(parent, height, timestamp,
                                                           self._state.chain_id, tx_id),
                          parent, tx_id, len(draft.outputs))
        self._state.blocks.append(block)
        self._state.drafts.append(draft)
        self._state.revision += 1
        return AppliedBlock(block, created)

"""Contract storage: the commitment (a compact sparse Merkle tree), proofs, and the apply rule.

Each contract has its own key/value storage, keyed by the executing contract (a contract cannot
even name another's). Committed storage is summarised by a 32-byte **root**, carried in the draft
(:class:`~ispc_framework._model.StateDelta`) and therefore in the transaction id, the block hash and
the result hash.

Why a sparse Merkle tree (SMT) and not a Merkle tree over the sorted key/value list:

* one proof format shows both that a key holds a value and that a key is *absent* (a name
  registry's "this name is free" is an absence claim); a sorted-list tree needs two neighbouring
  leaves and an index argument for that;
* a leaf's position depends only on its key, so the root is a function of the key/value set alone
  (no insertion order, no rebalancing), which is what makes an independent re-computation in a
  test, another language or a light client straightforward;
* it can be updated incrementally without changing the root or the proofs: :class:`_Tree` is a
  persistent (path-copying) form of the same tree, and a run's or an apply's new root is its
  parent tree with the writes applied, O(k log n) hashes for k writes (n keys). The trees of the
  most recent roots are kept (:data:`_TREES`, keyed by root, which is a function of the key/value
  set alone), so the contract's whole storage is read and hashed only on a miss (a new process,
  an evicted root). Tests check incremental roots against the full recomputation and an
  independent naive implementation under Hypothesis.

Why our own ~100 lines instead of a library: the Python SMT packages on PyPI are unmaintained or
fix a hash and node layout we would then have to pin forever; the tree below is small enough to
audit, uses the project's domain-separated SHA-256 (:func:`ispc_framework._encoding.digest`), and is
checked in the tests against an independent naive implementation.

The tree (compact form): a key's path is the 256 bits of ``key_hash = digest("ispc/state-key",
key)``, most significant bit first (0 = left). A subtree holding no entry hashes to 32 zero bytes;
a subtree holding exactly one entry hashes to that entry's leaf hash ``digest("ispc/state-leaf",
key_hash, SHA-256(value))``; any other subtree hashes to ``digest("ispc/state-node", left,
right)``. Domain separation keeps leaves and inner nodes apart, so a proof cannot pass one for the
other.

Apply rule (concurrency): a draft's delta names the storage version and root it was computed on
(the pinned block's); it applies only if the contract's storage is still at exactly that version,
and the new root must be what the writes give (:func:`check_delta`, called by every repository
inside its write transaction). A result whose read or written storage changed since its pinned
block is refused with :class:`~ispc_framework._errors.StateConflict` (``state-conflict``), and
nothing is written. The rule is per contract (optimistic concurrency at contract granularity):
the delta's read and write sets are in the draft and the trace, so a finer, per-key rule can be
adopted later without changing what results commit to.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

import attrs

from ._encoding import digest
from ._errors import StateConflict, ValidationError
from ._model import HASH_LEN, SealedDraft, StateDelta, StateWrite

if TYPE_CHECKING:  # both import this module
    from ._draft import TransactionDraft
    from ._repository import BlockInfo, ChainView

__all__ = [
    "EMPTY_ROOT",
    "key_hash",
    "leaf_hash",
    "state_root",
    "StateProof",
    "prove",
    "verify_proof",
    "verify_in_block",
    "apply_writes",
    "build_delta",
    "check_parent",
    "check_delta",
    "seal_run_draft",
]

EMPTY_ROOT = bytes(HASH_LEN)
_DEPTH = 256


def key_hash(key: bytes) -> bytes:
    return digest("ispc/state-key", key)


def leaf_hash(hashed_key: bytes, value: bytes) -> bytes:
    return digest("ispc/state-leaf", hashed_key, hashlib.sha256(value).digest())


def _node(left: bytes, right: bytes) -> bytes:
    return digest("ispc/state-node", left, right)


def _bit(hashed: bytes, depth: int) -> int:
    return (hashed[depth >> 3] >> (7 - (depth & 7))) & 1


def _subtree(leaves: list[tuple[bytes, bytes]], depth: int) -> bytes:
    """Root of a subtree from its (key hash, leaf hash) pairs, sorted by key hash."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0][1]
    split = next((i for i, (h, _) in enumerate(leaves) if _bit(h, depth)), len(leaves))
    return _node(_subtree(leaves[:split], depth + 1), _subtree(leaves[split:], depth + 1))


def _leaves(items: Mapping[bytes, bytes]) -> list[tuple[bytes, bytes]]:
    pairs = []
    for key, value in items.items():
        hashed = key_hash(key)
        pairs.append((hashed, leaf_hash(hashed, value)))
    pairs.sort()
    return pairs


def state_root(items: Mapping[bytes, bytes]) -> bytes:
    """The root of a contract's storage holding ``items`` (key -> value)."""
    return _subtree(_leaves(items), 0)


# ------------------------------------------------------------------ incremental (persistent) tree

@attrs.frozen
class _Leaf:
    key_hash: bytes
    hash: bytes
    count = 1


@attrs.frozen
class _Inner:
    left: _Leaf | _Inner | None
    right: _Leaf | _Inner | None
    count: int  # entries below; always >= 2 (a subtree of one entry is its leaf)
    hash: bytes


_Node: TypeAlias = "_Leaf | _Inner | None"  # a subtree: None is the empty one


def _hash_of(node: _Node) -> bytes:
    return EMPTY_ROOT if node is None else node.hash


def _count(node: _Node) -> int:
    return 0 if node is None else node.count


def _inner(left: _Node, right: _Node) -> _Node:
    """The node over ``left`` and ``right``, compacted: no entry is None, one is its leaf."""
    count = _count(left) + _count(right)
    if count == 0:
        return None
    if count == 1:
        return left if left is not None else right
    return _Inner(left, right, count, _node(_hash_of(left), _hash_of(right)))


def _put(node: _Node, hashed: bytes, leaf: _Leaf | None, depth: int) -> _Node:
    """``node`` (at ``depth``) with the entry of key hash ``hashed`` set to ``leaf`` (a _Leaf)
    or removed (``leaf`` None); unchanged nodes are shared with the old tree."""
    if node is None:
        return leaf
    if isinstance(node, _Leaf):
        if node.key_hash == hashed:
            return leaf
        if leaf is None:
            return node
        # two entries: split where their paths first differ (one node per shared bit)
        children: list[_Node] = [None, None]
        children[_bit(node.key_hash, depth)] = node
        children[_bit(hashed, depth)] = _put(children[_bit(hashed, depth)], hashed, leaf,
                                             depth + 1)
        return _inner(*children)
    if _bit(hashed, depth):
        return _inner(node.left, _put(node.right, hashed, leaf, depth + 1))
    return _inner(_put(node.left, hashed, leaf, depth + 1), node.right)


def _build(items: Mapping[bytes, bytes]) -> _Node:
    node = None
    for key, value in items.items():
        hashed = key_hash(key)
        node = _put(node, hashed, _Leaf(hashed, leaf_hash(hashed, value)), 0)
    return node


def _with_writes(node: _Node, writes: Iterable[StateWrite]) -> _Node:
    for write in writes:
        hashed = key_hash(write.key)
        leaf = None if write.value is None else _Leaf(hashed, leaf_hash(hashed, write.value))
        node = _put(node, hashed, leaf, 0)
    return node


#: the trees of recently seen roots, newest last (a root names its key/value set)
_TREES: OrderedDict[bytes, _Node] = OrderedDict()
_TREES_KEPT = 64
_TREES_LOCK = threading.Lock()


def _remember(node: _Node) -> bytes:
    root = _hash_of(node)
    with _TREES_LOCK:
        _TREES[root] = node
        _TREES.move_to_end(root)
        while len(_TREES) > _TREES_KEPT:
            _TREES.popitem(last=False)
    return root


def root_after(parent_root: bytes, writes: Iterable[StateWrite],
               load_items: Callable[[], Mapping[bytes, bytes]]) -> bytes:
    """The root after ``writes`` over the storage whose root is ``parent_root``: incremental from
    the remembered tree of ``parent_root``; ``load_items`` (that storage) is called only when the
    tree is not remembered, and must give a storage with that root (else state-root-mismatch)."""
    with _TREES_LOCK:
        found = parent_root in _TREES
        node = _TREES.get(parent_root)
    if not found:
        node = _build(load_items())
        if _hash_of(node) != parent_root:
            raise ValidationError("StateDelta.parent_root", "the contract's storage does not "
                                  "have the parent root", code="state-root-mismatch")
        _remember(node)
    return _remember(_with_writes(node, writes))


@attrs.frozen
class StateProof:
    """That ``key`` holds ``value`` (or, ``value`` None, is absent) under ``root``.

    ``siblings`` are the sibling hashes from the root down to where the path ends. For an absence
    proof the path ends at an empty subtree (``other`` None) or at the single leaf of another key
    sharing the path (``other`` = (its key hash, its value hash))."""

    key: bytes
    value: bytes | None
    root: bytes
    siblings: tuple[bytes, ...]
    other: tuple[bytes, bytes] | None = None

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key.hex(), "value": None if self.value is None else self.value.hex(),
                "root": self.root.hex(), "siblings": [s.hex() for s in self.siblings],
                "other": None if self.other is None else [p.hex() for p in self.other]}


def prove(items: Mapping[bytes, bytes], key: bytes) -> StateProof:
    """An inclusion (key present) or absence proof for ``key`` in storage ``items``."""
    target = key_hash(key)
    leaves = _leaves(items)
    siblings: list[bytes] = []
    depth = 0
    while len(leaves) > 1:
        split = next((i for i, (h, _) in enumerate(leaves) if _bit(h, depth)), len(leaves))
        left, right = leaves[:split], leaves[split:]
        if _bit(target, depth):
            siblings.append(_subtree(left, depth + 1))
            leaves = right
        else:
            siblings.append(_subtree(right, depth + 1))
            leaves = left
        depth += 1
    root = state_root(items)
    value = items.get(key)
    other = None
    if value is None and leaves:
        hashed = leaves[0][0]
        other_key = next(k for k in items if key_hash(k) == hashed)
        other = (hashed, hashlib.sha256(items[other_key]).digest())
    return StateProof(key, value, root, tuple(siblings), other)


def verify_proof(proof: StateProof, root: bytes | None = None) -> bool:
    """Check ``proof`` against ``root`` (default: the root it names). What a light client runs,
    given a root it trusts (one carried by a block's draft)."""
    expected = proof.root if root is None else root
    target = key_hash(proof.key)
    if len(proof.siblings) > _DEPTH:
        return False
    if proof.value is not None:
        current = leaf_hash(target, proof.value)
    elif proof.other is None:
        current = EMPTY_ROOT
    else:
        other_hash, value_hash = proof.other
        if other_hash == target or any(_bit(other_hash, d) != _bit(target, d)
                                       for d in range(len(proof.siblings))):
            return False
        current = digest("ispc/state-leaf", other_hash, value_hash)
    for depth in reversed(range(len(proof.siblings))):
        sibling = proof.siblings[depth]
        current = _node(sibling, current) if _bit(target, depth) else _node(current, sibling)
    return current == expected


def verify_in_block(proof: StateProof, contract: bytes, draft: SealedDraft, block: BlockInfo,
                    chain_id: str) -> bool:
    """A light client's check of one storage value against a block it trusts: ``block`` (a
    ``BlockInfo`` whose hash the client trusts, e.g. from following headers) must be the block
    of ``draft`` (its transaction id and block hash recomputed), the draft's storage delta must
    be ``contract``'s and its new root the proof's root, and the proof must check. This shows
    the value as of that block; that no later block changed it needs the later blocks' drafts
    (each names the contracts whose storage it writes)."""
    from ._repository import block_hash_of, transaction_id_of  # repository imports this module

    delta = draft.state
    if delta is None or delta.contract != contract or delta.root != proof.root:
        return False
    transaction_id = transaction_id_of(draft, block.height)
    if transaction_id != block.transaction_id or block_hash_of(
            block.parent_hash, block.height, block.timestamp, chain_id,
            transaction_id) != block.block_hash:
        return False
    return verify_proof(proof)


def apply_writes(items: Mapping[bytes, bytes], writes: Iterable[StateWrite]) -> dict[bytes, bytes]:
    """The storage after ``writes`` (a value of None deletes)."""
    result = dict(items)
    for write in writes:
        if write.value is None:
            result.pop(write.key, None)
        else:
            result[write.key] = write.value
    return result


def build_delta(contract: bytes, committed: Mapping[bytes, bytes], parent_version: int,
                parent_root: bytes, reads: Iterable[bytes],
                writes: Mapping[bytes, bytes | None]) -> StateDelta:
    """The delta of one run from its read set and final writes over ``committed`` storage (the
    contract's storage at the pinned block). Writes that change nothing are kept: they are what
    the run asked for, and they make the delta conflict with any concurrent change."""
    ordered = tuple(StateWrite(key, writes[key]) for key in sorted(writes))
    root = root_after(parent_root, ordered, lambda: committed) if ordered else parent_root
    return StateDelta(contract, parent_version, parent_root,
                      parent_version + (1 if ordered else 0), root,
                      tuple(sorted(set(reads))), ordered)


def check_parent(delta: StateDelta, current_version: int, current_root: bytes) -> None:
    """Raise StateConflict unless the storage is still at the delta's parent version and root."""
    if (current_version, current_root) != (delta.parent_version, delta.parent_root):
        raise StateConflict(
            f"contract {delta.contract.hex()[:16]}…'s storage is at version {current_version}, "
            f"the result was computed on version {delta.parent_version}: it changed since the "
            f"result's pinned block", contract=delta.contract.hex(),
            current_version=current_version, result_parent_version=delta.parent_version)


def check_delta(delta: StateDelta, current_version: int, current_root: bytes,
                current_items: Mapping[bytes, bytes] | Callable[[], Mapping[bytes, bytes]] | None
                ) -> None:
    """The apply rule: :func:`check_parent`, then ValidationError (``state-root-mismatch``) if
    the delta's new root is not what its writes give. ``current_items`` is the contract's
    storage, or a function returning it (called only if the tree of ``current_root`` is not
    remembered: :func:`root_after`); it may be None for a delta without writes."""
    check_parent(delta, current_version, current_root)
    if delta.writes:
        if current_items is None:
            raise ValidationError("StateDelta.root", "cannot check the new root without the "
                                  "contract's storage")
        load = current_items if callable(current_items) else (lambda: current_items)
        if root_after(current_root, delta.writes, load) != delta.root:
            raise ValidationError("StateDelta.root", "the delta's root is not the root its "
                                  "writes give", code="state-root-mismatch")


def seal_run_draft(draft: TransactionDraft, view: ChainView, contract: bytes,
                   height: int) -> SealedDraft:
    """Seal a run's TransactionDraft with the delta of its storage reads and writes, computed
    against the contract's storage at the pinned ``height`` (no delta if it touched none)."""
    if not draft.touches_state:
        return draft.seal()
    version, root = view.state_version(contract, height)
    writes = draft.state_writes
    committed = _LazyItems(lambda: view.state_items(contract, height))
    return draft.seal(build_delta(contract, committed, version, root, draft.state_reads, writes))


class _LazyItems(Mapping[bytes, bytes]):
    """A contract's storage read from the view only if the tree of its root is not remembered."""

    def __init__(self, load: Callable[[], Mapping[bytes, bytes]]) -> None:
        self._load = load
        self._items: Mapping[bytes, bytes] | None = None

    def _get(self) -> Mapping[bytes, bytes]:
        if self._items is None:
            self._items = self._load()
        return self._items

    def __getitem__(self, key: bytes) -> bytes:
        return self._get()[key]

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())

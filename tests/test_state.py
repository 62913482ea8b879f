"""Contract storage: the sparse Merkle root against an independent computation, proofs, the
delta's encoding, the apply rule (state-conflict, nothing half-written) and the storage caps."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ispc_framework import _model as m
from ispc_framework._encoding import decode, digest, encode, from_json, to_json
from ispc_framework._errors import (DecodeError, DraftLimitExceeded, OutOfGas, StateConflict,
                                   ValidationError)
from ispc_framework._hostabi._bindings_v1 import Status
from ispc_framework._limits import ExecutionLimits
from ispc_framework._repository import MemoryRepository
from ispc_framework._state import (EMPTY_ROOT, StateProof, apply_writes, build_delta, prove,
                                  state_root, verify_in_block, verify_proof)
from state_driver import StorageRun

CONTRACT, OTHER = b"\xc0" * 32, b"\xc1" * 32
storages = st.dictionaries(st.binary(min_size=1, max_size=8), st.binary(max_size=8), max_size=24)


def naive_root(items: dict[bytes, bytes]) -> bytes:
    """The same tree written differently: paths as bit strings, recursion on string prefixes."""
    def bits(key: bytes) -> str:
        return "".join(f"{byte:08b}" for byte in digest("ispc/state-key", key))

    leaves = {bits(k): digest("ispc/state-leaf", digest("ispc/state-key", k),
                              hashlib.sha256(v).digest()) for k, v in items.items()}

    def node(prefix: str) -> bytes:
        under = [path for path in leaves if path.startswith(prefix)]
        if not under:
            return bytes(32)
        if len(under) == 1:
            return leaves[under[0]]
        return digest("ispc/state-node", node(prefix + "0"), node(prefix + "1"))
    return node("")


@settings(max_examples=60, deadline=None)
@given(storages)
def test_root_matches_an_independent_computation(items):
    assert state_root(items) == naive_root(items)


@settings(max_examples=60, deadline=None)
@given(storages, st.binary(min_size=1, max_size=8))
def test_inclusion_and_absence_proofs_check_and_tampering_fails(items, probe):
    root = state_root(items)
    for key in list(items)[:4] + [probe]:
        proof = prove(items, key)
        assert proof.value == items.get(key) and verify_proof(proof, root)
        # a claim of another value, or of presence/absence flipped, never checks
        lie = StateProof(key, (proof.value or b"") + b"!", root, proof.siblings, None)
        assert not verify_proof(lie, root)
        if proof.value is not None:
            assert not verify_proof(StateProof(key, None, root, proof.siblings, None), root)
        if proof.siblings:
            flipped = (bytes([proof.siblings[0][0] ^ 1]) + proof.siblings[0][1:],)
            assert not verify_proof(StateProof(key, proof.value, root,
                                               flipped + proof.siblings[1:], proof.other), root)
        assert not verify_proof(proof, digest("x", root))


# keys drawn from a small alphabet so that batches overwrite and delete existing keys
_keys = st.binary(min_size=1, max_size=2)
batches = st.lists(st.dictionaries(_keys, st.none() | st.binary(max_size=4), max_size=6),
                   max_size=8)


@settings(max_examples=80, deadline=None)
@given(storages, batches, st.booleans())
def test_incremental_roots_equal_the_full_and_the_independent_computation(start, steps, forget):
    """#14: roots updated write by write from a remembered tree are byte-identical to the full
    recomputation and to the naive implementation, whether the parent's tree is remembered or
    (``forget``) rebuilt from the storage."""
    from ispc_framework import _state

    items = dict(start)
    root = state_root(items)
    for writes in steps:
        if forget:
            _state._TREES.clear()
        ordered = [m.StateWrite(key, writes[key]) for key in sorted(writes)]
        root = _state.root_after(root, ordered, lambda items=items: dict(items))
        items = apply_writes(items, ordered)
        assert root == state_root(items) == naive_root(items)


def test_a_storage_that_does_not_have_the_parent_root_is_refused():
    from ispc_framework import _state

    _state._TREES.clear()
    with pytest.raises(ValidationError) as info:
        _state.root_after(digest("x", b"not this storage's root"), [m.StateWrite(b"k", b"v")],
                          lambda: {b"a": b"b"})
    assert info.value.code == "state-root-mismatch"


def test_empty_storage_root_and_order_independence():
    assert state_root({}) == EMPTY_ROOT
    a = {b"a": b"1", b"b": b"2", b"c": b""}
    assert state_root(a) == state_root(dict(reversed(list(a.items()))))
    assert state_root(a) != state_root({**a, b"c": b"\x00"})


def test_a_draft_without_storage_encodes_as_before_and_one_with_storage_round_trips():
    plain = m.SealedDraft((), (), ())
    assert encode(plain) == bytes.fromhex("8418328080 80".replace(" ", ""))
    assert encode(plain)[0] == 0x84  # [type, inputs, outputs, events]: no fifth item
    delta = build_delta(CONTRACT, {}, 0, EMPTY_ROOT, [b"r"], {b"k": b"v", b"d": None})
    draft = m.SealedDraft(state=delta)
    assert encode(draft)[0] == 0x85 and decode(encode(draft)) == draft
    assert from_json(to_json(draft)) == draft
    assert draft.digest() != plain.digest()
    explicit_null = bytes([0x85]) + encode(plain)[1:] + b"\xf6"
    with pytest.raises(DecodeError):
        decode(explicit_null)


def test_delta_validation():
    with pytest.raises(ValidationError):
        m.StateDelta(CONTRACT, 0, EMPTY_ROOT, 0, EMPTY_ROOT, (b"b", b"a"))  # unsorted reads
    with pytest.raises(ValidationError):
        m.StateDelta(CONTRACT, 0, EMPTY_ROOT, 0, EMPTY_ROOT, (),
                     (m.StateWrite(b"k", b"v"),))  # writes without a new version
    with pytest.raises(ValidationError):
        m.StateWrite(b"", b"v")
    with pytest.raises(ValidationError):
        m.StateWrite(b"k" * (m.MAX_STATE_KEY_BYTES + 1), b"v")


# ------------------------------------------------------------------------- runs and applies

def _repo():
    repo = MemoryRepository()
    repo.create_genesis("state-test", 1, [])
    return repo


def test_reads_see_the_pinned_block_plus_the_runs_own_writes():
    repo = _repo()
    first = StorageRun(repo, CONTRACT)
    assert first.get(b"k") is None and not first.exists(b"k")
    assert first.set(b"k", b"v1") == Status.OK
    assert first.get(b"k") == b"v1" and first.exists(b"k")
    repo.apply(first.seal())
    second = StorageRun(repo, CONTRACT)
    assert second.get(b"k") == b"v1"
    second.delete(b"k")
    assert second.get(b"k") is None
    draft = second.seal()
    assert draft.state.reads == (b"k",) and draft.state.writes == (m.StateWrite(b"k", None),)
    assert (draft.state.parent_version, draft.state.version) == (1, 2)
    other = StorageRun(repo, OTHER)  # another contract sees nothing of CONTRACT's storage
    assert other.get(b"k") is None
    other.close()


def test_two_results_writing_one_contract_pinned_to_one_block_one_applies_one_conflicts():
    repo = _repo()
    runs = [StorageRun(repo, CONTRACT, nonce=n) for n in (1, 2)]
    for n, run in enumerate(runs):
        run.set(b"counter", bytes([n]))
    drafts = [run.seal() for run in runs]
    applied = repo.apply(drafts[0])
    view = repo.view()
    before = (view.revision(), view.head(), view.state_items(CONTRACT, 99))
    with pytest.raises(StateConflict) as info:
        repo.apply(drafts[1])
    assert info.value.code == "state-conflict" and info.value.hint
    assert (view.revision(), view.head(), view.state_items(CONTRACT, 99)) == before
    assert view.state_get(CONTRACT, b"counter", applied.block.height) == b"\x00"


def test_a_reader_conflicts_with_a_concurrent_writer_but_not_another_contract():
    repo = _repo()
    reader, writer, elsewhere = (StorageRun(repo, CONTRACT), StorageRun(repo, CONTRACT, nonce=1),
                                 StorageRun(repo, OTHER))
    reader.get(b"k")
    writer.set(b"k", b"v")
    elsewhere.set(b"k", b"w")
    read_draft, write_draft, other_draft = reader.seal(), writer.seal(), elsewhere.seal()
    repo.apply(write_draft)
    repo.apply(other_draft)  # other contracts' storage is independent
    with pytest.raises(StateConflict):
        repo.apply(read_draft)


def test_a_forged_root_is_refused_and_writes_nothing():
    repo = _repo()
    run = StorageRun(repo, CONTRACT)
    run.set(b"k", b"v")
    draft = run.seal()
    forged = m.SealedDraft(state=m.StateDelta(CONTRACT, 0, EMPTY_ROOT, 1, b"\x01" * 32, (),
                                              draft.state.writes))
    with pytest.raises(ValidationError) as info:
        repo.apply(forged)
    assert info.value.code == "state-root-mismatch"
    assert repo.view().state_items(CONTRACT, 10) == {} and repo.view().head().height == 0


def test_oversized_keys_and_values_are_statuses_not_aborts():
    repo = _repo()
    run = StorageRun(repo, CONTRACT)
    assert run.set(b"k" * 129, b"v") == Status.TOO_LARGE
    assert run.set(b"k", b"v" * (16 * 1024 + 1)) == Status.TOO_LARGE
    assert run.set(b"", b"v") == Status.INVALID_ARGUMENT
    assert run.get(b"k") is None
    assert run.ctx.draft.state_writes == {}
    run.close()


@pytest.mark.parametrize("limits, error", [
    (ExecutionLimits(max_draft_bytes=64 * 1024), DraftLimitExceeded),
    (ExecutionLimits(fuel=200_000), OutOfGas),
])
def test_a_storage_flood_ends_in_a_typed_limit_not_memory_growth(limits, error):
    repo = _repo()
    run = StorageRun(repo, CONTRACT, limits=limits)
    with pytest.raises(error):
        for n in range(100_000):
            run.set(n.to_bytes(8, "big"), b"x" * 1024)
    assert run.ctx.draft.byte_size <= limits.max_draft_bytes
    run.close()


def test_a_read_flood_is_bounded_too():
    repo = _repo()
    run = StorageRun(repo, CONTRACT, limits=ExecutionLimits(max_draft_bytes=4096))
    with pytest.raises(DraftLimitExceeded):
        for n in range(100_000):
            run.get(n.to_bytes(8, "big"))
    run.close()


def test_storage_calls_are_in_the_trace_with_their_read_and_write_sets():
    repo = _repo()
    run = StorageRun(repo, CONTRACT)
    run.get(b"a")
    run.set(b"b", b"2")
    records = run.ctx.trace.records
    from ispc_framework._encoding import decode_value

    accesses = [decode_value(record.result)[2] for record in records]
    assert accesses == [(("state-read", b"a"),), (("state-write", b"b"),)]
    assert [record.function for record in records] == ["ispc.state.get", "ispc.state.set"]
    run.close()


def test_a_light_client_checks_a_value_against_the_block_that_committed_its_root():
    repo = _repo()
    run = StorageRun(repo, CONTRACT)
    run.set(b"name", b"alice")
    run.set(b"other", b"x")
    draft = run.seal()
    applied = repo.apply(draft)
    block, chain_id = applied.block, repo.view().head().chain_id
    items = apply_writes({}, draft.state.writes)
    present, absent = prove(items, b"name"), prove(items, b"nobody")
    assert verify_in_block(present, CONTRACT, draft, block, chain_id)
    assert verify_in_block(absent, CONTRACT, draft, block, chain_id) and absent.value is None
    forged = m.SealedDraft(state=build_delta(CONTRACT, {}, 0, EMPTY_ROOT, [], {b"name": b"eve"}))
    lie = prove(apply_writes({}, forged.state.writes), b"name")
    assert not verify_in_block(lie, CONTRACT, forged, block, chain_id)  # not this block's draft
    assert not verify_in_block(present, OTHER, draft, block, chain_id)  # another contract
    genesis = repo.view().blocks(10)[-1]
    assert not verify_in_block(present, CONTRACT, draft, genesis, chain_id)

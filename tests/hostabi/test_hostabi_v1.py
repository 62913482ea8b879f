"""Every ispc.v1 primitive against a real MemoryRepository view, a real context and a bytearray
guest memory: happy path, not found, buffer too small, out-of-range pointer, oversized argument."""

from __future__ import annotations

import hashlib

import pytest

from ispc_framework._authorization import contract_state_id
from ispc_framework._context import ExecutionRequest
from ispc_framework._encoding import decode, encode, encode_value
from ispc_framework._engines import HostEnv
from ispc_framework._errors import DraftLimitExceeded, LimitExceeded, OutOfGas
from ispc_framework._hostabi._bindings_v1 import Status
from ispc_framework._limits import ExecutionLimits
from ispc_framework._model import (BN254_FR, ContractLock, FungibleToken, NativeCoin,
                                  NonFungibleToken, OutPoint, ResourceCategory, SingleKeyLock)

OOB = 0xFFFF_FFF0  # a pointer past the end of a 64 KiB memory
CALLER = bytes([7] * 32)


def _out_bytes(h, name, *args, cap=256):
    ptr, len_ptr = h.memory.alloc(max(cap, 1)), h.memory.alloc(4)
    status = h.call(name, *args, ptr, cap, len_ptr)
    length = h.memory.u32(len_ptr)
    return status, h.memory.read(ptr, length) if status == Status.OK else None, length


# ---------------------------------------------------------------------------- calling convention

def test_abi_version_is_1_and_traced(harness):
    assert harness.call("abi_version") == 1
    record = harness.last_record()
    assert (record.kind, record.function, record.status) == ("call", "ispc.v1.abi_version", 0)
    assert record.gas_after - record.gas_before == 10 == harness.ctx.gas_used


def test_call_input_happy_too_small_and_oob(harness):
    status, data, length = _out_bytes(harness, "call_input")
    assert (status, data, length) == (Status.OK, b"hello", 5)
    status, data, length = _out_bytes(harness, "call_input", cap=2)
    assert (status, length) == (Status.BUFFER_TOO_SMALL, 5)
    len_ptr = harness.memory.alloc(4)
    assert harness.call("call_input", 0, 0, len_ptr) == Status.BUFFER_TOO_SMALL  # size query
    assert harness.memory.u32(len_ptr) == 5
    assert harness.call("call_input", OOB, 16, len_ptr) == Status.OUT_OF_BOUNDS
    assert harness.call("call_input", 1024, 16, OOB) == Status.OUT_OF_BOUNDS
    # ptr + cap wraps around 2^32: still refused, nothing written
    before = bytes(harness.memory.data)
    assert harness.call("call_input", 0xFFFF_FFFF, 2, len_ptr) == Status.OUT_OF_BOUNDS
    assert bytes(harness.memory.data) == before


def test_set_return_data_and_cap_abort(make_harness):
    h = make_harness(ExecutionLimits(max_return_bytes=8))
    ptr = h.memory.put(b"result!!")
    assert h.call("set_return_data", ptr, 8) == Status.OK
    assert h.ctx.return_data == b"result!!"
    assert h.call("set_return_data", OOB, 4) == Status.OUT_OF_BOUNDS
    with pytest.raises(LimitExceeded) as info:  # a run limit aborts: it is not the guest's status
        h.call("set_return_data", ptr, 9)
    assert info.value.code == "return-too-large" and info.value.hint
    assert h.ctx.return_data == b"result!!"


# ------------------------------------------------------------------------------------ block view

def test_block_values_are_pinned_even_when_the_chain_grows(harness):
    pins = harness.ctx.pins
    harness.repo.apply(harness.ctx.draft.__class__().seal())  # another block lands mid-run
    assert harness.call("block_height") == pins.height == 0
    assert harness.call("block_timestamp") == 1_700_000_000
    out = harness.memory.alloc(32)
    assert harness.call("block_hash", 0, out) == Status.OK
    assert harness.memory.read(out, 32) == pins.block_hash
    assert harness.call("block_hash", 1, out) == Status.NOT_FOUND  # exists, but after the pins
    assert harness.call("block_hash", -1, out) == Status.NOT_FOUND  # i64 -1 is u64 max
    assert harness.call("block_hash", 0, OOB) == Status.OUT_OF_BOUNDS


def test_block_hash_below_head_comes_from_the_view(harness):
    harness.repo.apply(harness.ctx.draft.__class__().seal())
    view = harness.repo.view()  # views are snapshots: a new one sees block 1
    request = ExecutionRequest(resource_hash=harness.resource_hash, method="m")
    ctx = harness.manager.create(request, view.head())  # a later run at height 1
    env = HostEnv(ctx, view, harness.memory)
    out = harness.memory.alloc(32)
    assert harness.functions["ispc.v1.block_hash"].handler(env, 0, out) == Status.OK
    assert harness.memory.read(out, 32) == view.block_hash(0) != ctx.pins.block_hash
    assert harness.functions["ispc.v1.block_hash"].handler(env, 1, out) == Status.OK
    assert harness.memory.read(out, 32) == ctx.pins.block_hash


def test_chain_id(harness):
    assert _out_bytes(harness, "chain_id")[:2] == (Status.OK, b"ispc-test")
    assert _out_bytes(harness, "chain_id", cap=3)[::2] == (Status.BUFFER_TOO_SMALL, 9)
    assert harness.call("chain_id", OOB, 9, harness.memory.alloc(4)) == Status.OUT_OF_BOUNDS


@pytest.mark.parametrize("name", ["caller", "contract_address", "transaction_id"])
def test_context_addresses(harness, name):
    out = harness.memory.alloc(32)
    assert harness.call(name, out) == Status.OK
    expected = {"caller": CALLER, "contract_address": harness.resource_hash,
                "transaction_id": harness.ctx.transaction_id}[name]
    assert harness.memory.read(out, 32) == expected
    assert harness.call(name, harness.memory.size() - 31) == Status.OUT_OF_BOUNDS  # 1 byte short


# ------------------------------------------------------------------------------ UTXO / resources

def test_utxo_lookup_and_exists(harness):
    ptr, length = harness.outpoint()
    status, data, _ = _out_bytes(harness, "utxo_lookup", ptr, length, cap=512)
    assert status == Status.OK and decode(data) == harness.coin_output
    assert _out_bytes(harness, "utxo_lookup", ptr, length, cap=10)[::2] == \
        (Status.BUFFER_TOO_SMALL, len(encode(harness.coin_output)))
    assert harness.call("utxo_exists", ptr, length) == Status.OK
    missing = harness.outpoint(OutPoint(bytes(32), 5))
    assert _out_bytes(harness, "utxo_lookup", *missing)[0] == Status.NOT_FOUND
    assert harness.call("utxo_exists", *missing) == Status.NOT_FOUND
    assert harness.call("utxo_exists", OOB, length) == Status.OUT_OF_BOUNDS
    assert harness.call("utxo_exists", ptr, 65) == Status.TOO_LARGE
    garbage = harness.memory.put(b"\x83\x01\x41")
    assert harness.call("utxo_exists", garbage, 3) == Status.INVALID_ARGUMENT
    not_outpoint = harness.memory.put(encode(NativeCoin()))
    assert harness.call("utxo_exists", not_outpoint, 2) == Status.INVALID_ARGUMENT


def test_resource_lookup_and_exists(harness):
    hash_ptr = harness.memory.put(harness.resource_hash)
    status, data, _ = _out_bytes(harness, "resource_lookup", hash_ptr, cap=512)
    assert status == Status.OK and decode(data) == harness.resource_output
    assert _out_bytes(harness, "resource_lookup", hash_ptr, cap=1)[0] == Status.BUFFER_TOO_SMALL
    assert harness.call("resource_exists", hash_ptr) == Status.OK
    missing = harness.memory.put(bytes(32))
    assert _out_bytes(harness, "resource_lookup", missing)[0] == Status.NOT_FOUND
    assert harness.call("resource_exists", missing) == Status.NOT_FOUND
    assert harness.call("resource_exists", harness.memory.size() - 16) == Status.OUT_OF_BOUNDS


# ---------------------------------------------------------------------------------- draft writes

def _index(h):
    return h.memory.alloc(4)


def test_tx_add_input(harness):
    ptr, length = harness.outpoint()
    proof = harness.memory.put(b"sig")
    index = _index(harness)
    assert harness.call("tx_add_input", ptr, length, 0, proof, 3, index) == Status.OK
    assert harness.memory.u32(index) == 0
    (tx_input,) = harness.ctx.draft.inputs
    assert (tx_input.outpoint, tx_input.reference_only, tx_input.unlocking_proof) == \
        (harness.coin, False, b"sig")
    assert harness.call("tx_add_input", ptr, length, 1, proof, 0, index) == Status.DUPLICATE
    missing = harness.outpoint(OutPoint(bytes(32), 0))
    assert harness.call("tx_add_input", *missing, 0, proof, 0, index) == Status.NOT_FOUND
    assert harness.call("tx_add_input", ptr, length, 2, proof, 0, index) == Status.INVALID_ARGUMENT
    assert harness.call("tx_add_input", ptr, length, 0, proof, 4097, index) == Status.TOO_LARGE
    assert len(harness.ctx.draft.inputs) == 1


def test_tx_add_input_refuses_a_signer_output_outside_the_spend_allowance():
    from .conftest import Harness

    for allowance in (frozenset(), frozenset({OutPoint(bytes(32), 0)})):
        h = Harness(allowance=allowance)  # OWNER signed, but did not allow the coin
        ptr, length = h.outpoint()
        assert h.call("tx_add_input", ptr, length, 0, 0, 0, _index(h)) == \
            Status.INPUT_NOT_AUTHORIZED
        assert h.ctx.draft.inputs == ()
        assert h.call("tx_add_input", ptr, length, 1, 0, 0, _index(h)) == Status.OK  # a read
        h.close()


def test_tx_add_input_checks_the_index_pointer_before_touching_the_draft(harness):
    ptr, length = harness.outpoint()
    assert harness.call("tx_add_input", ptr, length, 0, 0, 0, OOB) == Status.OUT_OF_BOUNDS
    assert harness.ctx.draft.inputs == ()


def _locks(*locks):
    return b"\x80" if not locks else bytes([0x80 | len(locks)]) + b"".join(encode(lock) for lock in locks)


def test_tx_add_asset_output(harness):
    index = _index(harness)
    locks = _locks(SingleKeyLock(CALLER), ContractLock(bytes(32)))
    owner, token = harness.memory.put(CALLER), encode(FungibleToken(bytes(32), b"gold"))
    args = [owner, 2**64 - 1, harness.memory.put(token), len(token),
            harness.memory.put(locks), len(locks)]
    assert harness.call("tx_add_asset_output", *args, index) == Status.OK
    (output,) = harness.ctx.draft.outputs
    assert output.asset.amount == 2**64 - 1 and output.locks[0] == SingleKeyLock(CALLER)
    assert output.asset.token == FungibleToken(bytes(32), b"gold")
    nft = encode(NonFungibleToken(bytes(32), b"n"))
    bad_amount = [owner, 2, harness.memory.put(nft), len(nft), harness.memory.put(b"\x80"), 1]
    assert harness.call("tx_add_asset_output", *bad_amount, index) == Status.INVALID_ARGUMENT
    not_token = encode(OutPoint(bytes(32), 1))
    wrong = [owner, 1, harness.memory.put(not_token), len(not_token), args[4], args[5]]
    assert harness.call("tx_add_asset_output", *wrong, index) == Status.INVALID_ARGUMENT
    nine = _locks(*[SingleKeyLock(CALLER)] * 9)
    too_many = args[:4] + [harness.memory.put(nine), len(nine)]
    assert harness.call("tx_add_asset_output", *too_many, index) == Status.INVALID_ARGUMENT
    assert harness.call("tx_add_asset_output", *args[:5], 8193, index) == Status.TOO_LARGE
    assert harness.call("tx_add_asset_output", OOB, *args[1:], index) == Status.OUT_OF_BOUNDS
    assert len(harness.ctx.draft.outputs) == 1


def test_tx_add_asset_output_draft_cap_aborts(make_harness):
    h = make_harness(ExecutionLimits(max_outputs=1))
    index = h.memory.alloc(4)
    args = [h.memory.put(CALLER), 1, h.memory.put(b"\x81\x14"), 2, h.memory.put(b"\x80"), 1]
    assert h.call("tx_add_asset_output", *args, index) == Status.OK
    with pytest.raises(DraftLimitExceeded) as info:
        h.call("tx_add_asset_output", *args, index)
    assert info.value.code == "draft-limit" and len(h.ctx.draft.outputs) == 1


def _resource_args(h, content_hash, category=1, description=None):
    desc = encode_value(description if description is not None else {})
    return [h.memory.put(content_hash), category, h.memory.put(CALLER), h.memory.put(b"\x80"), 1,
            h.memory.put(desc), len(desc)]


def test_tx_add_resource_output(harness):
    index = _index(harness)
    args = _resource_args(harness, harness.resource_hash,
                          description={"name": "token", "metadata": {"lang": "c"}})
    assert harness.call("tx_add_resource_output", *args, index) == Status.OK
    resource = harness.ctx.draft.outputs[0].resource
    assert (resource.size, resource.name, resource.mime_type, resource.metadata) == \
        (len(b"\0asm\1\0\0\0 a contract"), "token", "application/octet-stream", (("lang", "c"),))
    unknown = hashlib.sha256(b"elsewhere").digest()
    assert harness.call("tx_add_resource_output", *_resource_args(harness, unknown),
                        index) == Status.NOT_FOUND
    assert harness.call("tx_add_resource_output", *_resource_args(
        harness, unknown, description={"size": 9, "mime_type": "text/plain"}), index) == Status.OK
    assert harness.ctx.draft.outputs[1].resource.size == 9
    for bad in ({"size": 3}, {"colour": "red"}, {"name": 5}, {"metadata": {"k": 1}}):
        assert harness.call("tx_add_resource_output", *_resource_args(
            harness, harness.resource_hash, description=bad), index) == Status.INVALID_ARGUMENT
    assert harness.call("tx_add_resource_output", *_resource_args(
        harness, harness.resource_hash, category=9), index) == Status.INVALID_ARGUMENT
    assert harness.call("tx_add_resource_output", *args[:6], 8193, index) == Status.TOO_LARGE
    assert harness.call("tx_add_resource_output", OOB, *args[1:], index) == Status.OUT_OF_BOUNDS
    assert len(harness.ctx.draft.outputs) == 2
    assert harness.ctx.draft.outputs[0].resource.category == ResourceCategory.CONTRACT


def _state_args(h, public_inputs=(1, 2), parent=b""):
    pis = encode_value(tuple(public_inputs))
    return [h.memory.put(bytes([1] * 32)), 3, h.memory.put(bytes([2] * 32)), h.memory.put(pis),
            len(pis), h.memory.put(parent), len(parent)]


def test_tx_add_state_output(harness):
    index = _index(harness)
    assert harness.call("tx_add_state_output", *_state_args(harness), index) == Status.OK
    parent = bytes([9] * 32)
    assert harness.call("tx_add_state_output", *_state_args(harness, (BN254_FR - 1,), parent),
                        index) == Status.OK
    assert harness.memory.u32(index) == 1
    first, second = (o for o in harness.ctx.draft.outputs)
    contract = harness.resource_hash
    assert first.owner == contract and first.locks == (ContractLock(contract),)
    assert first.state.version == 3 and first.state.parent_state_hash is None
    assert dict(first.state.metadata) == {"public_inputs": "1,2", "state_key": "01" * 32}
    # the stored id is namespaced by the writing contract (docs/authorization.md)
    assert first.state.state_id == contract_state_id(contract, bytes([1] * 32))
    assert second.state.parent_state_hash == parent and first.state.zk_proof is None
    for bad in [_state_args(harness, (BN254_FR,)), _state_args(harness, (True,)),
                _state_args(harness, range(33)), _state_args(harness, parent=b"short")]:
        assert harness.call("tx_add_state_output", *bad, index) == Status.INVALID_ARGUMENT
    args = _state_args(harness)
    assert harness.call("tx_add_state_output", *args[:4], 2049, *args[5:], index) == \
        Status.TOO_LARGE
    assert harness.call("tx_add_state_output", *args[:2], OOB, *args[3:], index) == \
        Status.OUT_OF_BOUNDS
    assert len(harness.ctx.draft.outputs) == 2


# --------------------------------------------------------------------------------------- tracing

def test_emit_event(harness):
    kind, data = harness.memory.put(b"transfer"), harness.memory.put(b"\x01\x02")
    assert harness.call("emit_event", kind, 8, data, 2) == Status.OK
    (event,) = harness.ctx.draft.events
    assert (event.contract, event.event_type, event.data) == (harness.resource_hash, "transfer",
                                                               b"\x01\x02")
    assert harness.call("emit_event", kind, 0, data, 2) == Status.INVALID_ARGUMENT  # empty type
    assert harness.call("emit_event", harness.memory.put(b"\xff"), 1, data, 2) == \
        Status.INVALID_ARGUMENT
    assert harness.call("emit_event", kind, 65, data, 2) == Status.TOO_LARGE
    assert harness.call("emit_event", kind, 8, data, 65537) == Status.TOO_LARGE
    assert harness.call("emit_event", kind, 8, OOB, 2) == Status.OUT_OF_BOUNDS
    assert len(harness.ctx.draft.events) == 1


def test_log_debug_and_its_cap(make_harness):
    h = make_harness(ExecutionLimits(max_log_bytes=6))
    msg = h.memory.put("héllo".encode())
    assert h.call("log_debug", msg, 6) == Status.OK and h.ctx.logs == ("héllo",)
    assert h.call("log_debug", msg, 1) == Status.LIMIT_REACHED and h.ctx.logs == ("héllo",)
    assert h.call("log_debug", msg + 2, 1) == Status.INVALID_ARGUMENT  # half a UTF-8 sequence
    assert h.call("log_debug", msg, 4097) == Status.TOO_LARGE
    assert h.call("log_debug", OOB, 1) == Status.OUT_OF_BOUNDS


# ----------------------------------------------------------------------------- gas and the trace

def test_every_call_is_traced_and_charged_including_failures(harness):
    ptr, length = harness.outpoint()
    harness.call("utxo_exists", ptr, length)
    harness.call("utxo_exists", OOB, length)
    ok, oob = harness.ctx.trace.records
    assert ok.status == Status.OK and oob.status == Status.OUT_OF_BOUNDS
    # base 300 + 1 gas per byte read; the failed read moved no bytes
    assert ok.gas_after - ok.gas_before == 300 + length
    assert oob.gas_after - oob.gas_before == 300
    assert decode_args(ok.args) == [[ptr, length], [encode(harness.coin)]]
    assert harness.ctx.gas_used == oob.gas_after


def decode_args(raw):
    from ispc_framework._encoding import decode_value
    value = decode_value(raw)
    return [list(value[0]), list(value[1])]


def test_out_of_gas_aborts_before_any_effect(make_harness):
    h = make_harness(ExecutionLimits(fuel=1500))
    args = [h.memory.put(CALLER), 1, h.memory.put(b"\x81\x14"), 2, h.memory.put(b"\x80"), 1]
    with pytest.raises(OutOfGas) as info:
        h.call("tx_add_asset_output", *args, h.memory.alloc(4))
    assert info.value.code == "out-of-gas" and h.ctx.draft.outputs == ()
    assert len(h.ctx.trace) == 0


def test_i32_arguments_are_read_as_unsigned(harness):
    """Engines pass i32 as signed Python ints; -16 and 0xFFFFFFF0 are the same pointer."""
    assert harness.call("caller", -16) == harness.call("caller", 0xFFFF_FFF0) == \
        Status.OUT_OF_BOUNDS
    records = harness.ctx.trace.records
    assert records[0].args == records[1].args


def test_contexts_are_never_captured(make_harness):
    """One provider's descriptors serve two runs; each call writes only its own env's draft."""
    first, second = make_harness(), make_harness()
    function = first.functions["ispc.v1.emit_event"]
    for h, name in ((first, b"one"), (second, b"two")):
        function.handler(h.env, h.memory.put(name), 3, h.memory.put(b""), 0)
    assert [e.event_type for e in first.ctx.draft.events] == ["one"]
    assert [e.event_type for e in second.ctx.draft.events] == ["two"]

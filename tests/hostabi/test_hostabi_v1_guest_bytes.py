"""The shortcuts of the ispc.v1 bodies, attacked: an asset output keeps the guest's bytes as its
encoding, tokens are decoded once per distinct bytes, the run's last outpoint once per run.

Each must give what the plain path gives: the same encoding as encoding the output afresh, the
same status for every hostile or non-canonical byte string, the same spend decision."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import locks as lock_values
from strategies import tokens as token_values

from ispc_framework._encoding import encode
from ispc_framework._hostabi import v1
from ispc_framework._hostabi._bindings_v1 import Status
from ispc_framework._limits import ExecutionLimits
from ispc_framework._model import (AssetOutput, ContractLock, FungibleToken, MultiKeyLock, NonFungibleToken,
                                   OutPoint, SingleKeyLock, TimeLock, TxOutput)

from .conftest import CALLER, OWNER, PAGE, ByteMemory, Harness

MAX = 2**64 - 1


def _fresh_encoding(value) -> bytes:
    """The encoding of an equal object that never had one stored (unpickled objects carry no
    memo), made by the encoder itself."""
    copy = pickle.loads(pickle.dumps(value))
    assert not hasattr(copy, "_ispc_encoding")
    return encode(copy)


def _add_asset(h: Harness, owner: bytes, amount: int, token: bytes, locks: bytes) -> int:
    args = [h.memory.put(owner), amount, h.memory.put(token), len(token), h.memory.put(locks),
            len(locks), h.memory.alloc(4)]
    return h.call("tx_add_asset_output", *args)


def _lock_list(*locks) -> bytes:
    return encode(tuple(locks))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(token=token_values, locks=st.lists(lock_values, max_size=8),
       amount=st.sampled_from([0, 1, 23, 24, 255, 256, 65535, 65536, 2**32, MAX]))
def test_the_kept_encoding_is_the_encoding_of_the_output(token, locks, amount):
    h = Harness()
    try:
        status = _add_asset(h, CALLER, amount, encode(token), _lock_list(*locks))
        assert status == Status.OK
        (output,) = h.ctx.draft.outputs
        assert output == TxOutput(CALLER, tuple(locks), asset=AssetOutput(token, amount))
        assert output._ispc_encoding == _fresh_encoding(output)
        assert encode(h.ctx.draft.seal()) == _fresh_encoding(h.ctx.draft.seal())
    finally:
        h.close()


def test_nft_outputs_keep_their_amount_rule():
    h = Harness()
    nft = encode(NonFungibleToken(OWNER, b"n"))
    assert _add_asset(h, CALLER, 2, nft, b"\x80") == Status.INVALID_ARGUMENT
    assert _add_asset(h, CALLER, 1, nft, b"\x80") == Status.OK
    assert h.ctx.draft.outputs[0]._ispc_encoding == _fresh_encoding(h.ctx.draft.outputs[0])
    h.close()


TOKEN = encode(FungibleToken(OWNER, b"TOK"))       # 83 15 58 20 <32> 43 'TOK'
LOCKS = _lock_list(SingleKeyLock(CALLER))          # 81 82 0a 58 20 <32>

#: byte strings a hostile contract may pass as a token: each decodes to nothing or to a value
#: that is not a token, so each must be refused (and never kept)
HOSTILE_TOKENS = {
    "non-shortest type id": b"\x83\x18\x15" + TOKEN[2:],
    "non-shortest byte-string head": TOKEN[:2] + b"\x59\x00\x20" + TOKEN[4:],
    "indefinite-length array": b"\x9f" + TOKEN[1:] + b"\xff",
    "trailing byte": TOKEN + b"\x00",
    "truncated": TOKEN[:-1],
    "bool as type id": b"\x83\xf5" + TOKEN[2:],
    "text for bytes": TOKEN[:-4] + b"\x63TOK",
    "a lookalike outpoint": encode(OutPoint(OWNER, 3)),
    "a lock": encode(SingleKeyLock(OWNER)),
    "a map": b"\xa1\x61a\x01",
    "an array of the token": b"\x81" + TOKEN,
    "a tagged token": b"\xc2" + TOKEN,
    "short contract address": b"\x83\x15\x58\x1f" + OWNER[:31] + b"\x43TOK",
    "empty": b"",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_TOKENS))
def test_hostile_token_bytes_are_refused_every_time_and_never_kept(name):
    data = HOSTILE_TOKENS[name]
    h = Harness()
    assert _add_asset(h, CALLER, 5, TOKEN, LOCKS) == Status.OK  # the honest token, kept
    for _ in range(2):  # a refusal is not kept either: the second call decodes again
        assert _add_asset(h, CALLER, 5, data, LOCKS) == Status.INVALID_ARGUMENT
    assert data not in v1._TOKENS and len(h.ctx.draft.outputs) == 1
    h.close()


HOSTILE_LOCKS = {
    "non-shortest array head": b"\x98\x01" + LOCKS[1:],
    "indefinite array": b"\x9f" + LOCKS[1:] + b"\xff",
    "non-shortest lock type id": b"\x81\x82\x18\x0a" + LOCKS[3:],
    "trailing byte": LOCKS + b"\x00",
    "nine locks": _lock_list(*[SingleKeyLock(CALLER)] * 9),
    "a token among the locks": b"\x81" + TOKEN,
    "a bool threshold": b"\x81\x83\x0b\xf5\x81\x58\x20" + CALLER,
    "a bignum threshold": b"\x81\x83\x0b\xc2\x41\x01\x81\x58\x20" + CALLER,
    "a 31-byte key": b"\x81\x82\x0a\x58\x1f" + CALLER[:31],
    "a time lock with a token base": b"\x81\x83\x0d\x01" + TOKEN,
    "empty": b"",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_LOCKS))
def test_hostile_lock_bytes_are_refused(name):
    h = Harness()
    assert _add_asset(h, CALLER, 5, TOKEN, HOSTILE_LOCKS[name]) == Status.INVALID_ARGUMENT
    assert h.ctx.draft.outputs == ()
    h.close()


def test_nested_and_multi_key_locks_keep_their_exact_bytes():
    keys = (bytes([1]) * 32, bytes([2]) * 33, bytes([3]) * 65)
    locks = _lock_list(TimeLock(7, MultiKeyLock(2, keys)), SingleKeyLock(CALLER))
    h = Harness()
    assert _add_asset(h, CALLER, 300, TOKEN, locks) == Status.OK
    (output,) = h.ctx.draft.outputs
    assert output._ispc_encoding == _fresh_encoding(output)
    assert locks in output._ispc_encoding and TOKEN in output._ispc_encoding
    h.close()


def test_kept_tokens_are_bounded():
    v1._TOKENS.clear()
    h = Harness(ExecutionLimits(max_outputs=1000))
    for i in range(v1.MAX_CACHED_TOKENS + 3):
        token = encode(FungibleToken(OWNER, i.to_bytes(2, "big")))
        assert _add_asset(h, CALLER, 1, token, b"\x80") == Status.OK
        assert len(v1._TOKENS) <= v1.MAX_CACHED_TOKENS
        assert h.ctx.draft.outputs[-1].asset.token == FungibleToken(OWNER, i.to_bytes(2, "big"))
    h.close()


# ------------------------------------------------------------------------- outpoints per run

def _index(h):
    return h.memory.alloc(4)


def test_a_looked_up_outpoint_is_not_reused_for_other_bytes():
    """Lookup of the coin, then an input naming another outpoint: the input's own bytes decide
    (NOT_FOUND), not the kept outpoint."""
    h = Harness()
    ptr, length = h.outpoint()
    out, len_ptr = h.memory.alloc(512), h.memory.alloc(4)
    assert h.call("utxo_lookup", ptr, length, out, 512, len_ptr) == Status.OK
    other = h.outpoint(OutPoint(h.coin.tx_id, 5))  # not on the chain
    assert h.call("tx_add_input", *other, 0, 0, 0, _index(h)) == Status.NOT_FOUND
    non_canonical = h.memory.put(b"\x83\x18\x01" + encode(h.coin)[1:])  # type id 1 padded
    assert h.call("tx_add_input", non_canonical, length + 1, 0, 0, 0, _index(h)) == \
        Status.INVALID_ARGUMENT
    assert h.ctx.draft.inputs == ()
    assert h.call("tx_add_input", ptr, length, 0, 0, 0, _index(h)) == Status.OK
    assert h.ctx.draft.inputs[0].outpoint == h.coin
    assert h.call("tx_add_input", ptr, length, 1, 0, 0, _index(h)) == Status.DUPLICATE
    h.close()


def test_a_looked_up_output_the_signer_does_not_own_is_still_refused():
    """The lookup (which keeps the outpoint) grants nothing: the coin is SingleKeyLock(OWNER),
    and a run signed by someone else may read it but not spend it."""
    h = Harness(signers=(CALLER,))
    ptr, length = h.outpoint()
    out, len_ptr = h.memory.alloc(512), h.memory.alloc(4)
    assert h.call("utxo_lookup", ptr, length, out, 512, len_ptr) == Status.OK
    assert h.call("tx_add_input", ptr, length, 0, 0, 0, _index(h)) == Status.INPUT_NOT_AUTHORIZED
    assert h.ctx.draft.inputs == ()
    assert h.call("tx_add_input", ptr, length, 1, 0, 0, _index(h)) == Status.OK  # a read
    h.close()


def test_the_kept_outpoint_does_not_outlive_its_run():
    first, second = Harness(), Harness()
    ptr, length = first.outpoint()
    out, len_ptr = first.memory.alloc(512), first.memory.alloc(4)
    assert first.call("utxo_lookup", ptr, length, out, 512, len_ptr) == Status.OK
    assert v1._LAST_OUTPOINT in first.env.extra and v1._LAST_OUTPOINT not in second.env.extra
    first.close()
    second.close()


def test_utxo_lookup_returns_the_outputs_encoding():
    h = Harness()
    ptr, length = h.outpoint()
    out, len_ptr = h.memory.alloc(512), h.memory.alloc(4)
    for _ in range(2):  # the second lookup reads the stored encoding
        assert h.call("utxo_lookup", ptr, length, out, 512, len_ptr) == Status.OK
        assert h.memory.read(out, h.memory.u32(len_ptr)) == _fresh_encoding(h.coin_output)
    h.close()


@pytest.mark.parametrize("reference_only", [0, 1])
@pytest.mark.parametrize("proof_len", [0, 1, 23, 24, 255, 256, 4096])
def test_the_kept_input_encoding_is_the_encoding_of_the_input(reference_only, proof_len):
    h = Harness()
    ptr, length = h.outpoint()
    proof = bytes(range(256)) * 16
    proof_ptr = h.memory.put(proof[:proof_len] or b"\0")
    assert h.call("tx_add_input", ptr, length, reference_only, proof_ptr, proof_len,
                  _index(h)) == Status.OK
    (tx_input,) = h.ctx.draft.inputs
    assert (tx_input.reference_only, tx_input.unlocking_proof) == \
        (bool(reference_only), proof[:proof_len])
    assert tx_input._ispc_encoding == _fresh_encoding(tx_input)
    assert encode(h.ctx.draft.seal()) == _fresh_encoding(h.ctx.draft.seal())
    h.close()


def _hostile_outpoints(coin: OutPoint) -> dict[str, bytes]:
    good = encode(coin)  # 82 01 58 20 <32> <index>
    return {
        "non-shortest index": good[:-1] + b"\x18" + good[-1:],
        "non-shortest tx id head": good[:2] + b"\x59\x00\x20" + good[4:],
        "indefinite array": b"\x9f" + good[1:] + b"\xff",
        "trailing byte": good + b"\x00",
        "bool index": good[:-1] + b"\xf4",
        "a TxInput around it": b"\x84\x02" + good + b"\xf4\x40",
        "a token": TOKEN,
    }


@pytest.mark.parametrize("name", sorted(_hostile_outpoints(OutPoint(bytes(32), 0))))
def test_hostile_outpoint_bytes_are_refused_by_lookup_and_input(name):
    h = Harness()
    data = _hostile_outpoints(h.coin)[name]
    ptr = h.memory.put(data)
    out, len_ptr = h.memory.alloc(512), h.memory.alloc(4)
    for _ in range(2):
        assert h.call("utxo_lookup", ptr, len(data), out, 512, len_ptr) == \
            Status.INVALID_ARGUMENT
        assert h.call("tx_add_input", ptr, len(data), 0, 0, 0, _index(h)) == \
            Status.INVALID_ARGUMENT
    assert h.ctx.draft.inputs == ()
    h.close()


EVENT_TYPES = {"ascii": b"transfer", "multibyte": "übertrag→€".encode(), "64 bytes": b"t" * 64,
               "one byte": b"x", "24 bytes": b"y" * 24}


@pytest.mark.parametrize("name", sorted(EVENT_TYPES))
@pytest.mark.parametrize("data_len", [0, 23, 24, 255, 256, 65536])
def test_the_kept_event_encoding_is_the_encoding_of_the_event(name, data_len):
    h = Harness(ExecutionLimits(max_event_bytes=65536))
    h.memory = h.env.memory = ByteMemory(4 * PAGE)  # room for the largest payload
    event_type, data = EVENT_TYPES[name], bytes(range(256)) * 256
    args = [h.memory.put(event_type), len(event_type), h.memory.put(data[:data_len] or b"\0"),
            data_len]
    assert h.call("emit_event", *args) == Status.OK
    (event,) = h.ctx.draft.events
    assert (event.event_type, event.data) == (event_type.decode(), data[:data_len])
    assert event._ispc_encoding == _fresh_encoding(event)
    h.close()


@pytest.mark.parametrize("event_type", [b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"",
                                        "\u00e9".encode()[:1]])
def test_event_types_that_are_not_short_strict_utf8_are_refused(event_type):
    h = Harness()
    assert h.call("emit_event", h.memory.put(event_type or b"\0"), len(event_type),
                  h.memory.put(b"d"), 1) == Status.INVALID_ARGUMENT
    assert h.ctx.draft.events == ()
    h.close()


def _owner_lock_lookalikes(owner: bytes) -> dict[str, bytes]:
    """Byte strings close to the encoding of (SingleKeyLock(owner),) that are another value or
    no value: none may be taken for the owner's lock."""
    own = _lock_list(SingleKeyLock(owner))  # 81 82 0a 58 20 <owner>
    return {
        "another key": own[:-1] + bytes([own[-1] ^ 1]),
        "the key of a 33-byte lock": _lock_list(SingleKeyLock(b"\x02" + owner)),
        "a contract lock on the owner": _lock_list(ContractLock(owner)),
        "two locks": _lock_list(SingleKeyLock(owner), SingleKeyLock(owner)),
        "non-shortest type id": b"\x81\x82\x18\x0a" + own[3:],
        "trailing byte": own + b"\x00",
        "lock outside a list": own[1:],
        "truncated": own[:-1],
        "owner first": owner + own[:5],
    }


@pytest.mark.parametrize("name", sorted(_owner_lock_lookalikes(CALLER)))
def test_lookalikes_of_the_owners_own_lock_give_what_decoding_gives(name):
    data = _owner_lock_lookalikes(CALLER)[name]
    try:
        expected = v1.decode_locks(data)
    except v1.GuestError as refused:
        expected = refused.status
    h = Harness()
    status = _add_asset(h, CALLER, 5, TOKEN, data)
    if isinstance(expected, int):
        assert status == expected == Status.INVALID_ARGUMENT and h.ctx.draft.outputs == ()
    else:
        assert status == Status.OK
        (output,) = h.ctx.draft.outputs
        assert output.locks == expected and output._ispc_encoding == _fresh_encoding(output)
    h.close()


def test_the_owners_own_lock_is_that_lock():
    h = Harness()
    for owner in (CALLER, OWNER):
        assert _add_asset(h, owner, 5, TOKEN, _lock_list(SingleKeyLock(owner))) == Status.OK
        output = h.ctx.draft.outputs[-1]
        assert output.locks == (SingleKeyLock(owner),)
        assert output._ispc_encoding == _fresh_encoding(output)
    # the owner's lock bytes with another owner: decoded, the lock names the other key
    assert _add_asset(h, OWNER, 5, TOKEN, _lock_list(SingleKeyLock(CALLER))) == Status.OK
    assert h.ctx.draft.outputs[-1].locks == (SingleKeyLock(CALLER),)
    h.close()


def _decoded_outpoint(data: bytes):
    try:
        return v1.decode_guest(data, (OutPoint,), "outpoint")
    except v1.GuestError as refused:
        return refused.status


INDEX_HEADS = [0, 1, 23, 24, 255, 256, 65535, 65536, 2**32 - 1, 2**32, MAX]


@settings(max_examples=400, deadline=None)
@given(tx_id=st.binary(min_size=32, max_size=32),
       index=st.sampled_from(INDEX_HEADS) | st.integers(0, MAX),
       flip=st.none() | st.tuples(st.integers(0, 45), st.integers(0, 7)),
       cut=st.none() | st.integers(0, 45), extra=st.binary(max_size=2))
def test_the_outpoint_shortcut_builds_exactly_what_decoding_gives(tx_id, index, flip, cut, extra):
    """``_canonical_outpoint`` (utxo_lookup's and tx_add_input's decoder) takes only bytes that
    are the canonical encoding of the OutPoint it builds, and leaves all others (non-shortest
    index heads, indices above u32, flipped, cut or extended bytes) to the decoder."""
    data = bytearray(b"\x83\x01\x58\x20" + tx_id + v1._head(0, index))
    if flip is not None and flip[0] < len(data):
        data[flip[0]] ^= 1 << flip[1]
    if cut is not None:
        del data[cut:]
    data = bytes(data + extra)
    fast = v1._canonical_outpoint(data)
    if fast is not None:
        assert type(fast) is OutPoint and fast == _decoded_outpoint(data)
        assert encode(fast) == data
    elif data == b"\x83\x01\x58\x20" + tx_id + v1._head(0, index) and index < 2**32:
        raise AssertionError("a canonical outpoint was left to the decoder")


@pytest.mark.parametrize("tail", [b"\x18\x05", b"\x19\x00\x05", b"\x1a\x00\x00\x00\x05",
                                  b"\x1b" + (5).to_bytes(8, "big"),
                                  b"\x1a" + (2**32 - 1).to_bytes(4, "big") + b"\x00",
                                  b"\x1b" + (2**32).to_bytes(8, "big"), b"\x1c", b"\x19\x01", b""])
def test_outpoints_the_shortcut_leaves_to_the_decoder(tail):
    data = b"\x83\x01\x58\x20" + bytes(32) + tail
    assert v1._canonical_outpoint(data) is None
    assert _decoded_outpoint(data) == Status.INVALID_ARGUMENT

"""Review of session 5's ispc.v1 shortcuts, attacked (tests/test_review_attacks_s5.py has the run
path's): an asset output, an input and an event keep an encoding composed from the guest's bytes,
the run's last outpoint and the decoded tokens are kept, the duplicate-input check is a set.

The one that broke: ``tx_add_asset_output`` composed its output's encoding from lock bytes that
``decode_locks`` had read as a value of its own (nesting counted from 0), so a chain of 30
TimeLocks got a kept encoding although the output, one level deeper, has none (the encoder and
the decoder refuse it: nested deeper than 32 levels); before, the draft's encode refused it. A
draft's kept encoding (its items' encodings, each made alone) already had the same gap at 28.
Fixed in the model: time and height locks nest at most ``MAX_LOCK_NESTING`` deep."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import locks as lock_values

from ispc_framework._authorization import Spender, spend_refusal
from ispc_framework._encoding import TYPE_IDS, decode, encode
from ispc_framework._errors import ValidationError
from ispc_framework._hostabi import v1
from ispc_framework._hostabi._bindings_v1 import Status
from ispc_framework._model import (MAX_LOCK_NESTING, AssetOutput, ChainPins, FungibleToken,
                                   HeightLock, NativeCoin, OutPoint, ResultCommitment,
                                   SingleKeyLock, StateOutput, TimeLock, TxOutput,
                                   WasmExecutionResult)

from .conftest import CALLER, OWNER, Harness

TOKEN = encode(FungibleToken(OWNER, b"TOK"))


def _fresh(value) -> bytes:
    copy = pickle.loads(pickle.dumps(value))   # an equal object with no kept encoding
    assert not hasattr(copy, "_ispc_encoding")
    return encode(copy)


def _add_asset(h: Harness, owner: bytes, amount: int, token: bytes, locks: bytes) -> int:
    return h.call("tx_add_asset_output", h.memory.put(owner), amount, h.memory.put(token),
                  len(token), h.memory.put(locks), len(locks), h.memory.alloc(4))


def _chain_bytes(depth: int) -> bytes:
    """The canonical bytes of ``(TimeLock(.., TimeLock(.., SingleKeyLock(CALLER))),)`` with
    ``depth`` time locks, written by hand: the model refuses to build the deep ones."""
    lock = encode(SingleKeyLock(CALLER))
    for level in range(depth):
        lock = b"\x83\x0d" + encode(level) + lock   # [13, not_before_timestamp, base]
    return b"\x81" + lock


def _result_holding(h: Harness) -> WasmExecutionResult:
    """The deepest value a draft output lives in: a result file's commitment's draft."""
    pins = ChainPins(1, 2, b"\x03" * 32, "ispc-test")
    from ispc_framework._transaction import SignedTransaction

    tx = SignedTransaction(h.ctx.request, "ispc-test", 9, (b"\x01" * 32,), (b"\x02" * 64,))
    commitment = ResultCommitment("wasm", tx, pins, "e", "f", b"\x05" * 32, b"\x06" * 32, 1,
                                  None, draft=h.ctx.draft.seal())
    return WasmExecutionResult(commitment, commitment.hash(),
                               StateOutput(b"\x06" * 32, 1, commitment.hash()), ())


@pytest.mark.parametrize("depth", [1, MAX_LOCK_NESTING - 1, MAX_LOCK_NESTING,
                                   MAX_LOCK_NESTING + 1, 25, 26, 27, 28, 29, 30])
def test_a_deep_lock_chain_never_gets_an_encoding_no_encoder_makes(depth):
    """ATTACK (broke before the model's nesting bound): lock bytes the HostABI accepts must
    give an output whose kept encoding is its fresh encoding, in a draft and in a result file
    that decode again; deeper chains are the guest's INVALID_ARGUMENT."""
    h = Harness()
    try:
        status = _add_asset(h, CALLER, 5, TOKEN, _chain_bytes(depth))
        if depth > MAX_LOCK_NESTING:
            assert status == Status.INVALID_ARGUMENT and h.ctx.draft.outputs == ()
            return
        assert status == Status.OK
        (output,) = h.ctx.draft.outputs
        assert output._ispc_encoding == _fresh(output)
        assert decode(output._ispc_encoding) == output
        draft = h.ctx.draft.seal()
        assert encode(draft) == _fresh(draft) and decode(encode(draft)) == draft
        result = _result_holding(h)
        assert decode(encode(result)) == result
        assert result.commitment.hash() == decode(encode(result)).commitment.hash()
    finally:
        h.close()


@pytest.mark.parametrize("kind", [TimeLock, HeightLock])
def test_the_model_refuses_a_lock_chain_deeper_than_the_bound(kind):
    lock = SingleKeyLock(CALLER)
    for level in range(MAX_LOCK_NESTING):
        lock = (TimeLock if level % 2 else kind)(level, lock)
    with pytest.raises(ValidationError) as refused:
        kind(0, lock)
    assert refused.value.code == "invalid-value" and "nest" in refused.value.message
    with pytest.raises(ValidationError):   # the decoder reaches the same validator
        decode(b"\x83" + encode(TYPE_IDS[kind]) + b"\x00" + encode(lock))


# -------------------------------------------------------------------------- spend decisions

def _old_spend_refusal(output, spender, outpoint=None):
    """spend_refusal as it was before session 5: the contract's own authority asked through a
    second Spender without signers (the reference the refactored one must equal)."""
    unrestricted = Spender(spender.signers, spender.contract, spender.height, spender.timestamp,
                           None)
    reason = spend_refusal(output, unrestricted)
    if reason is not None or spender.allowance is None or not spender.signers:
        return reason
    if spend_refusal(output, Spender((), spender.contract, spender.height, spender.timestamp,
                                     None)) is None:
        return None
    if outpoint is None or outpoint not in spender.allowance:
        return ("spendable only on a signer's authority, and not in the transaction's spend "
                "allowance (its signed `spends`)")
    return None


KEYS = [bytes([k]) * 32 for k in range(1, 5)]
POINTS = [OutPoint(bytes([p]) * 32, p) for p in range(3)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(locks=st.lists(lock_values, max_size=3), owner=st.sampled_from(KEYS + [OWNER]),
       signers=st.frozensets(st.sampled_from(KEYS + [OWNER])),
       contract=st.sampled_from([OWNER, CALLER]),
       allowance=st.none() | st.frozensets(st.sampled_from(POINTS)),
       outpoint=st.none() | st.sampled_from(POINTS),
       height=st.integers(0, 2**64 - 1), timestamp=st.integers(0, 2**64 - 1))
def test_spend_refusal_decides_as_the_two_spender_formulation(locks, owner, signers, contract,
                                                               allowance, outpoint, height,
                                                               timestamp):
    output = TxOutput(owner, tuple(locks), asset=AssetOutput(NativeCoin(), 1))
    spender = Spender(signers, contract, height, timestamp, allowance)
    assert spend_refusal(output, spender, outpoint) == \
        _old_spend_refusal(output, spender, outpoint)


# ---------------------------------------------------------------- the duplicate-input check

def _index(h):
    return h.memory.alloc(4)


def test_a_referenced_outpoint_cannot_then_be_spent():
    """ATTACK (held): the set of a draft's outpoints holds reference-only inputs too, so a
    read followed by a spend of one outpoint (twice towards conservation) is DUPLICATE."""
    h = Harness()
    ptr, length = h.outpoint()
    assert h.call("tx_add_input", ptr, length, 1, 0, 0, _index(h)) == Status.OK
    assert h.call("tx_add_input", ptr, length, 0, 0, 0, _index(h)) == Status.DUPLICATE
    again = h.memory.put(encode(h.coin))   # the same outpoint from other guest memory
    assert h.call("tx_add_input", again, length, 0, 0, 0, _index(h)) == Status.DUPLICATE
    assert [i.reference_only for i in h.ctx.draft.inputs] == [True]
    h.close()


def test_a_duplicate_is_refused_before_the_output_is_even_looked_up():
    """The order of the checks is the plain path's: DUPLICATE even when the spend would be
    refused (so a contract cannot probe authorisation through the status)."""
    h = Harness(signers=(CALLER,))
    ptr, length = h.outpoint()
    assert h.call("tx_add_input", ptr, length, 1, 0, 0, _index(h)) == Status.OK
    assert h.call("tx_add_input", ptr, length, 0, 0, 0, _index(h)) == Status.DUPLICATE
    h.close()


def test_a_looked_up_outpoint_outside_the_allowance_is_still_refused():
    """ATTACK (held): the kept outpoint grants nothing: the signer owns the coin, but it is
    not in the transaction's signed spends."""
    h = Harness(allowance=frozenset())
    ptr, length = h.outpoint()
    out, len_ptr = h.memory.alloc(512), h.memory.alloc(4)
    assert h.call("utxo_lookup", ptr, length, out, 512, len_ptr) == Status.OK
    assert h.call("tx_add_input", ptr, length, 0, 0, 0, _index(h)) == Status.INPUT_NOT_AUTHORIZED
    assert h.ctx.draft.inputs == ()
    h.close()


def test_the_kept_outpoint_follows_the_bytes_not_the_pointer():
    """ATTACK (held): the guest rewrites the memory it looked an outpoint up from, then spends
    from the same pointer: the input names the new bytes' outpoint (read anew per call)."""
    h = Harness()
    ptr, length = h.outpoint()
    out, len_ptr = h.memory.alloc(512), h.memory.alloc(4)
    assert h.call("utxo_lookup", ptr, length, out, 512, len_ptr) == Status.OK
    h.memory.write(ptr, encode(OutPoint(h.coin.tx_id, 1)))   # the resource output, same size
    assert h.call("tx_add_input", ptr, length, 1, 0, 0, _index(h)) == Status.OK
    assert h.ctx.draft.inputs[0].outpoint == OutPoint(h.coin.tx_id, 1)
    assert h.ctx.draft.inputs[0]._ispc_encoding == _fresh(h.ctx.draft.inputs[0])
    h.close()


def test_kept_tokens_are_exactly_what_their_bytes_decode_to():
    """ATTACK (held): after honest and hostile calls, every kept token is its key's value and
    encodes back to the key (nothing an attacker passes can poison the process-wide table)."""
    h = Harness()
    for token in (TOKEN, encode(NativeCoin()), TOKEN + b"\x00", b"\x83\x18\x15" + TOKEN[2:]):
        _add_asset(h, CALLER, 1, token, b"\x80")
    h.close()
    assert v1._TOKENS
    for data, token in v1._TOKENS.items():
        assert type(data) is bytes and decode(data) == token and encode(token) == data

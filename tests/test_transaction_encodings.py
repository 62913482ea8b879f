"""The bytes a run derives from its transaction, made the fast way, are the bytes of the rule.

A transaction's body and a trace's header are maps of a fixed shape, encoded by
``_encoding.map_encoder`` (keys sorted once); a transaction decoded from canonical bytes keeps
those bytes as its encoding. Each shortcut is compared here with the generic encoder on random
values, pinned by vectors computed before the shortcuts existed, and attacked with hostile bytes.
"""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import pins, requests, transactions

from ispc_framework._context import ExecutionContext, ExecutionRequest, _limits_for_trace
from ispc_framework._encoding import decode, decode_value, encode, encode_value, map_encoder
from ispc_framework._errors import TransactionRejected, ValidationError
from ispc_framework._limits import ExecutionLimits
from ispc_framework._model import ChainPins, OutPoint, ResultCommitment
from ispc_framework._signing import devnet_key
from ispc_framework._trace import TRACE_VERSION
from ispc_framework._transaction import SignedTransaction, check_signatures, sign_request

GENESIS = bytes(range(32))
PINS = ChainPins(5, 6, b"\x04" * 32, "devnet")
REQUEST = ExecutionRequest(b"\x01" * 32, "transfer", b"pay bob 5", nonce=7)

# (spends, body's id, signing message) computed by the generic encoder before map_encoder
VECTORS = [
    ((), "fa9ff6275be4aece2219ae712ffd58bc596fec0d7c02fe19ff6338d643ce3597",
     "874430460987351a983b2d626af7d5d33d861d2046cc8a18a27388ef5584b66d"),
    ((OutPoint(b"\x02" * 32, 1), OutPoint(b"\x03" * 32, 0)),
     "e8c1f0eafdea84a58ce79829c226812968aeb005a4a21b7bde1222dff72585a4",
     "062044f61c2e31c91ecda4366efa4d8c1e649ca0d9d17c8625c41e3c7008b631"),
]


def _signed(spends=()) -> SignedTransaction:
    return sign_request(REQUEST, [devnet_key("alice"), devnet_key("bob")], chain_id="devnet",
                        genesis_hash=GENESIS, valid_until=99, spends=spends)


def _generic_body(tx: SignedTransaction) -> bytes:
    fields = {"request": tx.request, "chain_id": tx.chain_id, "valid_until": tx.valid_until,
              "signers": tx.signers}
    if tx.spends is not None:
        fields["spends"] = tx.spends
    return encode(fields)


# ------------------------------------------------------------------------------ map_encoder

values = st.recursive(st.none() | st.booleans() | st.integers(-2**64, 2**70) | st.binary(max_size=30)
                      | st.text(max_size=30),
                      lambda inner: st.lists(inner, max_size=3).map(tuple), max_leaves=5)


@settings(max_examples=200)
@given(st.dictionaries(st.text(max_size=30), values, max_size=8))
def test_a_map_encoder_gives_the_bytes_of_the_map(mapping):
    keys = list(mapping)
    assert map_encoder(*keys)(*(mapping[key] for key in keys)) == encode_value(mapping)


def test_a_map_encoder_refuses_a_shape_it_cannot_encode():
    for keys in (("a", "a"), ("a", 1)):
        with pytest.raises(ValidationError):
            map_encoder(*keys)
    with pytest.raises(ValidationError, match="one per key"):
        map_encoder("a", "b")(1)
    with pytest.raises(ValidationError, match="has no canonical encoding"):
        map_encoder("a")(object())


# --------------------------------------------------------------------- body and trace header


@pytest.mark.parametrize(("spends", "tx_id", "message"), VECTORS)
def test_the_body_id_and_signing_message_are_the_pinned_ones(spends, tx_id, message):
    tx = _signed(spends)
    assert tx.body() == _generic_body(tx)
    assert tx.id.hex() == tx_id
    assert tx.signing_message(GENESIS).hex() == message
    check_signatures(decode(encode(tx)), GENESIS)


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(transactions)
def test_the_body_is_the_encoding_of_the_fields_map(tx):
    assert tx.body() == _generic_body(tx)


def test_the_trace_header_is_the_pinned_one():
    signed = ExecutionContext(1, REQUEST, PINS, ExecutionLimits(), transaction_id=b"\x09" * 32)
    unsigned = ExecutionContext(2, REQUEST, PINS, ExecutionLimits())
    assert unsigned.transaction_id.hex() == \
        "5e66da7711e33d8695ac398cebde034ce76db76725a3ddce49a92736bfd666cd"
    assert unsigned.trace.root.hex() == \
        "23ec956d39c298fd3d85f86d8ac0450881852a537eff2a085397f3a5b660d1e9"
    assert signed.trace.root != unsigned.trace.root


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(requests, pins, st.none() | st.binary(min_size=32, max_size=32))
def test_the_trace_header_is_the_encoding_of_its_map(request, pinned, transaction_id):
    ctx = ExecutionContext(1, request, pinned, ExecutionLimits(), transaction_id=transaction_id)
    generic = encode({"version": TRACE_VERSION, "pins": pinned, "request": request,
                      "contract": request.resource_hash, "transaction_id": ctx.transaction_id,
                      "limits": _limits_for_trace(ctx.limits)})
    assert ctx._trace_header() == generic


# ------------------------------------------------------------- a decoded transaction's memo


@pytest.mark.parametrize("spends", [(), VECTORS[1][0]])
def test_a_decoded_transaction_keeps_exactly_its_canonical_bytes(spends):
    tx = _signed(spends)
    data = encode(tx)
    received = decode(bytearray(data))     # as a node receives it: memo is bytes, not the buffer
    assert received._ispc_encoding == data and type(received._ispc_encoding) is bytes
    assert encode(copy.deepcopy(received)) == data   # a memo-free copy encodes alike
    assert received.request._ispc_encoding == encode(copy.deepcopy(received.request))
    assert (received.body(), received.id) == (tx.body(), tx.id)
    check_signatures(received, GENESIS)
    commitment = ResultCommitment("wasm", received, PINS, "e", "f", b"\x05" * 32, b"\x06" * 32,
                                  6, None)
    assert commitment.hash() == ResultCommitment("wasm", tx, PINS, "e", "f", b"\x05" * 32,
                                                 b"\x06" * 32, 6, None).hash()


def _reencoded(tx: SignedTransaction, edit) -> bytes:
    """``tx``'s canonical array with ``edit`` applied to its plain-value tree, re-encoded."""
    return encode_value(edit(list(decode_value(encode(tx)))))


def _set(index, value):
    def edit(items):
        items[index] = value
        return tuple(items)
    return edit


HOSTILE = {
    # the same transaction in other bytes: each would be a second encoding of one value
    "explicit empty spends": lambda tx: _reencoded(tx, lambda items: tuple(items) + ((),)),
    "explicit null spends": lambda tx: _reencoded(tx, lambda items: tuple(items) + (None,)),
    "valid_until in a long head": lambda tx: encode(tx).replace(  # chain_id, then 99
        b"\x66devnet\x18\x63", b"\x66devnet\x19\x00\x63", 1),
    "a bool as the nonce": lambda tx: _reencoded(
        tx, _set(1, decode_value(encode(tx))[1][:6] + (True,))),
    "trailing bytes": lambda tx: encode(tx) + b"\x00",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_other_bytes_for_a_transaction_are_refused_so_nothing_is_kept(name):
    tx = _signed()
    if name == "a bool as the nonce":
        tx = sign_request(ExecutionRequest(b"\x01" * 32, "t", nonce=1), [devnet_key("alice")],
                          chain_id="devnet", genesis_hash=GENESIS, valid_until=99)
    forged = HOSTILE[name](tx)
    assert forged != encode(tx)
    with pytest.raises(ValidationError):   # DecodeError, or the field's own validator
        decode(forged)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_flipped_transaction_is_refused_or_keeps_its_own_canonical_bytes(data):
    raw = bytearray(encode(_signed(VECTORS[1][0])))
    for _ in range(data.draw(st.integers(1, 3))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    try:
        received = decode(bytes(raw))
    except ValidationError:    # DecodeError included
        return
    assert encode(received) == bytes(raw) == encode(copy.deepcopy(received))
    if type(received) is SignedTransaction and bytes(raw) != encode(_signed(VECTORS[1][0])):
        with pytest.raises(TransactionRejected):
            check_signatures(received, GENESIS)


def test_a_decoded_result_hashes_its_commitment_from_the_bytes_it_came_in():
    from ispc_framework._model import SealedDraft, StateOutput, WasmExecutionResult

    commitment = ResultCommitment("wasm", _signed(VECTORS[1][0]), PINS, "e", "f", b"\x05" * 32,
                                  b"\x06" * 32, 6, None, status=0, draft=SealedDraft())
    result = WasmExecutionResult(commitment, commitment.hash(), StateOutput(
        b"\x06" * 32, 6, commitment.hash(), None, None), ())
    received = decode(encode(result))
    kept = received.commitment._ispc_encoding
    assert kept == encode(copy.deepcopy(received.commitment)) == encode(commitment)
    assert received.commitment.hash() == commitment.hash() == received.execution_result_hash

"""Review of session 5's run path, attacked: ``decode`` keeps the bytes it decoded as the object's
encoding (and each Memoised field's slice of them), a transaction's body and a trace's header
come from ``map_encoder``, the signing message from the request's kept slice.

Each test tries to make a kept encoding differ from the object's fresh encoding, or a signature
verify for another body than the one that runs (tests/hostabi/test_review_attacks_s5_hostabi.py
has the HostABI's shortcuts)."""

from __future__ import annotations

import copy
import pickle
import threading

import attrs
import pytest

from ispc_framework._context import ContextManager, ExecutionRequest
from ispc_framework._encoding import _build_model, decode, decode_value, encode
from ispc_framework._errors import TransactionRejected, ValidationError
from ispc_framework._model import (ChainPins, MultiKeyLock, OutPoint, ResourceCategory,
                                   ResourceOutput, Tensor)
from ispc_framework._signing import devnet_key
from ispc_framework._transaction import SignedTransaction, check_signatures, sign_request

GENESIS = bytes(range(32))
PINS = ChainPins(5, 6, b"\x04" * 32, "devnet")
TENSORS = (Tensor("a", "uint8", (2,), b"\x01\x02"), Tensor("b", "int8", (1,), b"\xff"))
REQUEST = ExecutionRequest(b"\x01" * 32, "transfer", b"pay bob 5", nonce=7, tensors=TENSORS)
SPENDS = (OutPoint(b"\x02" * 32, 1), OutPoint(b"\x03" * 32, 0))


def _signed(request=REQUEST, spends=SPENDS) -> SignedTransaction:
    return sign_request(request, [devnet_key("alice"), devnet_key("bob")], chain_id="devnet",
                        genesis_hash=GENESIS, valid_until=99, spends=spends)


def _fresh(value) -> bytes:
    twin = pickle.loads(pickle.dumps(value))     # equal, and carries no kept encoding or body
    assert not hasattr(twin, "_ispc_encoding") and not hasattr(twin, "_ispc_body")
    return encode(twin)


def _received() -> SignedTransaction:
    received = decode(encode(_signed()))
    assert hasattr(received, "_ispc_encoding") and hasattr(received.request, "_ispc_encoding")
    return received


# ------------------------------------------------------- objects made from a decoded one


@pytest.mark.parametrize("change", [{"valid_until": 100}, {"chain_id": "other"},
                                    {"spends": SPENDS[:1]}, {"spends": None},
                                    {"signers": (devnet_key("carol").public_key,
                                                 devnet_key("bob").public_key)}])
def test_an_evolved_transaction_keeps_no_body_of_its_parent(change):
    """ATTACK (held): attrs.evolve of a received transaction with the old signatures: the kept
    body and encoding are not carried over, so the signatures are checked over the new body
    and refused."""
    received = _received()
    received.body()
    forged = attrs.evolve(received, **change)
    assert not hasattr(forged, "_ispc_encoding") and not hasattr(forged, "_ispc_body")
    assert forged.body() != received.body() and forged.id != received.id
    assert encode(forged) == _fresh(forged)
    with pytest.raises(TransactionRejected) as refused:
        check_signatures(forged, GENESIS)
    assert refused.value.code == "signature-invalid"


def test_an_evolved_request_under_the_old_signatures_is_refused():
    """ATTACK (held): the request's kept slice belongs to the decoded request only; a request
    evolved from it (another input) under the received signatures does not verify."""
    received = _received()
    request = attrs.evolve(received.request, input=b"pay mallory 500")
    assert not hasattr(request, "_ispc_encoding")
    forged = SignedTransaction(request, received.chain_id, received.valid_until,
                               received.signers, received.signatures, received.spends)
    assert encode(forged) == _fresh(forged) and forged.body() != received.body()
    with pytest.raises(TransactionRejected):
        check_signatures(forged, GENESIS)


@pytest.mark.parametrize("duplicate", [copy.copy, copy.deepcopy,
                                       lambda v: pickle.loads(pickle.dumps(v))])
def test_copies_of_a_received_transaction_encode_and_verify_alike(duplicate):
    received = _received()
    twin = duplicate(received)
    assert encode(twin) == encode(received) == _fresh(received)
    assert twin.body() == received.body() and twin.id == received.id
    check_signatures(twin, GENESIS)


def test_a_received_request_reused_in_a_new_transaction_gives_the_fresh_body():
    """The request's kept slice is the request's own encoding wherever it is embedded."""
    received = _received()
    tx = SignedTransaction(received.request, "devnet", 99, received.signers,
                           received.signatures, received.spends)
    assert tx.body() == received.body() == _signed().body()
    check_signatures(tx, GENESIS)


def test_the_trace_header_of_a_received_request_is_that_of_a_fresh_one():
    """ATTACK (held): the header embeds the request's kept slice; it must be the header of an
    equal request that never had one (same trace root for the same run)."""
    received = _received()
    headers = []
    for request in (received.request, pickle.loads(pickle.dumps(received.request))):
        ctx = ContextManager().create(request, PINS, transaction_id=received.id,
                                      signers=received.signers)
        headers.append((ctx._trace_header(), ctx.transaction_id))
    assert headers[0] == headers[1]


# ------------------------------------------------------------ what decode is handed


def test_a_buffer_changed_after_decode_changes_no_kept_encoding():
    data = encode(_signed())
    buffer = bytearray(data)
    received = decode(memoryview(buffer))
    buffer[:] = bytes(len(buffer))
    assert encode(received) == data and encode(received.request) == _fresh(received.request)
    check_signatures(received, GENESIS)


class _LyingBytes(bytes):
    """A bytes subclass whose equality and hash claim another value."""

    def __eq__(self, other):
        return True

    def __hash__(self):
        return 0


def test_a_bytes_subclass_handed_to_decode_is_read_as_its_content():
    data = encode(_signed())
    received = decode(_LyingBytes(data))
    assert type(received._ispc_encoding) is bytes and received._ispc_encoding == data
    assert type(received.request._ispc_encoding) is bytes
    assert encode(received.request) == _fresh(received.request)


def test_decoding_one_transaction_in_many_threads_keeps_one_encoding():
    data = encode(_signed())
    got, errors = [], []

    def work():
        try:
            for _ in range(50):
                received = decode(data)
                got.append((encode(received), received.body(), received.id))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(set(got)) == 1 and got[0][0] == data


# --------------------------------------------------- decode's fast path, same refusals

def _reference(data: bytes):
    """decode as it was before session 5 (no kept bytes)."""
    return _build_model(decode_value(bytes(data)), "bytes")


_TX = encode(_signed())
HOSTILE = {
    "empty": b"", "empty array": b"\x80", "array head only": b"\x82",
    "truncated transaction": _TX[:-1], "trailing byte": _TX + b"\x00",
    "24-item array": b"\x98\x18" + b"\x01" * 24, "one-byte head for 24 items": b"\x97" + b"\x01" * 23,
    "non-shortest type id": b"\x82\x18\x01" + encode(SPENDS[0])[2:],
    "bool type id": b"\x83\xf5" + encode(SPENDS[0])[2:],
    "unknown type id": b"\x81\x19\x03\xe7", "indefinite array": b"\x9f\x01\xff",
    "a map": b"\xa1\x61a\x01", "a bignum type id": b"\x81\xc2\x49\x01" + bytes(8),
    "a model inside a one-item array": b"\x81" + encode(SPENDS[0]),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_the_fast_path_refuses_what_decode_refused_with_the_same_error(name):
    data = HOSTILE[name]
    with pytest.raises(ValidationError) as before:
        _reference(data)
    with pytest.raises(ValidationError) as now:
        decode(data)
    assert (type(now.value), now.value.code, now.value.message) == \
        (type(before.value), before.value.code, before.value.message)


# ---------------------------------------------------- mutable content and subclasses


def test_mutable_arguments_are_copied_into_immutable_fields():
    """ATTACK (held): a list or dict given to a model and changed after its encoding was kept
    changes neither the object nor its encoding."""
    keys = [b"\x01" * 32, b"\x02" * 32]
    lock = MultiKeyLock(1, keys)
    meta = {"a": "1"}
    resource = ResourceOutput(b"\x05" * 32, ResourceCategory.STATIC, "text/plain", 1, "r",
                              metadata=meta)
    tensors = list(TENSORS)
    request = ExecutionRequest(b"\x01" * 32, "m", tensors=tensors)
    before = [encode(value) for value in (lock, resource, request)]
    keys.append(b"\x03" * 32)
    meta["b"] = "2"
    tensors.pop()
    assert [encode(value) for value in (lock, resource, request)] == before
    assert before == [_fresh(value) for value in (lock, resource, request)]


@pytest.mark.parametrize("build", [
    lambda: ExecutionRequest(b"\x01" * 32, "m", bytearray(b"in")),
    lambda: Tensor("t", "uint8", (1,), bytearray(b"\x01")),
    lambda: SignedTransaction(REQUEST, "devnet", 1, (bytearray(32),), (bytes(64),)),
    lambda: ChainPins(1, 2, bytearray(32), "devnet"),
])
def test_byte_fields_refuse_mutable_buffers(build):
    with pytest.raises(ValidationError):
        build()


class _Request(ExecutionRequest):
    pass


def test_a_request_subclass_has_no_encoding_and_no_kept_one():
    """ATTACK (held): a subclass (which could redefine what it reads) is refused by the
    encoder even with an encoding planted on it, so no body, id or header embeds it."""
    sub = _Request(b"\x01" * 32, "m")
    object.__setattr__(sub, "_ispc_encoding", encode(REQUEST))
    with pytest.raises(ValidationError):
        encode(sub)
    tx = SignedTransaction(sub, "devnet", 1, (devnet_key("alice").public_key,), (bytes(64),))
    with pytest.raises(ValidationError):
        tx.body()
    with pytest.raises(ValidationError):
        ContextManager().create(sub, PINS)


# ------------------------------------------------------- a real transfer, end to end


def test_a_received_transfer_commits_to_what_fresh_encodings_give():
    """ATTACK (held): the token contract's transfer, received as bytes (every kept encoding in
    play: the transaction's, its request's, the HostABI's inputs/outputs/events, the draft's):
    the result hash, draft digest, transaction id and trace root equal those of the same
    transaction without a single kept encoding, and every output the block writes keeps its
    fresh encoding."""
    from benchmarks.repository_transfers import TOKEN, memory_coordinator, token_chain

    from ispc_framework._coordinator import final_transaction
    from ispc_framework._encoding import digest

    if not TOKEN.is_file():
        pytest.skip("examples/contracts/build.sh has not been run")
    coordinator = memory_coordinator()
    try:
        transfer = token_chain(coordinator)
        received = decode(encode(transfer))
        result = coordinator.execute(received, prove=False)
        plain = coordinator.execute(pickle.loads(pickle.dumps(transfer)), prove=False)
        assert result == plain
        assert (result.execution_result_hash, result.trace_root, result.transaction_id) == \
            (plain.execution_result_hash, plain.trace_root, plain.transaction_id)
        commitment = result.commitment
        assert result.execution_result_hash == digest("ispc/execution-result/v2",
                                                      _fresh(commitment))
        draft = result.draft
        assert draft.inputs and draft.outputs and encode(draft) == _fresh(draft)
        for item in draft.inputs + draft.outputs + draft.events:
            assert encode(item) == _fresh(item)
        assert result.transaction_id == pickle.loads(pickle.dumps(received)).id
        assert decode(encode(result)) == result
        applied = coordinator.repository.writer().apply(final_transaction(result))
        view = coordinator.repository.view()
        for outpoint in applied.created:
            output = view.utxo(outpoint)
            assert encode(output) == _fresh(output)
    finally:
        coordinator.close()

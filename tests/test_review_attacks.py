"""Attacker's cases from the review of the exec-path and ispc.draft.v2 changes.

A bytes subclass in a model field: the encoder embeds ``Encoded`` (a bytes subclass that means
"already canonical bytes") as-is, so a request whose input is ``Encoded(head + x)`` encoded
exactly like one whose input is ``x``: the same body, transaction id and signature, but the
engine would run another input. Model fields take exactly ``bytes``."""

from __future__ import annotations

import attrs
import pytest

from ispc_framework._context import ExecutionRequest
from ispc_framework._encoding import Encoded, encode
from ispc_framework._errors import TransactionRejected, ValidationError
from ispc_framework._model import OutPoint, ResultCommitment, Tensor
from ispc_framework._signing import SigningKey
from ispc_framework._transaction import SignedTransaction, check_signatures, sign_request

GENESIS = bytes(32)


def _signed() -> SignedTransaction:
    request = ExecutionRequest(b"\x01" * 32, "transfer", b"pay bob 5")
    return sign_request(request, [SigningKey.generate()], chain_id="devnet",
                        genesis_hash=GENESIS, valid_until=10)


def test_a_signed_input_cannot_be_replaced_by_one_that_encodes_alike() -> None:
    tx = _signed()
    check_signatures(tx, GENESIS)
    forged_input = Encoded(encode(b"pay bob 5"))  # b"\x49pay bob 5": another input value
    assert forged_input != tx.request.input
    with pytest.raises(ValidationError, match="ExecutionRequest.input"):
        attrs.evolve(tx.request, input=forged_input)


@pytest.mark.parametrize("build", [
    lambda wrap: ExecutionRequest(wrap(b"\x01" * 32), "m"),
    lambda wrap: ExecutionRequest(b"\x01" * 32, "m", caller=wrap(b"\x02" * 32)),
    lambda wrap: OutPoint(wrap(b"\x03" * 32), 0),
    lambda wrap: Tensor("x", "uint8", (1,), wrap(b"\x04")),
])
def test_bytes_fields_refuse_subclasses(build) -> None:
    build(bytes)  # plain bytes are fine
    with pytest.raises(ValidationError):
        build(Encoded)


def test_signatures_and_keys_refuse_subclasses() -> None:
    tx = _signed()
    with pytest.raises(ValidationError, match="SignedTransaction.signatures"):
        attrs.evolve(tx, signatures=tuple(Encoded(s) for s in tx.signatures))
    with pytest.raises(ValidationError, match="SignedTransaction.signers"):
        attrs.evolve(tx, signers=tuple(Encoded(k) for k in tx.signers))


def test_return_data_refuses_subclasses() -> None:
    field = attrs.fields(ResultCommitment).return_data
    with pytest.raises(ValidationError, match="ResultCommitment.return_data"):
        field.validator(ResultCommitment.__new__(ResultCommitment), field, Encoded(b"\x40"))


class _LyingInt(int):
    """An int whose ``int()`` names another number (validators compare the real one)."""

    def __int__(self) -> int:
        return 7 if int.__int__(self) == 3 else 3


class _LyingBytes(bytes):
    def __bytes__(self) -> bytes:
        return b"other"


def test_an_int_subclass_encodes_its_own_value() -> None:
    """A signed ONNX request's shape (7, 3) must not be replayable as (3, 7) over the same data:
    the encoder took ``int(value)`` of an int subclass, which the subclass may redefine."""
    honest = Tensor("x", "uint8", (7, 3), bytes(21))
    forged = Tensor("x", "uint8", (_LyingInt(3), _LyingInt(7)), bytes(21))
    assert forged.shape != honest.shape
    assert encode(forged) != encode(honest)
    assert encode(forged) == encode(Tensor("x", "uint8", (3, 7), bytes(21)))


def test_a_bytes_subclass_outside_a_model_encodes_its_own_content() -> None:
    assert encode([_LyingBytes(b"x")]) == encode([b"x"])
    assert encode({"k": _LyingBytes(b"x")}) == encode({"k": b"x"})


def test_a_transaction_subclass_cannot_lend_another_body_to_the_signature_check() -> None:
    honest = _signed()
    victim_body = honest.body()

    @attrs.frozen
    class Lending(SignedTransaction):
        def body(self) -> bytes:
            return victim_body

    forged = Lending(attrs.evolve(honest.request, input=b"pay mallory 500"), honest.chain_id,
                     honest.valid_until, honest.signers, honest.signatures)
    with pytest.raises(TransactionRejected) as err:
        check_signatures(forged, GENESIS)
    assert err.value.code == "signature-missing"


@pytest.mark.parametrize("clone", ["copy", "deepcopy", "pickle"])
def test_a_copied_transaction_computes_its_own_body_and_id(clone) -> None:
    """No memo travels with a copy: a copy made by any route and then changed (the only way to
    change a frozen object short of object.__setattr__ is evolve, which re-runs __init__) has
    the body and id of its own fields."""
    import copy
    import pickle

    tx = _signed()
    tx.body(), tx.id, encode(tx), encode(tx.request)  # fill every memo
    twin = {"copy": copy.copy, "deepcopy": copy.deepcopy,
            "pickle": lambda t: pickle.loads(pickle.dumps(t))}[clone](tx)
    # (a shallow copy shares the request object itself, whose memo is then right)
    for obj in (twin,) if clone == "copy" else (twin, twin.request):
        assert not any(hasattr(obj, slot) for slot in ("_ispc_encoding", "_ispc_body", "_ispc_id"))
    assert (twin.body(), twin.id, encode(twin)) == (tx.body(), tx.id, encode(tx))
    changed = attrs.evolve(twin, request=attrs.evolve(twin.request, input=b"pay mallory 500"))
    assert changed.body() != tx.body() and changed.id != tx.id
    with pytest.raises(TransactionRejected):
        check_signatures(changed, GENESIS)

"""Model validation: every bad field is a typed error naming Class.field."""

from __future__ import annotations

import pytest

from ispc_framework import _model as m
from ispc_framework._errors import ValidationError

H = b"\x01" * 32


@pytest.mark.parametrize("build, field", [
    (lambda: m.OutPoint(b"\x01" * 31, 0), "OutPoint.tx_id"),
    (lambda: m.OutPoint(H, -1), "OutPoint.index"),
    (lambda: m.OutPoint(H, 2**32), "OutPoint.index"),
    (lambda: m.OutPoint("ab" * 16, 0), "OutPoint.tx_id"),
    (lambda: m.AssetOutput(m.NativeCoin(), -1), "AssetOutput.amount"),
    (lambda: m.AssetOutput(m.NativeCoin(), 2**64), "AssetOutput.amount"),
    (lambda: m.AssetOutput(m.NativeCoin(), True), "AssetOutput.amount"),
    (lambda: m.AssetOutput(m.NonFungibleToken(H, b"n"), 2), "AssetOutput.amount"),
    (lambda: m.AssetOutput("coin", 1), "AssetOutput.token"),
    (lambda: m.FungibleToken(H, b"x" * 33), "FungibleToken.class_id"),
    (lambda: m.SingleKeyLock(b"\x02" * 34), "SingleKeyLock.public_key"),
    (lambda: m.MultiKeyLock(3, (b"\x02" * 33,) * 2), "MultiKeyLock.threshold"),
    (lambda: m.TimeLock(1, "lock"), "TimeLock.base"),
    (lambda: m.ResourceOutput(H, 9, "a", 1, "n"), None),
    (lambda: m.ResourceOutput(H, 1, "a", 1, "n", metadata={"k": 1}), "ResourceOutput.metadata"),
    (lambda: m.StateOutput(H, 1, b"\x00" * 31), "StateOutput.execution_result_hash"),
    (lambda: m.ZKStateProof(b"", (m.BN254_FR,), H, "c", 1, 1), "ZKStateProof.public_inputs"),
    (lambda: m.TxOutput(H), "TxOutput.asset|resource|state"),
    (lambda: m.TxOutput(H, asset=m.AssetOutput(m.NativeCoin(), 1),
                        state=m.StateOutput(H, 1, H)), "TxOutput.asset|resource|state"),
    (lambda: m.TxOutput(b"\x01" * 20, asset=m.AssetOutput(m.NativeCoin(), 1)), "TxOutput.owner"),
    (lambda: m.Event(H, "", b""), "Event.event_type"),
    (lambda: m.Tensor("x", "float32", (2,), b"\0" * 4), "Tensor.data"),
    (lambda: m.Tensor("x", "complex64", (1,), b"\0" * 8), "Tensor.dtype"),
])
def test_bad_values_raise_typed_errors_naming_the_field(build, field):
    with pytest.raises(ValueError) as info:
        build()
    if field is not None:
        assert isinstance(info.value, ValidationError)
        assert info.value.field == field
        assert info.value.code == "invalid-value"
        assert field in str(info.value) and "Hint:" in str(info.value)


def test_metadata_is_canonical_regardless_of_order():
    a = m.ResourceOutput(H, 1, "a", 1, "n", metadata={"b": "2", "a": "1"})
    b = m.ResourceOutput(H, 1, "a", 1, "n", metadata=[("a", "1"), ("b", "2")])
    assert a == b and a.metadata == (("a", "1"), ("b", "2"))


def test_models_are_frozen_and_hashable():
    op = m.OutPoint(H, 1)
    with pytest.raises(AttributeError):
        op.index = 2  # type: ignore[misc]
    assert {op: 1}[m.OutPoint(H, 1)] == 1


def test_tx_output_kind():
    assert m.TxOutput(H, asset=m.AssetOutput(m.NativeCoin(), 5)).kind == "asset"
    assert m.TxOutput(H, state=m.StateOutput(H, 0, H)).kind == "state"

"""TransactionDraft caps and sealing; ExecutionTrace ordering, hash chain and caps."""

from __future__ import annotations

import pytest

from ispc_framework import _model as m
from ispc_framework._draft import TransactionDraft
from ispc_framework._errors import DraftLimitExceeded, SealedError, TraceLimitExceeded, ValidationError
from ispc_framework._limits import ExecutionLimits
from ispc_framework._trace import ExecutionTrace

H = b"\x01" * 32


def coin(amount=1, owner=H):
    return m.TxOutput(owner, asset=m.AssetOutput(m.NativeCoin(), amount))


def test_draft_returns_indices_and_seals():
    draft = TransactionDraft()
    assert draft.add_input(m.TxInput(m.OutPoint(H, 0))) == 0
    assert draft.add_input(m.TxInput(m.OutPoint(H, 1), reference_only=True)) == 1
    assert draft.add_output(coin(5)) == 0
    assert draft.add_output(coin(6)) == 1
    assert draft.add_event(m.Event(H, "t", b"x")) == 0
    sealed = draft.seal()
    assert sealed.outputs[1].asset.amount == 6 and len(sealed.inputs) == 2
    assert draft.seal() is sealed and draft.digest() == sealed.digest()
    with pytest.raises(SealedError) as info:
        draft.add_output(coin())
    assert info.value.code == "sealed"


def test_draft_rejects_double_spend_within_itself():
    draft = TransactionDraft()
    draft.add_input(m.TxInput(m.OutPoint(H, 0)))
    with pytest.raises(ValidationError) as info:
        draft.add_input(m.TxInput(m.OutPoint(H, 0), reference_only=True))
    assert info.value.code == "duplicate-input"
    assert len(draft.inputs) == 1


@pytest.mark.parametrize("limits, add, limit_name", [
    (ExecutionLimits(max_outputs=2), lambda d: d.add_output(coin()), "max_outputs"),
    (ExecutionLimits(max_inputs=2), lambda d: d.add_input(m.TxInput(m.OutPoint(H, len(d.inputs)))),
     "max_inputs"),
    (ExecutionLimits(max_events=2), lambda d: d.add_event(m.Event(H, "t", b"")), "max_events"),
    (ExecutionLimits(max_event_bytes=100), lambda d: d.add_event(m.Event(H, "t", b"x" * 40)),
     "max_event_bytes"),
    (ExecutionLimits(max_draft_bytes=200), lambda d: d.add_output(coin()), "max_draft_bytes"),
])
def test_oversized_drafts_are_rejected_and_keep_what_they_had(limits, add, limit_name):
    draft = TransactionDraft(limits)
    added = 0
    with pytest.raises(DraftLimitExceeded) as info:
        for _ in range(100):
            add(draft)
            added += 1
    assert info.value.details["limit"] == limit_name and info.value.code == "draft-limit"
    assert len(draft.inputs) + len(draft.outputs) + len(draft.events) == added


def test_draft_rejects_wrong_types():
    with pytest.raises(ValidationError):
        TransactionDraft().add_output(m.AssetOutput(m.NativeCoin(), 1))


def test_trace_chain_commits_to_content_and_order():
    a = ExecutionTrace(b"header")
    a.append("call", "f", b"1", b"r", 0, 0, 10)
    a.append("call", "g", b"2", None, 3, 10, 20)
    b = ExecutionTrace(b"header")
    b.append("call", "g", b"2", None, 3, 10, 20)
    b.append("call", "f", b"1", b"r", 0, 0, 10)
    c = ExecutionTrace(b"other header")
    c.append("call", "f", b"1", b"r", 0, 0, 10)
    c.append("call", "g", b"2", None, 3, 10, 20)
    assert len({a.root, b.root, c.root}) == 3
    assert [r.seq for r in a.records] == [0, 1]
    assert ExecutionTrace.replay_root(b"header", a.records) == a.root
    root = a.seal()
    with pytest.raises(SealedError):
        a.append("call", "h")
    assert a.root == root


def test_trace_caps():
    trace = ExecutionTrace(b"", ExecutionLimits(max_trace_records=3))
    for _ in range(3):
        trace.append("call", "f")
    with pytest.raises(TraceLimitExceeded):
        trace.append("call", "f")
    big = ExecutionTrace(b"", ExecutionLimits(max_trace_bytes=100))
    with pytest.raises(TraceLimitExceeded):
        big.append("call", "f", b"x" * 200)
    assert len(big) == 0


def test_unrolled_record_encoding_matches_the_generic_encoder():
    from ispc_framework._encoding import encode
    from ispc_framework._trace import _encode_record

    trace = ExecutionTrace(b"")
    for args in [("call", "f", b"", None, 0, 0, 0),
                 ("call", "ispc.v1.utxo_lookup", b"x" * 300, b"y", 2**32 - 1, 2**40, 2**64 - 1)]:
        record = trace.append(*args)
        assert _encode_record(record) == encode(record)

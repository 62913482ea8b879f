"""TransactionDraft caps and sealing; ExecutionTrace ordering, root, caps and golden vectors."""

from __future__ import annotations

import pytest

from ispc_framework import _model as m
from ispc_framework._draft import TransactionDraft
from ispc_framework._errors import (DecodeError, DraftLimitExceeded, SealedError,
                                   TraceLimitExceeded, ValidationError)
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


# Golden vectors of the trace encodings (docs/encoding.md, "Trace encoding"): one header and four
# records. If a vector changes, the trace encoding changed: that is a new TRACE_VERSION, never a
# silent edit here. Version 1's root is what the code before version 2 computed for these records.
GOLDEN_HEADER = bytes.fromhex("a36470696e734170677265717565737441726776657273696f6e01")
GOLDEN_RECORDS = (
    ("start", "transfer", b"\x01\x02", None, 0, 0, 0),
    ("call", "ispc.v1.block_height", bytes.fromhex("828080"), bytes.fromhex("820780"), 0, 0, 10),
    ("call", "ispc.v1.caller", bytes.fromhex("8281184080"),
     bytes.fromhex("82f6815820") + bytes(range(32)), 0, 10, 30),
    ("end", "transfer", b"", b"ok", 2**32 - 1, 30, 2**64 - 1),
)
GOLDEN_V1_ROOT = "30823cf0b868c1362bd0db981000ea24c53686c26ec977718572fecbc6f36ddd"
GOLDEN_V2_RECORDS = (   # one record per line: fixed head, then function, args, result
    "00" "00000000" "00000000" "0000000000000000" "0000000000000000" "0800" "02000000" "ffffffff"
    "7472616e73666572" "0102"
    "01" "01000000" "00000000" "0000000000000000" "0a00000000000000" "1400" "03000000" "03000000"
    "697370632e76312e626c6f636b5f686569676874" "828080" "820780"
    "01" "02000000" "00000000" "0a00000000000000" "1e00000000000000" "0e00" "05000000" "25000000"
    "697370632e76312e63616c6c6572" "8281184080"
    "82f6815820000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
    "02" "03000000" "ffffffff" "1e00000000000000" "ffffffffffffffff" "0800" "00000000" "02000000"
    "7472616e73666572" "" "6f6b"
)
GOLDEN_V2_ROOT = "c8ad17840c15372908bb1cfac27c3fb9b7818fcdd63de71a184f85b9b48a6d43"


def _golden_trace():
    trace = ExecutionTrace(GOLDEN_HEADER)
    for record in GOLDEN_RECORDS:
        trace.append(*record)
    return trace


def test_trace_v2_golden_vector():
    trace = _golden_trace()
    assert trace.encoded_records.hex() == GOLDEN_V2_RECORDS
    assert trace.root.hex() == GOLDEN_V2_ROOT


def test_trace_v1_root_still_verifies_from_its_records():
    """A version 1 trace (a header whose version is 1, as a sink kept it) is recomputed with the
    version 1 chain; the same records under a version 2 header give the version 2 root."""
    records = _golden_trace().records
    assert ExecutionTrace.replay_root(GOLDEN_HEADER, records).hex() == GOLDEN_V1_ROOT
    assert ExecutionTrace.replay_root(GOLDEN_HEADER, records, version=2).hex() == GOLDEN_V2_ROOT
    with pytest.raises(DecodeError):
        ExecutionTrace.replay_root(GOLDEN_HEADER, records, version=3)


def test_trace_records_read_back_exactly():
    from ispc_framework._trace import TraceRecord, decode_records

    trace = _golden_trace()
    expected = tuple(TraceRecord(seq, *record) for seq, record in enumerate(GOLDEN_RECORDS))
    assert trace.records == expected == decode_records(trace.encoded_records)
    assert ExecutionTrace.replay_root(trace.header, expected, version=2) == trace.root


@pytest.mark.parametrize("cut", [1, 10, 34, 36, 60])
def test_a_truncated_or_corrupt_record_buffer_is_a_decode_error(cut):
    from ispc_framework._trace import decode_records

    data = _golden_trace().encoded_records
    with pytest.raises(DecodeError):
        decode_records(data[:-cut])
    with pytest.raises(DecodeError):
        decode_records(b"\x07" + data[1:])   # unknown kind


def test_a_record_without_a_trace_encoding_is_a_decode_error():
    from ispc_framework._trace import TraceRecord

    for bad in (TraceRecord(0, "call", "f", b"", None, 2**32, 0, 0),
                TraceRecord(0, "jump", "f", b"", None, 0, 0, 0),
                TraceRecord(0, "call", "f", b"", None, 0, -1, 0)):
        with pytest.raises(DecodeError):
            ExecutionTrace.replay_root(b"h", [bad], version=2)


@pytest.mark.parametrize("with_state", [False, True])
def test_a_sealed_draft_encodes_from_its_items_encodings_exactly(with_state):
    """The sealed draft's encoding is assembled from the encodings its items got when they were
    appended; it must be byte for byte what encoding the same value afresh gives."""
    import attrs

    from ispc_framework._encoding import encode, hash_of
    from ispc_framework._state import EMPTY_ROOT, build_delta

    draft = TransactionDraft()
    draft.add_input(m.TxInput(m.OutPoint(H, 3), False, b"sig"))
    draft.add_input(m.TxInput(m.OutPoint(b"\x02" * 32, 0), True))
    draft.add_output(coin(2**64 - 1))
    draft.add_event(m.Event(H, "transfer", b"\x00" * 300))
    state = build_delta(H, {}, 0, EMPTY_ROOT, [], {b"k": b"v"}) if with_state else None
    if with_state:
        draft.state_write(b"k", b"v")
    sealed = draft.seal(state)
    fresh = attrs.evolve(sealed)   # an equal value nobody encoded before
    assert fresh is not sealed and fresh == sealed
    assert encode(sealed) == encode(fresh) and hash_of(sealed) == hash_of(fresh)

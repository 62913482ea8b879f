"""One value, one encoding: the decoder refuses every byte string that a model's converter would
normalise (sort, default, coerce), so ``encode(decode(b)) == b`` for every accepted ``b``.

Each attacker's case below is a byte string that decoded to a valid value before, and encoded
back to other bytes (same hash, different wire bytes: a malleability hazard for transactions,
results and blocks)."""

from __future__ import annotations

import copy

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import commitments, every_model, requests, transactions

from ispc_framework import _model as m
from ispc_framework._encoding import decode, decode_value, encode, encode_value
from ispc_framework._errors import DecodeError, ValidationError

HASH = bytes(range(32))
NON_CANONICAL = "encoding-non-canonical"


def _resource(**fields):
    values = dict(content_hash=HASH, category=m.ResourceCategory.STATIC, mime_type="text/plain",
                  size=3, name="n", metadata={"a": "1", "b": "2"})
    values.update(fields)
    return m.ResourceOutput(**values)


def _tensor(name):
    return m.Tensor(name, "uint8", (2,), b"\x01\x02")


def _request(**fields):
    from ispc_framework._context import ExecutionRequest

    values = dict(resource_hash=HASH, method="run", tensors=(_tensor("a"), _tensor("b")))
    values.update(fields)
    return ExecutionRequest(**values)


def _transaction(**fields):
    from ispc_framework._transaction import SignedTransaction

    values = dict(request=_request(), chain_id="devnet", valid_until=9, signers=(b"\x01" * 32,),
                  signatures=(b"\x02" * 64,), spends=(m.OutPoint(HASH, 0), m.OutPoint(HASH, 1)))
    values.update(fields)
    return SignedTransaction(**values)


def _commitment(**fields):
    values = dict(kind="wasm", transaction=_transaction(), pins=m.ChainPins(1, 2, HASH, "devnet"),
                  engine="wasmtime", engine_fingerprint="f", trace_root=HASH, state_id=HASH,
                  state_version=1, parent_state_hash=None,
                  state_metadata={"state_key": "00", "z": "1"})
    values.update(fields)
    return m.ResultCommitment(**values)


def _tamper(obj, path, change):
    """The canonical array of ``obj`` with the item at ``path`` (indices into nested arrays)
    replaced by ``change(item)``, encoded again (every other byte unchanged)."""
    def edit(node, rest):
        if not rest:
            return change(node)
        items = list(node)
        items[rest[0]] = edit(items[rest[0]], rest[1:])
        return tuple(items)
    return encode_value(edit(decode_value(encode(obj)), list(path)))


def _reverse(items):
    return tuple(reversed(items))


# (name, valid value, path to the field in its array, what the attacker does to it)
ATTACKS = [
    ("resource metadata pairs unsorted", _resource(), (6,), _reverse),
    ("resource metadata as a map", _resource(), (6,), dict),
    ("resource category as a bool", _resource(category=m.ResourceCategory.CONTRACT), (2,),
     lambda item: True),
    ("output's resource metadata unsorted",
     m.TxOutput(b"\x05" * 32, resource=_resource()), (4, 6), _reverse),
    ("request tensors unsorted", _request(), (5,), _reverse),
    ("transaction's request tensors unsorted", _transaction(), (1, 5), _reverse),
    ("transaction spends explicit and empty", _transaction(), (6,), lambda item: ()),
    ("commitment state metadata unsorted", _commitment(), (10,), _reverse),
    ("commitment's transaction tensors unsorted", _commitment(), (2, 1, 5), _reverse),
    ("tensor shape as a byte string", _tensor("a"), (3,), bytes),
    ("proof public inputs as a byte string",
     m.ZKStateProof(b"p", (1, 2), HASH, "c", 1, 1), (2,), bytes),
]


@pytest.mark.parametrize(("name", "obj", "path", "change"), ATTACKS, ids=[a[0] for a in ATTACKS])
def test_the_decoder_refuses_what_a_converter_would_normalise(name, obj, path, change):
    assert decode(encode(obj)) == obj  # the honest encoding still decodes
    forged = _tamper(obj, path, change)
    assert forged != encode(obj)
    with pytest.raises(DecodeError) as info:
        decode(forged)
    assert info.value.code == NON_CANONICAL
    assert "non-canonical" in info.value.message and info.value.hint
    assert "re-encode" in info.value.hint


def test_the_error_names_the_field_and_the_reason():
    with pytest.raises(DecodeError, match=r"ResourceOutput\.metadata.*strictly sorted"):
        decode(_tamper(_resource(), (6,), _reverse))
    with pytest.raises(DecodeError, match=r"SignedTransaction\.spends.*leaves the field out"):
        decode(_tamper(_transaction(), (6,), lambda item: ()))


@pytest.mark.parametrize(("obj", "path", "change"), [
    (_resource(), (6,), lambda pairs: pairs + pairs[-1:]),          # a duplicated pair
    (_resource(), (6,), lambda pairs: pairs + (("b", "3"),)),       # a duplicated key
    (_request(), (5,), lambda items: items + items[-1:]),           # a tensor twice
    (_transaction(), (6,), lambda items: items + items[:1]),        # an outpoint twice
])
def test_duplicates_the_converter_would_keep_are_refused_too(obj, path, change):
    with pytest.raises(ValidationError):
        decode(_tamper(obj, path, change))


# ------------------------------------------------------------------------------- properties

every_value = st.one_of(every_model, requests, transactions, commitments)


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(every_value)
def test_valid_values_round_trip_exactly(obj):
    data = encode(obj)
    assert decode(data) == obj
    assert _fresh_encoding(decode(data)) == data


def _fresh_encoding(obj):
    """``obj`` encoded anew: a decoded object (and each model field of it) keeps the bytes it
    was decoded from as its encoding (``encode`` would just return them), a deep copy carries
    no memo. Every kept memo must be the fresh encoding of its object."""
    for value in (obj, *(getattr(obj, field.name) for field in attrs.fields(type(obj)))):
        if hasattr(value, "_ispc_encoding"):
            twin = copy.deepcopy(value)
            assert not hasattr(twin, "_ispc_encoding")
            assert value._ispc_encoding == encode(twin)
    twin = copy.deepcopy(obj)
    return encode(twin)


def _mutations(value):
    """Structural edits of a decoded array tree: whatever the converters might absorb."""
    yield _reverse(value)
    yield value + value[-1:]
    yield value[:-1]
    yield {item[0]: item[1] for item in value
           if isinstance(item, tuple) and len(item) == 2 and type(item[0]) is str}
    yield bytes(item for item in value if type(item) is int and 0 <= item < 256)
    yield tuple(True if type(item) is int and item in (0, 1) else item for item in value)


def _paths(node, prefix=()):
    if isinstance(node, tuple):
        yield prefix
        for index, item in enumerate(node):
            yield from _paths(item, prefix + (index,))


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(every_value, st.data())
def test_whatever_a_mutated_encoding_decodes_to_encodes_to_those_bytes(obj, data):
    tree = decode_value(encode(obj))
    path = data.draw(st.sampled_from(list(_paths(tree))))
    mutation = data.draw(st.integers(0, 5))

    def change(node):
        return list(_mutations(node))[mutation]
    forged = _tamper(obj, path, change)
    _accepted_bytes_are_canonical(forged)


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(every_value, st.data())
def test_whatever_a_byte_flipped_encoding_decodes_to_encodes_to_those_bytes(obj, data):
    raw = bytearray(encode(obj))
    for _ in range(data.draw(st.integers(1, 3))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    _accepted_bytes_are_canonical(bytes(raw))


def _accepted_bytes_are_canonical(data):
    try:
        value = decode(data)
    except ValidationError:  # DecodeError included: refused, typed
        return
    assert _fresh_encoding(value) == data
    assert encode(value) == data  # the kept memo is those bytes


def test_a_bool_type_id_is_refused():
    # Found by the mutation property: CBOR true (0xf5) in a model's type-id slot found the
    # model with id 1 (True == 1 in a dict lookup) and re-encoded as the integer 1.
    data = encode(m.OutPoint(b"\x11" * 32, 2))
    assert data[:2] == b"\x83\x01", "OutPoint: an array of 3 starting with type id 1"
    forged = b"\x83\xf5" + data[2:]
    with pytest.raises(DecodeError, match="type id"):
        decode(forged)

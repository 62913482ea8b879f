"""Canonical encoding, JSON form and hashing: round trips, strictness, pinned golden vectors."""

from __future__ import annotations

import json

import attrs
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from strategies import every_model

from ispc_framework import _model as m
from ispc_framework._encoding import (decode, decode_value, digest, encode, encode_value, from_json,
                                     hash_of, to_json)
from ispc_framework._errors import DecodeError, ValidationError


@settings(max_examples=300)
@given(every_model)
def test_every_model_round_trips_through_bytes_and_json(obj):
    data = encode(obj)
    assert decode(data) == obj
    assert encode(decode(data)) == data
    text = json.dumps(to_json(obj))
    assert from_json(json.loads(text)) == obj


@given(every_model, every_model)
def test_distinct_values_have_distinct_encodings_and_hashes(a, b):
    if a != b:
        assert encode(a) != encode(b)
        assert hash_of(a) != hash_of(b)


# Golden vectors: if one of these changes, the encoding changed. That needs a new
# ENCODING_VERSION and a note in docs/encoding.md, never a silent edit here.
GOLDEN = {
    "outpoint": (
        m.OutPoint(bytes(range(32)), 7),
        "83015820000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f07",
        "b5fd1fa0744bc977427bedbb230a5ea98e3b3155bb1583d8b580c751d6c89474"),
    "asset_output": (
        m.TxOutput(b"\xaa" * 32, (m.HeightLock(100, m.SingleKeyLock(b"\x02" * 33)),),
                   asset=m.AssetOutput(m.FungibleToken(b"\xbb" * 32, b"gold"), 2**64 - 1)),
        "8618225820" + "aa" * 32 + "81830e1864820a5821" + "02" * 33 + "83181e83155820" + "bb" * 32
        + "44676f6c641bfffffffffffffffff6f6",
        "0f3be9f23f56b99a1277f9ede127d3dea487bd0d09647b846447c6527d37cb7c"),
    "resource_output": (
        m.TxOutput(b"\xaa" * 32, resource=m.ResourceOutput(
            b"\xcc" * 32, m.ResourceCategory.CONTRACT, "application/wasm", 1234, "token.wasm",
            metadata={"lang": "c"})),
        None, "05b6d57cce84fd07fce8f603317c51c6c5c9c1acad77fa36a5c0235db17d934a"),
    "state_output": (
        m.TxOutput(b"\xaa" * 32, state=m.StateOutput(
            b"\xdd" * 32, 3, b"\xee" * 32,
            m.ZKStateProof(b"\x01\x02", (m.BN254_FR - 1, 5), b"\xff" * 32, "ispc.draft.v1", 1,
                           4096), b"\x11" * 32)),
        None, "d86aa26169001941a4f57f907887870ffe68d2121de1069008de80a89369ebfd"),
    "draft": (
        m.SealedDraft((m.TxInput(m.OutPoint(b"\x01" * 32, 0), True, b"sig"),), (),
                      (m.Event(b"\x02" * 32, "transfer", b"\x00\x01"),)),
        "84183281840283015820" + "01" * 32 + "00f54373696780818418285820" + "02" * 32
        + "687472616e73666572420001",
        "ceb7c457b60b5e748831e2fda12f55c856b10a11ea07b1978da196d2e5a3af4d"),
}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_vectors(name):
    obj, encoding_hex, hash_hex = GOLDEN[name]
    if encoding_hex is not None:
        assert encode(obj).hex() == encoding_hex
    assert hash_of(obj).hex() == hash_hex


def test_digest_is_domain_separated():
    assert digest("a", b"bc") != digest("ab", b"c")
    assert digest("x", b"1", b"2") == digest("x", b"12")
    assert len(digest("x")) == 32


@pytest.mark.parametrize("value, expected", [
    (0, "00"), (23, "17"), (24, "1818"), (255, "18ff"), (256, "190100"), (2**32, "1b0000000100000000"),
    (-1, "20"), (-25, "3818"), (2**64, "c249010000000000000000"), (b"", "40"), ("a", "6161"),
    ((), "80"), ({"b": 1, "a": 2}, "a2616102616201"), (None, "f6"), (True, "f5"), (False, "f4"),
])
def test_rfc8949_deterministic_forms(value, expected):
    assert encode_value(value).hex() == expected
    assert decode_value(bytes.fromhex(expected)) == (tuple(value) if isinstance(value, tuple) else value)


@pytest.mark.parametrize("bad_hex, why", [
    ("1817", "non-shortest integer head"),
    ("5f", "indefinite"),
    ("a2616201616102", "unsorted"),
    ("a2616101616102", "unsorted or duplicated"),
    ("c2420001", "not minimal"),
    ("c241ff", "fits in 64 bits"),
    ("f93c00", "float"),
    ("d818", "unsupported tag"),
    ("62ff", "truncated"),
    ("61ff", "invalid UTF-8"),
    ("0000", "trailing bytes"),
])
def test_decoder_rejects_non_canonical_input(bad_hex, why):
    with pytest.raises(DecodeError, match=why) as info:
        decode_value(bytes.fromhex(bad_hex))
    assert info.value.code == "decode-error"


def test_decode_rejects_unknown_type_and_wrong_arity():
    with pytest.raises(DecodeError, match="unknown type id"):
        decode(encode_value((999, 1)))
    with pytest.raises(DecodeError, match="expected 2 fields"):
        decode(encode_value((1, b"\0" * 32)))


def test_decode_revalidates_fields():
    bad = encode_value((1, b"\0" * 31, 0))  # an OutPoint with a 31-byte tx id
    with pytest.raises(ValidationError) as info:
        decode(bad)
    assert info.value.field == "OutPoint.tx_id"


def test_json_form_is_readable():
    obj = m.OutPoint(b"\x01" * 32, 2)
    assert to_json(obj) == {"type": "OutPoint", "tx_id": "01" * 32, "index": 2}
    big = to_json(m.ZKStateProof(b"", (m.BN254_FR - 1,), b"\0" * 32, "c", 1, 1))
    assert big["public_inputs"] == [str(m.BN254_FR - 1)]  # beyond 2^53: a decimal string


@pytest.mark.parametrize("data, field", [
    ({"type": "Nope"}, "json.type"),
    ({"type": "OutPoint", "tx_id": "zz", "index": 0}, "OutPoint.tx_id"),
    ({"type": "OutPoint", "index": 0}, "OutPoint.tx_id"),
    ({"type": "OutPoint", "tx_id": "00" * 32, "index": 0, "extra": 1}, "OutPoint.extra"),
])
def test_from_json_errors_name_the_field(data, field):
    with pytest.raises(DecodeError) as info:
        from_json(data)
    assert info.value.field == field


@given(st.binary(max_size=64))
def test_decoder_never_crashes_on_random_bytes(data):
    try:
        value = decode_value(data)
    except DecodeError:
        return
    assert encode_value(value) == data  # whatever it accepts is canonical


@pytest.mark.parametrize("data", [
    {"type": "ResourceOutput", "content_hash": "00" * 32, "category": 99, "mime_type": "a",
     "size": 1, "name": "n", "metadata": {}},
    {"type": "OutPoint", "tx_id": "00" * 32, "index": "²"},
    {"type": "OutPoint", "tx_id": "AA" * 32, "index": 0},
    {"type": "OutPoint", "tx_id": "00 " * 32, "index": 0},
    {"type": "ResourceOutput", "content_hash": "00" * 32, "category": 1, "mime_type": "a",
     "size": 1, "name": "n", "metadata": 5},
])
def test_from_json_turns_bad_values_into_typed_errors(data):
    with pytest.raises(ValidationError):
        from_json(data)


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
                        st.text(max_size=5), inner, max_size=3), max_leaves=8))
@example({"type": []})  # found by Hypothesis: an unhashable "type" crashed with a TypeError
def test_from_json_never_crashes_untyped(value):
    for data in ({"type": "TxOutput", "owner": value}, {"type": "Tensor", "shape": value},
                 {"type": "StateOutput", "metadata": value}):
        try:
            from_json(data)
        except ValidationError:
            pass


# ------------------------------------------------------------------ type ids, one table, any order

_FRESH_DECODE = """
import json, sys
from ispc_framework import _encoding as encoding
assert not {"ispc_framework._repository", "ispc_framework._context", "ispc_framework._trace"} \\
    & set(sys.modules), sorted(sys.modules)
case = json.loads(sys.argv[1])
if case["via"] == "json":
    value = encoding.from_json(case["data"])
else:
    value = encoding.decode(bytes.fromhex(case["data"]))
print(type(value).__module__, type(value).__name__, encoding.encode(value).hex())
"""


@pytest.mark.parametrize("via", ["json", "cbor"])
def test_types_of_late_modules_decode_in_a_fresh_process(via):
    """Decoding never depends on which modules a process happened to import first."""
    import subprocess
    import sys

    from ispc_framework._context import ExecutionRequest
    from ispc_framework._repository import BlockInfo
    from ispc_framework._trace import TraceRecord

    values = [BlockInfo(3, 1000, b"\x01" * 32, b"\x02" * 32, b"\x03" * 32, 2),
              TraceRecord(0, "call", "ispc.v1.log", b"\x80", None, 0, 10, 7),
              ExecutionRequest(b"\x0c" * 32, "run", b"in", nonce=5)]
    for value in values:
        data = to_json(value) if via == "json" else encode(value).hex()
        done = subprocess.run([sys.executable, "-c", _FRESH_DECODE,
                               json.dumps({"via": via, "data": data})],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        module, name, hex_bytes = done.stdout.split()
        assert (module, name) == (type(value).__module__, type(value).__name__)
        assert bytes.fromhex(hex_bytes) == encode(value)


def test_every_type_id_is_declared_once_in_the_table():
    import pathlib

    from ispc_framework._encoding import TYPE_TABLE, type_id_of, type_ids

    resolved = type_ids()
    assert sorted(resolved.values()) == sorted(TYPE_TABLE)  # every entry resolves to a class
    assert len({cls.__name__ for cls in resolved}) == len(TYPE_TABLE)
    for cls, type_id in resolved.items():
        assert type_id_of(cls.__name__) == type_id
        assert TYPE_TABLE[type_id] == f"{cls.__module__.rpartition('.')[2]}:{cls.__name__}"
    # docs/encoding.md lists the same ids.
    import re

    doc = (pathlib.Path(__file__).resolve().parent.parent / "docs" / "encoding.md").read_text()
    listed = dict(re.findall(r"([A-Z]\w+) (\d+)[,.]", doc.split("Type ids (never reused")[1]
                             .split("\n\n")[0]))
    assert {name: int(n) for name, n in listed.items()} == \
        {cls.__name__: type_id for cls, type_id in resolved.items()}
    # No module registers ids of its own any more.
    core = pathlib.Path(__file__).resolve().parent.parent / "ispc_framework"
    assert not [p for p in core.rglob("*.py") if "register_type(" in p.read_text()]


def test_the_sdk_header_writes_the_encoders_type_ids():
    import pathlib

    from ispc_framework._encoding import type_id_of

    header = (pathlib.Path(__file__).resolve().parent.parent / "sdk" / "c" / "ispc.h").read_text()
    assert f"out[n++] = 0x83; out[n++] = {type_id_of('OutPoint')};" in header
    assert f"out[0] = 0x81; out[1] = {type_id_of('NativeCoin')};" in header
    assert f"out[2] = {type_id_of('ContractLock')};" in header
    assert f"out[2] = {type_id_of('SingleKeyLock')};" in header


_U64 = st.integers(0, 2**64 - 1)


@given(first=st.one_of(st.none(), _U64, st.lists(_U64, max_size=9)),
       blobs=st.lists(st.binary(max_size=300), max_size=5))
@settings(max_examples=300, deadline=None)
def test_unrolled_host_call_part_matches_the_generic_encoder(first, blobs):
    from ispc_framework._encoding import encode_host_call_part

    assert encode_host_call_part(first, blobs) == encode([first, blobs])


def _reference_encoding(value) -> bytes:
    """The encoding written out plainly (one generic rule per kind, no specialised encoders,
    no memoised parts): what the fast paths of the encoder must reproduce byte for byte."""
    import attrs

    from ispc_framework._encoding import Encoded, type_ids

    def head(major: int, n: int) -> bytes:
        for size, info in ((1, 24), (2, 25), (4, 26), (8, 27)):
            if n < 24:
                return bytes([major << 5 | n])
            if n < 1 << (8 * size):
                return bytes([major << 5 | info]) + n.to_bytes(size, "big")
        raise AssertionError(n)

    ids = type_ids()
    if isinstance(value, Encoded):
        return bytes(value)
    if value is None:
        return b"\xf6"
    if value is True or value is False:
        return b"\xf5" if value else b"\xf4"
    if isinstance(value, int):
        if value >= 2**64:
            raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
            return b"\xc2" + head(2, len(raw)) + raw
        return head(0, value) if value >= 0 else head(1, -1 - value)
    if isinstance(value, bytes):
        return head(2, len(value)) + value
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return head(3, len(raw)) + raw
    if isinstance(value, (tuple, list)):
        return head(4, len(value)) + b"".join(_reference_encoding(item) for item in value)
    if isinstance(value, dict):
        items = sorted((_reference_encoding(k), v) for k, v in value.items())
        return head(5, len(items)) + b"".join(k + _reference_encoding(v) for k, v in items)
    names = [f.name for f in attrs.fields(type(value))]
    from ispc_framework._encoding import OPTIONAL_TAIL

    tail = OPTIONAL_TAIL.get(type(value), 0)
    while tail and getattr(value, names[-1]) is None:
        names.pop()
        tail -= 1
    return (head(4, len(names) + 1) + head(0, ids[type(value)])
            + b"".join(_reference_encoding(getattr(value, name)) for name in names))


@settings(max_examples=300, deadline=None)
@given(every_model)
def test_the_specialised_encoders_write_the_reference_encoding(obj):
    assert encode(obj) == _reference_encoding(obj)
    assert encode(decode(encode(obj))) == _reference_encoding(obj)   # a fresh object, no memo


def test_a_field_whose_value_is_not_its_annotation_still_encodes_by_its_value():
    import attrs

    from ispc_framework._encoding import Encoded

    # attrs lets object.__setattr__ through: the encoder must follow the value, not the type
    # the class declares (an Encoded part is embedded as is, an enum is its integer)
    point = m.OutPoint(b"\x01" * 32, 3)
    object.__setattr__(point, "tx_id", Encoded(b"\x18\x2a"))
    object.__setattr__(point, "index", m.ResourceCategory.STATIC)
    assert encode(point) == bytes([0x83, 0x01, 0x18, 0x2a, 0x03])
    resource = m.ResourceOutput(b"\x02" * 32, m.ResourceCategory.AI_MODEL, "x" * 30, 2**40, "")
    assert encode(resource) == _reference_encoding(resource)
    assert encode(attrs.evolve(resource, size=7)) == _reference_encoding(
        attrs.evolve(resource, size=7))


def test_memoised_objects_keep_one_encoding_and_fresh_objects_make_their_own():
    import pickle

    import attrs

    pins = m.ChainPins(4, 5, b"\x03" * 32, "devnet")
    first = encode(pins)
    assert encode(pins) is first                    # kept on the object
    assert pins._ispc_encoding == first == _reference_encoding(pins)
    for fresh in (pickle.loads(pickle.dumps(pins)), attrs.evolve(pins)):
        assert fresh == pins and not hasattr(fresh, "_ispc_encoding")
    decoded = decode(bytearray(first))   # keeps the canonical bytes it was decoded from
    assert decoded == pins and type(decoded._ispc_encoding) is bytes
    assert encode(decoded) == first == _reference_encoding(decoded)
    moved = attrs.evolve(pins, height=9)
    assert encode(moved) == _reference_encoding(moved) != first


def test_the_nesting_limit_is_where_it_was_for_every_path_of_the_encoder():
    # a chain of k TimeLocks: the innermost key's bytes sit at depth k + 1 (the limit is 32),
    # inside a TxOutput two levels deeper; the specialised encoders must refuse exactly there.
    # The model refuses chains deeper than MAX_LOCK_NESTING, so these are built without the
    # validators: the encoder's own limit is what is pinned here.
    def chain(k):
        lock = m.SingleKeyLock(b"k" * 32)
        with attrs.validators.disabled():
            for i in range(k):
                lock = m.TimeLock(i, lock)
        return lock

    def output(k):
        return m.TxOutput(b"a" * 32, (chain(k),), asset=m.AssetOutput(m.NativeCoin(), 1))

    for value in (chain(31), output(29), (chain(30),)):
        assert encode(value) == _reference_encoding(value)
    for value in (chain(32), output(30), (chain(31),)):
        with pytest.raises(ValidationError, match="nested deeper than 32 levels"):
            encode(value)

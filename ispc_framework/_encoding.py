"""Canonical encoding (version 1), readable JSON, and domain-separated hashing.

Why deterministic CBOR (RFC 8949 section 4.2.1, "core deterministic encoding") over a layout of our
own: it is a published standard with decoders in every language, so a verifier written in Go, Rust
or JavaScript can check our hashes without reading this file; its deterministic profile leaves no
freedom (shortest-form heads, definite lengths, sorted map keys), so one value has one encoding.
We implement the small subset we use here (about a hundred lines) instead of depending on a
general CBOR library, because "canonical" is the whole point and the subset is easy to audit;
it is also faster here than cbor2's C encoder, which needs a Python callback per model object
(measured in ``_specialised_encoder``'s docstring).

Subset: unsigned and negative integers, byte strings, UTF-8 text, arrays, maps with text keys,
``false``/``true``/``null``, and tag 2 (positive bignum) for integers of 2^64 and above (BN254
field elements). No floats, no indefinite lengths, no other tags. The decoder rejects anything a
canonical encoder would not produce, so ``encode(decode(b)) == b`` for every accepted ``b``.

A model instance is encoded as an array ``[type_id, field_1, ..., field_n]`` in the class's
declared field order; enums as their integer value; tuples as arrays; ``None`` as null. Every type
id is declared in one table here, :data:`TYPE_TABLE`, and is part of the encoding version: changing
a field or an id is a new ``ENCODING_VERSION`` (the golden vectors in the tests make any such change
visible).

Hashes are ``SHA-256("ISPC" || u8(ENCODING_VERSION) || u16be(len(domain)) || domain || data)``,
so a hash of one kind of thing can never be mistaken for a hash of another kind.
"""

from __future__ import annotations

import enum
import hashlib
import re
import struct
from collections.abc import Callable
from typing import Any, overload

import attrs

from . import _model as m
from ._errors import DecodeError, ValidationError

__all__ = [
    "ENCODING_VERSION",
    "TYPE_TABLE",
    "TYPE_IDS",
    "type_ids",
    "type_id_of",
    "Encoded",
    "remember_encoding",
    "encode",
    "decode",
    "encode_value",
    "map_encoder",
    "encode_host_call_part",
    "decode_value",
    "digest",
    "hash_of",
    "to_json",
    "from_json",
]

ENCODING_VERSION = 1
MAX_DEPTH = 32

#: Every encodable type: id -> "module:Class" (modules of this package). Ids are never reused.
TYPE_TABLE: dict[int, str] = {
    1: "_model:OutPoint", 2: "_model:TxInput",
    10: "_model:SingleKeyLock", 11: "_model:MultiKeyLock", 12: "_model:ContractLock",
    13: "_model:TimeLock", 14: "_model:HeightLock",
    20: "_model:NativeCoin", 21: "_model:FungibleToken", 22: "_model:NonFungibleToken",
    30: "_model:AssetOutput", 31: "_model:ResourceOutput", 32: "_model:ZKStateProof",
    33: "_model:StateOutput", 34: "_model:TxOutput",
    40: "_model:Event", 41: "_model:Tensor",
    50: "_model:SealedDraft", 51: "_model:StateWrite", 52: "_model:StateDelta",
    60: "_model:WasmExecutionResult", 61: "_model:OnnxExecutionResult",
    62: "_model:ResultCommitment",
    70: "_trace:TraceRecord",
    80: "_model:ChainPins", 81: "_context:ExecutionRequest",
    82: "_transaction:SignedTransaction",
    90: "_repository:BlockInfo",
}

#: class -> id for the types resolved so far (all of ``model`` at import; the rest on first use).
TYPE_IDS: dict[type, int] = {}
_TYPES_BY_ID: dict[int, type] = {}
_IDS_BY_NAME = {path.partition(":")[2]: type_id for type_id, path in TYPE_TABLE.items()}
_TYPE_NAMES = frozenset(_IDS_BY_NAME)


#: the registered classes that keep their encoding on the object (``_model.Memoised``)
_MEMOISED: set[type] = set()


def _register(type_id: int, cls: type) -> None:
    TYPE_IDS[cls] = type_id
    _TYPES_BY_ID[type_id] = cls
    if issubclass(cls, m.Memoised):
        _MEMOISED.add(cls)


for _id, _path in TYPE_TABLE.items():
    if _path.startswith("_model:"):
        _register(_id, getattr(m, _path[len("_model:"):]))


def _resolve_deferred() -> bool:
    """Register the types of modules that import this one (trace, context, repository).

    Done on the first miss rather than by those modules at their import, so that decoding a
    BlockInfo works in a process that never imported the repository. Returns whether any type was
    new (the caller then retries)."""
    import importlib

    added = False
    for type_id, path in TYPE_TABLE.items():
        if type_id not in _TYPES_BY_ID:
            module, _, name = path.partition(":")
            _register(type_id, getattr(importlib.import_module(f"{__package__}.{module}"), name))
            added = True
    return added


def type_id_of(name: str) -> int:
    """The type id of the class called ``name`` (read from the table; imports nothing)."""
    return _IDS_BY_NAME[name]


def type_ids() -> dict[type, int]:
    """Every encodable class with its type id (resolving the deferred ones)."""
    _resolve_deferred()
    return dict(TYPE_IDS)

# ------------------------------------------------------------------------------------ encoding


class Encoded(bytes):
    """Bytes that already are a canonical encoding; embedded as-is (lets callers cache parts)."""


def remember_encoding(obj: m.Memoised, data: bytes) -> None:
    """Record that ``data`` is ``encode(obj)`` for a frozen :class:`~ispc_framework._model.Memoised`
    object that was encoded from parts already made (a sealed draft from its items' encodings,
    made when they were appended to count their size), so it is never encoded again."""
    object.__setattr__(obj, "_ispc_encoding", bytes(data))


_SMALL_HEADS = [[bytes([major << 5 | value]) for value in range(24)] for major in range(8)]


_H8, _H16, _H32, _H64 = (struct.Struct(f">B{code}") for code in "BHIQ")


def _head(major: int, value: int) -> bytes:
    if value < 24:
        return _SMALL_HEADS[major][value]
    if value < 0x100:
        return _H8.pack(major << 5 | 24, value)
    if value < 0x10000:
        return _H16.pack(major << 5 | 25, value)
    if value < 0x100000000:
        return _H32.pack(major << 5 | 26, value)
    return _H64.pack(major << 5 | 27, value)


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}

#: classes whose last fields are left out of the encoding while they hold None, so adding such a
#: field later keeps every existing value's encoding (and hash) unchanged; a decoder refuses an
#: explicit trailing null there (it would be a second encoding of the same value)
OPTIONAL_TAIL: dict[type, int] = {m.SealedDraft: 1}


def _encoded_fields(value: Any, names: tuple[str, ...]) -> tuple[str, ...]:
    tail = OPTIONAL_TAIL.get(type(value), 0)
    count = len(names)
    while tail and getattr(value, names[count - 1]) is None:
        count -= 1
        tail -= 1
    return names[:count]


def _model_fields(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in attrs.fields(cls))
    return names


def _encode_int(number: int, buf: bytearray) -> None:
    if 0 <= number <= m.MAX_U64:
        buf += _head(0, number)
    elif number < 0 and -1 - number <= m.MAX_U64:
        buf += _head(1, -1 - number)
    elif number > 0:
        raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
        buf += b"\xc2" + _head(2, len(raw)) + raw
    else:
        raise ValidationError("value", "negative integers below -2^64 are not encodable")


#: encodings of map keys seen so far: maps here are a few fixed shapes (the trace header, a
#: transaction's body), so a bounded table serves nearly every key
_MAP_KEYS: dict[str, bytes] = {}


def _map_key(key: str) -> bytes:
    if type(key) is not str:  # a subclass equal to a known key is not that key
        return encode_value(key)
    encoded = _MAP_KEYS.get(key)
    if encoded is None:
        encoded = encode_value(key)
        if len(_MAP_KEYS) < 256:
            _MAP_KEYS[key] = encoded
    return encoded


def _encode_model(value: Any, kind: type, buf: bytearray, depth: int) -> bytearray:
    """``[type_id, field_1, ..., field_n]`` of a model instance into ``buf``."""
    if depth < MAX_DEPTH and kind not in OPTIONAL_TAIL:
        encoder = _ENCODERS.get(kind)
        if encoder is None:
            encoder = _ENCODERS[kind] = _specialised_encoder(kind)
            if kind not in _MEMOISED:
                _DIRECT[kind] = encoder
        encoder(value, buf, depth + 1)
        return buf
    names = _model_fields(kind)
    if kind in OPTIONAL_TAIL:
        names = _encoded_fields(value, names)
    buf += _head(4, len(names) + 1)
    buf += _head(0, TYPE_IDS[kind])
    for name in names:
        encode_value(getattr(value, name), buf, depth + 1)
    return buf


#: per model class, its encoder made by :func:`_specialised_encoder` (on first use)
_ENCODERS: dict[type, Any] = {}
#: the encoders a field of another model may call directly: classes without a memo or an
#: optional tail (those go through encode_value, which keeps their rules in one place)
_DIRECT: dict[type, Any] = {}

# Field code of a specialised encoder, by the field's annotation. Each tests the value's exact
# type and hands anything else to encode_value, so an annotation that does not hold changes
# only the speed, never a byte; ``v`` is the field's value, ``d`` the fields' depth.
_FIELD_CODE = {
    "bytes": """\
    if type(v) is bytes:
        n = len(v)
        if n < 24:
            buf.append(0x40 | n)
        else:
            buf += _head(2, n)
        buf += v
    else:
        encode_value(v, buf, d)""",
    "int": """\
    if type(v) is int and 0 <= v < 24:
        buf.append(v)
    elif type(v) is int and 0 <= v <= MAX_U64:
        buf += _head(0, v)
    else:
        encode_value(v, buf, d)""",
    "str": """\
    if type(v) is str:
        raw = v.encode("utf-8")
        n = len(raw)
        if n < 24:
            buf.append(0x60 | n)
        else:
            buf += _head(3, n)
        buf += raw
    else:
        encode_value(v, buf, d)""",
    "bool": """\
    if v is True:
        buf.append(0xF5)
    elif v is False:
        buf.append(0xF4)
    else:
        encode_value(v, buf, d)""",
}


# A field holding a model (or anything else): its class's encoder when there is one
_MODEL_FIELD_CODE = """\
    enc = _DIRECT.get(type(v))
    if enc is not None and d < MAX_DEPTH:
        enc(v, buf, d + 1)
    else:
        encode_value(v, buf, d)"""

# A ``tuple[...]`` field: the array head, then bytes inline and models by their encoders
_TUPLE_FIELD_CODE = """\
    if type(v) is tuple and d < MAX_DEPTH:
        n = len(v)
        if n < 24:
            buf.append(0x80 | n)
        else:
            buf += _head(4, n)
        for item in v:
            if type(item) is bytes:
                n = len(item)
                if n < 24:
                    buf.append(0x40 | n)
                else:
                    buf += _head(2, n)
                buf += item
            else:
                enc = _DIRECT.get(type(item))
                if enc is not None and d + 1 < MAX_DEPTH:
                    enc(item, buf, d + 2)
                else:
                    encode_value(item, buf, d + 1)
    else:
        encode_value(v, buf, d)"""


def _specialised_encoder(kind: type) -> Any:
    """An encoder for ``kind`` with its field list, array head and type id written out and the
    common field types inlined: the same bytes as the generic loop (tests compare the two on
    random values and the golden vectors), without a generic dispatch per field. A fraction of
    every execution's time went to that dispatch. Why not cbor2's C encoder: it needs a Python
    ``default`` callback per model object and cannot embed an already-encoded part; measured
    with cbor2 6.3 in canonical mode (which gives the same bytes), a TxOutput and a TxInput
    took 3.3x as long as here, alternating in one process."""
    names = _model_fields(kind)
    prefix = _head(4, len(names) + 1) + _head(0, TYPE_IDS[kind])
    lines = ["def encode_fields(value, buf, d):", f"    buf += {prefix!r}"]
    for field in attrs.fields(kind):
        annotation = field.type if isinstance(field.type, str) else getattr(
            field.type, "__name__", "")
        optional = annotation.endswith(" | None")
        base = annotation.removesuffix(" | None").strip()
        code = _FIELD_CODE.get(base, _TUPLE_FIELD_CODE if base.startswith("tuple[")
                               else _MODEL_FIELD_CODE)
        lines.append(f"    v = value.{field.name}")
        if optional:
            lines.append("    if v is None:\n        buf.append(0xF6)\n    else:")
            code = "\n".join("    " + line for line in code.splitlines())
        lines.append(code)
    namespace = {"encode_value": encode_value, "_head": _head, "MAX_U64": m.MAX_U64,
                 "MAX_DEPTH": MAX_DEPTH, "_DIRECT": _DIRECT}
    exec("\n".join(lines), namespace)  # noqa: S102 - our own code, from attrs field names
    return namespace["encode_fields"]


@overload
def encode_value(value: Any, out: None = None, depth: int = 0) -> bytes: ...
@overload
def encode_value(value: Any, out: bytearray, depth: int = 0) -> bytearray: ...


def encode_value(value: Any, out: bytearray | None = None, depth: int = 0) -> bytes | bytearray:
    """Encode a plain value or model instance; returns the canonical bytes.

    This is on the path of every host call (trace records), so the common exact types are
    dispatched first; subclasses (enums, bytearray, ...) take the slower isinstance path."""
    buf = bytearray() if out is None else out
    if depth > MAX_DEPTH:
        raise ValidationError("value", f"nested deeper than {MAX_DEPTH} levels")
    kind = type(value)
    # one-byte heads (values below 24) are appended directly: most lengths and small integers
    if kind is bytes or kind is Encoded:
        if kind is bytes:
            size = len(value)
            if size < 24:
                buf.append(0x40 | size)
            else:
                buf += _head(2, size)
        buf += value
    elif kind is int:
        if 0 <= value < 24:
            buf.append(value)
        else:
            _encode_int(value, buf)
    elif kind is str:
        raw = value.encode("utf-8")
        size = len(raw)
        if size < 24:
            buf.append(0x60 | size)
        else:
            buf += _head(3, size)
        buf += raw
    elif kind is tuple or kind is list:
        size = len(value)
        if size < 24:
            buf.append(0x80 | size)
        else:
            buf += _head(4, size)
        for item in value:
            encode_value(item, buf, depth + 1)
    elif value is None:
        buf.append(0xF6)
    elif value is True:
        buf.append(0xF5)
    elif value is False:
        buf.append(0xF4)
    elif kind in TYPE_IDS:
        if kind in _MEMOISED:
            known = getattr(value, "_ispc_encoding", None)
            if known is None:
                known = bytes(_encode_model(value, kind, bytearray(), depth))
                object.__setattr__(value, "_ispc_encoding", known)
            if out is None:
                return known
            buf += known
        else:
            _encode_model(value, kind, buf, depth)
    elif isinstance(value, int):  # enums
        # int.__int__, not int(): a subclass may redefine __int__ to name another number than
        # the one its validators and users see
        _encode_int(int.__int__(value), buf)
    elif isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(memoryview(value))  # the content itself: a subclass may redefine __bytes__
        buf += _head(2, len(raw)) + raw
    elif isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise ValidationError("value", "map keys must be text")
        items = sorted((_map_key(k), v) for k, v in value.items())
        buf += _head(5, len(items))
        for key_bytes, item in items:
            buf += key_bytes
            encode_value(item, buf, depth + 1)
    elif _resolve_deferred():
        return encode_value(value, out, depth)
    else:
        raise ValidationError("value", f"{type(value).__name__} has no canonical encoding")
    return buf if out is not None else bytes(buf)


def encode(obj: Any) -> bytes:
    """The canonical bytes of a model instance (or any encodable value)."""
    return encode_value(obj)


def map_encoder(*keys: str) -> Callable[..., bytes]:
    """The encoder of maps with exactly the text keys ``keys``: ``encode_map(v_1, ..., v_n)``
    is ``encode({keys[0]: v_1, ..., keys[n-1]: v_n})``, the keys encoded and sorted once
    instead of on every call (a transaction's body and a trace's header are maps of a fixed
    shape, encoded on every run). The values go through :func:`encode_value` as a map's do."""
    if len(set(keys)) != len(keys) or not all(type(key) is str for key in keys):
        raise ValidationError("keys", "expected distinct text keys")
    order = sorted((encode_value(key), index) for index, key in enumerate(keys))
    head = _head(5, len(keys))

    def encode_map(*values: Any) -> bytes:
        if len(values) != len(keys):
            raise ValidationError("values", f"expected {len(keys)} values, one per key")
        buf = bytearray(head)
        for key_bytes, index in order:
            buf += key_bytes
            encode_value(values[index], buf, 1)
        return bytes(buf)

    return encode_map


_ARRAY_OF_TWO = b"\x82"


def encode_host_call_part(first: list[int] | int | None, blobs: list[bytes]) -> bytes:
    """``encode([first, blobs])`` for the two values a host call's trace record holds: its
    arguments ``[wasm args, bytes read]`` and its outcome ``[value, bytes written]``.

    Unrolled because it runs twice on every host call; ``first`` is a list of unsigned
    integers below 2^64, an unsigned integer or None, and ``blobs`` a list of bytes (tests pin
    the equality with :func:`encode` on random values)."""
    if type(first) is int and 0 <= first <= m.MAX_U64:
        parts = [_ARRAY_OF_TWO, _head(0, first)]
    elif first is None:
        parts = [_ARRAY_OF_TWO, b"\xf6"]
    elif type(first) is list and len(first) < 24:
        parts = [_ARRAY_OF_TWO, _SMALL_HEADS[4][len(first)]]
        for number in first:
            parts.append(_head(0, number) if type(number) is int and 0 <= number <= m.MAX_U64
                         else encode_value(number))
    else:
        return encode_value([first, blobs])
    parts.append(_head(4, len(blobs)))
    for blob in blobs:
        parts.append(_head(2, len(blob)))
        parts.append(blob)
    return b"".join(parts)


# ------------------------------------------------------------------------------------ decoding


def _truncated(pos: int) -> DecodeError:
    return DecodeError("bytes", f"truncated at offset {pos}")


def _read(data: bytes, pos: int, depth: int) -> tuple[Any, int]:
    """Decode one item at ``pos``; returns (value, next position). Written as one flat function
    because it runs on every UTXO lookup and host-call argument."""
    if depth > MAX_DEPTH:
        raise DecodeError("bytes", f"nested deeper than {MAX_DEPTH} levels")
    if pos >= len(data):
        raise _truncated(pos)
    start = pos
    first = data[pos]
    pos += 1
    major, value = first >> 5, first & 0x1F
    if major == 7:
        if value == 20:
            return False, pos
        if value == 21:
            return True, pos
        if value == 22:
            return None, pos
        raise DecodeError("bytes", f"unsupported simple value or float at offset {start}")
    if value >= 24:
        if value > 27:
            raise DecodeError("bytes", f"indefinite or reserved length at offset {start}")
        size = 1 << (value - 24)
        if pos + size > len(data):
            raise _truncated(pos)
        value = int.from_bytes(data[pos:pos + size], "big")
        pos += size
        if value < (24 if size == 1 else 1 << (4 * size)):
            raise DecodeError("bytes", f"non-shortest integer head at offset {start}")
    if major == 0:
        return value, pos
    if major == 2 or major == 3:
        end = pos + value
        if end > len(data):
            raise _truncated(pos)
        if major == 2:
            return data[pos:end], end
        try:
            return data[pos:end].decode("utf-8"), end
        except UnicodeDecodeError:
            raise DecodeError("bytes", f"invalid UTF-8 text at offset {start}") from None
    if major == 4:
        items = []
        for _ in range(value):
            item, pos = _read(data, pos, depth + 1)
            items.append(item)
        return tuple(items), pos
    if major == 1:
        return -1 - value, pos
    if major == 5:
        result: dict[str, Any] = {}
        previous = b""
        for _ in range(value):
            key_start = pos
            key, pos = _read(data, pos, depth + 1)
            key_bytes = data[key_start:pos]
            if not isinstance(key, str):
                raise DecodeError("bytes", f"map key at offset {key_start} is not text")
            if key_bytes <= previous:
                raise DecodeError("bytes", f"map keys unsorted or duplicated at offset {key_start}")
            previous = key_bytes
            result[key], pos = _read(data, pos, depth + 1)
        return result, pos
    if value != 2:  # major 6: tags
        raise DecodeError("bytes", f"unsupported tag {value} at offset {start}")
    raw, pos = _read(data, pos, depth + 1)
    if not isinstance(raw, bytes) or not raw or raw[0] == 0:
        raise DecodeError("bytes", f"bignum at offset {start} is not minimal")
    number = int.from_bytes(raw, "big")
    if number <= m.MAX_U64:
        raise DecodeError("bytes", f"bignum at offset {start} fits in 64 bits")
    return number, pos


def decode_value(data: bytes) -> Any:
    """Decode canonical bytes into plain values (tuples, dicts, ints, bytes, str, bool, None)."""
    data = bytes(data)
    value, pos = _read(data, 0, 0)
    if pos != len(data):
        raise DecodeError("bytes", f"{len(data) - pos} trailing bytes")
    return value


#: class -> names of its fields with a converter (see :func:`_converted`)
_CONVERTED: dict[type, tuple[str, ...]] = {}


def _build_model(value: Any, expected: str) -> Any:
    # ``type(...) is int``: a bool type id would find the model of id 0 or 1 (True == 1) and
    # re-encode as an integer: two encodings of one value.
    if not isinstance(value, tuple) or not value or type(value[0]) is not int:
        raise DecodeError(expected, "expected an encoded model (array starting with a type id)")
    cls = _TYPES_BY_ID.get(value[0])
    if cls is None and _resolve_deferred():
        cls = _TYPES_BY_ID.get(value[0])
    if cls is None:
        raise DecodeError(expected, f"unknown type id {value[0]}")
    layout = _layout(cls)
    given = len(value) - 1
    optional = OPTIONAL_TAIL.get(cls, 0)
    if not len(layout) - optional <= given <= len(layout):
        raise DecodeError(cls.__name__, f"expected {len(layout)} fields, got {given}")
    if given > len(layout) - optional and value[-1] is None:
        raise DecodeError(cls.__name__, "an optional trailing field is encoded as null; the "
                          "canonical encoding leaves it out")
    kwargs = {}
    for (name, kind), raw in zip(layout, value[1:]):
        if raw is None or kind == "plain":
            kwargs[name] = raw
        elif kind == "model":
            kwargs[name] = _build_model(raw, f"{cls.__name__}.{name}")
        else:
            if not isinstance(raw, tuple):
                raise DecodeError(f"{cls.__name__}.{name}", "expected an array")
            kwargs[name] = tuple(_build_model(item, f"{cls.__name__}.{name}") for item in raw)
    try:
        obj = cls(**kwargs)
    except ValidationError:
        raise
    except (TypeError, ValueError) as exc:
        raise DecodeError(cls.__name__, str(exc)) from None
    converted = _CONVERTED.get(cls)
    if converted is None:  # inlined lookup: this runs for every decoded model
        converted = _converted(cls)
    for name in converted:
        if name not in kwargs:  # an optional trailing field left out
            continue
        passed, kept = kwargs[name], getattr(obj, name)
        # Identity is the usual case (``tuple(t) is t``); equality with the same items in the
        # same order costs about what the converter's sort did. A bool is refused because an
        # int converter (an enum) would keep its value but encode it as an integer.
        if kept is not passed and (kept != passed or type(passed) is bool):
            raise _non_canonical(cls, name, passed, kept)
    return obj


def _non_canonical(cls: type, name: str, given: Any, kept: Any) -> DecodeError:
    if type(given) is bool:
        why = "a bool where an integer is encoded"
    elif isinstance(given, dict):
        why = "a map where sorted (key, value) pairs are encoded"
    elif kept is None:
        why = "an explicit empty array where the canonical encoding leaves the field out"
    elif isinstance(given, tuple) and isinstance(kept, tuple) and len(given) == len(kept):
        why = "items out of canonical order (they must be strictly sorted)"
    else:
        why = f"a {type(given).__name__} the model converts to another value"
    return DecodeError(f"{cls.__name__}.{name}", f"non-canonical encoding: {why}",
                       code="encoding-non-canonical")


_LAYOUTS: dict[type, tuple[tuple[str, str], ...]] = {}


def _converted(cls: type) -> tuple[str, ...]:
    """The fields of ``cls`` with an attrs converter: the only places where decoding could build
    a value whose encoding differs from the bytes read (a sort, a default, a coercion)."""
    names = _CONVERTED.get(cls)
    if names is None:
        names = _CONVERTED[cls] = tuple(f.name for f in attrs.fields(cls)
                                        if f.converter is not None)
    return names


def _layout(cls: type) -> tuple[tuple[str, str], ...]:
    """(field name, 'model' | 'models' | 'plain') per field, from the annotations; cached, since
    decoding runs on every UTXO lookup."""
    layout = _LAYOUTS.get(cls)
    if layout is None:
        layout = _LAYOUTS[cls] = tuple((f.name, _field_kind(f)) for f in attrs.fields(cls))
    return layout


def _field_kind(field: attrs.Attribute[Any]) -> str:
    annotation = _annotation(field)
    if field.name == "metadata":
        return "plain"  # pairs of text; the class's converter rebuilds them
    if annotation.startswith("tuple[") and annotation[6:].split(",")[0].strip() in _MODEL_NAMES:
        return "models"
    if annotation.replace(" | None", "").strip() in _MODEL_NAMES:
        return "model"
    return "plain"


# Field annotations naming an encoded model (or a union of them) decode as models.
_MODEL_NAMES = _TYPE_NAMES | {"LockingCondition", "Token"}


def decode(data: bytes) -> Any:
    """Decode the canonical bytes of a model instance; rejects any non-canonical input.

    A :class:`~ispc_framework._model.Memoised` result keeps ``data`` as its encoding, and each
    Memoised field of it keeps its own slice of ``data``: a transaction a node receives is never
    encoded again, nor its request (its body embeds it), and a result file's commitment hashes
    without an encode. Safe because the decoder accepts only the one canonical encoding of the
    value it builds (``encode(decode(b)) == b``: tests/test_encoding_canonical.py pins it on
    hostile input), so ``data`` is the array head, then each field's ``encode_value`` in field
    order; the objects are frozen, and a memo is not copied by ``attrs.evolve``, copy or pickle.
    Deeper objects keep none (their offsets are not tracked)."""
    data = bytes(data)
    first = data[0] if data else 0
    if not 0x81 <= first <= 0x97:   # not a model's array (1 to 23 items, a one-byte head)
        return _build_model(decode_value(data), "bytes")
    items, ends, pos = [], [], 1    # _read's array loop, keeping where each item ends
    for _ in range(first & 0x1F):
        item, pos = _read(data, pos, 1)
        items.append(item)
        ends.append(pos)
    if pos != len(data):
        raise DecodeError("bytes", f"{len(data) - pos} trailing bytes")
    obj = _build_model(tuple(items), "bytes")
    kind = type(obj)
    if kind in _MEMOISED:
        remember_encoding(obj, data)
    fields = _MEMO_FIELDS.get(kind)
    if fields is None:
        fields = _memo_fields(kind)
    for index, name in fields:
        field = getattr(obj, name)
        if type(field) in _MEMOISED and index + 1 < len(ends):
            remember_encoding(field, data[ends[index]:ends[index + 1]])
    return obj


#: class -> (index, name) of its fields that may hold a Memoised model (see :func:`_memo_fields`)
_MEMO_FIELDS: dict[type, tuple[tuple[int, str], ...]] = {}


def _memo_fields(cls: type) -> tuple[tuple[int, str], ...]:
    """The fields of ``cls`` whose annotation names a Memoised model: where :func:`decode` may
    keep a field's slice (the rest, most of what runs decode, skip the loop)."""
    _resolve_deferred()
    by_name = {kind.__name__: kind for kind in _MEMOISED}
    found = _MEMO_FIELDS[cls] = tuple(
        (index, name) for index, (name, shape) in enumerate(_layout(cls))
        if shape == "model"
        and _annotation(attrs.fields_dict(cls)[name]).replace(" | None", "").strip() in by_name)
    return found


def _annotation(field: attrs.Attribute[Any]) -> str:
    """A field's annotation as written (``from __future__ import annotations``: a string)."""
    return field.type if isinstance(field.type, str) else getattr(field.type, "__name__", "")


# -------------------------------------------------------------------------------------- hashing


#: SHA-256 states that have absorbed a domain's prefix (a few fixed domains, each hashed on
#: every execution; copying a state is cheaper than building and hashing the prefix again)
_PREFIXED: dict[str, Any] = {}


def digest(domain: str, *parts: bytes | bytearray) -> bytes:
    """Domain-separated SHA-256 of the concatenated ``parts``."""
    start = _PREFIXED.get(domain) if type(domain) is str else None
    if start is None:
        label = domain.encode("utf-8")
        start = hashlib.sha256(b"ISPC" + bytes([ENCODING_VERSION]) + struct.pack(">H", len(label))
                               + label)
        if type(domain) is str and len(_PREFIXED) < 256:
            _PREFIXED[domain] = start
    h = start.copy()
    for part in parts:
        h.update(part)
    return h.digest()


def hash_of(obj: Any) -> bytes:
    """The hash of a model instance: its canonical encoding under the domain of its type."""
    return digest(f"ispc/{type(obj).__name__}", encode(obj))


# ----------------------------------------------------------------------------------------- JSON

_SAFE_JSON_INT = 2**53
_HEX = re.compile(r"(?:[0-9a-f]{2})*")


def to_json(obj: Any) -> Any:
    """A readable JSON-compatible form: ``{"type": ..., field: ...}``, bytes as lowercase hex,
    integers beyond 2^53 as decimal strings (JavaScript numbers cannot hold them)."""
    if type(obj) in TYPE_IDS:
        out: dict[str, Any] = {"type": type(obj).__name__}
        for field in attrs.fields(type(obj)):
            value = getattr(obj, field.name)
            out[field.name] = dict(value) if field.name == "metadata" else to_json(value)
        return out
    if isinstance(obj, enum.Enum):
        return obj.name.lower()
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int):
        return obj if abs(obj) < _SAFE_JSON_INT else str(obj)
    if isinstance(obj, bytes):
        return obj.hex()
    if isinstance(obj, (tuple, list)):
        return [to_json(item) for item in obj]
    if isinstance(obj, dict):
        return {key: to_json(item) for key, item in obj.items()}
    if _resolve_deferred():
        return to_json(obj)
    raise ValidationError("value", f"{type(obj).__name__} has no JSON form")


def _from_json_value(annotation: str, value: Any, where: str) -> Any:
    if value is None:
        return None
    base = annotation.replace(" | None", "").strip()
    if isinstance(value, dict):
        return from_json(value)
    if isinstance(value, list):
        inner = base[6:-1].split(",")[0].strip() if base.startswith("tuple[") else ""
        return tuple(_from_json_value(inner, item, where) for item in value)
    if base == "bytes" and isinstance(value, str):
        if not _HEX.fullmatch(value):
            raise DecodeError(where, "expected lowercase hex")
        return bytes.fromhex(value)
    if base == "int" and isinstance(value, str):
        if not (value.isascii() and value.isdigit()):
            raise DecodeError(where, "expected a decimal integer string")
        return int(value)
    if base == "ResourceCategory" and isinstance(value, str):
        try:
            return m.ResourceCategory[value.upper()]
        except KeyError:
            raise DecodeError(where, f"unknown category {value!r}") from None
    return value


def from_json(data: dict[str, Any]) -> Any:
    """Inverse of :func:`to_json` for model instances."""
    if not isinstance(data, dict) or "type" not in data:
        raise DecodeError("json", "expected an object with a 'type' key")
    if not isinstance(data["type"], str) or data["type"] not in _TYPE_NAMES:
        raise DecodeError("json.type", f"unknown type {data['type']!r}")
    _resolve_deferred()
    cls = next((c for c in TYPE_IDS if c.__name__ == data["type"]), None)
    if cls is None:
        raise DecodeError("json.type", f"unknown type {data['type']!r}")
    kwargs = {}
    for field in attrs.fields(cls):
        where = f"{cls.__name__}.{field.name}"
        if field.name not in data:
            if field.default is attrs.NOTHING:
                raise DecodeError(where, "missing")
            continue
        value = data[field.name]
        if field.name == "metadata":
            kwargs[field.name] = value
        else:
            annotation = field.type if isinstance(field.type, str) else field.type.__name__
            kwargs[field.name] = _from_json_value(annotation, value, where)
    unknown = set(data) - {"type"} - {f.name for f in attrs.fields(cls)}
    if unknown:
        raise DecodeError(f"{cls.__name__}.{sorted(unknown)[0]}", "unknown field")
    try:
        return cls(**kwargs)
    except ValidationError:
        raise
    except (TypeError, ValueError, UnicodeError) as exc:  # converters on foreign input
        raise DecodeError(cls.__name__, str(exc)) from None

"""ExecutionTrace: an ordered record of everything an execution asked the host, and its root.

Trace encoding version 2 (:data:`TRACE_VERSION`, the one every run writes): the records are written
one after another into one buffer, each in a fixed layout (integers little-endian)::

    kind u8 (0 start, 1 call, 2 end) | seq u32 | status u32 | gas_before u64 | gas_after u64
    | len(function) u16 | len(args) u32 | len(result) u32 (0xFFFFFFFF: no result)
    | function (UTF-8) | args | result

and the root is one domain-separated SHA-256 over the header and that buffer::

    root = digest("ispc/trace/v2", u32le(len(header)) || header || record_0 || ... || record_n-1)

The fixed head gives every record's length, so a buffer parses one way only and the root commits
to every record, its content and its position (``seq`` is in the record too). ``header`` is the
canonical encoding of the engine-neutral part of the context; its ``version`` key names the trace
encoding (see ``ExecutionContext._trace_header``). ``args`` and ``result`` stay canonical encodings
(the HostABI binding's ``[wasm args, bytes read]`` and ``[value, bytes written]``).

Why a layout of our own for the framing, not CBOR: this runs once per host call. Measured on the
machine of docs/performance.md, a version 1 record (its CBOR encoding by the generic encoder, an
attrs TraceRecord and a chain link hashed with a freshly built prefix) cost about 5.6 us of CPU per
append, more than every other part of a host call together; a fixed head is one ``struct.pack`` and
three buffer appends, and hashing one buffer once is cheaper than a hash per record. cbor2's C
encoder would have halved the encoding but kept the per-record hash and object, and added a
dependency for a layout that has no variable part to encode.

Version 1 (runs before this one): each record canonically encoded and folded into a chain,
``link_0 = digest("ispc/trace-genesis", header)``, ``link_i = digest("ispc/trace-link", link_{i-1},
encode(record_i))``. :meth:`ExecutionTrace.replay_root` still recomputes it, chosen by the header's
version, so a version 1 trace kept by a sink still verifies against the result that names its root.

Gas in records is the *host gas ledger* (the spec's cost of each host call, plus any per-call
charges), not engine fuel: it is identical on engines with and without metering, which is what
lets two engines be compared by trace root. Engine fuel is reported in the result instead.
"""

from __future__ import annotations

import struct
from typing import Any

import attrs

from ._encoding import decode_value, digest, encode
from ._errors import DecodeError, SealedError, TraceLimitExceeded
from ._limits import ExecutionLimits
from ._model import MAX_U32

__all__ = ["TraceRecord", "ExecutionTrace", "RECORD_KINDS", "TRACE_VERSION", "decode_records"]

RECORD_KINDS = ("start", "call", "end")
#: the trace encoding every run writes (docs/encoding.md, "Trace encoding")
TRACE_VERSION = 2
_KIND_CODES = {kind: code for code, kind in enumerate(RECORD_KINDS)}
_HEAD = struct.Struct("<BIIQQHII")
_NO_RESULT = 0xFFFFFFFF
_U32 = struct.Struct("<I")
_ROOT_DOMAIN = "ispc/trace/v2"


@attrs.frozen
class TraceRecord:
    """One step: ``kind`` is start, call or end; ``status`` 0 is success (HostABI status codes)."""

    seq: int
    kind: str
    function: str
    args: bytes
    result: bytes | None
    status: int
    gas_before: int
    gas_after: int


def _root(header: bytes, records: bytes | bytearray) -> bytes:
    return digest(_ROOT_DOMAIN, _U32.pack(len(header)), header, records)


def _encode_record(record: TraceRecord) -> bytes:
    """One record in the version 2 layout (as :meth:`ExecutionTrace.append` writes it);
    DecodeError for a record (e.g. read back from a file) that has no such encoding."""
    try:
        name = record.function.encode("utf-8")
        result = record.result
        return (_HEAD.pack(_KIND_CODES[record.kind], record.seq, record.status,
                           record.gas_before, record.gas_after, len(name), len(record.args),
                           _NO_RESULT if result is None else len(result))
                + name + bytes(record.args) + bytes(result or b""))
    except (KeyError, TypeError, AttributeError, UnicodeError, struct.error) as exc:
        raise DecodeError("trace.record", f"record {getattr(record, 'seq', '?')} has no trace "
                          f"encoding: {exc}") from None


def decode_records(data: bytes | bytearray) -> tuple[TraceRecord, ...]:
    """The records of a version 2 record buffer; DecodeError if it is not exactly a sequence of
    well-formed records."""
    records = []
    view = memoryview(data)
    pos, end = 0, len(view)
    while pos < end:
        if pos + _HEAD.size > end:
            raise DecodeError("trace", f"truncated record head at offset {pos}")
        kind, seq, status, gas_before, gas_after, name_len, args_len, result_len = \
            _HEAD.unpack_from(view, pos)
        start = pos
        pos += _HEAD.size
        size = name_len + args_len + (0 if result_len == _NO_RESULT else result_len)
        if kind >= len(RECORD_KINDS) or pos + size > end:
            raise DecodeError("trace", f"record at offset {start} has an unknown kind or runs "
                              f"past the end")
        try:
            function = bytes(view[pos:pos + name_len]).decode("utf-8")
        except UnicodeDecodeError:
            raise DecodeError("trace", f"record at offset {start}: function name is not "
                              f"UTF-8") from None
        pos += name_len
        args = bytes(view[pos:pos + args_len])
        pos += args_len
        result = None
        if result_len != _NO_RESULT:
            result = bytes(view[pos:pos + result_len])
            pos += result_len
        records.append(TraceRecord(seq, RECORD_KINDS[kind], function, args, result, status,
                                   gas_before, gas_after))
    return tuple(records)


def _header_version(header: bytes) -> int:
    """The trace encoding a header names (its ``version`` key); the current one for a header
    that is not such a map (tests and tools that trace without a context)."""
    try:
        value = decode_value(header)
    except DecodeError:
        return TRACE_VERSION
    version = value.get("version") if isinstance(value, dict) else None
    return version if type(version) is int else TRACE_VERSION


class ExecutionTrace:
    """Append-only trace with size caps; :attr:`root` is the root of the records so far."""

    __slots__ = ("_limits", "_header", "_buffer", "_count", "_root", "_records", "_sealed",
                 "_max_records", "_max_bytes")

    def __init__(self, header: bytes, limits: ExecutionLimits | None = None) -> None:
        self._limits = limits or ExecutionLimits()
        self._header = bytes(header)
        self._buffer = bytearray()
        self._count = 0
        self._root: bytes | None = None
        self._records: tuple[TraceRecord, ...] | None = None
        self._sealed = False
        self._max_records = min(self._limits.max_trace_records, MAX_U32)   # seq is a u32
        self._max_bytes = self._limits.max_trace_bytes

    @property
    def header(self) -> bytes:
        return self._header

    @property
    def version(self) -> int:
        return TRACE_VERSION

    @property
    def root(self) -> bytes:
        if self._root is None:
            self._root = _root(self._header, self._buffer)
        return self._root

    @property
    def encoded_records(self) -> bytes:
        """The record buffer, as hashed (:func:`decode_records` reads it back)."""
        return bytes(self._buffer)

    @property
    def records(self) -> tuple[TraceRecord, ...]:
        if self._records is None:
            self._records = decode_records(self._buffer)
        return self._records

    def __len__(self) -> int:
        return self._count

    def append(self, kind: str, function: str, args: bytes = b"", result: bytes | None = None,
               status: int = 0, gas_before: int = 0, gas_after: int = 0) -> None:
        """Write one record into the buffer (nothing else is built per record)."""
        if self._sealed:
            raise SealedError("the trace is sealed; cannot append")
        code = _KIND_CODES.get(kind)
        if code is None:
            raise ValueError(f"unknown trace record kind {kind!r}")
        seq = self._count
        if seq >= self._max_records:
            raise TraceLimitExceeded(f"trace already holds {self._limits.max_trace_records} records",
                                     limit="max_trace_records")
        name = function.encode("utf-8")
        result_len = _NO_RESULT if result is None else len(result)
        size = _HEAD.size + len(name) + len(args) + (0 if result is None else result_len)
        if len(self._buffer) + size > self._max_bytes or len(args) >= _NO_RESULT \
                or result_len > _NO_RESULT or len(name) > 0xFFFF:
            raise TraceLimitExceeded(f"trace would exceed {self._limits.max_trace_bytes} bytes",
                                     limit="max_trace_bytes")
        buffer = self._buffer
        buffer += _HEAD.pack(code, seq, status & MAX_U32, gas_before, gas_after, len(name),
                             len(args), result_len)
        buffer += name
        buffer += args
        if result:
            buffer += result
        self._count = seq + 1
        self._root = self._records = None

    def seal(self) -> bytes:
        """Freeze the trace and return its root."""
        self._sealed = True
        return self.root

    @staticmethod
    def replay_root(header: bytes, records: Any, version: int | None = None) -> bytes:
        """Recompute the root from a header and records (e.g. read back from a sink), in the
        trace encoding ``version`` (default: the one the header names)."""
        version = _header_version(header) if version is None else version
        if version == 1:
            link = digest("ispc/trace-genesis", header)
            for record in records:
                link = digest("ispc/trace-link", link, encode(record))
            return link
        if version == 2:
            return _root(header, b"".join(_encode_record(record) for record in records))
        raise DecodeError("trace.version", f"unknown trace encoding version {version!r}")

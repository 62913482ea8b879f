"""ExecutionTrace: an ordered, hash-chained record of everything an execution asked the host.

Each record is canonically encoded and folded into a running SHA-256 chain::

    link_0 = digest("ispc/trace-genesis", header)
    link_i = digest("ispc/trace-link", link_{i-1}, encode(record_i))

so the root commits to every record, its content and its position. ``header`` is the canonical
encoding of the engine-neutral part of the context (see ``ExecutionContext._trace_header``).

Gas in records is the *host gas ledger* (the spec's cost of each host call, plus any per-call
charges), not engine fuel: it is identical on engines with and without metering, which is what
lets two engines be compared by trace root. Engine fuel is reported in the result instead.
"""

from __future__ import annotations

from typing import Any

import attrs

from ._encoding import digest, encode, encode_value, type_id_of
from ._errors import SealedError, TraceLimitExceeded
from ._limits import ExecutionLimits
from ._model import MAX_U32

__all__ = ["TraceRecord", "ExecutionTrace", "RECORD_KINDS"]

RECORD_KINDS = ("start", "call", "end")


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


_RECORD_HEAD = encode_value((type_id_of("TraceRecord"),) + (0,) * 8)[:3]  # array(9), type id


def _encode_record(record: TraceRecord) -> bytes:
    """``encode(record)`` unrolled: this runs once per host call (tests pin the equality)."""
    buf = bytearray(_RECORD_HEAD)
    encode_value(record.seq, buf)
    encode_value(record.kind, buf)
    encode_value(record.function, buf)
    encode_value(record.args, buf)
    encode_value(record.result, buf)
    encode_value(record.status, buf)
    encode_value(record.gas_before, buf)
    encode_value(record.gas_after, buf)
    return bytes(buf)


class ExecutionTrace:
    """Append-only trace with size caps; :attr:`root` is the current chain head."""

    __slots__ = ("_limits", "_records", "_link", "_bytes", "_sealed", "_header")

    def __init__(self, header: bytes, limits: ExecutionLimits | None = None) -> None:
        self._limits = limits or ExecutionLimits()
        self._header = header
        self._records: list[TraceRecord] = []
        self._link = digest("ispc/trace-genesis", header)
        self._bytes = 0
        self._sealed = False

    @property
    def header(self) -> bytes:
        return self._header

    @property
    def root(self) -> bytes:
        return self._link

    @property
    def records(self) -> tuple[TraceRecord, ...]:
        return tuple(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def append(self, kind: str, function: str, args: bytes = b"", result: bytes | None = None,
               status: int = 0, gas_before: int = 0, gas_after: int = 0) -> TraceRecord:
        if self._sealed:
            raise SealedError("the trace is sealed; cannot append")
        if kind not in RECORD_KINDS:
            raise ValueError(f"unknown trace record kind {kind!r}")
        if len(self._records) >= self._limits.max_trace_records:
            raise TraceLimitExceeded(f"trace already holds {self._limits.max_trace_records} records",
                                     limit="max_trace_records")
        record = TraceRecord(len(self._records), kind, function, bytes(args),
                             None if result is None else bytes(result), status & MAX_U32,
                             gas_before, gas_after)
        encoded = _encode_record(record)
        if self._bytes + len(encoded) > self._limits.max_trace_bytes:
            raise TraceLimitExceeded(f"trace would exceed {self._limits.max_trace_bytes} bytes",
                                     limit="max_trace_bytes")
        self._bytes += len(encoded)
        self._records.append(record)
        self._link = digest("ispc/trace-link", self._link, encoded)
        return record

    def seal(self) -> bytes:
        """Freeze the trace and return its root."""
        self._sealed = True
        return self._link

    @staticmethod
    def replay_root(header: bytes, records: Any) -> bytes:
        """Recompute the root from a header and records (e.g. read back from a sink)."""
        link = digest("ispc/trace-genesis", header)
        for record in records:
            link = digest("ispc/trace-link", link, encode(record))
        return link

"""Trace sinks: where sealed traces go after a run. The built-in one appends JSON lines."""

from __future__ import annotations

import json
import os
import struct
import threading
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import attrs

from ._encoding import from_json
from ._errors import ConfigError, DecodeError
from ._trace import _HEAD, _NO_RESULT  # the version 2 record head, whose end gives the lengths
from ._trace import ExecutionTrace, TraceRecord, decode_records

__all__ = ["TraceSink", "JsonlTraceSink", "StoredTrace", "records_from_line"]


def records_from_line(records: Any) -> tuple[TraceRecord, ...]:
    """The records of one jsonl line: hex of each record's trace encoding (what
    :class:`JsonlTraceSink` writes), or the JSON objects of lines written before that format.
    DecodeError for anything else."""
    if not isinstance(records, list):
        raise DecodeError("trace", "a trace line's records are not a list")
    if all(isinstance(r, str) for r in records):
        try:
            return decode_records(b"".join(bytes.fromhex(r) for r in records))
        except ValueError:
            raise DecodeError("trace", "a trace line's record is not hex") from None
    return tuple(from_json(r) for r in records)


# One encoder, made once: json.dumps with non-default arguments builds a new one on every call.
_HEAD_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"))


# The head's last three fields: len(function) u16, len(args) u32, len(result) u32.
_LENGTHS = struct.Struct("<HII")
_LENGTHS_AT = _HEAD.size - _LENGTHS.size


def _record_hexes(buffer: bytes) -> str:
    """The JSON list items of a line's records: each record's bytes as hex, cut out of the
    trace's record buffer by the lengths in each record's fixed head (nothing is re-encoded)."""
    text = buffer.hex()
    items = []
    pos, end, head, lengths = 0, len(buffer), _HEAD.size, _LENGTHS.unpack_from
    while pos < end:
        name_len, args_len, result_len = lengths(buffer, pos + _LENGTHS_AT)
        size = head + name_len + args_len + (0 if result_len == _NO_RESULT else result_len)
        items.append(text[2 * pos:2 * (pos + size)])
        pos += size
    return '"' + '","'.join(items) + '"' if items else ""


@runtime_checkable
class TraceSink(Protocol):
    """Where sealed traces go. ``write`` gets every sealed trace of a finished run, in order,
    possibly from several threads; a failure is logged by the core, never loses the result.
    ``read`` (optional, needed for the conformance read-back checks) returns what was stored."""

    def write(self, summary: dict[str, Any], trace: ExecutionTrace) -> None: ...
    def close(self) -> None: ...


@attrs.frozen
class StoredTrace:
    """One trace as a sink read it back: the run's summary, the trace header, records, root."""

    summary: dict[str, Any]
    header: bytes
    records: tuple[TraceRecord, ...]
    root: bytes


class JsonlTraceSink:
    """One JSON object per execution: the summary, the trace header, root and records, each
    record as the hex of its canonical encoding (the bytes the trace root chains), so a line is
    written without turning records into JSON objects and checked with
    ``ExecutionTrace.replay_root(header, records_from_line(records))``.

    Each line is written with a single ``write`` on a file descriptor opened in append mode, so
    concurrent runs (threads, or processes sharing the file) never interleave inside a line. The
    descriptor is kept open and reopened when the path no longer names the same file (rotated or
    deleted) or after a fork.
    """

    def __init__(self, settings: dict[str, Any]) -> None:
        path = settings.get("path") or "ispc-traces.jsonl"
        self.path = Path(path)
        if self.path.parent and not self.path.parent.exists():
            raise ConfigError(f"[plugin.jsonl] path: directory {str(self.path.parent)!r} "
                              "does not exist", key="plugin.jsonl.path")
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._fd_owner = 0  # pid that opened it: a forked child opens its own
        self._fd_file: tuple[int, int] | None = None  # (device, inode) of the open descriptor

    def write(self, summary: dict[str, Any], trace: ExecutionTrace) -> None:
        head = _HEAD_ENCODER.encode({**summary, "header": trace.header.hex(),
                                     "root": trace.root.hex()})
        line = f'{head[:-1]},"records":[{_record_hexes(trace.encoded_records)}]}}\n'.encode()
        with self._lock:
            fd = self._descriptor()
            os.write(fd, line)

    def _descriptor(self) -> int:
        fd = self._fd
        if fd is not None and self._fd_owner == os.getpid():
            try:
                stat = os.stat(self.path)
                same = (stat.st_dev, stat.st_ino) == self._fd_file
            except OSError:
                same = False
            if same:
                return fd
        if fd is not None and self._fd_owner == os.getpid():
            os.close(fd)
        self._fd = fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._fd_owner = os.getpid()
        stat = os.fstat(fd)  # an open descriptor's file never changes: compare the path to it
        self._fd_file = (stat.st_dev, stat.st_ino)
        return fd

    def read(self) -> list[StoredTrace]:
        """Every trace in the file, in the order written."""
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            data = json.loads(line)
            summary = {k: v for k, v in data.items() if k not in ("header", "root", "records")}
            out.append(StoredTrace(summary, bytes.fromhex(data["header"]),
                                   records_from_line(data["records"]),
                                   bytes.fromhex(data["root"])))
        return out

    def close(self) -> None:
        with self._lock:
            if self._fd is not None and self._fd_owner == os.getpid():
                os.close(self._fd)
            self._fd = None

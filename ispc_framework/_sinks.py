"""Trace sinks: where sealed traces go after a run. The built-in one appends JSON lines."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import attrs

from ._encoding import from_json
from ._errors import ConfigError, DecodeError
from ._trace import ExecutionTrace, TraceRecord, decode_records

__all__ = ["TraceSink", "JsonlTraceSink", "StoredTrace", "records_from_line"]


def records_from_line(records: Any) -> tuple[TraceRecord, ...]:
    """The records of one jsonl line: hex strings that, joined, are the trace's record buffer
    (what :class:`JsonlTraceSink` writes: one string; older lines have one per record), or the
    JSON objects of lines written before that format. DecodeError for anything else."""
    if not isinstance(records, list):
        raise DecodeError("trace", "a trace line's records are not a list")
    if all(isinstance(r, str) for r in records):
        try:
            return decode_records(b"".join(bytes.fromhex(r) for r in records))
        except ValueError:
            raise DecodeError("trace", "a trace line's record is not hex") from None
    return tuple(from_json(r) for r in records)


# One encoder, made once: json.dumps with non-default arguments builds a new one on every call.
_SUMMARY_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"))
#: the keys a line adds to the run's summary (a summary key of the same name is dropped)
_LINE_KEYS = frozenset({"header", "root", "records"})

# Bumped in a forked child: a descriptor opened before the fork is the parent's (os.getpid()
# per write would be a system call on every run).
_fork_generation = 0


def _after_fork_in_child() -> None:
    global _fork_generation
    _fork_generation += 1


os.register_at_fork(after_in_child=_after_fork_in_child)


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
    """One JSON object per execution: the summary's keys (sorted), then ``header`` and ``root``
    in hex and ``records``: a list holding one string, the hex of the trace's record buffer (the
    records in their trace encoding, the bytes the trace root chains, written as the trace holds
    them: nothing is decoded or re-encoded). ``records_from_line(records)`` gives the records
    (also of older lines, which have one string per record, or JSON objects) and
    ``ExecutionTrace.replay_root(header, records)`` checks them.

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
        self._fd_owner = -1  # fork generation that opened it: a forked child opens its own
        self._fd_file: tuple[int, int] | None = None  # (device, inode) of the open descriptor

    def write(self, summary: dict[str, Any], trace: ExecutionTrace) -> None:
        if not _LINE_KEYS.isdisjoint(summary):
            summary = {k: v for k, v in summary.items() if k not in _LINE_KEYS}
        head = _SUMMARY_ENCODER.encode(summary)
        # hex needs no JSON escaping: the long fields are formatted, not run through the encoder
        records = trace.encoded_records
        items = f'"{records.hex()}"' if records else ""
        line = (f'{head[:-1]}{"," if len(head) > 2 else ""}"header":"{trace.header.hex()}",'
                f'"root":"{trace.root.hex()}","records":[{items}]}}\n')
        with self._lock:
            os.write(self._descriptor(), line.encode())

    def _descriptor(self) -> int:
        fd = self._fd
        if fd is not None and self._fd_owner == _fork_generation:
            try:
                stat = os.stat(self.path)
                same = (stat.st_dev, stat.st_ino) == self._fd_file
            except OSError:
                same = False
            if same:
                return fd
            os.close(fd)
        self._fd = fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._fd_owner = _fork_generation
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
            if self._fd is not None and self._fd_owner == _fork_generation:
                os.close(self._fd)
            self._fd = None

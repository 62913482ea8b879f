"""Trace sinks: where sealed traces go after a run. The built-in one appends JSON lines."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import attrs

from ._encoding import from_json, to_json
from ._errors import ConfigError
from ._trace import ExecutionTrace, TraceRecord

__all__ = ["TraceSink", "JsonlTraceSink", "StoredTrace"]


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
    """One JSON object per execution: the summary, the trace header (hex), records and root.

    Each line is written with a single ``write`` on a file opened in append mode, so concurrent
    runs never interleave inside a line.
    """

    def __init__(self, settings: dict[str, Any]) -> None:
        path = settings.get("path") or "ispc-traces.jsonl"
        self.path = Path(path)
        if self.path.parent and not self.path.parent.exists():
            raise ConfigError(f"[plugin.jsonl] path: directory {str(self.path.parent)!r} "
                              "does not exist", key="plugin.jsonl.path")
        self._lock = threading.Lock()

    def write(self, summary: dict[str, Any], trace: ExecutionTrace) -> None:
        line = json.dumps({**summary, "header": trace.header.hex(), "root": trace.root.hex(),
                           "records": [to_json(r) for r in trace.records]},
                          sort_keys=True, separators=(",", ":")) + "\n"
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line.encode())
            finally:
                os.close(fd)

    def read(self) -> list[StoredTrace]:
        """Every trace in the file, in the order written."""
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            data = json.loads(line)
            summary = {k: v for k, v in data.items() if k not in ("header", "root", "records")}
            out.append(StoredTrace(summary, bytes.fromhex(data["header"]),
                                   tuple(from_json(r) for r in data["records"]),
                                   bytes.fromhex(data["root"])))
        return out

    def close(self) -> None:
        pass

"""Trace sinks: where sealed traces go after a run. The built-in one appends JSON lines."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ._errors import ConfigError
from ._trace import ExecutionTrace
from ._trace import _encode_record as encode_record  # the unrolled encode(record)

__all__ = ["TraceSink", "JsonlTraceSink"]


@runtime_checkable
class TraceSink(Protocol):
    def write(self, summary: dict[str, Any], trace: ExecutionTrace) -> None: ...
    def close(self) -> None: ...


class JsonlTraceSink:
    """One JSON object per execution: the summary, the trace header, root and records, each
    record as the hex of its canonical encoding (the bytes the trace root chains), so a line is
    written without turning records into JSON objects and checked with
    ``ExecutionTrace.replay_root(header, [decode(bytes.fromhex(r)) for r in records])``.

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

    def write(self, summary: dict[str, Any], trace: ExecutionTrace) -> None:
        records = ",".join([f'"{encode_record(record).hex()}"' for record in trace.records])
        head = json.dumps({**summary, "header": trace.header.hex(), "root": trace.root.hex()},
                          sort_keys=True, separators=(",", ":"))
        line = f'{head[:-1]},"records":[{records}]}}\n'.encode()
        with self._lock:
            fd = self._descriptor()
            os.write(fd, line)

    def _descriptor(self) -> int:
        fd = self._fd
        if fd is not None and self._fd_owner == os.getpid():
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except OSError:
                same = False
            if same:
                return fd
        if fd is not None and self._fd_owner == os.getpid():
            os.close(fd)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._fd_owner = os.getpid()
        return self._fd

    def close(self) -> None:
        with self._lock:
            if self._fd is not None and self._fd_owner == os.getpid():
                os.close(self._fd)
            self._fd = None

"""The jsonl trace sink: canonical record bytes per line, one write per line, rotation-safe."""

from __future__ import annotations

import json
import os

from ispc_framework._sinks import JsonlTraceSink, records_from_line
from ispc_framework._trace import ExecutionTrace, _encode_record


def _trace(calls: int) -> ExecutionTrace:
    trace = ExecutionTrace(b"header")
    trace.append("start", "m", b"in")
    for n in range(calls):
        trace.append("call", "ispc.v1.caller", bytes([n]), b"\x01" * n, 0, n, n + 1)
    trace.append("end", "m", b"", b"out")
    return trace


def test_a_line_holds_the_records_canonical_bytes(tmp_path):
    sink = JsonlTraceSink({"path": str(tmp_path / "t.jsonl")})
    trace = _trace(3)
    sink.write({"transaction_id": "ab"}, trace)
    (line,) = (tmp_path / "t.jsonl").read_text().splitlines()
    data = json.loads(line)
    assert data["transaction_id"] == "ab" and data["root"] == trace.root.hex()
    assert [bytes.fromhex(r) for r in data["records"]] == [_encode_record(r) for r in trace.records]
    records = records_from_line(data["records"])
    assert ExecutionTrace.replay_root(bytes.fromhex(data["header"]), records) == trace.root
    sink.close()


def test_a_rotated_file_is_reopened(tmp_path):
    path = tmp_path / "t.jsonl"
    sink = JsonlTraceSink({"path": str(path)})
    sink.write({}, _trace(1))
    os.rename(path, tmp_path / "t.jsonl.1")  # what logrotate does
    sink.write({}, _trace(2))
    path.unlink()
    sink.write({}, _trace(0))
    assert len((tmp_path / "t.jsonl.1").read_text().splitlines()) == 1
    assert len(path.read_text().splitlines()) == 1
    sink.close()

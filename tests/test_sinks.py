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
    # one string: the trace's record buffer as it was hashed, each record in its trace encoding
    assert data["records"] == [trace.encoded_records.hex()]
    assert bytes.fromhex(data["records"][0]) == b"".join(_encode_record(r) for r in trace.records)
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


def test_lines_of_every_format_read_back(tmp_path):
    """An empty summary, a summary naming the line's own keys, a trace without records, and a
    line written by the per-record format before: all read back and replay to their roots."""
    path = tmp_path / "t.jsonl"
    sink = JsonlTraceSink({"path": str(path)})
    empty = ExecutionTrace(b"h")
    sink.write({}, empty)
    sink.write({"root": "forged", "engine": "e\u00e9\"x"}, _trace(2))
    older = _trace(1)
    path.open("a").write(json.dumps({"header": older.header.hex(), "root": older.root.hex(),
                                     "records": [_encode_record(r).hex()
                                                 for r in older.records]}) + "\n")
    stored = sink.read()
    assert [s.root for s in stored] == [empty.root, _trace(2).root, older.root]
    assert stored[0].records == () and stored[0].summary == {}
    assert stored[1].summary == {"engine": "e\u00e9\"x"}  # the summary's own "root" is dropped
    for item in stored:
        assert ExecutionTrace.replay_root(item.header, item.records) == item.root
    sink.close()


def test_a_forked_child_opens_its_own_descriptor(tmp_path):
    path = tmp_path / "t.jsonl"
    sink = JsonlTraceSink({"path": str(path)})
    sink.write({"who": "parent"}, _trace(0))
    parent_fd = sink._fd
    pid = os.fork()
    if pid == 0:  # the child: writes through a descriptor of its own, then leaves at once
        try:
            sink.write({"who": "child"}, _trace(0))
            os._exit(0 if sink._fd not in (None, parent_fd) else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    sink.write({"who": "parent"}, _trace(0))
    assert sink._fd == parent_fd  # the parent's descriptor was left alone
    assert [json.loads(line)["who"] for line in path.read_text().splitlines()] == [
        "parent", "child", "parent"]
    sink.close()

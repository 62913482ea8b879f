"""Hostile ONNX files that are small in bytes but huge in messages are refused by count caps
read before the full parse, fast and in little memory (the inputs are generated, not committed)."""

from __future__ import annotations

import resource
import subprocess
import sys
import textwrap

import pytest

from ispc_framework._errors import ModuleRejected
from ispc_framework._onnx_scan import ModelCaps, scan_counts


def field(number: int, payload: bytes) -> bytes:
    length, out = len(payload), bytearray([(number << 3) | 2])
    while True:
        byte, length = length & 0x7F, length >> 7
        out.append(byte | (0x80 if length else 0))
        if not length:
            return bytes(out) + payload


def model(graph: bytes) -> bytes:
    return b"\x08\x08" + field(7, graph)   # ir_version 8, graph


@pytest.mark.parametrize("what, graph", [
    ("nodes", b"\x0a\x00" * (8 << 20)),                    # 16 MB of empty nodes
    ("initializers", b"\x2a\x00" * (8 << 20)),             # 16 MB of empty initializers
    ("attributes", field(1, b"\x2a\x00" * 500_000)),       # one node, 500k empty attributes
])
def test_message_floods_are_refused_by_count(what, graph):
    with pytest.raises(ModuleRejected) as info:
        scan_counts(model(graph))
    assert info.value.code == "onnx-too-many-elements" and what in info.value.message


def test_nesting_is_capped():
    graph = b""
    for _ in range(20):   # a node whose attribute holds a graph holding a node ...
        graph = field(1, field(5, field(6, graph)))
    with pytest.raises(ModuleRejected, match="nested graphs"):
        scan_counts(model(graph), ModelCaps(depth=16))


def test_truncated_bytes_are_malformed():
    with pytest.raises(ModuleRejected) as info:
        scan_counts(model(b"\x0a\x05\x01"))
    assert info.value.code == "onnx-malformed"


def test_a_60_mb_file_is_a_typed_error_within_a_256_mb_address_space(tmp_path):
    """The whole safe loader in a child limited to 256 MiB (RLIMIT_AS): before the caps protobuf
    parsing took gigabytes and a 60 MB file crashed the process."""
    pytest.importorskip("onnx")
    script = textwrap.dedent("""
        import resource, sys
        from ispc_framework._errors import ModuleRejected
        from ispc_framework._limits import ExecutionLimits
        from ispc_framework._onnx_safety import ModelPolicy, load_checked_model
        data = open(sys.argv[1], "rb").read()
        resource.setrlimit(resource.RLIMIT_AS, (256 << 20, 256 << 20))
        try:
            load_checked_model(data, ModelPolicy(max_ir_version=10, max_opsets={"": 21}),
                               ExecutionLimits())
        except ModuleRejected as exc:
            print(exc.code)
    """)
    path = tmp_path / "flood.onnx"
    path.write_bytes(model(b"\x2a\x00" * (30 << 20)))   # 60 MB, under the 64 MiB byte cap
    result = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True,
                            text=True, timeout=120)
    assert result.stdout.strip() == "onnx-too-many-elements", result.stderr[-2000:]
    assert resource.getrlimit(resource.RLIMIT_AS)   # the parent's limits are untouched

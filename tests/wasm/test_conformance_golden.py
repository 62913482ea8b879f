"""The wasm engine suite's golden file is what the reference engine (ispc-wasmtime) gives today
for the shipped example and hostile contracts, and the shipped contracts are the example builds."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ispc_framework.conformance import wasm_examples

sys.path.insert(0, str(Path(__file__).resolve().parent))   # the generator beside this file


def test_the_golden_file_is_the_reference_engines_output():
    pytest.importorskip("wasmtime")
    import conformance_golden  # noqa: PLC0415
    from ispc_wasmtime.engine import WasmtimeEngine

    engine = WasmtimeEngine()
    fresh = conformance_golden.generate(engine)
    shipped = wasm_examples.load_golden()
    assert fresh["reference_engine"] == shipped["reference_engine"], \
        "the reference engine changed: run tests/wasm/conformance_golden.py and review the diff"
    assert fresh["cases"] == shipped["cases"], \
        "the golden results are stale: run tests/wasm/conformance_golden.py and review the diff"


def test_the_shipped_contracts_are_the_example_builds(contracts):
    for name, code in contracts.items():
        assert wasm_examples.contract_code(f"{name}.wasm") == code, \
            f"{name}.wasm differs from its build: run tests/wasm/conformance_golden.py --refresh"


def test_every_example_call_is_covered():
    cases = wasm_examples.load_golden()["cases"]
    for name, case in cases.items():
        assert len(case.get("expect", [])) == len(case["calls"]) or "compile" in case, name
    assert sum(len(c["calls"]) for c in cases.values()) > 100
    assert {c.get("compile", {}).get("error") for c in cases.values()} >= {"start-function",
                                                                           "unknown-import"}

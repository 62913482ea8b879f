"""ispc-wasmtime against the WebAssembly specification test suite, one test per .wast script
(pytest-xdist spreads them), under the deterministic contract configuration. Every binary command
must pass: the engine's known-issues file is empty, so an xfail here would be an xpass failure."""

from __future__ import annotations

import pytest
from wasm_spec_suite import require_suite, scripts

from ispc_framework.conformance import wasm_spec

FACTORY = "ispc_wasmtime.engine:WasmtimeEngine"


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("wast2json")


@pytest.mark.slow
@pytest.mark.parametrize("script", scripts() or ["(suite absent)"])
def test_spec_script(script, cache):
    report = wasm_spec.run_spec_tests(FACTORY, {}, require_suite(), files=[script],
                                      cache_dir=cache)
    assert report.ok, report.render_failures()
    assert report.totals["commands"] > 0


def test_known_issues_file_is_the_engines():
    from ispc_wasmtime.engine import WasmtimeEngine

    engine = WasmtimeEngine()
    try:
        assert "spec-tests" in engine.capabilities()
        assert wasm_spec.load_known_issues(engine.spec_known_issues()) == {}
    finally:
        engine.close()


def test_session_values_cross_bit_for_bit():
    """Signalling NaN payloads, negative zero, all-ones integers and null references come back
    unchanged (wasmtime-py and wasmer-python would turn floats into Python floats)."""
    import wasmtime
    from ispc_wasmtime.engine import WasmtimeEngine as Engine

    from ispc_framework.plugins import ExecutionLimits
    from ispc_framework.plugins import WasmValue

    engine = Engine()
    session = engine.spec_session(ExecutionLimits())
    try:
        instance = session.instantiate(session.compile(wasmtime.wat2wasm(
            '(module (func (export "id") (param f32 f64 i32 i64 externref) '
            '(result f32 f64 i32 i64 externref) '
            '(local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)) '
            '(global (export "g") f32 (f32.const nan:0x200001)))')))
        args = (WasmValue("f32", 0x7FA00001), WasmValue("f64", 0x8000000000000000),
                WasmValue("i32", 0xFFFFFFFF), WasmValue("i64", 0xFFFFFFFFFFFFFFFF),
                WasmValue("externref", None))
        assert session.invoke(instance, "id", args) == args
        assert session.get_global(instance, "g") == WasmValue("f32", 0x7FA00001)
    finally:
        session.close()
        engine.close()


def test_sessions_run_under_the_contract_configuration():
    """The session uses the contract engine's config: NaN results are canonical (plain cranelift
    would return the quieted input payload 0x7fe00001), the stack limit is the limits' one, and
    every call gets the limits' fuel."""
    import wasmtime
    from ispc_wasmtime.engine import WasmtimeEngine

    from ispc_framework.plugins import OutOfGas, StackExhausted
    from ispc_framework.plugins import ExecutionLimits
    from ispc_framework.plugins import WasmValue

    engine = WasmtimeEngine()
    session = engine.spec_session(ExecutionLimits(stack_bytes=64 * 1024, fuel=100_000))
    try:
        instance = session.instantiate(session.compile(wasmtime.wat2wasm(
            '(module (func (export "add") (param f32 f32) (result f32) '
            '(f32.add (local.get 0) (local.get 1))) '
            '(func (export "spin") (loop (br 0))) '
            '(func $deep (export "deep") (param i32) (result i32) (if (result i32) '
            '(i32.eqz (local.get 0)) (then (i32.const 0)) (else (i32.add (i32.const 1) '
            '(call $deep (i32.sub (local.get 0) (i32.const 1))))))))')))
        args = (WasmValue("f32", 0x7FA00001), WasmValue("f32", 0x3F800000))
        assert session.invoke(instance, "add", args) == (WasmValue("f32", 0x7FC00000),)
        assert session.invoke(instance, "deep", [WasmValue("i32", 100)]) == \
            (WasmValue("i32", 100),)
        with pytest.raises(StackExhausted):
            session.invoke(instance, "deep", [WasmValue("i32", 100_000)])
        with pytest.raises(OutOfGas):   # fresh fuel per call, and a bounded one
            session.invoke(instance, "spin", [])
        assert session.invoke(instance, "deep", [WasmValue("i32", 5)]) == (WasmValue("i32", 5),)
    finally:
        session.close()
        engine.close()

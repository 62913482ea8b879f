"""ispc-wasmer (Python 3.10 only) against the WebAssembly specification test suite, one test per .wast script
(pytest-xdist spreads them), with the contract feature gate. The commands wasmer-python cannot run
or gets wrong are listed in ispc_wasmer/spec_known_issues.json (strict xfails); all others pass."""

from __future__ import annotations

import pytest
from wasm_spec_suite import require_suite, scripts

from ispc_framework.conformance import wasm_spec

FACTORY = "ispc_wasmer.engine:WasmerEngine"


@pytest.fixture(scope="module")
def wasmer_usable():
    from ispc_wasmer.engine import load_wasmer

    from ispc_framework.plugins import EngineUnavailable

    try:
        load_wasmer()
    except EngineUnavailable as exc:
        pytest.skip(f"wasmer is not usable here (run under .venv310): {exc.message}")


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("wast2json")


@pytest.mark.slow
@pytest.mark.wasm_spec   # slow, yet run in the 3.10 phase of scripts/test.sh: wasmer lives there
@pytest.mark.parametrize("script", scripts() or ["(suite absent)"])
def test_spec_script(script, cache, wasmer_usable):
    report = wasm_spec.run_spec_tests(FACTORY, {}, require_suite(), files=[script],
                                      cache_dir=cache)
    assert report.ok, report.render_failures()
    assert report.totals["commands"] > 0


def test_known_issues_file_is_the_engines(wasmer_usable):
    from ispc_wasmer.engine import WasmerEngine

    engine = WasmerEngine()
    try:
        assert "spec-tests" in engine.capabilities()
        issues = wasm_spec.load_known_issues(engine.spec_known_issues())
        assert len(issues) == 59
        assert {issue.category for issue in issues.values()} == {"unsupported", "known-bug", "flaky"}
    finally:
        engine.close()


def test_session_values_cross_bit_for_bit(wasmer_usable):
    """Signalling NaN payloads, negative zero, all-ones integers and null references come back
    unchanged (wasmtime-py and wasmer-python would turn floats into Python floats)."""
    import wasmtime
    from ispc_wasmer.engine import WasmerEngine as Engine

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

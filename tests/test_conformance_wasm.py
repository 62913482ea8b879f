"""The WebAssembly engine conformance suite: both shipped engines pass it, engines that break the
protocol fail a named check, and its embedded modules are exactly their WAT sources."""

from __future__ import annotations

import pytest
import wasmtime

from ispc_framework.conformance import wasm_engine
from ispc_framework._engines import HostFunction
from ispc_framework._errors import EngineUnavailable


@pytest.fixture(scope="module")
def wasmtime_engine():
    from ispc_wasmtime.engine import WasmtimeEngine

    engine = WasmtimeEngine()
    yield engine
    engine.close()


def failed(report) -> set[str]:
    return {check.name for check in report.checks if not check.passed}


@pytest.mark.parametrize("name", sorted(wasm_engine.WAT))
def test_embedded_modules_are_their_wat(name):
    assert set(wasm_engine.WASM) == set(wasm_engine.WAT)
    assert bytes(wasmtime.wat2wasm(wasm_engine.WAT[name])) == wasm_engine.WASM[name]


def test_capability_names_match_the_engines():
    """A misspelt capability would silently skip its checks: the names must be the engines'."""
    pytest.importorskip("ispc_wasmer", reason="ispc-wasmer is not installed here")
    from ispc_wasmer.engine import CAPABILITIES as WASMER, MISSING_CAPABILITIES
    from ispc_wasmtime.engine import CAPABILITIES as WASMTIME

    from ispc_framework.plugins import SPEC_TESTS

    # "spec-tests" switches on the spec suite (conformance.wasm_spec), not checks here.
    assert WASMTIME == wasm_engine.CAPABILITIES | {SPEC_TESTS}
    assert WASMER | MISSING_CAPABILITIES == wasm_engine.CAPABILITIES | {SPEC_TESTS}


def test_wasmtime_conforms_with_every_check_run(wasmtime_engine):
    report = wasm_engine.run(wasmtime_engine)
    assert report.ok, report.render()
    assert not report.skipped, report.render()


def test_wasmer_conforms():
    from ispc_wasmer.engine import WasmerEngine

    try:
        engine = WasmerEngine()
    except EngineUnavailable as exc:
        pytest.skip(f"wasmer is not usable here (run under .venv310): {exc.message}")
    try:
        report = wasm_engine.run(engine)
    finally:
        engine.close()
    assert report.ok, report.render()
    skipped = {c.name for c in report.skipped}
    assert not any(c.passed for c in report.skipped)   # a skipped check never counts as passed
    assert "an infinite loop runs out of gas" in skipped   # declared absent, so not demanded


class _Wrapper:
    """Delegates to a real engine; subclasses break one rule of the protocol."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name = f"broken-{inner.name}"

    def fingerprint(self) -> str:
        return self.inner.fingerprint()

    def capabilities(self) -> frozenset[str]:
        return self.inner.capabilities()

    def compile(self, code, host_functions):
        return self.inner.compile(code, host_functions)

    def execute(self, module, method, env, host_functions):
        return self.inner.execute(module, method, env, host_functions)


class SwallowingEngine(_Wrapper):
    """Turns every host failure into a 0 result, so the guest runs on."""

    def execute(self, module, method, env, host_functions):
        def swallow(fn: HostFunction) -> HostFunction:
            def handler(env, *args):
                try:
                    return fn.handler(env, *args)
                except Exception:
                    return 0 if fn.results else None
            return HostFunction(fn.module, fn.name, fn.params, fn.results, fn.gas, handler)
        return self.inner.execute(module, method, env, [swallow(f) for f in host_functions])


class SharedEnvEngine(_Wrapper):
    """Keeps the first HostEnv and hands it to every later run (the reference implementation's
    leak: state registered once and shared by all executions)."""

    env = None

    def execute(self, module, method, env, host_functions):
        self.env = self.env or env
        return self.inner.execute(module, method, self.env, host_functions)


class SignedStatusEngine(_Wrapper):
    """Reports the status as a signed i32."""

    def execute(self, module, method, env, host_functions):
        outcome = self.inner.execute(module, method, env, host_functions)
        status = outcome.status - (1 << 32) if outcome.status >> 31 else outcome.status
        return type(outcome)(status=status, fuel_used=outcome.fuel_used)


@pytest.mark.parametrize("broken, must_fail", [
    (SwallowingEngine, {"a host ISPCError passes through unchanged",
                        "other host failures become HostCallFailed"}),
    (SharedEnvEngine, {"host functions get the run's HostEnv",
                       "each run sees only its own context"}),
    (SignedStatusEngine, {"i32/i64 values cross the boundary unsigned"}),
])
def test_a_broken_engine_fails_a_named_check(wasmtime_engine, broken, must_fail):
    report = wasm_engine.run(broken(wasmtime_engine))
    assert not report.ok
    assert must_fail <= failed(report), report.render()
    assert "FAIL" in report.render()

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

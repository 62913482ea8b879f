"""The run object and the plugin-object check, as an attacker's engine or factory would meet them."""

from __future__ import annotations

import hashlib

import pytest

from ispc_framework.plugins import (ContextError, ContextManager, EngineOutcome, EngineSpec,
                                    ExecutionError, ExecutionLimits, ExecutionRequest,
                                    PluginLoadError, PluginManager)
from ispc_framework.testing import DEFAULT_PINS, run_direct


class LyingEngine:
    """Reports more fuel than the budget allows: an engine that does not enforce its meter."""

    name = "liar"

    def fingerprint(self) -> str:
        return "liar-1"

    def capabilities(self) -> frozenset[str]:
        return frozenset({"metering", "timeout", "memory-limit"})

    def compile(self, code, host_functions):
        return code

    def execute(self, module, method, env, host_functions):
        return EngineOutcome(status=0, fuel_used=env.ctx.limits.fuel + 1)


def test_fuel_reported_above_the_budget_is_a_typed_error_and_no_draft():
    result = run_direct(LyingEngine(), b"", "run", (), limits=ExecutionLimits(fuel=1000))
    assert not result.ok and result.draft is None
    assert isinstance(result.error, ExecutionError) and result.error.code == "gas-over-budget"


def test_a_run_begins_once_and_finishes_only_after_it_began():
    request = ExecutionRequest(hashlib.sha256(b"x").digest(), "run")
    with ContextManager().open(request, DEFAULT_PINS) as ctx:
        with pytest.raises(ContextError) as info:
            ctx.finish(status=0)
        assert info.value.code == "run-not-begun"
        ctx.begin("run")
        with pytest.raises(ContextError) as info:
            ctx.begin("run")
        assert info.value.code == "run-already-begun"
        assert ctx.finish(status=0).trace_root == ctx.trace.root


class NotAnEngine:
    name = "half"

    def fingerprint(self) -> str:
        return "half-1"


def test_a_factory_returning_an_object_without_the_protocol_is_refused_by_name():
    spec = EngineSpec(name="half", runtime="wasm", factory="tests_run_object_factory:make")
    import sys
    import types

    module = types.ModuleType("tests_run_object_factory")
    module.make = lambda settings: NotAnEngine()
    sys.modules[module.__name__] = module
    try:
        with pytest.raises(PluginLoadError) as info:
            PluginManager(autoload=False, environ={}).create(spec)
    finally:
        del sys.modules[module.__name__]
    assert info.value.code == "plugin-protocol-mismatch"
    assert "capabilities" in info.value.message and "execute" in info.value.message

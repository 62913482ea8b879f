"""Execution wrappers only observe a run; misspelt hooks and misreporting engines are refused.

Attacker's view: a plugin on the node tries to turn a failed, unauthorised mint into a success,
swallow an engine error, write into the run's draft, or break the run with an exception."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from ispc_framework import (Coordinator, ExecutionRequest, MemoryRepository, ResourceCategory,
                            ResourceOutput, SealedDraft, TxOutput, load_config)
from ispc_framework._engines import EngineOutcome
from ispc_framework._errors import (ContractFailed, ExecutionError, OutOfGas, PluginError,
                                   PluginLoadError)
from ispc_framework._model import AssetOutput, NativeCoin
from ispc_framework._signing import devnet_key
from ispc_framework._transaction import sign_request
from ispc_framework.plugins import EngineSpec, HookSpec, Setting, hookimpl
from ispc_framework._repository import genesis_hash_of

REPO = Path(__file__).resolve().parents[1]
TOKEN = REPO / "examples" / "contracts" / "build" / "token_c.wasm"
ALICE_KEY, BOB_KEY = devnet_key("alice"), devnet_key("bob")   # alice owns the example token
ALICE, BOB = ALICE_KEY.public_key, BOB_KEY.public_key

pytestmark = pytest.mark.skipif(not TOKEN.is_file(), reason="run examples/contracts/build.sh")


def make(**overrides):
    config = load_config(overrides=overrides, search_cwd=False, environ={})
    repository = MemoryRepository()
    coordinator = Coordinator(config, repository=repository)
    writer = repository.writer()
    writer.create_genesis("test", 1000, [TxOutput(ALICE, asset=AssetOutput(NativeCoin(), 50))])
    content = TOKEN.read_bytes()
    key = writer.store_resource(content)
    writer.apply(SealedDraft((), (TxOutput(ALICE, resource=ResourceOutput(
        key, ResourceCategory.CONTRACT, "application/wasm", len(content), "token")),), ()))
    return coordinator, key


def mint(token, key=ALICE_KEY):
    """A signed mint of 500 (only the token's owner, alice, may mint)."""
    return sign_request(ExecutionRequest(token, "mint", struct.pack("<Q", 500)), [key],
                        chain_id="test", valid_until=2**64 - 1,
                        genesis_hash=genesis_hash_of("test", 1000, [
                            TxOutput(ALICE, asset=AssetOutput(NativeCoin(), 50))]))


class Replacer:
    """Turns every outcome into success: the unauthorised mint would become status 0."""

    @hookimpl(wrapper=True)
    def ispc_execution(self, request, context):
        yield
        return EngineOutcome(status=0, fuel_used=1)


class Swallower:
    @hookimpl(wrapper=True)
    def ispc_execution(self, request, context):
        try:
            return (yield)
        except OutOfGas:
            return EngineOutcome(status=0, fuel_used=0)


class DraftWriter:
    @hookimpl(wrapper=True)
    def ispc_execution(self, request, context):
        outcome = yield
        context.draft.add_output(TxOutput(BOB, asset=AssetOutput(NativeCoin(), 1)))
        return outcome


class Raiser:
    @hookimpl(wrapper=True)
    def ispc_execution(self, request, context):
        yield
        raise KeyError("metrics backend down")


class OldStyleForcer:
    @hookimpl(hookwrapper=True)
    def ispc_execution(self, request, context):
        outcome = yield
        outcome.force_result(EngineOutcome(status=0, fuel_used=0))


class Observer:
    def __init__(self):
        self.seen = []

    @hookimpl(wrapper=True)
    def ispc_execution(self, request, context):
        try:
            outcome = yield
        except Exception as exc:
            self.seen.append(type(exc).__name__)
            raise
        self.seen.append(outcome.status)
        return outcome


def test_a_wrapper_cannot_turn_a_failed_mint_into_success():
    coordinator, token = make()
    coordinator.plugins.register(Replacer(), name="replacer")
    with pytest.raises(PluginError) as info:
        coordinator.execute(mint(token, key=BOB_KEY), prove=False)
    assert info.value.code == "hook-replaced-outcome"
    assert "'replacer'" in info.value.message and info.value.details["plugin"] == "replacer"


def test_a_wrapper_cannot_swallow_the_engines_error():
    coordinator, token = make(**{"limits.fuel": "2000"})
    coordinator.plugins.register(Swallower(), name="swallower")
    with pytest.raises(PluginError, match="swallowed the run's OutOfGas") as info:
        coordinator.execute(mint(token), prove=False)
    assert info.value.code == "hook-replaced-outcome"


@pytest.mark.parametrize("plugin, code", [(DraftWriter(), "hook-altered-context"),
                                          (Raiser(), "hook-failed"),
                                          (OldStyleForcer(), "hook-replaced-outcome")])
def test_wrapper_misbehaviour_is_a_typed_error_naming_the_plugin(plugin, code):
    coordinator, token = make()
    coordinator.plugins.register(plugin, name="bad-wrapper")
    with pytest.raises(PluginError) as info:
        coordinator.execute(mint(token), prove=False)
    assert info.value.code == code and "'bad-wrapper'" in info.value.message


def test_an_observing_wrapper_sees_results_and_errors_unchanged():
    coordinator, token = make()
    observer = Observer()
    coordinator.plugins.register(observer)
    result = coordinator.execute(mint(token), prove=False)
    assert result.status == 0
    with pytest.raises(ContractFailed):
        coordinator.execute(mint(token, key=BOB_KEY), prove=False)
    assert observer.seen == [0, 2]


class Misspelt:
    @hookimpl
    def ispc_register_tracesinks(self):
        return []


def test_a_misspelt_hook_is_refused_with_the_right_name():
    coordinator, _ = make()
    with pytest.raises(PluginLoadError) as info:
        coordinator.plugins.register(Misspelt(), name="typo")
    assert info.value.code == "plugin-unknown-hook"
    assert "did you mean ispc_register_trace_sinks" in info.value.message
    assert coordinator.plugins.pm.get_plugin("typo") is None


class GreedyEngine:
    """Delegates to wasmtime but claims more fuel than the budget allowed."""

    def __init__(self, settings):
        from ispc_wasmtime.engine import WasmtimeEngine

        self.inner = WasmtimeEngine()
        self.name = "greedy"

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def execute(self, module, method, env, functions):
        outcome = self.inner.execute(module, method, env, functions)
        return EngineOutcome(outcome.status, env.ctx.limits.fuel + 1)


class GreedyPlugin:
    @hookimpl
    def ispc_register_engines(self):
        return [EngineSpec(name="greedy", runtime="wasm",
                           factory="test_execution_hooks:GreedyEngine",
                           capabilities=["metering", "memory-limit", "timeout", "stack-limit"])]


def test_gas_reported_above_the_budget_is_a_typed_engine_error():
    coordinator, token = make(**{"engine.wasm.name": "greedy"})
    coordinator.plugins.register(GreedyPlugin(), name="greedy-plugin")
    with pytest.raises(ExecutionError) as info:
        coordinator.execute(mint(token), prove=False)
    assert info.value.code == "gas-over-budget" and "'greedy'" in info.value.message


class AuditPlugin:
    @hookimpl
    def ispc_register_hooks(self):
        return [HookSpec(name="audit", description="audit log",
                         settings=[Setting("level", "int", 1, "how much to log")])]


def test_a_hook_only_plugin_declares_settings_that_are_validated():
    from ispc_framework._doctor import run_checks
    from ispc_framework._errors import ConfigError
    from ispc_framework.plugins import PluginManager

    config = load_config(overrides={"plugin.audit.level": "loud"}, search_cwd=False, environ={})
    plugins = PluginManager(autoload=False)
    plugins.register(AuditPlugin(), name="audit-plugin")
    (spec,) = [r.spec for r in plugins.records() if r.kind == "hooks"]
    with pytest.raises(ConfigError, match="level must be int"):
        config.plugin_settings(spec)
    checks = run_checks(config, plugins)
    assert any(c.level == "error" and c.subject == "[plugin.audit]" for c in checks)
    # the hook plugin's table is known (other selected kinds may be missing in this bare manager)
    assert not any("not installed" in c.message for c in checks if "audit" in c.subject)
    good = load_config(overrides={"plugin.audit.level": "3"}, search_cwd=False, environ={})
    assert good.plugin_settings(spec) == {"level": 3}


def test_doctor_builds_the_selected_engine_and_uses_its_capabilities():
    import sys

    from ispc_framework._doctor import run_checks
    from ispc_framework.plugins import PluginManager

    if sys.version_info < (3, 11):
        pytest.skip("wasmer runs on 3.10; this checks the refusal on newer Pythons")
    pytest.importorskip("ispc_wasmer")
    config = load_config(overrides={"engine.wasm.name": "wasmer",
                                    "engine.wasm.allow_unbounded": "true"},
                         search_cwd=False, environ={})
    checks = run_checks(config, PluginManager.from_config(config))
    (engine,) = [c for c in checks if c.subject.startswith("engine.wasm.name")]
    assert engine.level == "error" and engine.code == "engine-unavailable", engine

"""In-process checks of the plugin manager beside the real-distribution tests: the historic
configure hook, hook tracing, and selection errors for the installed plugins."""

from __future__ import annotations

import logging
import sys

import pytest

from ispc_framework import Coordinator, MemoryRepository, load_config
from ispc_framework._errors import PluginError, PluginNotFound
from ispc_framework.plugins import PluginManager, hookimpl


class Configured:
    def __init__(self):
        self.config = None

    @hookimpl
    def ispc_configure(self, config):
        self.config = config


def test_configure_is_historic_so_late_plugins_get_the_config_too():
    config = load_config(environ={}, search_cwd=False)
    coordinator = Coordinator(config, repository=MemoryRepository())
    late = Configured()
    coordinator.plugins.register(late)  # registered after the coordinator called the hook
    assert late.config is config


def test_trace_hooks_switch_logs_hook_calls(caplog):
    manager = PluginManager(trace_hooks=True, environ={})
    manager.records()
    with caplog.at_level(logging.INFO, logger="ispc.plugins"):
        manager.hook.ispc_configure.call_historic(kwargs={"config": None})
    assert any("ispc_configure" in record.getMessage() for record in caplog.records)


def test_select_names_the_alternatives():
    manager = PluginManager(environ={})
    with pytest.raises(PluginNotFound) as info:
        manager.select("engine", "wasmtim", "wasm")
    assert "Available: " in info.value.message and "wasmtime" in info.value.message
    # a typo gets did-you-mean among the installed ones, not `pip install ispc-wasmtim`
    assert info.value.hint.startswith("did you mean 'wasmtime'?")
    with pytest.raises(PluginNotFound) as info:
        manager.select("engine", "quantum", "wasm")  # nothing close: where to get it
    assert info.value.hint == "pip install ispc-quantum"
    with pytest.raises(PluginError, match="unknown plugin kind"):
        manager.select("gadget", "x")


def test_an_engine_that_cannot_bound_contracts_is_refused_unless_allowed():
    from ispc_framework._doctor import run_checks
    from ispc_framework.plugins import EngineUnavailable

    try:   # doctor builds the engine: where wasmer cannot run, that is the error it reports
        from ispc_wasmer.engine import WasmerEngine

        WasmerEngine().close()
        usable = True
    except (ImportError, EngineUnavailable):
        usable = False
    manager = PluginManager(environ={})
    config = load_config(overrides={"engine.wasm.name": "wasmer"}, environ={}, search_cwd=False)
    (check,) = [c for c in run_checks(config, manager) if c.subject.startswith("engine.wasm")]
    if not usable:
        assert check.level == "error" and check.code == "engine-unavailable"
        return
    assert check.level == "error" and check.code == "engine-unbounded"
    assert "metering" in check.message and "allow_unbounded" in check.hint
    allowed = load_config(overrides={"engine.wasm.name": "wasmer",
                                     "engine.wasm.allow_unbounded": "true"},
                          environ={}, search_cwd=False)
    checks = [c for c in run_checks(allowed, manager) if c.subject.startswith("engine.wasm")]
    # doctor also builds it: on Python 3.11+ wasmer cannot run, and doctor says so
    assert [(c.level, c.code) for c in checks] == ([("error", "engine-unavailable")]
                                                   if sys.version_info >= (3, 11) else
                                                   [("ok", "")])

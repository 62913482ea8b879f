"""Execution-hook conformance: a hook plugin's ``ispc_execution`` wrapper only observes a run.

The plugin object (its module, or its HookSpec factory's object) is registered alone in a fresh
plugin manager and called through the core's own wrapper driver
(:mod:`ispc_framework.plugins._execution_hook`) around real contexts: a succeeding run must come
back as the very same result, a failing run's error must come back unchanged, and the context
must not change. The core already refuses a wrapper that replaces the outcome, and turns a
wrapper's exception into a PluginError naming the plugin; these checks report which rule the
plugin breaks, before an operator installs it. As pytest tests: subclass
:class:`ExecutionHooksSuite` with a ``make_plugin`` fixture returning the hook object.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from .._context import ContextManager, ExecutionRequest
from .._engines import EngineOutcome
from .._encoding import encode
from .._errors import ContractFailed, OutOfGas, PluginError
from .._model import ChainPins
from ..plugins._execution_hook import call_execution_wrappers
from .suite import PluginSuite, add_checks

__all__ = ["CHECKS", "LEVELS", "ExecutionHooksSuite", "SUITE_VERSION"]

SUITE_VERSION = "1"
_PINS = ChainPins(height=3, timestamp=1_700_000_000, block_hash=b"\x33" * 32,
                  chain_id="ispc-conformance")


def _manager(plugin: Any) -> Any:
    from .._config import load_config
    from ..plugins._manager import PluginManager

    plugins = PluginManager(autoload=False, environ={})
    plugins.register(plugin, name="plugin-under-test")
    plugins.hook.ispc_configure.call_historic(
        kwargs={"config": load_config(search_cwd=False, environ={})})
    return plugins


def _around(plugin: Any, run: Callable[[Any], Any]) -> Any:
    """``run`` inside the plugin's wrappers, between the run object's ``begin`` and ``finish``,
    as the coordinator runs an engine."""
    plugins = _manager(plugin)
    request = ExecutionRequest(b"\x11" * 32, "conformance")
    with ContextManager().open(request, _PINS) as ctx:
        ctx.begin(request.method, request.input)
        got = call_execution_wrappers(plugins.hook.ispc_execution, request, ctx,
                                      lambda: run(ctx))
        try:
            if isinstance(got, EngineOutcome):
                ctx.finish(status=got.status, engine_fuel=got.fuel_used)
            elif isinstance(got, tuple):
                ctx.finish(result=encode(got))
        except ContractFailed:
            pass   # the suite's run answers with status 3; the run was sealed all the same
        return got


def _bind(plugin: Any) -> dict[str, Callable[[], None]]:
    def loads_cleanly():
        plugins = _manager(plugin)
        impls = plugins.hook.ispc_execution.get_hookimpls()
        assert impls, "the plugin implements no ispc_execution wrapper"
        assert all(i.wrapper or i.hookwrapper for i in impls), \
            "ispc_execution must be a wrapper (@hookimpl(wrapper=True))"

    def success_passes_through():
        def run(ctx: Any) -> EngineOutcome:
            ctx.set_return_data(b"conformance")
            ctx.charge(5)
            return outcome

        outcome = EngineOutcome(status=3, fuel_used=11)
        try:
            got = _around(plugin, run)
        except PluginError as exc:
            raise AssertionError(f"a run returning status 3: {exc.message} [{exc.code}]") from None
        assert got is outcome, f"the wrapper gave {got!r}, not the run's own result"

    def failure_passes_through():
        error = OutOfGas("conformance: out of gas", limit="fuel")

        def run(ctx: Any) -> Any:
            raise error

        try:
            _around(plugin, run)
        except OutOfGas as exc:
            assert exc is error, "the run's error was replaced by another OutOfGas"
            return
        except PluginError as exc:
            raise AssertionError(f"a run raising OutOfGas: {exc.message} [{exc.code}]") from None
        raise AssertionError("a run raising OutOfGas came back as a result (error swallowed)")

    def onnx_results_pass_through():
        outputs = ()
        try:
            got = _around(plugin, lambda ctx: outputs)
        except PluginError as exc:
            raise AssertionError(f"an ONNX run: {exc.message} [{exc.code}]") from None
        assert got is outputs, "the wrapper replaced an ONNX run's outputs"

    return {name: check for name, check in locals().items() if name in _IDS}


CHECKS: tuple[tuple[str, str, str | None], ...] = (
    ("loads_cleanly", "registers, configures, and ispc_execution is a wrapper", None),
    ("success_passes_through", "a successful run's result and context are unchanged", None),
    ("failure_passes_through", "a failing run's error comes back unchanged", None),
    ("onnx_results_pass_through", "an ONNX run's outputs are unchanged", None),
)
_IDS = {check for check, _title, _needs in CHECKS}
LEVELS: dict[str, tuple[str, ...]] = {}


class ExecutionHooksSuite(PluginSuite):
    """:data:`CHECKS` as pytest tests; ``make_plugin`` returns the object carrying the hooks."""

    suite = "hooks"
    suite_version = SUITE_VERSION

    @pytest.fixture
    def plugin(self, make_plugin: Callable[[], Any]) -> Any:
        return make_plugin()   # a module or hook object: nothing to close


add_checks(ExecutionHooksSuite, CHECKS, _bind)

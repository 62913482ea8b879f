"""HostABI provider conformance: each function matches its spec entry, and every call is
charged and traced by the core.

Each host function is called directly, as an engine would, with all-zero arguments against a
real context and chain view and a 64 KiB guest memory: a call that returns must leave exactly one
``call`` trace record naming the function and charge at least its declared gas (providers built
on the spec binding or on :func:`ispc_framework.plugins.traced_host_function` do both; a
hand-written handler that forgets is caught). Functions of an import module the HostABI spec
defines are compared with the spec entry (wasm signature, gas) and must return only the spec's
statuses. As pytest tests: subclass :class:`HostABIProviderSuite` with a ``make_plugin`` fixture.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._context import ContextManager, ExecutionRequest
from .._engines import HostEnv, HostFunction, MemoryAccessError
from .._errors import ISPCError, ValidationError
from .._repository import MemoryRepository
from .suite import PluginSuite, add_checks

__all__ = ["CHECKS", "LEVELS", "HostABIProviderSuite", "SUITE_VERSION"]

SUITE_VERSION = "1"


class _Memory:
    def __init__(self, size: int = 65536) -> None:
        self.data = bytearray(size)

    def size(self) -> int:
        return len(self.data)

    def read(self, ptr: int, length: int) -> bytes:
        if ptr < 0 or length < 0 or ptr + length > len(self.data):
            raise MemoryAccessError(f"read {ptr}+{length}")
        return bytes(self.data[ptr:ptr + length])

    def write(self, ptr: int, data: bytes) -> None:
        if ptr < 0 or ptr + len(data) > len(self.data):
            raise MemoryAccessError(f"write {ptr}+{len(data)}")
        self.data[ptr:ptr + len(data)] = data


def _spec_module(import_module: str) -> Any:
    from .._hostabi.spec import load_spec

    try:
        return load_spec().module(import_module)
    except (ValidationError, KeyError):
        return None


def _call(function: HostFunction, nonce: int = 0) -> tuple[Any, Any]:
    """Call one function with zero arguments in a fresh run, begun and finished through the run
    object as the coordinator does; (outcome or error, (trace records, host gas))."""
    repo = MemoryRepository()
    repo.writer().create_genesis("hostabi-conformance", 1, [])
    view = repo.view()
    contexts = ContextManager()
    with contexts.open(ExecutionRequest(b"\x11" * 32, "m", nonce=nonce), view.head()) as ctx:
        env = HostEnv(ctx, view, _Memory())
        ctx.begin("m", b"")
        try:
            value: Any = function.handler(env, *([0] * len(function.params)))
            ctx.finish(status=0, storage_view=view)
        except ISPCError as exc:
            value = exc
        return value, (ctx.trace.records, ctx.gas_used)


def _bind(provider: Any) -> dict[str, Callable[[], None]]:
    def functions() -> tuple[HostFunction, ...]:
        return tuple(provider.host_functions())

    def protocol_surface():
        assert isinstance(getattr(provider, "import_module", None), str), \
            "a provider needs import_module (str)"
        assert isinstance(getattr(provider, "abi_version", None), int), \
            "a provider needs abi_version (int)"
        found = functions()
        assert found, "host_functions() returned nothing"
        names = [f.name for f in found]
        assert len(set(names)) == len(names), "host_functions() offers a name twice"
        for function in found:
            assert isinstance(function, HostFunction), f"{function!r} is not a HostFunction"
            assert function.module == provider.import_module, \
                f"{function.name} is in module {function.module!r}, not the provider's " \
                f"{provider.import_module!r}"

    def matches_the_spec():
        module = _spec_module(provider.import_module)
        if module is None:
            import pytest

            pytest.skip(f"the HostABI spec has no module {provider.import_module!r}")
        for function in functions():
            entry = module.function(function.name)
            assert (function.params, function.results) == (entry.wasm_params,
                                                            entry.wasm_results), \
                f"{function.name}: signature {function.params}->{function.results}, the spec " \
                f"says {entry.wasm_params}->{entry.wasm_results}"
            assert function.gas == entry.gas, \
                f"{function.name}: gas {function.gas}, the spec says {entry.gas}"

    def every_call_traced_and_charged():
        for function in functions():
            value, (records, gas_used) = _call(function)
            if isinstance(value, ISPCError):
                continue   # a typed abort: the run is discarded, no record needed
            calls = [r for r in records if r.kind == "call"]
            qualified = f"{function.module}.{function.name}"
            assert len(calls) == 1 and calls[0].function == qualified, \
                f"{qualified}: the call left {len(calls)} trace records " \
                f"{[r.function for r in calls]}, expected one naming it (use the spec " \
                "binding or ispc_framework.plugins.traced_host_function)"
            assert gas_used >= function.gas, \
                f"{qualified}: charged {gas_used} gas, it declares {function.gas}"
            assert calls[0].gas_after == gas_used, \
                f"{qualified}: the trace says gas {calls[0].gas_after}, the context {gas_used}"

    def statuses_in_the_spec():
        module = _spec_module(provider.import_module)
        if module is None:
            import pytest

            pytest.skip(f"the HostABI spec has no module {provider.import_module!r}")
        from .._hostabi._bindings_v1 import Status

        for function in functions():
            entry = module.function(function.name)
            value, _ = _call(function)
            if isinstance(value, ISPCError) or entry.result != "status":
                continue
            allowed = {int(Status[name]) for name in entry.statuses}
            assert value in allowed, f"{function.name}: status {value} is not in the spec's " \
                f"{sorted(entry.statuses)}"

    def no_state_between_runs():
        for function in functions():
            first, second = _call(function, nonce=1), _call(function, nonce=1)
            assert repr(first) == repr(second), \
                f"{function.name}: two identical runs differ: the provider keeps state"

    return {name: check for name, check in locals().items() if name in _IDS}


CHECKS: tuple[tuple[str, str, str | None], ...] = (
    ("protocol_surface", "import_module, abi_version and HostFunctions of that module", None),
    ("matches_the_spec", "each function's signature and gas equal its spec entry", None),
    ("every_call_traced_and_charged", "every call leaves one trace record and charges gas",
     None),
    ("statuses_in_the_spec", "functions return only the spec's status codes", None),
    ("no_state_between_runs", "identical runs give identical results", None),
)
_IDS = {check for check, _title, _needs in CHECKS}
LEVELS: dict[str, tuple[str, ...]] = {
    "replayable": ("every_call_traced_and_charged", "no_state_between_runs"),
}


class HostABIProviderSuite(PluginSuite):
    """:data:`CHECKS` as pytest tests; ``make_plugin`` builds the provider."""

    suite = "hostabi"
    suite_version = SUITE_VERSION


add_checks(HostABIProviderSuite, CHECKS, _bind)

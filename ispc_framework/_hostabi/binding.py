"""Turn a spec'd function and its implementation into an engine-neutral HostFunction.

Every host call goes through the handler :func:`bind` generates for its function
(:mod:`.specialise`), which does what the spec promises for all functions: normalise wasm
arguments, charge gas, decode parameters from guest memory with bounds and size checks, check
output ranges *before* the implementation runs (so a call with an effect can no longer fail
half-way), write outputs, and append the trace record.

An implementation is ``impl(env, *inputs)``: one Python value per input parameter (bytes for
``bytes``/``fixed``, int for ``u32``/``u64``, bool for ``bool``, the requested length for
``out_fill``). It returns the function's value (value-returning functions) or a tuple with one
value per output parameter, and raises :class:`GuestError` to report a status to the contract.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .._engines import HostFunction
from .._errors import HostCallFailed
from .spec import Function, Module
from .specialise import ACCESS_KEY, make_handler

__all__ = ["bind", "bind_module", "Impl", "SpecProvider", "ACCESS_KEY"]

Impl = Callable[..., Any]
_OK = 0   # the spec's OK status (checked against the generated table when a module is bound)


def bind(fn: Function, impl: Impl, statuses: Any) -> HostFunction:
    """The HostFunction for ``fn``; ``statuses`` is the generated Status enum. Its handler is
    generated for ``fn`` once, here (:mod:`.specialise`): everything that depends only on the
    spec is worked out now, the per-call path allocates no model objects (the record goes
    straight into the trace)."""
    handler = make_handler(fn, impl, statuses)
    return HostFunction(fn.module, fn.name, fn.wasm_params, fn.wasm_results, fn.gas, handler)


def bind_module(module: Module, impls: Mapping[str, Impl], statuses: Any) -> tuple[HostFunction, ...]:
    """Bind every function of ``module``; the implementations must match the spec exactly."""
    spec_names = {fn.name for fn in module.functions}
    missing, extra = spec_names - set(impls), set(impls) - spec_names
    if missing or extra:
        raise HostCallFailed(f"provider {module.import_module}: implementations do not match the "
                             f"spec (missing {sorted(missing)}, unspecified {sorted(extra)})")
    if int(statuses.OK) != _OK:
        raise HostCallFailed(f"status table of {module.import_module}: OK is {int(statuses.OK)}")
    return tuple(bind(fn, impls[fn.name], statuses) for fn in module.functions)


class SpecProvider:
    """A provider whose functions are one module of the spec bound to Python implementations.
    Stateless (per-run state lives in HostEnv), so one object serves any number of runs; the
    functions are bound once, on first use."""

    import_module: str = ""
    implementations: Mapping[str, Impl] = {}

    def __init__(self, config: Any = None) -> None:
        self._functions: tuple[HostFunction, ...] | None = None

    @property
    def abi_version(self) -> int:
        from ._bindings_v1 import ABI_VERSION

        return ABI_VERSION

    def host_functions(self) -> tuple[HostFunction, ...]:
        if self._functions is None:
            from ._bindings_v1 import Status
            from .spec import load_spec

            module = load_spec().module(self.import_module)
            self._functions = bind_module(module, self.implementations, Status)
        return self._functions

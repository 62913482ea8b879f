"""``traced_host_function``: the one way to write a host function outside the HostABI spec.

A host function whose handler does not charge gas and append its trace record makes results
that cannot be replayed or audited, and nothing would notice. Spec-driven providers get both
from :func:`ispc_framework._hostabi.binding.bind`; this helper gives the same to a hand-written
function: the author writes ``impl(env, *args) -> value`` with plain unsigned ints, the helper
checks the arguments, charges ``gas`` before the work, runs ``impl``, checks the result, and
appends one ``call`` record (canonical arguments and result, gas before and after). The HostABI
conformance suite fails any provider whose calls leave no record or charge nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._encoding import encode
from .._engines import HostEnv, HostFunction
from .._errors import HostCallFailed, ISPCError

__all__ = ["traced_host_function"]

_MASKS = {"i32": (1 << 32) - 1, "i64": (1 << 64) - 1}


def traced_host_function(module: str, name: str, params: tuple[str, ...],
                         results: tuple[str, ...], gas: int,
                         impl: Callable[..., Any]) -> HostFunction:
    """A HostFunction calling ``impl(env, *unsigned_args)``, charged and traced by the core."""
    if isinstance(gas, bool) or not isinstance(gas, int) or gas < 0:
        raise ValueError(f"{module}.{name}: gas must be a non-negative int, got {gas!r}")
    masks = tuple(_MASKS[t] if t in _MASKS else 0 for t in params)
    qualified = f"{module}.{name}"

    def handler(env: HostEnv, *wasm_args: Any) -> Any:
        if len(wasm_args) != len(params) or not all(
                isinstance(a, int) and not isinstance(a, bool) for a in wasm_args):
            raise HostCallFailed(f"{qualified}: engine passed {wasm_args!r:.80}, expected "
                                 f"{len(params)} integers", function=qualified)
        args = [a & m if m else a for a, m in zip(wasm_args, masks)]
        ctx = env.ctx
        gas_before = ctx.gas_used
        ctx.charge(gas)
        try:
            value = impl(env, *args)
        except ISPCError:
            raise
        except Exception as exc:  # a host bug ends the run with a typed error naming it
            raise HostCallFailed(f"{qualified}: {type(exc).__name__}: {exc}",
                                 function=qualified) from exc
        if results and (isinstance(value, bool) or not isinstance(value, int)):
            raise HostCallFailed(f"{qualified} returned {value!r:.40}, expected an int",
                                 function=qualified)
        if not results and value is not None:
            raise HostCallFailed(f"{qualified} returned {value!r:.40} but declares no result",
                                 function=qualified)
        ctx.trace.append("call", qualified, encode(args), encode(value), 0, gas_before,
                         ctx.gas_used)
        return value

    handler.__name__ = f"traced_{module.replace('.', '_')}_{name}"
    return HostFunction(module, name, params, results, gas, handler)

"""The engine seam: what a WebAssembly or ONNX engine plugin provides, and the host-function
descriptors engines bind generically.

A host function is data (:class:`HostFunction`): import module and name, wasm signature, gas cost
and a handler. Engines never hard-code the HostABI: they bind whatever descriptors the selected
HostABI providers contribute. The handler receives a :class:`HostEnv` on every call, created per
execution and never captured at registration time, so no run can see another run's draft.

Calling convention (HostABI v1): a contract method is an export of type ``() -> i32``; the i32 is
the contract's status (0 = success). Input and return data go through host functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs

from ._context import ExecutionContext
from ._limits import ExecutionLimits
from ._model import Tensor

if TYPE_CHECKING:  # for the annotation only: an engine plugin imports this module, not the repository's
    from ._repository import ChainView

__all__ = [
    "WASM_VALUE_TYPES",
    "BOUNDING_CAPABILITIES",
    "check_bounded",
    "check_outcome",
    "GuestMemory",
    "HostEnv",
    "HostFunction",
    "EngineOutcome",
    "WasmEngine",
    "OnnxEngine",
    "MemoryAccessError",
]

WASM_VALUE_TYPES = ("i32", "i64")


#: What an engine must declare to run untrusted contracts: without them one contract can spin
#: forever, hold the process or take all memory (wasmer-python has none of them).
BOUNDING_CAPABILITIES = frozenset({"metering", "timeout", "memory-limit"})


def check_bounded(name: str, capabilities: frozenset[str] | set[str], allow_unbounded: bool) -> None:
    """Raise PluginError unless the engine enforces every bound, or the operator opted out."""
    missing = BOUNDING_CAPABILITIES - set(capabilities)
    if missing and not allow_unbounded:
        from ._errors import PluginError

        raise PluginError(
            f"wasm engine {name!r} cannot bound untrusted contracts: it lacks "
            f"{', '.join(sorted(missing))}", code="engine-unbounded", engine=name)


class MemoryAccessError(Exception):
    """A guest pointer range is outside linear memory. Host functions turn it into a status code;
    it never escapes to the engine (internal, so not an ISPCError)."""


@runtime_checkable
class GuestMemory(Protocol):
    """Bounds-checked access to the guest's linear memory, provided by the engine per call.

    An engine may also give it a ``buffer()`` method returning the whole linear memory as a
    writable memoryview, valid until the host call returns: the HostABI handlers then slice it
    directly (checking every range themselves) instead of calling ``read`` and ``write``."""

    def size(self) -> int: ...
    def read(self, ptr: int, length: int) -> bytes: ...
    def write(self, ptr: int, data: bytes) -> None: ...


class HostEnv:
    """Per-execution environment passed to every host call: the context, the read-only chain view
    and the guest memory (bound by the engine after instantiation)."""

    __slots__ = ("ctx", "view", "memory", "extra")

    def __init__(self, ctx: ExecutionContext, view: ChainView,
                 memory: GuestMemory | None = None) -> None:
        self.ctx = ctx
        self.view = view
        self.memory = memory
        self.extra: dict[str, Any] = {}  # per-run scratch for providers (e.g. a random stream)


def _str_tuple(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)  # a typed converter (see _model._bytes_tuple)


@attrs.frozen
class HostFunction:
    """One importable host function. ``handler(env, *wasm_args)`` returns the wasm result (or
    None for no result); raising an ISPCError aborts the run with that error."""

    module: str
    name: str
    params: tuple[str, ...] = attrs.field(converter=_str_tuple)
    results: tuple[str, ...] = attrs.field(converter=_str_tuple)
    gas: int
    handler: Callable[..., Any] = attrs.field(eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        for value_type in self.params + self.results:
            if value_type not in WASM_VALUE_TYPES:
                raise ValueError(f"{self.module}.{self.name}: unsupported wasm type {value_type!r}")
        if len(self.results) > 1:
            raise ValueError(f"{self.module}.{self.name}: at most one result")


@attrs.frozen
class EngineOutcome:
    """What an engine reports for one call: the contract's status and the engine fuel it used
    (0 for engines without metering)."""

    status: int
    fuel_used: int


def check_outcome(engine: str, outcome: Any) -> EngineOutcome:
    """An engine's report is checked, not trusted: an EngineOutcome whose fuel is a count and
    whose status is a u32 (fuel plus host gas above the budget is refused by
    ``ExecutionContext.finish``: ``gas-over-budget``). The coordinator and the conformance suite
    both call it right after ``execute``."""
    if type(outcome) is EngineOutcome and type(outcome.fuel_used) is int \
            and type(outcome.status) is int and outcome.fuel_used >= 0 \
            and 0 <= outcome.status < 2**32:
        return outcome  # the usual case, decided without building the errors' text
    from ._errors import PluginError

    hint = f"the engine breaks its protocol; run `ispc conformance {engine}`"
    if not isinstance(outcome, EngineOutcome):
        raise PluginError(f"engine {engine!r} returned {type(outcome).__name__}, not an "
                          f"EngineOutcome", code="engine-result-invalid", plugin=engine, hint=hint)
    fuel, status = outcome.fuel_used, outcome.status
    if isinstance(fuel, bool) or not isinstance(fuel, int) or fuel < 0:
        raise PluginError(f"engine {engine!r} reported {fuel!r} fuel used, not a count",
                          code="engine-result-invalid", plugin=engine, hint=hint)
    if isinstance(status, bool) or not isinstance(status, int) or not 0 <= status < 2**32:
        raise PluginError(f"engine {engine!r} reported status {status!r}, not a u32",
                          code="engine-result-invalid", plugin=engine, hint=hint)
    return outcome


@runtime_checkable
class WasmEngine(Protocol):
    """A WebAssembly engine plugin object (see docs/plugin-authors.md)."""

    name: str

    def fingerprint(self) -> str:
        """Everything about the engine that can change a result (version, config digest)."""

    def capabilities(self) -> frozenset[str]:
        """E.g. {"metering", "memory-limit", "nan-canonicalization", "timeout", "stack-limit"}."""

    def compile(self, code: bytes, host_functions: Sequence[HostFunction]) -> Any:
        """Validate and compile; raise ModuleRejected naming the problem (malformed bytes, an
        import no selected provider offers, a missing ``memory`` export, a start function, a
        disallowed feature). Returns an engine-specific compiled module (cacheable)."""

    def execute(self, module: Any, method: str, env: HostEnv,
                host_functions: Sequence[HostFunction]) -> EngineOutcome:
        """Run export ``method`` (``() -> i32``) under ``env.ctx.limits``; raise OutOfGas,
        StackExhausted, MemoryLimitExceeded, Timeout, Trap or the host's ISPCError."""


@runtime_checkable
class OnnxEngine(Protocol):
    """An ONNX engine plugin object."""

    name: str

    def fingerprint(self) -> str: ...
    def capabilities(self) -> frozenset[str]: ...
    def prepare(self, model_bytes: bytes, limits: ExecutionLimits | None = None) -> Any:
        """Load through the safe loader (ispc_framework._onnx_safety) and cache a session."""
    def run(self, prepared: Any, inputs: Sequence[Tensor],
            limits: ExecutionLimits | None = None) -> tuple[Tensor, ...]: ...

"""The optional "spec-tests" engine protocol: raw WebAssembly module work, for running the
official specification test suite (:mod:`ispc_framework.conformance.wasm_spec`) against an engine.

A contract engine (:class:`ispc_framework._engines.WasmEngine`) only compiles contracts that follow
the deploy rules and runs ``() -> i32`` methods with HostABI imports. The spec suite needs more:
arbitrary modules, imports between modules, typed arguments and results, globals. An engine that
declares the capability :data:`SPEC_TESTS` also provides :class:`SpecTestEngine`'s two methods,
and the sessions they return run modules **under the same deterministic configuration the engine
uses for contracts** (NaN canonicalisation, switched-off proposals, stack limit, fuel, memory cap),
so the suite's results say something about the contract engine. The contract deploy rules
(memory export, no start function, one table, ...) are policy, not engine behaviour, and are not
applied here.

Values cross this protocol as :class:`WasmValue`: numbers as unsigned bit patterns (so NaN
payloads survive), references as ``None`` (null) or an int: for ``externref`` the host value the
caller chose (it must come back unchanged), for ``funcref`` an opaque non-null token.

Errors are the core's: :class:`~ispc_framework._errors.ModuleRejected` for a module that does not
decode or validate (code :data:`INVALID`) or whose imports cannot be satisfied (code
:data:`UNLINKABLE`), :class:`~ispc_framework._errors.Trap` for a trap (also a trap during
instantiation: a start function, a segment out of bounds), and
:class:`~ispc_framework._errors.StackExhausted`, :class:`~ispc_framework._errors.OutOfGas`,
:class:`~ispc_framework._errors.Timeout`, :class:`~ispc_framework._errors.MemoryLimitExceeded` for
the bounds. Anything else an engine raises is a bug the runner reports as such.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import attrs

from ._limits import ExecutionLimits

__all__ = ["SPEC_TESTS", "SPEC_VALUE_TYPES", "INVALID", "UNLINKABLE", "WasmValue", "SpecSession",
           "SpecTestEngine", "supports_spec_tests"]

#: The capability an engine declares when it implements :class:`SpecTestEngine`.
SPEC_TESTS = "spec-tests"
SPEC_VALUE_TYPES = ("i32", "i64", "f32", "f64", "funcref", "externref")
#: ModuleRejected codes a session uses: the module is malformed or invalid / cannot be linked.
INVALID = "invalid-module"
UNLINKABLE = "unlinkable"

_WIDTH = {"i32": 32, "i64": 64, "f32": 32, "f64": 64}


def _check_bits(instance: WasmValue, attribute: Any, bits: int | None) -> None:
    width = _WIDTH.get(instance.type)
    if width is not None:
        if isinstance(bits, bool) or not isinstance(bits, int) or not 0 <= bits < 1 << width:
            raise ValueError(f"{instance.type} bits must be an int in [0, 2^{width}), got {bits!r}")
    elif bits is not None and (isinstance(bits, bool) or not isinstance(bits, int)):
        raise ValueError(f"{instance.type} must be None (null) or an int, got {bits!r}")


@attrs.frozen
class WasmValue:
    """One wasm value: ``type`` is one of :data:`SPEC_VALUE_TYPES`; ``bits`` the unsigned bit
    pattern of a number, or ``None``/an int for a reference (see the module docstring)."""

    type: str = attrs.field(validator=attrs.validators.in_(SPEC_VALUE_TYPES))
    bits: int | None = attrs.field(validator=_check_bits)

    def __str__(self) -> str:
        if self.type in _WIDTH:
            return f"{self.type}:0x{self.bits:0{_WIDTH[self.type] // 4}x}"
        return f"{self.type}:{'null' if self.bits is None else self.bits}"


@runtime_checkable
class SpecSession(Protocol):
    """One store: the modules of one spec script, instantiated and linked with each other.

    Not thread-safe; one session per script. ``limits`` (given when the session was opened) bound
    every instantiation and invocation separately: fresh fuel and a fresh deadline each time.
    """

    def compile(self, code: bytes) -> Any:
        """Decode and validate under the engine's feature set; ModuleRejected(code=INVALID)."""

    def instantiate(self, module: Any) -> Any:
        """Instantiate a compiled module, resolving each import ``(module, name)`` against the
        instances registered under ``module``. ModuleRejected(code=UNLINKABLE) if an import is
        missing or has the wrong type; Trap if instantiation traps. Returns an instance handle."""

    def register(self, name: str, instance: Any) -> None:
        """Make ``instance``'s exports importable under module name ``name`` (later wins)."""

    def invoke(self, instance: Any, export: str, args: Sequence[WasmValue]) -> tuple[WasmValue, ...]:
        """Call exported function ``export`` with typed arguments; return its typed results."""

    def get_global(self, instance: Any, export: str) -> WasmValue:
        """The current value of exported global ``export``."""

    def close(self) -> None:
        """Release the store and everything in it."""


@runtime_checkable
class SpecTestEngine(Protocol):
    """What an engine declaring :data:`SPEC_TESTS` provides besides the WasmEngine surface."""

    def spec_session(self, limits: ExecutionLimits) -> SpecSession:
        """A fresh session using the engine's contract configuration and these limits."""

    def spec_known_issues(self) -> Path | None:
        """The engine's known-issues file for the spec suite (JSON, see docs/conformance.md), or
        None if every command must pass."""


def supports_spec_tests(engine: Any) -> bool:
    capabilities = getattr(engine, "capabilities", None)
    return callable(capabilities) and SPEC_TESTS in capabilities() \
        and isinstance(engine, SpecTestEngine)

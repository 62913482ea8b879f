"""ExecutionContext (everything one run may see, pinned) and ContextManager (their lifecycle).

A context is created for exactly one execution and destroyed after it; nothing is pooled or
reused, so no state can leak from one run into the next. The values a contract can observe
(block height, timestamp, block hash, chain id, caller, contract address, transaction id) are
fixed at creation from the repository's head; no wall clock and no randomness reach the guest.
"""

from __future__ import annotations

import functools
import itertools
import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import attrs

from ._authorization import Spender
from ._draft import TransactionDraft
from ._encoding import Encoded, digest, encode, map_encoder
from ._errors import (ContextError, ContractFailed, ExecutionError, LimitExceeded, OutOfGas,
                     ValidationError)
from ._limits import ExecutionLimits
from ._state import seal_run_draft
from ._model import (ADDRESS_LEN, HASH_LEN, MAX_U64, ChainPins, Memoised, OutPoint, SealedDraft,
                     Tensor, _plain_bytes)
from ._trace import TRACE_VERSION, ExecutionTrace

__all__ = ["ChainPins", "ExecutionRequest", "ExecutionContext", "ContextManager", "ContextStats",
           "RunSeal"]

log = logging.getLogger(__name__)

ZERO_ADDRESS = bytes(ADDRESS_LEN)


def _bytes_len(length: int) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if type(value) is not bytes or len(value) != length:  # no subclass: see _plain_bytes
            raise ValidationError(f"{type(instance).__name__}.{attribute.name}",
                                  f"expected {length} bytes, got {value!r:.40}")
    return check


def _u64(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_U64:
        raise ValidationError(f"{type(instance).__name__}.{attribute.name}",
                              f"expected an integer in [0, 2^64), got {value!r}")


def _by_name(tensors: Iterable[Tensor]) -> tuple[Tensor, ...]:
    """Model inputs are a set keyed by name: keep them sorted so order never changes a hash."""
    ordered = tuple(sorted(tensors, key=lambda tensor: getattr(tensor, "name", "")))
    for tensor in ordered:
        if not isinstance(tensor, Tensor):
            raise ValidationError("ExecutionRequest.tensors", f"expected Tensor, got "
                                  f"{type(tensor).__name__}")
    names = [tensor.name for tensor in ordered]
    if len(set(names)) != len(names):
        raise ValidationError("ExecutionRequest.tensors", "two inputs have the same name")
    return ordered


@attrs.frozen
class ExecutionRequest(Memoised):
    """What to run: a resource (contract code or model) by content hash, a method and its input.

    ``input`` is the call input of a contract; ``tensors`` the inputs of a model. ``nonce`` lets one
    caller make otherwise identical requests against the same block with distinct transaction ids.
    """

    resource_hash: bytes = attrs.field(validator=_bytes_len(HASH_LEN))
    method: str = attrs.field(validator=attrs.validators.instance_of(str))
    input: bytes = attrs.field(default=b"", validator=_plain_bytes)
    caller: bytes = attrs.field(default=ZERO_ADDRESS, validator=_bytes_len(ADDRESS_LEN))
    tensors: tuple[Tensor, ...] = attrs.field(default=(), converter=_by_name)
    nonce: int = attrs.field(default=0, validator=_u64)



@functools.lru_cache(maxsize=64)
def _limits_for_trace(limits: ExecutionLimits) -> Encoded:
    """The limits that can change a result, as integers (the timeout is wall-clock, so excluded).
    Cached: a node runs many executions under the same few limit sets."""
    return Encoded(encode({f.name: int(getattr(limits, f.name))
                           for f in attrs.fields(ExecutionLimits) if f.name != "timeout_s"}))


#: the trace header's map (pins and request embed their kept encodings)
_TRACE_HEADER = map_encoder("version", "pins", "request", "contract", "transaction_id", "limits")


@attrs.frozen
class RunSeal:
    """What a finished run produced, sealed: the trace root, the draft (empty for a model), the
    contract's status (None for a model), the return data and the gas it used in all (engine fuel
    plus host gas)."""

    trace_root: bytes
    draft: SealedDraft
    status: int | None
    return_data: bytes
    gas_used: int


class ExecutionContext:
    """One execution: its pinned view, its private draft, trace and gas ledger, and the run's
    bookkeeping from :meth:`begin` to :meth:`finish`.

    Whoever runs an execution (the coordinator, :func:`ispc_framework.testing.run_direct`, the
    conformance suite) calls ``begin`` before the engine and ``finish`` after it, so the start and
    end records and the sealing are written in one place. Engines charge nothing themselves: host
    functions charge gas through :meth:`charge`, and an engine with a fuel meter mirrors it with
    :meth:`drain_host_gas`. Host functions receive the context on every call (never capture it).
    After :meth:`ContextManager.destroy` every accessor raises ContextError, so a stale reference
    cannot write into a finished run.
    """

    __slots__ = ("id", "request", "pins", "limits", "engine", "engine_fingerprint",
                 "contract_address", "transaction_id", "signers", "allowance", "created_at", "_draft",
                 "_trace", "_gas_used", "_gas_drained", "_return_data", "_logs", "_log_bytes",
                 "_alive", "_function", "_spender", "__weakref__")

    def __init__(self, context_id: int, request: ExecutionRequest, pins: ChainPins,
                 limits: ExecutionLimits, engine: str = "", engine_fingerprint: str = "", *,
                 signers: tuple[bytes, ...] = (), transaction_id: bytes | None = None,
                 allowance: frozenset[OutPoint] | None = frozenset()) -> None:
        if len(request.input) > limits.max_input_bytes:
            raise LimitExceeded(f"call input is {len(request.input)} bytes, the cap is "
                                f"{limits.max_input_bytes}", code="input-too-large",
                                limit="max_input_bytes")
        self.id = context_id
        self.request = request
        self.pins = pins
        self.limits = limits
        self.engine = engine
        self.engine_fingerprint = engine_fingerprint
        self.contract_address = request.resource_hash
        #: the signed transaction's id when there is one (docs/authorization.md); a devnet's
        #: unsigned request gets one derived from the pins and the request
        self.transaction_id = transaction_id if transaction_id is not None else digest(
            "ispc/transaction-id", encode(pins), encode(request))
        #: the public keys that signed the transaction: what locks and owners are checked against
        self.signers = tuple(signers)
        #: the outpoints the signers allow to be spent (None: no allowance rule; run_direct)
        self.allowance = allowance
        self.created_at = time.monotonic()
        self._draft = TransactionDraft(limits)
        self._trace = ExecutionTrace(self._trace_header(), limits)
        self._gas_used = 0
        self._gas_drained = 0
        self._function: str | None = None   # set by begin()
        self._return_data = b""
        self._logs: list[str] = []
        self._log_bytes = 0
        self._alive = True
        self._spender: Spender | None = None

    def _trace_header(self) -> bytes:
        """Engine-neutral commitment to what the run could observe (the trace's genesis)."""
        return _TRACE_HEADER(TRACE_VERSION, self.pins, self.request, self.contract_address,
                             self.transaction_id, _limits_for_trace(self.limits))

    def _check_alive(self) -> None:
        if not self._alive:
            raise ContextError(f"context {self.id} was destroyed; it cannot be used again",
                               code="context-destroyed")

    def spender(self) -> Spender:
        """Who this run spends as (signers, contract, pinned height and timestamp, allowance);
        made once per run (every field is fixed at creation)."""
        if self._spender is None:
            self._spender = Spender(self.signers, self.contract_address, self.pins.height,
                                    self.pins.timestamp, self.allowance)
        return self._spender

    @property
    def alive(self) -> bool:
        return self._alive

    @property
    def draft(self) -> TransactionDraft:
        self._check_alive()
        return self._draft

    @property
    def trace(self) -> ExecutionTrace:
        self._check_alive()
        return self._trace

    @property
    def gas_used(self) -> int:
        """Host gas charged so far (the trace's ledger)."""
        return self._gas_used

    def charge(self, cost: int) -> int:
        """Charge host gas and return the ledger after it (so a caller never reads it again);
        raises OutOfGas (never wraps) when the budget is exhausted."""
        if not self._alive:
            self._check_alive()
        if cost < 0:
            raise ValueError("gas cost must be non-negative")
        used = self._gas_used + cost
        if used > self.limits.fuel:
            self._gas_used = min(used, MAX_U64)
            raise OutOfGas(f"host gas {self._gas_used} exceeds the budget of {self.limits.fuel}",
                           limit="fuel")
        self._gas_used = used if used <= MAX_U64 else MAX_U64
        return self._gas_used

    def record_call(self, function: str, args: bytes, result: bytes, status: int,
                    gas_before: int, gas_after: int) -> None:
        """Append one host call's trace record (what :mod:`ispc_framework._hostabi.binding`
        writes after every call)."""
        if not self._alive:
            self._check_alive()
        self._trace.append("call", function, args, result, status, gas_before, gas_after)

    def drain_host_gas(self) -> int:
        """Host gas charged since the previous call: what an engine with one fuel budget for wasm
        and host work takes out of its meter after each host call."""
        drained, self._gas_drained = self._gas_used - self._gas_drained, self._gas_used
        return drained

    # ------------------------------------------------------------------------------ the run

    def begin(self, function: str, args: bytes = b"") -> None:
        """Start the run: the trace's ``start`` record (the method or ``onnx.run`` and its input)."""
        self._check_alive()
        if self._function is not None:
            raise ContextError(f"context {self.id} already began a run", code="run-already-begun")
        self._function = function
        self._trace.append("start", function, args=args)

    def finish(self, *, status: int | None = None, result: bytes | None = None,
               engine_fuel: int = 0, storage_view: Any = None) -> RunSeal:
        """End the run and seal it. A contract passes its ``status`` (the end record commits to it,
        the return data and the host gas; a non-zero status raises ContractFailed after sealing,
        so the draft is never kept); a model passes its encoded outputs as ``result``.
        ``engine_fuel`` is the wasm fuel the engine reports; with host gas it must fit the budget.
        ``storage_view`` is the chain view the run read; a run that touched contract storage
        needs it to seal its storage delta (``ispc_framework._state.seal_run_draft``).
        """
        self._check_alive()
        if self._function is None:
            raise ContextError(f"context {self.id} has no run to finish", code="run-not-begun")
        if status is None:
            self._trace.append("end", self._function, result=result)
        else:
            self._trace.append("end", self._function, result=self._return_data, status=status,
                               gas_before=self._gas_used, gas_after=self._gas_used)
        trace_root = self._trace.seal()
        if status:
            data = self._return_data
            raise ContractFailed(
                f"{self._function} returned status {status}; the draft was discarded"
                + (f"; return data {data.hex()}" if data else ""),
                status=status, return_data=data.hex(),
                hint=("the contract returned a non-zero status; its return data (above) may say "
                      "why" if data else
                      f"the contract returned status {status} and no return data: its "
                      "documentation (or source) says what the status means"))
        gas_used = min(engine_fuel + self._gas_used, MAX_U64)
        if engine_fuel < 0 or gas_used > self.limits.fuel:
            engine = f"engine {self.engine!r}" if self.engine else "the engine"
            raise ExecutionError(f"{engine} reported {engine_fuel} fuel and the host charged "
                                 f"{self._gas_used} gas, more than the budget of "
                                 f"{self.limits.fuel}", code="gas-over-budget",
                                 hint="the engine does not enforce its fuel limit (`ispc "
                                      "conformance NAME` shows it); report it to the engine's "
                                      "authors and select another engine")
        if status is None:
            draft = SealedDraft()
        elif storage_view is not None:
            draft = seal_run_draft(self._draft, storage_view, self.contract_address,
                                   self.pins.height)
        else:
            draft = self._draft.seal()
        return RunSeal(trace_root, draft, status, self._return_data, gas_used)

    @property
    def return_data(self) -> bytes:
        return self._return_data

    def set_return_data(self, data: bytes) -> None:
        self._check_alive()
        if len(data) > self.limits.max_return_bytes:
            raise LimitExceeded(f"return data of {len(data)} bytes exceeds the cap of "
                                f"{self.limits.max_return_bytes}", code="return-too-large",
                                limit="max_return_bytes")
        self._return_data = bytes(data)

    @property
    def logs(self) -> tuple[str, ...]:
        return tuple(self._logs)

    def log(self, message: str) -> bool:
        """Keep a debug message; returns False (and keeps nothing) once the log cap is reached."""
        self._check_alive()
        size = len(message.encode("utf-8", "replace"))
        if self._log_bytes + size > self.limits.max_log_bytes:
            return False
        self._log_bytes += size
        self._logs.append(message)
        return True


@attrs.frozen
class ContextStats:
    created: int
    active: int
    destroyed: int
    leaked: int
    total_duration_s: float
    max_duration_s: float


class ContextManager:
    """Creates and destroys contexts thread-safely, tracks live ones and detects leaks.

    A leak is a context that was garbage-collected without being destroyed (counted and logged as
    a warning); :meth:`active` lists the live ones.
    """

    def __init__(self) -> None:
        # Re-entrant: a leaked context's finalizer can run during GC while this thread holds it.
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        # id -> a weak reference whose callback counts a leak: destroy() drops the reference,
        # and a dropped weak reference never calls back (cheaper than weakref.finalize per run)
        self._active: dict[int, weakref.ref[ExecutionContext]] = {}
        self._created = 0
        self._destroyed = 0
        self._leaked = 0
        self._total_duration = 0.0
        self._max_duration = 0.0

    def create(self, request: ExecutionRequest, pins: ChainPins,
               limits: ExecutionLimits | None = None, *, engine: str = "",
               engine_fingerprint: str = "", signers: tuple[bytes, ...] = (),
               transaction_id: bytes | None = None,
               allowance: frozenset[OutPoint] | None = frozenset()) -> ExecutionContext:
        with self._lock:
            context_id = next(self._ids)
        ctx = ExecutionContext(context_id, request, pins, limits or ExecutionLimits(), engine,
                               engine_fingerprint, signers=signers,
                               transaction_id=transaction_id, allowance=allowance)
        reference = weakref.ref(ctx, lambda _ref: self._collected(context_id))
        with self._lock:
            self._active[context_id] = reference
            self._created += 1
        return ctx

    def _collected(self, context_id: int) -> None:
        """A context was garbage-collected while still active: it leaked."""
        with self._lock:
            if self._active.pop(context_id, None) is None:
                return
            self._leaked += 1
        log.warning("execution context %d was never destroyed (leak)", context_id)

    def destroy(self, ctx: ExecutionContext) -> None:
        with self._lock:
            reference = self._active.get(ctx.id)
            if not ctx._alive or reference is None or reference() is not ctx:
                raise ContextError(f"context {ctx.id} is not active in this manager",
                                   code="context-not-active")
            ctx._alive = False
            del self._active[ctx.id]
            self._destroyed += 1
            duration = time.monotonic() - ctx.created_at
            self._total_duration += duration
            self._max_duration = max(self._max_duration, duration)

    @contextmanager
    def open(self, request: ExecutionRequest, pins: ChainPins,
             limits: ExecutionLimits | None = None, **kw: Any) -> Iterator[ExecutionContext]:
        ctx = self.create(request, pins, limits, **kw)
        try:
            yield ctx
        finally:
            self.destroy(ctx)

    def active(self) -> tuple[ExecutionContext, ...]:
        with self._lock:
            live = (reference() for reference in self._active.values())
            return tuple(ctx for ctx in live if ctx is not None)

    def stats(self) -> ContextStats:
        with self._lock:
            return ContextStats(self._created, len(self.active()), self._destroyed, self._leaked,
                                self._total_duration, self._max_duration)

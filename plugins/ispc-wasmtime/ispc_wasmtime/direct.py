"""Run a contract directly on one engine with a fresh context, without the coordinator.

For engine tests, the cross-engine differential tests and the benchmarks: it does what the
coordinator does around ``engine.execute`` and nothing more (one context per run, the ``end``
trace record committing to status and return data, the draft sealed on success and dropped on any
failure). It works with any :class:`ispc_framework.engines.WasmEngine`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import attrs

from ispc_framework.context import ChainPins, ContextManager, ExecutionRequest
from ispc_framework.engines import HostEnv, HostFunction
from ispc_framework.errors import ContractFailed, ISPCError
from ispc_framework.limits import ExecutionLimits
from ispc_framework.model import SealedDraft

__all__ = ["DirectResult", "run_direct", "DEFAULT_PINS"]

DEFAULT_PINS = ChainPins(height=7, timestamp=1_700_000_000, block_hash=bytes(range(32)),
                         chain_id="ispc-devnet")


@attrs.frozen
class DirectResult:
    status: int | None
    return_data: bytes
    draft: SealedDraft | None      # None whenever the run failed: nothing half-written is kept
    trace_root: bytes | None
    gas_used: int
    fuel_used: int
    logs: tuple[str, ...]
    error: ISPCError | None = attrs.field(eq=False)

    @property
    def ok(self) -> bool:
        return self.error is None


_contexts = ContextManager()


def run_direct(engine: Any, compiled: Any, method: str, host_functions: Sequence[HostFunction], *,
               code_hash: bytes | None = None, input: bytes = b"", caller: bytes = bytes(32),
               pins: ChainPins = DEFAULT_PINS, limits: ExecutionLimits | None = None,
               view: Any = None, nonce: int = 0) -> DirectResult:
    resource_hash = code_hash or hashlib.sha256(getattr(compiled, "code", b"")).digest()
    request = ExecutionRequest(resource_hash, method, input, caller, nonce=nonce)
    with _contexts.open(request, pins, limits, engine=engine.name,
                        engine_fingerprint=engine.fingerprint()) as ctx:
        env = HostEnv(ctx, view)
        try:
            # The same start and end records as ispc_framework.coordinator.Coordinator.execute.
            ctx.trace.append("start", method, args=input)
            outcome = engine.execute(compiled, method, env, host_functions)
            ctx.trace.append("end", method, result=ctx.return_data, status=outcome.status,
                             gas_before=ctx.gas_used, gas_after=ctx.gas_used)
            trace_root = ctx.trace.seal()
            if outcome.status != 0:
                raise ContractFailed(f"method {method!r} returned status {outcome.status}",
                                     status=outcome.status)
            return DirectResult(outcome.status, ctx.return_data, ctx.draft.seal(), trace_root,
                                ctx.gas_used, outcome.fuel_used, ctx.logs, None)
        except ISPCError as exc:
            status = exc.details.get("status") if isinstance(exc, ContractFailed) else None
            return DirectResult(status, b"", None, None, ctx.gas_used, 0, ctx.logs, exc)

"""Run a contract directly on one engine with a fresh context, without the coordinator.

For engine tests, the cross-engine differential tests, the conformance suite and the benchmarks:
it does what the coordinator does around ``engine.execute`` and nothing more, through the same run
object (``ExecutionContext.begin`` / ``finish``: one context per run, the same start and end
records, the draft sealed on success and dropped on any failure). It works with any
:class:`ispc_framework.plugins.WasmEngine`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import attrs

from .._context import ContextManager, ExecutionRequest
from .._engines import HostEnv, HostFunction, WasmEngine, check_outcome
from .._errors import ContractFailed, ISPCError
from .._limits import ExecutionLimits
from .._model import ChainPins, SealedDraft

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


def run_direct(engine: WasmEngine, compiled: Any, method: str, host_functions: Sequence[HostFunction], *,
               code_hash: bytes | None = None, input: bytes = b"", caller: bytes = bytes(32),
               pins: ChainPins = DEFAULT_PINS, limits: ExecutionLimits | None = None,
               view: Any = None, nonce: int = 0) -> DirectResult:
    resource_hash = code_hash or hashlib.sha256(getattr(compiled, "code", b"")).digest()
    request = ExecutionRequest(resource_hash, method, input, caller, nonce=nonce)
    # A direct run stands for a transaction the caller signed, allowing every outpoint to be
    # spent (no allowance rule: there is no transaction): locks see the caller as signer.
    with _contexts.open(request, pins, limits, engine=engine.name,
                        engine_fingerprint=engine.fingerprint(), signers=(caller,),
                        allowance=None) as ctx:
        env = HostEnv(ctx, view)
        try:
            ctx.begin(method, input)
            outcome = check_outcome(engine.name,
                                    engine.execute(compiled, method, env, host_functions))
            # A run with a view seals its storage delta against that view's storage.
            sealed = ctx.finish(status=outcome.status, engine_fuel=outcome.fuel_used,
                                storage_view=view)
            return DirectResult(outcome.status, sealed.return_data, sealed.draft,
                                sealed.trace_root, ctx.gas_used, outcome.fuel_used, ctx.logs, None)
        except ISPCError as exc:
            status = exc.details.get("status") if isinstance(exc, ContractFailed) else None
            return DirectResult(status, b"", None, None, ctx.gas_used, 0, ctx.logs, exc)

"""The coordinator: one execution, from request to sealed, proven result.

Steps (docs/architecture.md has the long form):

1. pin the context from the repository head; the run gets a read-only view, never the writer;
2. compile the code against the host functions of the selected HostABI providers;
3. run the method under the limits, every host call traced and charged; a non-zero contract
   status is an error (ContractFailed) and its draft is discarded;
4. seal trace and draft and compute the ``execution_result_hash``, which commits to the context,
   the code, the trace root, the draft, the return data and the engine fingerprint;
5. prove the draft statement bound to that hash, verify the proof, embed it in the StateOutput;
6. check the repository revision did not move, hand the trace to the sinks.

Nothing is written to the chain; applying a result is the separate ``apply`` step.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from .config import Config, load_config
from .context import ContextManager, ExecutionContext, ExecutionRequest
from .encoding import digest, encode
from .engines import EngineOutcome, HostEnv, HostFunction, check_bounded
from .errors import (InputMissing, InputSpent, NotFound, PluginError,
                     ReadOnlyViolation, RepositoryError, ValidationError, VerificationFailed)
from .model import (ChainPins, OnnxExecutionResult, ResourceCategory, SealedDraft, StateOutput,
                    Tensor, TxOutput, WasmExecutionResult)
from .hostabi.compose import host_functions_for
from .plugins.manager import PluginManager
from .proving import ProofRequest
from .state import check_parent

__all__ = ["Coordinator", "wasm_result_hash", "onnx_result_hash", "result_hash_of",
           "execution_state_id", "final_transaction", "EXECUTION_STATE_DOMAIN"]

EXECUTION_STATE_DOMAIN = "ispc/execution-state"
log = logging.getLogger(__name__)


def wasm_result_hash(*, transaction_id: bytes, pins: ChainPins, contract: bytes, method: str,
                     trace_root: bytes, draft: SealedDraft, status: int, return_data: bytes,
                     engine: str, engine_fingerprint: str) -> bytes:
    """The commitment a contract call's proof is bound to: context, code, trace, draft, return
    data and engine. Every argument is a field of WasmExecutionResult, so it can be recomputed."""
    return digest("ispc/execution-result", encode({
        "transaction_id": transaction_id, "pins": pins, "code_hash": contract, "method": method,
        "trace_root": trace_root, "draft": draft.digest(), "status": status,
        "return_data": return_data, "engine": engine, "engine_fingerprint": engine_fingerprint}))


def onnx_result_hash(*, transaction_id: bytes, pins: ChainPins, contract: bytes,
                     inputs: Sequence[Tensor], outputs: Sequence[Tensor], trace_root: bytes,
                     engine: str, engine_fingerprint: str) -> bytes:
    """Commits to the model, the canonical input and output tensors, the context and engine."""
    return digest("ispc/onnx-result", encode({
        "transaction_id": transaction_id, "pins": pins, "model_hash": contract,
        "inputs": tuple(inputs), "outputs": tuple(outputs), "trace_root": trace_root,
        "engine": engine, "engine_fingerprint": engine_fingerprint}))


def result_hash_of(result: WasmExecutionResult | OnnxExecutionResult) -> bytes:
    """Recompute a result's ``execution_result_hash`` from its own fields."""
    common = dict(transaction_id=result.transaction_id, pins=result.pins, contract=result.contract,
                  trace_root=result.trace_root, engine=result.engine,
                  engine_fingerprint=result.engine_fingerprint)
    if isinstance(result, OnnxExecutionResult):
        return onnx_result_hash(inputs=result.inputs, outputs=result.outputs, **common)
    return wasm_result_hash(method=result.method, draft=result.draft, status=result.status,
                            return_data=result.return_data, **common)


def execution_state_id(contract: bytes) -> bytes:
    return digest(EXECUTION_STATE_DOMAIN, contract)


def final_transaction(result: WasmExecutionResult | OnnxExecutionResult,
                      draft: SealedDraft | None = None) -> SealedDraft:
    """The draft plus the execution's proven state output, owned by the executed resource: what
    ``apply`` writes."""
    base = draft if draft is not None else result.draft
    owner = result.state_output.state_id
    return SealedDraft(base.inputs, base.outputs + (TxOutput(owner, state=result.state_output),),
                       base.events, base.state)


def check_own_state(result: WasmExecutionResult | OnnxExecutionResult) -> None:
    """A contract writes only its own storage: a delta naming another contract is refused."""
    delta = result.draft.state
    if delta is not None and delta.contract != result.contract:
        raise VerificationFailed(
            f"the draft's storage delta is for contract {delta.contract.hex()[:16]}…, the result "
            f"is of contract {result.contract.hex()[:16]}…", code="state-not-own",
            hint="a contract can write only its own storage; this result was forged")


def _close(obj: Any) -> None:
    close = getattr(obj, "close", None)
    if close is not None:
        close()


class Coordinator:
    """Resolves the configured plugins once and runs executions; safe to share across threads."""

    def __init__(self, config: Config | None = None, plugins: PluginManager | None = None,
                 *, repository: Any = None) -> None:
        self.config = config or load_config()
        self.plugins = plugins or PluginManager.from_config(self.config)
        self.plugins.hook.ispc_configure.call_historic(kwargs={"config": self.config})
        self.contexts = ContextManager()
        self._repository = repository
        self._cache: dict[str, Any] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------------------ plugins

    def _build(self, kind: str, name: str, runtime: str | None = None) -> Any:
        key = f"{kind}:{runtime}:{name}"
        with self._lock:
            if key not in self._cache:
                spec = self.plugins.select(kind, name, runtime)
                self._cache[key] = self.plugins.create(spec, self.config.plugin_settings(spec))
            return self._cache[key]

    @property
    def repository(self) -> Any:
        if self._repository is None:
            self._repository = self._build("repository", self.config.get("repository.name"))
        return self._repository

    def wasm_engine(self) -> Any:
        engine = self._build("engine", self.config.get("engine.wasm.name"), "wasm")
        check_bounded(engine.name, engine.capabilities(),
                      self.config.get("engine.wasm.allow_unbounded", False))
        return engine

    def onnx_engine(self) -> Any:
        return self._build("engine", self.config.get("engine.onnx.name"), "onnx")

    def prover(self) -> Any:
        return self._build("prover", self.config.get("prover.name"))

    def host_functions(self) -> tuple[HostFunction, ...]:
        """The union of the selected HostABI providers' functions; two offering the same import
        are a PluginConflict."""
        return host_functions_for(self._build("hostabi", name)
                                  for name in self.config.get("hostabi.providers"))

    def sinks(self) -> list[Any]:
        return [self._build("trace_sink", name) for name in self.config.get("trace.sinks")]

    # ------------------------------------------------------------------------------ running

    def _resource(self, view: Any, resource_hash: bytes, category: ResourceCategory) -> bytes:
        resource = view.resource(resource_hash)
        content = view.resource_content(resource_hash)
        if resource is None or content is None:
            raise NotFound(f"no resource {resource_hash.hex()} on the chain",
                           hint="deploy it first with `ispc deploy FILE`")
        if resource.category != category:
            raise ValidationError("request.resource_hash",
                                  f"resource is a {resource.category.name.lower()}, "
                                  f"expected a {category.name.lower()}", code="wrong-resource-kind")
        return content

    def _spent_outputs(self, view: Any, draft: SealedDraft) -> tuple[TxOutput, ...]:
        spent = []
        for index, tx_input in enumerate(draft.inputs):
            if tx_input.reference_only:
                continue
            output = view.utxo(tx_input.outpoint)
            if output is None:
                raise InputMissing(f"draft input {index} spends an outpoint that is not unspent "
                                   f"at the pinned head", input_index=index)
            spent.append(output)
        return tuple(spent)

    def _prove(self, ctx: ExecutionContext, result_hash: bytes, draft: SealedDraft,
               spent: tuple[TxOutput, ...]):
        prover = self.prover()
        request = ProofRequest(self.config.get("prover.circuit"), result_hash, draft, spent,
                               ctx.contract_address)
        proof = prover.prove(request)
        # A result without a verifying proof is an error; verifying against the request also
        # checks the proof's draft commitment is this draft's.
        prover.verify(proof, result_hash, request=request)
        return proof

    def _state_output(self, ctx: ExecutionContext, result_hash: bytes, proof: Any) -> StateOutput:
        return StateOutput(execution_state_id(ctx.contract_address), ctx.pins.height + 1,
                           result_hash, proof)

    def _check_unchanged(self, view: Any, revision: int) -> None:
        if view.revision() != revision:
            raise RepositoryError("the repository changed while the execution ran",
                                  code="revision-changed",
                                  hint="another writer applied a block; run the request again")

    def _run_hooked(self, request: ExecutionRequest, ctx: ExecutionContext, run,
                    expected: type | tuple[type, ...]) -> Any:
        outcome = self.plugins.hook.ispc_execution.call_extra(
            [lambda request, context: run()], {"request": request, "context": ctx})
        if not isinstance(outcome, expected):  # e.g. a wrapper that forgot to return the result
            raise PluginError(f"an ispc_execution wrapper returned {type(outcome).__name__}, not "
                              f"the run's result", code="hook-result-lost",
                              hint="a wrapper must `return (yield)`")
        return outcome

    def execute(self, request: ExecutionRequest, *, prove: bool = True) -> WasmExecutionResult:
        """Run a contract method and return its sealed, proven result (nothing is written)."""
        view = self.repository.view()
        try:
            return self._execute(view, request, prove)
        finally:
            _close(view)

    def _execute(self, view: Any, request: ExecutionRequest, prove: bool) -> WasmExecutionResult:
        revision = view.revision()
        pins = view.head()
        code = self._resource(view, request.resource_hash, ResourceCategory.CONTRACT)
        engine = self.wasm_engine()
        functions = self.host_functions()
        module = engine.compile(code, functions)
        with self.contexts.open(request, pins, self.config.limits, engine=engine.name,
                                engine_fingerprint=engine.fingerprint()) as ctx:
            env = HostEnv(ctx, view)
            ctx.begin(request.method, request.input)
            outcome: EngineOutcome = self._run_hooked(
                request, ctx, lambda: engine.execute(module, request.method, env, functions),
                EngineOutcome)
            sealed = ctx.finish(status=outcome.status, engine_fuel=outcome.fuel_used,
                                storage_view=view)
            trace_root, draft = sealed.trace_root, sealed.draft
            fingerprint = engine.fingerprint()
            result_hash = wasm_result_hash(
                transaction_id=ctx.transaction_id, pins=ctx.pins, contract=ctx.contract_address,
                method=request.method, trace_root=trace_root, draft=draft, status=outcome.status,
                return_data=ctx.return_data, engine=engine.name, engine_fingerprint=fingerprint)
            spent = self._spent_outputs(view, draft)
            proof = self._prove(ctx, result_hash, draft, spent) if prove else None
            self._check_unchanged(view, revision)
            result = WasmExecutionResult(
                status=outcome.status, return_data=ctx.return_data,
                gas_used=sealed.gas_used, trace_root=trace_root,
                draft=draft, execution_result_hash=result_hash,
                state_output=self._state_output(ctx, result_hash, proof), engine=engine.name,
                engine_fingerprint=fingerprint, contract=ctx.contract_address,
                spent_outputs=spent, pins=ctx.pins, transaction_id=ctx.transaction_id,
                method=request.method)
            self._emit(ctx, result_hash)
            return result

    def query(self, request: ExecutionRequest) -> WasmExecutionResult:
        """Run a contract method read-only against the head: no proof, and nothing to apply.
        A run that wrote anything (storage, inputs, outputs, events) is an error."""
        result = self.execute(request, prove=False)
        draft = result.draft
        wrote = [name for name, items in (("inputs", draft.inputs), ("outputs", draft.outputs),
                                          ("events", draft.events),
                                          ("storage writes", draft.state.writes
                                           if draft.state else ()))
                 if items]
        if wrote:
            raise ReadOnlyViolation(f"{request.method} is not read-only: it wrote "
                                    f"{', '.join(wrote)}", code="query-wrote",
                                    hint="use `ispc run` (and `ispc apply`) for methods that "
                                         "write")
        return result

    def execute_model(self, request: ExecutionRequest, *, prove: bool = True) -> OnnxExecutionResult:
        """Run an ONNX model on ``request.tensors``; the result commits to model, inputs, outputs."""
        view = self.repository.view()
        try:
            return self._execute_model(view, request, prove)
        finally:
            _close(view)

    def _execute_model(self, view: Any, request: ExecutionRequest,
                       prove: bool) -> OnnxExecutionResult:
        revision = view.revision()
        pins = view.head()
        model = self._resource(view, request.resource_hash, ResourceCategory.AI_MODEL)
        engine = self.onnx_engine()
        limits = self.config.limits
        prepared = engine.prepare(model, limits)
        with self.contexts.open(request, pins, limits, engine=engine.name,
                                engine_fingerprint=engine.fingerprint()) as ctx:
            ctx.begin("onnx.run", encode(tuple(request.tensors)))
            outputs = self._run_hooked(request, ctx,
                                       lambda: engine.run(prepared, request.tensors, limits),
                                       (tuple, list))
            trace_root = ctx.finish(result=encode(tuple(outputs))).trace_root
            fingerprint = engine.fingerprint()
            result_hash = onnx_result_hash(
                transaction_id=ctx.transaction_id, pins=ctx.pins, contract=ctx.contract_address,
                inputs=request.tensors, outputs=outputs, trace_root=trace_root,
                engine=engine.name, engine_fingerprint=fingerprint)
            proof = self._prove(ctx, result_hash, SealedDraft(), ()) if prove else None
            self._check_unchanged(view, revision)
            result = OnnxExecutionResult(
                outputs=outputs, trace_root=trace_root, execution_result_hash=result_hash,
                state_output=self._state_output(ctx, result_hash, proof), engine=engine.name,
                engine_fingerprint=fingerprint, contract=ctx.contract_address,
                inputs=request.tensors, pins=ctx.pins, transaction_id=ctx.transaction_id)
            self._emit(ctx, result_hash)
            return result

    def _emit(self, ctx: ExecutionContext, result_hash: bytes) -> None:
        summary = {"transaction_id": ctx.transaction_id.hex(), "engine": ctx.engine,
                   "engine_fingerprint": ctx.engine_fingerprint,
                   "execution_result_hash": result_hash.hex()}
        for name, sink in zip(self.config.get("trace.sinks"), self.sinks()):
            try:
                sink.write(summary, ctx.trace)
            except Exception as exc:  # the run is finished and proven: keep the result
                log.error("trace sink %r failed for transaction %s: %s: %s", name,
                          summary["transaction_id"], type(exc).__name__, exc)

    def verify_result(self, result: WasmExecutionResult | OnnxExecutionResult) -> None:
        """Check a result's proof: against the key it names, its own result hash, and the draft,
        spent outputs and contract it carries (so the proof is shown to be about *this* draft)."""
        check_own_state(result)
        proof = result.state_output.zk_proof
        if proof is None:
            raise VerificationFailed("the result carries no proof", code="proof-missing",
                                     hint="results must be proven; re-run without --no-prove")
        state = result.state_output
        if result_hash_of(result) != result.execution_result_hash:
            raise VerificationFailed("the result's fields do not hash to its execution result "
                                     "hash: it was altered", code="result-hash-mismatch",
                                     hint="use the result exactly as `ispc run --out` wrote it")
        if (state.execution_result_hash, state.state_id, state.version) != (
                result.execution_result_hash, execution_state_id(result.contract),
                result.pins.height + 1):
            raise VerificationFailed("the state output does not belong to this result",
                                     code="state-output-mismatch")
        request = ProofRequest(proof.circuit_id, result.execution_result_hash, result.draft,
                               result.spent_outputs, result.contract)
        self.prover().verify(proof, result.execution_result_hash, request=request)

    def apply_result(self, result: WasmExecutionResult | OnnxExecutionResult):
        """Verify a result and apply its transaction as one block (devnet). The outputs its
        inputs spend must still be exactly the ones the run saw and proved."""
        self.verify_result(result)
        view = self.repository.view()
        try:
            head = view.head()
            delta = result.draft.state
            if delta is not None:  # the more precise reason first: storage moved under it
                check_parent(delta, *view.state_version(delta.contract, head.height))
            if head != result.pins:
                raise RepositoryError(
                    f"the result was computed at height {result.pins.height}, the head is now "
                    f"{head.height}: a result applies only on the block it was pinned to",
                    code="result-stale", hint="run the request again against the current head")
            current = self._spent_outputs(view, result.draft)
        finally:
            _close(view)
        if current != result.spent_outputs:
            raise InputSpent("an input's output on the chain is not the one the run proved",
                             code="spent-output-mismatch",
                             hint="run the request again against the current head")
        return self.repository.writer().apply(final_transaction(result))

    def close(self) -> None:
        for obj in self._cache.values():
            _close(obj)
        if self._repository is not None:
            _close(self._repository)
        self._cache.clear()


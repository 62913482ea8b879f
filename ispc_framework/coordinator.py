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

import threading
from collections.abc import Sequence
from typing import Any

from .config import Config, load_config
from .context import ContextManager, ExecutionContext, ExecutionRequest
from .encoding import digest, encode
from .engines import EngineOutcome, HostEnv, HostFunction
from .errors import (ContractFailed, InputMissing, NotFound, PluginError, RepositoryError,
                     ValidationError, VerificationFailed)
from .model import (OnnxExecutionResult, ResourceCategory, SealedDraft, StateOutput, Tensor,
                    TxOutput, WasmExecutionResult)
from .plugins.manager import PluginManager
from .proving import ProofRequest

__all__ = ["Coordinator", "execution_result_hash", "onnx_result_hash", "final_transaction",
           "EXECUTION_STATE_DOMAIN"]

EXECUTION_STATE_DOMAIN = "ispc/execution-state"


def execution_result_hash(ctx: ExecutionContext, code_hash: bytes, trace_root: bytes,
                          draft: SealedDraft, status: int, return_data: bytes) -> bytes:
    """The commitment a proof is bound to: everything a verifier may want to pin a run to."""
    return digest("ispc/execution-result", encode({
        "transaction_id": ctx.transaction_id, "pins": ctx.pins, "code_hash": code_hash,
        "method": ctx.request.method, "trace_root": trace_root, "draft": draft.digest(),
        "status": status, "return_data": return_data, "engine": ctx.engine,
        "engine_fingerprint": ctx.engine_fingerprint}))


def onnx_result_hash(ctx: ExecutionContext, model_hash: bytes, inputs: Sequence[Tensor],
                     outputs: Sequence[Tensor], trace_root: bytes) -> bytes:
    """Commits to the model, the canonical input and output tensors, the context and engine."""
    return digest("ispc/onnx-result", encode({
        "transaction_id": ctx.transaction_id, "pins": ctx.pins, "model_hash": model_hash,
        "inputs": tuple(inputs), "outputs": tuple(outputs), "trace_root": trace_root,
        "engine": ctx.engine, "engine_fingerprint": ctx.engine_fingerprint}))


def final_transaction(result: WasmExecutionResult | OnnxExecutionResult,
                      draft: SealedDraft | None = None) -> SealedDraft:
    """The draft plus the execution's proven state output, owned by the executed resource: what
    ``apply`` writes."""
    base = draft if draft is not None else getattr(result, "draft", SealedDraft())
    owner = result.state_output.state_id
    return SealedDraft(base.inputs, base.outputs + (TxOutput(owner, state=result.state_output),),
                       base.events)


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
        return self._build("engine", self.config.get("engine.wasm.name"), "wasm")

    def onnx_engine(self) -> Any:
        return self._build("engine", self.config.get("engine.onnx.name"), "onnx")

    def prover(self) -> Any:
        return self._build("prover", self.config.get("prover.name"))

    def host_functions(self) -> tuple[HostFunction, ...]:
        """The union of the selected HostABI providers' functions; duplicates are a config error."""
        functions: dict[tuple[str, str], HostFunction] = {}
        for name in self.config.get("hostabi.providers"):
            provider = self._build("hostabi", name)
            for function in provider.host_functions():
                key = (function.module, function.name)
                if key in functions:
                    raise PluginError(f"host function {function.module}.{function.name} is "
                                      f"offered by two selected providers",
                                      code="hostabi-conflict",
                                      hint="select only one of them in [hostabi] providers")
                functions[key] = function
        return tuple(functions.values())

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
        proof = prover.prove(ProofRequest(self.config.get("prover.circuit"), result_hash, draft,
                                          spent, ctx.contract_address))
        prover.verify(proof, result_hash)  # a result without a verifying proof is an error
        return proof

    def _state_output(self, ctx: ExecutionContext, result_hash: bytes, proof: Any) -> StateOutput:
        return StateOutput(digest(EXECUTION_STATE_DOMAIN, ctx.contract_address),
                           ctx.pins.height + 1, result_hash, proof)

    def _check_unchanged(self, view: Any, revision: int) -> None:
        if view.revision() != revision:
            raise RepositoryError("the repository changed while the execution ran",
                                  code="revision-changed",
                                  hint="another writer applied a block; run the request again")

    def _run_hooked(self, request: ExecutionRequest, ctx: ExecutionContext, run) -> Any:
        return self.plugins.hook.ispc_execution.call_extra(
            [lambda request, context: run()], {"request": request, "context": ctx})

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
            ctx.trace.append("start", request.method, args=request.input)
            outcome: EngineOutcome = self._run_hooked(
                request, ctx, lambda: engine.execute(module, request.method, env, functions))
            ctx.trace.append("end", request.method, result=ctx.return_data,
                             status=outcome.status, gas_before=ctx.gas_used,
                             gas_after=ctx.gas_used)
            trace_root = ctx.trace.seal()
            if outcome.status != 0:
                raise ContractFailed(f"{request.method} returned status {outcome.status}; the "
                                     f"draft was discarded", status=outcome.status,
                                     return_data=ctx.return_data.hex())
            draft = ctx.draft.seal()
            result_hash = execution_result_hash(ctx, request.resource_hash, trace_root, draft,
                                                outcome.status, ctx.return_data)
            spent = self._spent_outputs(view, draft)
            proof = self._prove(ctx, result_hash, draft, spent) if prove else None
            self._check_unchanged(view, revision)
            result = WasmExecutionResult(
                outcome.status, ctx.return_data, min(outcome.fuel_used + ctx.gas_used, 2**64 - 1),
                trace_root, draft, result_hash, self._state_output(ctx, result_hash, proof),
                engine.name, engine.fingerprint())
            self._emit(ctx, result_hash)
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
            ctx.trace.append("start", "onnx.run", args=encode(tuple(request.tensors)))
            outputs = self._run_hooked(request, ctx,
                                       lambda: engine.run(prepared, request.tensors, limits))
            ctx.trace.append("end", "onnx.run", result=encode(tuple(outputs)))
            trace_root = ctx.trace.seal()
            result_hash = onnx_result_hash(ctx, request.resource_hash, request.tensors, outputs,
                                           trace_root)
            proof = self._prove(ctx, result_hash, SealedDraft(), ()) if prove else None
            self._check_unchanged(view, revision)
            result = OnnxExecutionResult(outputs, trace_root, result_hash,
                                         self._state_output(ctx, result_hash, proof),
                                         engine.name, engine.fingerprint())
            self._emit(ctx, result_hash)
            return result

    def _emit(self, ctx: ExecutionContext, result_hash: bytes) -> None:
        summary = {"transaction_id": ctx.transaction_id.hex(), "engine": ctx.engine,
                   "engine_fingerprint": ctx.engine_fingerprint,
                   "execution_result_hash": result_hash.hex()}
        for sink in self.sinks():
            sink.write(summary, ctx.trace)

    def verify(self, state_output: StateOutput) -> None:
        """Check a state output's proof against the key it names and its own result hash."""
        if state_output.zk_proof is None:
            raise VerificationFailed("the state output carries no proof", code="proof-missing",
                                     hint="results must be proven; re-run without --no-prove")
        self.prover().verify(state_output.zk_proof, state_output.execution_result_hash)

    def close(self) -> None:
        for obj in self._cache.values():
            _close(obj)
        if self._repository is not None:
            _close(self._repository)
        self._cache.clear()


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

import abc
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, cast

from ._config import Config, load_config
from ._context import ContextManager, ExecutionContext, ExecutionRequest, RunSeal
from ._encoding import digest, encode
from ._engines import (EngineOutcome, HostEnv, HostFunction, OnnxEngine, WasmEngine,
                       check_bounded, check_outcome)
from ._errors import (ContractFailed, InputMissing, InputSpent, NotFound, PluginError,
                     ReadOnlyViolation, RepositoryError, TransactionRejected, ValidationError,
                     VerificationFailed)
from ._limits import ExecutionLimits
from ._model import (ChainPins, ContractLock, OnnxExecutionResult, OutPoint, ResourceCategory,
                    ResultCommitment, SealedDraft, StateOutput, Tensor, TxOutput,
                    WasmExecutionResult, ZKStateProof)
from ._repository import content_hash
from ._hostabi.compose import host_functions_for
from ._hostabi.provider import HostABIProvider
from ._authorization import Spender, check_spends, state_output_refusal
from ._transaction import SignedTransaction, check_transaction
from .plugins._execution_hook import call_execution_wrappers
from .plugins._manager import PluginManager
from ._proving import ProofRequest, Prover
from ._repository import AppliedBlock, ChainView, Repository
from ._sinks import TraceSink
from ._state import check_parent
from ._timing import phase

__all__ = ["Coordinator", "result_hash_of", "execution_state_id", "execution_state_output",
           "final_transaction", "spender_of", "spent_outpoints", "genesis_of",
           "EXECUTION_STATE_DOMAIN"]

EXECUTION_STATE_DOMAIN = "ispc/execution-state"
log = logging.getLogger(__name__)


def result_hash_of(result: WasmExecutionResult | OnnxExecutionResult) -> bytes:
    """Recompute a result's ``execution_result_hash`` from its commitment."""
    return result.commitment.hash()


def execution_state_id(contract: bytes) -> bytes:
    return digest(EXECUTION_STATE_DOMAIN, contract)


def execution_state_output(result: WasmExecutionResult | OnnxExecutionResult) -> TxOutput:
    """The proven state output apply writes: owned by and locked to the executed resource."""
    return TxOutput(result.contract, (ContractLock(result.contract),), state=result.state_output)


def final_transaction(result: WasmExecutionResult | OnnxExecutionResult,
                      draft: SealedDraft | None = None) -> SealedDraft:
    """The draft plus the execution's proven state output: what ``apply`` writes."""
    base = draft if draft is not None else result.draft
    return SealedDraft(base.inputs, base.outputs + (execution_state_output(result),),
                       base.events, base.state)


def check_own_state(result: WasmExecutionResult | OnnxExecutionResult) -> None:
    """A contract writes only its own storage: a delta naming another contract is refused."""
    delta = result.draft.state
    if delta is not None and delta.contract != result.contract:
        raise VerificationFailed(
            f"the draft's storage delta is for contract {delta.contract.hex()[:16]}…, the result "
            f"is of contract {result.contract.hex()[:16]}…", code="state-not-own",
            hint="a contract can write only its own storage; this result was forged")


def spender_of(result: WasmExecutionResult | OnnxExecutionResult) -> Spender:
    return Spender(result.commitment.signers, result.contract, result.pins.height,
                   result.pins.timestamp, result.transaction.allowance)


def spent_outpoints(draft: SealedDraft) -> list[OutPoint]:
    """The outpoints a draft spends (its non-reference inputs), in order."""
    return [i.outpoint for i in draft.inputs if not i.reference_only]


def genesis_of(view: Any) -> bytes:
    """The hash of block 0 of ``view``'s chain: what every signature is bound to."""
    genesis: bytes | None = view.block_hash(0)
    if genesis is None:
        raise NotFound("the chain has no genesis block", code="no-genesis",
                       hint="run `ispc init` first")
    return genesis


def _state_output(commitment: ResultCommitment, result_hash: bytes, proof: Any) -> StateOutput:
    return StateOutput(commitment.state_id, commitment.state_version, result_hash, proof,
                       commitment.parent_state_hash, metadata=commitment.state_metadata)


def _show(value: Any) -> str:
    return value.hex() if isinstance(value, bytes) else repr(value)[:200]


def _differences(expected: Any, actual: Any) -> list[str]:
    fields = ["return_data", "status", "gas_used", "draft", "outputs", "trace_root",
              "engine", "engine_fingerprint", "execution_result_hash"]
    out = []
    for name in fields:
        mine, theirs = getattr(expected, name, None), getattr(actual, name, None)
        if mine != theirs:
            out.append(f"{name}: result has {_show(mine)}, replay gives {_show(theirs)}")
    return out


class _ReplayView:
    """A past view in which the replayed transaction is not yet applied (it is, later)."""

    def __init__(self, view: ChainView, transaction_id: bytes) -> None:
        self._view = view
        self._transaction_id = transaction_id

    def applied_transaction(self, transaction_id: bytes) -> tuple[int, bytes] | None:
        if transaction_id == self._transaction_id:
            return None
        return self._view.applied_transaction(transaction_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._view, name)


def _close(obj: Any) -> None:
    close = getattr(obj, "close", None)
    if close is not None:
        close()


#: compiled contracts and prepared models a coordinator keeps (least recently used go first)
PREPARED_CAPACITY = 128
_MISSING = object()


class _Path(abc.ABC):
    """What differs between a contract call and a model inference in :meth:`Coordinator._run`:
    the resource kind, the engine and how it is driven, and what the result commits to."""

    kind: str
    category: ResourceCategory
    outcome_type: type | tuple[type, ...]

    def __init__(self, coordinator: Coordinator) -> None:
        self.coordinator = coordinator

    @abc.abstractmethod
    def engine(self) -> Any: ...

    @abc.abstractmethod
    def prepare(self, content: bytes) -> Any: ...

    @abc.abstractmethod
    def start(self, request: ExecutionRequest) -> tuple[str, bytes]: ...

    @abc.abstractmethod
    def execute(self, engine: Any, prepared: Any, request: ExecutionRequest, env: HostEnv,
                limits: ExecutionLimits) -> Any:
        """Run ``prepared`` on ``engine`` (this path's :meth:`engine`, which the run holds)."""

    @abc.abstractmethod
    def finish(self, ctx: ExecutionContext, outcome: Any,
               view: Any) -> tuple[RunSeal, dict[str, Any]]: ...

    @abc.abstractmethod
    def result(self, commitment: ResultCommitment, result_hash: bytes, state_output: StateOutput,
               spent: tuple[TxOutput, ...]) -> Any: ...


class _WasmPath(_Path):
    kind, category, outcome_type = "wasm", ResourceCategory.CONTRACT, EngineOutcome

    def engine(self) -> WasmEngine:
        return self.coordinator.wasm_engine()

    def prepare(self, content: bytes) -> Any:
        return self.engine().compile(content, self.coordinator.host_functions())

    def start(self, request: ExecutionRequest) -> tuple[str, bytes]:
        return request.method, request.input

    def execute(self, engine: WasmEngine, prepared: Any, request: ExecutionRequest,
                env: HostEnv, limits: ExecutionLimits) -> EngineOutcome:
        return engine.execute(prepared, request.method, env, self.coordinator.host_functions())

    def finish(self, ctx: ExecutionContext, outcome: EngineOutcome,
               view: Any) -> tuple[RunSeal, dict[str, Any]]:
        check_outcome(ctx.engine, outcome)  # status a u32, fuel a count: before anything seals
        sealed = ctx.finish(status=outcome.status, engine_fuel=outcome.fuel_used,
                            storage_view=view)
        return sealed, {"status": outcome.status, "return_data": sealed.return_data,
                        "gas_used": sealed.gas_used, "draft": sealed.draft}

    def result(self, commitment: ResultCommitment, result_hash: bytes, state_output: StateOutput,
               spent: tuple[TxOutput, ...]) -> WasmExecutionResult:
        return WasmExecutionResult(commitment, result_hash, state_output, spent)


class _OnnxPath(_Path):
    kind, category, outcome_type = "onnx", ResourceCategory.AI_MODEL, (tuple, list)

    def engine(self) -> OnnxEngine:
        return self.coordinator.onnx_engine()

    def prepare(self, content: bytes) -> Any:
        return self.engine().prepare(content, self.coordinator.limits)

    def start(self, request: ExecutionRequest) -> tuple[str, bytes]:
        return "onnx.run", encode(tuple(request.tensors))

    def execute(self, engine: OnnxEngine, prepared: Any, request: ExecutionRequest,
                env: HostEnv, limits: ExecutionLimits) -> tuple[Tensor, ...]:
        return engine.run(prepared, request.tensors, limits)

    def finish(self, ctx: ExecutionContext, outcome: Any,
               view: Any) -> tuple[RunSeal, dict[str, Any]]:
        outputs = tuple(outcome)
        return ctx.finish(result=encode(outputs)), {"outputs": outputs}

    def result(self, commitment: ResultCommitment, result_hash: bytes, state_output: StateOutput,
               spent: tuple[TxOutput, ...]) -> OnnxExecutionResult:
        return OnnxExecutionResult(commitment, result_hash, state_output)


class Coordinator:
    """Resolves the configured plugins once and runs executions; safe to share across threads."""

    def __init__(self, config: Config | None = None, plugins: PluginManager | None = None,
                 *, repository: Repository | None = None) -> None:
        self.config = config or load_config()
        self.plugins = plugins or PluginManager.from_config(self.config)
        self.plugins.bind_config(self.config)  # unknown [plugin.x] tables are errors here
        for record in self.plugins.records():   # hook plugins' settings, before they see them
            if record.kind == "hooks" and record.status == "ok" and record.spec is not None:
                self.config.plugin_settings(record.spec)
        self.plugins.hook.ispc_configure.call_historic(kwargs={"config": self.config})
        self.contexts = ContextManager()
        self._repository = repository
        self._cache: dict[str, object] = {}
        self._lock = threading.Lock()
        # Worked out once per coordinator (config and plugins do not change under it): the engine
        # selections with their bounds check, the host-function table, the limits, the sinks.
        self._derived: dict[str, Any] = {}
        # Compiled contracts and prepared models by (kind, resource hash): content-addressed, so
        # an entry is valid for every view that has the resource.
        self._prepared: OrderedDict[tuple[str, bytes], Any] = OrderedDict()
        self._paths = {"wasm": _WasmPath(self), "onnx": _OnnxPath(self)}

    # ------------------------------------------------------------------------------ plugins

    def _build(self, kind: str, name: str, runtime: str | None = None) -> object:
        """The plugin object, made once; PluginManager.create has checked it against its kind's
        protocol, which is what the typed accessors below cast it to."""
        key = f"{kind}:{runtime}:{name}"
        with self._lock:
            if key not in self._cache:
                spec = self._select(kind, name, runtime)
                self._cache[key] = self._create(spec)
                log.info("selected %s %r (%s)", f"{runtime} {kind}" if runtime else kind, name,
                         spec.factory)
            return self._cache[key]

    def _select(self, kind: str, name: str, runtime: str | None) -> Any:
        """The selected plugin's descriptor; an error's hint also says where the name came from."""
        from ._config import SELECTION_KEYS
        from ._errors import PluginNotFound

        try:
            return self.plugins.select(kind, name, runtime)
        except PluginNotFound as exc:
            key = SELECTION_KEYS.get((kind, runtime), "")
            source = self.config.sources.get(key, "default")
            raise PluginNotFound(exc.message, plugin=name, code=exc.code,
                                 hint=f"{exc.hint}; {key} names {name!r} (from {source}; "
                                      "`ispc config show`)") from None

    def _create(self, spec: Any) -> Any:
        """Build the plugin; a setting it refuses gets a hint naming where the value came from."""
        from ._errors import ConfigError

        try:
            return self.plugins.create(spec, self.config.plugin_settings(spec))
        except ConfigError as exc:
            key = str(exc.details.get("key", ""))
            full = key if key.startswith("plugin.") else f"plugin.{spec.name}.{key}"
            if not key or exc.hint != ConfigError.hint:
                raise
            raise ConfigError(exc.message, code=exc.code, key=full,
                              hint=self.config.hint_for(full)) from exc

    def _once(self, key: str, make: Callable[[], Any]) -> Any:
        """``make()`` the first time ``key`` is asked, the same object ever after (a failed
        ``make`` is not remembered, so it fails again the same way)."""
        value = self._derived.get(key, _MISSING)
        if value is _MISSING:
            value = make()
            with self._lock:
                value = self._derived.setdefault(key, value)
        return value

    @property
    def limits(self) -> ExecutionLimits:
        """``config.limits``, validated once."""
        return cast(ExecutionLimits, self._once("limits", lambda: self.config.limits))

    @property
    def repository(self) -> Repository:
        if self._repository is None:
            self._repository = cast(Repository, self._build("repository",
                                                            self.config.get("repository.name")))
        return self._repository

    def wasm_engine(self) -> WasmEngine:
        def select() -> WasmEngine:
            engine = cast(WasmEngine, self._build("engine", self.config.get("engine.wasm.name"),
                                                  "wasm"))
            check_bounded(engine.name, engine.capabilities(),
                          self.config.get("engine.wasm.allow_unbounded", False))
            return engine
        return cast(WasmEngine, self._once("engine.wasm", select))

    def onnx_engine(self) -> OnnxEngine:
        return cast(OnnxEngine, self._once("engine.onnx", lambda: self._build(
            "engine", self.config.get("engine.onnx.name"), "onnx")))

    def prover(self) -> Prover:
        return cast(Prover, self._build("prover", self.config.get("prover.name")))

    def host_functions(self) -> tuple[HostFunction, ...]:
        """The union of the selected HostABI providers' functions; two offering the same import
        are a PluginConflict. One tuple per coordinator, so engines bind a module's imports to
        it once."""
        return cast(tuple[HostFunction, ...], self._once("hostabi", lambda: host_functions_for(
            cast(HostABIProvider, self._build("hostabi", name))
            for name in self.config.get("hostabi.providers"))))

    def sinks(self) -> list[TraceSink]:
        return list(self._sinks())

    def _sinks(self) -> tuple[TraceSink, ...]:
        return cast(tuple[TraceSink, ...], self._once("sinks", lambda: tuple(
            cast(TraceSink, self._build("trace_sink", name))
            for name in self.config.get("trace.sinks"))))

    # ------------------------------------------------------------------------------ running

    def _prepare(self, view: ChainView, path: _Path, resource_hash: bytes) -> Any:
        """The compiled contract or prepared model of ``resource_hash``, which must be a resource
        of the path's kind in ``view``; the content is read and compiled only the first time."""
        resource = view.resource(resource_hash)
        if resource is None:
            raise NotFound(f"no resource {resource_hash.hex()} on the chain",
                           hint="deploy it first with `ispc deploy FILE`")
        if resource.category != path.category:
            raise ValidationError("request.resource_hash",
                                  f"resource is a {resource.category.name.lower()}, "
                                  f"expected a {path.category.name.lower()}",
                                  code="wrong-resource-kind")
        key = (path.kind, resource_hash)
        with self._lock:
            prepared = self._prepared.get(key)
            if prepared is not None:
                self._prepared.move_to_end(key)
                return prepared
        content = view.resource_content(resource_hash)
        if content is None:
            raise NotFound(f"no resource {resource_hash.hex()} on the chain",
                           hint="deploy it first with `ispc deploy FILE`")
        if content_hash(content) != resource_hash:   # the cache is keyed by it: never trust it
            raise RepositoryError(f"the content stored for resource {resource_hash.hex()[:16]}… "
                                  f"does not hash to it", code="resource-content-mismatch",
                                  hint="the repository is corrupt; restore it from a backup")
        prepared = path.prepare(content)
        with self._lock:
            self._prepared[key] = prepared
            while len(self._prepared) > PREPARED_CAPACITY:
                self._prepared.popitem(last=False)
        return prepared

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
               spent: tuple[TxOutput, ...]) -> ZKStateProof:
        prover = self.prover()
        request = ProofRequest(self.config.get("prover.circuit"), result_hash, draft, spent,
                               ctx.contract_address)
        with phase("prove"):
            proof = prover.prove(request)
        # A result without a verifying proof is an error; verifying against the request also
        # checks the proof's draft commitment is this draft's.
        with phase("verify"):
            prover.verify(proof, result_hash, request=request)
        return proof

    def _check_unchanged(self, view: Any, revision: int) -> None:
        if view.revision() != revision:
            raise RepositoryError("the repository changed while the execution ran",
                                  code="revision-changed",
                                  hint="another writer applied a block; run the request again")

    def _run_hooked(self, request: ExecutionRequest, ctx: ExecutionContext, run: Callable[[], Any],
                    expected: type | tuple[type, ...]) -> Any:
        """Run inside the plugins' ``ispc_execution`` wrappers, which may only observe it: the
        result is the run's own (plugins/_execution_hook.py refuses a replaced outcome)."""
        outcome = call_execution_wrappers(self.plugins.hook.ispc_execution, request, ctx, run)
        if not isinstance(outcome, expected):
            raise PluginError(f"engine {ctx.engine!r} returned {type(outcome).__name__}, not "
                              f"{getattr(expected, '__name__', 'a tuple of tensors')}",
                              code="engine-result-invalid", plugin=ctx.engine,
                              hint="the engine breaks its protocol; run `ispc conformance "
                                   f"{ctx.engine}`")
        return outcome

    def _admit(self, view: Any, transaction: SignedTransaction, pins: ChainPins
               ) -> tuple[SignedTransaction, bytes]:
        """Refuse a transaction before it runs: unsigned, wrongly signed, for another chain,
        expired, or already applied (docs/authorization.md). Returns it with its id (a hash of
        its whole body, so computed once per run)."""
        tx = check_transaction(transaction, pins, genesis_of(view))
        transaction_id = tx.id
        if view.applied_transaction(transaction_id) is not None:
            raise TransactionRejected(f"transaction {transaction_id.hex()[:16]}… is already on "
                                      f"the chain",
                                      code="transaction-replayed",
                                      hint="sign a new transaction (another --nonce)")
        return tx, transaction_id

    def execute(self, transaction: SignedTransaction, *, prove: bool = True,
                view: ChainView | None = None) -> WasmExecutionResult:
        """Run a signed contract call and return its sealed, proven result (nothing is written).
        ``view`` (default: the current head) is the chain state to run against."""
        own = view is None
        view = self.repository.view() if own else view
        try:
            return self._execute(view, transaction, prove)
        finally:
            if own:
                _close(view)

    def _run(self, view: Any, transaction: SignedTransaction, prove: bool, path: _Path, *,
             admit: bool = True) -> Any:
        """One execution of either kind: admit the transaction, pin the context, begin the run,
        execute through the engine seam (inside the ``ispc_execution`` wrappers), finish and
        seal it, commit, prove, check the repository did not move, hand the trace to the sinks.
        ``path`` holds what differs between a contract call and a model inference."""
        revision = view.revision()
        pins = view.head()
        tx, transaction_id = self._admit(view, transaction, pins) if admit else (
            transaction, transaction.id)
        request = tx.request
        with phase("compile"):
            prepared = self._prepare(view, path, request.resource_hash)
        engine = path.engine()
        fingerprint = engine.fingerprint()
        limits = self.limits
        ctx = self.contexts.create(request, pins, limits, engine=engine.name,
                                   engine_fingerprint=fingerprint, signers=tx.signers,
                                   transaction_id=transaction_id, allowance=tx.allowance)
        try:  # ContextManager.open, without a generator per run
            ctx.begin(*path.start(request))
            env = HostEnv(ctx, view)
            with phase("execute"):
                outcome = self._run_hooked(
                    request, ctx, lambda: path.execute(engine, prepared, request, env, limits),
                    path.outcome_type)
            sealed, produced = path.finish(ctx, outcome, view)
            commitment = ResultCommitment(
                path.kind, tx, pins, engine.name, fingerprint, sealed.trace_root,
                execution_state_id(ctx.contract_address), pins.height + 1, None, **produced)
            result_hash = commitment.hash()
            spent = self._spent_outputs(view, sealed.draft)
            # the host call checked each; this is the seal
            check_spends(spent, ctx.spender(), spent_outpoints(sealed.draft))
            proof = self._prove(ctx, result_hash, sealed.draft, spent) if prove else None
            self._check_unchanged(view, revision)
            result = path.result(commitment, result_hash,
                                 _state_output(commitment, result_hash, proof), spent)
            self._emit(ctx, result_hash)
            return result
        finally:
            self.contexts.destroy(ctx)

    def _execute(self, view: Any, transaction: SignedTransaction, prove: bool, *,
                 admit: bool = True) -> WasmExecutionResult:
        return cast(WasmExecutionResult,
                    self._run(view, transaction, prove, self._paths["wasm"], admit=admit))

    def query(self, request: ExecutionRequest) -> WasmExecutionResult:
        """Run a contract method read-only against the head: no proof, nothing to apply, and no
        signature needed (the run has no signers, so it can spend nothing). A run that wrote
        anything (storage, inputs, outputs, events) is an error."""
        view = self.repository.view()
        try:
            unsigned = SignedTransaction(request, view.head().chain_id, 2**64 - 1, (), ())
            result = self._execute(view, unsigned, False, admit=False)
        finally:
            _close(view)
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

    def execute_model(self, transaction: SignedTransaction, *, prove: bool = True,
                      view: ChainView | None = None) -> OnnxExecutionResult:
        """Run a signed ONNX inference; the result commits to model, inputs, outputs."""
        own = view is None
        view = self.repository.view() if own else view
        try:
            return self._execute_model(view, transaction, prove)
        finally:
            if own:
                _close(view)

    def _execute_model(self, view: Any, transaction: SignedTransaction,
                       prove: bool) -> OnnxExecutionResult:
        return cast(OnnxExecutionResult, self._run(view, transaction, prove, self._paths["onnx"]))

    def _emit(self, ctx: ExecutionContext, result_hash: bytes) -> None:
        sinks = self._sinks()
        if not sinks:   # the in-memory setup: no summary to build
            return
        summary = {"transaction_id": ctx.transaction_id.hex(), "engine": ctx.engine,
                   "engine_fingerprint": ctx.engine_fingerprint,
                   "execution_result_hash": result_hash.hex()}
        for name, sink in zip(self.config.get("trace.sinks"), sinks):
            try:
                sink.write(summary, ctx.trace)
            except Exception as exc:  # the run is finished and proven: keep the result
                log.error("trace sink %r failed for transaction %s: %s: %s", name,
                          summary["transaction_id"], type(exc).__name__, exc)

    def verify_result(self, result: WasmExecutionResult | OnnxExecutionResult) -> None:
        """Check everything a result file claims: its commitment hashes to its result hash, its
        state output is exactly the committed one, its transaction is signed by its signers for
        this chain (its genesis) and was valid at its pins, the outputs it spends (read from this
        chain at its pinned block, never from the file) may be spent by those signers and this
        contract within the transaction's spend allowance, it writes only its own storage, and
        the proof verifies against the key it names for this hash, draft, spent outputs and
        contract."""
        if not isinstance(result, (WasmExecutionResult, OnnxExecutionResult)):
            raise ValidationError("result", f"expected an execution result, got "
                                  f"{type(result).__name__}")
        check_own_state(result)
        proof = result.state_output.zk_proof
        if proof is None:
            raise VerificationFailed("the result carries no proof", code="proof-missing",
                                     hint="results must be proven; re-run without --no-prove")
        if result_hash_of(result) != result.execution_result_hash:
            raise VerificationFailed("the result's fields do not hash to its execution result "
                                     "hash: it was altered", code="result-hash-mismatch",
                                     hint="use the result exactly as `ispc run --out` wrote it")
        commitment = result.commitment
        if commitment.kind != ("wasm" if isinstance(result, WasmExecutionResult) else "onnx") \
                or (commitment.state_id, commitment.state_version) != (
                    execution_state_id(result.contract), result.pins.height + 1) \
                or result.state_output != _state_output(commitment, result.execution_result_hash,
                                                        proof):
            raise VerificationFailed("the state output is not the one the result commits to",
                                     code="state-output-mismatch")
        spending = spent_outpoints(result.draft)
        if len(spending) != len(result.spent_outputs):
            raise VerificationFailed(f"the draft spends {len(spending)} input(s) but the result "
                                     f"carries {len(result.spent_outputs)} spent output(s)",
                                     code="spent-outputs-incomplete")
        genesis, spent = self._read_pinned(result)
        check_transaction(commitment.transaction, result.pins, genesis)
        check_spends(spent, spender_of(result), spending)
        for index, output in enumerate(result.draft.outputs):
            reason = None if output.state is None else state_output_refusal(output,
                                                                            result.contract)
            if reason is not None:
                raise VerificationFailed(f"draft output {index}: {reason}",
                                         code="foreign-state-output")
        request = ProofRequest(proof.circuit_id, result.execution_result_hash, result.draft,
                               spent, result.contract)
        with phase("verify"):
            self.prover().verify(proof, result.execution_result_hash, request=request)

    def _read_pinned(self, result: WasmExecutionResult | OnnxExecutionResult
                     ) -> tuple[bytes, tuple[TxOutput, ...]]:
        """This chain's genesis hash and the outputs ``result``'s draft spends, read at the
        result's pinned block (which must be on this chain). The result file's
        ``spent_outputs`` are not covered by the result hash (and the proof binds only outpoint,
        token and amount), so they are compared, never trusted."""
        try:
            view = self.repository.view_at(result.pins.height)
        except NotFound:
            view = None
        try:
            if view is None or view.head() != result.pins:
                raise VerificationFailed(
                    f"this chain has no block {result.pins.height} with hash "
                    f"{result.pins.block_hash.hex()[:16]}… (chain {result.pins.chain_id!r}): the "
                    f"result was made on another chain", code="result-pins-unknown")
            genesis = genesis_of(view)
            spent = self._spent_outputs(view, result.draft)
        finally:
            if view is not None:
                _close(view)
        if spent != tuple(result.spent_outputs):
            raise VerificationFailed("the result's spent outputs are not the outputs its inputs "
                                     "name at its pinned block", code="spent-outputs-forged")
        return genesis, spent

    def apply_result(self, result: WasmExecutionResult | OnnxExecutionResult) -> AppliedBlock:
        """Verify a result and apply its transaction as one block (devnet).

        In the repository's single write transaction: the head must still be the result's pins
        (compare-and-swap: ``result-stale`` otherwise), the transaction id must be new
        (``transaction-replayed``), and the outputs its inputs spend must still be exactly the
        ones the run saw and proved, and spendable by its signers (``input-not-authorized``)."""
        self.verify_result(result)
        view = self.repository.view()
        try:
            delta = result.draft.state
            if delta is not None:  # the more precise reason first: storage moved under it
                check_parent(delta, *view.state_version(delta.contract, view.head().height))
            if view.head() == result.pins:  # otherwise the writer's compare-and-swap refuses it
                # The proving key is public: a proof shows only that *someone* proved this
                # draft. What gets written must be what the signed transaction does here.
                try:
                    differences = self._replay_differences(view, result)
                except RepositoryError as exc:
                    if exc.code != "revision-changed":
                        raise
                    # Another apply landed while this one re-executed: the head moved.
                    raise RepositoryError(
                        "the chain moved while the result was re-executed: a result applies "
                        "only on the block it was pinned to", code="result-stale",
                        hint="run the request again against the current head") from None
                if differences:
                    raise VerificationFailed(
                        "the result is not what its signed transaction does at its pins: "
                        + "; ".join(differences), code="result-mismatch",
                        hint="the result was forged or made by another engine build; run the "
                             "signed transaction again with `ispc run`")
        finally:
            _close(view)
        spender = spender_of(result)
        spending = spent_outpoints(result.draft)

        def check(reader: Any) -> None:
            current = []
            for index, outpoint in enumerate(spending):
                output = reader.utxo(outpoint)
                if output is None:
                    raise InputSpent(f"input {index} is no longer unspent", input_index=index)
                current.append(output)
            if tuple(current) != result.spent_outputs:
                raise InputSpent("an input's output on the chain is not the one the run proved",
                                 code="spent-output-mismatch",
                                 hint="run the request again against the current head")
            check_spends(current, spender, spending)

        with phase("apply"):
            return self.repository.writer().apply(
                final_transaction(result), expected_head=result.pins, check=check,
                record=(result.transaction_id, encode(result)))

    def _replay_differences(self, view: Any, result: WasmExecutionResult | OnnxExecutionResult
                            ) -> list[str]:
        """Re-execute ``result``'s transaction in ``view`` (whose head must be its pins), without
        proving, and list what differs; a run that fails is reported as a status difference."""
        run = self._execute_model if isinstance(result, OnnxExecutionResult) else self._execute
        try:
            again = run(_ReplayView(view, result.transaction_id), result.transaction, False)
        except ContractFailed as exc:
            return [f"status: result has {_show(getattr(result, 'status', None))}, replay fails: "
                    f"{exc}"]
        return _differences(result, again)

    def replay(self, result: WasmExecutionResult | OnnxExecutionResult) -> list[str]:
        """Re-execute ``result``'s signed transaction against the chain state at its pinned block
        and return what differs (empty: the result is what that transaction does). Proofs are
        not re-made: replay compares the execution itself."""
        view = self.repository.view_at(result.pins.height)
        try:
            head = view.head()
            if head != result.pins:
                return [f"pins: the chain's block {head.height} is {head.block_hash.hex()}, the "
                        f"result names {result.pins.block_hash.hex()}"]
            return self._replay_differences(view, result)
        finally:
            _close(view)

    def close(self) -> None:
        with self._lock:
            self._prepared.clear()   # compiled by engines closed below
            self._derived.clear()
        for obj in self._cache.values():
            _close(obj)
        if self._repository is not None:
            _close(self._repository)
        self._cache.clear()


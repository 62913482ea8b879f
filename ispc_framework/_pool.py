"""ExecutionPool: run many signed transactions on several cores, one coordinator per process.

One Python process runs one execution at a time at full speed (most of a run is this project's
Python, which holds the GIL), so more cores need more processes. Each worker builds its own
:class:`~ispc_framework.Coordinator` from the parent's :class:`~ispc_framework.Config` (plugins,
repository file, keys, sinks: everything is re-resolved in the worker, nothing is shared but the
files), and keeps it, with its compiled modules and sessions, for every transaction it is given.

Transactions and results travel pickled, the executor's own channel between this process and
workers it started (a trusted channel: pickle is ~5x cheaper to load than the validating
decoder, which matters because the parent's share of the work caps the speed-up). The worker
checks every transaction as ``Coordinator.execute`` does. :meth:`ExecutionPool.imap` and
:meth:`~ExecutionPool.execute_many` send transactions in chunks (several per round trip, at
most :data:`MAX_CHUNK`, shrinking towards the end so the workers finish together): every round
trip through the executor costs the parent a future, two thread hand-offs and pipe writes, which
per transaction were a third of a worker's time and capped what a second worker could add.
An :class:`ISPCError` raised in a worker is raised again in the parent with its class, code,
message, hint and details; a worker that dies is ``pool-worker-died``.

Works with both start methods: ``fork`` (Linux's default; the wasmtime engine turns off parallel
compilation, whose threads do not survive a fork) and ``spawn``. The configured repository must
be one that several processes can open, such as the default SQLite file; an in-memory repository
lives in one process and is refused (``pool-repository``).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, cast

from . import _errors
from ._config import Config, load_config
from ._errors import ConfigError, ExecutionError, ISPCError, ValidationError
from ._model import OnnxExecutionResult, WasmExecutionResult
from ._transaction import SignedTransaction
from .plugins._manager import PluginManager

__all__ = ["ExecutionPool"]

START_METHODS = ("fork", "spawn", "forkserver")
#: most transactions sent to a worker in one round trip (more would only delay the first result)
MAX_CHUNK = 32


def _chunk_size(remaining: int, workers: int) -> int:
    """Guided chunks: a share of what remains, so chunks shrink towards the end and the
    workers finish together (one large last chunk would leave the others idle meanwhile)."""
    return max(1, min(MAX_CHUNK, -(-remaining // (2 * workers))))
_coordinator: Any = None  # the worker process's own coordinator


def _start_worker(config: Config) -> None:
    global _coordinator
    from ._coordinator import Coordinator

    _coordinator = Coordinator(config)


#: what a worker sends back: ("ok", result) or ("error", (class name, message, code, hint, details))
_Outcome = tuple[str, Any]


def _run(kind: str, transaction: SignedTransaction, prove: bool) -> _Outcome:
    """One execution in a worker: ("ok", result) or ("error", the error's parts)."""
    try:
        run = _coordinator.execute_model if kind == "onnx" else _coordinator.execute
        return "ok", run(transaction, prove=prove)
    except ISPCError as exc:
        details = {k: v for k, v in exc.details.items()
                   if isinstance(v, (str, int, float, bool, bytes, type(None)))}
        return "error", (type(exc).__name__, exc.message, exc.code, exc.hint, details)


def _run_chunk(items: list[tuple[str, SignedTransaction]], prove: bool) -> list[_Outcome]:
    """Several executions in a worker, one round trip: their outcomes in order (a failing one
    does not stop the others, as separate submissions would not)."""
    return [_run(kind, transaction, prove) for kind, transaction in items]


def _raise_again(name: str, message: str, code: str, hint: str, details: dict[str, Any]) -> None:
    cls = getattr(_errors, name, None)
    if not (isinstance(cls, type) and issubclass(cls, ISPCError)):
        cls = ExecutionError
    error = cls.__new__(cls)
    ISPCError.__init__(error, message, code=code, hint=hint, **details)
    if isinstance(error, ValidationError):
        error.field = details.get("field", "")
    raise error


def _outcome_of(future: Future[Any]) -> Any:
    """A worker's reply, or ``pool-worker-died`` if the worker is gone."""
    try:
        return future.result()
    except BrokenProcessPool as exc:
        raise ExecutionError(f"a pool worker process died: {exc}",
                             code="pool-worker-died") from None


def _kind_of(transaction: SignedTransaction) -> str:
    return "onnx" if transaction.request.tensors else "wasm"


class ExecutionPool:
    """``workers`` processes executing signed transactions; results in the order given.

    ``kind`` is "wasm" (contract calls, ``Coordinator.execute``), "onnx" (``execute_model``) or
    None: a request with tensors is a model run. Use as a context manager or call :meth:`close`.

    Example::

        with ExecutionPool(load_config(), workers=2) as pool:
            results = pool.execute_many(transactions, prove=False)
    """

    def __init__(self, config: Config | None = None, workers: int | None = None, *,
                 start_method: str | None = None) -> None:
        self.config = config or load_config()
        name = self.config.get("repository.name")
        spec = PluginManager.from_config(self.config).select("repository", name)
        if "persistent" not in spec.capabilities:  # each worker would get its own chain
            raise ConfigError(f"the {name} repository cannot be shared by worker processes",
                              code="pool-repository", key="repository.name")
        workers = (os.cpu_count() or 1) if workers is None else workers
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ConfigError(f"workers: expected an integer >= 1, got {workers!r}",
                              key="workers")
        if start_method is not None and start_method not in START_METHODS:
            raise ConfigError(f"start method {start_method!r} is not one of {START_METHODS}",
                              key="start_method")
        self.workers = workers
        self._executor = ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context(start_method),
            initializer=_start_worker, initargs=(self.config,))

    def submit(self, transaction: SignedTransaction, *, prove: bool = True,
               kind: str | None = None) -> Future[_Outcome]:
        """Queue one transaction; returns a future of its outcome (see :meth:`result`)."""
        return self._executor.submit(_run, *self._item(transaction, kind), bool(prove))

    @staticmethod
    def _item(transaction: SignedTransaction, kind: str | None) -> tuple[str, SignedTransaction]:
        if not isinstance(transaction, SignedTransaction):
            raise ValidationError("transaction", f"expected a SignedTransaction, got "
                                  f"{type(transaction).__name__}")
        kind = kind or _kind_of(transaction)
        if kind not in ("wasm", "onnx"):
            raise ValidationError("kind", f"expected 'wasm' or 'onnx', got {kind!r}")
        return kind, transaction

    @staticmethod
    def result(future: Future[_Outcome]) -> WasmExecutionResult | OnnxExecutionResult:
        """The result of a :meth:`submit` future, or its error raised again here."""
        return ExecutionPool._unpack(_outcome_of(future))

    @staticmethod
    def _unpack(outcome: _Outcome) -> WasmExecutionResult | OnnxExecutionResult:
        status, value = outcome
        if status == "error":
            _raise_again(*value)
        return cast("WasmExecutionResult | OnnxExecutionResult", value)

    def imap(self, transactions: Iterable[SignedTransaction], *, prove: bool = True,
             kind: str | None = None) -> Iterator[WasmExecutionResult | OnnxExecutionResult]:
        """Results one by one, in order, as they are ready (all are queued at once, in chunks)."""
        items = [self._item(tx, kind) for tx in transactions]
        futures = []
        start = 0
        while start < len(items):
            size = _chunk_size(len(items) - start, self.workers)
            futures.append(self._executor.submit(_run_chunk, items[start:start + size],
                                                 bool(prove)))
            start += size
        try:
            for future in futures:
                for outcome in _outcome_of(future):
                    yield self._unpack(outcome)
        finally:
            for future in futures:
                future.cancel()

    def execute_many(self, transactions: Iterable[SignedTransaction], *, prove: bool = True,
                     kind: str | None = None) -> list[WasmExecutionResult | OnnxExecutionResult]:
        """Every result, in order; the first failing transaction's error is raised."""
        return list(self.imap(transactions, prove=prove, kind=kind))

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ExecutionPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

"""ExecutionPool: run many signed transactions on several cores, one coordinator per process.

One Python process runs one execution at a time at full speed (most of a run is this project's
Python, which holds the GIL), so more cores need more processes. Each worker builds its own
:class:`~ispc_framework.Coordinator` from the parent's :class:`~ispc_framework.Config` (plugins,
repository file, keys, sinks: everything is re-resolved in the worker, nothing is shared but the
files), and keeps it, with its compiled modules and sessions, for every transaction it is given.

The parent's share of the work is what caps the speed-up: with two cores shared by the parent and
two workers, 2 workers reach ``2 W / (W + P)`` times one (``W``: a worker's CPU per transaction,
``P``: the parent's), so every microsecond of the parent counts. Hence:

- **No executor.** Each worker has one pipe to the parent, and the calling thread itself writes
  the chunks and reads the replies (``multiprocessing.connection.wait``): no futures, no manager
  or feeder thread, no thread hand-offs. ``concurrent.futures.ProcessPoolExecutor`` cost ~10 us
  of parent CPU per transaction at chunks of 32 and far more at small chunks.
- **Chunks.** :meth:`ExecutionPool.imap` gives a worker several transactions per message (at most
  :data:`MAX_CHUNK`, a share of what is left so the chunks shrink and the workers finish
  together). A worker has one chunk in its pipe and at most one more ready in the parent, sent the
  moment its reply is read, so it never waits for the parent to pickle. The parent writes to a
  worker only when that worker has nothing left to send back: neither side can block on a full
  pipe while the other does (whatever the size of tensors or results).
- **Cheap pickles.** Transactions and results travel pickled over this trusted channel (pickle
  is ~5x cheaper to load than the validating decoder; the worker checks every transaction as
  ``Coordinator.execute`` does). The records with a canonical encoding (``_encoding.TYPE_TABLE``:
  frozen attrs classes whose fields are their whole state, as attrs' own pickling says) travel as
  their class and a tuple of field values, set through their slots, instead of attrs'
  per-object state dict and ``__setstate__``; and a reply names the chunk's transactions by
  their place in the chunk instead of sending them back, so a result's
  ``commitment.transaction`` is the very object the parent passed in, as in process. A token
  transfer's reply: 9 us to dump and 9 us to load instead of 25 and 19 with plain pickle.
- **A frozen heap.** A worker calls ``gc.freeze()`` on what it inherited and imported, so its
  full collections do not walk it.

docs/performance.md ("Process pool (session 5)") has the figures: beside workers at ~600-750 us
per token transfer, the parent's CPU fell from ~85-110 to ~50-65 us (2 workers vs 1 estimated at
1.81-1.84x for two idle cores when a worker's CPU stays put from 1 to 2 workers). What keeps the
wall-clock ratio lower on a 2-core machine shared with other work is the machine: each core's
work slows when both are busy, two independent processes without a pool too
(``benchmarks/pool_scaling.py`` measures both side by side).

An :class:`ISPCError` raised in a worker is raised again in the parent with its class, code,
message, hint and details (an exception that is not one is ``pool-worker-error``, its traceback
on the worker's stderr); a worker that dies is ``pool-worker-died`` and the pool cannot be used
again; a closed pool is ``pool-closed``. One thread at a time drives the pool's pipes (a lock).

Works with both start methods: ``fork`` (Linux's default before Python 3.14; the wasmtime engine
turns off parallel compilation, whose threads do not survive a fork) and ``spawn``. The
configured repository must be one that several processes can open, such as the default SQLite
file; an in-memory repository lives in one process and is refused (``pool-repository``).
"""

from __future__ import annotations

import gc
import io
import multiprocessing
import os
import pickle
import sys
import threading
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection, wait
from operator import attrgetter
from types import MemberDescriptorType
from typing import Any, cast

import attrs

from . import _errors
from ._config import Config, load_config
from ._errors import ConfigError, ExecutionError, ISPCError, ValidationError
from ._model import OnnxExecutionResult, WasmExecutionResult
from ._transaction import SignedTransaction
from .plugins._manager import PluginManager

__all__ = ["ExecutionPool"]

START_METHODS = ("fork", "spawn", "forkserver")
#: most transactions sent to a worker in one message: each message costs the parent ~0.1 ms
#: (waking, the pipe, the pickler), so per transaction ~1.5 us at 64; more would only delay the
#: first result (64 unproven transfers take ~40 ms)
MAX_CHUNK = 64
Result = WasmExecutionResult | OnnxExecutionResult
#: what a worker sends back per transaction: ("ok", result) or ("error", _error_parts(...))
_Outcome = tuple[str, Any]


def _chunk_size(remaining: int, workers: int) -> int:
    """Guided chunks: a share of what remains, so chunks shrink towards the end and the
    workers finish together (one large last chunk would leave the others idle meanwhile)."""
    return max(1, min(MAX_CHUNK, -(-remaining // (2 * workers))))


# ------------------------------------------------------------------------------ the wire format

_new = object.__new__
#: class -> its attrs fields' slot setters (member descriptors' ``__set__``: they store into the
#: slot directly, past the frozen class's ``__setattr__``, as attrs' own ``__setstate__`` does)
_SETTERS: dict[type, tuple[Callable[[Any, Any], None], ...]] = {}


def _rebuild(cls: type, values: tuple[Any, ...]) -> Any:
    """A record from its field values, as attrs' ``__setstate__`` makes it from its state dict
    (no validators: the values come from a record of this class in the other process)."""
    try:
        setters = _SETTERS[cls]
    except KeyError:
        setters = _slot_setters(cls)
    record: Any = _new(cls)
    for set_slot, value in zip(setters, values):
        set_slot(record, value)
    return record


def _slot_setters(cls: type) -> tuple[Callable[[Any, Any], None], ...]:
    slots = [getattr(cls, field.name) for field in attrs.fields(cls)]
    if not all(isinstance(slot, MemberDescriptorType) for slot in slots):
        raise TypeError(f"{cls.__name__}: a field that is not a slot")  # never: attrs slots
    setters = _SETTERS[cls] = tuple(slot.__set__ for slot in slots)
    return setters


def _reducer(cls: type) -> Callable[[Any], tuple[Any, ...]]:
    _slot_setters(cls)  # refuses a class whose fields are not all slots
    names = tuple(field.name for field in attrs.fields(cls))
    if len(names) == 1:
        (name,) = names
        return lambda record: (_rebuild, (cls, (getattr(record, name),)))
    values = attrgetter(*names) if names else (lambda record: ())
    return lambda record: (_rebuild, (cls, values(record)))


_REDUCERS: dict[type, Callable[[Any], tuple[Any, ...]]] = {}


def _reducers() -> dict[type, Callable[[Any], tuple[Any, ...]]]:
    """Pickle reducers of the records with a canonical encoding (built on first use).

    Safe for exactly these classes: they are frozen, slotted attrs classes without a hash cache
    and without pickling of their own, so attrs' ``__getstate__`` is their fields (the memoised
    encoding of ``_model.Memoised`` is not one: an unpickled record encodes itself again, as
    with plain pickle). tests/test_pool_wire.py round-trips every such record and compares."""
    if not _REDUCERS:
        from ._encoding import type_ids

        for cls in type_ids():
            if "__attrs_cached_hash__" not in dir(cls):
                _REDUCERS[cls] = _reducer(cls)
    return _REDUCERS


def _dumps(value: Any, table: dict[type, Callable[[Any], tuple[Any, ...]]]) -> bytes:
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = table
    pickler.dump(value)
    return buffer.getvalue()


def _sent_transaction(place: int) -> SignedTransaction:
    """A reply's name for the chunk's transaction at ``place``: the parent's unpickler resolves
    it to its own object (:class:`_ReplyUnpickler`), nothing else may call it."""
    raise RuntimeError("_sent_transaction is resolved by the pool's reply unpickler")


def _dump_reply(outcomes: list[_Outcome], transactions: list[SignedTransaction]) -> bytes:
    """A worker's reply: its outcomes, each transaction of the chunk named by its place."""
    places = {id(transaction): place for place, transaction in enumerate(transactions)}
    record = _reducers()[SignedTransaction]

    def by_place(transaction: SignedTransaction) -> tuple[Any, ...]:
        place = places.get(id(transaction))  # the chunk's objects stay alive meanwhile
        return record(transaction) if place is None else (_sent_transaction, (place,))
    return _dumps(outcomes, {**_reducers(), SignedTransaction: by_place})


class _ReplyUnpickler(pickle.Unpickler):
    def __init__(self, data: bytes, transactions: list[SignedTransaction]) -> None:
        super().__init__(io.BytesIO(data))
        self._transactions = transactions

    def find_class(self, module: str, name: str) -> Any:
        if module == __name__ and name == "_sent_transaction":
            return self._transactions.__getitem__
        return super().find_class(module, name)


# ------------------------------------------------------------------------------ the worker side

def _error_parts(exc: ISPCError) -> tuple[str, str, str, str, dict[str, Any]]:
    details = {k: v for k, v in exc.details.items()
               if isinstance(v, (str, int, float, bool, bytes, type(None)))}
    return type(exc).__name__, exc.message, exc.code, exc.hint, details


def _run(coordinator: Any, kind: str, transaction: SignedTransaction, prove: bool) -> _Outcome:
    """One execution in a worker: ("ok", result) or ("error", the error's parts)."""
    try:
        run = coordinator.execute_model if kind == "onnx" else coordinator.execute
        return "ok", run(transaction, prove=prove)
    except ISPCError as exc:
        return "error", _error_parts(exc)
    except Exception as exc:  # a bug, not a verdict on the transaction: typed, traceback kept
        traceback.print_exc(file=sys.stderr)
        return "error", _error_parts(ExecutionError(
            f"a pool worker raised {type(exc).__name__}: {exc}", code="pool-worker-error"))


def _serve(config: Config, conn: Connection, inherited: list[Connection]) -> None:
    """A worker's life: build the coordinator, then answer each chunk message until the empty
    message (or the parent's end closing)."""
    for end in inherited:  # fork: without this, this process would keep its own pipe's parent
        end.close()        # end (and its elder siblings') open, and never see the parent go
    # What this process inherited or imported lives as long as it does: out of the collector's
    # sight, a full collection does not walk it (~25 ms for the ~40 K objects of a parent with a
    # coordinator, every few thousand transfers) nor write to its pages (copy-on-write after a
    # fork). The freeze only moves the collector's lists: nothing is touched.
    gc.freeze()
    from ._coordinator import Coordinator

    coordinator, failure = None, None
    try:
        coordinator = Coordinator(config)
    except ISPCError as exc:  # every transaction gets the reason, typed, as its outcome
        failure = "error", _error_parts(exc)
    try:
        while message := conn.recv_bytes():
            prove, items = pickle.loads(message)
            outcomes = [failure or _run(coordinator, kind, transaction, prove)
                        for kind, transaction in items]
            conn.send_bytes(_dump_reply(outcomes, [transaction for _, transaction in items]))
    except (EOFError, BrokenPipeError):  # the parent is gone
        pass
    finally:
        if coordinator is not None:
            coordinator.close()


# ------------------------------------------------------------------------------ the parent side

class _Chunk:
    """Transactions given to one worker in one message; ``outcomes`` once its reply is read."""

    __slots__ = ("transactions", "message", "outcomes")

    def __init__(self, items: list[tuple[str, SignedTransaction]], prove: bool) -> None:
        self.transactions = [transaction for _, transaction in items]
        self.message: bytes | None = _dumps((prove, items), _reducers())
        self.outcomes: list[_Outcome] | None = None


class _Worker:
    """A worker process and the parent's end of its pipe. ``queue``: the chunks given to it, in
    order; the first is in the pipe, the next is sent when the first one's reply is read."""

    def __init__(self, context: Any, config: Config, elders: list[_Worker]) -> None:
        self.conn, child = context.Pipe()
        inherited = ([worker.conn for worker in elders] + [self.conn]
                     if context.get_start_method() == "fork" else [])
        self.process = context.Process(target=_serve, args=(config, child, inherited),
                                       daemon=True, name="ispc-pool-worker")
        self.process.start()
        child.close()
        self.queue: deque[_Chunk] = deque()

    def give(self, chunk: _Chunk) -> None:
        self.queue.append(chunk)
        if len(self.queue) == 1:
            self._send_head()

    def _send_head(self) -> None:
        head = self.queue[0]
        message, head.message = head.message, None
        self.conn.send_bytes(cast(bytes, message))

    def receive(self) -> None:
        """Read the reply to the chunk in the pipe (it is ready), send the next chunk at once,
        then unpickle."""
        data = self.conn.recv_bytes()
        chunk = self.queue.popleft()
        if self.queue:
            self._send_head()
        chunk.outcomes = _ReplyUnpickler(data, chunk.transactions).load()

    def stop(self, graceful: bool) -> None:
        """Gracefully: wait for the chunk in the pipe (its reply is dropped), then the empty
        message; otherwise (a broken pool) terminate."""
        try:
            if graceful and self.process.is_alive():
                if self.queue:
                    self.conn.recv_bytes()
                self.conn.send_bytes(b"")
            else:
                self.process.terminate()
        except (EOFError, OSError):  # it died meanwhile
            pass
        self.queue.clear()
        self.process.join()
        self.conn.close()


def _raise_again(name: str, message: str, code: str, hint: str, details: dict[str, Any]) -> None:
    cls = getattr(_errors, name, None)
    if not (isinstance(cls, type) and issubclass(cls, ISPCError)):
        cls = ExecutionError
    error = cls.__new__(cls)
    ISPCError.__init__(error, message, code=code, hint=hint, **details)
    if isinstance(error, ValidationError):
        error.field = details.get("field", "")
    raise error


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
        self._lock = threading.Lock()
        self._broken: str | None = None
        self._closed = False
        context = multiprocessing.get_context(start_method)
        self._workers: list[_Worker] = []
        for _ in range(workers):
            self._workers.append(_Worker(context, self.config, self._workers))

    @property
    def worker_pids(self) -> list[int]:
        """The worker processes' ids (for monitoring: the benchmark reads their CPU times)."""
        return [cast(int, worker.process.pid) for worker in self._workers]

    def submit(self, transaction: SignedTransaction, *, prove: bool = True,
               kind: str | None = None) -> _Chunk:
        """Queue one transaction on the least busy worker; returns a handle for
        :meth:`result` (the reply is read when :meth:`result` or another call needs it)."""
        chunk = _Chunk([self._item(transaction, kind)], bool(prove))
        with self._lock:
            self._usable()
            self._give(min(self._workers, key=lambda worker: len(worker.queue)), chunk)
        return chunk

    def result(self, chunk: _Chunk) -> Result:
        """The result of a :meth:`submit`, or its error raised again here."""
        self._wait_for(chunk)
        return self._unpack(cast("list[_Outcome]", chunk.outcomes)[0])

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
    def _unpack(outcome: _Outcome) -> Result:
        status, value = outcome
        if status == "error":
            _raise_again(*value)
        return cast(Result, value)

    def imap(self, transactions: Iterable[SignedTransaction], *, prove: bool = True,
             kind: str | None = None) -> Iterator[Result]:
        """Results one by one, in order, as they are ready. Every worker is kept busy with one
        chunk running and the next one ready; a chunk's size is decided when it is given."""
        items = [self._item(tx, kind) for tx in transactions]
        prove = bool(prove)
        given: deque[_Chunk] = deque()  # this call's chunks, in order
        start = 0
        while start < len(items) or given:
            with self._lock:
                self._usable()
                while start < len(items):
                    worker = min(self._workers, key=lambda worker: len(worker.queue))
                    if len(worker.queue) >= 2:
                        break
                    size = _chunk_size(len(items) - start, self.workers)
                    chunk = _Chunk(items[start:start + size], prove)
                    self._give(worker, chunk)
                    given.append(chunk)
                    start += size
                if not given or given[0].outcomes is None:  # (the workers may be busy with
                    self._receive()                          # other calls' chunks)
                    continue
            for outcome in cast("list[_Outcome]", given.popleft().outcomes):
                yield self._unpack(outcome)

    def execute_many(self, transactions: Iterable[SignedTransaction], *, prove: bool = True,
                     kind: str | None = None) -> list[Result]:
        """Every result, in order; the first failing transaction's error is raised."""
        return list(self.imap(transactions, prove=prove, kind=kind))

    def _wait_for(self, chunk: _Chunk) -> None:
        while chunk.outcomes is None:
            with self._lock:
                if chunk.outcomes is None:
                    self._usable()
                    self._receive()

    def _receive(self) -> None:
        """Block until some worker's reply is ready and read every ready one (a worker that
        exits instead breaks the pool)."""
        watched: dict[Any, _Worker] = {}
        for worker in self._workers:
            if worker.queue:
                watched[worker.conn] = watched[worker.process.sentinel] = worker
        for ready in wait(list(watched)):
            worker = watched[ready]
            if worker.queue and (ready is worker.conn or worker.conn.poll()):
                try:
                    worker.receive()
                    continue
                except (EOFError, OSError):
                    pass
            self._break(worker)

    def _give(self, worker: _Worker, chunk: _Chunk) -> None:
        try:
            worker.give(chunk)
        except OSError:  # its end of the pipe is closed
            self._break(worker)

    def _break(self, worker: _Worker) -> None:
        """``worker`` is gone: so is the pool (its queued chunks are lost)."""
        worker.process.join(0.1)  # its exit code, if it is exiting
        code = worker.process.exitcode
        self._broken = f"worker {worker.process.pid} " + (
            f"exited with code {code}" if code is not None else "closed its pipe")
        self._usable()

    def _usable(self) -> None:
        if self._broken:
            raise ExecutionError(f"a pool worker process died: {self._broken}",
                                 code="pool-worker-died")
        if self._closed:
            raise ExecutionError("the pool is closed", code="pool-closed")

    def close(self) -> None:
        """Stop the workers: each finishes the chunk it is running (a broken pool's are
        terminated). Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for worker in self._workers:
                worker.stop(graceful=self._broken is None)

    def __enter__(self) -> ExecutionPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

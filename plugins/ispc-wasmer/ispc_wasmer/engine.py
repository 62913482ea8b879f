"""WasmerEngine: the design's original engine, on wasmer-python 1.1.0 (CPython <= 3.10 only).

What wasmer-python cannot do, and what this engine does about it:

* no metering, no memory limit, no NaN canonicalisation, no wall-clock interruption, no stack
  setting: the capabilities are declared absent (:data:`MISSING_CAPABILITIES`), so an operator or
  the coordinator can refuse untrusted code on this engine. Host gas is still charged through the
  context (the trace's ledger), so OutOfGas from host calls works, and linear memory above the cap
  is detected after the run (the result is refused with MemoryLimitExceeded).
* every wasmer object must stay on the thread that made it: all of them live on one private
  worker thread; ``compile`` and ``execute`` submit work to it and wait. wasmer holds the GIL for
  the whole call anyway, so this costs no parallelism.
* modules are validated with the same rules and the same feature gate as ispc-wasmtime (the
  core's engine-neutral rules, ``ispc_framework.plugins.check_module``, and the wasmtime library's
  validator under the core's ``WASM_FEATURES``), so both engines accept exactly the same modules.

Values cross the boundary as unsigned integers, as on ispc-wasmtime.
"""

from __future__ import annotations

import atexit
import hashlib
import sys
import os
import threading
import weakref
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ispc_framework.plugins import EngineOutcome, HostEnv, HostFunction, MemoryAccessError
from ispc_framework.plugins import (EngineUnavailable, HostCallFailed, ISPCError,
                                   MemoryLimitExceeded, ModuleRejected, StackExhausted, Trap)
from ispc_framework.plugins import MAX_U64
from ispc_framework.plugins import (MAX_TABLE_ELEMENTS, WASM_FEATURES,
                                    WASM_PAGE, ModuleInfo, bind_imports, check_method,
                                    check_module, resolve_settings)

from .plugin import SETTINGS

__all__ = ["WasmerEngine", "WasmerModule", "CAPABILITIES", "MISSING_CAPABILITIES",
           "WASMER_VERSION", "load_wasmer"]

WASMER_VERSION = "1.1.0"
#: "threads": safe to call from any thread; "spec-tests": spec_session() (wasm_spec_protocol).
CAPABILITIES: frozenset[str] = frozenset({"threads", "spec-tests"})
MISSING_CAPABILITIES = frozenset({"metering", "memory-limit", "nan-canonicalization", "timeout",
                                  "stack-limit", "compile-limits"})
_M32 = 0xFFFFFFFF
_FIX = (f"wasmer-python {WASMER_VERSION} ships wheels only for CPython 3.7-3.10 (on 3.11+ pip "
        f"installs a stub that raises ImportError). Run ispc under Python 3.10 with "
        f"`pip install wasmer=={WASMER_VERSION} wasmer-compiler-cranelift=={WASMER_VERSION}`, or "
        f"select [engine.wasm] name = \"wasmtime\"")


def load_wasmer():
    """Import wasmer and its cranelift compiler, or raise EngineUnavailable naming the fix."""
    try:
        import wasmer
        import wasmer_compiler_cranelift
    except ImportError as exc:
        # On 3.11+ pip installs wasmer's pure-Python stub, whose import raises ImportError.
        raise EngineUnavailable(
            f"the wasmer engine is not usable on Python {sys.version_info.major}."
            f"{sys.version_info.minor}: {exc}", hint=_FIX,
            python=f"{sys.version_info.major}.{sys.version_info.minor}") from None
    return wasmer, wasmer_compiler_cranelift


def _wasmtime_validator():
    """wasmtime (the library, not the ISPC plugin) with the core's feature policy, used only to
    validate: wasmer-python exposes no feature switches, so without it wasmer would accept SIMD,
    threads and the other proposals the policy turns off."""
    import wasmtime

    config = wasmtime.Config()
    for name, on in WASM_FEATURES.items():
        setattr(config, name if name == "shared_memory" else f"wasm_{name}", on)
    config.parallel_compilation = False  # its threads do not survive fork(): a child would hang
    return wasmtime, wasmtime.Engine(config)


# One thread owns every wasmer object of the process, for all WasmerEngine instances: wasmer
# objects must stay on the thread that made it, and wasmer's trap handling proved fragile with
# several threads each running wasmer code (a process-killing SIGILL under pytest).
_worker_lock = threading.Lock()
_worker_pool: ThreadPoolExecutor | None = None
_worker_thread: threading.Thread | None = None


def _worker() -> ThreadPoolExecutor:
    global _worker_pool
    with _worker_lock:
        if _worker_pool is None:
            _worker_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ispc-wasmer",
                                              initializer=_remember_worker_thread)
        return _worker_pool


def _remember_worker_thread() -> None:
    global _worker_thread
    _worker_thread = threading.current_thread()


def _forget_worker_after_fork() -> None:
    """A forked child (the conformance runner forks per check) has no copy of the worker
    thread: it starts its own on first use instead of waiting on the parent's forever."""
    global _worker_pool, _worker_thread, _worker_lock
    _worker_lock, _worker_pool, _worker_thread = threading.Lock(), None, None


os.register_at_fork(after_in_child=_forget_worker_after_fork)


class WasmerModule:
    """A validated module; the wasmer Module itself stays on the engine's worker thread."""

    __slots__ = ("code", "code_hash", "info")

    def __init__(self, code: bytes, info: ModuleInfo) -> None:
        self.code = code
        self.code_hash = hashlib.sha256(code).hexdigest()
        self.info = info


class _Run:
    __slots__ = ("env", "error")

    def __init__(self, env: HostEnv) -> None:
        self.env = env
        self.error: BaseException | None = None

    def bind(self, fn: HostFunction):
        env = self.env
        convert = [_M32 if kind == "i32" else MAX_U64 for kind in fn.params]
        result_kind = fn.results[0] if fn.results else None

        def call(*args):
            if self.error is not None:   # an earlier host error already ended the run
                raise _Abort()
            try:
                result = fn.handler(env, *(a & m for a, m in zip(args, convert)))
                if result_kind is None:
                    if result is not None:
                        raise TypeError(f"{fn.module}.{fn.name} returned {result!r}, "
                                        f"expected None")
                    return None
                if isinstance(result, bool) or not isinstance(result, int):
                    raise TypeError(f"{fn.module}.{fn.name} returned {result!r}, expected an int")
                bits = 32 if result_kind == "i32" else 64
                result &= (1 << bits) - 1
                return result - (1 << bits) if result >> (bits - 1) else result
            except BaseException as exc:  # noqa: BLE001 - kept in this run, re-raised after
                self.error = exc
                raise _Abort() from None
        return call


class _Abort(Exception):
    """Unwinds the guest after a host error; the real error is in the run's state."""


class _Memory:
    """GuestMemory over a wasmer memory export; invalid once its run has finished."""

    __slots__ = ("_memory", "_alive")

    def __init__(self, memory) -> None:
        self._memory = memory
        self._alive = True

    def close(self) -> None:
        self._alive = False

    def _view(self) -> memoryview:
        if not self._alive:
            raise MemoryAccessError("the execution that owned this memory has finished")
        return memoryview(self._memory.buffer)   # fresh: a grow replaces the buffer

    def size(self) -> int:
        if not self._alive:
            raise MemoryAccessError("the execution that owned this memory has finished")
        return self._memory.data_size

    def read(self, ptr: int, length: int) -> bytes:
        view = self._view()
        if ptr < 0 or length < 0 or ptr + length > view.nbytes:
            raise MemoryAccessError(f"range [{ptr}, {ptr + length}) is outside linear memory "
                                    f"of {view.nbytes} bytes")
        return view[ptr:ptr + length].tobytes()

    def write(self, ptr: int, data: bytes) -> None:
        view = self._view()
        data = bytes(data)
        if ptr < 0 or ptr + len(data) > view.nbytes:
            raise MemoryAccessError(f"range [{ptr}, {ptr + len(data)}) is outside linear "
                                    f"memory of {view.nbytes} bytes")
        view[ptr:ptr + len(data)] = data


class WasmerEngine:
    """The ``wasmer`` engine plugin object (see ispc_framework._engines.WasmEngine)."""

    name = "wasmer"

    def __init__(self, settings: Mapping[str, Any] | None = None, **overrides: Any) -> None:
        """``settings`` is the ``[plugin.wasmer]`` table (see plugin.py for the keys)."""
        options = resolve_settings(SETTINGS, {**dict(settings or {}), **overrides}, "wasmer")
        max_module_bytes, cache_size = options["max_module_bytes"], options["cache_size"]
        self._wasmer, self._cranelift = load_wasmer()
        self._wasmtime, self._validator = _wasmtime_validator()
        self.max_module_bytes = int(max_module_bytes)
        self._cache_size = max(1, int(cache_size))
        self._store = None
        self._modules: dict[str, Any] = {}   # code hash -> wasmer.Module (worker thread only)
        self._validated: dict[str, WasmerModule] = {}   # code hash -> validated module
        self._validated_lock = threading.Lock()
        self._on_worker(self._init_worker)
        _LIVE_ENGINES.add(self)

    # ---------------------------------------------------------------- worker thread

    def _on_worker(self, fn, *args):
        if threading.current_thread() is _worker_thread:
            return fn(*args)   # a host function calling back into the engine
        return _worker().submit(fn, *args).result()

    def _init_worker(self) -> None:
        wasmer = self._wasmer
        self._store = wasmer.Store(wasmer.engine.Universal(self._cranelift.Compiler))

    def close(self) -> None:
        """Drop this engine's wasmer objects (on the thread that owns them) and its validator.
        Also run at interpreter exit, where wasmtime-py objects finalized late fail noisily."""
        self._validator.close()

        def drop():
            self._modules.clear()
            self._store = None
        try:
            self._on_worker(drop)
        except RuntimeError:   # the worker pool already shut down at interpreter exit
            pass

    # ---------------------------------------------------------------- identity

    def fingerprint(self) -> str:
        return f"wasmer-{WASMER_VERSION}/cranelift/universal"

    def capabilities(self) -> frozenset[str]:
        return CAPABILITIES

    # ---------------------------------------------------------------- spec tests

    def spec_session(self, limits):
        """A raw-module session with the contract feature gate (wasm_spec_protocol)."""
        from .spec_session import WasmerSpecSession

        return WasmerSpecSession(self, limits)

    def spec_known_issues(self):
        from pathlib import Path

        return Path(__file__).with_name("spec_known_issues.json")

    # ---------------------------------------------------------------- compile

    def compile(self, code: bytes, host_functions: Sequence[HostFunction]) -> WasmerModule:
        if isinstance(code, (bytes, bytearray)):
            cached = self._validated.get(hashlib.sha256(code).hexdigest())
            if cached is not None:
                bind_imports(cached.info, host_functions)   # this request's providers
                return cached
        info = check_module(code, host_functions, max_module_bytes=self.max_module_bytes)
        code = bytes(code)
        try:
            self._wasmtime.Module.validate(self._validator, code)
        except self._wasmtime.WasmtimeError as exc:
            raise ModuleRejected(f"module rejected by the ISPC feature gate: "
                                 f"{str(exc).strip().splitlines()[0]}", code="invalid-module") from None
        compiled = WasmerModule(code, info)
        self._on_worker(self._module, compiled)
        with self._validated_lock:
            self._validated[compiled.code_hash] = compiled
            while len(self._validated) > self._cache_size:
                self._validated.pop(next(iter(self._validated)))
        return compiled

    def _module(self, compiled: WasmerModule):
        module = self._modules.pop(compiled.code_hash, None)
        if module is None:
            try:
                module = self._wasmer.Module(self._store, compiled.code)
            except Exception as exc:  # noqa: BLE001 - wasmer raises plain exceptions
                raise ModuleRejected(f"wasmer rejected the module: {exc}",
                                     code="invalid-module") from None
        self._modules[compiled.code_hash] = module    # most recently used last
        while len(self._modules) > self._cache_size:
            self._modules.pop(next(iter(self._modules)))
        return module

    # ---------------------------------------------------------------- execute

    def execute(self, module: WasmerModule, method: str, env: HostEnv,
                host_functions: Sequence[HostFunction]) -> EngineOutcome:
        if not isinstance(module, WasmerModule):
            raise ModuleRejected("execute() needs a module returned by this engine's compile()",
                                 code="not-compiled")
        check_method(module.info, method)
        functions = bind_imports(module.info, host_functions)
        limits = env.ctx.limits
        initial = module.info.memories[0][0] * WASM_PAGE
        if initial > limits.memory_bytes:
            raise MemoryLimitExceeded(f"the module's initial memory of {initial} bytes exceeds "
                                      f"the cap of {limits.memory_bytes}", limit="memory_bytes")
        for minimum, _maximum in module.info.tables:
            if minimum > MAX_TABLE_ELEMENTS:   # the same cap, and error, as ispc-wasmtime's store
                raise MemoryLimitExceeded(
                    f"instantiation failed: the module's table of {minimum} elements exceeds "
                    f"the cap of {MAX_TABLE_ELEMENTS} table elements", code="table-limit",
                    limit="table_elements",
                    hint=f"declare a function table of at most {MAX_TABLE_ELEMENTS} elements "
                         f"(a fixed cap, not a [limits] setting)")
        return self._on_worker(self._execute, module, method, env, functions)

    def _execute(self, compiled: WasmerModule, method: str, env: HostEnv,
                 functions: tuple[HostFunction, ...]) -> EngineOutcome:
        wasmer = self._wasmer
        types = {"i32": wasmer.Type.I32, "i64": wasmer.Type.I64}
        run = _Run(env)
        imports: dict[str, dict[str, Any]] = {}
        for imp, fn in zip(compiled.info.func_imports, functions):
            func_type = wasmer.FunctionType([types[t] for t in imp.params],
                                            [types[t] for t in imp.results])
            imports.setdefault(imp.module, {})[imp.name] = wasmer.Function(
                self._store, run.bind(fn), func_type)
        import_object = wasmer.ImportObject()
        for module_name, entries in imports.items():
            import_object.register(module_name, entries)
        memory = None
        try:
            try:
                instance = wasmer.Instance(self._module(compiled), import_object)
            except Exception as exc:  # noqa: BLE001 - e.g. a data segment outside memory
                raise Trap(f"instantiation failed: {str(exc).strip().splitlines()[0]}",
                           code="instantiation-failed") from None
            # Exports by iteration, never getattr: wasmer's Exports is a Python object, so a
            # method named __hash__ or __init__ would otherwise reach Python attributes.
            exports = {name: item for name, item in instance.exports}
            memory_export = exports.get("memory")
            if not isinstance(memory_export, wasmer.Memory):
                raise ModuleRejected("module exports no memory named 'memory'",
                                     code="missing-memory")
            memory = _Memory(memory_export)
            env.memory = memory
            func = exports.get(method)
            if not isinstance(func, wasmer.Function):
                raise ModuleRejected(f"module exports no method {method!r}",
                                     code="method-not-found", method=method)
            try:
                status = func()
            except BaseException as exc:  # noqa: BLE001
                if run.error is not None:
                    raise _host_error(run.error) from None
                raise _trap_error(exc) from None
            if run.error is not None:
                raise _host_error(run.error)
            if memory.size() > env.ctx.limits.memory_bytes:
                raise MemoryLimitExceeded(
                    f"linear memory grew to {memory.size()} bytes, above the cap of "
                    f"{env.ctx.limits.memory_bytes} (wasmer cannot stop the growth; the result "
                    f"is refused)", limit="memory_bytes")
            if isinstance(status, bool) or not isinstance(status, int):
                raise Trap(f"method {method!r} returned {status!r}, expected an i32",
                           code="bad-result")
            return EngineOutcome(status=status & _M32, fuel_used=0)
        finally:
            if memory is not None:
                memory.close()
            env.memory = None


_LIVE_ENGINES: weakref.WeakSet[WasmerEngine] = weakref.WeakSet()


@atexit.register
def _close_live_engines() -> None:
    for engine in list(_LIVE_ENGINES):
        engine.close()


def _host_error(exc: BaseException) -> BaseException:
    if isinstance(exc, ISPCError) or not isinstance(exc, Exception):
        return exc
    error = HostCallFailed(f"host function raised {type(exc).__name__}: {exc}")
    error.__cause__ = exc
    return error


def _trap_error(exc: BaseException) -> ISPCError:
    text = str(exc).replace("RuntimeError: ", "", 1).strip()
    message = text.splitlines()[0] if text else type(exc).__name__
    if "call stack exhausted" in message:
        return StackExhausted(f"wasm stack exhausted ({message})")
    code = {"unreachable": "unreachable", "integer divide by zero": "integer-division-by-zero",
            "out of bounds memory access": "memory-out-of-bounds",
            "integer overflow": "integer-overflow"}.get(message, "unknown")
    return Trap(f"the guest trapped: {message}", trap_code=code)

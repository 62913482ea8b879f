"""WasmtimeEngine: the primary ISPC WebAssembly engine.

Design (see docs/wasm.md for the measurements behind it):

* One ``wasmtime.Engine`` per stack limit (``max_wasm_stack`` is an engine setting), each with the
  deterministic configuration of :mod:`ispc_wasmtime.config`, shared by all threads.
* ``compile`` applies the deploy rules (:mod:`ispc_wasmtime.inspect`), compiles through the
  module cache, and links the module's imports once into an ``InstancePre``.
* ``execute`` makes one ``Store`` per run holding that run's state (:class:`_Run`) as store data,
  sets fuel, memory limit and epoch deadline, instantiates and calls the method.
* Host functions are bound generically through wasmtime's *unchecked* C callback with one shared
  trampoline: the function index travels in the callback's ``env`` pointer, the run is found from
  the caller's store data. Nothing about a run is captured at link time, and a host error is kept
  in the run's own state, never in wasmtime-py's module-level ``LAST_EXCEPTION`` (which mixes
  errors up between threads). It costs about a fifth of the high-level ``Linker.define_func``
  path per host call (benchmarks/wasm_engines.py), at the price of using ``wasmtime._ffi`` and
  ``wasmtime._bindings`` (private modules, hence the pinned wasmtime major).
* Values cross the boundary as unsigned integers: i32 as [0, 2^32), i64 as [0, 2^64). Results
  may be given signed or unsigned; they are wrapped to the wasm width.
"""

from __future__ import annotations

import atexit
import ctypes
import hashlib
import threading
import weakref
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

from ispc_framework.plugins import EngineOutcome, HostEnv, HostFunction, MemoryAccessError
import wasmtime
from ispc_framework.plugins import (ConfigError, EngineUnavailable, HostCallFailed, ISPCError,
                                   MemoryLimitExceeded, ModuleRejected, OutOfGas, StackExhausted,
                                   Timeout, Trap, ValidationError)
from ispc_framework.plugins import (MAX_TABLE_ELEMENTS, MAX_U64, WASM_PAGE, ModuleInfo,
                                    bind_imports, check_method, check_module, resolve_settings)
from wasmtime import _bindings, _ffi as ffi
from wasmtime._value import _unintern

from .cache import ModuleCache, cache_key
from .bounded_compile import IN_PROCESS_BYTES, compile_bounded
from .config import WASMTIME_MAJOR, build_config, settings_digest, wasmtime_version
from .plugin import SETTINGS
from .watchdog import EpochWatchdog

__all__ = ["WasmtimeEngine", "CompiledModule", "CAPABILITIES", "MAX_STACK_BYTES",
           "MAX_TABLE_ELEMENTS"]

CAPABILITIES = frozenset({"metering", "memory-limit", "nan-canonicalization", "timeout",
                          "stack-limit", "threads", "spec-tests", "compile-limits"})
#: Largest ``limits.stack_bytes`` this engine accepts. wasmtime requires ``max_wasm_stack`` below
#: its async stack size (2 MiB by default) and panics, killing the process, above it; the guest
#: also runs on the calling thread's native stack, so the bound is kept well under that.
MAX_STACK_BYTES = 1024 * 1024
_M32 = 0xFFFFFFFF
_M64 = MAX_U64
_NULL_FINALIZER = ctypes.cast(0, ctypes.CFUNCTYPE(None, ctypes.c_void_p))
_VALTYPES = {"i32": wasmtime.ValType.i32, "i64": wasmtime.ValType.i64}


def _new_trap(message: str) -> int:
    raw = message.encode()
    trap = ffi.wasmtime_trap_new(ctypes.create_string_buffer(raw), len(raw))
    return ctypes.cast(trap, ctypes.c_void_p).value or 0


class _Run:
    """The state of one execution, reachable from its store's data and nowhere else.

    ``limits.fuel`` is one budget for wasm fuel plus host gas: after every host call the gas it
    charged (``ctx.drain_host_gas()``) is taken out of the store's fuel, clamped at 0, and
    ``host_fuel`` counts what was taken so the engine can report wasm fuel alone.
    """

    __slots__ = ("env", "ctx", "functions", "error", "host_fuel", "__weakref__")

    def __init__(self, env: HostEnv, functions: tuple[HostFunction, ...]) -> None:
        self.env = env
        self.ctx = env.ctx
        self.functions = functions
        self.error: BaseException | None = None
        self.host_fuel = 0

    def __bool__(self) -> bool:  # wasmtime.Store only interns truthy data
        return True

    def call(self, index: int, values, context) -> int:
        """Run host function ``index`` on the raw value array; return 0 or a trap pointer."""
        fn = self.functions[index]
        try:
            args = [values[i].i32 & _M32 if kind == "i32" else values[i].i64 & _M64
                    for i, kind in enumerate(fn.params)]
            result = fn.handler(self.env, *args)
            gas = self.ctx.drain_host_gas()
            if gas > 0:
                self._take_fuel(context, gas)
            if fn.results:
                if isinstance(result, bool) or not isinstance(result, int):
                    raise TypeError(f"{fn.module}.{fn.name} returned {result!r}, expected an int")
                if fn.results[0] == "i32":
                    values[0].i32 = result & _M32   # ctypes wraps to the signed 32-bit slot
                else:
                    values[0].i64 = result & _M64
            elif result is not None:
                raise TypeError(f"{fn.module}.{fn.name} returned {result!r}, expected None")
            return 0
        except BaseException as exc:  # noqa: BLE001 - every failure must become this run's trap
            if self.error is None:
                self.error = exc
            return _new_trap(f"host function {fn.module}.{fn.name} failed")

    def _take_fuel(self, context, gas: int) -> None:
        """Take ``gas`` out of the store's fuel; OutOfGas if the shared budget cannot cover it."""
        remaining = ctypes.c_uint64()
        _check(_get_fuel(context, ctypes.byref(remaining)))
        left = remaining.value
        taken = min(gas, left)
        _check(_set_fuel(context, left - taken))   # >= 0: set_fuel(-1) would mean unlimited
        self.host_fuel += taken
        if gas > left:
            limits = self.ctx.limits
            raise OutOfGas(f"wasm fuel plus host gas exceed the budget of {limits.fuel}",
                           limit="fuel", host_gas=self.ctx.gas_used)


# The raw ctypes functions, skipping wasmtime-py's Python wrappers: this is the per-call path.
_caller_context = _bindings._wasmtime_caller_context
_context_get_data = _bindings._wasmtime_context_get_data
_get_fuel = _bindings._wasmtime_context_get_fuel
_set_fuel = _bindings._wasmtime_context_set_fuel


def _check(error) -> None:
    if error:
        raise wasmtime.WasmtimeError._from_ptr(error)


@ffi.wasmtime_func_unchecked_callback_t
def _trampoline(env, caller, values, _count):
    # An exception escaping a ctypes callback would be printed and read as "success": never.
    try:
        context = _caller_context(caller)
        run = _unintern(_context_get_data(context))
        return run.call((env or 0) - 1, values, context)
    except BaseException:  # noqa: BLE001
        return _new_trap("ispc: host call dispatch failed")


_memory_data = _bindings._wasmtime_memory_data
_memory_data_size = _bindings._wasmtime_memory_data_size


class _Memory:
    """GuestMemory over a wasmtime memory export; invalid once its run has finished."""

    __slots__ = ("_context", "_memory", "_alive")

    def __init__(self, context, memory) -> None:
        self._context = context
        self._memory = memory
        self._alive = True

    def close(self) -> None:
        self._alive = False

    def _base_and_size(self) -> tuple[int, int]:
        # Asked on every access: memory.grow may move or resize linear memory.
        if not self._alive:
            raise MemoryAccessError("the execution that owned this memory has finished")
        memory = ctypes.byref(self._memory)
        size = _memory_data_size(self._context, memory)
        base = ctypes.cast(_memory_data(self._context, memory), ctypes.c_void_p).value or 0
        return base, size

    def size(self) -> int:
        return self._base_and_size()[1]

    def _check(self, ptr: int, length: int, size: int) -> None:
        if ptr < 0 or length < 0 or ptr + length > size:
            raise MemoryAccessError(f"range [{ptr}, {ptr + length}) is outside linear memory "
                                    f"of {size} bytes")

    def read(self, ptr: int, length: int) -> bytes:
        base, size = self._base_and_size()
        self._check(ptr, length, size)
        return ctypes.string_at(base + ptr, length) if length else b""

    def write(self, ptr: int, data: bytes) -> None:
        base, size = self._base_and_size()
        data = bytes(data)
        self._check(ptr, len(data), size)
        if data:
            ctypes.memmove(base + ptr, data, len(data))


class CompiledModule:
    """A validated contract: its code hash, deploy-time facts, and per-engine linked forms."""

    __slots__ = ("code", "code_hash", "info", "_linked", "_lock")

    def __init__(self, code: bytes, info: ModuleInfo) -> None:
        self.code = code
        self.code_hash = hashlib.sha256(code).hexdigest()
        self.info = info
        self._linked: dict[int, Any] = {}   # stack_bytes -> InstancePre
        self._lock = threading.Lock()


class _EngineSlot:
    """A wasmtime Engine for one stack limit, with its config digest and watchdog."""

    def __init__(self, stack_bytes: int) -> None:
        self.stack_bytes = stack_bytes
        self.digest = settings_digest(stack_bytes)
        self.engine = wasmtime.Engine(build_config(stack_bytes))
        self.watchdog = EpochWatchdog(self.engine)


class WasmtimeEngine:
    """The ``wasmtime`` engine plugin object (see ispc_framework._engines.WasmEngine)."""

    name = "wasmtime"

    def __init__(self, settings: Mapping[str, Any] | None = None, **overrides: Any) -> None:
        """``settings`` is the ``[plugin.wasmtime]`` table (see plugin.py for the keys)."""
        options = resolve_settings(SETTINGS, {**dict(settings or {}), **overrides}, "wasmtime")
        major = int(wasmtime_version().split(".")[0])
        if major != WASMTIME_MAJOR:
            raise EngineUnavailable(
                f"ispc-wasmtime needs wasmtime {WASMTIME_MAJOR}.x, found {wasmtime_version()}",
                code="engine-version",
                hint=f"pip install 'wasmtime>={WASMTIME_MAJOR},<{WASMTIME_MAJOR + 1}'")
        self.cache = ModuleCache(options["cache_size"], options["cache_dir"])
        self.max_module_bytes = int(options["max_module_bytes"])
        self.default_stack_bytes = int(options["default_stack_bytes"])
        if self.default_stack_bytes > MAX_STACK_BYTES:
            raise ConfigError(f"engine setting default_stack_bytes is "
                              f"{self.default_stack_bytes}, the maximum is {MAX_STACK_BYTES}",
                              key="default_stack_bytes",
                              hint=f"set [plugin.wasmtime] default_stack_bytes to at most "
                                   f"{MAX_STACK_BYTES} (1 MiB)")
        self._slots: dict[int, _EngineSlot] = {}
        self._slots_lock = threading.Lock()
        # Validated, linked modules by code hash: the coordinator compiles on every request.
        self._compiled: OrderedDict[str, CompiledModule] = OrderedDict()
        self._compiled_capacity = int(options["cache_size"])
        self._compiled_lock = threading.Lock()
        _LIVE_ENGINES.add(self)

    def close(self) -> None:
        """Free compiled code and engines now (they are rebuilt on demand if used again).
        Also run at interpreter exit: wasmtime-py objects finalized during shutdown fail noisily
        once its ffi module is gone."""
        with self._compiled_lock:
            compiled, self._compiled = list(self._compiled.values()), OrderedDict()
        for item in compiled:
            with item._lock:
                for pre in item._linked.values():
                    pre.close()
                item._linked.clear()
        self.cache.close()
        with self._slots_lock:
            slots, self._slots = list(self._slots.values()), {}
        for slot in slots:
            slot.engine.close()

    # ---------------------------------------------------------------- identity

    def fingerprint(self) -> str:
        return self.fingerprint_for(self.default_stack_bytes)

    def fingerprint_for(self, stack_bytes: int) -> str:
        return f"wasmtime-{wasmtime_version()}/{settings_digest(stack_bytes)[:16]}"

    def capabilities(self) -> frozenset[str]:
        return CAPABILITIES

    # ---------------------------------------------------------------- spec tests

    def spec_session(self, limits):
        """A raw-module session under this engine's configuration (wasm_spec_protocol)."""
        from .spec_session import WasmtimeSpecSession

        return WasmtimeSpecSession(self, limits)

    def spec_known_issues(self):
        from pathlib import Path

        return Path(__file__).with_name("spec_known_issues.json")

    # ---------------------------------------------------------------- compile

    def _slot(self, stack_bytes: int) -> _EngineSlot:
        with self._slots_lock:
            slot = self._slots.get(stack_bytes)
            if slot is None:
                slot = self._slots[stack_bytes] = _EngineSlot(stack_bytes)
            return slot

    def compile(self, code: bytes, host_functions: Sequence[HostFunction]) -> CompiledModule:
        if isinstance(code, (bytes, bytearray)):
            key = hashlib.sha256(code).hexdigest()
            with self._compiled_lock:
                compiled = self._compiled.get(key)
                if compiled is not None:
                    self._compiled.move_to_end(key)
            if compiled is not None:
                bind_imports(compiled.info, host_functions)   # this request's providers
                return compiled
        info = check_module(code, host_functions, max_module_bytes=self.max_module_bytes)
        compiled = CompiledModule(bytes(code), info)
        self._link(compiled, self._slot(self.default_stack_bytes))
        with self._compiled_lock:
            self._compiled[compiled.code_hash] = compiled
            while len(self._compiled) > self._compiled_capacity:
                self._compiled.popitem(last=False)
        return compiled

    def _module(self, compiled: CompiledModule, slot: _EngineSlot):
        def build():
            if len(compiled.code) > IN_PROCESS_BYTES:   # a memory and time budget (see there)
                return compile_bounded(slot.engine, slot.stack_bytes, compiled.code)
            try:
                return wasmtime.Module(slot.engine, compiled.code)
            except wasmtime.WasmtimeError as exc:
                raise ModuleRejected(f"wasmtime rejected the module: {_first_line(exc)}",
                                     code="invalid-module",
                                     hint="build for wasm32 MVP (clang -mcpu=mvp; asc without "
                                          "--enable flags): threads, SIMD and other post-MVP "
                                          "proposals are disabled") from None
        return self.cache.get_or_compile(cache_key(slot.digest, compiled.code), slot.engine,
                                         compiled.code, build)

    def _link(self, compiled: CompiledModule, slot: _EngineSlot):
        with compiled._lock:
            pre = compiled._linked.get(slot.stack_bytes)
            if pre is not None:
                return pre
            module = self._module(compiled, slot)
            linker = wasmtime.Linker(slot.engine)
            for index, imp in enumerate(compiled.info.func_imports):
                ty = wasmtime.FuncType([_VALTYPES[t]() for t in imp.params],
                                       [_VALTYPES[t]() for t in imp.results])
                module_name, name = imp.module.encode(), imp.name.encode()
                error = ffi.wasmtime_linker_define_func_unchecked(
                    linker.ptr(), ctypes.create_string_buffer(module_name), len(module_name),
                    ctypes.create_string_buffer(name), len(name), ty.ptr(), _trampoline,
                    index + 1, _NULL_FINALIZER)
                if error:
                    raise ModuleRejected(f"cannot link {imp.module}.{imp.name}: "
                                         f"{_first_line(wasmtime.WasmtimeError._from_ptr(error))}",
                                         code="invalid-module")
            pre = compiled._linked[slot.stack_bytes] = linker.instantiate_pre(module)
            return pre

    # ---------------------------------------------------------------- execute

    def execute(self, module: CompiledModule, method: str, env: HostEnv,
                host_functions: Sequence[HostFunction]) -> EngineOutcome:
        if not isinstance(module, CompiledModule):
            raise ModuleRejected("execute() needs a module returned by this engine's compile()",
                                 code="not-compiled")
        check_method(module.info, method)
        limits = env.ctx.limits
        # Bind this run's handlers by import name now: nothing is kept from compile time.
        functions = bind_imports(module.info, host_functions)
        slot = self._slot(check_stack_bytes(limits.stack_bytes))
        pre = self._link(module, slot)
        initial = module.info.memories[0][0] * WASM_PAGE
        if initial > limits.memory_bytes:
            raise MemoryLimitExceeded(f"the module's initial memory of {initial} bytes exceeds "
                                      f"the cap of {limits.memory_bytes}", limit="memory_bytes")
        run = _Run(env, functions)
        store = wasmtime.Store(slot.engine, data=run)
        memory = None
        try:
            fuel = max(0, min(int(limits.fuel), MAX_U64))   # never negative: -1 means unlimited
            store.set_fuel(fuel)
            store.set_limits(memory_size=int(limits.memory_bytes),
                             table_elements=MAX_TABLE_ELEMENTS, instances=1, tables=1,
                             memories=1)
            store.set_epoch_deadline(slot.watchdog.deadline_ticks(limits.timeout_s))
            context = store._context()
            with slot.watchdog:
                instance = self._instantiate(pre, context, run)
                memory = _Memory(context, self._export(context, instance, "memory").of.memory)
                env.memory = memory
                func = self._export(context, instance, method).of.func
                values = (ffi.wasmtime_val_raw_t * 1)()
                trap = ctypes.POINTER(ffi.wasm_trap_t)()
                error = ffi.wasmtime_func_call_unchecked(context, ctypes.byref(func), values, 1,
                                                         ctypes.byref(trap))
            # Store fuel paid for wasm code and (through _Run) host gas; report wasm fuel alone:
            # the coordinator adds ctx.gas_used to it.
            fuel_used = max(0, fuel - store.get_fuel() - run.host_fuel)
            if run.error is not None:
                raise _host_error(run.error)
            if error or trap:
                raise self._failure(error, trap, memory, limits, fuel_used)
            return EngineOutcome(status=values[0].i32 & _M32, fuel_used=fuel_used)
        finally:
            if memory is not None:
                memory.close()
            env.memory = None
            store.close()

    def _instantiate(self, pre, context, run: _Run):
        instance = ffi.wasmtime_instance_t()
        trap = ctypes.POINTER(ffi.wasm_trap_t)()
        error = ffi.wasmtime_instance_pre_instantiate(pre.ptr(), context,
                                                      ctypes.byref(instance), ctypes.byref(trap))
        if error or trap:
            message = _first_line(wasmtime.WasmtimeError._from_ptr(error)) if error else \
                wasmtime.Trap._from_ptr(trap).message
            if "memory" in message and ("limit" in message or "minimum" in message):
                raise MemoryLimitExceeded(f"instantiation failed: {message}",
                                          limit="memory_bytes")
            if "table" in message:
                raise MemoryLimitExceeded(f"instantiation failed: {message} (the cap is "
                                          f"{MAX_TABLE_ELEMENTS} table elements)",
                                          code="table-limit", limit="table_elements",
                                          hint=f"declare a function table of at most "
                                               f"{MAX_TABLE_ELEMENTS} elements (a fixed cap, "
                                               f"not a [limits] setting)")
            raise Trap(f"instantiation failed: {message}", code="instantiation-failed")
        return instance

    @staticmethod
    def _export(context, instance, name: str):
        raw = name.encode()
        item = ffi.wasmtime_extern_t()
        if not ffi.wasmtime_instance_export_get(context, ctypes.byref(instance),
                                                ctypes.create_string_buffer(raw), len(raw),
                                                ctypes.byref(item)):
            raise ModuleRejected(f"module exports no {name!r}", code="method-not-found")
        return item

    @staticmethod
    def _failure(error, trap, memory: _Memory, limits, fuel_used: int) -> ISPCError:
        if error:
            return Trap(f"wasmtime error: {_first_line(wasmtime.WasmtimeError._from_ptr(error))}")
        trap_obj = wasmtime.Trap._from_ptr(trap)
        code, message = trap_obj.trap_code, _trap_message(trap_obj)
        TC = wasmtime.TrapCode
        if code == TC.OUT_OF_FUEL:
            return OutOfGas(f"the guest used its whole fuel budget of {limits.fuel}",
                            limit="fuel", fuel_used=fuel_used)
        if code == TC.STACK_OVERFLOW:
            return StackExhausted(f"wasm stack exceeded {limits.stack_bytes} bytes",
                                  limit="stack_bytes")
        if code == TC.INTERRUPT:
            return Timeout(f"execution exceeded {limits.timeout_s} s", limit="timeout_s")
        # memory.grow past the cap returns -1 and the guest decides what to do; wasmtime's C API
        # does not report the refusal. A guest that traps when not even one more page fits under
        # the cap is reported as having hit the memory limit (its last grow must have failed);
        # any other trap is reported as the trap it is. Deterministic: it depends only on the
        # guest and the cap.
        if memory.size() + WASM_PAGE > limits.memory_bytes:
            return MemoryLimitExceeded(
                f"the guest trapped ({message}) with linear memory at the cap of "
                f"{limits.memory_bytes} bytes", limit="memory_bytes", trap=message)
        name = code.name.lower().replace("_", "-") if code is not None else "unknown"
        return Trap(f"the guest trapped: {message}", trap_code=name)


_LIVE_ENGINES: weakref.WeakSet[WasmtimeEngine] = weakref.WeakSet()


@atexit.register
def _close_live_engines() -> None:
    for engine in list(_LIVE_ENGINES):
        engine.close()


def _host_error(exc: BaseException) -> BaseException:
    """A handler's ISPCError passes through unchanged; anything else is a host-side bug."""
    if isinstance(exc, ISPCError):
        return exc
    if not isinstance(exc, Exception):
        return exc   # KeyboardInterrupt, SystemExit: let them through
    error = HostCallFailed(f"host function raised {type(exc).__name__}: {exc}")
    error.__cause__ = exc
    return error


def check_stack_bytes(stack_bytes: Any) -> int:
    """``limits.stack_bytes`` as an int in (0, MAX_STACK_BYTES], or ValidationError: a larger
    ``max_wasm_stack`` makes wasmtime panic and abort the whole process."""
    if isinstance(stack_bytes, bool) or not isinstance(stack_bytes, int) or \
            not 0 < stack_bytes <= MAX_STACK_BYTES:
        raise ValidationError("limits.stack_bytes",
                              f"{stack_bytes!r} is outside what the wasmtime engine accepts "
                              f"(1 to {MAX_STACK_BYTES} bytes)", code="stack-limit-invalid",
                              hint=f"set [limits] stack_bytes to at most {MAX_STACK_BYTES} "
                                   f"(1 MiB)", maximum=MAX_STACK_BYTES)
    return stack_bytes


_TRAP_TEXT = {
    "UNREACHABLE": "unreachable instruction executed",
    "INTEGER_DIVISION_BY_ZERO": "integer divide by zero",
    "INTEGER_OVERFLOW": "integer overflow",
    "MEMORY_OUT_OF_BOUNDS": "out of bounds memory access",
    "TABLE_OUT_OF_BOUNDS": "undefined element: out of bounds table access",
    "INDIRECT_CALL_TO_NULL": "uninitialized element",
    "BAD_SIGNATURE": "indirect call type mismatch",
    "BAD_CONVERSION_TO_INTEGER": "invalid conversion to integer",
    "HEAP_MISALIGNED": "misaligned memory access",
    "STACK_OVERFLOW": "call stack exhausted",
}


def _trap_message(trap) -> str:
    """What went wrong, not wasmtime's "error while executing at wasm backtrace:" header: the
    text for the trap code, else the "wasm trap: ..." line (or the last line) of the message."""
    code = trap.trap_code
    if code is not None and code.name in _TRAP_TEXT:
        return _TRAP_TEXT[code.name]
    lines = [line.strip() for line in str(trap.message).splitlines() if line.strip()]
    for line in lines:
        if line.startswith("wasm trap:"):
            return line[len("wasm trap:"):].strip()
    return lines[-1] if lines else "unknown trap"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

"""WasmtimeEngine: the primary ISPC WebAssembly engine.

Design (see docs/wasm.md for the measurements behind it):

* Per stack limit (``max_wasm_stack`` is an engine setting) two ``wasmtime.Engine`` objects with
  the deterministic configuration of :mod:`ispc_wasmtime.config`, shared by all threads: one
  allocating on demand (compiles, spec sessions, fallback) and one with wasmtime's pooling
  allocator (runs). The pool keeps linear memories and tables mapped between runs, where on
  demand each store maps and unmaps a 4 GiB reservation: one instantiate + call of the example
  token took 50 us on demand and 18 us pooled (docs/performance.md, "wasmtime per-run cost").
  Both engines run the same compiled code; a run the pool cannot take (more runs at once than
  ``pool_slots``, a module above a slot's caps) instantiates on demand, with the same result.
* ``compile`` applies the deploy rules (:mod:`ispc_wasmtime.inspect`), compiles through the
  module cache, and links the module's imports once into an ``InstancePre`` per engine.
* ``execute`` makes one ``Store`` per run and that run's state (:class:`_Run`), sets fuel,
  memory limit and epoch deadline, instantiates and calls the method.
* Host functions are bound generically through wasmtime's *unchecked* C callback, one ctypes
  trampoline per import made once per module for its signature: it reads the arguments straight
  from the value array, finds the run in a thread-local slot that ``execute`` sets around the
  guest call (the guest calls its host functions on the thread that called it), and writes the
  result back. Nothing about a run is captured at link time, and a host error is kept in the
  run's own state, never in wasmtime-py's module-level ``LAST_EXCEPTION`` (which mixes errors up
  between threads). Guest memory's base and size are read once per host call. A host call costs
  a few times the bare FFI floor and well under ``Linker.define_func``
  (benchmarks/host_path.py), at the price of using ``wasmtime._ffi`` (a private module, hence
  the pinned wasmtime major).
* Values cross the boundary as unsigned integers: i32 as [0, 2^32), i64 as [0, 2^64). Results
  may be given signed or unsigned; they are wrapped to the wasm width.
"""

from __future__ import annotations

import atexit
import ctypes
import hashlib
import operator
import threading
import weakref
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

from ispc_framework.plugins import EngineOutcome, HostEnv, HostFunction, MemoryAccessError
import wasmtime
from ispc_framework.plugins import (ConfigError, EngineUnavailable, ExecutionError, HostCallFailed,
                                   ISPCError,
                                   MemoryLimitExceeded, ModuleRejected, OutOfGas, StackExhausted,
                                   Timeout, Trap, ValidationError)
from ispc_framework.plugins import (MAX_TABLE_ELEMENTS, MAX_U64, WASM_PAGE, ModuleInfo,
                                    bind_imports, check_method, check_module, resolve_settings)
from wasmtime import _ffi as ffi

from .cache import ModuleCache, cache_key
from .bounded_compile import IN_PROCESS_BYTES, compile_bounded
from .compile_deadline import compile_within
from .config import (WASMTIME_MAJOR, build_config, build_pooling_config, pool_fits_address_space,
                     engine_fingerprint, settings_digest, wasmtime_version)
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
#: Largest ``pool_slots``: 1024 slots reserve 4 TiB of address space.
MAX_POOL_SLOTS = 1024
_M32 = 0xFFFFFFFF
_M64 = MAX_U64
_NULL_FINALIZER = ctypes.cast(0, ctypes.CFUNCTYPE(None, ctypes.c_void_p))
_VALTYPES = {"i32": wasmtime.ValType.i32, "i64": wasmtime.ValType.i64}


def _new_trap(message: str) -> int:
    raw = message.encode()
    trap = ffi.wasmtime_trap_new(ctypes.create_string_buffer(raw), len(raw))
    return ctypes.cast(trap, ctypes.c_void_p).value or 0


# The per-call C functions, declared again with plain integer (c_void_p) arguments and results:
# wasmtime-py's own declarations take and build pointer objects, which cost more than the call.
def _c_function(name: str, restype, *argtypes):
    return ctypes.CFUNCTYPE(restype, *argtypes)((name, ffi.dll))


_VOID = ctypes.c_void_p
_get_fuel = _c_function("wasmtime_context_get_fuel", _VOID, _VOID, _VOID)
_set_fuel = _c_function("wasmtime_context_set_fuel", _VOID, _VOID, ctypes.c_uint64)
_memory_data = _c_function("wasmtime_memory_data", _VOID, _VOID, _VOID)
_memory_data_size = _c_function("wasmtime_memory_data_size", ctypes.c_size_t, _VOID, _VOID)
_I64 = ctypes.c_int64
_store_new = _c_function("wasmtime_store_new", _VOID, _VOID, _VOID, _VOID)
_store_context = _c_function("wasmtime_store_context", _VOID, _VOID)
_store_delete = _c_function("wasmtime_store_delete", None, _VOID)
_store_limiter = _c_function("wasmtime_store_limiter", None, _VOID, _I64, _I64, _I64, _I64, _I64)
_set_epoch_deadline = _c_function("wasmtime_context_set_epoch_deadline", None, _VOID,
                                  ctypes.c_uint64)
_instantiate_pre = _c_function("wasmtime_instance_pre_instantiate", _VOID, _VOID, _VOID, _VOID,
                               _VOID)
_export_get = _c_function("wasmtime_instance_export_get", ctypes.c_bool, _VOID, _VOID, _VOID,
                          ctypes.c_size_t, _VOID)
_func_call_unchecked = _c_function("wasmtime_func_call_unchecked", _VOID, _VOID, _VOID, _VOID,
                                   ctypes.c_size_t, _VOID)
#: layout of execute's scratch buffer: wasmtime_instance_t, two wasmtime_extern_t (memory and
#: method), one wasmtime_val_raw_t (the result), one wasm_trap_t* (8-byte aligned throughout)
_EXTERN = ctypes.sizeof(ffi.wasmtime_extern_t)
_EXTERN_OF = ffi.wasmtime_extern_t.of.offset     # the union holding the memory or func
_INSTANCE = 0
_MEMORY = ctypes.sizeof(ffi.wasmtime_instance_t)
_FUNC = _MEMORY + _EXTERN
_VALUES = _FUNC + _EXTERN
_TRAP = _VALUES + ctypes.sizeof(ffi.wasmtime_val_raw_t)
_SCRATCH_BYTES = _TRAP + ctypes.sizeof(ctypes.c_void_p)
#: the scratch buffer's type: made zeroed, as create_string_buffer would, without its checks
_Scratch = ctypes.c_char * _SCRATCH_BYTES
assert _MEMORY % 8 == 0 and _EXTERN % 8 == 0
#: wasmtime_func_unchecked_callback_t with the value array typed as u64 words: a
#: wasmtime_val_raw_t is 16 bytes, so argument i is word 2*i (an i32 in its low half), and the
#: result goes into word 0
_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_size_t, _VOID, _VOID, ctypes.POINTER(ctypes.c_uint64),
                             ctypes.c_size_t)
assert ctypes.sizeof(ffi.wasmtime_val_raw_t) == 16


def _wasmtime_error(error: int) -> wasmtime.WasmtimeError:
    return wasmtime.WasmtimeError._from_ptr(ctypes.cast(error, ctypes.POINTER(
        ffi.wasmtime_error_t)))


def _check(error) -> None:
    if error:
        raise _wasmtime_error(error)


def _discard(error: int, trap_slot: int) -> None:
    """Free what a failed instantiation left: its error, or the trap in ``trap_slot`` (which
    is cleared for the next attempt)."""
    if error:
        ffi.wasmtime_error_delete(ctypes.cast(error, ctypes.POINTER(ffi.wasmtime_error_t)))
    trap = ctypes.c_void_p.from_address(trap_slot)
    if trap.value:
        ffi.wasm_trap_delete(ctypes.cast(trap.value, ctypes.POINTER(ffi.wasm_trap_t)))
        trap.value = None


#: Host gas is taken out of the store's fuel once this much has been charged since the last time
#: (and checked against the budget at the end of the run), not after every call: the two C calls
#: it takes cost as much as the rest of a cheap host call. So a guest may run less than this much
#: fuel past its budget before it traps; a run whose wasm fuel plus host gas exceed the budget
#: fails with OutOfGas either way, and a run within the budget is unchanged.
FUEL_SYNC_GAS = 1000


class _Run:
    """The state of one execution, reachable from this thread's ``_current`` slot while it runs
    (:meth:`WasmtimeEngine.execute` installs and restores it) and nowhere else.

    ``limits.fuel`` is one budget for wasm fuel plus host gas: the gas host calls charge
    (``ctx.drain_host_gas()``) is taken out of the store's fuel, clamped at 0, in steps of at
    least :data:`FUEL_SYNC_GAS` (``debt`` is what is not taken yet), and ``host_fuel`` counts
    what was taken so the engine can report wasm fuel alone.
    """

    __slots__ = ("env", "ctx", "handlers", "functions", "error", "host_fuel", "debt", "context",
                 "memory", "_fuel", "_fuel_address")

    def __init__(self, env: HostEnv, functions: tuple[HostFunction, ...]) -> None:
        self.env = env
        self.ctx = env.ctx
        self.functions = functions
        self.handlers = tuple(fn.handler for fn in functions)
        self.error: BaseException | None = None
        self.host_fuel = 0
        self.debt = 0
        self.context: int = 0           # the store's wasmtime_context_t*, set by execute
        self.memory: _Memory | None = None
        self._fuel = ctypes.c_uint64()
        self._fuel_address = ctypes.addressof(self._fuel)

    def fuel_left(self) -> int:
        _check(_get_fuel(self.context, self._fuel_address))
        return self._fuel.value

    def take_fuel(self, gas: int) -> None:
        """Take ``gas`` out of the store's fuel; OutOfGas if the shared budget cannot cover it."""
        error = _get_fuel(self.context, self._fuel_address)   # _check inlined: once per
        if error:                                             # costly host call
            raise _wasmtime_error(error)
        left = self._fuel.value
        taken = gas if gas <= left else left
        error = _set_fuel(self.context, left - taken)   # >= 0: set_fuel(-1) means unlimited
        if error:
            raise _wasmtime_error(error)
        self.host_fuel += taken
        if gas > left:
            limits = self.ctx.limits
            raise OutOfGas(f"wasm fuel plus host gas exceed the budget of {limits.fuel}",
                           limit="fuel", host_gas=self.ctx.gas_used)

    def fail(self, exc: BaseException, index: int) -> int:
        """Keep the first error of the run; return the trap that unwinds the guest."""
        if self.error is None:
            self.error = exc
        fn = self.functions[index]
        return _new_trap(f"host function {fn.module}.{fn.name} failed")


class _Current(threading.local):
    run: _Run | None = None


#: The run executing on this thread. The guest runs on the thread that called into wasmtime and
#: calls its host functions there, so this finds the right run without asking wasmtime for the
#: store's data (two FFI calls per host call); nothing about a run is captured at link time.
_current = _Current()


def _trampoline(index: int, params: tuple[str, ...], results: tuple[str, ...]):
    """The C callback of import ``index``: one per host function of a linked module, made once
    at link time for its signature. It reads the arguments straight from the value array, calls
    the run's handler, takes the gas it charged out of the store's fuel and writes the result.
    Any failure becomes this run's error and a trap (an exception escaping a ctypes callback
    would be printed and read as success)."""
    words = tuple(2 * i for i in range(len(params)))
    masks = tuple(_M32 if kind == "i32" else _M64 for kind in params)
    # Two or more arguments: read in one C-level call and masked to their widths by map (about
    # 0.3 us less per host call than a comprehension over zip, measured on Python 3.11). With
    # fewer, the branches below do not use it.
    read = operator.itemgetter(*words or (0,))
    result_mask = None if not results else _M32 if results[0] == "i32" else _M64
    one = words[0] if len(words) == 1 else None
    mask0 = masks[0] if masks else 0

    @_CALLBACK
    def trampoline(env, caller, values, count):
        run = _current.run
        if run is None:
            return _new_trap("ispc: host call outside a run")
        try:
            memory = run.memory
            if memory is not None:
                memory.fresh = False   # base and size are read again, once, by this call
            handler = run.handlers[index]
            if not words:
                result = handler(run.env)
            elif one is not None:
                result = handler(run.env, values[one] & mask0)
            else:
                result = handler(run.env, *map(operator.and_, read(values), masks))
            gas = run.ctx.drain_host_gas()
            if gas:
                debt = run.debt + gas
                if debt >= FUEL_SYNC_GAS:
                    run.debt = 0
                    run.take_fuel(debt)
                else:
                    run.debt = debt
            if result_mask is not None:
                if type(result) is not int and (isinstance(result, bool)
                                                or not isinstance(result, int)):
                    raise TypeError(f"{run.functions[index].name} returned {result!r:.40}, "
                                    f"expected an int")
                values[0] = result & result_mask   # an i32 result is the word's low half
            elif result is not None:
                raise TypeError(f"{run.functions[index].name} returned {result!r:.40}, "
                                f"expected None")
            return 0
        except BaseException as exc:  # noqa: BLE001 - every failure must become this run's trap
            try:
                return run.fail(exc, index)
            except BaseException:  # noqa: BLE001
                return _new_trap("ispc: host call failed")

    return trampoline


class _Memory:
    """GuestMemory over a wasmtime memory export; invalid once its run has finished.

    Base and size are read from wasmtime at most once per host call (the trampoline clears
    ``fresh``; ``memory.grow`` between calls may move or resize linear memory, nothing during
    one): the size always, the base only when the size changed (memory moves only when it
    grows). Accesses go through a memoryview of exactly that range, so even a wrong bounds
    check could not reach outside linear memory; :meth:`buffer` hands that view to the HostABI
    handlers for the call."""

    __slots__ = ("_context", "_memory", "_address", "_alive", "fresh", "_view", "_size")

    def __init__(self, context: int, address: int, keeper: Any) -> None:
        self._context = context
        self._memory = keeper   # keeps the wasmtime_memory_t at ``address`` alive
        self._address = address
        self._alive = True
        self.fresh = False
        self._view = memoryview(b"")
        self._size = 0

    def close(self) -> None:
        self._alive = False
        self._view = memoryview(b"")

    def buffer(self) -> memoryview:
        """Linear memory as a writable memoryview, valid until this host call returns."""
        if self.fresh:
            return self._view
        if not self._alive:
            raise MemoryAccessError("the execution that owned this memory has finished")
        size = _memory_data_size(self._context, self._address)
        if size != self._size:
            base = _memory_data(self._context, self._address) or 0
            self._view = memoryview((ctypes.c_ubyte * size).from_address(base)).cast("B") \
                if size and base else memoryview(b"")
            self._size = len(self._view)
        self.fresh = True
        return self._view

    def size(self) -> int:
        return len(self.buffer())

    def read(self, ptr: int, length: int) -> bytes:
        view = self.buffer()
        if ptr < 0 or length < 0 or ptr + length > len(view):
            raise MemoryAccessError(f"range [{ptr}, {ptr + length}) is outside linear memory "
                                    f"of {len(view)} bytes")
        return view[ptr:ptr + length].tobytes()

    def write(self, ptr: int, data: bytes) -> None:
        view = self.buffer()
        if ptr < 0 or ptr + len(data) > len(view):
            raise MemoryAccessError(f"range [{ptr}, {ptr + len(data)}) is outside linear "
                                    f"memory of {len(view)} bytes")
        view[ptr:ptr + len(data)] = data


class CompiledModule:
    """A validated contract: its code hash, deploy-time facts, and per-engine linked forms."""

    __slots__ = ("code", "code_hash", "info", "_linked", "_lock", "_trampolines", "_bound",
                 "_names")

    def __init__(self, code: bytes, info: ModuleInfo) -> None:
        self.code = code
        self.code_hash = hashlib.sha256(code).hexdigest()
        self.info = info
        self._linked: dict[int, _Linked] = {}   # stack_bytes -> its InstancePres
        self._lock = threading.Lock()
        # One C callback per import, alive as long as the module (wasmtime holds raw pointers).
        self._trampolines = tuple(_trampoline(index, imp.params, imp.results)
                                  for index, imp in enumerate(info.func_imports))
        # The last host-function set this module's imports were bound to, and the binding:
        # a coordinator passes the same tuple on every run, so this is worked out once.
        self._bound: tuple[Sequence[HostFunction], tuple[HostFunction, ...]] | None = None
        self._names: dict[str, bytes] = {}   # method -> its UTF-8 name

    def method_name(self, method: str) -> bytes:
        name = self._names.get(method)
        if name is None:
            name = self._names[method] = method.encode()
        return name

    def bound_functions(self, host_functions: Sequence[HostFunction]) -> tuple[HostFunction, ...]:
        """``bind_imports(info, host_functions)``, remembered for the last ``host_functions``."""
        bound = self._bound
        if bound is not None and bound[0] is host_functions:
            return bound[1]
        functions = tuple(bind_imports(self.info, host_functions))
        self._bound = (host_functions, functions)
        return functions


class _Linked:
    """A module linked for one slot: an ``InstancePre`` on its on-demand engine and, when the
    slot has a pool, one on the pool engine, with their ``wasmtime_instance_pre_t*`` as
    integers (``pool_address`` 0 without a pool)."""

    __slots__ = ("pre", "address", "pool_pre", "pool_address")

    def __init__(self, pre: Any, pool_pre: Any) -> None:
        self.pre, self.pool_pre = pre, pool_pre
        self.address = _pointer(pre)
        self.pool_address = _pointer(pool_pre) if pool_pre is not None else 0

    def close(self) -> None:
        self.pre.close()
        if self.pool_pre is not None:
            self.pool_pre.close()


class _Epochs:
    """A slot's engines as the one epoch clock its watchdog ticks: a run's deadline counts the
    ticks of whichever engine it instantiated on."""

    __slots__ = ("engines",)

    def __init__(self, *engines: Any) -> None:
        self.engines = engines

    def increment_epoch(self) -> None:
        for engine in self.engines:
            engine.increment_epoch()


class _EngineSlot:
    """The wasmtime Engines for one stack limit, with their config digest and watchdog.

    ``engine`` allocates on demand: it compiles, serves spec sessions (many instances in one
    store) and the runs the pool cannot take. ``pool`` (None when ``pool_slots`` is 0 or the
    address space is capped) has the same settings plus the pooling allocator, and serves runs:
    instantiating from it skips mapping and unmapping 4 GiB of address space per store
    (config.build_pooling_config). Both run the same compiled code."""

    def __init__(self, stack_bytes: int, pool_slots: int) -> None:
        self.stack_bytes = stack_bytes
        self.digest = settings_digest(stack_bytes)
        self.engine = wasmtime.Engine(build_config(stack_bytes))
        self.address = _pointer(self.engine)   # wasm_engine_t*
        self.pool = None
        if pool_slots and pool_fits_address_space(pool_slots):
            self.pool = wasmtime.Engine(build_pooling_config(stack_bytes, pool_slots))
        self.pool_address = _pointer(self.pool) if self.pool is not None else 0
        self.epochs = _Epochs(*(e for e in (self.engine, self.pool) if e is not None))
        self.watchdog = EpochWatchdog(self.epochs)
        # A compile that missed its deadline may still be running on this engine: never free
        # the engine under it (close() leaks it instead).
        self.compile_abandoned = False

    def close(self) -> None:
        self.watchdog.close()   # a lingering ticker must not tick a freed engine
        if self.pool is not None:
            self.pool.close()
        if not self.compile_abandoned:
            self.engine.close()


def _pointer(managed: Any) -> int:
    """The C pointer of a wasmtime-py object, as the integer the c_void_p declarations take."""
    return ctypes.cast(managed.ptr(), ctypes.c_void_p).value or 0


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
        self.compile_timeout_s = float(options["compile_timeout_s"])
        self.default_stack_bytes = int(options["default_stack_bytes"])
        if self.default_stack_bytes > MAX_STACK_BYTES:
            raise ConfigError(f"engine setting default_stack_bytes is "
                              f"{self.default_stack_bytes}, the maximum is {MAX_STACK_BYTES}",
                              key="default_stack_bytes",
                              hint=f"set [plugin.wasmtime] default_stack_bytes to at most "
                                   f"{MAX_STACK_BYTES} (1 MiB)")
        self.pool_slots = int(options["pool_slots"])
        if not 0 <= self.pool_slots <= MAX_POOL_SLOTS:
            raise ConfigError(f"engine setting pool_slots is {self.pool_slots}, it must be 0 to "
                              f"{MAX_POOL_SLOTS}", key="pool_slots",
                              hint="set [plugin.wasmtime] pool_slots to the runs a process has "
                                   "at once (16 by default; 0 turns the pool off)")
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
                for linked in item._linked.values():
                    linked.close()
                item._linked.clear()
        self.cache.close()
        with self._slots_lock:
            slots, self._slots = list(self._slots.values()), {}
        for slot in slots:
            slot.close()

    # ---------------------------------------------------------------- identity

    def fingerprint(self) -> str:
        return self.fingerprint_for(self.default_stack_bytes)

    def fingerprint_for(self, stack_bytes: int) -> str:
        return engine_fingerprint(stack_bytes)

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
        slot = self._slots.get(stack_bytes)   # slots are only ever added, under the lock
        if slot is not None:
            return slot
        with self._slots_lock:
            slot = self._slots.get(stack_bytes)
            if slot is None:
                slot = self._slots[stack_bytes] = _EngineSlot(stack_bytes, self.pool_slots)
            return slot

    def compile(self, code: bytes, host_functions: Sequence[HostFunction]) -> CompiledModule:
        if isinstance(code, (bytes, bytearray)):
            key = hashlib.sha256(code).hexdigest()
            with self._compiled_lock:
                compiled = self._compiled.get(key)
                if compiled is not None:
                    self._compiled.move_to_end(key)
            if compiled is not None:
                compiled.bound_functions(host_functions)   # this request's providers
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
                return compile_within(self.compile_timeout_s,
                                      lambda: wasmtime.Module(slot.engine, compiled.code))
            except ExecutionError as exc:
                if exc.code == "compile-timeout":
                    slot.compile_abandoned = True
                raise
            except wasmtime.WasmtimeError as exc:
                raise ModuleRejected(f"wasmtime rejected the module: {_first_line(exc)}",
                                     code="invalid-module",
                                     hint="build for wasm32 MVP (clang -mcpu=mvp; asc without "
                                          "--enable flags): threads, SIMD and other post-MVP "
                                          "proposals are disabled") from None
        return self.cache.get_or_compile(cache_key(slot.digest, compiled.code), slot.engine,
                                         compiled.code, build)

    def _link(self, compiled: CompiledModule, slot: _EngineSlot) -> _Linked:
        linked = compiled._linked.get(slot.stack_bytes)   # set once, under the lock below
        if linked is not None:
            return linked
        with compiled._lock:
            linked = compiled._linked.get(slot.stack_bytes)
            if linked is not None:
                return linked
            module = self._module(compiled, slot)
            pool_pre = None
            if slot.pool is not None:
                # The pool engine runs the very code compiled above (the allocator does not
                # change compiled code: config.py). Safe to deserialize: these bytes were
                # serialized just now, by this process, under the same version and settings.
                try:
                    pool_module = wasmtime.Module.deserialize(slot.pool, module.serialize())
                except wasmtime.WasmtimeError:
                    pass   # the module does not fit a pool slot (say, a table above the cap):
                    # it runs on demand, where the limiter reports what is wrong with it
                else:
                    pool_pre = self._instance_pre(compiled, slot.pool, pool_module)
            linked = _Linked(self._instance_pre(compiled, slot.engine, module), pool_pre)
            compiled._linked[slot.stack_bytes] = linked
            return linked

    @staticmethod
    def _instance_pre(compiled: CompiledModule, engine: Any, module: Any) -> Any:
        linker = wasmtime.Linker(engine)
        for index, imp in enumerate(compiled.info.func_imports):
            ty = wasmtime.FuncType([_VALTYPES[t]() for t in imp.params],
                                   [_VALTYPES[t]() for t in imp.results])
            module_name, name = imp.module.encode(), imp.name.encode()
            callback = ctypes.cast(compiled._trampolines[index],
                                   ffi.wasmtime_func_unchecked_callback_t)
            error = ffi.wasmtime_linker_define_func_unchecked(
                linker.ptr(), ctypes.create_string_buffer(module_name), len(module_name),
                ctypes.create_string_buffer(name), len(name), ty.ptr(), callback, None,
                _NULL_FINALIZER)
            if error:
                raise ModuleRejected(f"cannot link {imp.module}.{imp.name}: "
                                     f"{_first_line(wasmtime.WasmtimeError._from_ptr(error))}",
                                     code="invalid-module")
        return linker.instantiate_pre(module)

    # ---------------------------------------------------------------- execute

    def execute(self, module: CompiledModule, method: str, env: HostEnv,
                host_functions: Sequence[HostFunction]) -> EngineOutcome:
        if not isinstance(module, CompiledModule):
            raise ModuleRejected("execute() needs a module returned by this engine's compile()",
                                 code="not-compiled")
        check_method(module.info, method)
        limits = env.ctx.limits
        # This run's handlers by import name (the binding is remembered per host-function set,
        # the handlers take the run's env on every call: nothing of a run is kept).
        functions = module.bound_functions(host_functions)
        slot = self._slot(check_stack_bytes(limits.stack_bytes))
        linked = self._link(module, slot)
        initial = module.info.memories[0][0] * WASM_PAGE
        if initial > limits.memory_bytes:
            raise MemoryLimitExceeded(f"the module's initial memory of {initial} bytes exceeds "
                                      f"the cap of {limits.memory_bytes}", limit="memory_bytes")
        run = _Run(env, functions)
        # One buffer for what wasmtime writes during the run (instance, the two exports, the
        # result word, the trap pointer), addressed as plain integers: the C functions are
        # declared with c_void_p arguments, so no ctypes object is built per argument.
        scratch = _Scratch()
        base = ctypes.addressof(scratch)
        instance, memory_item, func_item = base + _INSTANCE, base + _MEMORY, base + _FUNC
        values, trap_slot = base + _VALUES, base + _TRAP
        fuel = max(0, min(int(limits.fuel), MAX_U64))   # never negative: -1 means unlimited
        deadline = slot.watchdog.deadline_ticks(limits.timeout_s)
        store = 0
        memory = None
        previous = _current.run
        try:
            with slot.watchdog:
                if linked.pool_address:
                    store = _store_new(slot.pool_address, None, None)
                    context = self._limit(store, run, fuel, limits, deadline)
                    error = _instantiate_pre(linked.pool_address, context, instance, trap_slot)
                    if error or ctypes.c_void_p.from_address(trap_slot).value:
                        # The pool is full (more runs at once than pool_slots) or refused
                        # this instance for a cap of its own: instantiate on demand instead,
                        # in a fresh store. Nothing of the module ran (start functions are
                        # refused at deploy), and on demand is the reference behaviour, so a
                        # failure it repeats is reported from there, as before the pool.
                        _discard(error, trap_slot)
                        _store_delete(store)
                        store = 0
                if not store:
                    store = _store_new(slot.address, None, None)
                    context = self._limit(store, run, fuel, limits, deadline)
                    self._instantiate(linked.address, context, instance, trap_slot)
                self._export(context, instance, b"memory", memory_item)
                memory = _Memory(context, memory_item + _EXTERN_OF, scratch)
                env.memory = run.memory = memory
                self._export(context, instance, module.method_name(method), func_item)
                _current.run = run
                try:
                    error = _func_call_unchecked(context, func_item + _EXTERN_OF, values, 1,
                                                 trap_slot)
                finally:
                    _current.run = previous
                memory.fresh = False   # the guest ran since the last host call
            # Store fuel paid for wasm code and (through _Run) host gas; report wasm fuel alone:
            # the coordinator adds ctx.gas_used to it.
            fuel_used = max(0, fuel - run.fuel_left() - run.host_fuel)
            trap = ctypes.c_void_p.from_address(trap_slot).value
            if run.error is not None:
                raise _host_error(run.error)
            if error or trap:
                raise self._failure(error, trap, memory, limits, fuel_used)
            if fuel_used + env.ctx.gas_used > limits.fuel:   # the host gas not yet taken
                raise OutOfGas(f"wasm fuel plus host gas exceed the budget of {limits.fuel}",
                               limit="fuel", host_gas=env.ctx.gas_used, fuel_used=fuel_used)
            status = ctypes.c_uint32.from_address(values).value   # an i32 result: the low half
            return EngineOutcome(status=status, fuel_used=fuel_used)
        finally:
            if memory is not None:
                memory.close()
            env.memory = None
            if store:
                _store_delete(store)

    @staticmethod
    def _limit(store: int, run: _Run, fuel: int, limits, deadline: int) -> int:
        """Set a new store's fuel, limiter and epoch deadline; return its context."""
        context = run.context = _store_context(store)
        _check(_set_fuel(context, fuel))
        _store_limiter(store, int(limits.memory_bytes), MAX_TABLE_ELEMENTS, 1, 1, 1)
        _set_epoch_deadline(context, deadline)
        return context

    @staticmethod
    def _instantiate(pre: int, context: int, instance: int, trap_slot: int) -> None:
        error = _instantiate_pre(pre, context, instance, trap_slot)
        trap = ctypes.c_void_p.from_address(trap_slot).value
        if error or trap:
            message = _first_line(_wasmtime_error(error)) if error else \
                wasmtime.Trap._from_ptr(ctypes.cast(trap or 0, ctypes.POINTER(ffi.wasm_trap_t))).message
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

    @staticmethod
    def _export(context: int, instance: int, name: bytes, item: int) -> None:
        if not _export_get(context, instance, name, len(name), item):
            raise ModuleRejected(f"module exports no {name.decode()!r}", code="method-not-found")

    @staticmethod
    def _failure(error, trap, memory: _Memory, limits, fuel_used: int) -> ISPCError:
        if error:
            return Trap(f"wasmtime error: {_first_line(_wasmtime_error(error))}")
        trap_obj = wasmtime.Trap._from_ptr(ctypes.cast(trap, ctypes.POINTER(ffi.wasm_trap_t)))
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

"""The "spec-tests" session of the wasmtime engine (ispc_framework._wasm_spec_protocol).

It runs raw modules on the engine's own ``wasmtime.Engine`` for the limits' stack size, so with
exactly the deterministic configuration contracts run under (ispc_wasmtime.config: NaN
canonicalisation, the proposal switches, ``max_wasm_stack``, fuel, epoch interruption), and with
the same store limits (``memory_bytes`` per memory, the table-element cap). Each instantiation
and each call gets fresh fuel and a fresh epoch deadline.

Calls go through ``wasmtime_func_call`` directly rather than ``Func.__call__``: wasmtime-py turns
f32/f64 values into Python floats, which loses NaN payloads (signalling NaNs get quieted); here
float values are written to and read from the value union as integers, bit for bit.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from typing import Any

import wasmtime
from ispc_framework.plugins import (INVALID, MAX_TABLE_ELEMENTS, UNLINKABLE, ExecutionLimits,
                                    ISPCError, MemoryLimitExceeded, ModuleRejected, OutOfGas,
                                    StackExhausted, Timeout, Trap, WasmValue)
from wasmtime import _ffi as ffi
from wasmtime._func import enter_wasm
from wasmtime._value import Val

__all__ = ["WasmtimeSpecSession"]

#: A spec script links up to a few dozen instances, tables and memories in one store.
_STORE_ITEMS = 10_000
_KIND = {"i32": ffi.WASMTIME_I32.value, "i64": ffi.WASMTIME_I64.value,
         "f32": ffi.WASMTIME_F32.value, "f64": ffi.WASMTIME_F64.value}
_TYPE_OF_KIND = {kind: name for name, kind in _KIND.items()}
_TYPE_OF_KIND[ffi.WASMTIME_EXTERNREF.value] = "externref"
_TYPE_OF_KIND[ffi.WASMTIME_FUNCREF.value] = "funcref"


def _signed(bits: int | None, width: int) -> int:
    if bits is None:  # WasmValue's validator gives every number its bits; only null refs lack them
        raise ValueError("a null reference has no bit pattern")
    return bits - (1 << width) if bits >> (width - 1) else bits


class _ExternRef:
    """The host value behind an externref: the caller's int, boxed so null stays distinct."""

    __slots__ = ("value",)

    def __init__(self, value: int) -> None:
        self.value = value


class WasmtimeSpecSession:
    def __init__(self, engine, limits: ExecutionLimits) -> None:
        from .engine import check_stack_bytes

        self._slot = engine._slot(check_stack_bytes(limits.stack_bytes))
        self._limits = limits
        self._store = wasmtime.Store(self._slot.engine)
        self._store.set_limits(memory_size=int(limits.memory_bytes),
                               table_elements=MAX_TABLE_ELEMENTS, instances=_STORE_ITEMS,
                               tables=_STORE_ITEMS, memories=_STORE_ITEMS)
        self._linker = wasmtime.Linker(self._slot.engine)
        self._linker.allow_shadowing = True

    def close(self) -> None:
        self._store.close()

    # ------------------------------------------------------------------ modules

    def compile(self, code: bytes) -> wasmtime.Module:
        try:
            return wasmtime.Module(self._slot.engine, bytes(code))
        except wasmtime.WasmtimeError as exc:
            raise ModuleRejected(f"wasmtime rejected the module: {_first_line(exc)}",
                                 code=INVALID) from None

    def instantiate(self, module: wasmtime.Module) -> wasmtime.Instance:
        self._refuel()
        try:
            with self._slot.watchdog:
                return self._linker.instantiate(self._store, module)
        except wasmtime.Trap as trap:
            raise self._trap_error(trap) from None
        except wasmtime.WasmtimeError as exc:
            message = _first_line(exc)
            if "import" in message:
                raise ModuleRejected(f"cannot link: {message}", code=UNLINKABLE) from None
            if "limit" in message or "minimum" in message:
                raise MemoryLimitExceeded(f"instantiation failed: {message}",
                                          limit="memory_bytes") from None
            raise Trap(f"instantiation failed: {message}", code="instantiation-failed") from None

    def register(self, name: str, instance: wasmtime.Instance) -> None:
        self._linker.define_instance(self._store, name, instance)

    # ------------------------------------------------------------------ exports

    def _export(self, instance: wasmtime.Instance, name: str, kind: type) -> Any:
        item = instance.exports(self._store).get(name)
        if not isinstance(item, kind):
            raise ModuleRejected(f"the instance exports no {kind.__name__.lower()} {name!r}",
                                 code="export-not-found")
        return item

    def invoke(self, instance: wasmtime.Instance, export: str,
               args: Sequence[WasmValue]) -> tuple[WasmValue, ...]:
        func = self._export(instance, export, wasmtime.Func)
        func_type = func.type(self._store)
        params = (ffi.wasmtime_val_t * max(1, len(args)))()
        results = (ffi.wasmtime_val_t * max(1, len(func_type.results)))()
        rooted = 0
        self._refuel()
        try:
            for index, (arg, ty) in enumerate(zip(args, func_type.params)):
                params[index] = self._to_raw(arg, ty)
                rooted += 1
            try:
                with self._slot.watchdog, enter_wasm(self._store) as trap:
                    error = ffi.wasmtime_func_call(
                        self._store._context(), ctypes.byref(func._func), params, len(args),
                        results, len(func_type.results), trap)
                    if error:
                        raise wasmtime.WasmtimeError._from_ptr(error)
            except wasmtime.Trap as trap_obj:
                raise self._trap_error(trap_obj) from None
            except wasmtime.WasmtimeError as exc:
                raise Trap(f"wasmtime error: {_first_line(exc)}") from None
            return tuple(self._from_raw(results[i]) for i in range(len(func_type.results)))
        finally:
            for index in range(rooted):
                ffi.wasmtime_val_unroot(ctypes.byref(params[index]))

    def get_global(self, instance: wasmtime.Instance, export: str) -> WasmValue:
        item = self._export(instance, export, wasmtime.Global)
        raw = ffi.wasmtime_val_t()
        ffi.wasmtime_global_get(self._store._context(), ctypes.byref(item._global),
                                ctypes.byref(raw))
        return self._from_raw(raw)

    # ------------------------------------------------------------------ values

    def _to_raw(self, value: WasmValue, ty: wasmtime.ValType) -> Any:
        if value.type in _KIND:
            raw = ffi.wasmtime_val_t(kind=_KIND[value.type])
            # Floats through the integer view of the union: bit-exact, NaN payloads included.
            if value.type in ("i32", "f32"):
                raw.of.i32 = _signed(value.bits, 32)
            else:
                raw.of.i64 = _signed(value.bits, 64)
            return raw
        if value.type == "externref":
            host = None if value.bits is None else _ExternRef(value.bits)
            return Val._convert_to_raw(self._store, ty, Val.externref(host))
        if value.bits is not None:
            raise ModuleRejected("a non-null funcref argument cannot be made from outside",
                                 code="bad-argument")
        return Val._convert_to_raw(self._store, ty, Val.funcref(None))

    def _from_raw(self, raw: Any) -> WasmValue:
        kind = raw.kind
        name = _TYPE_OF_KIND.get(kind)
        if name in ("i32", "f32"):
            return WasmValue(name, raw.of.i32 & 0xFFFFFFFF)
        if name in ("i64", "f64"):
            return WasmValue(name, raw.of.i64 & 0xFFFFFFFFFFFFFFFF)
        value = Val._from_raw(self._store, raw).value
        if name == "externref":
            return WasmValue("externref", None if value is None else value.value)
        if name == "funcref":
            return WasmValue("funcref", None if value is None else 1)
        raise Trap(f"unsupported result kind {kind}", code="bad-result")

    # ------------------------------------------------------------------ bounds

    def _refuel(self) -> None:
        limits = self._limits
        self._store.set_fuel(max(0, int(limits.fuel)))
        self._store.set_epoch_deadline(self._slot.watchdog.deadline_ticks(limits.timeout_s))

    def _trap_error(self, trap: wasmtime.Trap) -> ISPCError:
        from .engine import _trap_message

        code = trap.trap_code
        limits = self._limits
        if code == wasmtime.TrapCode.OUT_OF_FUEL:
            return OutOfGas(f"the guest used its whole fuel budget of {limits.fuel}",
                            limit="fuel")
        if code == wasmtime.TrapCode.STACK_OVERFLOW:
            return StackExhausted(f"wasm stack exceeded {limits.stack_bytes} bytes",
                                  limit="stack_bytes")
        if code == wasmtime.TrapCode.INTERRUPT:
            return Timeout(f"execution exceeded {limits.timeout_s} s", limit="timeout_s")
        name = code.name.lower().replace("_", "-") if code is not None else "unknown"
        return Trap(f"the guest trapped: {_trap_message(trap)}", trap_code=name)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

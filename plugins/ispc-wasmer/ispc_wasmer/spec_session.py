"""The "spec-tests" session of the wasmer engine (ispc_framework._wasm_spec_protocol).

Same gate as contracts: a module is first validated by the wasmtime library under the core's
feature policy, WASM_FEATURES (the engine's ``_validator``), then compiled by wasmer's cranelift.
wasmer has no fuel, memory cap, stack setting or NaN canonicalisation (the engine declares them
absent), so the session has none either; every wasmer object lives on the engine's worker thread.

wasmer-python converts f32/f64 values to Python floats (losing NaN payloads) and panics on any
externref or funcref crossing into Python. A function or global whose type has floats or
references is therefore reached through a small *adapter* module, generated per signature and
compiled once: it imports the target, takes floats as their integer bit patterns and
reinterprets them, produces null references itself (``ref.null``) and returns each reference as
its null-ness. Inside wasm these moves are exact, so values cross bit for bit. What cannot cross
(a non-null externref argument, the identity of a non-null externref result) raises
ModuleRejected with code ``unsupported-value``: the engine cannot be asked, which is not a pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ispc_framework.plugins import (INVALID, UNLINKABLE, ExecutionError, ExecutionLimits,
                                    ModuleRejected, StackExhausted, Trap, WasmValue)

__all__ = ["WasmerSpecSession"]

# wasmer.Type values (wasmer-python 1.1.0) and their wasm names.
_TYPES = {1: "i32", 2: "i64", 3: "f32", 4: "f64", 6: "externref", 7: "funcref"}
_INT_OF = {"f32": "i32", "f64": "i64", "externref": "i32", "funcref": "i32"}
_WIDTH = {"i32": 32, "i64": 64, "f32": 32, "f64": 64}
_UNSUPPORTED = "unsupported-value"
_TRAP_TEXT = ("unreachable", "integer divide by zero", "integer overflow",
              "out of bounds memory access", "indirect call type mismatch",
              "invalid conversion to integer", "undefined element", "uninitialized element",
              "out of bounds table access", "call stack exhausted")


def _signed(bits: int | None, width: int) -> int:
    if bits is None:  # WasmValue's validator gives every number its bits; only null refs lack them
        raise ValueError("a null reference has no bit pattern")
    return bits - (1 << width) if bits >> (width - 1) else bits


def _type_names(types) -> tuple[str, ...]:
    names = []
    for t in types:
        name = _TYPES.get(int(t))
        if name is None:
            raise ModuleRejected(f"wasmer value type {t} is not supported here",
                                 code=_UNSUPPORTED)
        names.append(name)
    return tuple(names)


def _adapter_call_wat(params: tuple[str, ...], results: tuple[str, ...],
                      nulls: tuple[bool, ...]) -> str:
    """An adapter exporting ``call``: integer-only parameters (null references are made inside),
    the target's results with floats as bits and references as ``ref.is_null``."""
    outer = [_INT_OF.get(p, p) for p, null in zip(params, nulls) if not null]
    body, index = [], 0
    for p, null in zip(params, nulls):
        if null:
            body.append(f"ref.null {'extern' if p == 'externref' else 'func'}")
            continue
        body.append(f"local.get {index}")
        if p in ("f32", "f64"):
            body.append(f"{p}.reinterpret_{_INT_OF[p]}")
        index += 1
    body.append("call $target")
    result_locals = list(range(index, index + len(results)))
    for local in reversed(result_locals):
        body.append(f"local.set {local}")
    for r, local in zip(results, result_locals):
        body.append(f"local.get {local}")
        if r in ("f32", "f64"):
            body.append(f"{_INT_OF[r]}.reinterpret_{r}")
        elif r in ("externref", "funcref"):
            body.append("ref.is_null")
    sig = (f"(param {' '.join(params)})" if params else "") + \
        (f" (result {' '.join(results)})" if results else "")
    return (f'(module (import "target" "f" (func $target {sig}))\n'
            f'  (func (export "call") {"(param " + " ".join(outer) + ")" if outer else ""}'
            f' {"(result " + " ".join(_INT_OF.get(r, r) for r in results) + ")" if results else ""}'
            f' {"(local " + " ".join(results) + ")" if results else ""}\n'
            f'    {" ".join(body)}))')


def _adapter_global_wat(kind: str, mutable: bool) -> str:
    convert = f"{_INT_OF[kind]}.reinterpret_{kind}" if kind in ("f32", "f64") else "ref.is_null"
    ty = f"(mut {kind})" if mutable else kind
    return (f'(module (import "target" "g" (global $g {ty}))\n'
            f'  (func (export "get") (result {_INT_OF[kind]}) global.get $g {convert}))')


class WasmerSpecSession:
    def __init__(self, engine, limits: ExecutionLimits) -> None:
        self._engine = engine
        self._wasmer = engine._wasmer
        self._limits = limits   # wasmer enforces none of them; kept for the record
        self._registered: dict[str, dict[str, Any]] = {}
        self._adapters: dict[str, Any] = {}   # WAT -> wasmer.Module
        self._store = self._on_worker(self._new_store)

    def _on_worker(self, fn, *args):
        return self._engine._on_worker(fn, *args)

    def _new_store(self):
        return self._wasmer.Store(self._wasmer.engine.Universal(self._engine._cranelift.Compiler))

    def close(self) -> None:
        def drop():
            self._registered.clear()
            self._adapters.clear()
            self._store = None
        self._on_worker(drop)

    # ------------------------------------------------------------------ modules

    def compile(self, code: bytes):
        code = bytes(code)
        wasmtime = self._engine._wasmtime
        try:
            wasmtime.Module.validate(self._engine._validator, code)
        except wasmtime.WasmtimeError as exc:
            raise ModuleRejected(f"module rejected by the ISPC feature gate: "
                                 f"{str(exc).strip().splitlines()[0]}", code=INVALID) from None
        return self._on_worker(self._compile, code)

    def _compile(self, code: bytes):
        try:
            return self._wasmer.Module(self._store, code)
        except Exception as exc:  # noqa: BLE001 - wasmer raises plain RuntimeError
            raise ModuleRejected(f"wasmer rejected the module: {_first_line(exc)}",
                                 code=INVALID) from None

    def instantiate(self, module):
        return self._on_worker(self._instantiate, module)

    def _instantiate(self, module):
        wasmer = self._wasmer
        imports = wasmer.ImportObject()
        for name, exports in self._registered.items():
            imports.register(name, exports)
        try:
            instance = wasmer.Instance(module, imports)
        except BaseException as exc:  # noqa: BLE001 - RuntimeError or a pyo3 panic
            raise _error(exc, instantiating=True) from None
        return {name: item for name, item in instance.exports}

    def register(self, name: str, instance: dict) -> None:
        self._registered[name] = dict(instance)

    # ------------------------------------------------------------------ exports

    def _export(self, instance: dict, name: str, kind) -> Any:
        item = instance.get(name)
        if not isinstance(item, kind):
            raise ModuleRejected(f"the instance exports no {kind.__name__.lower()} {name!r}",
                                 code="export-not-found")
        return item

    def _adapter(self, wat: str, target_name: str, target) -> Any:
        module = self._adapters.get(wat)
        if module is None:
            module = self._adapters[wat] = self._wasmer.Module(self._store,
                                                               self._wasmer.wat2wasm(wat))
        imports = self._wasmer.ImportObject()
        imports.register("target", {target_name: target})
        return {name: item for name, item in self._wasmer.Instance(module, imports).exports}

    def invoke(self, instance: dict, export: str, args: Sequence[WasmValue]) -> tuple[WasmValue, ...]:
        return self._on_worker(self._invoke, instance, export, tuple(args))

    def _invoke(self, instance: dict, export: str, args: tuple[WasmValue, ...]):
        func = self._export(instance, export, self._wasmer.Function)
        params, results = _type_names(func.type.params), _type_names(func.type.results)
        if len(args) != len(params):
            raise ModuleRejected(f"{export!r} takes {len(params)} arguments, got {len(args)}",
                                 code="bad-argument")
        for arg in args:
            if arg.type == "externref" and arg.bits is not None:
                raise ModuleRejected("wasmer-python cannot pass a non-null externref",
                                     code=_UNSUPPORTED)
            if arg.type == "funcref" and arg.bits is not None:
                raise ModuleRejected("a non-null funcref argument cannot be made from outside",
                                     code="bad-argument")
        plain = all(t in ("i32", "i64") for t in params + results)
        if plain:
            call = func
            call_args = [_signed(a.bits, _WIDTH[a.type]) for a in args]
        else:
            nulls = tuple(p in ("externref", "funcref") for p in params)
            call = self._adapter(_adapter_call_wat(params, results, nulls), "f", func)["call"]
            call_args = [_signed(a.bits, _WIDTH[_INT_OF.get(a.type, a.type)])
                         for a, null in zip(args, nulls) if not null]
        try:
            raw = call(*call_args)
        except BaseException as exc:  # noqa: BLE001 - RuntimeError or a pyo3 panic
            raise _error(exc) from None
        values = () if raw is None else tuple(raw) if isinstance(raw, (tuple, list)) else (raw,)
        return tuple(self._result(kind, value) for kind, value in zip(results, values))

    @staticmethod
    def _result(kind: str, value: int) -> WasmValue:
        if kind in ("externref", "funcref"):
            if value:   # ref.is_null said null
                return WasmValue(kind, None)
            if kind == "externref":
                raise ModuleRejected("wasmer-python cannot return a non-null externref's "
                                     "identity", code=_UNSUPPORTED)
            return WasmValue(kind, 1)
        return WasmValue(kind, value & ((1 << _WIDTH[kind]) - 1))

    def get_global(self, instance: dict, export: str) -> WasmValue:
        return self._on_worker(self._get_global, instance, export)

    def _get_global(self, instance: dict, export: str) -> WasmValue:
        item = self._export(instance, export, self._wasmer.Global)
        (kind,) = _type_names([item.type.type])
        if kind in ("i32", "i64"):
            return WasmValue(kind, item.value & ((1 << _WIDTH[kind]) - 1))
        getter = self._adapter(_adapter_global_wat(kind, item.type.mutable), "g", item)["get"]
        return self._result(kind, getter())


def _error(exc: BaseException, instantiating: bool = False) -> ExecutionError:
    if isinstance(exc, (KeyboardInterrupt, SystemExit)):
        raise exc
    text = str(exc).replace("RuntimeError: ", "", 1).strip()
    message = text.splitlines()[0] if text else type(exc).__name__
    if type(exc).__name__ == "PanicException":
        # A binding bug, never an accepted trap.
        return ExecutionError(f"wasmer panicked: {message}", code="engine-panic")
    if instantiating and ("Error while importing" in message or "incompatible" in message
                          or "unknown import" in message):
        return ModuleRejected(f"cannot link: {message}", code=UNLINKABLE)
    if "call stack exhausted" in message:
        return StackExhausted(f"wasm stack exhausted ({message})")
    if any(known in message for known in _TRAP_TEXT) or instantiating:
        return Trap(f"the guest trapped: {message}",
                    code="instantiation-failed" if instantiating else "trap")
    return ExecutionError(f"wasmer failed: {message}", code="engine-error")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

"""The engine-neutral WebAssembly rules: deploy-time checks of a binary (pure Python) and the
post-MVP feature policy every engine enforces with its own validator.

Why parse the binary ourselves: the rules ISPC enforces at deploy time (no start function, only
function imports, each imported once, every import offered by a selected HostABI provider with the
same signature, one exported linear memory, at most one table, single-instruction constant
expressions) must give the same verdict and the same error on every engine, and neither
wasmtime-py nor wasmer-python exposes the start section. Only the sections these rules need are
decoded (type, import, function, table, memory, global, export, start, element, data); the
engine's own validator checks the rest, including the disabled post-MVP features.

Some rules exist only so that both engines accept exactly the same modules: wasmtime 50 accepts
extended constant expressions (``(global i32 (i32.add (i32.const 40) (i32.const 2)))``) and
wasmer 1.1 rejects them; wasmer instantiates several tables while ISPC's wasmtime store allows
one; wasmtime's linker refuses a module importing the same function twice, wasmer links it.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from ._engines import HostFunction
from ._errors import ModuleRejected

__all__ = ["FuncImport", "ModuleInfo", "parse_module", "check_module", "check_method",
           "bind_imports", "DEFAULT_MAX_MODULE_BYTES", "MAX_TABLES", "MAX_TABLE_ELEMENTS",
           "WASM_PAGE", "WASM_FEATURES"]

DEFAULT_MAX_MODULE_BYTES = 8 * 1024 * 1024
WASM_PAGE = 65536
_MAGIC = b"\0asm\x01\0\0\0"
_VALUE_TYPES = {0x7F: "i32", 0x7E: "i64", 0x7D: "f32", 0x7C: "f64", 0x7B: "v128",
                0x70: "funcref", 0x6F: "externref"}
_IMPORT_KINDS = {0: "func", 1: "table", 2: "memory", 3: "global", 4: "tag"}
_MAX_ITEMS = 100_000  # no honest contract declares more imports, exports or types than this
#: Tables per module, imported ones included (function pointers need one; C and asc use one).
MAX_TABLES = 1
#: Function-table elements per run (8 bytes each): C and asc contracts use a few hundred at most;
#: without a cap a module could declare a table of millions of elements.
MAX_TABLE_ELEMENTS = 65536
#: The post-MVP proposals a contract may use (True) or not (False), by the proposal's short name
#: (an engine maps each to its own switch; wasmtime: ``Config.wasm_<name>``). Off unless a
#: supported toolchain (clang -mcpu=mvp, asc 0.28, wat) needs them. Reference types must stay on:
#: turning them off makes wasmtime panic and kills Python. Bulk memory and multi-value stay on
#: because asc emits memory.copy/fill and reference types depend on bulk memory. Sign-extension,
#: mutable globals and saturating float-to-int are part of every engine's baseline.
WASM_FEATURES: dict[str, bool] = {
    "reference_types": True,
    "bulk_memory": True,
    "multi_value": True,
    "threads": False,
    "simd": False,
    "relaxed_simd": False,
    "memory64": False,
    "multi_memory": False,
    "tail_call": False,
    "gc": False,
    "function_references": False,
    "exceptions": False,
    "wide_arithmetic": False,
    "custom_page_sizes": False,
    "stack_switching": False,
    "component_model": False,
    "shared_memory": False,
}

# Constant-expression instructions allowed alone (MVP + reference types): opcode -> operand kind.
_CONST_OPS: dict[int, int | str] = {
    0x41: "sleb", 0x42: "sleb", 0x43: 4, 0x44: 8, 0x23: "uleb", 0xD0: 1, 0xD2: "uleb"}


#: an export: (kind, params, results); params and results are empty unless kind is "func"
Export = tuple[str, tuple[str, ...], tuple[str, ...]]


@attrs.frozen
class FuncImport:
    module: str
    name: str
    params: tuple[str, ...]
    results: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str]:
        return (self.module, self.name)


@attrs.frozen
class ModuleInfo:
    """What the deploy-time rules need to know about a module."""

    func_imports: tuple[FuncImport, ...]
    other_imports: tuple[tuple[str, str, str], ...]      # (module, name, kind)
    exports: dict[str, Export] = attrs.field(eq=False)    # name -> (kind, params, results)
    memories: tuple[tuple[int, int | None], ...]          # (min pages, max pages) defined here
    has_start: bool
    tables: tuple[tuple[int, int | None], ...] = ()       # (min, max elements) defined here
    duplicate_imports: tuple[tuple[str, str], ...] = ()   # (module, name) imported more than once


class _Reader:
    __slots__ = ("data", "pos", "end")

    def __init__(self, data: bytes, pos: int = 0, end: int | None = None) -> None:
        self.data, self.pos, self.end = data, pos, len(data) if end is None else end

    def byte(self) -> int:
        if self.pos >= self.end:
            raise _Malformed("unexpected end of section")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def uleb(self, max_bits: int = 32) -> int:
        result = shift = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
            if shift >= max_bits + 7:
                raise _Malformed("integer too long")
        if result >= 1 << max_bits:
            raise _Malformed("integer out of range")
        return result

    def count(self) -> int:
        n = self.uleb()
        if n > _MAX_ITEMS:
            raise _Malformed(f"vector of {n} items is too long")
        return n

    def skip_leb(self) -> None:
        for _ in range(10):
            if not self.byte() & 0x80:
                return
        raise _Malformed("integer too long")

    def skip(self, n: int) -> None:
        if self.pos + n > self.end:
            raise _Malformed("unexpected end of section")
        self.pos += n

    def name(self) -> str:
        length = self.uleb()
        if self.pos + length > self.end:
            raise _Malformed("name runs past the section")
        raw = self.data[self.pos:self.pos + length]
        self.pos += length
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _Malformed("name is not UTF-8") from None

    def limits(self) -> tuple[int, int | None]:
        flag = self.byte()
        if flag not in (0, 1):
            raise _Malformed(f"unsupported limits flag {flag:#x} (shared or 64-bit memory)")
        minimum = self.uleb()
        return (minimum, self.uleb() if flag == 1 else None)


class _Malformed(Exception):
    pass


class _LongConst(Exception):
    """A constant expression of more than one instruction; the argument says where."""


def _value_types(reader: _Reader) -> tuple[str, ...]:
    out = []
    for _ in range(reader.count()):
        code = reader.byte()
        if code not in _VALUE_TYPES:
            raise _Malformed(f"unknown value type {code:#x}")
        out.append(_VALUE_TYPES[code])
    return tuple(out)


def _const_expr(reader: _Reader, where: str) -> None:
    """Skip a constant expression: exactly one instruction, then ``end``, or _LongConst."""
    op = reader.byte()
    operand = _CONST_OPS.get(op)
    if operand is None:
        if op == 0x0B:
            raise _Malformed(f"empty constant expression in {where}")
        raise _LongConst(where)   # extended-const (i32.add, ...) or an instruction not allowed
    if isinstance(operand, str):  # "sleb" or "uleb"
        reader.skip_leb()
    else:
        reader.skip(operand)
    if reader.byte() != 0x0B:
        raise _LongConst(where)


def _elements(body: _Reader) -> None:
    for i in range(body.count()):
        flags = body.uleb()
        if flags > 7:
            raise _Malformed(f"unsupported element segment flags {flags}")
        where = f"element segment {i}"
        if flags & 2 and not flags & 1:
            body.uleb()                                  # table index
        if not flags & 1:
            _const_expr(body, f"{where} offset")
        if flags & 3:
            body.byte()                                  # element kind or reference type
        for j in range(body.count()):
            if flags & 4:
                _const_expr(body, f"{where} item {j}")
            else:
                body.uleb()                              # function index


def _data(body: _Reader) -> None:
    for i in range(body.count()):
        flags = body.uleb()
        if flags > 2:
            raise _Malformed(f"unsupported data segment flags {flags}")
        if flags == 2:
            body.uleb()                                  # memory index
        if flags != 1:
            _const_expr(body, f"data segment {i} offset")
        body.skip(body.uleb())


def parse_module(code: bytes) -> ModuleInfo:
    """Decode the sections the deploy rules need; raise ModuleRejected on malformed bytes."""
    if not isinstance(code, (bytes, bytearray)):
        raise ModuleRejected(f"module must be bytes, got {type(code).__name__}",
                             code="malformed-module")
    code = bytes(code)
    if code[:8] != _MAGIC:
        raise ModuleRejected("not a WebAssembly 1.0 binary (bad magic or version)",
                             code="malformed-module")
    try:
        return _parse_sections(code)
    except _Malformed as exc:
        raise ModuleRejected(f"malformed WebAssembly module: {exc}",
                             code="malformed-module") from None
    except _LongConst as exc:
        raise ModuleRejected(f"{exc} uses a constant expression of more than one instruction "
                             f"(extended-const)", code="extended-const") from None


def _parse_sections(code: bytes) -> ModuleInfo:
    types: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    func_imports: list[FuncImport] = []
    other_imports: list[tuple[str, str, str]] = []
    func_types: list[int] = []          # type index of every function, imports first
    memories: list[tuple[int, int | None]] = []
    tables: list[tuple[int, int | None]] = []
    exports: dict[str, Export] = {}
    seen_imports: set[tuple[str, str]] = set()
    duplicates: list[tuple[str, str]] = []
    has_start = False
    reader = _Reader(code, 8)
    while reader.pos < reader.end:
        section_id = reader.byte()
        size = reader.uleb()
        start, end = reader.pos, reader.pos + size
        if end > len(code):
            raise _Malformed(f"section {section_id} runs past the end of the module")
        body = _Reader(code, start, end)
        if section_id == 1:
            for _ in range(body.count()):
                form = body.byte()
                if form != 0x60:
                    raise _Malformed(f"unsupported type form {form:#x}")
                types.append((_value_types(body), _value_types(body)))
        elif section_id == 2:
            for _ in range(body.count()):
                module, name, kind = body.name(), body.name(), body.byte()
                if (module, name) in seen_imports:
                    duplicates.append((module, name))
                seen_imports.add((module, name))
                if kind == 0:
                    index = body.uleb()
                    if index >= len(types):
                        raise _Malformed(f"import {module}.{name} uses unknown type {index}")
                    func_types.append(index)
                    func_imports.append(FuncImport(module, name, *types[index]))
                    continue
                other_imports.append((module, name, _IMPORT_KINDS.get(kind, f"kind {kind}")))
                # Skip the descriptor: rejected later anyway, only its length matters now.
                if kind == 1:
                    body.byte()
                    body.limits()
                elif kind == 2:
                    body.limits()
                elif kind == 3:
                    body.byte()
                    body.byte()
                else:
                    raise _Malformed(f"import {module}.{name} has unsupported kind {kind}")
        elif section_id == 3:
            for _ in range(body.count()):
                index = body.uleb()
                if index >= len(types):
                    raise _Malformed(f"function uses unknown type {index}")
                func_types.append(index)
        elif section_id == 4:
            for _ in range(body.count()):
                body.byte()                              # reference type
                tables.append(body.limits())
        elif section_id == 5:
            memories.extend(body.limits() for _ in range(body.count()))
        elif section_id == 6:
            for i in range(body.count()):
                body.byte()                              # value type
                body.byte()                              # mutability
                _const_expr(body, f"global {i}")
        elif section_id == 7:
            for _ in range(body.count()):
                name, kind, index = body.name(), body.byte(), body.uleb()
                if name in exports:
                    raise _Malformed(f"duplicate export {name!r}")
                if kind == 0:
                    if index >= len(func_types):
                        raise _Malformed(f"export {name!r} names unknown function {index}")
                    exports[name] = ("func", *types[func_types[index]])
                else:
                    exports[name] = ({1: "table", 2: "memory", 3: "global"}.get(kind, "other"),
                                     (), ())
        elif section_id == 8:
            has_start = True
        elif section_id == 9:
            _elements(body)
        elif section_id == 11:
            _data(body)
        elif section_id > 12 and section_id != 0:
            raise _Malformed(f"unknown section id {section_id}")
        reader.pos = end
    return ModuleInfo(tuple(func_imports), tuple(other_imports), exports, tuple(memories),
                      has_start, tuple(tables), tuple(duplicates))


def _index(host_functions: Sequence[HostFunction]) -> dict[tuple[str, str], HostFunction]:
    return {(fn.module, fn.name): fn for fn in host_functions}


def check_module(code: bytes, host_functions: Sequence[HostFunction], *,
                 max_module_bytes: int = DEFAULT_MAX_MODULE_BYTES) -> ModuleInfo:
    """Apply ISPC's deploy-time rules; raise ModuleRejected with a specific code on the first
    violation. The engine then validates the code itself (features, types, bodies)."""
    if isinstance(code, (bytes, bytearray)) and len(code) > max_module_bytes:
        raise ModuleRejected(f"module is {len(code)} bytes, the cap is {max_module_bytes}",
                             code="module-too-large")
    info = parse_module(code)
    if info.has_start:
        raise ModuleRejected("module has a start function; contracts may run code only through "
                             "an exported method", code="start-function")
    if info.duplicate_imports:
        module, name = info.duplicate_imports[0]
        raise ModuleRejected(f"module imports {module}.{name} more than once",
                             code="duplicate-import", function=f"{module}.{name}")
    table_count = len(info.tables) + sum(kind == "table" for *_name, kind in info.other_imports)
    if table_count > MAX_TABLES:
        raise ModuleRejected(f"module declares {table_count} tables; at most {MAX_TABLES} is "
                             f"allowed", code="too-many-tables")
    if info.other_imports:
        module, name, kind = info.other_imports[0]
        raise ModuleRejected(f"module imports {kind} {module}.{name}; only host functions may be "
                             f"imported", code="disallowed-import")
    bind_imports(info, host_functions)
    exported_memory = [name for name, (kind, *_rest) in info.exports.items() if kind == "memory"]
    if "memory" not in exported_memory or len(info.memories) != 1:
        raise ModuleRejected("module must define exactly one linear memory and export it as "
                             "'memory'", code="missing-memory")
    return info


def bind_imports(info: ModuleInfo,
                 host_functions: Sequence[HostFunction]) -> tuple[HostFunction, ...]:
    """The host function for every function import, in import order; ModuleRejected naming the
    first import no selected provider offers, or offers with another signature."""
    offered = _index(host_functions)
    bound = []
    for imp in info.func_imports:
        fn = offered.get(imp.key)
        if fn is None:
            raise ModuleRejected(f"module imports {imp.module}.{imp.name}, which no selected "
                                 f"HostABI provider offers", code="unknown-import",
                                 hint="build against the HostABI headers of the selected "
                                      "providers, or select the provider that offers it",
                                 function=f"{imp.module}.{imp.name}")
        if (fn.params, fn.results) != (imp.params, imp.results):
            raise ModuleRejected(
                f"module imports {imp.module}.{imp.name} as {_sig(imp.params, imp.results)}, "
                f"the host offers {_sig(fn.params, fn.results)}", code="import-signature",
                hint="rebuild against the current HostABI headers",
                function=f"{imp.module}.{imp.name}")
        bound.append(fn)
    return tuple(bound)


def check_method(info: ModuleInfo, method: str) -> None:
    """A callable method is an exported function of type () -> i32."""
    export = info.exports.get(method)
    if export is None or export[0] != "func":
        methods = sorted(n for n, (kind, params, results) in info.exports.items()
                         if kind == "func" and params == () and results == ("i32",))
        raise ModuleRejected(f"module exports no method {method!r}; methods: "
                             f"{', '.join(methods) or 'none'}", code="method-not-found", method=method)
    if export[1:] != ((), ("i32",)):
        raise ModuleRejected(f"method {method!r} has type {_sig(*export[1:])}, expected () -> i32",
                             code="method-signature",
                             method=method)


def _sig(params: Sequence[str], results: Sequence[str]) -> str:
    return f"({', '.join(params)}) -> {', '.join(results) or '()'}"

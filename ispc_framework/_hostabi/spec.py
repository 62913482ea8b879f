"""The HostABI spec as validated Python objects.

The source of truth is ``hostabi_spec/abi_v1.json`` plus the extension files next to it (any
``hostabi_spec/*.json`` with ``"extends_abi_version": 1``, e.g. ``state_v1.json``: more import
modules, parameter kinds and status codes, merged in file-name order); the generator copies the
merged spec into the binding table ``_bindings_v1.py`` so an installed package needs no data
file. :func:`load_spec` reads
either, and validates everything the generator and the host rely on (unique names, known kinds and
statuses, sizes), so a bad edit of the spec fails loudly before any artefact is written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NoReturn

import attrs

from .._errors import ValidationError

__all__ = [
    "PARAM_KINDS",
    "RESULT_KINDS",
    "CATEGORIES",
    "Param",
    "Function",
    "Module",
    "StatusCode",
    "AbiSpec",
    "load_spec",
    "parse_spec",
    "merge_extensions",
]

#: logical parameter kind -> the wasm parameters it occupies, in order
PARAM_KINDS: dict[str, tuple[str, ...]] = {
    "bytes": ("i32", "i32"),
    "fixed": ("i32",),
    "u32": ("i32",),
    "u64": ("i64",),
    "bool": ("i32",),
    "out_fixed": ("i32",),
    "out_bytes": ("i32", "i32", "i32"),
    "out_u32": ("i32",),
    "out_u64": ("i32",),
    "out_fill": ("i32", "i32"),
}
RESULT_KINDS: dict[str, str] = {"status": "i32", "u64": "i64", "u32": "i32"}
CATEGORIES = ("read", "write", "trace")
#: max_len values that name an ExecutionLimits field instead of a constant: exceeding them aborts
LIMIT_PREFIX = "limits."


def _fail(where: str, message: str) -> NoReturn:
    raise ValidationError(f"hostabi_spec.{where}", message, code="hostabi-spec-invalid")


@attrs.frozen
class Param:
    name: str
    kind: str
    doc: str = ""
    size: int = 0             # fixed, out_fixed
    max_len: int | str = 0    # bytes, out_fill: an int, or "limits.<field>"

    @property
    def wasm_types(self) -> tuple[str, ...]:
        return PARAM_KINDS[self.kind]

@attrs.frozen
class Function:
    module: str
    name: str
    category: str
    gas: int
    gas_per_byte: int
    params: tuple[Param, ...]
    result: str
    statuses: tuple[str, ...]
    doc: str
    determinism: str

    @property
    def wasm_params(self) -> tuple[str, ...]:
        return tuple(t for p in self.params for t in p.wasm_types)

    @property
    def wasm_results(self) -> tuple[str, ...]:
        return (RESULT_KINDS[self.result],)

    @property
    def qualified_name(self) -> str:
        return f"{self.module}.{self.name}"


@attrs.frozen
class Module:
    import_module: str
    provider: str
    description: str
    functions: tuple[Function, ...]

    def function(self, name: str) -> Function:
        for function in self.functions:
            if function.name == name:
                return function
        raise KeyError(name)


@attrs.frozen
class StatusCode:
    name: str
    value: int
    meaning: str


@attrs.frozen
class AbiSpec:
    abi_version: int
    encoding_version: int
    description: str
    param_kinds: dict[str, str] = attrs.field(eq=False)
    result_kinds: dict[str, str] = attrs.field(eq=False)
    status_codes: tuple[StatusCode, ...]
    aborts: tuple[dict[str, str], ...] = attrs.field(eq=False)
    modules: tuple[Module, ...]
    raw: dict[str, Any] = attrs.field(eq=False, repr=False)

    def module(self, import_module: str) -> Module:
        for module in self.modules:
            if module.import_module == import_module:
                return module
        raise KeyError(import_module)

    def status(self, name: str) -> int:
        for code in self.status_codes:
            if code.name == name:
                return code.value
        raise KeyError(name)


def _param(where: str, raw: dict[str, Any]) -> Param:
    kind = raw.get("kind")
    if not isinstance(kind, str) or kind not in PARAM_KINDS:
        _fail(where, f"unknown kind {kind!r}; one of {sorted(PARAM_KINDS)}")
    name = raw.get("name", "")
    if not isinstance(name, str) or not name.isidentifier():
        _fail(where, f"parameter name {name!r} is not an identifier")
    size = raw.get("size", 0)
    max_len = raw.get("max_len", 0)
    if kind in ("fixed", "out_fixed") and (not isinstance(size, int) or size <= 0):
        _fail(where, "fixed parameters need a positive size")
    if kind in ("bytes", "out_fill"):
        valid_int = isinstance(max_len, int) and max_len > 0
        valid_limit = isinstance(max_len, str) and max_len.startswith(LIMIT_PREFIX)
        if not (valid_int or valid_limit):
            _fail(where, "bytes parameters need max_len (a positive int or 'limits.<field>')")
    return Param(name=name, kind=kind, doc=raw.get("doc", ""), size=size, max_len=max_len)


def parse_spec(raw: dict[str, Any]) -> AbiSpec:
    """Validate a decoded spec document and build the :class:`AbiSpec`."""
    statuses = tuple(StatusCode(s["name"], s["value"], s["meaning"]) for s in raw["status_codes"])
    status_names = [s.name for s in statuses]
    if len(set(status_names)) != len(statuses) or len({s.value for s in statuses}) != len(statuses):
        _fail("status_codes", "status names and values must be unique")
    if statuses[0].name != "OK" or statuses[0].value != 0:
        _fail("status_codes", "the first status must be OK = 0")
    modules = []
    seen_modules: set[str] = set()
    for raw_module in raw["modules"]:
        module_name = raw_module["import_module"]
        if module_name in seen_modules:
            _fail("modules", f"duplicate import module {module_name!r}")
        seen_modules.add(module_name)
        functions = []
        seen: set[str] = set()
        for raw_fn in raw_module["functions"]:
            where = f"{module_name}.{raw_fn.get('name')}"
            if raw_fn["name"] in seen or not raw_fn["name"].isidentifier():
                _fail(where, "function names must be unique identifiers")
            seen.add(raw_fn["name"])
            if raw_fn["category"] not in CATEGORIES:
                _fail(where, f"category must be one of {CATEGORIES}")
            if raw_fn["result"] not in RESULT_KINDS:
                _fail(where, f"result must be one of {sorted(RESULT_KINDS)}")
            for status in raw_fn["statuses"]:
                if status not in status_names:
                    _fail(where, f"unknown status {status!r}")
            if raw_fn["result"] == "status" and "OK" not in raw_fn["statuses"]:
                _fail(where, "a status-returning function must list OK")
            if raw_fn["result"] != "status" and raw_fn["statuses"]:
                _fail(where, "a value-returning function cannot return statuses")
            for key in ("gas", "gas_per_byte"):
                if not isinstance(raw_fn[key], int) or raw_fn[key] < 0:
                    _fail(where, f"{key} must be a non-negative integer")
            params = tuple(_param(f"{where}.{i}", p) for i, p in enumerate(raw_fn["params"]))
            if len({p.name for p in params}) != len(params):
                _fail(where, "parameter names must be unique")
            functions.append(Function(
                module=module_name, name=raw_fn["name"], category=raw_fn["category"],
                gas=raw_fn["gas"], gas_per_byte=raw_fn["gas_per_byte"], params=params,
                result=raw_fn["result"], statuses=tuple(raw_fn["statuses"]),
                doc=raw_fn.get("doc", ""), determinism=raw_fn.get("determinism", "")))
        modules.append(Module(module_name, raw_module.get("provider", module_name),
                              raw_module.get("description", ""), tuple(functions)))
    return AbiSpec(abi_version=raw["abi_version"], encoding_version=raw["encoding_version"],
                   description=raw.get("description", ""), param_kinds=raw["param_kinds"],
                   result_kinds=raw["result_kinds"], status_codes=statuses,
                   aborts=tuple(raw.get("aborts", ())), modules=tuple(modules), raw=raw)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        _fail("file", f"cannot read {path}: {exc}")
    if not isinstance(raw, dict):
        _fail("file", f"{path}: expected a JSON object")
    return raw


def merge_extensions(base: dict[str, Any], extensions: list[dict[str, Any]]) -> dict[str, Any]:
    """The base spec with each extension's parameter kinds, status codes and modules appended.
    An extension adds; it never changes what the base defines (parse_spec then checks that
    names and values stay unique)."""
    merged = dict(base)
    merged["param_kinds"] = dict(base["param_kinds"])
    merged["status_codes"] = list(base["status_codes"])
    merged["modules"] = list(base["modules"])
    for extension in extensions:
        if extension.get("extends_abi_version") != base["abi_version"]:
            _fail("extension", f"extends ABI {extension.get('extends_abi_version')!r}, the base "
                  f"is {base['abi_version']}")
        for kind, text in extension.get("param_kinds", {}).items():
            if kind in merged["param_kinds"]:
                _fail("extension.param_kinds", f"{kind!r} is already defined")
            merged["param_kinds"][kind] = text
        merged["status_codes"] += extension.get("status_codes", [])
        merged["modules"] += extension.get("modules", [])
    return merged


def load_spec(path: str | Path | None = None) -> AbiSpec:
    """Load the spec from a JSON file and the extension files beside it, or (no path) from the
    generated binding table."""
    if path is None:
        from ._bindings_v1 import SPEC
        return parse_spec(SPEC)
    path = Path(path)
    raw = _read_json(path)
    extensions = [_read_json(other) for other in sorted(path.parent.glob("*.json"))
                  if other != path]
    try:
        return parse_spec(merge_extensions(raw, [e for e in extensions
                                                 if "extends_abi_version" in e]))
    except (KeyError, TypeError) as exc:
        _fail("file", f"{path}: missing or mistyped entry {exc}")
    raise AssertionError("unreachable")

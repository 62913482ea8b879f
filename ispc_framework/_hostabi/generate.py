"""Generate every HostABI artefact from ``hostabi_spec/abi_v1.json``.

    python -m ispc_framework._hostabi.generate           # rewrite the artefacts
    python -m ispc_framework._hostabi.generate --check   # exit 1 if any artefact is stale

Artefacts: the host's binding table (``ispc_framework/_hostabi/_bindings_v1.py``), the C header
(``sdk/c/ispc.h``), the AssemblyScript declarations (``sdk/assemblyscript/ispc.ts``) and the
reference page (``docs/hostabi.md``). Host and SDK cannot disagree because both come from here.
"""

from __future__ import annotations

import argparse
import textwrap
import pprint
import string
import sys
from pathlib import Path

from .._encoding import type_id_of
from .spec import AbiSpec, Function, Param, load_spec

__all__ = ["REPO_ROOT", "SPEC_PATH", "render_all", "main"]

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = REPO_ROOT / "hostabi_spec" / "abi_v1.json"
GENERATED = ("GENERATED from hostabi_spec/abi_v1.json by "
             "`python -m ispc_framework._hostabi.generate`; do not edit.")

CONVENTION = """\
Calling convention (HostABI v1):
- A contract method is an exported function `() -> i32`; the i32 is the contract's own status
  (0 = success; anything else fails the run with ContractFailed). The module must export `memory`
  and must not have a start function.
- The method reads its input with `call_input` and sets its result with `set_return_data`.
- Every host function returning a status returns ONLY a status (table below); lengths, indices and
  values are written to guest buffers the contract passes. A status is never a length.
- The host writes only into buffers the guest passes: fixed-size outputs at a pointer (size in the
  spec), variable-size outputs as (ptr, cap, len_ptr): the needed length is always written at
  len_ptr, the data only if cap >= needed, else BUFFER_TOO_SMALL. Call with cap 0 to learn a size.
- Every pointer range is bounds-checked (OUT_OF_BOUNDS, nothing read or written); every input has
  a maximum length (TOO_LARGE, nothing read); structured values (outpoints, tokens, locks, outputs)
  use ISPC's canonical encoding (deterministic CBOR, ispc_framework._encoding).
- A call either completes or changes nothing: the draft is touched only after every argument was
  read and every output range checked.
- Bad arguments never abort: they return a status. Only host-side limits abort the run, with a
  typed error (out of gas, return data/draft/trace caps).
- Every call, reads included, is charged gas (base + gas_per_byte x bytes read and written) and
  recorded in the execution trace."""


# ----------------------------------------------------------------------------- Python bindings

def render_bindings(spec: AbiSpec) -> str:
    lines = [f'"""HostABI v{spec.abi_version} binding table for the host. {GENERATED}"""', "",
             "from __future__ import annotations", "", "import enum", "",
             f"ABI_VERSION = {spec.abi_version}", "", "",
             "class Status(enum.IntEnum):"]
    lines += [f"    {code.name} = {code.value}" for code in spec.status_codes]
    lines += ["", "", "#: (import module, name) -> (wasm params, wasm results, gas, gas_per_byte)",
              "SIGNATURES = {"]
    for module in spec.modules:
        for fn in module.functions:
            lines.append(f"    ({fn.module!r}, {fn.name!r}): ({fn.wasm_params!r}, "
                         f"{fn.wasm_results!r}, {fn.gas}, {fn.gas_per_byte}),")
    lines += ["}", "", "SPEC = " + pprint.pformat(spec.raw, indent=1, width=100, sort_dicts=False), ""]
    return "\n".join(lines)


# -------------------------------------------------------------------------------------- C header

_C_INPUT = {"u32": "uint32_t", "u64": "uint64_t", "bool": "uint32_t"}
_C_RESULT = {"status": "int32_t", "u64": "uint64_t", "u32": "uint32_t"}


def c_name(fn: Function) -> str:
    prefix = "ispc_" if fn.module == "ispc.v1" else "ispc_" + fn.module.split(".", 1)[1] + "_"
    return prefix + fn.name


def _c_params(param: Param) -> list[str]:
    n = param.name
    if param.kind == "bytes":
        return [f"const uint8_t *{n}_ptr", f"uint32_t {n}_len"]
    if param.kind == "fixed":
        return [f"const uint8_t *{n} /* {param.size} bytes */"]
    if param.kind == "out_fixed":
        return [f"uint8_t *{n}_out /* {param.size} bytes */"]
    if param.kind == "out_bytes":
        return [f"uint8_t *{n}_ptr", f"uint32_t {n}_cap", f"uint32_t *{n}_len"]
    if param.kind == "out_u32":
        return [f"uint32_t *{n}_out"]
    if param.kind == "out_u64":
        return [f"uint64_t *{n}_out"]
    if param.kind == "out_fill":
        return [f"uint8_t *{n}_ptr", f"uint32_t {n}_len"]
    return [f"{_C_INPUT[param.kind]} {n}"]


def _comment_lines(text: str, prefix: str, rest: str | None = None) -> list[str]:
    """Wrap ``text``; the first line starts with ``prefix``, the others with ``rest``."""
    rest = prefix if rest is None else rest
    wrapped = textwrap.wrap(text, 96 - len(prefix))
    return [(prefix if i == 0 else rest) + line for i, line in enumerate(wrapped)]


def _fn_facts(fn: Function) -> str:
    statuses = ", ".join(fn.statuses) if fn.statuses else "none (returns a value)"
    return (f"category {fn.category}; gas {fn.gas} + {fn.gas_per_byte}/byte; statuses: {statuses}")


def _limit_text(param: Param) -> str:
    if param.kind in ("bytes", "out_fill"):
        return f", max {param.max_len}"
    return ""


_C_HELPERS = """\
/* ---- canonical-encoding helpers (ispc_framework._encoding: deterministic CBOR) ----------------- */

#define ISPC_HASH_LEN 32
#define ISPC_ADDRESS_LEN 32
#define ISPC_OUTPOINT_MAX_LEN 41
#define ISPC_LOCKS_ONE_KEY_LEN 37

static inline uint32_t ispc__cbor_uint(uint8_t *out, uint8_t major, uint64_t value) {
    uint8_t m = (uint8_t)(major << 5);
    uint32_t n, i;
    if (value < 24) { out[0] = (uint8_t)(m | value); return 1; }
    if (value < 0x100) { out[0] = m | 24; n = 1; }
    else if (value < 0x10000) { out[0] = m | 25; n = 2; }
    else if (value < 0x100000000ULL) { out[0] = m | 26; n = 4; }
    else { out[0] = m | 27; n = 8; }
    for (i = 0; i < n; i++) out[1 + i] = (uint8_t)(value >> (8 * (n - 1 - i)));
    return 1 + n;
}

static inline uint32_t ispc__cbor_hash(uint8_t *out, const uint8_t *hash32) {
    uint32_t i;
    out[0] = 0x58; out[1] = 32;
    for (i = 0; i < 32; i++) out[2 + i] = hash32[i];
    return 34;
}

/* OutPoint(tx_id, index) -> out (at least ISPC_OUTPOINT_MAX_LEN bytes); returns the length. */
static inline uint32_t ispc_encode_outpoint(uint8_t *out, const uint8_t *tx_id32, uint32_t index) {
    uint32_t n = 0;
    out[n++] = 0x83; out[n++] = $OutPoint;
    n += ispc__cbor_hash(out + n, tx_id32);
    return n + ispc__cbor_uint(out + n, 0, index);
}

/* NativeCoin() as a token: 2 bytes. */
static inline uint32_t ispc_encode_native_coin(uint8_t *out) {
    out[0] = 0x81; out[1] = $NativeCoin;
    return 2;
}

/* An empty array: no locks, or no public inputs. 1 byte. */
static inline uint32_t ispc_encode_empty_array(uint8_t *out) { out[0] = 0x80; return 1; }

/* An empty map: resource metadata with every key defaulted. 1 byte. */
static inline uint32_t ispc_encode_empty_map(uint8_t *out) { out[0] = 0xa0; return 1; }

/* [ContractLock(contract)]: a lock list of one contract lock, ISPC_LOCKS_ONE_KEY_LEN bytes. */
static inline uint32_t ispc_encode_contract_lock_list(uint8_t *out, const uint8_t *contract32) {
    out[0] = 0x81; out[1] = 0x82; out[2] = $ContractLock;
    return 3 + ispc__cbor_hash(out + 3, contract32);
}

/* [SingleKeyLock(public_key)] for a 32-byte key, ISPC_LOCKS_ONE_KEY_LEN bytes. */
static inline uint32_t ispc_encode_single_key_lock_list(uint8_t *out, const uint8_t *key32) {
    out[0] = 0x81; out[1] = 0x82; out[2] = $SingleKeyLock;
    return 3 + ispc__cbor_hash(out + 3, key32);
}
"""


def _c_helpers() -> str:
    """The helpers with the type ids read from the encoder, so they cannot drift from it."""
    ids = {name: type_id_of(name)
           for name in ("OutPoint", "NativeCoin", "ContractLock", "SingleKeyLock")}
    if any(value >= 24 for value in ids.values()):  # CBOR puts unsigned values < 24 in the head
        raise ValueError(f"the C helpers write each type id as one byte: {ids}")
    return string.Template(_C_HELPERS).substitute({k: str(v) for k, v in ids.items()})


def render_c_header(spec: AbiSpec) -> str:
    lines = [f"/* ispc.h: ISPC HostABI v{spec.abi_version} for C contracts (clang --target=wasm32).",
             f" * {GENERATED}", " *"]
    lines += [" * " + line if line else " *" for line in CONVENTION.splitlines()]
    lines += [" */", "#ifndef ISPC_H", "#define ISPC_H", "",
              "/* Fixed-width types from the compiler, so no libc or sysroot is needed. */",
              "typedef __UINT8_TYPE__ uint8_t;", "typedef __UINT32_TYPE__ uint32_t;",
              "typedef __INT32_TYPE__ int32_t;", "typedef __UINT64_TYPE__ uint64_t;", "",
              f"#define ISPC_ABI_VERSION {spec.abi_version}", "",
              "/* Status codes: the only thing a status-returning host function returns. */"]
    for code in spec.status_codes:
        lines.append(f"#define ISPC_{code.name} {code.value} /* {code.meaning} */")
    lines += ["", "#define ISPC_IMPORT(module, name) "
              "__attribute__((import_module(module), import_name(name)))", ""]
    for module in spec.modules:
        lines += [f"/* ==== import module \"{module.import_module}\": {module.description} */", ""]
        for fn in module.functions:
            lines += _comment_lines(f"{fn.name}: {fn.doc}", "/* ", " * ")
            for param in fn.params:
                lines += _comment_lines(f"{param.name} ({param.kind}{_limit_text(param)}): "
                                        f"{param.doc}", " *   ", " *     ")
            lines += _comment_lines(_fn_facts(fn), " * ")
            lines[-1] += " */"
            params = [p for param in fn.params for p in _c_params(param)] or ["void"]
            lines += [f'ISPC_IMPORT("{fn.module}", "{fn.name}")',
                      f"{_C_RESULT[fn.result]} {c_name(fn)}({', '.join(params)});", ""]
    lines += [_c_helpers(), "#endif /* ISPC_H */", ""]
    return "\n".join(lines)


# ---------------------------------------------------------------------------- AssemblyScript

_AS_INPUT = {"u32": "u32", "u64": "u64", "bool": "u32"}
_AS_RESULT = {"status": "i32", "u64": "u64", "u32": "u32"}


def as_name(fn: Function) -> str:
    return c_name(fn)[len("ispc_"):]


def _as_params(param: Param) -> list[str]:
    n = param.name
    if param.kind in ("bytes", "out_fill"):
        return [f"{n}_ptr: usize", f"{n}_len: u32"]
    if param.kind == "fixed":
        return [f"{n}: usize"]
    if param.kind == "out_fixed":
        return [f"{n}_out: usize"]
    if param.kind == "out_bytes":
        return [f"{n}_ptr: usize", f"{n}_cap: u32", f"{n}_len: usize"]
    if param.kind in ("out_u32", "out_u64"):
        return [f"{n}_out: usize"]
    return [f"{n}: {_AS_INPUT[param.kind]}"]


_AS_ABORT = """\
// AssemblyScript's runtime imports env.abort, which no HostABI provider offers (the host rejects
// the module naming it). Compile with `asc ... --use abort=<path to this file>/ispc_abort` so an
// abort (failed assertion, bad allocation) traps instead.
export function ispc_abort(message: usize, fileName: usize, line: u32, column: u32): void {
  unreachable();
}
"""


def render_assemblyscript(spec: AbiSpec) -> str:
    lines = [f"// ispc.ts: ISPC HostABI v{spec.abi_version} declarations for AssemblyScript (asc).",
             f"// {GENERATED}", "//"]
    lines += ["// " + line if line else "//" for line in CONVENTION.splitlines()]
    lines += ["// Pointers are usize offsets into linear memory (e.g. changetype<usize>(buffer)).", "",
              f"export const ABI_VERSION: u32 = {spec.abi_version};", ""]
    for code in spec.status_codes:
        lines.append(f"export const STATUS_{code.name}: i32 = {code.value}; // {code.meaning}")
    lines += ["", _AS_ABORT]
    for module in spec.modules:
        lines += [f"// ==== import module \"{module.import_module}\": {module.description}", ""]
        for fn in module.functions:
            lines += _comment_lines(f"{fn.name}: {fn.doc}", "// ")
            for param in fn.params:
                lines += _comment_lines(f"{param.name} ({param.kind}{_limit_text(param)}): "
                                        f"{param.doc}", "//   ", "//     ")
            lines += _comment_lines(_fn_facts(fn), "// ")
            params = ", ".join(p for param in fn.params for p in _as_params(param))
            lines += ["// @ts-ignore: decorator", f'@external("{fn.module}", "{fn.name}")',
                      f"export declare function {as_name(fn)}({params}): {_AS_RESULT[fn.result]};",
                      ""]
    return "\n".join(lines)


# ------------------------------------------------------------------------------ reference page

def _md_params(fn: Function) -> list[str]:
    if not fn.params:
        return ["No parameters."]
    rows = ["| parameter | kind | wasm | notes |", "|---|---|---|---|"]
    for p in fn.params:
        extra = f" Size {p.size} bytes." if p.size else ""
        extra += f" Max {p.max_len} bytes." if p.max_len else ""
        rows.append(f"| `{p.name}` | {p.kind} | {', '.join(p.wasm_types)} | {p.doc}.{extra} |")
    return rows


def render_reference(spec: AbiSpec) -> str:
    lines = [f"# HostABI v{spec.abi_version} reference", "", f"<!-- {GENERATED} -->", "",
             spec.description, "", "## Calling convention", "", "```text", CONVENTION, "```", "",
             "SDKs: `sdk/c/ispc.h` (C, clang `--target=wasm32`) and `sdk/assemblyscript/ispc.ts`",
             "(AssemblyScript). C names are `ispc_<name>` (`ispc_crypto_<name>` for `ispc.crypto`,",
             "`ispc_state_<name>` for `ispc.state`); AssemblyScript names drop the `ispc_` prefix.",
             "How providers are selected and composed: [hostabi-providers.md](hostabi-providers.md).",
             "",
             "## Status codes", "", "| value | name | meaning |", "|---|---|---|"]
    lines += [f"| {c.value} | `{c.name}` | {c.meaning} |" for c in spec.status_codes]
    lines += ["", "## Aborts (typed errors, not statuses)", "", "| error | code | when |",
              "|---|---|---|"]
    lines += [f"| {a['error']} | `{a['code']}` | {a['when']} |" for a in spec.aborts]
    lines += ["", "## Parameter kinds", "", "| kind | meaning |", "|---|---|"]
    lines += [f"| {kind} | {text} |" for kind, text in spec.param_kinds.items()]
    for module in spec.modules:
        lines += ["", f"## Module `{module.import_module}`", "", module.description, "",
                  "| function | category | gas | per byte | wasm signature |", "|---|---|---|---|---|"]
        for fn in module.functions:
            sig = f"({', '.join(fn.wasm_params)}) -> {fn.wasm_results[0]}"
            lines.append(f"| [`{fn.name}`](#{module.import_module.replace('.', '')}-{fn.name}) | "
                         f"{fn.category} | {fn.gas} | {fn.gas_per_byte} | `{sig}` |")
        for fn in module.functions:
            lines += ["", f"### <a id=\"{module.import_module.replace('.', '')}-{fn.name}\"></a>"
                      f"`{module.import_module}.{fn.name}`", "", fn.doc, ""]
            lines += _md_params(fn)
            result = ("status: " + ", ".join(f"`{s}`" for s in fn.statuses)) if fn.statuses \
                else f"{fn.result} value (cannot fail)"
            lines += ["", f"Returns {result}. Category {fn.category}; gas {fn.gas} + "
                      f"{fn.gas_per_byte} per byte. Determinism: {fn.determinism}.",
                      f"C: `{c_name(fn)}`; AssemblyScript: `{as_name(fn)}`."]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------- driver

def render_all(spec: AbiSpec, root: Path = REPO_ROOT) -> dict[Path, str]:
    """Every artefact's path and its expected content."""
    return {
        root / "ispc_framework" / "_hostabi" / "_bindings_v1.py": render_bindings(spec),
        root / "sdk" / "c" / "ispc.h": render_c_header(spec),
        root / "sdk" / "assemblyscript" / "ispc.ts": render_assemblyscript(spec),
        root / "docs" / "hostabi.md": render_reference(spec),
    }


def stale_artefacts(spec_path: Path = SPEC_PATH, root: Path = REPO_ROOT) -> list[Path]:
    spec = load_spec(spec_path)
    return [path for path, text in render_all(spec, root).items()
            if not path.exists() or path.read_text(encoding="utf-8") != text]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ispc_framework._hostabi.generate",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if an artefact is out of date")
    parser.add_argument("--spec", type=Path, default=SPEC_PATH)
    parser.add_argument("--root", type=Path, default=REPO_ROOT)
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_artefacts(args.spec, args.root)
        for path in stale:
            print(f"stale: {path.relative_to(args.root)}", file=sys.stderr)
        if stale:
            print("run `python -m ispc_framework._hostabi.generate` and commit the result",
                  file=sys.stderr)
            return 1
        print("HostABI artefacts are in sync with", args.spec)
        return 0
    for path, text in render_all(load_spec(args.spec), args.root).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print("wrote", path.relative_to(args.root))
    return 0


if __name__ == "__main__":
    sys.exit(main())

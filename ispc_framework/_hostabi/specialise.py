"""One host function's handler as Python source, generated once from its spec entry.

What the spec promises for every call (normalise the wasm arguments, charge base gas, decode
parameters from guest memory with bounds and size checks, check every output range *before* the
implementation runs, write outputs, charge per-byte gas, append the trace record) is the same for
all functions, but the parameters differ. Interpreting the parameter list on every call cost more
than the implementation of most functions, so :func:`make_handler` writes each function's handler
out, unrolled for its parameters, with the constants (masks, caps, sizes, gas, the allowed
statuses, the record's fixed bytes) in the source, and compiles it once, when the provider binds
its functions (the technique of ``collections.namedtuple``, ``dataclasses`` and attrs).

Guest memory is read through one buffer per call: the engine's ``memory.buffer()`` (a memoryview
of exactly linear memory, valid during this call) when it has one, else :class:`.guest.ProtocolView`
over the ``GuestMemory`` protocol. Every range is checked with Python integers against the size
read once per call, so ``ptr + len`` cannot wrap and an access is refused identically on every
engine; outputs go to guest memory in one write each, after the implementation returned.

The generated handlers behave exactly as the interpreted wrapper they replace (its statuses,
errors, gas and trace records; the golden conformance data pins it). :func:`handler_source`
returns the source, for reading and for tests.
"""

from __future__ import annotations

import functools
from typing import Any

from .._encoding import _H16, _H32, _H64, _head, encode, encode_host_call_part
from .._engines import MemoryAccessError
from .._errors import HostCallFailed, ISPCError, LimitExceeded
from .._model import MAX_U32, MAX_U64
from .guest import GuestError, guest_buffer
from .spec import LIMIT_PREFIX, Function, Param

__all__ = ["make_handler", "handler_source", "record_part", "ACCESS_KEY"]

#: ``env.extra`` key under which an implementation lists what it read and wrote that is not an
#: argument or output (e.g. the outpoints a transfer selected): [(kind, bytes)], appended to the
#: call's trace record result as a third element when present
ACCESS_KEY = "ispc.access"

_MASKS = {"i32": MAX_U32, "i64": MAX_U64}
_VALUE_KINDS = frozenset({"u32", "u64", "bool"})

# ----------------------------------------------------------------- the record's CBOR pieces
# A record's args are ``[wasm args, bytes read]`` and its outcome ``[value, bytes written]``
# (encode_host_call_part); built here from precomputed heads, tests pin the equality.

# The heads come from the encoder's own ``_head`` (one CBOR head writer in the project).
_uint = functools.partial(_head, 0)         # unsigned integer
_bytes_head = functools.partial(_head, 2)   # byte string of that length
_array_head = functools.partial(_head, 4)   # array of that many items


#: the heads of the unsigned integers and byte-string lengths below 256, made by ``_head``: a
#: record's arguments and blobs are mostly that small, and a table index is cheaper than a call
_SMALL_UINT = tuple(_uint(value) for value in range(256))
_SMALL_BYTES = tuple(_bytes_head(length) for length in range(256))
_SMALL_ARRAY = tuple(_array_head(length) for length in range(24))


def _blobs(blobs: list[bytes]) -> bytes:
    """The CBOR array of byte strings ``blobs`` (fewer than 24: one per parameter at most)."""
    if not blobs:
        return b"\x80"
    parts = [_SMALL_ARRAY[len(blobs)]]
    for blob in blobs:
        length = len(blob)
        parts.append(_SMALL_BYTES[length] if length < 256 else _bytes_head(length))
        parts.append(blob)
    return b"".join(parts)


def _inline_uint(name: str) -> str:
    """A Python expression of ``_uint(name)`` for an unsigned ``name`` below 2^64 (the masked
    wasm arguments), without a call for the usual values: ``_head``'s branches written out
    (tests compare the records with the encoder's)."""
    return (f"(SMALL_UINT[{name}] if {name} < 256 else H16(25, {name}) if {name} < 65536 "
            f"else H32(26, {name}) if {name} < 4294967296 else H64(27, {name}))")


def record_part(first: list[int] | int | None, blobs: list[bytes]) -> bytes:
    """``encode_host_call_part(first, blobs)`` for what a generated handler has (ints below 2^64,
    fewer than 24 of them and of the blobs); anything else goes to the general encoder."""
    if type(first) is list and len(first) < 24 and len(blobs) < 24:
        return b"".join([b"\x82", _array_head(len(first)), *map(_uint, first), _blobs(blobs)]) \
            if all(type(n) is int and 0 <= n <= MAX_U64 for n in first) \
            else encode_host_call_part(first, blobs)
    if first is None and len(blobs) < 24:
        return b"\x82\xf6" + _blobs(blobs)
    if type(first) is int and 0 <= first <= MAX_U64 and len(blobs) < 24:
        return b"\x82" + _uint(first) + _blobs(blobs)
    return encode_host_call_part(first, blobs)


# --------------------------------------------------------------------- slow-path helpers
# Raised from generated code; kept out of it so the handlers stay short.

def _plain_ints(values: tuple[Any, ...]) -> bool:
    for value in values:
        if type(value) is not int and (not isinstance(value, int) or isinstance(value, bool)):
            return False
    return True


def _over_limit(fn: Function, param: Param, length: int, cap: int) -> LimitExceeded:
    field = str(param.max_len)[len(LIMIT_PREFIX):]
    return LimitExceeded(
        f"{fn.qualified_name}: {param.name} of {length} bytes exceeds the cap of {cap} "
        f"({param.max_len})",
        code="return-too-large" if param.max_len == "limits.max_return_bytes"
        else "limit-exceeded", limit=field)


def _wrong_outputs(fn: Function, produced: Any, count: int) -> HostCallFailed:
    return HostCallFailed(f"{fn.qualified_name}: implementation returned {produced!r:.60}, "
                          f"expected {count} outputs")


def _wrong_size(fn: Function, param: Param, value: Any, expected: int) -> HostCallFailed:
    return HostCallFailed(f"{fn.qualified_name}: {param.name} is {len(value)} bytes, the spec "
                          f"says {expected}")


# ----------------------------------------------------------------------------- the source

class _Source:
    """Lines of Python with an indentation level."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 1

    def __call__(self, line: str) -> None:
        self.lines.append("    " * self.depth + line)


def handler_source(fn: Function, statuses: Any) -> tuple[str, dict[str, Any]]:
    """The handler of ``fn`` as source code and the globals it needs (``impl`` excepted)."""
    arity = len(fn.wasm_params)
    names = [f"a{i}" for i in range(arity)]
    returns_status = fn.result == "status"
    touches_memory = any(param.kind not in _VALUE_KINDS for param in fn.params)
    has_reads = any(param.kind in ("bytes", "fixed") for param in fn.params)
    outputs = [param for param in fn.params if param.kind.startswith("out_")]
    has_out_bytes = any(param.kind == "out_bytes" for param in fn.params)
    g: dict[str, Any] = {
        "FN": fn, "NAME": fn.qualified_name, "ACCESS_KEY": ACCESS_KEY, "GuestError": GuestError,
        "MemoryAccessError": MemoryAccessError, "ISPCError": ISPCError,
        "HostCallFailed": HostCallFailed, "encode": encode, "guest_buffer": guest_buffer,
        "plain_ints": _plain_ints, "over_limit": _over_limit, "wrong_outputs": _wrong_outputs,
        "wrong_size": _wrong_size, "uint": _uint, "blobs": _blobs, "record_part": record_part,
        "MAX_U64": MAX_U64, "STATUS_LIST": str(sorted(fn.statuses)),
        "SMALL_UINT": _SMALL_UINT, "H16": _H16.pack, "H32": _H32.pack, "H64": _H64.pack,
        "ALLOWED": frozenset(int(statuses[name]) for name in fn.statuses),
        "NO_ARGS": encode_host_call_part([], []),
        "ARGS_HEAD": b"\x82" + _array_head(arity) if arity < 24 else b"",
    }
    ok, out_of_bounds = int(statuses.OK), int(statuses.OUT_OF_BOUNDS)
    s = _Source()
    s.lines.append("def handler(env, *wasm_args):")
    s(f"if len(wasm_args) != {arity}:")
    s(f"    raise HostCallFailed(f'{{NAME}}: engine passed {{wasm_args!r:.80}}, expected "
      f"{arity} integers')")
    if arity:
        s(f"{', '.join(names)}, = wasm_args")
        s(f"if {' or '.join(f'type({a}) is not int' for a in names)}:")
        s("    if not plain_ints(wasm_args):")
        s(f"        raise HostCallFailed(f'{{NAME}}: engine passed {{wasm_args!r:.80}}, "
          f"expected {arity} integers')")
        # Engines differ in signedness; the ABI is defined on the unsigned bit patterns.
        for a, wasm_type in zip(names, fn.wasm_params):
            s(f"{a} &= {_MASKS[wasm_type]}")
    s("ctx = env.ctx")
    s("gas_before = ctx.gas_used")
    s(f"ctx.charge({fn.gas})")
    s("memory = env.memory")
    s("if memory is None:")
    s("    raise HostCallFailed(f'{NAME}: the engine bound no guest memory')")
    s("extra = env.extra")
    s("if extra:")
    s("    extra.pop(ACCESS_KEY, None)")
    s("value = None")
    if touches_memory:
        s("reads = []" if has_reads else "reads = ()")
        s("writes = []" if outputs else "writes = ()")
        s("moved = 0")
    s("try:")
    s.depth += 1
    inputs: list[str] = []
    slots: list[tuple[Param, tuple[str, ...]]] = []
    position = 0
    have_view = False

    def need_view() -> None:
        nonlocal have_view
        if not have_view:
            s("view = guest_buffer(memory)")
            s("size = len(view)")
            have_view = True

    pending_checks: list[str] = []   # consecutive range checks of outputs, tested together

    def flush_checks() -> None:
        if pending_checks:
            need_view()
            s(f"if {' or '.join(pending_checks)}:")
            s("    raise MemoryAccessError")
            pending_checks.clear()

    for index, param in enumerate(fn.params):
        args = names[position:position + len(param.wasm_types)]
        position += len(param.wasm_types)
        kind = param.kind
        g[f"P{index}"] = param
        if kind not in ("out_fixed", "out_u32", "out_u64", "out_bytes"):
            flush_checks()
        if kind in ("bytes", "out_fill"):
            ptr, length = args
            if isinstance(param.max_len, str) and param.max_len.startswith(LIMIT_PREFIX):
                s(f"cap = int(ctx.limits.{param.max_len[len(LIMIT_PREFIX):]})")
                s(f"if {length} > cap:")
                s(f"    raise over_limit(FN, P{index}, {length}, cap)")
            else:
                cap = int(param.max_len)
                s(f"if {length} > {cap}:")
                s(f"    raise GuestError({int(statuses.TOO_LARGE)}, f'{param.name}: "
                  f"{{{length}}} > {cap} bytes')")
            need_view()
            s(f"if {ptr} + {length} > size:")
            s("    raise MemoryAccessError")
            if kind == "bytes":
                value = f"v{index}"
                s(f"{value} = bytes(view[{ptr}:{ptr} + {length}]) if {length} else b''")
                s(f"moved += {length}")
                s(f"reads.append({value})")
                inputs.append(value)
            else:
                inputs.append(length)
                slots.append((param, (ptr, length)))
        elif kind == "fixed":
            [ptr] = args
            value = f"v{index}"
            need_view()
            s(f"if {ptr} + {param.size} > size:")
            s("    raise MemoryAccessError")
            s(f"{value} = bytes(view[{ptr}:{ptr} + {param.size}])")
            s(f"moved += {param.size}")
            s(f"reads.append({value})")
            inputs.append(value)
        elif kind in ("u32", "u64"):
            inputs.append(args[0])
        elif kind == "bool":
            s(f"if {args[0]} != 0 and {args[0]} != 1:")
            s(f"    raise GuestError({int(statuses.INVALID_ARGUMENT)}, "
              f"'{param.name} must be 0 or 1')")
            inputs.append(f"{args[0]} == 1")
        elif kind == "out_fixed":
            pending_checks.append(f"{args[0]} + {param.size} > size")
            slots.append((param, (args[0],)))
        elif kind == "out_u32":
            pending_checks.append(f"{args[0]} + 4 > size")
            slots.append((param, (args[0],)))
        elif kind == "out_u64":
            pending_checks.append(f"{args[0]} + 8 > size")
            slots.append((param, (args[0],)))
        elif kind == "out_bytes":
            ptr, cap_arg, len_ptr = args
            pending_checks.append(f"{len_ptr} + 4 > size")
            pending_checks.append(f"{ptr} + {cap_arg} > size")
            slots.append((param, (ptr, cap_arg, len_ptr)))
        else:  # the spec loader rejects unknown kinds
            raise HostCallFailed(f"{fn.qualified_name}: unknown parameter kind {kind!r}")
    flush_checks()
    s(f"produced = impl(env{''.join(', ' + i for i in inputs)})")
    if returns_status:
        count = len(slots)
        s(f"if not isinstance(produced, tuple) or len(produced) != {count}:")
        s(f"    raise wrong_outputs(FN, produced, {count})")
        outs = [f"o{i}" for i in range(count)]
        if count:
            s(f"{', '.join(outs)}, = produced")
        if has_out_bytes:
            small = [f"len({o}) > {slot[1]}" for o, (param, slot) in zip(outs, slots)
                     if param.kind == "out_bytes"]
            s(f"too_small = {' or '.join(small)}")

        def write(ptr: str, data: str, width: int = 0) -> None:
            """One write of ``data``; ``width``: its constant size, whose range was checked."""
            if width:
                s(f"view[{ptr}:{ptr} + {width}] = {data}")
                s(f"moved += {width}")
            else:
                s(f"if {ptr} + len({data}) > size:")
                s("    raise MemoryAccessError")
                s(f"if {data}:")
                s(f"    view[{ptr}:{ptr} + len({data})] = {data}")
                s(f"moved += len({data})")
            s(f"writes.append({data})")

        for out, (param, slot) in zip(outs, slots):
            if param.kind == "out_bytes":
                s(f"data = len({out}).to_bytes(4, 'little')")
                write(slot[2], "data", 4)
                s("if not too_small:")
                s.depth += 1
                s(f"data = bytes({out})")
                write(slot[0], "data")
                s.depth -= 1
                continue
            if has_out_bytes:
                s("if not too_small:")
                s.depth += 1
            width = 0
            if param.kind == "out_u32":
                s(f"data = int({out}).to_bytes(4, 'little')")
                width = 4
            elif param.kind == "out_u64":
                s(f"data = min(int({out}), MAX_U64).to_bytes(8, 'little')")
                width = 8
            else:
                expected = str(param.size) if param.kind == "out_fixed" else slot[1]
                index = fn.params.index(param)
                s(f"if len({out}) != {expected}:")
                s(f"    raise wrong_size(FN, P{index}, {out}, {expected})")
                s(f"data = bytes({out})")
            write(slot[0], "data", width)
            if has_out_bytes:
                s.depth -= 1
        if has_out_bytes:
            s(f"status = {int(statuses.BUFFER_TOO_SMALL)} if too_small else {ok}")
        else:
            s(f"status = {ok}")
    else:
        s(f"status, value = {ok}, produced")
    s.depth -= 1
    s("except GuestError as failure:")
    s("    status = failure.status")
    s("except MemoryAccessError:")
    s(f"    status = {out_of_bounds}")
    s("except ISPCError:")
    s("    raise  # a typed abort (gas, caps) or a HostCallFailed from above")
    s("except Exception as exc:  # a host bug must still end the run with a typed error")
    s("    raise HostCallFailed(f'{NAME}: {type(exc).__name__}: {exc}', function=NAME) "
      "from exc")
    if returns_status:
        s("if status not in ALLOWED:")
        s('    raise HostCallFailed(f"{NAME}: status {status} is not in the spec\'s list "')
        s('                         f"{STATUS_LIST}", function=NAME)')
    if touches_memory and fn.gas_per_byte:
        charge = "moved" if fn.gas_per_byte == 1 else f"{fn.gas_per_byte} * moved"
        s(f"gas_after = ctx.charge({charge}) if moved else ctx.gas_used")
    else:
        s("gas_after = ctx.gas_used")
    writes = "writes" if touches_memory else "[]"
    reads = "reads" if touches_memory else "[]"
    s("access = extra.pop(ACCESS_KEY, None) if extra else None")
    s("if access:")
    s(f"    outcome = encode([value, {writes}, access])")
    s("else:")
    if returns_status:
        s(f"    outcome = b'\\x82\\xf6' + blobs({writes})")
    elif not touches_memory:   # [value, []]: the usual value is a plain u64
        s(f"    outcome = b'\\x82' + {_inline_uint('value')} + b'\\x80' if type(value) is int "
          "and 0 <= value <= MAX_U64 else record_part(value, [])")
    else:
        s(f"    outcome = record_part(value, {writes})")
    if arity:
        args_part = f"b''.join((ARGS_HEAD, {', '.join(_inline_uint(a) for a in names)}, " \
                    f"blobs({reads})))"
    else:
        args_part = "NO_ARGS"
    s(f"ctx.record_call(NAME, {args_part}, outcome, status, gas_before, gas_after)")
    if returns_status:
        s("return status")
    else:
        bits = 64 if fn.wasm_results[0] == "i64" else 32
        # engines take wasm results as signed integers
        s(f"value = int(value) & {(1 << bits) - 1}")
        s(f"return value - {1 << bits} if value >= {1 << (bits - 1)} else value")
    return "\n".join(s.lines) + "\n", g


def make_handler(fn: Function, impl: Any, statuses: Any):
    """Compile the handler of ``fn`` calling ``impl``; ``statuses`` is the generated Status enum."""
    source, namespace = handler_source(fn, statuses)
    namespace["impl"] = impl
    filename = f"<ispc host function {fn.qualified_name}>"
    exec(compile(source, filename, "exec"), namespace)   # noqa: S102 - our own generated source
    handler = namespace["handler"]
    handler.__name__ = handler.__qualname__ = f"host_{fn.module.replace('.', '_')}_{fn.name}"
    handler.__doc__ = f"{fn.qualified_name}, generated by ispc_framework._hostabi.specialise"
    handler.source = source
    return handler

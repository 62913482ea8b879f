"""The interpreted host-call wrapper the generated handlers replaced (ispc_framework._hostabi
before specialise.py), kept as the oracle of test_hostabi_specialised.py: it walks the parameter
list on every call, so it states the calling convention plainly, and the generated handlers must
agree with it on every status, error, byte of guest memory, gas figure and trace record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ispc_framework._encoding import encode, encode_host_call_part
from ispc_framework._engines import GuestMemory, HostEnv, HostFunction, MemoryAccessError
from ispc_framework._errors import HostCallFailed, ISPCError, LimitExceeded
from ispc_framework._hostabi.binding import ACCESS_KEY
from ispc_framework._hostabi.guest import GuestError
from ispc_framework._hostabi.spec import LIMIT_PREFIX, Function, Param
from ispc_framework._model import MAX_U32, MAX_U64


class GuestIO:
    """Access to guest memory for one call, with accounting."""

    __slots__ = ("_memory", "_size", "bytes_read", "bytes_written", "reads", "writes")

    def __init__(self, memory: GuestMemory) -> None:
        self._memory = memory
        self._size = -1   # asked once per call: linear memory cannot change during a host call
        self.bytes_read = 0
        self.bytes_written = 0
        self.reads: list[bytes] = []
        self.writes: list[bytes] = []

    def check(self, ptr: int, length: int) -> None:
        """Raise MemoryAccessError unless [ptr, ptr + length) lies inside linear memory."""
        size = self._size
        if size < 0:
            size = self._size = self._memory.size()
        if ptr < 0 or length < 0 or ptr + length > size:
            raise MemoryAccessError(f"range [{ptr}, {ptr + length}) is outside memory of {size} bytes")

    def read(self, ptr: int, length: int) -> bytes:
        self.check(ptr, length)
        data = bytes(self._memory.read(ptr, length)) if length else b""
        if len(data) != length:
            raise MemoryAccessError(f"engine returned {len(data)} bytes for a read of {length}")
        self.bytes_read += length
        self.reads.append(data)
        return data

    def write(self, ptr: int, data: bytes) -> None:
        data = bytes(data)
        self.check(ptr, len(data))
        if data:
            self._memory.write(ptr, data)
        self.bytes_written += len(data)
        self.writes.append(data)

    def write_u32(self, ptr: int, value: int) -> None:
        self.write(ptr, int(value).to_bytes(4, "little"))


Impl = Callable[..., Any]
_MASKS = {"i32": MAX_U32, "i64": MAX_U64}


class _Call:
    """Decoded arguments of one call: implementation inputs and pending output slots."""

    __slots__ = ("inputs", "outputs")

    def __init__(self) -> None:
        self.inputs: list[Any] = []
        self.outputs: list[tuple[Param, tuple[int, ...]]] = []


_NO_CALL = _Call()   # a function without parameters: no inputs, no outputs (never mutated)
_VALUE_KINDS = frozenset({"u32", "u64", "bool"})
_OK = 0   # the spec's OK status (checked against the generated table when a module is bound)


class _NoMemory:
    """The GuestIO of a function none of whose parameters is a pointer: nothing read or written
    (shared, never mutated: such a function has no way to reach it)."""

    __slots__ = ()
    bytes_read = bytes_written = 0
    reads: tuple[bytes, ...] = ()
    writes: tuple[bytes, ...] = ()


_NO_IO: Any = _NoMemory()


def _plain_ints(values: tuple[Any, ...]) -> bool:
    for value in values:
        if type(value) is not int and (not isinstance(value, int) or isinstance(value, bool)):
            return False
    return True


def _max_len(param: Param, env: HostEnv) -> tuple[int, bool]:
    """The length cap of a parameter and whether exceeding it aborts (a run limit)."""
    if isinstance(param.max_len, str) and param.max_len.startswith(LIMIT_PREFIX):
        return int(getattr(env.ctx.limits, param.max_len[len(LIMIT_PREFIX):])), True
    return int(param.max_len), False


def _layout(fn: Function) -> tuple[tuple[Param, str, int, int], ...]:
    """(param, kind, first wasm argument, end) per parameter: worked out once per function."""
    layout, position = [], 0
    for param in fn.params:
        width = len(param.wasm_types)
        layout.append((param, param.kind, position, position + width))
        position += width
    return tuple(layout)


def _decode(fn: Function, layout: tuple[tuple[Param, str, int, int], ...], args: list[int],
            io: GuestIO, env: HostEnv, statuses: Any) -> _Call:
    call = _Call()
    for param, kind, start, end in layout:
        values = args[start:end]
        if kind in ("bytes", "out_fill"):
            ptr, length = values
            cap, is_limit = _max_len(param, env)
            if length > cap:
                if is_limit:
                    raise LimitExceeded(
                        f"{fn.qualified_name}: {param.name} of {length} bytes exceeds the cap of "
                        f"{cap} ({param.max_len})", code="return-too-large"
                        if param.max_len == "limits.max_return_bytes" else "limit-exceeded",
                        limit=str(param.max_len)[len(LIMIT_PREFIX):])
                raise GuestError(statuses.TOO_LARGE, f"{param.name}: {length} > {cap} bytes")
            if kind == "bytes":
                call.inputs.append(io.read(ptr, length))
            else:
                io.check(ptr, length)
                call.inputs.append(length)
                call.outputs.append((param, (ptr, length)))
        elif kind == "fixed":
            call.inputs.append(io.read(values[0], param.size))
        elif kind in ("u32", "u64"):
            call.inputs.append(values[0])
        elif kind == "bool":
            if values[0] not in (0, 1):
                raise GuestError(statuses.INVALID_ARGUMENT, f"{param.name} must be 0 or 1")
            call.inputs.append(values[0] == 1)
        elif kind == "out_fixed":
            io.check(values[0], param.size)
            call.outputs.append((param, tuple(values)))
        elif kind == "out_u32":
            io.check(values[0], 4)
            call.outputs.append((param, tuple(values)))
        elif kind == "out_u64":
            io.check(values[0], 8)
            call.outputs.append((param, tuple(values)))
        elif kind == "out_bytes":
            ptr, cap, len_ptr = values
            io.check(len_ptr, 4)
            io.check(ptr, cap)
            call.outputs.append((param, tuple(values)))
        else:  # the spec loader rejects unknown kinds; reaching here is a host bug
            raise HostCallFailed(f"{fn.qualified_name}: unknown parameter kind {kind!r}")
    return call


def _write_outputs(fn: Function, call: _Call, produced: Any, io: GuestIO, statuses: Any,
                   has_out_bytes: bool = True) -> int:
    if not isinstance(produced, tuple) or len(produced) != len(call.outputs):
        raise HostCallFailed(f"{fn.qualified_name}: implementation returned {produced!r:.60}, "
                             f"expected {len(call.outputs)} outputs")
    too_small = has_out_bytes and any(param.kind == "out_bytes" and len(value) > slot[1]
                                      for (param, slot), value in zip(call.outputs, produced))
    for (param, slot), value in zip(call.outputs, produced):
        if param.kind == "out_bytes":
            io.write_u32(slot[2], len(value))
            if not too_small:
                io.write(slot[0], value)
        elif too_small:
            continue
        elif param.kind == "out_u32":
            io.write_u32(slot[0], value)
        elif param.kind == "out_u64":
            io.write(slot[0], min(int(value), MAX_U64).to_bytes(8, "little"))
        else:
            expected = param.size if param.kind == "out_fixed" else slot[1]
            if len(value) != expected:
                raise HostCallFailed(f"{fn.qualified_name}: {param.name} is {len(value)} bytes, "
                                     f"the spec says {expected}")
            io.write(slot[0], value)
    return int(statuses.BUFFER_TOO_SMALL) if too_small else _OK


def bind(fn: Function, impl: Impl, statuses: Any) -> HostFunction:
    """The HostFunction for ``fn``; ``statuses`` is the generated Status enum.

    Everything that depends only on the spec is worked out here, once: the masks, the allowed
    statuses, the gas, whether the function has parameters to decode. The handler below is the
    per-call path; it allocates no model objects (the record goes straight into the trace)."""
    masks = tuple(_MASKS[t] for t in fn.wasm_params)
    arity = len(masks)
    # Plain ints on the per-call path: an IntEnum member hashes through a Python-level method.
    allowed = frozenset(int(statuses[name]) for name in fn.statuses)
    returns_status = fn.result == "status"
    result_type = fn.wasm_results[0]
    name = fn.qualified_name
    base_gas, per_byte = fn.gas, fn.gas_per_byte
    has_params = bool(fn.params)
    touches_memory = any(param.kind not in _VALUE_KINDS for param in fn.params)
    layout = _layout(fn)
    has_out_bytes = any(param.kind == "out_bytes" for param in fn.params)
    ok, out_of_bounds = int(statuses.OK), int(statuses.OUT_OF_BOUNDS)
    no_args = encode_host_call_part([], [])   # the record's args of a call without parameters
    bits = 64 if result_type == "i64" else 32
    full, top = 1 << bits, 1 << (bits - 1)    # engines take wasm results as signed integers

    def handler(env: HostEnv, *wasm_args: Any) -> int:
        if len(wasm_args) != arity or arity and not _plain_ints(wasm_args):
            raise HostCallFailed(f"{name}: engine passed {wasm_args!r:.80}, expected "
                                 f"{arity} integers")
        # Engines differ in signedness; the ABI is defined on the unsigned bit patterns.
        args = [a & mask for a, mask in zip(wasm_args, masks)] if arity else []
        ctx = env.ctx
        gas_before = ctx.gas_used
        ctx.charge(base_gas)
        memory = env.memory
        if memory is None:
            raise HostCallFailed(f"{name}: the engine bound no guest memory")
        io = GuestIO(memory) if touches_memory else _NO_IO
        value: Any = None
        extra = env.extra
        if extra:
            extra.pop(ACCESS_KEY, None)
        try:
            if has_params:
                call = _decode(fn, layout, args, io, env, statuses)
                produced = impl(env, *call.inputs)
            else:
                call, produced = _NO_CALL, impl(env)
            if returns_status:
                status = _write_outputs(fn, call, produced, io, statuses, has_out_bytes)
            else:
                status, value = ok, produced
        except GuestError as failure:
            status = failure.status
        except MemoryAccessError:
            status = out_of_bounds
        except ISPCError:
            raise  # a typed abort (gas, caps) or a HostCallFailed from above
        except Exception as exc:  # a host bug must still end the run with a typed error
            raise HostCallFailed(f"{name}: {type(exc).__name__}: {exc}", function=name) from exc
        if returns_status and status not in allowed:
            raise HostCallFailed(f"{name}: status {status} is not in the spec's list "
                                 f"{sorted(fn.statuses)}", function=name)
        moved = io.bytes_read + io.bytes_written
        gas_after = ctx.charge(per_byte * moved) if per_byte and moved else ctx.gas_used
        access = extra.pop(ACCESS_KEY, None) if extra else None
        if access:
            outcome = encode([value, io.writes, access])
        else:
            outcome = encode_host_call_part(value, io.writes)
        ctx.record_call(name, encode_host_call_part(args, io.reads) if arity else no_args,
                        outcome, status, gas_before, gas_after)
        if returns_status:
            return status
        value = int(value) & (full - 1)
        return value - full if value >= top else value

    handler.__name__ = f"host_{fn.module.replace('.', '_')}_{fn.name}"
    return HostFunction(fn.module, fn.name, fn.wasm_params, fn.wasm_results, fn.gas, handler)

"""circom's witness generator (a WebAssembly module) run in wasmtime, so proving needs no Node.

This is the witness-calculator protocol of circom 2's generated ``witness_calculator.js``: inputs
are set signal by signal through a shared read/write window of 32-bit words, addressed by the
FNV-1a hash of the signal name; a failed ``===`` or ``assert`` calls ``runtime.exceptionHandler``.
The output is a ``.wtns`` file (version 2), byte-identical to what snarkjs writes.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Mapping, Sequence
from typing import Any

from ispc_framework.plugins import WitnessError

__all__ = ["WitnessCalculator"]

_IMPORTED_IN = os.getpid()  # a different pid later: this is a forked child

_EXCEPTIONS = {
    1: "signal not found",
    2: "too many signals set",
    3: "signal already set",
    4: "assert failed",
    5: "not enough memory",
    6: "input signal array access exceeds the size",
    7: "out of bounds array access",
}


# A helper module instantiated next to the circuit, so a witness costs a few calls from Python
# instead of thousands through wasmtime-py's high-level API (~10 us each):
# - ``load`` sets every input value: Python writes all of them, with their signal hashes and
#   positions, in one memory write; the loop copies each 32-byte value into the shared window and
#   calls setInputSignal (one high-level call per 32-bit chunk made verify_result 70 ms);
# - ``dump`` calls getWitness(i) for every i and copies each 32-byte element out of the shared
#   window into one buffer (4,400 calls took ~0.15 s through wasmtime-py).
_HELPER_WAT = """
(module
  (import "circuit" "getWitness" (func $get (param i32)))
  (import "circuit" "setInputSignal" (func $set (param i32 i32 i32)))
  (import "circuit" "memory" (memory 1))
  (func $copy32 (param $dst i32) (param $src i32)
    (i64.store (local.get $dst) (i64.load (local.get $src)))
    (i64.store offset=8 (local.get $dst) (i64.load offset=8 (local.get $src)))
    (i64.store offset=16 (local.get $dst) (i64.load offset=16 (local.get $src)))
    (i64.store offset=24 (local.get $dst) (i64.load offset=24 (local.get $src))))
  ;; records of 48 bytes: msb i32, lsb i32, pos i32, unused i32, value (32 bytes, little-endian)
  (func (export "load") (param $n i32) (param $src i32) (param $window i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (call $copy32 (local.get $window) (i32.add (local.get $src) (i32.const 16)))
        (call $set (i32.load (local.get $src)) (i32.load offset=4 (local.get $src))
                   (i32.load offset=8 (local.get $src)))
        (local.set $src (i32.add (local.get $src) (i32.const 48)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next))))
  (func (export "dump") (param $n i32) (param $src i32) (param $dst i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (call $get (local.get $i))
        (call $copy32 (local.get $dst) (local.get $src))
        (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))))
"""
_RECORD = struct.Struct("<IIII32s")


class _CircuitAbort(Exception):
    """Raised inside the host callback to unwind the guest; converted to WitnessError outside."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def _fnv1a64(name: str) -> tuple[int, int]:
    value = 0xCBF29CE484222325
    for char in name:
        value ^= ord(char)
        value = (value * 0x100000001B3) % 2**64
    return value >> 32, value & 0xFFFFFFFF


def _flatten(value) -> list[int]:
    if isinstance(value, (list, tuple)):
        out: list[int] = []
        for item in value:
            out.extend(_flatten(item))
        return out
    return [int(value)]


class WitnessCalculator:
    """One compiled circuit's witness generator. Not thread-safe: one instance per worker."""

    def __init__(self, wasm_bytes: bytes) -> None:
        import wasmtime  # heavy import, only where witnesses are made

        from .module_cache import load_module

        config = wasmtime.Config()
        # Parallel compilation (1.25x faster on the 3.9 MB circuit) hangs forever in a process
        # forked after this one compiled in parallel: its threads do not survive fork(). It
        # does not change the compiled code, so cached modules stay valid either way.
        config.parallel_compilation = os.getpid() == _IMPORTED_IN
        self._engine = wasmtime.Engine(config)
        # Compiling the circuit takes seconds: the compiled module is cached on disk.
        self._module = load_module(self._engine, wasm_bytes)
        self._helper = wasmtime.Module(self._engine, bytes(wasmtime.wat2wasm(_HELPER_WAT)))
        self._wasmtime = wasmtime

    def _instantiate(self):
        wt = self._wasmtime
        store = wt.Store(self._engine)
        state: dict[str, Any] = {"errors": [], "instance": None}
        void = wt.FuncType([], [])

        def message() -> str:
            exports = state["instance"].exports(store)
            chars: list[str] = []
            while len(chars) < 4096:
                c = exports["getMessageChar"](store)
                if c == 0:
                    break
                chars.append(chr(c))
            return "".join(chars)

        def exception_handler(code: int) -> None:
            raise _CircuitAbort(code)

        def print_error() -> None:
            state["errors"].append(message())

        def drain() -> None:
            message()  # log() output of the circuit; not part of the protocol

        imports = {
            "exceptionHandler": wt.Func(store, wt.FuncType([wt.ValType.i32()], []),
                                        exception_handler),
            "printErrorMessage": wt.Func(store, void, print_error),
            "writeBufferMessage": wt.Func(store, void, drain),
            "showSharedRWMemory": wt.Func(store, void, lambda: None),
        }
        order = [str(imp.name) for imp in self._module.imports]
        instance = wt.Instance(store, self._module, [imports[name] for name in order])
        state["instance"] = instance
        exports = instance.exports(store)
        helper = wt.Instance(store, self._helper, [exports["getWitness"],
                                                   exports["setInputSignal"], exports["memory"]])
        state["helper"] = helper.exports(store)
        return store, exports, state

    def wtns(self, inputs: Mapping[str, int | Sequence]) -> bytes:
        """Compute the witness for ``inputs`` (signal name -> int or nested list of ints)."""
        store, ex, state = self._instantiate()
        try:
            return self._run(store, ex, state["helper"], inputs)
        except self._wasmtime.Trap as trap:
            cause = trap.__cause__ or trap.__context__
            code = cause.code if isinstance(cause, _CircuitAbort) else None
            detail = "; ".join(m for m in state["errors"] if m) or str(trap).splitlines()[0]
            reason = _EXCEPTIONS.get(code, "trap") if code is not None else "trap"
            raise WitnessError(f"witness generation failed: {reason} ({detail})",
                               code="witness-unsatisfied", circuit_error=reason) from None
        except _CircuitAbort as abort:
            reason = _EXCEPTIONS.get(abort.code, "unknown")
            raise WitnessError(f"witness generation failed: {reason}",
                               code="witness-unsatisfied", circuit_error=reason) from None

    def _run(self, store, ex, helper, inputs: Mapping) -> bytes:
        n32 = ex["getFieldNumLen32"](store)
        n8 = n32 * 4
        memory = ex["memory"]
        window = ex["getSharedRWMemoryStart"](store)
        ex["getRawPrime"](store)  # the prime, into the shared window as n32 words
        prime = int.from_bytes(memory.read(store, window, window + n8), "little")
        ex["init"](store, 1)  # sanity checks on: a bad input fails loudly

        records: list[tuple[int, int, int, int]] = []  # (name msb, lsb, position, value)
        for name, value in inputs.items():
            msb, lsb = _fnv1a64(name)
            size = ex["getInputSignalSize"](store, msb, lsb)
            values = _flatten(value)
            if size < 0:
                raise WitnessError(f"input signal {name!r} is not in the circuit",
                                   code="witness-input", signal=name)
            if len(values) != size:
                raise WitnessError(f"input signal {name!r} needs {size} values, got {len(values)}",
                                   code="witness-input", signal=name)
            # circom's normalisation: negatives wrap into the field
            records.extend((msb, lsb, pos, item % prime) for pos, item in enumerate(values))
        expected = ex["getInputSize"](store)
        if len(records) < expected:
            raise WitnessError(f"only {len(records)} of {expected} input values were given",
                               code="witness-input")

        if n32 == 8:  # BN254: every input in one memory write, set by the helper's loop
            buffer = b"".join(_RECORD.pack(msb, lsb, pos, 0, item.to_bytes(32, "little"))
                              for msb, lsb, pos, item in records)
            base = self._scratch(store, memory, len(buffer))
            memory.write(store, buffer, base)
            helper["load"](store, len(records), base, window)
        else:  # another field: one call per 32-bit word, as witness_calculator.js does
            for msb, lsb, pos, item in records:
                for j in range(n32):
                    ex["writeSharedRWMemory"](store, j, (item >> (32 * j)) & 0xFFFFFFFF)
                ex["setInputSignal"](store, msb, lsb, pos)

        size = ex["getWitnessSize"](store)
        out = bytearray(b"wtns")
        out += struct.pack("<II", 2, 2)  # version 2, two sections
        out += struct.pack("<IQ", 1, 8 + n8) + struct.pack("<I", n8)
        out += prime.to_bytes(n8, "little") + struct.pack("<I", size)
        out += struct.pack("<IQ", 2, n8 * size)
        # getWitness(i) copies element i into the shared window (n32 little-endian words); the
        # dump helper does that for all i into fresh pages past the circuit's memory.
        if n32 == 8:
            base = self._scratch(store, memory, n8 * size)
            helper["dump"](store, size, window, base)
            out += memory.read(store, base, base + n8 * size)
        else:  # not BN254: one call per element
            for i in range(size):
                ex["getWitness"](store, i)
                out += memory.read(store, window, window + n8)
        return bytes(out)

    @staticmethod
    def _scratch(store, memory, length: int) -> int:
        """Fresh pages past the circuit's memory (the circuit never grows its memory itself)."""
        base = memory.data_len(store)
        memory.grow(store, (length + 65535) // 65536)
        return base

    @staticmethod
    def signals(wtns: bytes, stop: int | None = None) -> list[int]:
        """Decode the witness values of a ``.wtns`` file (index 0 is the constant 1), all of
        them or the first ``stop`` (the public signals follow the constant: decoding all 4,400
        to read four cost ~5 ms)."""
        n8 = struct.unpack_from("<I", wtns, 24)[0]
        size = struct.unpack_from("<I", wtns, 28 + n8)[0]
        start = 28 + n8 + 4 + 12
        count = size if stop is None else min(stop, size)
        return [int.from_bytes(wtns[start + i * n8:start + (i + 1) * n8], "little")
                for i in range(count)]

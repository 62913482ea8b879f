"""The hot path of a contract call: one host call, one trace record, one coordinator transfer.

Every figure comes with its baseline measured in the same process, in alternating slices (the
machine is shared; load hits both sides alike), and the ratio between them:

* host call: the cost of one ``ispc.v1`` call through the wasmtime engine (``block_height``, no
  memory; ``caller``, a 32-byte write into guest memory; ``utxo_exists``, a 37-byte read and a
  chain lookup; ``tx_add_asset_output``, a token transfer's asset output: 109 bytes read, a
  token and a lock list decoded, the output appended to the draft), as (a run with N calls -
  the same run with none) / N, against raw wasmtime-py on the same module: through a
  ctypes-level unchecked callback that returns a constant (the FFI floor) and through
  ``Linker.define_func`` (the high-level API);
* trace: appending one call record and hashing the trace, against one SHA-256 of the record's
  bytes;
* transfer: one token transfer through the coordinator (signed transaction, in-memory
  repository, no proof, no sink), against the raw floor of one wasmtime instantiate and call.

    .venv/bin/python -m benchmarks.host_path [--quick] [--json]

``run(quick)`` returns the figures for ``python -m benchmarks`` (benchmarks/_harness.py);
``measure(quick)`` the plain numbers. Needs the example contracts (bash
examples/contracts/build.sh) for the transfer.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import statistics
import struct
import sys
import time
from pathlib import Path
from typing import Any, Callable

import wasmtime
from wasmtime import _ffi as ffi

ROOT = Path(__file__).resolve().parents[1]
TOKEN = ROOT / "examples" / "contracts" / "build" / "token_c.wasm"


#: the canonical encoding of OutPoint(bytes(32), 0), placed at 1024 (an outpoint not on the chain)
OUTPOINT = "\\83\\01\\58\\20" + "\\00" * 33


def _wat_bytes(data: bytes) -> str:
    return "".join(f"\\{byte:02x}" for byte in data)


#: the arguments of tx_add_asset_output at 2048: an owner, a FungibleToken of the 32-byte
#: contract 0x11.. and its class "TOK", the owner's own key lock (what the token contract passes)
ASSET_DATA = "(data (i32.const 2048) \"" + _wat_bytes(
    b"\x22" * 32                                                   # owner at 2048
    + b"\x83\x15\x58\x20" + b"\x11" * 32 + b"\x43TOK"               # token at 2080, 40 bytes
    + b"\x81\x82\x0a\x58\x20" + b"\x22" * 32) + "\")"               # locks at 2120, 37 bytes


def host_calls_module(import_name: str, params: str, args: str, calls: int,
                      data: str = "") -> bytes:
    """A ``run`` export calling ``ispc.v1.<import_name>`` ``calls`` times (result dropped);
    ``data``: more data segments (the call's arguments)."""
    return bytes(wasmtime.wat2wasm(rf'''
(module
  (import "ispc.v1" "{import_name}" (func $h {params}))
  (memory (export "memory") 1)
  (data (i32.const 1024) "{OUTPOINT}")
  {data}
  (func (export "run") (result i32)
    (local $i i32)
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (i32.const {calls})))
      (drop (call $h {args}))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (i32.const 0)))'''))


#: CPU time of this thread: on a machine shared by many processes, wall time mostly measures the
#: others (everything measured here runs on the calling thread, wasmtime's guest code included)
clock = time.thread_time


def samples_of(fns: dict[str, Callable[[], Any]], rounds: int,
               number: int = 1) -> dict[str, list[float]]:
    """CPU seconds per call of each function, one sample per round, slices alternating (the
    order rotating each round)."""
    names = list(fns)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            fn = fns[name]
            start = clock()
            for _ in range(number):
                fn()
            samples[name].append((clock() - start) / number)
    return samples


def alternate(fns: dict[str, Callable[[], Any]], rounds: int, number: int = 1) -> dict[str, float]:
    """Median CPU seconds per call of each function, sampled in alternating slices."""
    return {name: statistics.median(values)
            for name, values in samples_of(fns, rounds, number).items()}


# ------------------------------------------------------------------------------ raw wasmtime

_RAW_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_size_t, ctypes.c_void_p, ctypes.c_void_p,
                                 ctypes.POINTER(ctypes.c_uint64), ctypes.c_size_t)
_NULL_FINALIZER = ctypes.cast(0, ctypes.CFUNCTYPE(None, ctypes.c_void_p))


@_RAW_CALLBACK
def _floor_callback(env, caller, values, count):
    values[0] = 7   # the result slot: what a host function must at least do
    return 0


class RawWasmtime:
    """The module on plain wasmtime-py, one Store per run: ``unchecked`` links the import to a
    ctypes-level unchecked callback returning a constant, otherwise ``Linker.define_func``."""

    def __init__(self, code: bytes, import_name: str, wasm_type: wasmtime.FuncType,
                 unchecked: bool) -> None:
        self.engine = wasmtime.Engine()
        self.module = wasmtime.Module(self.engine, code)
        linker = wasmtime.Linker(self.engine)
        if unchecked:
            module, name = b"ispc.v1", import_name.encode()
            error = ffi.wasmtime_linker_define_func_unchecked(
                linker.ptr(), ctypes.create_string_buffer(module), len(module),
                ctypes.create_string_buffer(name), len(name), wasm_type.ptr(),
                ctypes.cast(_floor_callback, ffi.wasmtime_func_unchecked_callback_t), None,
                _NULL_FINALIZER)
            assert not error
        else:
            linker.define_func("ispc.v1", import_name, wasm_type,
                               lambda *args: 7)
        self.pre = linker.instantiate_pre(self.module)

    def call(self) -> int:
        store = wasmtime.Store(self.engine)
        instance = self.pre.instantiate(store)
        return instance.exports(store)["run"](store)


# ------------------------------------------------------------------------------ the figures

_I32, _I64 = wasmtime.ValType.i32, wasmtime.ValType.i64
#: name -> (wat params, wat call arguments, wasm type, needs a chain with the coin)
HOST_CALLS = {
    "block_height": ("(result i64)", "", lambda: wasmtime.FuncType([], [_I64()])),
    "caller": ("(param i32) (result i32)", "(i32.const 64)",
               lambda: wasmtime.FuncType([_I32()], [_I32()])),
    "utxo_exists": ("(param i32 i32) (result i32)", "(i32.const 1024) (i32.const 37)",
                    lambda: wasmtime.FuncType([_I32(), _I32()], [_I32()])),
    # the heaviest body of a token transfer: two decodes, three models, a draft append
    "tx_add_asset_output": (
        "(param i32 i64 i32 i32 i32 i32 i32) (result i32)",
        "(i32.const 2048) (i64.const 200) (i32.const 2080) (i32.const 40) (i32.const 2120) "
        "(i32.const 37) (i32.const 2160)",
        lambda: wasmtime.FuncType([_I32(), _I64(), _I32(), _I32(), _I32(), _I32(), _I32()],
                                  [_I32()])),
}
#: more data segments of a call's module
HOST_CALL_DATA = {"tx_add_asset_output": ASSET_DATA}


def host_call_figures(quick: bool) -> dict[str, dict[str, float]]:
    from ispc_framework._hostabi.v1 import V1Provider
    from ispc_framework._limits import ExecutionLimits
    from ispc_framework._repository import MemoryRepository
    from ispc_framework.testing import run_direct
    from ispc_wasmtime.engine import WasmtimeEngine

    functions = V1Provider().host_functions()
    repo = MemoryRepository()
    repo.create_genesis("bench", 1, [])
    view = repo.view()
    limits = ExecutionLimits(fuel=10 ** 12, max_trace_records=10 ** 7, max_trace_bytes=2 ** 40,
                             max_outputs=10 ** 7, max_draft_bytes=2 ** 40)
    engine = WasmtimeEngine()
    calls = 2_000 if quick else 20_000
    rounds = 3 if quick else 9
    out = {}
    for name, (params, args, wasm_type) in HOST_CALLS.items():
        data = HOST_CALL_DATA.get(name, "")
        many = host_calls_module(name, params, args, calls, data)
        none = host_calls_module(name, params, args, 0, data)
        floor = RawWasmtime(many, name, wasm_type(), True), RawWasmtime(none, name, wasm_type(),
                                                                        True)
        high = RawWasmtime(many, name, wasm_type(), False), RawWasmtime(none, name, wasm_type(),
                                                                        False)
        ours = engine.compile(many, functions), engine.compile(none, functions)

        def ispc(compiled):
            def call():
                result = run_direct(engine, compiled, "run", functions, limits=limits,
                                    view=view, pins=view.head())
                assert result.ok, result.error
                assert name != "tx_add_asset_output" or len(result.draft.outputs) in (0, calls)
            return call

        t = alternate({"floor": floor[0].call, "floor0": floor[1].call,
                       "define_func": high[0].call, "define_func0": high[1].call,
                       "ispc": ispc(ours[0]), "ispc0": ispc(ours[1])}, rounds)
        per = {key: (t[key] - t[key + "0"]) / calls * 1e6
               for key in ("floor", "define_func", "ispc")}
        out[name] = {"ispc_us": per["ispc"], "ffi_floor_us": per["floor"],
                     "define_func_us": per["define_func"],
                     "ratio_to_floor": per["ispc"] / per["floor"],
                     "ratio_to_define_func": per["ispc"] / per["define_func"]}
    engine.close()
    return out


def trace_figures(quick: bool) -> dict[str, float]:
    from ispc_framework._limits import ExecutionLimits
    from ispc_framework._trace import ExecutionTrace

    limits = ExecutionLimits(max_trace_records=10 ** 8, max_trace_bytes=2 ** 40)
    args, result = bytes.fromhex("8282190400182481582400") + bytes(35), bytes.fromhex("82f580")
    number = 2_000 if quick else 20_000
    record = b"\x01" * (len(args) + len(result) + 40)

    def append():
        trace = ExecutionTrace(b"header", limits)
        for _ in range(number):
            trace.append("call", "ispc.v1.utxo_exists", args, result, 0, 300, 336)
        return trace.root

    def sha256():
        for _ in range(number):
            hashlib.sha256(record).digest()

    t = alternate({"append": append, "sha256": sha256}, 3 if quick else 9)
    return {"record_us": t["append"] / number * 1e6, "sha256_us": t["sha256"] / number * 1e6,
            "ratio": t["append"] / t["sha256"]}


def transfer_figures(quick: bool) -> dict[str, float] | None:
    if not TOKEN.is_file():
        return None
    from ispc_framework import (Coordinator, ExecutionRequest, MemoryRepository, ResourceCategory,
                                ResourceOutput, SealedDraft, TxOutput, load_config)
    from ispc_framework._hostabi.v1 import V1Provider
    from ispc_framework._signing import devnet_key
    from ispc_framework._transaction import sign_request
    from ispc_framework.testing import run_direct
    from ispc_wasmtime.engine import WasmtimeEngine

    alice = devnet_key("alice")
    code = TOKEN.read_bytes()
    repo = MemoryRepository()
    repo.create_genesis("bench", 1, [])
    address = repo.store_resource(code)
    repo.apply(SealedDraft((), (TxOutput(alice.public_key, resource=ResourceOutput(
        address, ResourceCategory.CONTRACT, "application/wasm", len(code), "token")),), ()))
    engine = WasmtimeEngine()
    v1 = V1Provider().host_functions()
    view = repo.view()
    minted = run_direct(engine, engine.compile(code, v1), "mint", v1, code_hash=address,
                        input=struct.pack("<Q", 10 ** 6), caller=alice.public_key,
                        pins=view.head(), view=view)
    assert minted.ok, minted.error
    [coin] = repo.apply(minted.draft).created
    engine.close()
    config = load_config(overrides={"trace.sinks": "[]"}, search_cwd=False, environ={})
    coordinator = Coordinator(config, repository=repo)
    data = b"\x22" * 32 + struct.pack("<Q", 1) + b"\x01" + coin.tx_id + struct.pack("<I",
                                                                                  coin.index)
    chain_id = repo.view().head().chain_id
    tx = sign_request(ExecutionRequest(address, "transfer", data), [alice], chain_id=chain_id,
                      genesis_hash=repo.view().block_hash(0), valid_until=2 ** 40, spends=[coin])

    def transfer():
        coordinator.execute(tx, prove=False)

    floor = RawWasmtime(host_calls_module("block_height", *HOST_CALLS["block_height"][:2], 0),
                        "block_height", HOST_CALLS["block_height"][2](), True)
    number = 20 if quick else 100
    t = alternate({"transfer": transfer, "floor": floor.call}, 3 if quick else 9, number)
    coordinator.close()
    return {"transfer_us": t["transfer"] * 1e6, "transfers_per_s": 1 / t["transfer"],
            "raw_run_us": t["floor"] * 1e6, "ratio_to_raw_run": t["transfer"] / t["floor"]}


def measure(quick: bool = False) -> dict[str, Any]:
    """All figures of this benchmark (times in microseconds, medians, with their baselines)."""
    return {"host_call": host_call_figures(quick), "trace": trace_figures(quick),
            "transfer": transfer_figures(quick)}


def run(quick: bool) -> dict:
    """The figures in the form of ``python -m benchmarks`` (benchmarks/_harness.py)."""
    from benchmarks._harness import figure

    measured = measure(quick)
    figures = []
    for name, f in measured["host_call"].items():
        target = ("<=", 3.0) if name == "block_height" else None
        figures.append(figure(f"ispc.v1 {name} host call (wasmtime, CPU time)",
                              f["ispc_us"], "us", baseline=(
                                  "raw wasmtime-py unchecked ctypes callback (FFI floor)",
                                  f["ffi_floor_us"]), target=target))
        figures.append(figure(f"ispc.v1 {name} host call vs Linker.define_func", f["ispc_us"],
                              "us", baseline=("raw wasmtime-py Linker.define_func",
                                              f["define_func_us"])))
    t = measured["trace"]
    figures.append(figure("trace record append + root", t["record_us"], "us",
                          baseline=("one SHA-256 of the record's bytes", t["sha256_us"])))
    notes = ["CPU time of the measuring thread (time.thread_time), medians over alternating "
             "slices; a host call is (run with N calls - run with none) / N"]
    tr = measured["transfer"]
    if tr is None:
        notes.append("transfer skipped: run bash examples/contracts/build.sh")
    else:
        figures.append(figure("coordinator token transfer (in memory, signed, unproven)",
                              tr["transfer_us"], "us", baseline=(
                                  "one raw wasmtime instantiate + call", tr["raw_run_us"])))
    return {"figures": figures, "notes": notes}


def _table(figures: dict[str, Any]) -> str:
    lines = [f"{'host call':<20}{'ispc us':>9}{'FFI floor':>11}{'define_func':>13}"
             f"{'x floor':>9}{'x define_func':>15}"]
    for name, f in figures["host_call"].items():
        lines.append(f"{name:<20}{f['ispc_us']:>9.2f}{f['ffi_floor_us']:>11.2f}"
                     f"{f['define_func_us']:>13.2f}{f['ratio_to_floor']:>9.1f}"
                     f"{f['ratio_to_define_func']:>15.2f}")
    t = figures["trace"]
    lines.append(f"trace record + hash {t['record_us']:.2f} us, one SHA-256 of it "
                 f"{t['sha256_us']:.2f} us: {t['ratio']:.1f}x")
    tr = figures["transfer"]
    if tr:
        lines.append(f"coordinator transfer {tr['transfer_us']:.0f} us ({tr['transfers_per_s']:.0f}"
                     f"/s), raw wasmtime run {tr['raw_run_us']:.1f} us: "
                     f"{tr['ratio_to_raw_run']:.0f}x")
    return "\n".join(lines)


if __name__ == "__main__":
    result = measure("--quick" in sys.argv)
    print(json.dumps(result, indent=2) if "--json" in sys.argv else _table(result))

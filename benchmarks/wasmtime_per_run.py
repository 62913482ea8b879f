"""What wasmtime's pooling allocator does to one run: pooled (the plugin's default) against on
demand (``[plugin.wasmtime] pool_slots = 0``), CPU time of the measuring thread (kernel time
included: the on-demand allocator's cost is mostly mmap/munmap), medians over alternating
slices, at three depths:

* raw: one instantiate + call of the example token's ``mint`` on plain wasmtime-py (Store,
  InstancePre, exported function), its imports linked to a ctypes-level unchecked callback that
  returns 0, from an engine with the plugin's configuration, with and without the pool;
* engine: one ``WasmtimeEngine.execute`` of a module whose ``run`` makes no host call (through
  ``run_direct``: context, trace and seal included);
* transfer: one signed token transfer through the coordinator (host_path's, in memory).

    .venv/bin/python -m benchmarks.wasmtime_per_run [--quick]

``run(quick)`` returns the figures for ``python -m benchmarks`` (benchmarks/_harness.py).
Needs the example contracts (bash examples/contracts/build.sh).
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

import wasmtime
from wasmtime import _ffi as ffi

from benchmarks.host_path import (_NULL_FINALIZER, _RAW_CALLBACK, TOKEN, alternate,
                                  host_calls_module, token_transfer)


@_RAW_CALLBACK
def _zero(env, caller, values, count):
    values[0] = 0
    return 0


class RawToken:
    """The token on plain wasmtime-py, one Store per run, every import answering 0."""

    def __init__(self, pooled: bool) -> None:
        from ispc_wasmtime.config import build_config, build_pooling_config

        stack = 512 * 1024
        config = build_pooling_config(stack, 16) if pooled else build_config(stack)
        self.engine = wasmtime.Engine(config)
        self.module = wasmtime.Module(self.engine, TOKEN.read_bytes())
        linker = wasmtime.Linker(self.engine)
        for imp in self.module.imports:
            module, name = imp.module.encode(), imp.name.encode()
            assert not ffi.wasmtime_linker_define_func_unchecked(
                linker.ptr(), ctypes.create_string_buffer(module), len(module),
                ctypes.create_string_buffer(name), len(name), imp.type.ptr(),
                ctypes.cast(_zero, ffi.wasmtime_func_unchecked_callback_t), None, _NULL_FINALIZER)
        self.pre = linker.instantiate_pre(self.module)

    def call(self) -> None:
        store = wasmtime.Store(self.engine)
        store.set_fuel(10 ** 7)
        store.set_epoch_deadline(1000)
        instance = self.pre.instantiate(store)
        instance.exports(store)["mint"](store)


def measure(quick: bool = False) -> dict[str, Any]:
    from ispc_framework._hostabi.v1 import V1Provider
    from ispc_framework.testing import run_direct
    from ispc_wasmtime.engine import WasmtimeEngine

    repeats, number = (3, 200) if quick else (9, 1000)
    raw = alternate({"pooled": RawToken(True).call, "on_demand": RawToken(False).call},
                    repeats, number)

    functions = V1Provider().host_functions()
    code = host_calls_module("block_height", "(result i64)", "", 0)
    engines = {"pooled": WasmtimeEngine(), "on_demand": WasmtimeEngine(pool_slots=0)}

    def execute(engine):
        compiled = engine.compile(code, functions)

        def call():
            result = run_direct(engine, compiled, "run", functions)
            assert result.ok, result.error
        return call

    engine = alternate({name: execute(e) for name, e in engines.items()}, repeats, number)
    for e in engines.values():
        e.close()

    out = {"raw": raw, "engine": engine}
    if TOKEN.is_file():
        transfers = {"pooled": token_transfer(),
                     "on_demand": token_transfer({"plugin.wasmtime.pool_slots": 0})}
        out["transfer"] = alternate({name: t[0] for name, t in transfers.items()}, repeats,
                                    number // 10)
        for _, coordinator in transfers.values():
            coordinator.close()
    return {depth: {name: seconds * 1e6 for name, seconds in t.items()}
            for depth, t in out.items()}


_NAMES = {"raw": "raw wasmtime-py instantiate + call of the token's mint",
          "engine": "WasmtimeEngine run without host calls (run_direct)",
          "transfer": "coordinator token transfer (in memory, signed, unproven)"}


def run(quick: bool) -> dict:
    from benchmarks._harness import Skip, figure

    if not TOKEN.is_file():
        raise Skip("the example contracts are not built: bash examples/contracts/build.sh")
    figures = [figure(f"{_NAMES[depth]}, pooled", t["pooled"], "us",
                      baseline=("the same on demand (pool_slots = 0)", t["on_demand"]))
               for depth, t in measure(quick).items()]
    return {"figures": figures, "notes": ["CPU time (time.thread_time), medians over alternating "
                                          "slices"]}


if __name__ == "__main__":
    for depth, t in measure("--quick" in sys.argv).items():
        print(f"{_NAMES[depth]:<60} pooled {t['pooled']:8.2f} us  on demand "
              f"{t['on_demand']:8.2f} us  ratio {t['pooled'] / t['on_demand']:.2f}")

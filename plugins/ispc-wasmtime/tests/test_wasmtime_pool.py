"""The pooling allocator (config.build_pooling_config): a run's result does not depend on it.

A reused pool slot starts from the module's initial memory; more runs at once than the pool
holds fall back to on demand and all succeed alike; the pool does not change compiled code (so
the cache keys need not name it); a forked child still runs; a capped address space gets no
pool instead of an aborted process; and the setting is validated."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import wasmtime

from ispc_framework.plugins import ConfigError, ExecutionLimits, HostFunction
from ispc_framework.testing import run_direct
from ispc_wasmtime import engine as engine_module
from ispc_wasmtime.config import build_config, build_pooling_config
from ispc_wasmtime.engine import WasmtimeEngine

TOKEN = Path(__file__).resolve().parents[3] / "examples" / "contracts" / "build" / "token_c.wasm"

# Four pages: 100 lies in the part of a slot kept resident (memset), 200000 beyond it
# (decommitted); 16 holds a data segment; "dirty" also grows memory by one page.
MEMORY = wasmtime.wat2wasm(r'''
(module
  (memory (export "memory") 4)
  (data (i32.const 16) "abcd")
  (func (export "dirty") (result i32)
    (i32.store (i32.const 100) (i32.const 0x11111111))
    (i32.store (i32.const 200000) (i32.const 0x22222222))
    (i32.store (i32.const 16) (i32.const 0x33333333))
    (drop (memory.grow (i32.const 1)))
    (i32.const 0))
  (func (export "check") (result i32)
    ;; 0 when memory is exactly the module's initial memory, else which part is not
    (if (i32.load (i32.const 100)) (then (return (i32.const 1))))
    (if (i32.load (i32.const 200000)) (then (return (i32.const 2))))
    (if (i32.ne (i32.load (i32.const 16)) (i32.const 0x64636261)) (then (return (i32.const 3))))
    (if (i32.ne (memory.size) (i32.const 4)) (then (return (i32.const 4))))
    (i32.const 0)))''')

WAIT = wasmtime.wat2wasm(r'''
(module
  (import "env" "wait" (func $wait (result i32)))
  (memory (export "memory") 1)
  (func (export "run") (result i32)
    (i32.store (i32.const 64) (i32.const 7))
    ;; status 0 when the host answered 1 and memory kept the 7 written before the wait
    (i32.sub (i32.add (call $wait) (i32.load (i32.const 64))) (i32.const 8))))''')


def test_a_reused_slot_starts_from_the_initial_memory():
    engine = WasmtimeEngine(pool_slots=1)   # one slot: every run reuses it
    compiled = engine.compile(MEMORY, ())
    for _ in range(3):
        assert run_direct(engine, compiled, "check", ()).status == 0
        assert run_direct(engine, compiled, "dirty", ()).ok
    assert run_direct(engine, compiled, "check", ()).status == 0
    assert engine._slot(engine.default_stack_bytes).pool is not None
    engine.close()


def test_more_runs_at_once_than_pool_slots_fall_back_and_agree(monkeypatch):
    """Six runs inside wasm at once (each waits in a host call for all the others) on a pool of
    two: four instantiate on demand, and every run's result is the same."""
    runs = 6
    barrier = threading.Barrier(runs, timeout=60)

    def wait(env):
        barrier.wait()
        return 1

    fallbacks = []
    discard = engine_module._discard
    monkeypatch.setattr(engine_module, "_discard", lambda *a: (fallbacks.append(1), discard(*a)))
    host = (HostFunction("env", "wait", (), ("i32",), 5, wait),)
    engine = WasmtimeEngine(pool_slots=2)
    compiled = engine.compile(WAIT, host)
    results: list = []

    def worker():
        results.append(run_direct(engine, compiled, "run", host))

    threads = [threading.Thread(target=worker) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(results) == runs and len(fallbacks) == runs - 2
    assert {(r.status, r.fuel_used, r.gas_used, r.trace_root) for r in results} == {
        (results[0].status, results[0].fuel_used, results[0].gas_used, results[0].trace_root)}
    assert results[0].ok and results[0].fuel_used > 0 and results[0].trace_root
    barrier.reset()
    engine.close()


def test_limits_are_exact_on_both_allocators():
    """Fuel used, the memory cap (grow refused one page past it) and a trace root are the
    same whether the run instantiated from the pool or on demand."""
    grow = wasmtime.wat2wasm(r'''
    (module (memory (export "memory") 2)
      (func (export "run") (result i32)
        (block $done (loop $l
          (br_if $done (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
          (br $l)))
        ;; status 0: grown to exactly 5 pages, the cap refusing the sixth
        (i32.sub (memory.size) (i32.const 5))))''')
    limits = ExecutionLimits(memory_bytes=5 * 65536 + 100)
    outcomes = set()
    for slots in (16, 0):
        engine = WasmtimeEngine(pool_slots=slots)
        result = run_direct(engine, engine.compile(grow, ()), "run", (), limits=limits)
        outcomes.add((result.status, result.fuel_used, result.trace_root))
        engine.close()
    [(status, fuel_used, trace_root)] = outcomes
    assert status == 0 and fuel_used > 0 and trace_root


def test_the_pool_does_not_change_compiled_code():
    """A module serialized by a pooling engine is byte for byte the on-demand one: the
    allocator need not be part of settings_digest or the cache key."""
    code = TOKEN.read_bytes() if TOKEN.is_file() else MEMORY
    for module in (code, MEMORY):
        pooled = wasmtime.Module(wasmtime.Engine(build_pooling_config(512 * 1024, 2)), module)
        on_demand = wasmtime.Module(wasmtime.Engine(build_config(512 * 1024)), module)
        assert pooled.serialize() == on_demand.serialize()


_PARENT: list = []   # the parent's engine, inherited by the forked child (it cannot be pickled)


def _run_in_child() -> list:
    out = []
    for e in (_PARENT[0], WasmtimeEngine()):   # the inherited pool and a new one
        compiled = e.compile(MEMORY, ())
        out += [run_direct(e, compiled, "dirty", ()).ok, run_direct(e, compiled, "check", ()).status]
    return out


def test_a_forked_child_runs_on_its_parents_pool_and_its_own():
    parent = WasmtimeEngine()
    compiled = parent.compile(MEMORY, ())
    assert run_direct(parent, compiled, "dirty", ()).ok   # the parent holds a warm slot
    _PARENT[:] = [parent]
    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.apply_async(_run_in_child).get(timeout=120) == [True, 0, True, 0]
    _PARENT.clear()
    assert run_direct(parent, compiled, "check", ()).status == 0
    parent.close()


def test_a_capped_address_space_gets_no_pool_and_still_runs():
    """wasmtime aborts the process when a pool cannot be reserved: under ulimit -v the engine
    runs on demand instead."""
    script = ("import resource, wasmtime; "
              "resource.setrlimit(resource.RLIMIT_AS, (24 << 30, 24 << 30)); "
              "from ispc_framework.testing import run_direct; "
              "from ispc_wasmtime.engine import WasmtimeEngine; e = WasmtimeEngine(); "
              f"c = e.compile({MEMORY!r}, ()); r = run_direct(e, c, 'check', ()); "
              "print(r.status, e._slot(e.default_stack_bytes).pool)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["0", "None"]


@pytest.mark.parametrize("slots", [-1, 1025])
def test_pool_slots_out_of_range_is_a_config_error(slots):
    with pytest.raises(ConfigError) as info:
        WasmtimeEngine(pool_slots=slots)
    assert info.value.details["key"] == "pool_slots"

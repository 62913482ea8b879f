"""Executing on ispc-wasmtime: host binding, limits, typed failures, isolation between runs."""

from __future__ import annotations

import threading

import pytest
import wasmtime

from ispc_framework.plugins import HostFunction, MemoryAccessError
from ispc_framework.plugins import (HostCallFailed, LimitExceeded, MemoryLimitExceeded,
                                   ModuleRejected, OutOfGas, StackExhausted, Timeout, Trap)
from ispc_framework.plugins import ExecutionLimits
from ispc_framework.testing import run_direct
from ispc_wasmtime.engine import WasmtimeEngine


def h_put(env, ptr, length):
    """Copy guest bytes into the return data; status 3 on a bad range (like HostABI v1)."""
    env.ctx.charge(10 + length)
    try:
        env.ctx.set_return_data(env.memory.read(ptr, length))
    except MemoryAccessError:
        return 3
    return 0


def h_input(env, ptr):
    data = env.ctx.request.input
    try:
        env.memory.write(ptr, data)
    except MemoryAccessError:
        return 0xFFFFFFFF
    return len(data)


def h_echo64(env, value):
    return value


def h_fail(env, kind):
    if kind == 1:
        raise OutOfGas("host says out of gas")
    if kind == 2:
        raise RuntimeError("host bug")
    if kind == 3:
        return "not an int"
    return 0


HOST = (HostFunction("env", "put", ("i32", "i32"), ("i32",), 10, h_put),
        HostFunction("env", "input", ("i32",), ("i32",), 10, h_input),
        HostFunction("env", "echo64", ("i64",), ("i64",), 1, h_echo64),
        HostFunction("env", "fail", ("i32",), ("i32",), 1, h_fail))

CONTRACT = wasmtime.wat2wasm(r'''
(module
  (import "env" "put" (func $put (param i32 i32) (result i32)))
  (import "env" "input" (func $input (param i32) (result i32)))
  (import "env" "echo64" (func $echo64 (param i64) (result i64)))
  (import "env" "fail" (func $fail (param i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello")
  (func (export "hello") (result i32) (call $put (i32.const 16) (i32.const 5)))
  (func (export "echo") (result i32)
    (local $n i32)
    (local.set $n (call $input (i32.const 1024)))
    (call $put (i32.const 1024) (local.get $n)))
  (func (export "echo64") (result i32)
    ;; -1 as i64 reaches the host as 2^64-1 and comes back unchanged
    (i64.store (i32.const 64) (call $echo64 (i64.const -1)))
    (call $put (i32.const 64) (i32.const 8)))
  (func (export "oob") (result i32) (call $put (i32.const 65534) (i32.const 5)))
  (func (export "status7") (result i32) (i32.const 7))
  (func (export "spin") (result i32) (loop $l (br $l)) (i32.const 0))
  (func $rec (export "recurse") (result i32) (i32.add (call $rec) (i32.const 1)))
  (func (export "trap") (result i32) unreachable)
  (func (export "divzero") (result i32) (i32.div_u (i32.const 1) (i32.const 0)))
  (func (export "bomb") (result i32)
    (block $done (loop $l
      (br_if $done (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
      (br $l)))
    unreachable)
  (func (export "nan") (result i32)
    ;; a NaN with a non-canonical payload, through arithmetic: canonicalised to 0x7fc00000
    (i32.store (i32.const 32)
      (i32.reinterpret_f32 (f32.add (f32.reinterpret_i32 (i32.const 0x7fa00001))
                                    (f32.const 1))))
    (call $put (i32.const 32) (i32.const 4)))
  (func (export "host_oog") (result i32) (call $fail (i32.const 1)))
  (func (export "host_bug") (result i32) (call $fail (i32.const 2)))
  (func (export "host_badresult") (result i32) (call $fail (i32.const 3)))
  (func (export "big_return") (result i32) (call $put (i32.const 0) (i32.const 65536)))
  (func (export "wrong_sig") (param i32) (result i32) (i32.const 0))
  (func (export "grow_between_calls") (result i32)
    ;; the host reads base and size again on each call: the second page exists only after the
    ;; grow, and the end of that page is still the end
    (drop (call $put (i32.const 16) (i32.const 5)))
    (drop (memory.grow (i32.const 1)))
    (i32.store (i32.const 65600) (i32.const 0x21646c6f))
    (if (i32.ne (call $put (i32.const 131070) (i32.const 5)) (i32.const 3)) (then unreachable))
    (call $put (i32.const 65600) (i32.const 4)))
  (func (export "grow_then_trap") (result i32)
    ;; 10 of 16 pages under a 1 MiB cap: a grow would still succeed, so this is just a trap
    (drop (memory.grow (i32.const 9))) unreachable)
)''')


@pytest.fixture(scope="module", params=[16, 0], ids=["pooled", "on-demand"])
def engine(request):
    """Every test runs on both allocators: the pool (the default) and on demand."""
    engine = WasmtimeEngine(pool_slots=request.param)
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def compiled(engine):
    return engine.compile(CONTRACT, HOST)


def run(engine, compiled, method, **kw):
    return run_direct(engine, compiled, method, HOST, **kw)


def failed(result, error_type, code=None):
    assert isinstance(result.error, error_type), result.error
    assert result.draft is None and result.trace_root is None and result.return_data == b""
    if code:
        assert result.error.code == code
    assert result.error.hint
    return result.error


def test_host_call_and_return_data(engine, compiled):
    result = run(engine, compiled, "hello")
    assert result.ok and result.return_data == b"hello"
    assert result.gas_used == 15 and result.fuel_used > 0


def test_input_round_trip(engine, compiled):
    assert run(engine, compiled, "echo", input=b"abc\x00xyz").return_data == b"abc\x00xyz"


def test_i64_values_are_unsigned_on_the_host_side(engine, compiled):
    assert run(engine, compiled, "echo64").return_data == b"\xff" * 8


def test_out_of_range_pointer_is_a_status_not_a_crash(engine, compiled):
    result = run(engine, compiled, "oob")
    failed(result, Exception, "contract-failed")
    assert result.status == 3


def test_memory_grown_between_host_calls_is_seen_by_the_next_call(engine, compiled):
    result = run(engine, compiled, "grow_between_calls")
    assert result.ok, result.error
    assert result.return_data == b"old!"


def test_nonzero_status(engine, compiled):
    assert run(engine, compiled, "status7").status == 7


def test_runs_are_deterministic(engine, compiled):
    first, second = (run(engine, compiled, "echo", input=b"x" * 100) for _ in range(2))
    assert first == second and first.trace_root is not None


def test_infinite_loop_runs_out_of_gas(engine, compiled):
    result = run(engine, compiled, "spin", limits=ExecutionLimits(fuel=100_000))
    err = failed(result, OutOfGas, "out-of-gas")
    assert err.details["fuel_used"] == 100_000


def test_huge_fuel_is_clamped_not_wrapped(engine, compiled):
    """A budget beyond u64 is clamped to 2^64-1 (not negative, not wrapped); fuel still counts."""
    result = run(engine, compiled, "hello", limits=ExecutionLimits(fuel=2 ** 70))
    assert result.ok and 0 < result.fuel_used < 100


def test_unbounded_recursion_exhausts_the_stack(engine, compiled):
    result = run(engine, compiled, "recurse", limits=ExecutionLimits(stack_bytes=64 * 1024))
    failed(result, StackExhausted, "stack-exhausted")


def test_unreachable_and_division_traps(engine, compiled):
    err = failed(run(engine, compiled, "trap"), Trap, "trap")
    assert err.details["trap_code"] == "unreachable"
    err = failed(run(engine, compiled, "divzero"), Trap, "trap")
    assert err.details["trap_code"] == "integer-division-by-zero"


def test_memory_grow_bomb_hits_the_memory_limit(engine, compiled):
    result = run(engine, compiled, "bomb", limits=ExecutionLimits(memory_bytes=1 << 20))
    failed(result, MemoryLimitExceeded, "memory-limit")


def test_initial_memory_above_the_cap(engine):
    code = wasmtime.wat2wasm('(module (memory (export "memory") 32) '
                             '(func (export "run") (result i32) i32.const 0))')
    compiled = engine.compile(code, HOST)
    result = run(engine, compiled, "run", limits=ExecutionLimits(memory_bytes=1 << 20))
    failed(result, MemoryLimitExceeded, "memory-limit")


def test_huge_table_is_refused(engine):
    code = wasmtime.wat2wasm('(module (memory (export "memory") 1) (table 10000000 funcref) '
                             '(func (export "run") (result i32) i32.const 0))')
    compiled = engine.compile(code, HOST)
    err = failed(run(engine, compiled, "run"), MemoryLimitExceeded, "table-limit")
    assert "memory_mb" not in err.hint and "65536" in err.hint


def test_trap_below_the_memory_cap_is_a_trap(engine, compiled):
    """Only a guest that could not grow by one more page is reported as at the memory limit."""
    result = run(engine, compiled, "grow_then_trap", limits=ExecutionLimits(memory_bytes=1 << 20))
    err = failed(result, Trap, "trap")
    assert err.details["trap_code"] == "unreachable"


def test_trap_message_names_the_trap_not_the_backtrace_header(engine, compiled):
    err = failed(run(engine, compiled, "divzero"), Trap, "trap")
    assert err.message == "the guest trapped: integer divide by zero"
    err = failed(run(engine, compiled, "trap"), Trap, "trap")
    assert "backtrace" not in err.message and "unreachable" in err.message


# ---- limits.fuel is ONE budget: wasm fuel plus host gas --------------------------------------

def h_charge(env, amount):
    env.ctx.charge(amount)
    return 0


GAS_HOST = (HostFunction("env", "charge", ("i32",), ("i32",), 1, h_charge),)
GAS_CONTRACT = wasmtime.wat2wasm(r'''(module
  (import "env" "charge" (func $charge (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "run") (result i32) (local $i i32)
    (loop $burn (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $burn (i32.lt_u (local.get $i) (i32.const 20000))))
    (local.set $i (i32.const 0))
    (loop $host (drop (call $charge (i32.const 50000)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $host (i32.lt_u (local.get $i) (i32.const 10))))
    (i32.const 0)))''')


def test_fuel_budget_covers_wasm_fuel_and_host_gas_together(engine):
    compiled = engine.compile(GAS_CONTRACT, GAS_HOST)
    free = run_direct(engine, compiled, "run", GAS_HOST, limits=ExecutionLimits(fuel=10 ** 9))
    assert free.ok and free.gas_used == 500_000
    wasm = free.fuel_used
    assert 0 < wasm < 500_000          # engine fuel alone: the host gas is not in it
    total = wasm + free.gas_used
    exact = run_direct(engine, compiled, "run", GAS_HOST, limits=ExecutionLimits(fuel=total))
    assert exact.ok and (exact.fuel_used, exact.gas_used) == (wasm, 500_000)
    # wasmtime checks fuel at loop heads and calls, so the few instructions after the last
    # check may overdraw the budget (reported fuel is then clamped): never past the budget.
    tail = run_direct(engine, compiled, "run", GAS_HOST, limits=ExecutionLimits(fuel=total - 1))
    assert not tail.ok or tail.fuel_used + tail.gas_used <= total - 1
    # Each ledger alone fits a budget of max(wasm, host) + 1; together they do not.
    for budget in (total - 100, max(wasm, free.gas_used) + 1):
        short = run_direct(engine, compiled, "run", GAS_HOST, limits=ExecutionLimits(fuel=budget))
        failed(short, OutOfGas, "out-of-gas")


SMALL_CHARGE = wasmtime.wat2wasm(r'''(module
  (import "env" "charge" (func $charge (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "run") (result i32) (call $charge (i32.const 500))))''')


def test_host_gas_not_yet_taken_from_fuel_still_counts_against_the_budget(engine):
    """Host gas below the engine's sync step is not taken out of the store's fuel at once; a run
    whose wasm fuel plus that gas exceed the budget is still OutOfGas (not a result, and not the
    coordinator's gas-over-budget verdict on the engine)."""
    compiled = engine.compile(SMALL_CHARGE, GAS_HOST)
    free = run_direct(engine, compiled, "run", GAS_HOST, limits=ExecutionLimits(fuel=10 ** 9))
    assert free.ok and free.gas_used == 500
    total = free.fuel_used + free.gas_used
    assert run_direct(engine, compiled, "run", GAS_HOST, limits=ExecutionLimits(fuel=total)).ok
    short = run_direct(engine, compiled, "run", GAS_HOST, limits=ExecutionLimits(fuel=total - 1))
    failed(short, OutOfGas, "out-of-gas")


def test_host_gas_cannot_drive_store_fuel_negative(engine):
    """A host call costing more than the fuel left ends the run with OutOfGas; it never wraps
    the store's fuel round to 'unlimited'."""
    compiled = engine.compile(GAS_CONTRACT, GAS_HOST)
    result = run_direct(engine, compiled, "run", GAS_HOST, limits=ExecutionLimits(fuel=60_000))
    err = failed(result, OutOfGas, "out-of-gas")
    assert "budget of 60000" in err.message


def test_stack_limit_above_the_maximum_is_a_typed_error_not_a_crash():
    """wasmtime panics (aborting the process) when max_wasm_stack exceeds its async stack size;
    the engine refuses such a limit first. Run in a child so a regression cannot kill pytest."""
    import subprocess
    import sys

    script = (
        "import wasmtime\n"
        "from ispc_framework import ExecutionLimits\n"
        "from ispc_framework.testing import run_direct\n"
        "from ispc_wasmtime.engine import MAX_STACK_BYTES, WasmtimeEngine\n"
        "e = WasmtimeEngine()\n"
        "c = e.compile(wasmtime.wat2wasm('(module (memory (export \"memory\") 1) "
        "(func (export \"run\") (result i32) i32.const 0))'), ())\n"
        "ok = run_direct(e, c, 'run', (), limits=ExecutionLimits(stack_bytes=MAX_STACK_BYTES))\n"
        "assert ok.ok, ok.error\n"
        "r = run_direct(e, c, 'run', (), limits=ExecutionLimits(stack_bytes=4 << 20))\n"
        "print(type(r.error).__name__, r.error.code, r.error.field, "
        "str(MAX_STACK_BYTES) in r.error.hint)\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["ValidationError", "stack-limit-invalid", "limits.stack_bytes",
                                  "True"]


def test_wall_clock_watchdog(engine, compiled):
    result = run(engine, compiled, "spin",
                 limits=ExecutionLimits(fuel=2 ** 62, timeout_s=0.2))
    failed(result, Timeout, "timeout")


def test_nan_is_canonical(engine, compiled):
    assert run(engine, compiled, "nan").return_data == (0x7FC00000).to_bytes(4, "little")


def test_host_ispc_error_passes_through(engine, compiled):
    err = failed(run(engine, compiled, "host_oog"), OutOfGas)
    assert err.message == "host says out of gas"


def test_host_bug_becomes_host_call_failed(engine, compiled):
    err = failed(run(engine, compiled, "host_bug"), HostCallFailed, "host-call-failed")
    assert "RuntimeError: host bug" in err.message
    failed(run(engine, compiled, "host_badresult"), HostCallFailed, "host-call-failed")


def test_return_data_cap_aborts(engine, compiled):
    failed(run(engine, compiled, "big_return", limits=ExecutionLimits(max_return_bytes=1024)),
           LimitExceeded, "return-too-large")


def test_method_checks(engine, compiled):
    err = failed(run(engine, compiled, "missing"), ModuleRejected, "method-not-found")
    assert "hello" in err.message
    failed(run(engine, compiled, "wrong_sig"), ModuleRejected, "method-signature")
    failed(run(engine, compiled, "memory"), ModuleRejected, "method-not-found")


def test_missing_host_function_at_execute(engine, compiled):
    result = run_direct(engine, compiled, "hello", HOST[1:])
    failed(result, ModuleRejected, "unknown-import")


def test_memory_is_unusable_after_the_run(engine, compiled):
    kept = []

    def grab(env, ptr, length):
        kept.append(env.memory)
        return 0

    host = (HostFunction("env", "put", ("i32", "i32"), ("i32",), 1, grab),) + HOST[1:]
    assert run_direct(engine, compiled, "hello", host).ok
    with pytest.raises(MemoryAccessError):
        kept[0].read(0, 4)


def test_each_run_gets_fresh_memory(engine):
    code = wasmtime.wat2wasm(r'''(module
      (import "env" "put" (func $put (param i32 i32) (result i32)))
      (memory (export "memory") 1)
      (func (export "run") (result i32)
        (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.const 1)))
        (call $put (i32.const 0) (i32.const 4))))''')
    compiled = engine.compile(code, HOST)
    for _ in range(3):
        assert run(engine, compiled, "run").return_data == b"\x01\0\0\0"


def test_concurrent_runs_keep_their_own_errors_and_results(engine, compiled):
    """Host errors are carried per store: threads never see each other's exceptions."""
    errors: list[str] = []

    def worker(n: int) -> None:
        for i in range(150):
            if (n + i) % 3 == 0:
                result = run(engine, compiled, "host_bug")
                if not isinstance(result.error, HostCallFailed):
                    errors.append(f"expected HostCallFailed, got {result.error!r}")
            elif (n + i) % 3 == 1:
                result = run(engine, compiled, "host_oog")
                if not (isinstance(result.error, OutOfGas)
                        and result.error.message == "host says out of gas"):
                    errors.append(f"expected host OutOfGas, got {result.error!r}")
            else:
                payload = f"{n}-{i}".encode()
                result = run(engine, compiled, "echo", input=payload)
                if result.return_data != payload:
                    errors.append(f"wrong return data {result.return_data!r}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    import wasmtime._func
    assert wasmtime._func.LAST_EXCEPTION is None    # the shared global was never used

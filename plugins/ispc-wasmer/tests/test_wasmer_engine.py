"""ispc-wasmer: runs on CPython 3.10; elsewhere it fails with EngineUnavailable naming the fix."""

from __future__ import annotations

import sys
import threading

import pytest
import wasmtime

from ispc_framework.plugins import HostFunction, MemoryAccessError
from ispc_framework.plugins import (EngineUnavailable, HostCallFailed, MemoryLimitExceeded,
                                   ModuleRejected, OutOfGas, StackExhausted, Trap)
from ispc_framework.plugins import ExecutionLimits
from ispc_wasmer.engine import MISSING_CAPABILITIES, WasmerEngine, load_wasmer
from ispc_framework.testing import run_direct


def _unavailable() -> str | None:
    try:
        load_wasmer()   # imports only: engines are built in fixtures, never at collection
    except EngineUnavailable as exc:
        return str(exc)
    return None


UNAVAILABLE = _unavailable()
needs_wasmer = pytest.mark.skipif(UNAVAILABLE is not None, reason=UNAVAILABLE or "")


@pytest.fixture(scope="module")
def engine():
    if UNAVAILABLE is not None:
        pytest.skip(UNAVAILABLE)
    built = WasmerEngine()
    yield built
    built.close()


@pytest.mark.skipif(sys.version_info < (3, 11), reason="checks the 3.11+ failure mode")
def test_unavailable_on_new_pythons_names_the_fix():
    with pytest.raises(EngineUnavailable) as info:
        WasmerEngine()
    err = info.value
    assert err.code == "engine-unavailable"
    assert "Python 3.10" in err.hint and "wasmer==1.1.0" in err.hint and "wasmtime" in err.hint


def test_plugin_registers_on_every_python():
    import ispc_wasmer.plugin as plugin
    from ispc_framework.plugins import load_factory

    [spec] = plugin.ispc_register_engines()
    assert spec.name == "wasmer" and spec.runtime == "wasm"
    assert not ({"metering", "memory-limit", "nan-canonicalization"} & spec.capabilities)
    assert load_factory(spec) is WasmerEngine


def h_put(env, ptr, length):
    env.ctx.charge(10 + length)
    try:
        env.ctx.set_return_data(env.memory.read(ptr, length))
    except MemoryAccessError:
        return 3
    return 0


def h_input(env, ptr):
    env.memory.write(ptr, env.ctx.request.input)
    return len(env.ctx.request.input)


def h_echo64(env, value):
    return value


def h_fail(env, kind):
    if kind == 1:
        raise OutOfGas("host says out of gas")
    raise RuntimeError("host bug")


HOST = (HostFunction("env", "put", ("i32", "i32"), ("i32",), 10, h_put),
        HostFunction("env", "input", ("i32",), ("i32",), 10, h_input),
        HostFunction("env", "echo64", ("i64",), ("i64",), 1, h_echo64),
        HostFunction("env", "fail", ("i32",), ("i32",), 1, h_fail))

CONTRACT = bytes(wasmtime.wat2wasm(r'''
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
    (i64.store (i32.const 64) (call $echo64 (i64.const -1)))
    (call $put (i32.const 64) (i32.const 8)))
  (func (export "oob") (result i32) (call $put (i32.const 65534) (i32.const 5)))
  (func $rec (export "recurse") (result i32) (i32.add (call $rec) (i32.const 1)))
  (func (export "trap") (result i32) unreachable)
  (func (export "grow") (result i32)
    (drop (memory.grow (i32.const 20))) (call $put (i32.const 16) (i32.const 5)))
  (func (export "host_oog") (result i32) (call $fail (i32.const 1)))
  (func (export "host_bug") (result i32) (call $fail (i32.const 2)))
)'''))


@pytest.fixture(scope="module")
def compiled(engine):
    return engine.compile(CONTRACT, HOST)


def run(engine, compiled, method, **kw):
    return run_direct(engine, compiled, method, HOST, **kw)


def failed(result, error_type, code):
    assert isinstance(result.error, error_type), result.error
    assert result.error.code == code and result.error.hint
    assert result.draft is None and result.return_data == b""
    return result.error


@needs_wasmer
def test_capabilities_declare_what_is_missing(engine):
    assert not (engine.capabilities() & MISSING_CAPABILITIES)
    assert {"metering", "memory-limit", "nan-canonicalization"} <= MISSING_CAPABILITIES
    assert engine.fingerprint() == "wasmer-1.1.0/cranelift/universal"


@needs_wasmer
def test_host_calls_input_and_unsigned_values(engine, compiled):
    assert run(engine, compiled, "hello").return_data == b"hello"
    assert run(engine, compiled, "echo", input=b"abc").return_data == b"abc"
    assert run(engine, compiled, "echo64").return_data == b"\xff" * 8


@needs_wasmer
def test_out_of_range_pointer_is_a_status(engine, compiled):
    result = run(engine, compiled, "oob")
    assert result.status == 3 and result.error.code == "contract-failed"


@needs_wasmer
def test_traps_are_typed(engine, compiled):
    assert failed(run(engine, compiled, "trap"), Trap, "trap").details["trap_code"] == "unreachable"
    failed(run(engine, compiled, "recurse"), StackExhausted, "stack-exhausted")


@needs_wasmer
def test_memory_above_the_cap_is_refused_after_the_run(engine, compiled):
    failed(run(engine, compiled, "grow", limits=ExecutionLimits(memory_bytes=1 << 20)),
           MemoryLimitExceeded, "memory-limit")
    assert run(engine, compiled, "grow").ok


@needs_wasmer
def test_host_errors(engine, compiled):
    assert failed(run(engine, compiled, "host_oog"), OutOfGas, "out-of-gas").message == \
        "host says out of gas"
    failed(run(engine, compiled, "host_bug"), HostCallFailed, "host-call-failed")


@needs_wasmer
def test_deploy_rules_match_wasmtime(engine):
    bad = {
        "start-function": '(memory (export "memory") 1) (func $s) (start $s)',
        "unknown-import": '(import "env" "nope" (func)) (memory (export "memory") 1)',
        "missing-memory": '(memory 1)',
        "invalid-module": '(memory (export "memory") 1) '
                          '(func (export "f") (result v128) v128.const i32x4 0 0 0 0)',
    }
    for code, body in bad.items():
        with pytest.raises(ModuleRejected) as info:
            engine.compile(bytes(wasmtime.wat2wasm(f"(module {body})")), HOST)
        assert info.value.code == code
    with pytest.raises(ModuleRejected) as info:
        engine.compile(b"\0asm\x01\0\0\0\x05", HOST)
    assert info.value.code == "malformed-module"


@needs_wasmer
def test_calls_from_many_threads_stay_on_the_worker(engine, compiled):
    """wasmer objects live on one thread; callers on any thread get their own results."""
    errors = []

    def worker(n):
        for i in range(50):
            payload = f"{n}:{i}".encode()
            result = run(engine, compiled, "echo", input=payload)
            if result.return_data != payload:
                errors.append(result)
            if i % 10 == 0 and not isinstance(run(engine, compiled, "host_bug").error, HostCallFailed):
                errors.append("host error lost")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


@needs_wasmer
def test_memory_is_unusable_after_the_run(engine, compiled):
    kept = []

    def grab(env, ptr, length):
        kept.append(env.memory)
        return 0

    host = (HostFunction("env", "put", ("i32", "i32"), ("i32",), 1, grab),) + HOST[1:]
    assert run_direct(engine, compiled, "hello", host).ok
    with pytest.raises(MemoryAccessError):
        kept[0].read(0, 4)


@needs_wasmer
@pytest.mark.parametrize("method", ["__hash__", "__init__", "__dir__", "__class__", "__sizeof__",
                                    "keys", "memory_"])
def test_methods_are_looked_up_among_exports_not_python_attributes(engine, method):
    """wasmer's Exports is a Python object: getattr would run __hash__ & co. instead of the
    guest's export of that name."""
    code = bytes(wasmtime.wat2wasm(f'''(module
      (import "env" "put" (func $put (param i32 i32) (result i32)))
      (memory (export "memory") 1) (data (i32.const 0) "guest ran")
      (func (export "{method}") (result i32) (call $put (i32.const 0) (i32.const 9))))'''))
    result = run(engine, engine.compile(code, HOST), method)
    assert result.ok and result.return_data == b"guest ran", result.error


@needs_wasmer
@pytest.mark.parametrize("body, code", [
    ("(global i32 (i32.add (i32.const 40) (i32.const 2)))", "extended-const"),
    ('(data (i32.add (i32.const 65530) (i32.const 10)) "abc")', "extended-const"),
    ("(table 1 funcref) (table 1 funcref)", "too-many-tables"),
    ('(import "env" "put" (func (param i32 i32) (result i32))) '
     '(import "env" "put" (func (param i32 i32) (result i32)))', "duplicate-import"),
])
def test_modules_wasmtime_rejects_are_rejected_the_same_way(engine, body, code):
    from ispc_wasmtime.engine import WasmtimeEngine

    module = bytes(wasmtime.wat2wasm(f'(module {body} (memory (export "memory") 1) '
                                     f'(func (export "run") (result i32) i32.const 0))'))
    for eng in (engine, WasmtimeEngine()):
        with pytest.raises(ModuleRejected) as info:
            eng.compile(module, HOST)
        assert info.value.code == code


@needs_wasmer
def test_huge_table_is_refused_like_on_wasmtime(engine):
    code = bytes(wasmtime.wat2wasm('(module (memory (export "memory") 1) '
                                   '(table 10000000 funcref) '
                                   '(func (export "run") (result i32) i32.const 0))'))
    err = failed(run(engine, engine.compile(code, HOST), "run"), MemoryLimitExceeded,
                 "table-limit")
    assert "memory_mb" not in err.hint

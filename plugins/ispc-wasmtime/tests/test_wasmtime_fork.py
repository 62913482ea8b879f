"""A process forked after its parent compiled must still compile (wasmtime's parallel
compilation threads do not survive fork(); the engine compiles serially), and a compile that
does not finish in time is a typed error."""

from __future__ import annotations

import multiprocessing

import pytest
import wasmtime

from ispc_framework.plugins import ExecutionError
from ispc_wasmtime.engine import WasmtimeEngine

FIRST, SECOND = (wasmtime.wat2wasm(f'(module (memory (export "memory") 1) '
                                   f'(func (export "run") (result i32) (i32.const {n})))')
                 for n in (1, 2))
# Thousands of functions: compiling takes milliseconds, not microseconds.
LARGE = wasmtime.wat2wasm('(module (memory (export "memory") 1) ' + " ".join(
    f"(func $f{i} (param i32) (result i32) (i32.mul (i32.add (local.get 0) (i32.const {i})) "
    f"(i32.const 3)))" for i in range(3000)) + ')')


def _compile_in_child(code: bytes) -> str:
    return WasmtimeEngine().compile(code, ()).code_hash


def test_a_forked_child_compiles_after_the_parent_did():
    parent = WasmtimeEngine()
    parent.compile(FIRST, ())  # the parent has compiled: the state that used to hang children
    with multiprocessing.get_context("fork").Pool(1) as pool:
        compiled = pool.apply_async(_compile_in_child, (SECOND,))
        assert len(compiled.get(timeout=120)) == 64  # hung forever with parallel compilation
    parent.close()


def test_parallel_compilation_is_off():
    from ispc_wasmtime.config import build_config

    config = build_config(512 * 1024)
    engine = wasmtime.Engine(config)  # the setting is write-only in wasmtime-py: prove it works
    wasmtime.Module(engine, FIRST)
    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert len(pool.apply_async(_compile_in_child, (SECOND,)).get(timeout=120)) == 64


def test_a_compile_past_its_deadline_is_compile_timeout():
    engine = WasmtimeEngine(compile_timeout_s=1e-6)
    with pytest.raises(ExecutionError) as info:
        engine.compile(LARGE, ())
    assert info.value.code == "compile-timeout" and info.value.details["seconds"] == 1e-6
    engine.close()
    assert WasmtimeEngine().compile(SECOND, ()).code_hash  # the default deadline is generous

"""Hostile contracts (examples/contracts/wat/hostile_*.wat): each ends in a typed error with a
stable code and a hint, nothing half-written (no draft, no trace root, no return data)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
import wasmtime

from ispc_framework._errors import (ContractFailed, DraftLimitExceeded, LimitExceeded,
                                   MemoryLimitExceeded, ModuleRejected, OutOfGas,
                                   StackExhausted, Timeout, Trap)
from ispc_framework._limits import ExecutionLimits
from ispc_framework._repository import MemoryRepository
from ispc_framework.testing import run_direct

WAT = Path(__file__).resolve().parents[2] / "examples" / "contracts" / "wat"


def fixture(name: str) -> bytes:
    return bytes(wasmtime.wat2wasm((WAT / f"{name}.wat").read_text()))


def run(engine, host_functions, name: str, limits: ExecutionLimits | None = None):
    repo = MemoryRepository()
    repo.create_genesis("ispc-devnet", 1, [])
    view = repo.view()
    revision = view.revision()
    compiled = engine.compile(fixture(name), host_functions)
    result = run_direct(engine, compiled, "run", host_functions, pins=view.head(), view=view,
                        limits=limits)
    assert view.revision() == revision
    return result


def typed_failure(result, error_type, code):
    err = result.error
    assert isinstance(err, error_type), repr(err)
    assert err.code == code and err.hint and f"[{code}]" in str(err)
    assert result.draft is None and result.trace_root is None and result.return_data == b""
    return err


def needs(engine, capability):
    if capability not in engine.capabilities():
        pytest.skip(f"{engine.name} has no {capability!r}: this hostile contract would not "
                    f"terminate there (declared absent, see docs/wasm.md)")


def test_infinite_loop_runs_out_of_gas(engine, host_functions):
    needs(engine, "metering")
    result = run(engine, host_functions, "hostile_infinite_loop", ExecutionLimits(fuel=200_000))
    typed_failure(result, OutOfGas, "out-of-gas")


def test_infinite_loop_with_huge_fuel_times_out(engine, host_functions):
    needs(engine, "timeout")
    result = run(engine, host_functions, "hostile_infinite_loop",
                 ExecutionLimits(fuel=10 ** 15, timeout_s=0.3))
    typed_failure(result, Timeout, "timeout")


def test_unbounded_recursion_exhausts_the_stack(engine, host_functions):
    result = run(engine, host_functions, "hostile_recursion")
    typed_failure(result, StackExhausted, "stack-exhausted")


def test_memory_grow_bomb(engine, host_functions):
    needs(engine, "memory-limit")
    result = run(engine, host_functions, "hostile_memory_bomb",
                 ExecutionLimits(memory_bytes=4 << 20))
    typed_failure(result, MemoryLimitExceeded, "memory-limit")


def test_out_of_range_pointers_get_a_status(engine, host_functions):
    result = run(engine, host_functions, "hostile_bad_pointer")
    typed_failure(result, ContractFailed, "contract-failed")
    assert result.status == 3      # OUT_OF_BOUNDS from the third call; the first two checked


def test_huge_return_data_aborts(engine, host_functions):
    result = run(engine, host_functions, "hostile_huge_return")
    typed_failure(result, LimitExceeded, "return-too-large")


def test_event_flood_hits_the_draft_cap(engine, host_functions):
    result = run(engine, host_functions, "hostile_event_flood", ExecutionLimits(max_events=64))
    err = typed_failure(result, DraftLimitExceeded, "draft-limit")
    assert err.details["limit"] == "max_events"


def test_trap_discards_earlier_effects(engine, host_functions):
    result = run(engine, host_functions, "hostile_unreachable")
    err = typed_failure(result, Trap, "trap")
    assert err.details["trap_code"] == "unreachable"


def test_unknown_import_is_rejected_at_deploy(engine, host_functions):
    with pytest.raises(ModuleRejected) as info:
        engine.compile(fixture("hostile_unknown_import"), host_functions)
    assert info.value.code == "unknown-import"
    assert "ispc.v1.mint_native_coins" in info.value.message


def test_start_function_is_rejected_at_deploy(engine, host_functions):
    with pytest.raises(ModuleRejected) as info:
        engine.compile(fixture("hostile_start"), host_functions)
    assert info.value.code == "start-function"


@pytest.mark.parametrize("cut", [1, 5, 20])
def test_malformed_module_is_rejected(engine, host_functions, cut):
    code = fixture("malformed_truncated")
    with pytest.raises(ModuleRejected) as info:
        engine.compile(code[:-cut], host_functions)
    assert info.value.code in ("malformed-module", "invalid-module") and info.value.hint


def test_data_segment_outside_memory_fails_instantiation(engine, host_functions):
    code = bytes(wasmtime.wat2wasm('(module (memory (export "memory") 1) '
                                   '(data (i32.const 65534) "abcd") '
                                   '(func (export "run") (result i32) i32.const 0))'))
    result = run_direct(engine, engine.compile(code, host_functions), "run", host_functions)
    typed_failure(result, Trap, "instantiation-failed")


def test_nan_bits_are_canonical(engine, host_functions):
    result = run(engine, host_functions, "hostile_nan")
    f32_bits, f64_bits = struct.unpack("<IQ", result.return_data)
    if "nan-canonicalization" in engine.capabilities():
        assert (f32_bits, f64_bits) == (0x7FC00000, 0x7FF8000000000000)
    else:
        # Declared absent: the payload leaks through, which is why the capability matters.
        assert (f32_bits, f64_bits) != (0x7FC00000, 0x7FF8000000000000)

"""Hypothesis fuzzing of the argument decoding of every host function of both providers: any
argument and memory content ends in a status the spec lists for that function, or a typed abort
(gas or a run cap); never another exception, never HostCallFailed."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ispc_framework._encoding import encode, encode_value
from ispc_framework._errors import HostCallFailed, LimitExceeded, OutOfGas
from ispc_framework._hostabi._bindings_v1 import Status
from ispc_framework._hostabi.spec import load_spec
from ispc_framework._limits import ExecutionLimits
from ispc_framework._model import (ContractLock, FungibleToken, HeightLock, MultiKeyLock,
                                  NativeCoin, OutPoint, SingleKeyLock, TimeLock)

SPEC = load_spec()
FUNCTIONS = [fn for module in SPEC.modules for fn in module.functions]
BLOB_AT = 1024

_VALID = [
    encode(OutPoint(bytes(32), 0)), encode(NativeCoin()), encode(FungibleToken(bytes(32), b"x")),
    encode_value((encode_value(1),)), b"\x80", b"\xa0", b"\x82\x01\x02",
    bytes([0x82]) + encode(SingleKeyLock(bytes(32))) + encode(TimeLock(5, ContractLock(bytes(32)))),
    bytes([0x81]) + encode(MultiKeyLock(1, (bytes(33),))),
    bytes([0x81]) + encode(HeightLock(1, SingleKeyLock(bytes(65)))),
    encode_value({"size": 3, "name": "n", "metadata": {"a": "b"}}), bytes(32), "ok".encode(),
]


@st.composite
def blobs(draw):
    blob = draw(st.one_of(st.binary(max_size=300), st.sampled_from(_VALID)))
    if blob and draw(st.booleans()):  # mutate one byte of a (possibly valid) encoding
        index = draw(st.integers(0, len(blob) - 1))
        blob = blob[:index] + bytes([draw(st.integers(0, 255))]) + blob[index + 1:]
    return blob


def wasm_values(wasm_type):
    edges = [0, 1, 2, 4, 31, 32, 33, 64, 65, BLOB_AT, 65532, 65535, 65536, 2**31, 2**32 - 1, -1]
    if wasm_type == "i64":
        edges += [2**63, 2**64 - 1, -(2**63)]
    return st.one_of(st.sampled_from(edges), st.integers(0, 400),
                     st.integers(BLOB_AT, BLOB_AT + 300),
                     st.integers(-(2**63), 2**64 - 1) if wasm_type == "i64"
                     else st.integers(-(2**31), 2**32 - 1))


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda fn: fn.qualified_name)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_arguments(make_harness, fn, data):
    h = make_harness(ExecutionLimits(fuel=200_000, max_outputs=2, max_inputs=2, max_events=2,
                                     max_log_bytes=64, max_return_bytes=128))
    h.memory.write(BLOB_AT, data.draw(blobs(), label="blob"))
    args = [data.draw(wasm_values(t), label=f"arg{i}") for i, t in enumerate(fn.wasm_params)]
    function = h.functions[fn.qualified_name]
    calls = data.draw(st.integers(1, 3), label="calls")  # repeats reach DUPLICATE and caps
    for _ in range(calls):
        try:
            result = function.handler(h.env, *args)
        except HostCallFailed as exc:  # a host bug: the fuzzer found one
            raise AssertionError(f"{fn.qualified_name}{tuple(args)}: {exc}") from exc
        except (OutOfGas, LimitExceeded) as abort:  # typed aborts: the run would end here
            assert abort.code and abort.hint
            return
        if fn.result == "status":
            assert result in {Status[name] for name in fn.statuses}, (fn.name, result)
        else:
            assert isinstance(result, int)
        assert h.ctx.trace.records[-1].function == fn.qualified_name

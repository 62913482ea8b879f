"""The generated host-call handlers (ispc_framework._hostabi.specialise) against the interpreted
wrapper they replaced (reference_binding.py), differentially: for every function of every
provider, on the same chain, memory and arguments, both must give the same result or the same
typed error (type, code, message, details), leave the same guest memory, charge the same gas and
append the same trace records; the draft, return data and logs must match too. Also with
implementations that misbehave (wrong outputs, wrong sizes, host bugs), so the error paths are
compared as well as the calls the real providers make."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostabi.reference_binding import bind as reference_bind
from hostabi.test_hostabi_fuzz import BLOB_AT, FUNCTIONS, blobs, wasm_values
from ispc_framework._encoding import encode_host_call_part
from ispc_framework._errors import ISPCError
from ispc_framework._hostabi._bindings_v1 import Status
from ispc_framework._hostabi.binding import bind
from ispc_framework._hostabi.crypto import CryptoProvider
from ispc_framework._hostabi.guest import GuestError
from ispc_framework._hostabi.specialise import handler_source, record_part
from ispc_framework._hostabi.state import StateProvider
from ispc_framework._hostabi.v1 import V1Provider
from ispc_framework._limits import ExecutionLimits

IMPLEMENTATIONS = {f"{provider.import_module}.{name}": impl
                   for provider in (V1Provider, CryptoProvider, StateProvider)
                   for name, impl in provider.implementations.items()}
LIMITS = ExecutionLimits(fuel=200_000, max_outputs=2, max_inputs=2, max_events=2,
                         max_log_bytes=64, max_return_bytes=128)


def _call(harness, handler, args):
    try:
        return ("value", handler(harness.env, *args))
    except ISPCError as exc:
        return ("error", type(exc).__name__, exc.code, exc.message, exc.details)
    except Exception as exc:  # noqa: BLE001 - e.g. a value function's bad value (the engine
        return ("raised", type(exc).__name__, str(exc))   # turns it into HostCallFailed)


def _state(harness):
    ctx = harness.ctx
    return (bytes(harness.memory.data), ctx.trace.records, ctx.gas_used, ctx.return_data,
            ctx.draft.inputs, ctx.draft.outputs, ctx.draft.events, tuple(ctx.logs))


def _compare(make_harness, fn, generated_impl, reference_impl, blob, memory_size, args, calls):
    sides = []
    for binder, impl in ((bind, generated_impl), (reference_bind, reference_impl)):
        harness = make_harness(LIMITS)
        harness.memory.data = harness.memory.data[:memory_size]
        if BLOB_AT + len(blob) <= memory_size:
            harness.memory.write(BLOB_AT, blob)
        handler = binder(fn, impl, Status).handler
        results = [_call(harness, handler, args) for _ in range(calls)]
        sides.append((results, _state(harness)))
    assert sides[0] == sides[1], fn.qualified_name


_SIZES = st.sampled_from([65536, 65536, 65536, BLOB_AT + 40, 70, 0])


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda fn: fn.qualified_name)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_generated_handler_does_what_the_interpreted_wrapper_did(make_harness, fn, data):
    impl = IMPLEMENTATIONS[fn.qualified_name]
    args = [data.draw(wasm_values(t), label=f"arg{i}") for i, t in enumerate(fn.wasm_params)]
    _compare(make_harness, fn, impl, impl, data.draw(blobs(), label="blob"),
             data.draw(_SIZES, label="memory"), args, data.draw(st.integers(1, 3), label="calls"))


def _returned(fn):
    """What a misbehaving implementation of ``fn`` may return or raise."""
    values = st.one_of(st.binary(max_size=70), st.integers(-1, 2**65), st.none(),
                       st.lists(st.integers(0, 255), max_size=40), st.text(max_size=5))
    outputs = len([p for p in fn.params if p.kind.startswith("out_")])
    shaped = st.tuples(*[values] * outputs) if outputs else st.just(())
    failure = st.one_of(st.sampled_from(list(Status)).map(lambda s: GuestError(s, "x")),
                        st.just(ValueError("host bug")), st.just(OverflowError("big")))
    return st.one_of(shaped, shaped, values, st.tuples(values, values, values), failure)


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda fn: fn.qualified_name)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_misbehaving_implementations_fail_alike(make_harness, fn, data):
    outcome = data.draw(_returned(fn), label="returns")

    def impl(env, *inputs):
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    args = [data.draw(wasm_values(t), label=f"arg{i}") for i, t in enumerate(fn.wasm_params)]
    _compare(make_harness, fn, impl, impl, data.draw(blobs(), label="blob"), 65536, args, 1)


@given(first=st.one_of(st.none(), st.integers(0, 2**64 - 1),
                       st.lists(st.integers(0, 2**64 - 1), max_size=7)),
       blobs=st.lists(st.binary(max_size=300), max_size=7))
def test_record_parts_are_the_canonical_encoding(first, blobs):
    assert record_part(first, blobs) == encode_host_call_part(first, blobs)


@pytest.mark.parametrize("value", [0, 23, 24, 255, 256, 65535, 65536, 2**32 - 1, 2**32,
                                   2**64 - 1])
def test_the_inlined_integer_heads_are_the_encoders(value):
    from ispc_framework._encoding import _head
    from ispc_framework._hostabi.specialise import _blobs, _inline_uint

    _, namespace = handler_source(FUNCTIONS[0], Status)
    assert eval(_inline_uint("v"), namespace, {"v": value}) == _head(0, value)  # noqa: S307
    blob = bytes(value % 300)
    assert _blobs([blob, b""]) == encode_host_call_part(None, [blob, b""])[2:]


def test_the_source_of_a_handler_is_readable():
    fn = next(fn for fn in FUNCTIONS if fn.qualified_name == "ispc.v1.utxo_lookup")
    source, _ = handler_source(fn, Status)
    assert source.startswith("def handler(env, *wasm_args):")
    assert "impl(env, v0)" in source and "record_call(NAME" in source
    assert bind(fn, IMPLEMENTATIONS[fn.qualified_name], Status).handler.source == source


def _locks_by_round_trip(data):
    """decode_locks as it was: each item re-encoded and decoded on its own."""
    from ispc_framework._encoding import encode_value
    from ispc_framework._hostabi.v1 import _LOCK_TYPES, MAX_LOCKS, _invalid, _plain, decode_guest

    items = _plain(data, "locks")
    if not isinstance(items, tuple) or len(items) > MAX_LOCKS:
        raise _invalid("locks")
    return tuple(decode_guest(encode_value(item), _LOCK_TYPES, "lock") for item in items)


@settings(max_examples=300, deadline=None)
@given(blob=blobs())
def test_decode_locks_gives_what_the_round_trip_gave(blob):
    from ispc_framework._hostabi.v1 import decode_locks

    def outcome(fn):
        try:
            return ("ok", fn(blob))
        except GuestError as failure:
            return ("status", failure.status)

    assert outcome(decode_locks) == outcome(_locks_by_round_trip)

"""ExecutionContext pinning and isolation; ContextManager under threads, at scale, and leaks."""

from __future__ import annotations

import gc
import threading
import tracemalloc

import pytest

from ispc_framework import _model as m
from ispc_framework._context import ChainPins, ContextManager, ExecutionRequest
from ispc_framework._errors import ContextError, LimitExceeded, OutOfGas, ValidationError
from ispc_framework._limits import ExecutionLimits

PINS = ChainPins(10, 1_700_000_000, b"\x0b" * 32, "ispc-test")


def request(i=0, **kw):
    return ExecutionRequest(b"\x0c" * 32, "run", i.to_bytes(4, "big"), **kw)


def test_transaction_id_is_deterministic_and_depends_on_everything():
    manager = ContextManager()
    with manager.open(request(1), PINS) as a, manager.open(request(1), PINS) as b:
        assert a.transaction_id == b.transaction_id
        assert a.trace.root == b.trace.root  # same genesis header
    ids = set()
    for req, pins in [(request(1), PINS), (request(2), PINS), (request(1, nonce=1), PINS),
                      (request(1, caller=b"\x01" * 32), PINS),
                      (request(1), ChainPins(11, PINS.timestamp, PINS.block_hash, PINS.chain_id))]:
        with manager.open(req, pins) as ctx:
            ids.add(ctx.transaction_id)
    assert len(ids) == 5


def test_destroyed_context_cannot_be_used():
    manager = ContextManager()
    with manager.open(request(), PINS) as ctx:
        pass
    for use in (lambda: ctx.draft, lambda: ctx.trace, lambda: ctx.charge(1),
                lambda: ctx.set_return_data(b"x")):
        with pytest.raises(ContextError) as info:
            use()
        assert info.value.code == "context-destroyed"
    with pytest.raises(ContextError):
        manager.destroy(ctx)


def test_gas_is_clamped_and_typed():
    manager = ContextManager()
    with manager.open(request(), PINS, ExecutionLimits(fuel=100)) as ctx:
        ctx.charge(60)
        assert ctx.gas_used == 60
        with pytest.raises(OutOfGas):
            ctx.charge(2**70)
        assert ctx.gas_used == 2**64 - 1
        with pytest.raises(ValueError):
            ctx.charge(-1)


def test_input_return_and_log_caps():
    manager = ContextManager()
    limits = ExecutionLimits(max_input_bytes=4, max_return_bytes=2, max_log_bytes=5)
    with pytest.raises(LimitExceeded) as info:
        manager.create(ExecutionRequest(b"\x0c" * 32, "run", b"12345"), PINS, limits)
    assert info.value.code == "input-too-large"
    with manager.open(request(), PINS, limits) as ctx:
        with pytest.raises(LimitExceeded):
            ctx.set_return_data(b"123")
        assert ctx.log("abc") and not ctx.log("def") and ctx.logs == ("abc",)
    assert manager.stats().active == 0


def test_request_validation_names_fields():
    with pytest.raises(ValidationError) as info:
        ExecutionRequest(b"\x0c" * 31, "run")
    assert info.value.field == "ExecutionRequest.resource_hash"
    with pytest.raises(ValidationError):
        ChainPins(-1, 0, b"\0" * 32, "x")


def test_hundred_threads_no_cross_talk_and_consistent_stats():
    manager = ContextManager()
    errors = []
    barrier = threading.Barrier(100)

    def worker(i):
        try:
            barrier.wait()
            for round_ in range(20):
                with manager.open(request(i), PINS) as ctx:
                    ctx.draft.add_event(m.Event(ctx.contract_address, "t", bytes([i, round_])))
                    ctx.trace.append("call", f"f{i}")
                    ctx.charge(i)
                    ctx.set_return_data(bytes([i]))
                    draft = ctx.draft.seal()
                    assert [e.data for e in draft.events] == [bytes([i, round_])]
                    assert [r.function for r in ctx.trace.records] == [f"f{i}"]
                    assert ctx.gas_used == i and ctx.return_data == bytes([i])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    stats = manager.stats()
    assert (stats.created, stats.destroyed, stats.active, stats.leaked) == (2000, 2000, 0, 0)
    assert stats.max_duration_s >= 0 and stats.total_duration_s >= stats.max_duration_s


@pytest.mark.slow
def test_ten_thousand_contexts_memory_is_bounded():
    manager = ContextManager()
    for i in range(500):  # warm caches before measuring
        with manager.open(request(i), PINS) as ctx:
            ctx.trace.append("call", "f")
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for i in range(10_000):
        with manager.open(request(i), PINS) as ctx:
            ctx.draft.add_event(m.Event(ctx.contract_address, "t", b"x" * 64))
            ctx.trace.append("call", "f", b"y" * 64)
    gc.collect()
    growth = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    # Each context holds ~2 KB while alive; keeping all 10,000 would be >20 MB. Allow 2 MB.
    assert growth < 2 * 1024 * 1024, growth
    assert manager.stats().active == 0 and manager.stats().destroyed == 10_500


def test_leaks_are_detected(caplog):
    manager = ContextManager()
    kept = manager.create(request(1), PINS)
    assert manager.active() == (kept,)
    manager.create(request(2), PINS)  # dropped without destroy
    gc.collect()
    assert manager.stats().leaked == 1
    assert "never destroyed" in caplog.text
    manager.destroy(kept)
    assert manager.active() == ()


def test_model_inputs_are_kept_in_name_order():
    a = m.Tensor("a", "uint8", (1,), b"\x01")
    b = m.Tensor("b", "uint8", (1,), b"\x02")
    first = ExecutionRequest(b"\x0c" * 32, "onnx.run", tensors=[b, a])
    assert first.tensors == (a, b) == ExecutionRequest(b"\x0c" * 32, "onnx.run", tensors=[a, b]).tensors
    with pytest.raises(ValidationError, match="same name"):
        ExecutionRequest(b"\x0c" * 32, "onnx.run", tensors=[a, a])
    with pytest.raises(ValidationError):
        ExecutionRequest(b"\x0c" * 32, "onnx.run", tensors=[b"raw"])

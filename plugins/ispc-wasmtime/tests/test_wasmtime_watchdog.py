"""The epoch watchdog keeps ticking for a linger period after the last run (so back-to-back
runs wake no thread) and still stops guest code on time: after idling past the linger, across
back-to-back runs, and never early for a run that starts right after an idle period."""

from __future__ import annotations

import multiprocessing
import time

import pytest
import wasmtime

from ispc_framework.plugins import ExecutionLimits, Timeout
from ispc_framework.testing import run_direct
from ispc_wasmtime.engine import WasmtimeEngine
from ispc_wasmtime.watchdog import EpochWatchdog

SPIN = wasmtime.wat2wasm('''
(module
  (memory (export "memory") 1)
  (func (export "spin") (result i32) (loop $l (br $l)) (i32.const 0))
  (func (export "quick") (result i32) (i32.const 0)))''')
LINGER = 0.2
LIMIT = 0.3
LATE = 2.0   # allowed lateness on a loaded 2-core machine (the limit plus one tick when quiet)


@pytest.fixture
def engine():
    engine = WasmtimeEngine()
    slot = engine._slot(engine.default_stack_bytes)
    slot.watchdog = EpochWatchdog(slot.epochs, linger_s=LINGER)
    yield engine
    engine.close()


def _spin(engine, compiled, limit=LIMIT) -> float:
    started = time.monotonic()
    result = run_direct(engine, compiled, "spin", (),
                        limits=ExecutionLimits(fuel=10 ** 15, timeout_s=limit))
    elapsed = time.monotonic() - started
    assert isinstance(result.error, Timeout), result.error
    return elapsed


def _quick(engine, compiled, limit=LIMIT) -> None:
    result = run_direct(engine, compiled, "quick", (), limits=ExecutionLimits(timeout_s=limit))
    assert result.ok, result.error


def _watchdog(engine) -> EpochWatchdog:
    return engine._slot(engine.default_stack_bytes).watchdog


def _wait_idle(watchdog: EpochWatchdog) -> None:
    deadline = time.monotonic() + 10
    while watchdog.ticking:
        assert time.monotonic() < deadline, "the ticker never stopped after its linger"
        time.sleep(0.02)


def test_the_ticker_lingers_after_a_run_and_then_stops(engine):
    compiled = engine.compile(SPIN, ())
    watchdog = _watchdog(engine)
    _quick(engine, compiled)
    assert watchdog.ticking            # still ticking right after the run: the next run wakes none
    _wait_idle(watchdog)               # and idle once the linger has passed


def test_a_timeout_fires_on_time_after_idling(engine):
    compiled = engine.compile(SPIN, ())
    _quick(engine, compiled)
    _wait_idle(_watchdog(engine))
    elapsed = _spin(engine, compiled)
    assert LIMIT <= elapsed < LIMIT + LATE


def test_timeouts_fire_on_time_across_back_to_back_runs(engine):
    compiled = engine.compile(SPIN, ())
    for _ in range(50):
        _quick(engine, compiled)
    for _ in range(3):                 # the ticker never stopped between these
        elapsed = _spin(engine, compiled)
        assert LIMIT <= elapsed < LIMIT + LATE
        _quick(engine, compiled)


def test_a_run_right_after_idling_is_not_stopped_early(engine):
    """The idle time is not owed to new deadlines: a short limit after a long idle period still
    gives the run its whole budget."""
    compiled = engine.compile(SPIN, ())
    _quick(engine, compiled)
    _wait_idle(_watchdog(engine))
    time.sleep(LINGER)
    assert _spin(engine, compiled, limit=0.1) >= 0.1
    for _ in range(20):
        _quick(engine, compiled, limit=0.05)


def test_close_stops_a_lingering_ticker(engine):
    compiled = engine.compile(SPIN, ())
    watchdog = _watchdog(engine)
    _quick(engine, compiled)
    assert watchdog.ticking
    engine.close()
    assert not watchdog.ticking
    thread = watchdog._thread
    thread.join(5)
    assert not thread.is_alive()


_INHERITED: dict = {}


def _timeout_in_child(_) -> float:
    return _spin(_INHERITED["engine"], _INHERITED["compiled"])


def test_a_child_forked_while_the_ticker_lingers_still_times_out():
    """Forked while the parent's ticker is ticking (lingering after a run): the child inherits
    the engine and its watchdog but not the thread, and must start a ticker of its own."""
    engine = WasmtimeEngine()
    try:
        _INHERITED.update(engine=engine, compiled=engine.compile(SPIN, ()))
        _quick(engine, _INHERITED["compiled"])
        assert _watchdog(engine).ticking
        with multiprocessing.get_context("fork").Pool(1) as pool:
            elapsed = pool.apply_async(_timeout_in_child, (None,)).get(timeout=60)
        assert LIMIT <= elapsed < LIMIT + LATE
    finally:
        _INHERITED.clear()
        engine.close()

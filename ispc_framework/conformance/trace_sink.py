"""Trace sink conformance: every sealed trace a sink is given comes back, in order, intact.

The suite writes real sealed :class:`~ispc_framework._trace.ExecutionTrace` objects (start, host
calls with arguments, results and gas, end) and reads them back through the sink's ``read()``
(see :class:`~ispc_framework._sinks.TraceSink`): the same number of traces, in write order, each
with the run's summary and header, and records that replay to the run's root. Concurrent writers
lose nothing. A sink without ``read()`` cannot be checked: those checks are skipped, and the
"auditable" level is not met. That a failing sink never loses a *result* is the coordinator's
rule (it logs the failure and returns the result); tests/test_execution_hooks.py checks it.

As pytest tests: subclass :class:`TraceSinkSuite` with a ``make_plugin`` fixture.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from .._encoding import encode
from .._limits import ExecutionLimits
from .._trace import TRACE_VERSION, ExecutionTrace
from .suite import PluginSuite, add_checks

__all__ = ["CHECKS", "LEVELS", "TraceSinkSuite", "SUITE_VERSION", "sample_trace"]

SUITE_VERSION = "1"


def sample_trace(n: int, calls: int = 3) -> tuple[dict[str, Any], ExecutionTrace]:
    """A sealed trace of a run numbered ``n`` and its summary, as the coordinator makes them."""
    header = encode({"version": TRACE_VERSION, "conformance": n})
    trace = ExecutionTrace(header, ExecutionLimits())
    trace.append("start", "method", args=n.to_bytes(8, "little"))
    for i in range(calls):
        trace.append("call", f"ispc.v1.function_{i}", args=encode((n, i)),
                     result=encode(i) * (i % 5), status=i % 2, gas_before=10 * i, gas_after=10 * i + 7)
    trace.append("end", "method", result=b"done", gas_before=30, gas_after=30)
    root = trace.seal()
    summary = {"transaction_id": (n.to_bytes(4, "big") * 8).hex(), "engine": "conformance",
               "engine_fingerprint": "conformance-1", "execution_result_hash": root.hex()}
    return summary, trace


def _read(sink: Any) -> list[Any]:
    read = getattr(sink, "read", None)
    if not callable(read):
        pytest.skip(f"{type(sink).__name__} offers no read(): what it stores cannot be checked")
    return list(read())


def _same(stored: Any, summary: dict[str, Any], trace: ExecutionTrace, where: str) -> None:
    assert stored.summary.get("transaction_id") == summary["transaction_id"], \
        f"{where}: got the trace of transaction {stored.summary.get('transaction_id')!r:.20}, " \
        f"expected {summary['transaction_id']!r:.20} (traces lost or out of order)"
    for key, value in summary.items():
        assert stored.summary.get(key) == value, f"{where}: summary {key} is " \
            f"{stored.summary.get(key)!r:.40}, written {value!r:.40}"
    assert stored.header == trace.header, f"{where}: the trace header changed"
    assert tuple(stored.records) == trace.records, \
        f"{where}: {len(stored.records)} records read back, {len(trace.records)} written " \
        "(records dropped or altered)"
    assert ExecutionTrace.replay_root(stored.header, stored.records) == trace.root, \
        f"{where}: the records read back do not replay to the run's root"
    assert stored.root == trace.root, f"{where}: the stored root is not the run's root"


def _bind(sink: Any) -> dict[str, Callable[[], None]]:
    def protocol_surface():
        for name in ("write", "close"):
            assert callable(getattr(sink, name, None)), f"a trace sink needs {name}()"

    def every_trace_read_back_in_order():
        written = [sample_trace(n, calls=n % 4) for n in range(1, 8)]
        for summary, trace in written:
            sink.write(summary, trace)
        stored = _read(sink)
        assert len(stored) == len(written), \
            f"{len(written)} traces written, {len(stored)} read back"
        for index, (item, (summary, trace)) in enumerate(zip(stored, written)):
            _same(item, summary, trace, f"trace {index + 1}")

    def concurrent_writers_lose_nothing():
        written = [sample_trace(n, calls=2) for n in range(100, 140)]
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(lambda pair: sink.write(*pair), written))
        stored = {item.summary.get("transaction_id"): item for item in _read(sink)}
        for summary, trace in written:
            item = stored.get(summary["transaction_id"])
            assert item is not None, f"the trace of {summary['transaction_id'][:16]} written " \
                "from a thread was lost"
            _same(item, summary, trace, f"concurrent trace {summary['transaction_id'][:8]}")

    def large_trace_round_trips():
        summary, trace = sample_trace(7_000, calls=500)
        sink.write(summary, trace)
        (item,) = [s for s in _read(sink) if s.summary.get("transaction_id") ==
                   summary["transaction_id"]]
        _same(item, summary, trace, "a 502-record trace")

    return {name: check for name, check in locals().items() if name in _IDS}


CHECKS: tuple[tuple[str, str, str | None], ...] = (
    ("protocol_surface", "the sink has write() and close()", None),
    ("every_trace_read_back_in_order", "every sealed trace comes back in order and replays "
     "to its root", None),
    ("concurrent_writers_lose_nothing", "traces written from four threads are all kept intact",
     None),
    ("large_trace_round_trips", "a 502-record trace round-trips", None),
)
_IDS = {check for check, _title, _needs in CHECKS}
LEVELS: dict[str, tuple[str, ...]] = {
    "auditable": ("every_trace_read_back_in_order", "concurrent_writers_lose_nothing",
                  "large_trace_round_trips"),
}


class TraceSinkSuite(PluginSuite):
    """:data:`CHECKS` as pytest tests; ``make_plugin`` builds a fresh, empty sink."""

    suite = "trace-sink"
    suite_version = SUITE_VERSION


add_checks(TraceSinkSuite, CHECKS, _bind)

"""How late the wasmtime timeout fires under CPU load: the clock-following epoch ticker
(ispc_wasmtime.watchdog) against the previous one-tick-per-wake-up ticker, alternating, in the
same run, while busy processes load every core.

    PYTHONPATH=. .venv/bin/python benchmarks/wasm_timeout_precision.py [--limit 1.0] [--rounds 3]

Prints the stop time / limit of each run and the median per ticker.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import threading
import time

from ispc_framework.conformance.wasm_engine import _Session
from ispc_framework._errors import Timeout
from ispc_framework._limits import ExecutionLimits
from ispc_wasmtime.engine import WasmtimeEngine
from ispc_wasmtime.watchdog import TICK_S, EpochWatchdog


class TickCountingWatchdog(EpochWatchdog):
    """The previous ticker: one epoch tick per wake-up, so late wake-ups make the limit late."""

    def _run(self) -> None:
        while True:
            with self._lock:
                while self._active == 0:
                    self._wake.wait()
            self._engine.increment_epoch()
            time.sleep(TICK_S)


def _burn(stop) -> None:
    while not stop.is_set():
        sum(i * i for i in range(10_000))


def _python_load(stop) -> None:   # GIL contention in the engine's own process too
    while not stop.is_set():
        sum(i for i in range(1000))


def stop_ratio(engine: WasmtimeEngine, watchdog_cls: type, limit: float) -> float:
    session = _Session(engine)
    slot = engine._slot(engine.default_stack_bytes)
    slot.watchdog = watchdog_cls(slot.epochs)   # ticks every engine of the slot
    started = time.monotonic()
    try:
        session.execute("limits", "spin", limits=ExecutionLimits(fuel=10 ** 15, timeout_s=limit))
    except Timeout:
        pass
    return (time.monotonic() - started) / limit


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    stop = multiprocessing.Event()
    burners = [multiprocessing.Process(target=_burn, args=(stop,)) for _ in range(os.cpu_count()
                                                                                  or 2)]
    for process in burners:
        process.start()
    thread_stop = threading.Event()
    threads = [threading.Thread(target=_python_load, args=(thread_stop,), daemon=True)
               for _ in range(2)]
    for thread in threads:
        thread.start()
    engine = WasmtimeEngine()
    results: dict[str, list[float]] = {"clock-following": [], "tick-counting (before)": []}
    try:
        for _ in range(args.rounds):
            for name, cls in (("clock-following", EpochWatchdog),
                              ("tick-counting (before)", TickCountingWatchdog)):
                ratio = stop_ratio(engine, cls, args.limit)
                results[name].append(ratio)
                print(f"{name:24} stopped at {ratio:.3f} x the {args.limit:g} s limit",
                      flush=True)
    finally:
        stop.set()
        thread_stop.set()
        for process in burners:
            process.join()
    for name, ratios in results.items():
        print(f"median {name:24} {statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()

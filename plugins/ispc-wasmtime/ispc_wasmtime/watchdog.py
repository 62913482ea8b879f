"""Wall-clock watchdog: a ticker thread that advances a wasmtime engine's epoch.

Each store gets an epoch deadline of ``ceil(timeout / tick) + 1`` ticks; guest code that is still
running when the deadline passes traps with an interrupt, which the engine reports as Timeout.
The ticker runs only while at least one execution is active, so an idle engine costs nothing.
The epoch is a local watchdog only: it never influences a result that completes in time.
"""

from __future__ import annotations

import math
import threading
import time

__all__ = ["EpochWatchdog", "TICK_S"]

TICK_S = 0.01


class EpochWatchdog:
    def __init__(self, engine, tick_s: float = TICK_S) -> None:
        self._engine = engine
        self._tick_s = tick_s
        self._active = 0
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None

    def deadline_ticks(self, timeout_s: float) -> int:
        # +1: the current tick may be about to end, so one tick of the budget can be lost.
        return max(1, math.ceil(timeout_s / self._tick_s) + 1)

    def __enter__(self) -> EpochWatchdog:
        with self._lock:
            self._active += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="ispc-wasmtime-epoch",
                                                daemon=True)
                self._thread.start()
            self._wake.notify()
        return self

    def __exit__(self, *exc) -> None:
        with self._lock:
            self._active -= 1

    def _run(self) -> None:
        while True:
            with self._lock:
                while self._active == 0:
                    self._wake.wait()
            self._engine.increment_epoch()
            time.sleep(self._tick_s)

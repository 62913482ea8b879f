"""Wall-clock watchdog: a ticker thread that advances a wasmtime engine's epoch.

Each store gets an epoch deadline of ``ceil(timeout / tick) + 1`` ticks; guest code that is still
running when the deadline passes traps with an interrupt, which the engine reports as Timeout.
The ticker runs only while at least one execution is active, so an idle engine costs nothing.
The epoch is a local watchdog only: it never influences a result that completes in time.

Ticks follow the monotonic clock, not the ticker's own sleeps: under load a thread's 10 ms sleep
can take far longer, so counting one tick per wake-up made a 5 s limit stop at 6.1-6.7 s. The
ticker issues as many ticks as the clock says are due (catching up after a late wake-up), so
the deadline is wall-clock time plus at most one tick and one scheduling delay.

Fork-safe: a forked child (the conformance runner forks per check) gets fresh watchdog state;
without it the child would wait for a ticker thread that exists only in the parent, or on a
lock the parent's ticker held at fork time.
"""

from __future__ import annotations

import math
import os
import threading
import time
import weakref

__all__ = ["EpochWatchdog", "TICK_S"]

TICK_S = 0.01
_MAX_CATCH_UP = 10_000   # ticks issued at once after a very late wake-up (100 s at 10 ms)
_ALL: weakref.WeakSet[EpochWatchdog] = weakref.WeakSet()


class EpochWatchdog:
    def __init__(self, engine, tick_s: float = TICK_S) -> None:
        self._engine = engine
        self._tick_s = tick_s
        self._reset()
        _ALL.add(self)

    def _reset(self) -> None:
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
            # A fresh origin after idling: ticks owed from the idle time must not fire the
            # deadlines of stores created just now.
            origin, issued = time.monotonic(), 0
            while True:
                with self._lock:
                    if self._active == 0:
                        break
                due = int((time.monotonic() - origin) / self._tick_s)
                for _ in range(min(due - issued, _MAX_CATCH_UP)):
                    self._engine.increment_epoch()
                issued = max(issued, due)
                next_tick = origin + (issued + 1) * self._tick_s
                time.sleep(max(0.0, next_tick - time.monotonic()))


def _after_fork_in_child() -> None:
    for watchdog in list(_ALL):
        watchdog._reset()


os.register_at_fork(after_in_child=_after_fork_in_child)

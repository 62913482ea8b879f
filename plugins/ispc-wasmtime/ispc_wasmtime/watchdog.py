"""Wall-clock watchdog: a ticker thread that advances a wasmtime engine's epoch (or several
engines' at once: anything with ``increment_epoch``, such as the engine's ``_Epochs`` of its
on-demand and pooling engines).

Each store gets an epoch deadline of ``ceil(timeout / tick) + 1`` ticks; guest code that is still
running when the deadline passes traps with an interrupt, which the engine reports as Timeout.
The epoch is a local watchdog only: it never influences a result that completes in time.

The ticker keeps ticking while at least one execution is active and for ``linger_s`` (1 s)
after the last one ended, then waits until the next execution starts. Starting an execution
while the ticker runs is a counter increment under a lock: waking a stopped thread at every
execution (the ticker used to stop as soon as no execution was active) cost 10-20% of a token
transfer, the woken thread contending for the GIL with the execution that woke it. An idle
engine still costs nothing once the linger has passed.

Ticks follow the monotonic clock, not the ticker's own sleeps: under load a thread's 10 ms sleep
can take far longer, so counting one tick per wake-up made a 5 s limit stop at 6.1-6.7 s. The
ticker issues as many ticks as the clock says are due (catching up after a late wake-up), so
the deadline is wall-clock time plus at most one tick and one scheduling delay. It takes a fresh
origin whenever it starts ticking again, so the idle time is never owed to new deadlines.

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

__all__ = ["EpochWatchdog", "TICK_S", "LINGER_S"]

TICK_S = 0.01
LINGER_S = 1.0   # ticking on after the last execution, so back-to-back runs wake no thread
_MAX_CATCH_UP = 10_000   # ticks issued at once after a very late wake-up (100 s at 10 ms)
_ALL: weakref.WeakSet[EpochWatchdog] = weakref.WeakSet()


class EpochWatchdog:
    def __init__(self, engine, tick_s: float = TICK_S, linger_s: float = LINGER_S) -> None:
        self._engine = engine
        self._tick_s = tick_s
        self._linger_s = linger_s
        self._reset()
        _ALL.add(self)

    def _reset(self) -> None:
        self._active = 0
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._ticking = False   # the ticker is advancing the epoch (not waiting for work)
        self._closed = False

    @property
    def ticking(self) -> bool:
        """Whether the ticker is running (an execution is active or ended less than
        ``linger_s`` ago)."""
        return self._ticking

    def deadline_ticks(self, timeout_s: float) -> int:
        # +1: the current tick may be about to end, so one tick of the budget can be lost.
        return max(1, math.ceil(timeout_s / self._tick_s) + 1)

    def __enter__(self) -> EpochWatchdog:
        with self._lock:
            self._active += 1
            if not self._ticking:
                self._ticking = True
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, daemon=True,
                                                    name="ispc-wasmtime-epoch")
                    self._thread.start()
                else:
                    self._wake.notify()
        return self

    def __exit__(self, *exc) -> None:
        with self._lock:
            self._active -= 1

    def close(self) -> None:
        """Stop the ticker for good (its engine is about to be freed): no tick is issued after
        this returns, since ticks are issued under the lock."""
        with self._lock:
            self._closed = True
            self._ticking = False
            self._wake.notify()

    def _run(self) -> None:
        tick, linger = self._tick_s, self._linger_s
        while True:
            with self._lock:
                while not self._ticking:
                    if self._closed:
                        return
                    self._wake.wait()
            # A fresh origin after idling: ticks owed from the idle time must not fire the
            # deadlines of stores created just now.
            origin, issued, idle_since = time.monotonic(), 0, None
            while True:
                now = time.monotonic()
                with self._lock:
                    if not self._ticking:   # closed
                        break
                    if self._active:
                        idle_since = None
                    elif idle_since is None:
                        idle_since = now
                    elif now - idle_since >= linger:
                        self._ticking = False
                        break
                    due = int((now - origin) / tick)
                    for _ in range(min(due - issued, _MAX_CATCH_UP)):
                        self._engine.increment_epoch()
                issued = max(issued, due)
                next_tick = origin + (issued + 1) * tick
                time.sleep(max(0.0, next_tick - time.monotonic()))


def _after_fork_in_child() -> None:
    for watchdog in list(_ALL):
        watchdog._reset()


os.register_at_fork(after_in_child=_after_fork_in_child)

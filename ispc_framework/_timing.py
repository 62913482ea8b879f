"""Per-phase wall-clock timings of one execution (compile, execute, prove, verify, apply).

``with phase("prove"):`` logs ``prove took 1.234 s`` on the ``ispc.timing`` logger (``ispc -v``
shows it) and adds the time to every recorder opened with :func:`collect` in this context, which
is how the CLI puts ``timings`` into its ``--json`` output. Timings are for people and logs only:
nothing the chain commits to depends on them.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import time
from collections.abc import Iterator

__all__ = ["phase", "collect"]

log = logging.getLogger("ispc.timing")

_recorders: contextvars.ContextVar[tuple[dict[str, float], ...]] = contextvars.ContextVar(
    "ispc_timing_recorders", default=())


class phase:
    """Time the block as phase ``name`` (times of a phase run twice add up).

    A class rather than a ``contextlib.contextmanager``: every execution enters two phases, and
    a generator-based manager cost several times as much per use."""

    __slots__ = ("name", "_started")

    def __init__(self, name: str) -> None:
        self.name = name
        self._started = 0.0

    def __enter__(self) -> None:
        self._started = time.perf_counter()

    def __exit__(self, *exc_info: object) -> None:
        elapsed = time.perf_counter() - self._started
        for recorder in _recorders.get():
            recorder[self.name] = recorder.get(self.name, 0.0) + elapsed
        if log.isEnabledFor(logging.INFO):
            log.info("%s took %.3f s", self.name, elapsed)


@contextlib.contextmanager
def collect() -> Iterator[dict[str, float]]:
    """A dict that fills with phase name -> seconds for the phases run inside the block."""
    recorder: dict[str, float] = {}
    token = _recorders.set(_recorders.get() + (recorder,))
    try:
        yield recorder
    finally:
        _recorders.reset(token)

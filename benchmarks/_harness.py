"""The small interface every benchmark module of ``python -m benchmarks`` implements.

A benchmark module is any ``benchmarks/<name>.py`` (name not starting with ``_``) that defines

    def run(quick: bool) -> dict:
        return {"figures": [figure, ...], "notes": ["optional free text", ...]}

where each figure is made by :func:`figure` (or by :func:`compare`, which measures a candidate
and its baseline in alternating slices and returns the figure). ``quick`` means CI: a few repeats,
small sizes, seconds not minutes; times are recorded but never asserted. A module may raise
:class:`Skip` (a peer or a toolchain is missing); any other exception is recorded as that module's
error and the other modules still run.

Why alternating slices: this machine's load changes by 2x within a minute, so a figure measured
after its baseline is mostly a measure of the load. Each repeat runs one slice of every contender,
in a rotating order, and a figure is the median over the repeats of its per-operation time; the
ratio is median(candidate) / median(baseline), so ``ratio < 1`` is faster when lower is better.

The JSON written by ``python -m benchmarks`` (schema ``ispc.bench.v1``):

    {"schema": "ispc.bench.v1", "quick": bool, "started": ISO time, "machine": {...},
     "modules": {name: {"status": "ok" | "skipped" | "error", "seconds": float,
                        "figures": [figure, ...], "notes": [...], "error": str}}}

and a figure:

    {"name": str, "unit": str, "value": float, "repeats": int, "better": "lower" | "higher",
     "baseline": {"name": str, "value": float} | None, "ratio": float | None,
     "target": {"op": "<=" | ">=", "value": float, "of": "value" | "ratio"} | None,
     "met": bool | None}
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

SCHEMA = "ispc.bench.v1"


class Skip(Exception):
    """The benchmark cannot run here (say why: a missing peer, toolchain or key)."""


class SelfTimed(float):
    """Returned by a contender that measured itself (say, a peer in another process that times
    only its own work): :func:`alternate` uses these seconds instead of the wall time around the
    call. A slice of ``number`` calls sums them."""


def alternate(contenders: dict[str, Callable[[], object]], repeats: int,
              number: int | dict[str, int] = 1) -> dict[str, list[float]]:
    """Seconds per call of each contender, one sample per repeat, slices alternating.

    Each repeat calls every contender ``number`` times in a row (one slice), rotating which one
    goes first, so load changes hit all of them alike. Returns name -> samples. A contender that
    returns :class:`SelfTimed` seconds is credited with those instead of the wall time.
    ``number`` may differ per contender (a dict; missing names get 1).
    """
    names = list(contenders)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for repeat in range(repeats):
        shift = repeat % len(names)
        for name in names[shift:] + names[:shift]:
            fn = contenders[name]
            count = number.get(name, 1) if isinstance(number, dict) else number
            own = 0.0
            timed_itself = False
            started = time.perf_counter()
            for _ in range(count):
                result = fn()
                if isinstance(result, SelfTimed):
                    own += result
                    timed_itself = True
            elapsed = own if timed_itself else time.perf_counter() - started
            samples[name].append(elapsed / count)
    return samples


def figure(name: str, samples: list[float] | float, unit: str = "s", *,
           baseline: tuple[str, list[float] | float] | None = None, better: str = "lower",
           scale: float = 1.0, target: tuple[str, float] | None = None,
           target_of: str = "value") -> dict:
    """One figure: the median of ``samples`` (times ``scale``), its baseline and their ratio.

    ``scale`` converts seconds into ``unit`` (1e6 for us; for a rate pass the rate samples with
    ``better="higher"``). The ratio is computed from the unscaled medians, so it does not depend
    on the unit. ``target`` is ``("<=", 1.5)``: checked against the value (in ``unit``) or, with
    ``target_of="ratio"``, against the ratio.
    """
    values = [samples] if isinstance(samples, (int, float)) else list(samples)
    value = statistics.median(values)
    base = None
    ratio = None
    if baseline is not None:
        base_name, base_samples = baseline
        base_values = ([base_samples] if isinstance(base_samples, (int, float))
                       else list(base_samples))
        base_value = statistics.median(base_values)
        base = {"name": base_name, "value": base_value * scale}
        ratio = value / base_value if base_value else None
    met = None
    target_doc = None
    if target is not None:
        op, bound = target
        checked = value * scale if target_of == "value" else ratio
        if checked is not None:
            met = checked <= bound if op == "<=" else checked >= bound
        target_doc = {"op": op, "value": bound, "of": target_of}
    return {"name": name, "unit": unit, "value": value * scale, "repeats": len(values),
            "better": better, "baseline": base, "ratio": ratio, "target": target_doc,
            "met": met}


def compare(name: str, candidate: Callable[[], object], baseline_name: str,
            baseline: Callable[[], object], *, repeats: int, number: int = 1, unit: str = "us",
            scale: float = 1e6, target: tuple[str, float] | None = None,
            target_of: str = "value") -> dict:
    """Measure ``candidate`` against ``baseline`` in alternating slices; return the figure."""
    samples = alternate({name: candidate, baseline_name: baseline}, repeats, number)
    return figure(name, samples[name], unit, baseline=(baseline_name, samples[baseline_name]),
                  scale=scale, target=target, target_of=target_of)


def rates(samples: list[float], per_sample: int = 1) -> list[float]:
    """Seconds-per-call samples -> operations-per-second samples (for ``better="higher"``)."""
    return [per_sample / s for s in samples if s > 0]

"""Per-execution framework overhead of the onnxruntime engine on the example models.

What the coordinator asks of the engine for one inference (``prepare`` of the deployed model's
bytes, a cache hit; ``run``; ``fingerprint``, twice) against raw ``InferenceSession.run`` with the
same session options on the same input (the baseline), measured in the same run in alternating
slices, in-process and with worker isolation (warm workers). The overhead is the difference of
the medians; the target is <= 50 us in-process.

    .venv/bin/python benchmarks/onnx_overhead.py [--quick]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

from ispc_framework._limits import ExecutionLimits
from ispc_framework._onnx_safety import tensor_from_array
from ispc_onnxruntime._session import create_session
from ispc_onnxruntime.engine import OnnxRuntimeEngine

MODELS = Path(__file__).resolve().parents[1] / "examples" / "models"
LIMITS = ExecutionLimits()


def _slices(calls: dict, rounds: int, per_slice: int) -> dict[str, float]:
    """Median seconds per call of each, over alternating slices."""
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            began = time.perf_counter()
            for _ in range(per_slice):
                call()
            samples[name].append((time.perf_counter() - began) / per_slice)
    return {name: statistics.median(values) for name, values in samples.items()}


def run(quick: bool = False) -> dict:
    rounds, per_slice = (3, 50) if quick else (9, 400)
    figures = {}
    for name in ("iris_forest", "small_cnn"):
        model = (MODELS / f"{name}.onnx").read_bytes()
        array = np.load(MODELS / f"{name}_input.npy", allow_pickle=False)
        session = create_session(model, "basic")
        input_name = session.get_inputs()[0].name
        tensor = tensor_from_array(input_name, array)
        engines = {isolation: OnnxRuntimeEngine(isolation=isolation)
                   for isolation in ("inprocess", "process")}

        def engine_call(engine):
            def call():
                prepared = engine.prepare(model, LIMITS)
                engine.fingerprint()
                engine.run(prepared, [tensor], LIMITS)
                engine.fingerprint()
            return call
        calls = {"raw session.run": lambda: session.run(None, {input_name: array}),
                 **{f"engine {isolation}": engine_call(engine)
                    for isolation, engine in engines.items()}}
        try:
            for call in calls.values():  # warm: sessions, workers
                call()
            medians = _slices(calls, rounds, per_slice if name == "iris_forest"
                              else per_slice // 4)
        finally:
            for engine in engines.values():
                engine.close()
        base = medians["raw session.run"]
        for label, value in medians.items():
            figures[f"{name}: {label}"] = {"value": value * 1e6, "ratio": value / base,
                                           "overhead_us": (value - base) * 1e6}
    return {"name": "onnx_overhead", "unit": "us per inference",
            "baseline": "raw session.run", "figures": figures,
            "rounds": rounds, "per_slice": per_slice}


def main() -> None:
    report = run("--quick" in sys.argv)
    print(f"{'measure':<40}{'us':>10}{'overhead us':>13}{'vs raw':>9}")
    for label, figure in report["figures"].items():
        print(f"{label:<40}{figure['value']:>10.1f}{figure['overhead_us']:>13.1f}"
              f"{figure['ratio']:>8.1f}x")


if __name__ == "__main__":
    main()

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


def _slices(calls: dict, rounds: int, per_slice: int) -> dict[str, list[float]]:
    """Seconds per call of each, one sample per round, slices alternating (rotating order)."""
    samples: dict[str, list[float]] = {name: [] for name in calls}
    names = list(calls)
    for round_ in range(rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            began = time.perf_counter()
            for _ in range(per_slice):
                calls[name]()
            samples[name].append((time.perf_counter() - began) / per_slice)
    return samples


def _overhead_figure(name: str, candidate: list[float], baseline: list[float],
                     target_us: float | None) -> dict:
    """``ispc.bench.v1`` figure: the candidate's median time minus the baseline's, in us."""
    value = (statistics.median(candidate) - statistics.median(baseline)) * 1e6
    base = statistics.median(baseline)
    return {"name": name, "unit": "us", "value": value, "repeats": len(candidate),
            "better": "lower", "baseline": {"name": "raw session.run", "value": base * 1e6},
            "ratio": statistics.median(candidate) / base if base else None,
            "target": None if target_us is None else {"op": "<=", "value": target_us,
                                                      "of": "value"},
            "met": None if target_us is None else value <= target_us}


def run(quick: bool = False) -> dict:
    rounds, per_slice = (3, 50) if quick else (9, 400)
    figures = []
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
        figures.append(_overhead_figure(f"{name}: framework overhead per inference, in-process",
                                        medians["engine inprocess"], base, 50.0))
        figures.append(_overhead_figure(f"{name}: framework overhead per inference, worker "
                                        "isolation (warm worker)", medians["engine process"],
                                        base, None))
    return {"figures": figures,
            "notes": [f"{rounds} alternating slices; value = median(engine prepare + run + "
                      "2 fingerprints) - median(raw session.run); ratio = their quotient"]}


def main() -> None:
    for item in run("--quick" in sys.argv)["figures"]:
        print(f"{item['name']}: {item['value']:.1f} us (raw {item['baseline']['value']:.1f} us, "
              f"{item['ratio']:.1f}x raw)")


if __name__ == "__main__":
    main()

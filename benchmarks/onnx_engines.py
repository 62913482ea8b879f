"""ONNX engines: session cache hit against miss, and framework overhead against raw onnxruntime.

For each example model (examples/models), measured in this run on this machine:

- prepare, cache miss (a new engine: safe loader + checker + session creation) vs cache hit
  (the same engine again: hash + lookup), in-process and with worker isolation;
- one inference: raw ``onnxruntime.InferenceSession.run`` with the same session options (the
  baseline) vs ``engine.run`` in-process (input checks + canonical tensors + watchdog) vs
  ``engine.run`` in a worker process (plus the pipe round trip and RLIMIT_AS switching);
- the reference evaluator's run against the same baseline.

    python benchmarks/onnx_engines.py [--runs 300]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from ispc_framework._limits import ExecutionLimits
from ispc_framework._onnx_safety import tensor_from_array
from ispc_onnx_reference.engine import ReferenceEngine
from ispc_onnxruntime._session import create_session
from ispc_onnxruntime.engine import OnnxRuntimeEngine

MODELS = Path(__file__).resolve().parents[1] / "examples" / "models"
LIMITS = ExecutionLimits()


def median_us(fn, runs: int) -> float:
    fn()  # warm up
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - began)
    return statistics.median(samples) * 1e6


def bench_model(name: str, runs: int) -> None:
    model = (MODELS / f"{name}.onnx").read_bytes()
    array = np.load(MODELS / f"{name}_input.npy", allow_pickle=False)
    print(f"\n== {name} ({len(model)} bytes, input {array.dtype}{list(array.shape)})")

    for isolation in ("inprocess", "process"):
        misses = []
        for _ in range(max(3, runs // 50)):
            engine = OnnxRuntimeEngine(isolation=isolation)
            if isolation == "process":  # start the worker outside the timed region
                other = "iris_forest" if name == "small_cnn" else "small_cnn"
                engine.prepare((MODELS / f"{other}.onnx").read_bytes())
            began = time.perf_counter()
            engine.prepare(model, LIMITS)
            misses.append(time.perf_counter() - began)
            hit = median_us(lambda: engine.prepare(model, LIMITS), runs)
            engine.close()
        miss = statistics.median(misses) * 1e6
        print(f"prepare {isolation:9s}: miss {miss:9.1f} us   hit {hit:8.1f} us   "
              f"miss/hit {miss / hit:7.1f}x")

    raw = create_session(OnnxRuntimeEngine(isolation="inprocess").prepare(model).model.model_bytes,
                         "basic")
    input_name = raw.get_inputs()[0].name
    baseline = median_us(lambda: raw.run(None, {input_name: array}), runs)
    print(f"run raw onnxruntime     : {baseline:8.1f} us   1.00x (baseline)")
    for label, engine in (("engine in-process", OnnxRuntimeEngine(isolation="inprocess")),
                          ("engine worker process", OnnxRuntimeEngine(isolation="process")),
                          ("reference evaluator", ReferenceEngine())):
        prepared = engine.prepare(model, LIMITS)
        tensors = [tensor_from_array(prepared.model.inputs[0].name, array)]
        cost = median_us(lambda: engine.run(prepared, tensors, LIMITS),
                         runs if "reference" not in label else max(20, runs // 10))
        print(f"run {label:20s}: {cost:8.1f} us   {cost / baseline:5.2f}x")
        if hasattr(engine, "close"):
            engine.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    for name in ("small_cnn", "iris_forest"):
        bench_model(name, args.runs)


if __name__ == "__main__":
    main()

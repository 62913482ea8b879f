"""The ONNX engine suite's golden outputs (ispc_framework/conformance/data/onnx_golden.json) are
what the reference engine (onnxruntime) gives for the shipped example models, and the shipped
models are examples/models. Rewrite the file after a model or onnxruntime change with

    .venv/bin/python tests/test_conformance_onnx_golden.py --write
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "ispc_framework" / "conformance" / "data"


def generate() -> dict:
    import onnx

    from ispc_framework._onnx_safety import tensor_to_array
    from ispc_framework.conformance import onnx_engine
    from ispc_onnxruntime.engine import OnnxRuntimeEngine

    engine = OnnxRuntimeEngine(isolation="inprocess")
    golden = {}
    for name in onnx_engine.EXAMPLES:
        code = (DATA / "onnx" / f"{name}.onnx").read_bytes()
        [graph_input] = onnx.load_model_from_string(code).graph.input
        golden[name] = {"input": graph_input.name}
    (DATA / "onnx_golden.json").write_text(json.dumps(golden))   # inputs first: _run reads them
    for name in onnx_engine.EXAMPLES:
        outputs = onnx_engine._run(engine, name)
        golden[name]["outputs"] = [
            {"name": t.name, "dtype": str(a.dtype), "shape": list(a.shape),
             "values": a.ravel().tolist()}
            for t, a in ((t, tensor_to_array(t)) for t in outputs)]
    return golden


def test_the_shipped_models_are_the_examples():
    for name in ("iris_forest", "small_cnn"):
        for suffix in (".onnx", "_input.npy"):
            assert (DATA / "onnx" / f"{name}{suffix}").read_bytes() == \
                (REPO / "examples" / "models" / f"{name}{suffix}").read_bytes(), name


def test_the_golden_outputs_are_onnxruntimes():
    pytest.importorskip("onnxruntime")
    import numpy as np

    from ispc_framework._onnx_safety import tensor_to_array
    from ispc_framework.conformance import onnx_engine
    from ispc_onnxruntime.engine import OnnxRuntimeEngine

    engine = OnnxRuntimeEngine(isolation="inprocess")
    for name, reference in onnx_engine.load_golden().items():
        outputs = onnx_engine._run(engine, name)
        for tensor, want in zip(outputs, reference["outputs"], strict=True):
            got = tensor_to_array(tensor)
            assert (tensor.name, str(got.dtype), list(got.shape)) == \
                (want["name"], want["dtype"], want["shape"])
            # float kernels differ across CPU classes by a few ULP (docs/onnx.md)
            assert np.allclose(got.ravel(), np.array(want["values"], got.dtype), rtol=1e-6), name


if __name__ == "__main__" and "--write" in sys.argv:
    document = generate()
    (DATA / "onnx_golden.json").write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    print(f"wrote {DATA / 'onnx_golden.json'}")

"""Differential test: the reference evaluator against onnxruntime, on every onnx node-test model
both engines accept (through the same safe loader) and on the example models.

Stated tolerance: integer and bool outputs must be equal; float32/float64 outputs within
``|ort - ref| <= 1e-5 + 1e-4 * |ref|``; float16 within ``1e-3 + 1e-3 * |ref|`` (one half-precision
ULP near 1). Dtypes and shapes must be equal. NaN must match NaN. The two engines never agree
bit for bit on float models (different summation orders), which is why ISPC records the engine
fingerprint and never mixes engines within one verification.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
pytest.importorskip("ispc_onnxruntime")
os.environ.setdefault("ONNX_HOME", tempfile.mkdtemp(prefix="ispc-onnx-home-"))

from onnx.backend.test.loader import load_model_tests  # noqa: E402

from ispc_framework.plugins import ISPCError, ModuleRejected, ValidationError  # noqa: E402
from ispc_framework.plugins import ExecutionLimits  # noqa: E402
from ispc_framework.plugins import tensor_from_array, tensor_to_array  # noqa: E402
from ispc_onnx_reference.engine import ReferenceEngine  # noqa: E402
from ispc_onnxruntime.engine import OnnxRuntimeEngine  # noqa: E402

MODELS = Path(__file__).resolve().parents[3] / "examples" / "models"
LIMITS = ExecutionLimits(memory_bytes=512 << 20, timeout_s=30.0)
TOLERANCE = {"float16": (1e-3, 1e-3), "float32": (1e-4, 1e-5), "float64": (1e-4, 1e-5)}

# Node tests where the engines disagree beyond the tolerance, by reason. Strict: each must
# still disagree, and every other model both engines accept must agree.
KNOWN_DISAGREEMENTS = {
    "FFT: different algorithms, errors grow with the transform size": {
        "test_dft", "test_dft_axis", "test_dft_axis_opset19", "test_dft_inverse",
        "test_dft_inverse_opset19", "test_dft_irfft", "test_dft_irfft_opset19",
        "test_dft_opset19", "test_dft_rfft", "test_dft_rfft_opset19", "test_stft",
        "test_stft_with_window"},
    "seeded random mask: each engine has its own generator": {
        "test_training_dropout", "test_training_dropout_default",
        "test_training_dropout_default_mask", "test_training_dropout_mask"},
    "onnxruntime deviates from the spec's expected outputs (its backend-suite xfails)": {
        "test_maxunpool_export_with_output_shape",
        "test_resize_downsample_scales_cubic_align_corners",
        "test_resize_downsample_scales_linear_align_corners",
        "test_attention_4d_with_past_and_present_qk_matmul_bias_3d_mask_causal",
        "test_attention_4d_with_past_and_present_qk_matmul_bias_4d_mask_causal"},
    "onnxruntime fails at run time where the reference evaluator runs": {
        "test_attention_4d_diff_heads_mask4d_padded_kv", "test_convinteger_with_padding",
        "test_reduce_max_empty_set_bool"},
}


@pytest.fixture(scope="module")
def engines():
    return OnnxRuntimeEngine(isolation="inprocess"), ReferenceEngine()


def disagreement(ours, theirs) -> str | None:
    """None when two output tuples agree within the stated tolerance, else why not."""
    for a, b in zip(ours, theirs, strict=True):
        if (a.name, a.dtype, a.shape) != (b.name, b.dtype, b.shape):
            return f"{a.name}: {a.dtype}{a.shape} vs {b.dtype}{b.shape}"
        x, y = tensor_to_array(a), tensor_to_array(b)
        if a.dtype in TOLERANCE:
            rtol, atol = TOLERANCE[a.dtype]
            if not np.allclose(x.astype(np.float64), y.astype(np.float64), rtol=rtol, atol=atol,
                               equal_nan=True):
                return f"{a.name}: max abs difference {np.nanmax(np.abs(x - y.astype(x.dtype)))}"
        elif not np.array_equal(x, y):
            return f"{a.name}: {a.dtype} values differ"
    return None


def test_engines_agree_on_node_models(engines):
    ort_engine, ref_engine = engines
    compared, disagreeing = 0, {}
    for case in load_model_tests(kind="node"):
        if case.model is None:
            continue
        data = case.model.SerializeToString()
        try:
            prepared = ort_engine.prepare(data, LIMITS), ref_engine.prepare(data, LIMITS)
        except ModuleRejected:
            continue  # one engine does not accept the model: nothing to compare
        for inputs, _expected in case.data_sets:
            try:
                tensors = [tensor_from_array(spec.name, np.asarray(value))
                           for spec, value in zip(prepared[0].model.inputs, inputs)]
            except ValidationError:
                break
            outputs, failures = [], []
            for engine, p in zip(engines, prepared):
                try:
                    outputs.append(engine.run(p, tensors, LIMITS))
                except ISPCError as exc:
                    failures.append(f"{engine.name}: {exc.code}")
            why = ", ".join(failures) if failures else disagreement(*outputs)
            if why:
                disagreeing[case.name] = why
                break
        compared += 1
    known = set().union(*KNOWN_DISAGREEMENTS.values())
    assert compared > 1200  # the comparison covers most of the suite
    assert set(disagreeing) - known == set(), {k: disagreeing[k] for k in set(disagreeing) - known}
    assert known - set(disagreeing) == set(), "these now agree: remove them from the list"


@pytest.mark.parametrize("name", ["small_cnn", "iris_forest"])
def test_engines_agree_on_example_models(engines, name):
    model = (MODELS / f"{name}.onnx").read_bytes()
    base = np.load(MODELS / f"{name}_input.npy", allow_pickle=False)
    rng = np.random.default_rng(0)
    prepared = [engine.prepare(model, LIMITS) for engine in engines]
    for trial in range(20):
        array = base if trial == 0 else (base + rng.normal(0, 0.5, base.shape)).astype(base.dtype)
        tensors = [tensor_from_array(prepared[0].model.inputs[0].name, array)]
        outputs = [engine.run(p, tensors, LIMITS) for engine, p in zip(engines, prepared)]
        assert disagreement(*outputs) is None

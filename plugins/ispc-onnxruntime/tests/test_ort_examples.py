"""examples/models: the build script reproduces the committed files, and they load and run."""

from __future__ import annotations

import importlib.util
from importlib import metadata
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from ispc_framework.plugins import tensor_from_array  # noqa: E402
from ispc_onnxruntime.engine import OnnxRuntimeEngine  # noqa: E402

MODELS = Path(__file__).resolve().parents[3] / "examples" / "models"
# The versions the committed iris_forest.onnx was built with (docs/onnx.md).
FOREST_BUILD_PINS = {"scikit-learn": "1.9.1", "skl2onnx": "1.20.0"}


def build_script():
    spec = importlib.util.spec_from_file_location("ispc_build_models", MODELS / "build_models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cnn_rebuild_is_byte_identical():
    model, image = build_script().build_cnn()
    assert model == (MODELS / "small_cnn.onnx").read_bytes()
    assert np.array_equal(image, np.load(MODELS / "small_cnn_input.npy", allow_pickle=False))


def test_forest_rebuild_is_byte_identical():
    pytest.importorskip("sklearn")
    pytest.importorskip("skl2onnx")
    installed = {name: metadata.version(name) for name in FOREST_BUILD_PINS}
    if installed != FOREST_BUILD_PINS:
        pytest.skip(f"forest bytes are pinned to {FOREST_BUILD_PINS}, installed {installed}")
    model, rows = build_script().build_forest()
    assert model == (MODELS / "iris_forest.onnx").read_bytes()
    assert np.array_equal(rows, np.load(MODELS / "iris_forest_input.npy", allow_pickle=False))


def test_forest_agrees_with_scikit_learn():
    pytest.importorskip("sklearn")
    from sklearn.datasets import load_iris
    from sklearn.ensemble import RandomForestClassifier

    x, y = load_iris(return_X_y=True)
    x = x.astype(np.float32)
    forest = RandomForestClassifier(n_estimators=10, max_depth=4, random_state=0).fit(x, y)
    rows = np.load(MODELS / "iris_forest_input.npy", allow_pickle=False)
    engine = OnnxRuntimeEngine(isolation="inprocess")
    prepared = engine.prepare((MODELS / "iris_forest.onnx").read_bytes())
    label, probabilities = engine.run(prepared, [tensor_from_array("X", rows)])
    assert np.frombuffer(label.data, "<i8").tolist() == forest.predict(rows).tolist()
    assert np.allclose(np.frombuffer(probabilities.data, "<f4").reshape(-1, 3),
                       forest.predict_proba(rows), atol=1e-6)


@pytest.mark.parametrize("name", ["small_cnn", "iris_forest"])
def test_committed_models_pass_the_loader_and_run(name):
    engine = OnnxRuntimeEngine(isolation="inprocess")
    prepared = engine.prepare((MODELS / f"{name}.onnx").read_bytes())
    array = np.load(MODELS / f"{name}_input.npy", allow_pickle=False)
    outputs = engine.run(prepared, [tensor_from_array(prepared.model.inputs[0].name, array)])
    assert [t.name for t in outputs] == [spec.name for spec in prepared.model.outputs]
    assert all(t.shape[0] == array.shape[0] for t in outputs)

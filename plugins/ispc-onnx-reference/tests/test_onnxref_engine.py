"""The reference-evaluator engine: safe loader, determinism, limits it can and cannot enforce,
fingerprint and plugin registration."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")
onnx = pytest.importorskip("onnx")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from ispc_framework.plugins import OnnxEngine  # noqa: E402
from ispc_framework.plugins import (LimitExceeded, ModuleRejected, Timeout, Trap,  # noqa: E402
                                   ValidationError)
from ispc_framework.plugins import ExecutionLimits  # noqa: E402
from ispc_framework.plugins import (tensor_from_array, tensor_to_array)  # noqa: E402
from ispc_framework.testing import inference_digest  # noqa: E402
from ispc_framework.plugins import load_factory  # noqa: E402
from ispc_onnx_reference.engine import ReferenceEngine, reference_policy  # noqa: E402
from ispc_onnx_reference.plugin import ENGINE  # noqa: E402

MODELS = Path(__file__).resolve().parents[3] / "examples" / "models"


def model(nodes, inputs, outputs, initializers=(), opset=21, ir=10, extra_opsets=()) -> bytes:
    built = helper.make_model(helper.make_graph(nodes, "g", inputs, outputs, list(initializers)),
                              opset_imports=[helper.make_opsetid("", opset), *extra_opsets])
    built.ir_version = ir
    return built.SerializeToString()


def vinfo(name, elem=TensorProto.FLOAT, shape=("N",)):
    return helper.make_tensor_value_info(name, elem, list(shape))


@pytest.fixture(scope="module")
def engine():
    return ReferenceEngine()


def test_policy_follows_the_installed_onnx_release():
    from onnx.helper import VERSION_TABLE

    policy = reference_policy()
    assert policy.max_ir_version == VERSION_TABLE[-1][1]
    assert policy.max_opsets[""] == VERSION_TABLE[-1][2]


@pytest.mark.parametrize("name", ["small_cnn", "iris_forest"])
def test_examples_same_bits_100_runs_two_threads(engine, name):
    prepared = engine.prepare((MODELS / f"{name}.onnx").read_bytes())
    array = np.load(MODELS / f"{name}_input.npy", allow_pickle=False)
    inputs = [tensor_from_array(prepared.model.inputs[0].name, array)]

    def one_run(_):
        outputs = engine.run(prepared, inputs)
        digest = inference_digest(prepared.model_hash, inputs, outputs)
        return tuple(t.data for t in outputs), digest

    sequential = [one_run(i) for i in range(100)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        threaded = list(pool.map(one_run, range(100)))
    assert len(set(sequential + threaded)) == 1


@pytest.mark.parametrize("data, code", [
    (b"garbage bytes", "onnx-malformed"),
    (model([helper.make_node("Relu", ["x"], ["y"], domain="com.evil")], [vinfo("x")],
           [vinfo("y")], extra_opsets=[helper.make_opsetid("com.evil", 1)]),
     "onnx-domain-not-allowed"),
    (model([helper.make_node("RandomNormalLike", ["x"], ["y"])], [vinfo("x")], [vinfo("y")]),
     "onnx-nondeterministic-op"),
    (model([helper.make_node("Relu", ["x"], ["y"])], [vinfo("x")], [vinfo("y")], ir=99),
     "onnx-ir-unsupported"),
])
def test_shared_safe_loader_rejects_hostile_models(engine, data, code):
    with pytest.raises(ModuleRejected) as info:
        engine.prepare(data)
    assert info.value.code == code and info.value.hint


def test_external_data_is_rejected(engine, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "w.bin").write_bytes(b"\x00" * 8)
    weight = numpy_helper.from_array(np.zeros(2, np.float32), "w")
    weight.ClearField("raw_data")
    weight.data_location = TensorProto.EXTERNAL
    entry = weight.external_data.add()
    entry.key, entry.value = "location", "w.bin"
    data = model([helper.make_node("Add", ["x", "w"], ["y"])], [vinfo("x", shape=(2,))],
                 [vinfo("y", shape=(2,))], [weight])
    with pytest.raises(ModuleRejected) as info:
        engine.prepare(data)
    assert info.value.code == "onnx-external-data"


def test_input_signature_and_caps(engine):
    prepared = engine.prepare(model([helper.make_node("Relu", ["x"], ["y"])], [vinfo("x")],
                                    [vinfo("y")]))
    with pytest.raises(ValidationError) as info:
        engine.run(prepared, [tensor_from_array("x", np.zeros(3, np.float64))])
    assert info.value.code == "onnx-input-dtype"
    with pytest.raises(LimitExceeded):
        engine.run(prepared, [tensor_from_array("x", np.zeros(64, np.float32))],
                   ExecutionLimits(max_tensor_bytes=100))
    (y,) = engine.run(prepared, [tensor_from_array("x", np.array([-1.0, 2.0], np.float32))])
    assert tensor_to_array(y).tolist() == [0.0, 2.0]


def test_runtime_failure_is_a_trap(engine):
    shape_in = vinfo("shape", TensorProto.INT64, (2,))
    prepared = engine.prepare(model([helper.make_node("Reshape", ["x", "shape"], ["y"])],
                                    [vinfo("x"), shape_in], [vinfo("y", shape=("a", "b"))]))
    x = tensor_from_array("x", np.zeros(6, np.float32))
    with pytest.raises(Trap) as info:
        engine.run(prepared, [x, tensor_from_array("shape", np.array([4, 4], np.int64))])
    assert info.value.code == "onnx-run-failed"


def test_timeout_is_checked_after_the_run(engine):
    body = helper.make_graph(
        [helper.make_node("Identity", ["c"], ["c_out"]), helper.make_node("Neg", ["v"], ["v_out"])],
        "body", [vinfo("i", TensorProto.INT64, ()), vinfo("c", TensorProto.BOOL, ()),
                 vinfo("v", shape=())],
        [vinfo("c_out", TensorProto.BOOL, ()), vinfo("v_out", shape=())])
    loop = model([helper.make_node("Loop", ["n", "cond", "v0"], ["y"], body=body)],
                 [vinfo("n", TensorProto.INT64, ()), vinfo("cond", TensorProto.BOOL, ()),
                  vinfo("v0", shape=())], [vinfo("y", shape=())])
    prepared = engine.prepare(loop)
    inputs = [tensor_from_array("n", np.array(3000, np.int64)),
              tensor_from_array("cond", np.array(True)),
              tensor_from_array("v0", np.array(1.0, np.float32))]
    assert tensor_to_array(engine.run(prepared, inputs)[0]) == 1.0
    with pytest.raises(Timeout):
        engine.run(prepared, inputs, ExecutionLimits(timeout_s=1e-4))


def test_identity_protocol_and_registration(engine):
    assert isinstance(engine, OnnxEngine)
    fields = engine.fingerprint_fields()
    assert fields["onnx"] == metadata.version("onnx") and fields["cpu_isa"]
    assert f"onnx={fields['onnx']}" in engine.fingerprint()
    assert not {"hard-timeout", "memory-limit"} & engine.capabilities()
    assert ENGINE.name == "onnx-reference"
    assert isinstance(load_factory(ENGINE)({"cache_size": 4}), ReferenceEngine)
    assert "ispc_onnx_reference.plugin" in {
        ep.value for ep in metadata.entry_points(group="ispc.plugins")}
    code = ("import sys, ispc_onnx_reference.plugin as p; p.ispc_register_engines(); "
            "print(sorted(m for m in ('numpy', 'onnx') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

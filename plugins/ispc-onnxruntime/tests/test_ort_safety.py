"""The safe loader, input enforcement and canonical tensors (ispc_framework._onnx_safety), with
hostile models sent through the onnxruntime engine: each gets a typed error with a stable code and
a hint, and none of them reaches onnxruntime (no worker process is ever started)."""

from __future__ import annotations

import random

import pytest

np = pytest.importorskip("numpy")
onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from ispc_framework.plugins import (ISPCError, LimitExceeded, ModuleRejected,  # noqa: E402
                                   ValidationError)
from ispc_framework.plugins import ExecutionLimits  # noqa: E402
from ispc_framework.plugins import Tensor  # noqa: E402
from ispc_framework.plugins import (ModelPolicy, canonical_tensor_bytes,  # noqa: E402
                                        coerce_limits, cpu_isa_class, load_checked_model,
                                        model_hash, tensor_from_array,
                                        tensor_to_array, validate_inputs)
from ispc_framework.testing import inference_digest  # noqa: E402
from ispc_onnxruntime.engine import ORT_POLICY, OnnxRuntimeEngine  # noqa: E402

LIMITS = ExecutionLimits()


def make_model(nodes, inputs, outputs, initializers=(), opset=21, ir=10, extra_opsets=(),
               **kwargs) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset),
                                                    *extra_opsets], **kwargs)
    model.ir_version = ir
    return model


def vinfo(name, elem=TensorProto.FLOAT, shape=("N", 2)):
    return helper.make_tensor_value_info(name, elem, list(shape))


def add_model(**kwargs) -> onnx.ModelProto:
    """y = x + w, with the weight w also listed as a graph input (overridable in raw onnx)."""
    w = numpy_helper.from_array(np.array([1.0, 2.0], np.float32), "w")
    return make_model([helper.make_node("Add", ["x", "w"], ["y"])],
                      [vinfo("x"), vinfo("w", shape=(2,))], [vinfo("y")], [w], **kwargs)


def external(tensor: TensorProto, location: str = "secret.bin") -> TensorProto:
    tensor.ClearField("raw_data")
    tensor.data_location = TensorProto.EXTERNAL
    entry = tensor.external_data.add()
    entry.key, entry.value = "location", location
    return tensor


def check(model_or_bytes, limits=LIMITS, policy=ORT_POLICY):
    data = (model_or_bytes if isinstance(model_or_bytes, bytes)
            else model_or_bytes.SerializeToString())
    return load_checked_model(data, policy, limits)


def assert_typed(exc: ISPCError, code: str) -> None:
    assert exc.code == code, exc
    assert exc.hint and exc.hint != ISPCError.hint
    assert str(exc).endswith(f"[{code}]")


# ----------------------------------------------------------------------------- hostile models


def external_initializer_model():
    w = external(numpy_helper.from_array(np.zeros(2, np.float32), "w"))
    return make_model([helper.make_node("Add", ["x", "w"], ["y"])], [vinfo("x")], [vinfo("y")], [w])


def external_in_if_branch_model():
    hidden = external(numpy_helper.from_array(np.zeros(2, np.float32), "c"))
    then_branch = helper.make_graph([helper.make_node("Constant", [], ["t"], value=hidden)],
                                    "then", [], [vinfo("t", shape=(2,))])
    else_branch = helper.make_graph([helper.make_node("Constant", [], ["e"], value=numpy_helper
                                     .from_array(np.ones(2, np.float32), "o"))],
                                    "else", [], [vinfo("e", shape=(2,))])
    node = helper.make_node("If", ["cond"], ["y"], then_branch=then_branch, else_branch=else_branch)
    return make_model([node], [vinfo("cond", TensorProto.BOOL, ())], [vinfo("y", shape=(2,))])


def external_in_constant_model():
    value = external(numpy_helper.from_array(np.zeros(2, np.float32), "c"))
    return make_model([helper.make_node("Constant", [], ["c"], value=value),
                       helper.make_node("Add", ["x", "c"], ["y"])], [vinfo("x")], [vinfo("y")])


def foreign_domain_model():
    return make_model([helper.make_node("Relu", ["x"], ["y"], domain="com.evil")],
                      [vinfo("x")], [vinfo("y")], extra_opsets=[helper.make_opsetid("com.evil", 1)])


def contrib_op_model():
    # com.microsoft contrib ops exist in onnxruntime, but are outside the allow list.
    return make_model([helper.make_node("FastGelu", ["x"], ["y"], domain="com.microsoft")],
                      [vinfo("x")], [vinfo("y")],
                      extra_opsets=[helper.make_opsetid("com.microsoft", 1)])


def gigabyte_constant_model():
    shape = numpy_helper.from_array(np.array([65536, 65536], np.int64), "shape")
    return make_model([helper.make_node("ConstantOfShape", ["shape"], ["y"])], [],
                      [vinfo("y", shape=(65536, 65536))], [shape])


def local_function_model():
    function = helper.make_function("custom", "MyRelu", ["a"], ["b"],
                                    [helper.make_node("Relu", ["a"], ["b"])],
                                    [helper.make_opsetid("", 21)])
    return make_model([helper.make_node("MyRelu", ["x"], ["y"], domain="custom")],
                      [vinfo("x")], [vinfo("y")], functions=[function],
                      extra_opsets=[helper.make_opsetid("custom", 1)])


def unseeded_random_model():
    return make_model([helper.make_node("RandomUniformLike", ["x"], ["y"])], [vinfo("x")],
                      [vinfo("y")])


HOSTILE = {
    "malformed-bytes": (lambda: b"\x08\x07\x12\x03not a model", "onnx-malformed"),
    "random-bytes": (lambda: random.Random(7).randbytes(4096), "onnx-malformed"),
    "empty-bytes": (lambda: b"", "onnx-malformed"),
    "truncated-model": (lambda: add_model().SerializeToString()[:40], "onnx-malformed"),
    "external-initializer": (external_initializer_model, "onnx-external-data"),
    "external-in-if-branch": (external_in_if_branch_model, "onnx-external-data"),
    "external-in-constant": (external_in_constant_model, "onnx-external-data"),
    "foreign-domain": (foreign_domain_model, "onnx-domain-not-allowed"),
    "contrib-op": (contrib_op_model, "onnx-domain-not-allowed"),
    "gigabyte-constant": (gigabyte_constant_model, "onnx-tensor-too-large"),
    "local-function": (local_function_model, "onnx-domain-not-allowed"),
    "ir-too-new": (lambda: add_model(ir=14), "onnx-ir-unsupported"),
    "ir-too-old": (lambda: add_model(ir=3), "onnx-ir-unsupported"),
    "opset-too-new": (lambda: add_model(opset=27), "onnx-opset-unsupported"),
    "ml-opset-too-new": (lambda: add_model(extra_opsets=[helper.make_opsetid("ai.onnx.ml", 6)]),
                         "onnx-opset-unsupported"),
    "unseeded-random": (unseeded_random_model, "onnx-nondeterministic-op"),
    "undefined-input": (lambda: make_model([helper.make_node("Add", ["x", "nowhere"], ["y"])],
                                           [vinfo("x")], [vinfo("y")]), "onnx-checker-failed"),
    "string-input": (lambda: make_model([helper.make_node("Identity", ["x"], ["y"])],
                                        [vinfo("x", TensorProto.STRING)],
                                        [vinfo("y", TensorProto.STRING)]),
                     "onnx-unsupported-io-type"),
    "sequence-output": (lambda: make_model(
        [helper.make_node("SequenceConstruct", ["x"], ["y"])], [vinfo("x")],
        [helper.make_tensor_sequence_value_info("y", TensorProto.FLOAT, ["N", 2])]),
        "onnx-unsupported-io-type"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_model_rejected_before_onnxruntime(case):
    build, code = HOSTILE[case]
    built = build()
    data = built if isinstance(built, bytes) else built.SerializeToString()
    engine = OnnxRuntimeEngine(isolation="process")
    try:
        with pytest.raises(ModuleRejected) as info:
            engine.prepare(data, LIMITS)
        assert_typed(info.value, code)
        assert engine.worker_starts == 0  # nothing was handed to onnxruntime
    finally:
        engine.close()


def test_checker_alone_accepts_what_the_loader_rejects(tmp_path, monkeypatch):
    # Why the loader's own walks exist: onnx.checker passes these models as soon as the named
    # file exists in the working directory.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "secret.bin").write_bytes(np.array([42.0, 43.0], np.float32).tobytes())
    onnx.checker.check_model(external_initializer_model())
    onnx.checker.check_model(external_in_if_branch_model())
    onnx.checker.check_model(foreign_domain_model())


def test_external_data_file_in_working_directory_is_never_read(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "secret.bin").write_bytes(np.array([42.0, 43.0], np.float32).tobytes())
    engine = OnnxRuntimeEngine(isolation="inprocess")
    with pytest.raises(ModuleRejected) as info:
        engine.prepare(external_initializer_model().SerializeToString(), LIMITS)
    assert_typed(info.value, "onnx-external-data")
    assert engine._sessions.misses == 0


def test_oversized_model_rejected_before_parsing():
    model = add_model().SerializeToString()
    with pytest.raises(ModuleRejected) as info:
        check(model, ExecutionLimits(max_model_bytes=len(model) - 1))
    assert_typed(info.value, "onnx-model-too-large")
    assert info.value.details["size"] == len(model)
    engine = OnnxRuntimeEngine(isolation="process")
    with pytest.raises(ModuleRejected):
        engine.prepare(b"\x00" * 2048, ExecutionLimits(max_model_bytes=1024))
    assert engine.worker_starts == 0


def test_static_size_guard_uses_the_memory_cap():
    shape = numpy_helper.from_array(np.array([1024, 1024], np.int64), "shape")
    model = make_model([helper.make_node("ConstantOfShape", ["shape"], ["y"])], [],
                       [vinfo("y", shape=(1024, 1024))], [shape])
    check(model, ExecutionLimits(memory_bytes=8 << 20))  # 4 MiB fits
    with pytest.raises(ModuleRejected) as info:
        check(model, ExecutionLimits(memory_bytes=2 << 20))
    assert_typed(info.value, "onnx-tensor-too-large")


def test_seeded_random_and_inference_dropout_are_accepted():
    seeded = make_model([helper.make_node("RandomUniformLike", ["x"], ["y"], seed=3.0)],
                        [vinfo("x")], [vinfo("y")])
    check(seeded)
    dropout = make_model([helper.make_node("Dropout", ["x"], ["y"])], [vinfo("x")], [vinfo("y")])
    check(dropout)
    training = make_model([helper.make_node("Dropout", ["x", "", "train"], ["y"])],
                          [vinfo("x"), vinfo("train", TensorProto.BOOL, ())], [vinfo("y")])
    with pytest.raises(ModuleRejected) as info:
        check(training)
    assert_typed(info.value, "onnx-nondeterministic-op")


def test_policy_domains_are_configurable():
    strict = ModelPolicy(max_ir_version=13, max_opsets={"": 26}, allowed_domains=frozenset({""}))
    model = add_model(extra_opsets=[helper.make_opsetid("ai.onnx.ml", 3)])
    check(model)
    with pytest.raises(ModuleRejected) as info:
        check(model, policy=strict)
    assert_typed(info.value, "onnx-domain-not-allowed")


def test_loader_rejects_non_bytes_and_wrong_limits():
    with pytest.raises(ValidationError):
        load_checked_model("a string", ORT_POLICY, LIMITS)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        coerce_limits({"timeout_s": 1})


# ---------------------------------------------------------------------- initialisers, signature


def test_initializers_are_stripped_from_graph_inputs():
    checked = check(add_model())
    assert [spec.name for spec in checked.inputs] == ["x"]
    rewritten = onnx.load_model_from_string(checked.model_bytes)
    assert [v.name for v in rewritten.graph.input] == ["x"]
    assert checked.model_hash == model_hash(add_model().SerializeToString())


def test_caller_cannot_override_weights():
    engine = OnnxRuntimeEngine(isolation="inprocess")
    prepared = engine.prepare(add_model().SerializeToString(), LIMITS)
    x = tensor_from_array("x", np.zeros((1, 2), np.float32))
    evil = tensor_from_array("w", np.full(2, 1000.0, np.float32))
    with pytest.raises(ValidationError) as info:
        engine.run(prepared, [x, evil], LIMITS)
    assert_typed(info.value, "onnx-input-unknown")
    (y,) = engine.run(prepared, [x], LIMITS)
    assert tensor_to_array(y).tolist() == [[1.0, 2.0]]


def two_input_model():
    return make_model([helper.make_node("Add", ["a", "b"], ["y"])],
                      [vinfo("a", shape=("N", 2)), vinfo("b", shape=("N", 2))], [vinfo("y")])


def f32(name, shape):
    return tensor_from_array(name, np.zeros(shape, np.float32))


@pytest.mark.parametrize("inputs, code", [
    ([f32("a", (1, 2))], "onnx-input-missing"),
    ([f32("a", (1, 2)), f32("b", (1, 2)), f32("c", (1, 2))], "onnx-input-unknown"),
    ([f32("a", (1, 2)), f32("a", (1, 2))], "onnx-input-duplicate"),
    ([f32("a", (1, 2)), tensor_from_array("b", np.zeros((1, 2), np.float64))], "onnx-input-dtype"),
    ([f32("a", (1, 2)), f32("b", (2,))], "onnx-input-shape"),
    ([f32("a", (1, 2)), f32("b", (1, 3))], "onnx-input-shape"),
    ([f32("a", (1, 2)), f32("b", (2, 2))], "onnx-input-shape"),  # symbolic N differs
])
def test_input_signature_enforced(inputs, code):
    checked = check(two_input_model())
    with pytest.raises(ValidationError) as info:
        validate_inputs(checked, inputs, LIMITS)
    assert_typed(info.value, code)


def test_inputs_come_back_in_declared_order():
    checked = check(two_input_model())
    a, b = f32("a", (3, 2)), f32("b", (3, 2))
    assert validate_inputs(checked, [b, a], LIMITS) == (a, b)


def test_input_cap_is_a_limit_error():
    checked = check(two_input_model())
    big = [f32("a", (64, 2)), f32("b", (64, 2))]
    with pytest.raises(LimitExceeded) as info:
        validate_inputs(checked, big, ExecutionLimits(max_tensor_bytes=256))
    assert_typed(info.value, "onnx-input-too-large")


def test_non_tensor_inputs_rejected():
    checked = check(two_input_model())
    with pytest.raises(ValidationError):
        validate_inputs(checked, [np.zeros((1, 2), np.float32)], LIMITS)  # type: ignore[list-item]


# ----------------------------------------------------------------------- canonical tensors, hash


def test_canonical_tensors_are_little_endian_c_order():
    array = np.arange(6, dtype=">i4").reshape(2, 3).T  # big-endian and not C-contiguous
    tensor = tensor_from_array("t", array)
    assert tensor.dtype == "int32" and tensor.shape == (3, 2)
    assert tensor.data == np.ascontiguousarray(array, dtype="<i4").tobytes()
    assert np.array_equal(tensor_to_array(tensor), array)


def test_unsupported_dtypes_and_bad_bool_bytes_rejected():
    for array in (np.zeros(2, np.complex64), np.array(["a", "b"])):
        with pytest.raises(ValidationError) as info:
            tensor_from_array("t", array)
        assert_typed(info.value, "onnx-unsupported-dtype")
    with pytest.raises(ValidationError) as info:
        tensor_to_array(Tensor(name="b", dtype="bool", shape=(2,), data=b"\x01\x02"))
    assert_typed(info.value, "onnx-input-dtype")


def test_result_hash_commits_to_model_inputs_and_outputs():
    model = model_hash(b"model")
    x = tensor_from_array("x", np.array([1.0, 2.0], np.float32))
    y = tensor_from_array("y", np.array([3.0], np.float32))
    base = inference_digest(model, [x], [y])
    assert base == inference_digest(model, [x], [y]) and len(base) == 32
    flipped = Tensor(name="y", dtype="float32", shape=(1,),
                     data=bytes([y.data[0] ^ 1]) + y.data[1:])
    variants = [
        inference_digest(model_hash(b"other model"), [x], [y]),
        inference_digest(model, [x], [flipped]),
        inference_digest(model, [tensor_from_array("x2", np.array([1.0, 2.0], np.float32))], [y]),
        inference_digest(model, [tensor_from_array("x", np.array([[1.0, 2.0]], np.float32))], [y]),
        inference_digest(model, [x, y], []),  # same tensors, other split: length-prefixed lists
        inference_digest(model, [], [x, y]),
        inference_digest(model, [y], [x]),
    ]
    assert len({base, *variants}) == len(variants) + 1
    with pytest.raises(ValidationError):
        inference_digest(b"short", [x], [y])


def test_canonical_tensor_bytes_are_self_delimiting():
    a = Tensor(name="ab", dtype="uint8", shape=(1,), data=b"c")
    b = Tensor(name="a", dtype="uint8", shape=(1,), data=b"b")
    assert canonical_tensor_bytes(a) != canonical_tensor_bytes(b)
    assert canonical_tensor_bytes(a).endswith(b"c")


def test_cpu_isa_class_names_the_machine():
    import platform

    isa = cpu_isa_class()
    assert isa.split("-")[0] in (platform.machine().lower(), "x86_64", "aarch64")


def test_core_module_imports_without_onnx_or_numpy():
    import subprocess
    import sys

    code = ("import sys, ispc_framework._onnx_safety; "
            "print(sorted(m for m in ('numpy', 'onnx', 'onnxruntime') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

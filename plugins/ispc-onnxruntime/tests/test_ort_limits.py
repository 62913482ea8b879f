"""Limits of the onnxruntime engine: terminate watchdog, hard kill of one long kernel, memory cap
(RLIMIT_AS in the worker), tensor caps, and runtime failures as typed errors."""

from __future__ import annotations

import time

import pytest

np = pytest.importorskip("numpy")
onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from ispc_framework.plugins import (LimitExceeded, MemoryLimitExceeded, Timeout,  # noqa: E402
                                   Trap)
from ispc_framework.plugins import ExecutionLimits  # noqa: E402
from ispc_framework.plugins import tensor_from_array, tensor_to_array  # noqa: E402
from ispc_onnxruntime.engine import OnnxRuntimeEngine  # noqa: E402

MiB = 1 << 20
GRACE = 1.0  # kill_grace_s: generous, so a loaded machine cannot turn a soft stop into a kill
ONE = numpy_helper.from_array(np.array([1.0], np.float32))


def model(nodes, inputs, outputs, initializers=()) -> bytes:
    built = helper.make_model(helper.make_graph(nodes, "g", inputs, outputs, list(initializers)),
                              opset_imports=[helper.make_opsetid("", 21)])
    built.ir_version = 10
    return built.SerializeToString()


SHAPE_IN = helper.make_tensor_value_info("shape", TensorProto.INT64, [2])
MATRIX_OUT = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["a", "b"])

# The caller picks the shape, so neither the loader's static guard nor constant folding sees it.
FILL = model([helper.make_node("ConstantOfShape", ["shape"], ["y"], value=ONE)], [SHAPE_IN],
             [MATRIX_OUT])
# A single MatMul kernel: for a 4000 x 4000 input, 128 GFLOP (seconds on one core), and as the
# only node nothing lets RunOptions.terminate in before the kill timer.
SQUARE = model([helper.make_node("MatMul", ["x", "x"], ["y"])],
               [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", "n"])], [MATRIX_OUT])


def _loop_model() -> bytes:
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"]),
         helper.make_node("Add", ["acc_in", "step"], ["acc_out"])], "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("acc_in", TensorProto.FLOAT, [])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("acc_out", TensorProto.FLOAT, [])],
        [numpy_helper.from_array(np.array(1.0, np.float32), "step")])
    return model([helper.make_node("Loop", ["n", "cond", "start"], ["y"], body=body)],
                 [helper.make_tensor_value_info("n", TensorProto.INT64, []),
                  helper.make_tensor_value_info("cond", TensorProto.BOOL, []),
                  helper.make_tensor_value_info("start", TensorProto.FLOAT, [])],
                 [helper.make_tensor_value_info("y", TensorProto.FLOAT, [])])


LOOP = _loop_model()


def loop_inputs(n: int):
    return [tensor_from_array("n", np.array(n, np.int64)),
            tensor_from_array("cond", np.array(True)),
            tensor_from_array("start", np.array(0.0, np.float32))]


def shape(*dims: int):
    return [tensor_from_array("shape", np.array(dims, np.int64))]


@pytest.fixture(scope="module")
def worker_engine():
    engine = OnnxRuntimeEngine(isolation="process", kill_grace_s=GRACE)
    yield engine
    engine.close()


def test_loop_stops_at_timeout_and_worker_survives(worker_engine):
    limits = ExecutionLimits(timeout_s=0.3)
    prepared = worker_engine.prepare(LOOP, limits)
    (y,) = worker_engine.run(prepared, loop_inputs(1000), limits)
    assert tensor_to_array(y) == 1000.0
    starts = worker_engine.worker_starts
    began = time.monotonic()
    with pytest.raises(Timeout) as info:
        worker_engine.run(prepared, loop_inputs(10**12), limits)
    assert time.monotonic() - began < 0.3 + GRACE  # the terminate flag, before the kill timer
    assert info.value.code == "timeout" and "hard_kill" not in info.value.details
    assert worker_engine.worker_starts == starts  # same worker, session still usable
    assert tensor_to_array(worker_engine.run(prepared, loop_inputs(5), limits)[0]) == 5.0


def test_one_long_kernel_is_killed(worker_engine):
    limits = ExecutionLimits(timeout_s=0.3, memory_bytes=512 * MiB, max_tensor_bytes=128 * MiB)
    prepared = worker_engine.prepare(SQUARE, limits)
    ones = tensor_from_array("x", np.ones((2, 2), np.float32))
    assert tensor_to_array(worker_engine.run(prepared, [ones], limits)[0]).tolist() == [[2.0, 2.0],
                                                                                       [2.0, 2.0]]
    starts = worker_engine.worker_starts
    # 5600^2 floats fit max_tensor_bytes; 2 * 5600^3 flops take seconds even on a fast core (4000
    # once finished inside the 1.3 s a kill needs on a quiet machine)
    big = tensor_from_array("x", np.ones((5600, 5600), np.float32))
    began = time.monotonic()
    with pytest.raises(Timeout) as info:
        worker_engine.run(prepared, [big], limits)
    elapsed = time.monotonic() - began
    assert info.value.details.get("hard_kill") is True
    assert 0.3 + GRACE <= elapsed < 0.3 + GRACE + 3.0  # the kill timer (+ slack for load)
    # The next run gets a fresh worker (which loads the session again) and works.
    assert tensor_to_array(worker_engine.run(prepared, [ones], limits)[0])[0, 0] == 2.0
    assert worker_engine.worker_starts == starts + 1


def test_memory_cap_stops_a_caller_chosen_shape(worker_engine):
    limits = ExecutionLimits(memory_bytes=256 * MiB, max_tensor_bytes=4096 * MiB)
    prepared = worker_engine.prepare(FILL, limits)
    starts = worker_engine.worker_starts
    with pytest.raises(MemoryLimitExceeded) as info:
        worker_engine.run(prepared, shape(20000, 20000), limits)  # 1.6 GB of float32
    assert info.value.code == "memory-limit"
    assert worker_engine.worker_starts == starts  # a clean allocation failure, no crash
    (y,) = worker_engine.run(prepared, shape(100, 100), limits)  # 40 kB is fine
    assert tensor_to_array(y).shape == (100, 100)


@pytest.mark.parametrize("isolation", ["process", "inprocess"])
def test_output_cap(isolation):
    engine = OnnxRuntimeEngine(isolation=isolation)
    try:
        limits = ExecutionLimits(max_tensor_bytes=1024)
        prepared = engine.prepare(FILL, limits)
        engine.run(prepared, shape(16, 16), limits)  # exactly 1024 bytes
        with pytest.raises(LimitExceeded) as info:
            engine.run(prepared, shape(16, 17), limits)
        assert info.value.code == "onnx-output-too-large"
    finally:
        engine.close()


@pytest.mark.parametrize("isolation", ["process", "inprocess"])
def test_runtime_failure_is_a_trap(isolation):
    reshape = model([helper.make_node("Reshape", ["x", "shape"], ["y"])],
                    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n"]), SHAPE_IN],
                    [MATRIX_OUT])
    engine = OnnxRuntimeEngine(isolation=isolation)
    try:
        prepared = engine.prepare(reshape, ExecutionLimits())
        x = tensor_from_array("x", np.zeros(6, np.float32))
        assert tensor_to_array(engine.run(prepared, [x, *shape(2, 3)])[0]).shape == (2, 3)
        with pytest.raises(Trap) as info:
            engine.run(prepared, [x, *shape(4, 4)])
        assert info.value.code == "onnx-run-failed" and info.value.hint
    finally:
        engine.close()


def test_inprocess_loop_timeout():
    engine = OnnxRuntimeEngine(isolation="inprocess")
    limits = ExecutionLimits(timeout_s=0.2)
    prepared = engine.prepare(LOOP, limits)
    with pytest.raises(Timeout):
        engine.run(prepared, loop_inputs(10**12), limits)
    assert tensor_to_array(engine.run(prepared, loop_inputs(3), limits)[0]) == 3.0
    assert "hard-timeout" not in engine.capabilities()
    assert "memory-limit" not in engine.capabilities()

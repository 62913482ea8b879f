"""The ONNX engines behind the core coordinator: a stored model resource, executed 100 times on
2 threads against the same pinned head, gives the same outputs, trace root and result hash every
time, writes nothing, and commits to the engine's fingerprint."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from ispc_framework import (Coordinator, ExecutionRequest, MemoryRepository,  # noqa: E402
                            ResourceCategory, ResourceOutput, SealedDraft, TxOutput, devnet_key,
                            load_config, sign_request)
from ispc_framework.plugins import ModuleRejected, ValidationError  # noqa: E402
from ispc_framework.plugins import tensor_from_array, tensor_to_array  # noqa: E402
from ispc_framework.plugins import genesis_hash_of  # noqa: E402

MODELS = Path(__file__).resolve().parents[3] / "examples" / "models"
OWNER = b"\x11" * 32
KEY = devnet_key("alice")


def signed(request):
    return sign_request(request, [KEY], chain_id="test",
                        genesis_hash=genesis_hash_of("test", 1000, []), valid_until=2**64 - 1)


def coordinator_with(engine: str, content: bytes, **settings):
    overrides = {"engine.onnx.name": engine, "trace.sinks": "[]",
                 **{f"plugin.{engine}.{k}": v for k, v in settings.items()}}
    config = load_config(overrides=overrides, search_cwd=False, environ={})
    repository = MemoryRepository()
    coordinator = Coordinator(config, repository=repository)
    writer = repository.writer()
    writer.create_genesis("test", 1000, [])
    key = writer.store_resource(content)
    writer.apply(SealedDraft((), (TxOutput(OWNER, resource=ResourceOutput(
        key, ResourceCategory.AI_MODEL, "application/onnx", len(content), "model")),), ()))
    return coordinator, key


@pytest.mark.parametrize("engine, settings", [("onnxruntime", {"isolation": "process"}),
                                              ("onnxruntime", {"isolation": "inprocess"}),
                                              ("onnx-reference", {})])
def test_model_execution_is_deterministic_and_writes_nothing(engine, settings):
    content = (MODELS / "small_cnn.onnx").read_bytes()
    image = np.load(MODELS / "small_cnn_input.npy", allow_pickle=False)
    coordinator, key = coordinator_with(engine, content, **settings)
    try:
        request = signed(ExecutionRequest(key, "onnx.run",
                                          tensors=(tensor_from_array("image", image),)))
        view = coordinator.repository.view()
        revision = view.revision()
        first = coordinator.execute_model(request, prove=False)
        # 100 runs on 2 threads: the same outputs, trace root and result hash every time.
        with ThreadPoolExecutor(max_workers=2) as pool:
            runs = list(pool.map(lambda _: coordinator.execute_model(request, prove=False),
                                 range(100)))
        assert view.revision() == revision
        assert {(r.outputs, r.trace_root, r.execution_result_hash) for r in runs} == {
            (first.outputs, first.trace_root, first.execution_result_hash)}
        assert first.engine == engine
        assert first.engine_fingerprint == coordinator.onnx_engine().fingerprint()
        assert tensor_to_array(first.outputs[0]).shape == (2, 3)
        other = coordinator.execute_model(signed(ExecutionRequest(
            key, "onnx.run", tensors=(tensor_from_array("image", image * 2),))), prove=False)
        assert other.execution_result_hash != first.execution_result_hash
    finally:
        coordinator.close()


def test_hostile_model_resource_and_bad_inputs_are_typed_errors():
    coordinator, key = coordinator_with("onnxruntime", b"\x08\x07garbage", isolation="inprocess")
    try:
        with pytest.raises(ModuleRejected) as info:
            coordinator.execute_model(signed(ExecutionRequest(key, "onnx.run")), prove=False)
        assert info.value.code == "onnx-malformed"
    finally:
        coordinator.close()
    content = (MODELS / "small_cnn.onnx").read_bytes()
    coordinator, key = coordinator_with("onnxruntime", content, isolation="inprocess")
    try:
        with pytest.raises(ValidationError) as info:
            coordinator.execute_model(signed(ExecutionRequest(key, "onnx.run", tensors=(
                tensor_from_array("image", np.zeros((1, 1, 8, 8), np.float64)),))), prove=False)
        assert info.value.code == "onnx-input-dtype"
        assert coordinator.contexts.stats().active == 0
    finally:
        coordinator.close()

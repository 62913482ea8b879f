"""The onnxruntime engine: example models, determinism across runs, threads and isolation modes,
fingerprint, session cache, and its registration as an ISPC plugin."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from ispc_framework.plugins import OnnxEngine  # noqa: E402
from ispc_framework.plugins import ValidationError  # noqa: E402
from ispc_framework.plugins import ExecutionLimits  # noqa: E402
from ispc_framework.plugins import (tensor_from_array, tensor_to_array)  # noqa: E402
from ispc_framework.testing import inference_digest  # noqa: E402
from ispc_framework.plugins import load_factory  # noqa: E402
from ispc_onnxruntime.engine import OnnxRuntimeEngine, PreparedModel  # noqa: E402
from ispc_onnxruntime.plugin import ENGINE  # noqa: E402

MODELS = Path(__file__).resolve().parents[3] / "examples" / "models"
LIMITS = ExecutionLimits()


def example(name: str):
    model = (MODELS / f"{name}.onnx").read_bytes()
    array = np.load(MODELS / f"{name}_input.npy", allow_pickle=False)
    return model, array


@pytest.fixture(scope="module")
def worker_engine():
    engine = OnnxRuntimeEngine(isolation="process", workers=2)
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def inprocess_engine():
    return OnnxRuntimeEngine(isolation="inprocess")


def run_example(engine, name: str):
    model, array = example(name)
    prepared = engine.prepare(model, LIMITS)
    inputs = [tensor_from_array(prepared.model.inputs[0].name, array)]
    outputs = engine.run(prepared, inputs, LIMITS)
    return prepared, inputs, outputs


def test_examples_run_with_sensible_outputs(inprocess_engine):
    _, _, (label, probabilities) = run_example(inprocess_engine, "iris_forest")
    assert label.dtype == "int64" and label.shape == (5,)
    assert set(tensor_to_array(label).tolist()) <= {0, 1, 2}
    assert np.allclose(tensor_to_array(probabilities).sum(axis=1), 1.0, atol=1e-5)
    _, _, (cnn,) = run_example(inprocess_engine, "small_cnn")
    assert cnn.shape == (2, 3)
    assert np.allclose(tensor_to_array(cnn).sum(axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("name", ["small_cnn", "iris_forest"])
def test_same_bits_100_runs_two_threads_both_isolations(name, worker_engine, inprocess_engine):
    model, array = example(name)
    reference = None
    for engine in (inprocess_engine, worker_engine):
        prepared = engine.prepare(model, LIMITS)
        inputs = [tensor_from_array(prepared.model.inputs[0].name, array)]

        def one_run(_):
            outputs = engine.run(prepared, inputs, LIMITS)
            return outputs, inference_digest(prepared.model_hash, inputs, outputs)

        sequential = [one_run(i) for i in range(100)]
        with ThreadPoolExecutor(max_workers=2) as pool:
            threaded = list(pool.map(one_run, range(100)))
        results = {(tuple(t.data for t in outs), root) for outs, root in sequential + threaded}
        assert len(results) == 1  # bit-identical outputs and result hash, every run
        if reference is None:
            reference = results
        assert results == reference  # a worker process gives the in-process bits


def test_fingerprint_names_what_changes_bits(inprocess_engine):
    fields = inprocess_engine.fingerprint_fields()
    assert fields["onnxruntime"] == metadata.version("onnxruntime")
    assert fields["optimization_level"] == "basic"
    assert fields["cpu_isa"] and fields["threads"].startswith("intra1-inter1")
    text = inprocess_engine.fingerprint()
    assert len(text) <= 256 and f"onnxruntime={fields['onnxruntime']}" in text
    other = OnnxRuntimeEngine(isolation="inprocess", optimization_level="all")
    assert other.fingerprint() != text
    model, _ = example("small_cnn")
    assert other.prepare(model).session_key != inprocess_engine.prepare(model).session_key


def test_session_cache_hits_after_the_first_prepare():
    engine = OnnxRuntimeEngine(isolation="inprocess")
    model, array = example("small_cnn")
    first = engine.prepare(model)
    second = engine.prepare(model)
    assert first == second and engine._sessions.misses == 1
    engine.run(second, [tensor_from_array("image", array)])
    assert engine._sessions.misses == 1 and engine._sessions.hits >= 2


def test_worker_runs_the_same_onnxruntime(worker_engine):
    run_example(worker_engine, "small_cnn")
    versions = {w.onnxruntime_version for w in worker_engine._pool._all if w.alive}
    assert versions == {metadata.version("onnxruntime")}


def test_protocol_and_capabilities(worker_engine, inprocess_engine):
    assert isinstance(worker_engine, OnnxEngine)
    assert {"hard-timeout", "memory-limit"} <= worker_engine.capabilities()
    assert worker_engine.capabilities() <= ENGINE.capabilities
    assert inprocess_engine.capabilities() < worker_engine.capabilities()


def test_bad_settings_and_foreign_prepared_models(inprocess_engine):
    with pytest.raises(ValidationError):
        OnnxRuntimeEngine(optimization_level="fast")
    with pytest.raises(ValidationError):
        OnnxRuntimeEngine(isolation="thread")
    prepared, inputs, _ = run_example(inprocess_engine, "small_cnn")
    foreign = PreparedModel(engine="other", model=prepared.model, session_key=prepared.session_key)
    with pytest.raises(ValidationError):
        inprocess_engine.run(foreign, inputs)
    with pytest.raises(ValidationError):
        inprocess_engine.prepare("not bytes")  # type: ignore[arg-type]


def test_plugin_registration_is_lazy():
    entry_points = metadata.entry_points(group="ispc.plugins")
    assert "ispc_onnxruntime.plugin" in {ep.value for ep in entry_points}
    assert ENGINE.name == "onnxruntime" and ENGINE.runtime == "onnx"
    built = load_factory(ENGINE)({"isolation": "inprocess", "optimization_level": "extended"})
    assert isinstance(built, OnnxRuntimeEngine) and built.optimization_level == "extended"
    # Listing plugins must not import onnxruntime (or numpy, or onnx).
    code = ("import sys, ispc_onnxruntime.plugin as p; p.ispc_register_engines(); "
            "print(sorted(m for m in ('onnxruntime', 'numpy', 'onnx') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_watchdog_terminates_runs_whose_deadline_is_not_the_first():
    """Arming wakes the watchdog thread only for a new earliest deadline; a run armed behind a
    pending or finished one is still terminated on time."""
    import time

    from ispc_onnxruntime._session import Watchdog, run_options

    watchdog = Watchdog()
    finished, first, later = run_options(), run_options(), run_options()
    watchdog.disarm(watchdog.arm(finished, 0.05))   # finished before its deadline
    watchdog.arm(first, 0.2)
    watchdog.arm(later, 0.4)                        # no wake-up: not the earliest
    quiet = run_options()
    token = watchdog.arm(quiet, 0.3)
    watchdog.disarm(token)
    deadline = time.monotonic() + 30
    while not (first.terminate and later.terminate) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert first.terminate and later.terminate and not finished.terminate
    assert not quiet.terminate


def test_cpu_isa_class_is_read_once():
    from ispc_framework.plugins import cpu_isa_class

    assert cpu_isa_class() is cpu_isa_class()
    assert cpu_isa_class.cache_info().hits >= 1

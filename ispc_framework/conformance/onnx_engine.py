"""ONNX engine conformance through the OnnxEngine protocol: small models built in memory with
``onnx.helper`` (nothing downloaded) and the example models the CLI runs (``data/onnx/``: the
iris tree ensemble and the small CNN of examples/models, with their inputs), run the way the
coordinator runs them; outputs equal to the reference engine's (``data/onnx_golden.json``,
onnxruntime: names, dtypes and shapes exact, integers exact, floats within 1e-5 relative, since
float kernels are not bit-exact across engines or CPU classes), bit-identical on repeats and
across threads, and malformed or hostile models (message floods above the count caps, nesting
past the depth cap) refused with typed errors before a full parse. onnx's backend node tests are
:mod:`.onnx_backend` (``ispc conformance NAME --backend-tests``, or ``node_test_case`` in a
plugin's own tests). As pytest tests: subclass :class:`OnnxEngineSuite` with a ``make_plugin``
fixture.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from typing import Any

from .._errors import ISPCError, ModuleRejected
from .._limits import ExecutionLimits
from .suite import PluginSuite, add_checks

__all__ = ["CHECKS", "LEVELS", "OnnxEngineSuite", "SUITE_VERSION", "models", "example_models",
           "hostile_models", "load_golden", "EXAMPLES"]

SUITE_VERSION = "2"
_LIMITS = ExecutionLimits(memory_bytes=256 << 20, timeout_s=30.0)


def models() -> dict[str, tuple[bytes, dict[str, Any]]]:
    """name -> (model bytes, inputs as numpy arrays)."""
    import numpy as np
    from onnx import TensorProto, helper

    def model(nodes, inputs, outputs, initializers=()):
        graph = helper.make_graph(nodes, "conformance", inputs, outputs, list(initializers))
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                                 ir_version=8).SerializeToString()

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 2])
    weights = helper.make_tensor("w", TensorProto.FLOAT, [3, 2],
                                 [0.5, -1.25, 2.0, 0.125, -3.0, 1.0])
    gemm = model([helper.make_node("MatMul", ["x", "w"], ["m"]),
                  helper.make_node("Relu", ["m"], ["y"])], [x], [y], [weights])
    soft = model([helper.make_node("Softmax", ["x"], ["y"], axis=1)],
                 [x], [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])])
    data = np.array([[0.1, -0.7, 3.5], [1e-3, 42.0, -2.25]], dtype=np.float32)
    return {"matmul_relu": (gemm, {"x": data}), "softmax": (soft, {"x": data})}


#: the example models of examples/models, shipped in data/onnx with their inputs
EXAMPLES = ("iris_forest", "small_cnn")


def example_models() -> dict[str, tuple[bytes, dict[str, Any]]]:
    """name -> (model bytes, inputs): the example models the CLI runs."""
    import numpy as np

    data = resources.files(__package__) / "data" / "onnx"
    golden = load_golden()
    out = {}
    for name in EXAMPLES:
        with (data / f"{name}_input.npy").open("rb") as handle:
            array = np.load(handle, allow_pickle=False)
        out[name] = ((data / f"{name}.onnx").read_bytes(), {golden[name]["input"]: array})
    return out


def load_golden() -> dict[str, Any]:
    """name -> {"input": name, "outputs": [{name, dtype, shape, values}]} of the reference."""
    path = resources.files(__package__) / "data" / "onnx_golden.json"
    return json.loads(path.read_text(encoding="utf-8"))


def _all_models() -> dict[str, tuple[bytes, dict[str, Any]]]:
    return {**models(), **example_models()}


def _run(engine: Any, name: str) -> tuple[Any, ...]:
    from .._onnx_safety import tensor_from_array

    code, inputs = _all_models()[name]
    prepared = engine.prepare(code, _LIMITS)
    tensors = [tensor_from_array(k, v) for k, v in inputs.items()]
    return tuple(engine.run(prepared, tensors, _LIMITS))


def _field(number: int, payload: bytes) -> bytes:
    """One length-delimited protobuf field (for hostile models written byte by byte)."""
    length, size = bytearray(), len(payload)
    while True:
        length.append((size & 0x7F) | (0x80 if size > 0x7F else 0))
        size >>= 7
        if not size:
            break
    return bytes([number << 3 | 2]) + bytes(length) + payload


def hostile_models() -> dict[str, bytes]:
    """Models that must be refused before a full parse: floods of empty messages above the
    count caps (each a few hundred KB; at 16 MB they took gigabytes to parse) and graphs nested
    past the depth cap."""
    ir = b"\x08\x08"                              # ir_version 8
    opset = _field(8, b"\x10\x11")                # opset_import { version: 17 }
    nested = b""
    for _ in range(40):                         # node -> attribute -> graph -> node ...
        nested = _field(1, _field(5, _field(6, nested)))
    return {"empty-nodes": ir + opset + _field(7, b"\x0a\x00" * 150_000),
            "empty-initializers": ir + opset + _field(7, b"\x2a\x00" * 150_000),
            "nested-graphs": ir + opset + _field(7, nested)}


def _bind(engine: Any) -> dict[str, Callable[[], None]]:
    def protocol_surface():
        for name in ("fingerprint", "capabilities", "prepare", "run"):
            assert callable(getattr(engine, name, None)), f"an ONNX engine needs {name}()"
        assert isinstance(engine.name, str) and engine.name, "name must be a non-empty str"
        assert isinstance(engine.fingerprint(), str), "fingerprint() must be a str"

    def runs_example_models():
        import numpy as np

        from .._onnx_safety import tensor_to_array

        for name in models():
            (out,) = _run(engine, name)
            got = tensor_to_array(out)
            _code, inputs = models()[name]
            x = inputs["x"]
            if name == "matmul_relu":
                w = np.array([0.5, -1.25, 2.0, 0.125, -3.0, 1.0], np.float32).reshape(3, 2)
                want = np.maximum(x @ w, 0)
            else:
                e = np.exp(x - x.max(axis=1, keepdims=True))
                want = e / e.sum(axis=1, keepdims=True)
            assert np.allclose(got, want, rtol=1e-5, atol=1e-6), \
                f"{name}: got {got.tolist()}, expected {want.tolist()}"

    def example_models_match_reference():
        import numpy as np

        from .._onnx_safety import tensor_to_array

        for name, reference in load_golden().items():
            outputs = _run(engine, name)
            want = reference["outputs"]
            assert [t.name for t in outputs] == [o["name"] for o in want], \
                f"{name}: outputs {[t.name for t in outputs]}, the reference gives " \
                f"{[o['name'] for o in want]}"
            for tensor, expected in zip(outputs, want):
                got = tensor_to_array(tensor)
                label = f"{name}.{expected['name']}"
                assert str(got.dtype) == expected["dtype"] and list(got.shape) == \
                    expected["shape"], (f"{label}: {got.dtype}{list(got.shape)}, the reference "
                                        f"gives {expected['dtype']}{expected['shape']}")
                values = np.array(expected["values"], dtype=got.dtype).reshape(got.shape)
                if got.dtype.kind == "f":
                    close = np.allclose(got, values, rtol=1e-5, atol=1e-6)
                else:
                    close = np.array_equal(got, values)
                assert close, (f"{label}: {got.ravel()[:6].tolist()}..., the reference gives "
                               f"{values.ravel()[:6].tolist()}...")

    def deterministic_repeats():
        for name in _all_models():
            runs = [_run(engine, name) for _ in range(5)]
            assert all(r == runs[0] for r in runs), f"{name}: outputs differ between repeats"

    def deterministic_across_threads():
        expected = {name: _run(engine, name) for name in _all_models()}
        with ThreadPoolExecutor(max_workers=2) as pool:
            seen = list(pool.map(lambda n: (n, _run(engine, n)), list(_all_models()) * 3))
        for name, outputs in seen:
            assert outputs == expected[name], f"{name}: a second thread got other outputs"

    def rejects_malformed_models():
        for label, code in (("empty", b""), ("garbage", b"\x08\x07not a model"),
                            ("truncated", models()["matmul_relu"][0][:40])):
            _refused(label, code)

    def rejects_hostile_models():
        for label, code in hostile_models().items():
            started = time.monotonic()
            _refused(label, code)
            took = time.monotonic() - started
            assert took < 10, f"{label} model: refusing it took {took:.1f} s (no count caps?)"

    def _refused(label: str, code: bytes) -> None:
        try:
            engine.prepare(code, _LIMITS)
        except ModuleRejected:
            return
        except ISPCError as exc:
            raise AssertionError(f"{label} model: {type(exc).__name__} [{exc.code}], expected "
                                 "ModuleRejected") from None
        raise AssertionError(f"prepare accepted a {label} model")

    return {name: check for name, check in locals().items() if name in _IDS}


CHECKS: tuple[tuple[str, str, str | None], ...] = (
    ("protocol_surface", "name, fingerprint, capabilities, prepare, run", None),
    ("runs_example_models", "small models give the expected outputs", None),
    ("example_models_match_reference",
     "the CLI's example models give the reference engine's outputs", None),
    ("deterministic_repeats", "outputs are bit-identical on repeats", None),
    ("deterministic_across_threads", "outputs are bit-identical from two threads", None),
    ("rejects_malformed_models", "malformed models are ModuleRejected", None),
    ("rejects_hostile_models",
     "message floods and deep nesting are ModuleRejected before a full parse", None),
)
_IDS = {check for check, _title, _needs in CHECKS}
LEVELS: dict[str, tuple[str, ...]] = {
    "deterministic": ("deterministic_repeats", "deterministic_across_threads"),
    "safe-for-untrusted-models": ("rejects_malformed_models", "rejects_hostile_models"),
}


class OnnxEngineSuite(PluginSuite):
    suite = "onnx-engine"
    suite_version = SUITE_VERSION


add_checks(OnnxEngineSuite, CHECKS, _bind)

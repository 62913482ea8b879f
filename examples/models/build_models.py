"""Build the example ONNX models and their inputs from source.

    python examples/models/build_models.py           # (re)write the files next to this script
    python examples/models/build_models.py --check   # exit 1 if a rebuild differs from the files

- ``iris_forest.onnx``: a scikit-learn RandomForestClassifier (10 trees, depth 4) trained on the
  iris data bundled with scikit-learn, converted with skl2onnx (ZipMap off, so both outputs are
  plain tensors: ``label`` int64 [N] and ``probabilities`` float32 [N, 3]).
  Input ``iris_forest_input.npy``: float32 [5, 4].
- ``small_cnn.onnx``: Conv(4x3x3) -> Relu -> MaxPool(2) -> Flatten -> Gemm(3) -> Softmax over a
  [N, 1, 8, 8] image, built with onnx.helper; weights come from a fixed integer LCG, so every
  platform builds the same bytes. Input ``small_cnn_input.npy``: float32 [2, 1, 8, 8].

Needs scikit-learn and skl2onnx (build only); ``--check`` of the forest compares bytes only when
the same scikit-learn/skl2onnx versions are installed as pinned in docs/onnx.md.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OPSET = 21
ML_OPSET = 3
IR_VERSION = 10


def _lcg_floats(count: int, seed: int) -> np.ndarray:
    """Multiples of 1/64 in [-0.5, 0.5): exact in float32, identical on every platform."""
    state, out = seed, []
    for _ in range(count):
        state = (state * 6364136223846793005 + 1442695040888963407) % 2**64
        out.append(((state >> 33) % 64 - 32) / 64)
    return np.array(out, dtype=np.float32)


def build_cnn() -> tuple[bytes, np.ndarray]:
    from onnx import TensorProto, helper, numpy_helper

    weights = {
        "conv_w": _lcg_floats(4 * 1 * 3 * 3, 1).reshape(4, 1, 3, 3),
        "conv_b": _lcg_floats(4, 2),
        "fc_w": _lcg_floats(3 * 64, 3).reshape(3, 64),
        "fc_b": _lcg_floats(3, 4),
    }
    nodes = [
        helper.make_node("Conv", ["image", "conv_w", "conv_b"], ["conv"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv"], ["relu"]),
        helper.make_node("MaxPool", ["relu"], ["pool"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["pool"], ["flat"], axis=1),
        helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["logits"], transB=1),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
    ]
    graph = helper.make_graph(
        nodes, "small_cnn",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 1, 8, 8])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 3])],
        [numpy_helper.from_array(v, k) for k, v in weights.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="ispc-examples", producer_version="1")
    model.ir_version = IR_VERSION
    image = _lcg_floats(2 * 64, 5).reshape(2, 1, 8, 8) * 4
    return model.SerializeToString(), image


def build_forest() -> tuple[bytes, np.ndarray]:
    from skl2onnx import to_onnx
    from sklearn.datasets import load_iris
    from sklearn.ensemble import RandomForestClassifier

    x, y = load_iris(return_X_y=True)
    x = x.astype(np.float32)
    forest = RandomForestClassifier(n_estimators=10, max_depth=4, random_state=0).fit(x, y)
    model = to_onnx(forest, x[:1], options={"zipmap": False},
                    target_opset={"": OPSET, "ai.onnx.ml": ML_OPSET})
    model.ir_version = IR_VERSION
    model.producer_version = ""  # keep the bytes independent of the skl2onnx patch release
    return model.SerializeToString(), x[::30].copy()


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def build_all() -> dict[str, bytes]:
    cnn, image = build_cnn()
    forest, rows = build_forest()
    return {"small_cnn.onnx": cnn, "small_cnn_input.npy": _npy_bytes(image),
            "iris_forest.onnx": forest, "iris_forest_input.npy": _npy_bytes(rows)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    built = build_all()
    if args.check:
        stale = [name for name, data in built.items()
                 if not (HERE / name).exists() or (HERE / name).read_bytes() != data]
        for name in stale:
            print(f"differs from a rebuild: {name}", file=sys.stderr)
        return 1 if stale else 0
    for name, data in built.items():
        (HERE / name).write_bytes(data)
        print(f"wrote {name} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

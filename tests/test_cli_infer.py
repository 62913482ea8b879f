"""`ispc infer` end to end: deploy an ONNX model (checked by the safe loader first), run it on
JSON inputs, verify and apply the proven result."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ispc_framework.cli import cli

# slow: every inference is proven (run once, in the Python 3.11 phase of scripts/test.sh)
pytestmark = pytest.mark.slow

pytest.importorskip("onnxruntime")
REPO = Path(__file__).resolve().parents[1]
MODEL = REPO / "examples" / "models" / "iris_forest.onnx"
SAMPLES = [[5.1, 3.5, 1.4, 0.2], [6.9, 3.1, 5.4, 2.1]]


def test_infer_verify_apply(tmp_path):
    config = tmp_path / "ispc.toml"
    config.write_text(f'[plugin.sqlite]\npath = "{tmp_path / "chain.db"}"\n'
                      f'[plugin.groth16]\nkey_dir = "{tmp_path / "keys"}"\nsetup_mode = "testing"\n'
                      "allow_testing_keys = true\n")

    def ispc(*args, code=0):
        result = CliRunner().invoke(cli, ["--config", str(config), *args])
        assert result.exit_code == code, result.output
        return result.output

    ispc("setup")
    ispc("init", "--timestamp", "1")
    model = ispc("deploy", str(MODEL)).strip()
    inputs = tmp_path / "inputs.json"
    inputs.write_text(json.dumps({"X": {"dtype": "float32", "shape": [2, 4], "values": SAMPLES}}))
    out = tmp_path / "result.json"
    text = ispc("infer", model, "--inputs", str(inputs), "--out", str(out))
    assert "label int64[2]: [0, 2]" in text  # setosa, virginica
    assert "probabilities float32[2, 3]" in text
    assert "ok: proof verified" in ispc("verify", str(out))
    assert "applied block 2" in ispc("apply", str(out))
    inputs.write_text(json.dumps({"X": {"dtype": "float64", "shape": [2, 4], "values": SAMPLES}}))
    result = CliRunner().invoke(cli, ["--config", str(config), "infer", model, "--inputs",
                                      str(inputs)])
    assert result.exit_code == 2 and "[onnx-input" in result.output  # declared dtype enforced
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x08\x07not a model")
    result = CliRunner().invoke(cli, ["--config", str(config), "deploy", str(bad)])
    assert result.exit_code == 1 and "[onnx-" in result.output

"""`ispc infer` end to end: deploy an ONNX model (checked by the safe loader first), run it on
JSON inputs, verify and apply the proven result."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ispc_framework._cli import cli

# slow: every inference is proven (run once, in the Python 3.11 phase of scripts/test.sh)
pytestmark = pytest.mark.slow

pytest.importorskip("onnxruntime")
REPO = Path(__file__).resolve().parents[1]
MODEL = REPO / "examples" / "models" / "iris_forest.onnx"
SAMPLES = [[5.1, 3.5, 1.4, 0.2], [6.9, 3.1, 5.4, 2.1]]


def _forged_but_reproved(tmp_path, config, out):
    """A node holding the proving key edits the model's outputs and proves the edited result."""
    import struct

    import attrs

    from ispc_framework._config import load_config
    from ispc_framework._coordinator import Coordinator, final_transaction
    from ispc_framework._encoding import from_json, to_json
    from ispc_framework._proving import ProofRequest

    payload = json.loads(out.read_text())
    result = from_json(payload["result"])
    label = result.outputs[0]
    flipped = attrs.evolve(label, data=struct.pack("<2q", 1, 1))
    commitment = attrs.evolve(result.commitment, outputs=(flipped,) + result.outputs[1:])
    coordinator = Coordinator(load_config(str(config)))
    prover = coordinator.prover()
    result_hash = commitment.hash()
    proof = prover.prove(ProofRequest(result.state_output.zk_proof.circuit_id, result_hash,
                                      result.draft, (), result.contract))
    forged = attrs.evolve(result, commitment=commitment, execution_result_hash=result_hash,
                          state_output=attrs.evolve(result.state_output,
                                                    execution_result_hash=result_hash,
                                                    zk_proof=proof))
    coordinator.close()
    (tmp_path / "forged.json").write_text(json.dumps(
        {"kind": "onnx", "result": to_json(forged), "transaction": to_json(
            final_transaction(forged))}))


def test_infer_verify_apply(tmp_path):
    config = tmp_path / "ispc.toml"
    config.write_text(f'[plugin.sqlite]\npath = "{tmp_path / "chain.db"}"\n'
                      f'[plugin.groth16]\nkey_dir = "{tmp_path / "keys"}"\nsetup_mode = "testing"\n'
                      "allow_testing_keys = true\n")

    def ispc(*args, code=0):
        result = CliRunner(env={"ISPC_KEY_DIR": str(tmp_path / "accounts")}).invoke(
            cli, ["--config", str(config), *args])
        assert result.exit_code == code, result.output
        return result.output

    ispc("setup")
    ispc("keys", "new", "carol")
    ispc("init", "--timestamp", "1", "--allocate", "carol:10")
    model = ispc("deploy", str(MODEL), "--as", "carol").strip()
    inputs = tmp_path / "inputs.json"
    inputs.write_text(json.dumps({"X": {"dtype": "float32", "shape": [2, 4], "values": SAMPLES}}))
    out = tmp_path / "result.json"
    ispc("infer", model, "--inputs", str(inputs), code=1)  # unsigned: signature-missing
    text = ispc("infer", model, "--inputs", str(inputs), "--out", str(out), "--as", "carol")
    assert "label int64[2]: [0, 2]" in text  # setosa, virginica
    assert "probabilities float32[2, 3]" in text
    assert "ok: proof verified" in ispc("verify", str(out))
    assert "applied block 2" in ispc("apply", str(out))
    tx_id = json.loads(out.read_text())["result"]["commitment"]["transaction"]
    _forged_but_reproved(tmp_path, config, out)
    assert "ok: proof verified" in ispc("verify", str(tmp_path / "forged.json"))  # proof alone
    text = ispc("verify", str(tmp_path / "forged.json"), "--replay", code=1)
    assert "differs: outputs" in text and "differs: execution_result_hash" in text
    from ispc_framework._encoding import from_json

    applied_id = from_json(tx_id).id.hex()
    assert "replay matches" in ispc("replay", "--tx", applied_id)
    assert "replay matches" in ispc("verify", "--tx", applied_id, "--replay")
    inputs.write_text(json.dumps({"X": {"dtype": "float64", "shape": [2, 4], "values": SAMPLES}}))
    text = ispc("infer", model, "--inputs", str(inputs), "--as", "carol", code=2)
    assert "[onnx-input" in text  # declared dtype enforced
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x08\x07not a model")
    result = CliRunner().invoke(cli, ["--config", str(config), "deploy", str(bad)])
    assert result.exit_code == 1 and "[onnx-" in result.output

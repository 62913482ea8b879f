"""`ispc demo`: the end-to-end pass on real plugins (SQLite, wasmtime, Groth16, onnxruntime)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ispc_framework._cli import cli
from ispc_framework._cli._schemas import schema_of

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.slow
@pytest.mark.skipif(not (EXAMPLES / "contracts" / "build" / "token_c.wasm").is_file(),
                    reason="run examples/contracts/build.sh")
def test_the_demo_runs_end_to_end_and_its_commands_work_by_hand(tmp_path):
    """One demo run (it proves several results): its --json report against the schema, the
    content of its steps, then the printed commands against the demo's own config and keys."""
    jsonschema = pytest.importorskip("jsonschema")
    result = CliRunner().invoke(cli, ["demo", "--dir", str(tmp_path), "--examples", str(EXAMPLES),
                                      "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    jsonschema.validate(report, schema_of("demo"))
    out = "\n".join(line for step in report["steps"] for line in step["commands"] + step["lines"])
    assert "same request again -> identical result hash: True" in out
    assert "rejected as expected: [proof-" in out
    assert "applying the same transfer twice is refused: [" in out
    assert (tmp_path / "chain.db").is_file()
    # each step shows the command that does it by hand, units, ONNX values and every block
    assert "ispc init --chain-id ispc-demo --timestamp 1700000000 --allocate alice:1000" in out
    assert "ispc apply mint.json" in out
    assert "alice: 1000 coins (native), 300 TOK" in out and "bob: 200 TOK" in out
    assert "output label int64[5] = [0, 0, 1, 1, 2]" in out
    assert "every deploy is a block" in out
    blocks = [b["height"] for step in report["steps"] for b in step["blocks"]]
    assert blocks == list(range(report["head"]["height"] + 1))  # every block, each with a why
    assert all(step["seconds"] >= 0 for step in report["steps"])
    env = {"ISPC_CONFIG": str(tmp_path / "ispc.toml"), "ISPC_KEY_DIR": str(tmp_path / "accounts")}
    chain = CliRunner(env=env).invoke(cli, ["chain", "--json"], catch_exceptions=False)
    assert json.loads(chain.stdout)["head"]["height"] == report["head"]["height"]
    keys = CliRunner(env=env).invoke(cli, ["keys", "list", "--json"], catch_exceptions=False)
    assert [k["name"] for k in json.loads(keys.stdout)] == ["alice", "bob"]


def test_the_demo_names_missing_examples(tmp_path):
    result = CliRunner().invoke(cli, ["demo", "--dir", str(tmp_path), "--examples", str(tmp_path)])
    assert result.exit_code == 1 and "[demo-examples-missing]" in result.output

"""`ispc demo`: the end-to-end pass on real plugins (SQLite, wasmtime, Groth16, onnxruntime)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ispc_framework._cli import cli
from ispc_framework._cli._schemas import schema_for

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.slow
@pytest.mark.skipif(not (EXAMPLES / "contracts" / "build" / "token_c.wasm").is_file(),
                    reason="run examples/contracts/build.sh")
def test_the_demo_runs_end_to_end(tmp_path):
    result = CliRunner().invoke(cli, ["demo", "--dir", str(tmp_path), "--examples", str(EXAMPLES)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "same request again -> identical result hash: True" in out
    assert "rejected as expected: [proof-" in out
    assert "applying the same transfer twice is refused: [" in out
    assert "demo finished" in out and (tmp_path / "chain.db").is_file()
    # each step shows the command that does it by hand, its time, units and every block
    assert "$ ispc init --chain-id ispc-demo" in out and "$ ispc apply mint.json" in out
    assert "alice: 1000 coins (native), 300 TOK" in out and "bob: 200 TOK" in out
    assert "output label int64[5] = [0, 0, 1, 1, 2]" in out  # ONNX outputs as values
    for height in range(7):
        assert f"block {height} written: " in out
    assert "every deploy is a block" in out and " s: compile " in out


@pytest.mark.slow
@pytest.mark.skipif(not (EXAMPLES / "contracts" / "build" / "token_c.wasm").is_file(),
                    reason="run examples/contracts/build.sh")
def test_the_demo_json_report_and_its_commands_work_by_hand(tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    result = CliRunner().invoke(cli, ["demo", "--dir", str(tmp_path), "--examples", str(EXAMPLES),
                                      "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    jsonschema.validate(report, schema_for("demo"))
    blocks = [b["height"] for step in report["steps"] for b in step["blocks"]]
    assert blocks == list(range(report["head"]["height"] + 1))  # every block, each with a why
    # the printed commands run against the demo's own ispc.toml and keys
    env = {"ISPC_CONFIG": str(tmp_path / "ispc.toml"), "ISPC_KEY_DIR": str(tmp_path / "accounts")}
    chain = CliRunner(env=env).invoke(cli, ["chain", "--json"], catch_exceptions=False)
    assert json.loads(chain.stdout)["head"]["height"] == report["head"]["height"]
    keys = CliRunner(env=env).invoke(cli, ["keys", "list", "--json"], catch_exceptions=False)
    assert [k["name"] for k in json.loads(keys.stdout)] == ["alice", "bob"]


def test_the_demo_names_missing_examples(tmp_path):
    result = CliRunner().invoke(cli, ["demo", "--dir", str(tmp_path), "--examples", str(tmp_path)])
    assert result.exit_code == 1 and "[demo-examples-missing]" in result.output

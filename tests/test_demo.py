"""`ispc demo`: the end-to-end pass on real plugins (SQLite, wasmtime, Groth16, onnxruntime)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ispc_framework._cli import cli

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


def test_the_demo_names_missing_examples(tmp_path):
    result = CliRunner().invoke(cli, ["demo", "--dir", str(tmp_path), "--examples", str(tmp_path)])
    assert result.exit_code == 1 and "[demo-examples-missing]" in result.output

"""How the CLI talks: -v/-vv logs through `logging` on stderr, per-phase timings, --input-file up
to the largest allowed input, and stdout that stays pure JSON while logs and progress go to
stderr. Real SQLite file and wasmtime; nothing here proves (so it stays fast)."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from click.testing import CliRunner

from ispc_framework._cli import cli
from ispc_framework._limits import ExecutionLimits
from ispc_framework._signing import devnet_key
from ispc_framework._keys import KeyStore

REPO = Path(__file__).resolve().parents[1]
COUNTER = REPO / "examples" / "contracts" / "build" / "counter_c.wasm"
MAX_INPUT = ExecutionLimits().max_input_bytes


def test_v_logs_plugin_discovery_and_vv_each_plugin_load():
    quiet = CliRunner().invoke(cli, ["plugins", "--json"])
    assert "INFO" not in quiet.stderr and json.loads(quiet.stdout)
    info = CliRunner().invoke(cli, ["-v", "plugins", "--json"])
    assert "INFO ispc.plugins: plugins: " in info.stderr and "DEBUG" not in info.stderr
    assert json.loads(info.stdout)  # logs never reach stdout
    debug = CliRunner().invoke(cli, ["-vv", "plugins", "--json"])
    assert "DEBUG ispc.plugins: loaded plugin ispc-sqlite from ispc-sqlite" in debug.stderr


@pytest.fixture()
def devnet(tmp_path):
    config = tmp_path / "ispc.toml"
    config.write_text('[plugin.sqlite]\npath = "chain.db"\n')
    KeyStore(tmp_path / "accounts").save("alice", devnet_key("alice"))
    runner = CliRunner(env={"ISPC_KEY_DIR": str(tmp_path / "accounts")})

    def ispc(*args, code=0, stdin=None):
        result = runner.invoke(cli, ["--config", str(config), *args], input=stdin)
        assert result.exit_code == code, result.output
        return result

    ispc("init", "--timestamp", "5")
    return tmp_path, ispc


@pytest.mark.skipif(not COUNTER.is_file(), reason="run examples/contracts/build.sh")
def test_input_file_passes_the_largest_allowed_input_and_refuses_one_byte_more(devnet):
    tmp_path, ispc = devnet
    counter = ispc("deploy", str(COUNTER)).stdout.strip()
    largest = tmp_path / "largest.bin"
    largest.write_bytes(b"\x07" * MAX_INPUT)  # as hex: 128 Ki digits, past Linux's argv limit
    got = json.loads(ispc("query", counter, "get", "--input-file", str(largest), "--json").stdout)
    assert struct.unpack("<Q", bytes.fromhex(got["return_data"]))[0] == 0
    piped = ispc("query", counter, "get", "--input-file", "-", "--json",
                 stdin=b"\x07" * MAX_INPUT)
    assert json.loads(piped.stdout)["return_data"] == got["return_data"]
    largest.write_bytes(b"\x07" * (MAX_INPUT + 1))
    error = json.loads(ispc("query", counter, "get", "--input-file", str(largest), "--json",
                            code=1).stdout)
    assert error["code"] == "input-too-large" and str(MAX_INPUT) in error["message"]
    both = ispc("query", counter, "get", "--input", "00", "--input-file", str(largest), code=2)
    assert "not both" in both.output


@pytest.mark.skipif(not COUNTER.is_file(), reason="run examples/contracts/build.sh")
def test_v_shows_per_phase_timings_and_json_carries_them(devnet):
    _, ispc = devnet
    counter = ispc("deploy", str(COUNTER)).stdout.strip()
    shown = ispc("-v", "run", counter, "init", "--as", "alice", "--no-prove")
    assert "INFO ispc.timing: compile took" in shown.stderr
    assert "INFO ispc.timing: execute took" in shown.stderr
    assert "timings        compile " in shown.stderr and "status 0" in shown.stdout
    assert "timings" not in ispc("run", counter, "init", "--as", "alice", "--no-prove").stderr
    data = json.loads(ispc("run", counter, "init", "--as", "alice", "--no-prove",
                           "--json").stdout)
    assert set(data["timings"]) == {"compile", "execute"}
    assert all(seconds >= 0 for seconds in data["timings"].values())
    assert data["status"] == 0 and data["result_hash"] == data["result"][
        "execution_result_hash"]

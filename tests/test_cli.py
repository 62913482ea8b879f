"""The chain commands of the `ispc` CLI on a real SQLite file, with real proofs."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from click.testing import CliRunner

from ispc_framework._cli import cli
from ispc_framework._keys import KeyStore
from ispc_framework._signing import devnet_key

REPO = Path(__file__).resolve().parents[1]
TOKEN = REPO / "examples" / "contracts" / "build" / "token_c.wasm"
ALICE = devnet_key("alice").public_key.hex()  # the example token's owner
BOB = devnet_key("bob").public_key.hex()

# slow: every run is proven (run once, in the Python 3.11 phase of scripts/test.sh)
pytestmark = [pytest.mark.skipif(not TOKEN.is_file(), reason="run examples/contracts/build.sh"),
              pytest.mark.slow]


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    config = root / "ispc.toml"
    config.write_text(f'[plugin.sqlite]\npath = "{root / "chain.db"}"\n'
                      f'[plugin.groth16]\nkey_dir = "{root / "keys"}"\nsetup_mode = "testing"\n'
                      "allow_testing_keys = true\n")
    store = KeyStore(root / "accounts")
    store.save("alice", devnet_key("alice"))
    store.save("bob", devnet_key("bob"))
    return root, config


def ispc(chain, *args, code=0):
    root, config = chain
    result = CliRunner(env={"ISPC_KEY_DIR": str(root / "accounts")}).invoke(
        cli, ["--config", str(config), *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def test_full_cycle_init_deploy_run_apply(chain):
    root, _ = chain
    assert "stored" in ispc(chain, "setup")
    assert "genesis block" in ispc(chain, "init", "--timestamp", "5", "--allocate", f"{ALICE}:77")
    token = ispc(chain, "deploy", str(TOKEN)).strip()
    assert len(token) == 64
    out = root / "mint.json"
    text = ispc(chain, "run", token, "mint", "--input", struct.pack("<Q", 9).hex(), "--as",
                "alice", "--out", str(out))
    assert "status 0" in text and "ispc.draft.v2 verified" in text
    assert "ok: proof verified" in ispc(chain, "verify", str(out))
    assert "applied block 2" in ispc(chain, "apply", str(out))
    rows = json.loads(ispc(chain, "utxo", ALICE, "--json"))
    amounts = sorted(r["output"]["asset"]["amount"] for r in rows if r["output"]["asset"])
    assert amounts == [9, 77]
    head = json.loads(ispc(chain, "chain", "--json"))
    assert head["head"]["height"] == 2 and len(head["blocks"]) == 3


def test_errors_have_codes_and_exit_codes(chain):
    root, config = chain
    result = CliRunner().invoke(cli, ["--config", str(config), "run", "ab", "mint"])
    assert result.exit_code == 2 and "[invalid-value]" in result.output
    result = CliRunner().invoke(cli, ["--config", str(config), "run", "99" * 32, "mint"])
    assert result.exit_code == 1 and "[signature-missing]" in result.output  # unsigned: refused
    signed = CliRunner(env={"ISPC_KEY_DIR": str(root / "accounts")})
    result = signed.invoke(cli, ["--config", str(config), "run", "99" * 32, "mint", "--as", "alice"])
    assert result.exit_code == 1 and "[not-found]" in result.output
    result = signed.invoke(cli, ["--config", str(config), "run", "99" * 32, "mint", "--as", "alice",
                                 "--json"])
    assert json.loads(result.output)["code"] == "not-found"
    bad = root / "bad.wasm"
    bad.write_bytes(b"\0asm\x01\0\0\0\x05")
    result = CliRunner().invoke(cli, ["--config", str(config), "deploy", str(bad)])
    assert result.exit_code == 1 and "[malformed-module]" in result.output
    result = CliRunner().invoke(cli, ["--config", str(config), "init"])
    assert result.exit_code == 1 and "[genesis-exists]" in result.output


def test_apply_refuses_tampered_and_replayed_results(chain):
    root, _ = chain
    token = json.loads(ispc(chain, "deploy", str(TOKEN), "--json"))["content_hash"]
    out = root / "mint2.json"
    ispc(chain, "run", token, "mint", "--input", struct.pack("<Q", 5).hex(), "--as", "alice",
         "--nonce", "7", "--out", str(out))
    original = out.read_text()
    payload = json.loads(original)
    payload["transaction"]["outputs"][0]["asset"]["amount"] = 5000  # one side only
    out.write_text(json.dumps(payload))
    result = CliRunner().invoke(cli, ["--config", str(chain[1]), "apply", str(out)])
    assert result.exit_code == 2 and "[transaction-mismatch]" in result.output
    payload["result"]["commitment"]["draft"]["outputs"][0]["asset"]["amount"] = 5000  # a forgery
    out.write_text(json.dumps(payload))
    for command in ("verify", "apply"):
        result = CliRunner().invoke(cli, ["--config", str(chain[1]), command, str(out)])
        assert result.exit_code == 1 and "[result-hash-mismatch]" in result.output, result.output
    out.write_text(original)
    assert "applied block" in ispc(chain, "apply", str(out))
    result = CliRunner().invoke(cli, ["--config", str(chain[1]), "apply", str(out)])
    assert result.exit_code == 1 and ("[result-stale]" in result.output or
                                      "[transaction-replayed]" in result.output)  # never twice


def test_bad_files_and_deploy_before_init(tmp_path):
    config = tmp_path / "ispc.toml"
    config.write_text(f'[plugin.sqlite]\npath = "{tmp_path / "fresh.db"}"\n')
    run = lambda *args: CliRunner().invoke(cli, ["--config", str(config), *args])  # noqa: E731
    result = run("deploy", str(TOKEN))
    assert result.exit_code == 1 and "[no-genesis]" in result.output
    from ispc_sqlite.repository import SqliteRepository

    view = SqliteRepository(tmp_path / "fresh.db").view()
    assert view.query("SELECT COUNT(*) FROM resources")[0][0] == 0  # nothing half-written
    not_a_result = tmp_path / "x.json"
    not_a_result.write_text(json.dumps({"result": {"type": "OutPoint", "tx_id": "00" * 32,
                                                   "index": 0}, "transaction": {}}))
    result = run("verify", str(not_a_result))
    assert result.exit_code == 2 and "[decode-error]" in result.output
    not_a_result.write_text(json.dumps({"result": {"type": "OutPoint", "tx_id": "00" * 32,
                                                   "index": 0},
                                        "transaction": {"type": "OutPoint", "tx_id": "00" * 32,
                                                        "index": 0}}))
    result = run("verify", str(not_a_result))
    assert result.exit_code == 2 and "is not an `ispc run --out` file" in result.output
    inputs = tmp_path / "inputs.json"
    inputs.write_text("[1, 2]")
    result = run("infer", "00" * 32, "--inputs", str(inputs))
    assert result.exit_code == 2 and "[invalid-value]" in result.output


def test_run_with_apply_and_json(chain):
    token = json.loads(ispc(chain, "deploy", str(TOKEN), "--json"))["content_hash"]
    shown = json.loads(ispc(chain, "run", token, "mint", "--input", struct.pack("<Q", 3).hex(),
                            "--as", "alice", "--apply", "--json"))
    assert shown["kind"] == "wasm" and shown["result"]["commitment"]["status"] == 0
    assert shown["applied"]["height"] == json.loads(ispc(chain, "chain", "--json"))["head"]["height"]
    result = CliRunner(env={"ISPC_KEY_DIR": str(chain[0] / "accounts")}).invoke(
        cli, ["--config", str(chain[1]), "run", token, "mint", "--input",
                                      struct.pack("<Q", 3).hex(), "--as", "alice", "--nonce", "9",
                                      "--no-prove", "--apply"])
    assert result.exit_code == 1 and "[proof-missing]" in result.output  # unproven never applies


@pytest.mark.slow
def test_concurrent_applies_from_processes_write_one_block(chain):
    """Three `ispc apply` processes at once, of one result (twice) and of another result pinned to
    the same head: exactly one block, the others a typed refusal."""
    import subprocess
    import sys

    root, config = chain
    token = json.loads(ispc(chain, "deploy", str(TOKEN), "--json"))["content_hash"]
    files = []
    for nonce in ("21", "22"):
        path = root / f"race{nonce}.json"
        ispc(chain, "run", token, "mint", "--input", struct.pack("<Q", 1).hex(), "--as", "alice",
             "--nonce", nonce, "--out", str(path))
        files.append(path)
    height = json.loads(ispc(chain, "chain", "--json"))["head"]["height"]
    procs = [subprocess.Popen([sys.executable, "-m", "ispc_framework", "--config", str(config),
                               "apply", str(path), "--json"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for path in (files[0], files[0], files[1])]
    outcomes = [(proc.wait(timeout=300), proc.stdout.read()) for proc in procs]
    assert sorted(code for code, _ in outcomes) == [0, 1, 1], outcomes
    for code, out in outcomes:
        if code:
            assert json.loads(out)["code"] in ("result-stale", "transaction-replayed"), out
    assert json.loads(ispc(chain, "chain", "--json"))["head"]["height"] == height + 1

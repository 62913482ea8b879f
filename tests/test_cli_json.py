"""Every command's ``--json`` output against its published schema (docs/cli.md), on a real
devnet: SQLite file, wasmtime, Groth16 testing keys, onnxruntime. Also: every command has
``--json`` and a schema, the docs are in sync with the schemas, and tensors print as values."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from ispc_framework._cli import cli
from ispc_framework._cli._schemas import ERROR, SCHEMAS, main as schemas_main, schema_of
from ispc_framework._keys import KeyStore
from ispc_framework._signing import devnet_key

jsonschema = pytest.importorskip("jsonschema")

REPO = Path(__file__).resolve().parents[1]
TOKEN = REPO / "examples" / "contracts" / "build" / "token_c.wasm"
COUNTER = REPO / "examples" / "contracts" / "build" / "counter_c.wasm"
MODEL = REPO / "examples" / "models" / "iris_forest.onnx"
ALICE = devnet_key("alice").public_key.hex()


def _leaf_commands(group: click.Group = cli, prefix: str = "") -> dict[str, click.Command]:
    ctx = click.Context(group)
    out = {}
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            out.update(_leaf_commands(command, f"{prefix}{name} "))
        else:
            out[f"{prefix}{name}"] = command
    return out


def test_every_command_has_json_a_schema_and_an_example():
    commands = _leaf_commands()
    assert sorted(commands) == sorted(SCHEMAS)
    for name, command in commands.items():
        assert "--json" in {opt for p in command.params for opt in p.opts}, name
        assert "Example" in (command.help or ""), f"ispc {name} --help has no example"
        jsonschema.Draft202012Validator.check_schema(schema_of(name))


def test_docs_cli_md_shows_the_current_schemas():
    assert schemas_main(["--check"]) == 0, "run python -m ispc_framework._cli._schemas"


SEEN: set[str] = set()


@pytest.fixture(scope="module")
def devnet(tmp_path_factory):
    root = tmp_path_factory.mktemp("json")
    config = root / "ispc.toml"
    config.write_text('[plugin.sqlite]\npath = "chain.db"\n'  # relative: next to this file
                      '[plugin.groth16]\nkey_dir = "keys"\nsetup_mode = "testing"\n'
                      "allow_testing_keys = true\n")
    KeyStore(root / "accounts").save("alice", devnet_key("alice"))  # the token's owner
    return root, config


def ispc(devnet, command: str, *args: str, code: int = 0, stdin: bytes | None = None):
    """Run ``ispc COMMAND ARGS --json``, check the exit code, validate stdout against the schema
    (the error schema on failure) and return the parsed document."""
    root, config = devnet
    runner = CliRunner(env={"ISPC_KEY_DIR": str(root / "accounts")})
    result = runner.invoke(cli, ["--config", str(config), *command.split(), *args, "--json"],
                           input=stdin, catch_exceptions=False)
    assert result.exit_code == code, result.output
    data = json.loads(result.stdout)
    jsonschema.validate(data, schema_of(command) if code == 0 else ERROR)
    SEEN.add(command)
    return data


@pytest.mark.slow
@pytest.mark.skipif(not (TOKEN.is_file() and COUNTER.is_file()),
                    reason="run examples/contracts/build.sh")
def test_every_command_json_matches_its_schema(devnet):
    pytest.importorskip("onnxruntime")
    root, config = devnet
    setup = ispc(devnet, "setup")
    assert (root / "keys").is_dir()  # the relative key_dir resolved next to the config file
    assert setup["vk_hash"] and setup["mode"] == "testing"
    carol = ispc(devnet, "keys new", "carol")
    assert ispc(devnet, "keys show", "carol")["address"] == carol["address"]
    assert [k["name"] for k in ispc(devnet, "keys list")] == ["alice", "carol"]
    exported = root / "carol.key.json"
    ispc(devnet, "keys export", "carol", str(exported))
    assert ispc(devnet, "keys import", "carol2", str(exported))["address"] == carol["address"]
    genesis = ispc(devnet, "init", "--timestamp", "5", "--allocate", f"{ALICE}:77")
    assert genesis["block"]["height"] == 0 and (root / "chain.db").is_file()
    token = ispc(devnet, "deploy", str(TOKEN), "--as", "alice")["content_hash"]
    counter = ispc(devnet, "deploy", str(COUNTER))["content_hash"]

    out = root / "mint.json"
    minted = ispc(devnet, "run", token, "mint", "--input", struct.pack("<Q", 9).hex(),
                  "--as", "alice", "--out", str(out))
    assert minted["status"] == 0 and minted["applied"] is None
    assert {"compile", "execute", "prove", "verify"} <= set(minted["timings"])
    verified = ispc(devnet, "verify", str(out), "--replay")
    assert verified["verified"] and verified["replay"]["matches"]
    assert ispc(devnet, "replay", str(out))["matches"]
    applied = ispc(devnet, "apply", str(out))
    assert applied["block"]["height"] == 3 and "apply" in applied["timings"]

    ispc(devnet, "run", counter, "init", "--as", "alice", "--apply")
    increment = root / "increment.bin"
    increment.write_bytes(struct.pack("<Q", 4))
    ispc(devnet, "run", counter, "increment", "--input-file", str(increment), "--as", "alice",
         "--apply")
    calls = root / "calls.jsonl"
    calls.write_text(json.dumps({"contract": counter, "method": "get"}) + "\n"
                     + json.dumps({"contract": counter, "method": "get", "nonce": 1}) + "\n")
    batch = ispc(devnet, "batch", str(calls), "--as", "alice", "--no-prove")
    assert batch["requests"] == 2 and [r["status"] for r in batch["results"]] == [0, 0]
    got = ispc(devnet, "query", counter, "get", "--input-file", "-", stdin=b"")
    assert struct.unpack("<Q", bytes.fromhex(got["return_data"]))[0] == 4
    assert ispc(devnet, "state", counter)["entries"]
    assert ispc(devnet, "chain")["head"]["height"] == 5
    assert ispc(devnet, "utxo", ALICE)
    assert ispc(devnet, "balance", ALICE)

    inputs = root / "inputs.json"
    inputs.write_text(json.dumps({"X": {"dtype": "float32", "shape": [1, 4],
                                        "values": [5.1, 3.5, 1.4, 0.2]}}))
    model = ispc(devnet, "deploy", str(MODEL))["content_hash"]
    inferred = ispc(devnet, "infer", model, "--inputs", str(inputs), "--as", "alice",
                    "--no-prove")
    label = inferred["outputs"][0]
    assert label["dtype"] == "int64" and label["shape"] == [1] and label["values"] == [0]

    assert ispc(devnet, "prover export-verifier")["source"].lstrip().startswith("//")
    ispc(devnet, "plugins")
    assert any(c["level"] == "ok" for c in ispc(devnet, "doctor"))
    ispc(devnet, "config show")
    conformance = ispc(devnet, "conformance", "repository", "sqlite")
    assert conformance["ok"] and conformance["checks"]
    ispc(devnet, "hostabi generate", "--check")
    minted_block = ispc(devnet, "block", "3")
    assert minted_block["result"]["method"] == "mint"
    assert ispc(devnet, "tx", minted_block["signed_transaction_id"]) == minted_block
    assert "mint" in [e["type"] for e in ispc(devnet, "events")]
    assert [c["content_hash"] for c in ispc(devnet, "contracts")] == [token, counter]
    trace = ispc(devnet, "trace", str(out))
    assert trace["trace_root"] == minted["result"]["commitment"]["trace_root"]
    # arguments by the HostABI spec's parameter names, a (pointer, length) pair as a list
    paid = next(r for r in trace["records"] if r["function"] == "ispc.v1.tx_add_asset_output")
    assert set(paid["params"]) == {"owner", "amount", "token", "locks", "index"}
    assert paid["params"]["amount"] == paid["args"][1] and len(paid["params"]["token"]) == 2
    head = ispc(devnet, "chain")["head"]["height"]
    assert ispc(devnet, "devnet advance", "--blocks", "2")["height"] == head + 2
    second = ispc(devnet, "devnet init", str(root / "second"))
    assert second["testing_only"] and second["genesis"]["height"] == 0
    error = ispc(devnet, "run", "ab", "mint", code=2)
    assert error["code"] == "invalid-value"
    assert SEEN >= set(SCHEMAS) - {"demo"}  # demo: tests/test_demo.py validates its JSON

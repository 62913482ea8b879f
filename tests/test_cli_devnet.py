"""`ispc init` / `devnet init` refusing and failing cleanly, the prover toolchain found outside
the repository, and the inspection commands (`block`, `tx`, `events`, `contracts`, `utxo`,
`balance`, `devnet advance`) on a real SQLite chain, their --json checked against docs/cli.md's
schemas. No proofs here: the whole journey with proofs is tests/test_devnet_journey.py (slow)."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from ispc_framework._cli import cli
from ispc_framework._cli._schemas import SCHEMAS, main as schemas_main, schema_of
from ispc_framework._error_codes import REGISTRY
from ispc_framework._keys import KeyStore
from ispc_framework._model import (AssetOutput, Event, FungibleToken, SealedDraft,
                                   SingleKeyLock, TimeLock, TxOutput)
from ispc_framework._prover_keys import KeyStore as ProverKeyStore
from ispc_framework._signing import devnet_key

REPO = Path(__file__).resolve().parents[1]
BUILD = REPO / "examples" / "contracts" / "build"
TOKEN = BUILD / "token_c.wasm"
ALICE = devnet_key("alice").public_key

needs_token = pytest.mark.skipif(not TOKEN.is_file(), reason="run examples/contracts/build.sh")


def invoke(*args: str, code: int = 0, cwd: Path | None = None, env=None) -> str:
    runner = CliRunner(env={"COLUMNS": "250", **(env or {})})  # rich tables unwrapped
    if cwd is not None:
        import os

        old = os.getcwd()
        os.chdir(cwd)
    try:
        result = runner.invoke(cli, list(args), catch_exceptions=False)
    finally:
        if cwd is not None:
            os.chdir(old)
    assert result.exit_code == code, result.output
    return result.output


def check_schema(command: str, output: str):
    document = json.loads(output)
    jsonschema.validate(document, schema_of(command))
    return document


# ------------------------------------------------------------------------ init and setup

def test_devnet_init_refuses_a_directory_that_holds_a_devnet(tmp_path):
    (tmp_path / "ispc.toml").write_text("# mine\n")
    out = invoke("devnet", "init", str(tmp_path), "--json", code=2)
    assert json.loads(out)["code"] == "devnet-exists"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ispc.toml"]
    assert (tmp_path / "ispc.toml").read_text() == "# mine\n"


def test_failed_init_leaves_nothing_behind(tmp_path):
    """The prover setup fails after the accounts were written: all of it is removed."""
    target = tmp_path / "net"
    out = invoke("--set", "prover.circuit=no.such.circuit", "devnet", "init", str(target),
                 "--json", code=2)
    assert json.loads(out)["code"] == "invalid-value"
    assert not target.exists()
    here = tmp_path / "here"
    here.mkdir()
    invoke("--set", "prover.circuit=no.such.circuit", "init", cwd=here, code=2)
    assert list(here.iterdir()) == []


def test_prover_toolchain_is_found_outside_the_repository(tmp_path, monkeypatch):
    circuits = pytest.importorskip("ispc_groth16.circuits")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ISPC_NODE_MODULES", raising=False)
    tool = circuits.find_node_tool("circom2")
    assert tool.exists() and tmp_path not in tool.parents
    assert all(tmp_path not in c.parents for c in circuits.node_modules_candidates())


def test_setup_without_circom2_fails_before_making_a_key_folder(tmp_path, monkeypatch):
    circuits = pytest.importorskip("ispc_groth16.circuits")
    from ispc_groth16.ceremony import make_keys

    from ispc_framework._errors import ProverUnavailable

    monkeypatch.setattr(circuits, "node_modules_candidates",
                        lambda node_modules=None: [tmp_path / "empty" / "node_modules"])
    with pytest.raises(ProverUnavailable) as caught:
        make_keys("ispc.draft.v2", tmp_path / "keys", "testing", progress=lambda *a: None)
    assert caught.value.code == "node-tool-missing"
    assert not (tmp_path / "keys").exists()


def test_discarded_staging_removes_only_what_it_made(tmp_path):
    store = ProverKeyStore(tmp_path / "a" / "b")
    store.discard(store.staging("ispc.draft.v2"))
    assert not (tmp_path / "a").exists()
    (tmp_path / "mine").mkdir()
    store = ProverKeyStore(tmp_path / "mine")
    store.discard(store.staging("ispc.draft.v2"))
    assert list((tmp_path / "mine").iterdir()) == []


def test_setup_mode_is_a_choice_and_documented():
    out = invoke("setup", "--help")
    assert "--mode [testing|ceremony]" in out and "Example" in out
    out = invoke("setup", "--mode", "quick", code=2)
    assert "'quick' is not one of" in out


# ------------------------------------------------------------------------------ inspection

@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """A sqlite chain without proofs: genesis, two deploys, a block with events and a
    time-locked token output (written by the repository writer), two empty blocks."""
    from ispc_sqlite import SqliteRepository

    root = tmp_path_factory.mktemp("inspect")
    config = root / "ispc.toml"
    config.write_text(f'[plugin.sqlite]\npath = "{root / "chain.db"}"\n'
                      f'[keys]\ndir = "{root / "accounts"}"\n')
    KeyStore(root / "accounts").save("alice", devnet_key("alice"), note="TESTING KEY")
    run = lambda *a, **kw: invoke("--config", str(config), *a, **kw)  # noqa: E731
    genesis = check_schema("init", run("init", "--timestamp", "100", "--allocate", "alice:77",
                                       "--json"))
    assert genesis["block"]["height"] == 0 and len(genesis["created"]) == 1
    token = run("deploy", str(TOKEN), "--as", "alice").strip() if TOKEN.is_file() else None
    repo = SqliteRepository(root / "chain.db")
    contract = bytes.fromhex(token) if token else b"\x11" * 32
    applied = repo.writer().apply(SealedDraft((), (TxOutput(
        ALICE, (TimeLock(500, SingleKeyLock(ALICE)),),
        asset=AssetOutput(FungibleToken(contract, b"TOK"), 5)),),
        (Event(contract, "mint", b"\x05" + bytes(7)), Event(contract, "note", b"hello"))))
    repo.close()
    return run, token, applied


@needs_token
def test_block_and_tx_json_match_their_schema(chain):
    run, token, applied = chain
    blocks = [check_schema("block", run("block", str(h), "--json")) for h in range(3)]
    assert blocks[0]["result"] is None and blocks[0]["outputs"][0]["amount"] == 77
    assert blocks[1]["outputs"][0]["kind"] == "resource"
    assert blocks[1]["outputs"][0]["content_hash"] == token
    minted = blocks[2]["outputs"][0]
    assert minted["token"] == {"kind": "fungible", "contract": token, "id": "544f4b",
                               "label": "TOK"}
    assert minted["locks"][0]["kind"] == "time"
    assert [e["type"] for e in blocks[2]["events"]] == ["mint", "note"]
    tx = check_schema("tx", run("tx", applied.block.transaction_id.hex(), "--json"))
    assert tx == blocks[2]
    head = check_schema("block", run("block", "--json"))
    assert head["height"] == 2
    assert json.loads(run("block", "9", "--json", code=1))["code"] == "no-such-height"
    assert json.loads(run("tx", "ab" * 32, "--json", code=1))["code"] == "transaction-unknown"


@needs_token
def test_events_and_contracts_json(chain):
    run, token, _ = chain
    events = check_schema("events", run("events", "--json"))
    assert [(e["height"], e["type"]) for e in events] == [(2, "mint"), (2, "note")]
    assert check_schema("events", run("events", "--since", "3", "--json")) == []
    assert check_schema("events", run("events", "--contract", "22" * 32, "--json")) == []
    only = check_schema("events", run("events", "--type", "note", "--json"))
    assert [e["data"] for e in only] == [b"hello".hex()]
    assert "hello" in run("events")  # printable data shown as text
    contracts = check_schema("contracts", run("contracts", "--json"))
    assert [(c["name"], c["content_hash"], c["height"]) for c in contracts] == [
        ("token_c.wasm", token, 1)]
    assert check_schema("contracts", run("contracts", "--kind", "model", "--json")) == []


@needs_token
def test_utxo_and_balance_read_for_people(chain):
    run, _, _ = chain
    text = run("utxo", "alice")
    assert "77 coin" in text and "5 TOK (token of token_c.wasm)" in text
    assert "key alice from time 500" in text and "none (the owner signs)" in text
    balance = run("balance", "alice")
    assert "77  coin" in balance and "5  TOK (token of token_c.wasm)" in balance
    assert json.loads(run("balance", ALICE.hex(), "--json"))[0]["amount"] == 77


def test_allocate_makes_height_and_time_locked_outputs(tmp_path):
    """`--allocate NAME:AMOUNT:height=H:time=T` writes a genesis output the owner's key can spend
    only from height H and timestamp T on; a malformed condition is refused before any write."""
    from ispc_framework._encoding import from_json
    from ispc_framework._model import HeightLock

    config = tmp_path / "ispc.toml"
    config.write_text(f'[plugin.sqlite]\npath = "{tmp_path / "chain.db"}"\n'
                      f'[keys]\ndir = "{tmp_path / "accounts"}"\n')
    KeyStore(tmp_path / "accounts").save("alice", devnet_key("alice"), note="TESTING KEY")
    run = lambda *a, **kw: invoke("--config", str(config), *a, **kw)  # noqa: E731
    for bad in ("alice:5:height", "alice:5:height=x", "alice:5:after=3", "alice:5:time=1:time=2",
                "alice:five"):
        error = json.loads(run("init", "--allocate", bad, "--json", code=2))
        assert error["code"] == "invalid-value" and "--allocate" in error["message"], bad
    assert not (tmp_path / "chain.db").exists()
    genesis = check_schema("init", run("init", "--timestamp", "100", "--allocate", "alice:7",
                                       "--allocate", "alice:5:height=3:time=900", "--json"))
    plain, locked = genesis["created"]
    outputs = check_schema("block", run("block", "0", "--json"))["outputs"]
    assert [o["amount"] for o in outputs] == [7, 5]
    assert outputs[0]["locks"] == [] and [lock["kind"] for lock in outputs[1]["locks"]] == ["time"]
    from ispc_sqlite import SqliteRepository

    repo = SqliteRepository(tmp_path / "chain.db")
    try:
        stored = repo.view().utxo(from_json(locked))
    finally:
        repo.close()
    assert stored.locks == (TimeLock(900, HeightLock(3, SingleKeyLock(ALICE))),)
    assert "key alice from height 3 from time 900" in run("utxo", "alice")


@needs_token
def test_devnet_advance_moves_height_and_time(chain):
    run, _, _ = chain
    start = json.loads(run("chain", "--json"))["head"]
    moved = check_schema("devnet advance", run("devnet", "advance", "--blocks", "2",
                                               "--seconds", "60", "--json"))
    assert moved["height"] == start["height"] + 2
    assert moved["timestamp"] == start["timestamp"] + 60
    assert [b["timestamp"] for b in moved["blocks"]] == [start["timestamp"] + 30,
                                                          start["timestamp"] + 60]
    one = check_schema("devnet advance", run("devnet", "advance", "--json"))
    assert (one["height"], one["timestamp"]) == (moved["height"] + 1, moved["timestamp"] + 1)
    assert json.loads(run("block", str(one["height"]), "--json"))["outputs"] == []


@needs_token
def test_a_failed_contract_without_return_data_says_so(chain):
    run, token, _ = chain
    out = run("query", token, "mint", "--input", struct.pack("<Q", 1).hex(), code=1)
    assert "[contract-failed]" in out and "no return data" in out
    assert "see its return data" not in out


def test_timestamp_hint_names_a_command_that_exists():
    hint = REGISTRY["timestamp-order"].hint
    assert "--timestamp" not in hint and "ispc devnet advance --seconds" in hint


@pytest.mark.parametrize("command", [
    ("init",), ("devnet", "init"), ("devnet", "advance"), ("setup",), ("block",), ("tx",),
    ("events",), ("contracts",), ("trace",), ("utxo",), ("balance",)])
def test_each_command_has_help_with_an_example(command):
    assert "Example" in invoke(*command, "--help")


def test_every_schema_is_valid_and_documented():
    for command in SCHEMAS:
        jsonschema.Draft202012Validator.check_schema(schema_of(command))
    assert schemas_main(["--check"]) == 0

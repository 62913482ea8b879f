"""The devnet journey a new user takes, through the installed `ispc` command as subprocesses in a
fresh directory outside the repository: init, keys, deploy, run, verify, apply, replay, query,
events, trace, block, tx, utxo, balance, advance. Every --json document is parsed and asserted,
and checked against its schema where docs/cli.md gives one. Real SQLite, real proofs (testing
keys), real signatures."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from ispc_framework._cli._schemas import SCHEMAS, schema_of

REPO = Path(__file__).resolve().parents[1]
BUILD = REPO / "examples" / "contracts" / "build"
TOKEN, EVENTS, COUNTER = (BUILD / f"{name}_c.wasm" for name in ("token", "events", "counter"))
ISPC = Path(sys.executable).with_name("ispc")  # the installed console script

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (TOKEN.is_file() and EVENTS.is_file() and COUNTER.is_file()),
                                 reason="run examples/contracts/build.sh"),
              pytest.mark.skipif(not ISPC.is_file(), reason="the ispc console script is missing")]


class Devnet:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        # The user's environment, minus anything that would point ispc elsewhere.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("ISPC_")}
        self.env["COLUMNS"] = "250"

    def __call__(self, *args: str, code: int = 0) -> str:
        done = subprocess.run([str(ISPC), *args], cwd=self.directory, env=self.env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == code, f"ispc {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def json(self, *args: str, schema: str | None = None, code: int = 0):
        document = json.loads(self(*args, "--json", code=code))
        command = schema or next(a for a in args if not a.startswith("-") and "/" not in a)
        if command in SCHEMAS and code == 0:
            jsonschema.validate(document, schema_of(command))
        return document


def emit_input(*records: tuple[bytes, bytes]) -> str:
    return b"".join(bytes([len(t)]) + t + struct.pack("<H", len(d)) + d for t, d in records).hex()


def _write_locked_output(db: Path, owner: bytes, token: bytes, blocks_ahead: int):
    from ispc_sqlite import SqliteRepository

    from ispc_framework._model import (AssetOutput, FungibleToken, HeightLock, SealedDraft,
                                       SingleKeyLock, TxOutput)

    repo = SqliteRepository(db)
    try:
        bound = repo.view().head().height + 1 + blocks_ahead  # the block this write makes, + N
        output = TxOutput(owner, (HeightLock(bound, SingleKeyLock(owner)),),
                          asset=AssetOutput(FungibleToken(token, b"TOK"), 40))
        return repo.writer().apply(SealedDraft((), (output,), ())).created[0]
    finally:
        repo.close()


def test_the_devnet_journey(tmp_path):
    directory = tmp_path / "mynet"
    directory.mkdir()
    assert REPO not in directory.parents
    ispc = Devnet(directory)

    # init: one command makes a working devnet, everything marked as testing
    made = ispc.json("init")
    assert made["testing_only"] is True and made["prover"]["testing_only"] is True
    assert [a["name"] for a in made["accounts"]] == ["alice", "bob"]
    config = (directory / "ispc.toml").read_text()
    assert 'setup_mode = "testing"' in config and "allow_testing_keys = true" in config
    assert "TESTING ONLY" in config
    alice = made["accounts"][0]["address"]
    assert json.loads(ispc("init", "--json", code=1))["code"] == "genesis-exists"

    # keys: the testing accounts say what they are; a new key joins them
    keys = ispc.json("keys", "list")
    assert all("TESTING KEY" in k["note"] for k in keys)
    ispc("keys", "new", "carol")
    assert [k["name"] for k in ispc.json("keys", "list")] == ["alice", "bob", "carol"]
    assert ispc.json("balance", "alice") == [{"token": {"type": "NativeCoin"}, "amount": 1000}]

    # deploy
    token = ispc.json("deploy", str(TOKEN), "--as", "alice")["content_hash"]
    events = ispc.json("deploy", str(EVENTS), "--as", "alice")["content_hash"]
    counter = ispc.json("deploy", str(COUNTER), "--as", "bob")["content_hash"]
    contracts = ispc.json("contracts")
    assert [(c["name"], c["content_hash"]) for c in contracts] == [
        ("token_c.wasm", token), ("events_c.wasm", events), ("counter_c.wasm", counter)]

    # run, verify, apply, replay
    ran = ispc.json("run", token, "mint", "--input", struct.pack("<Q", 250).hex(), "--as",
                    "alice", "--out", "mint.json")
    assert ran["applied"] is None and ran["result"]["commitment"]["status"] == 0
    assert ispc.json("verify", "mint.json")["verified"] is True
    applied = ispc.json("apply", "mint.json")
    mint_height = applied["block"]["height"]
    assert mint_height == 4
    assert ispc.json("replay", "mint.json") == {"matches": True, "differences": []}

    emitted = ispc.json("run", events, "emit", "--input",
                        emit_input((b"greeting", b"hello devnet"), (b"count", b"\x02")),
                        "--as", "bob", "--apply")
    emit_block = emitted["applied"]
    assert emit_block["height"] == mint_height + 1
    ispc.json("run", counter, "init", "--as", "bob", "--apply")

    # query: read-only, no proof, no block
    head = ispc.json("chain")["head"]["height"]
    assert ispc.json("query", counter, "get")["return_data"] == "00" * 8
    assert ispc.json("chain")["head"]["height"] == head

    # events, filtered
    all_events = ispc.json("events")
    assert [(e["height"], e["type"]) for e in all_events] == [
        (mint_height, "mint"), (mint_height + 1, "greeting"), (mint_height + 1, "count")]
    only = ispc.json("events", "--contract", events, "--since", str(mint_height))
    assert [bytes.fromhex(e["data"]) for e in only] == [b"hello devnet", b"\x02"]
    assert "hello devnet" in ispc("events", "--contract", events)

    # block and tx, by either id
    block = ispc.json("block", str(emit_block["height"]))
    signed_id = block["signed_transaction_id"]
    assert block["result"]["method"] == "emit" and block["result"]["status"] == 0
    assert block["result"]["signers"] == [made["accounts"][1]["address"]]
    assert ispc.json("tx", signed_id) == block
    assert ispc.json("tx", emit_block["transaction_id"]) == block
    assert ispc.json("block", "0")["result"] is None

    # trace: from the trace sink, and by re-execution when no sink has it
    trace = ispc.json("trace", "mint.json")
    assert trace["source"].startswith("trace sink")
    assert trace["trace_root"] == ran["result"]["commitment"]["trace_root"]
    functions = [r["function"] for r in trace["records"]]
    assert functions[0] == "mint" and "ispc.v1.emit_event" in functions
    assert all(r["gas"] >= 0 for r in trace["records"])
    emit_trace = ispc.json("trace", signed_id)
    logs = [r["text"] for r in emit_trace["records"] if r["function"].endswith("log_debug")]
    assert logs == ["events emitted"]
    replayed = ispc.json("--set", "trace.sinks=[]", "trace", signed_id, schema="trace")
    assert replayed["source"] == "re-executed at its pinned block"
    assert replayed["records"] == emit_trace["records"]
    assert "log: events emitted" in ispc("trace", signed_id)

    # verify and replay an applied transaction by its id
    checked = ispc.json("verify", "--tx", signed_id, "--replay")
    assert checked["verified"] is True and checked["replay"] == {"matches": True,
                                                                 "differences": []}

    # utxo and balance, for people and for scripts
    rows = ispc.json("utxo", "alice")
    minted = [r for r in rows if r["output"]["asset"] and
              r["output"]["asset"]["token"]["type"] == "FungibleToken"]
    assert [r["output"]["asset"]["amount"] for r in minted] == [250]
    text = ispc("utxo", "alice")
    assert "250 TOK (token of token_c.wasm)" in text and "key alice" in text
    assert "250  TOK (token of token_c.wasm)" in ispc("balance", alice)

    # a height-locked token output (written straight to the chain file, as an allocation would
    # be) cannot be spent until the devnet advances past its height
    locked = _write_locked_output(directory / "chain.db", bytes.fromhex(alice),
                                  bytes.fromhex(token), blocks_ahead=3)
    transfer = (bytes.fromhex(made["accounts"][1]["address"]) + struct.pack("<Q", 15) +
                bytes([1]) + locked.tx_id + struct.pack("<I", locked.index)).hex()
    allow = ("--spend", f"{locked.tx_id.hex()}:{locked.index}")   # alice's spend allowance
    refused = ispc.json("run", token, "transfer", "--input", transfer, "--as", "alice", *allow,
                        code=1)
    assert refused["code"] == "contract-failed"  # the token's status 2: not spendable yet
    ispc.json("devnet", "advance", "--blocks", "3", schema="devnet advance")
    ispc.json("run", token, "transfer", "--input", transfer, "--as", "alice", *allow, "--apply")
    assert "15  TOK (token of token_c.wasm)" in ispc("balance", "bob")

    # advance: height and time move for time-lock tests; old results go stale
    before = ispc.json("chain")["head"]
    moved = ispc.json("devnet", "advance", "--blocks", "3", "--seconds", "3600",
                      schema="devnet advance")
    after = ispc.json("chain")["head"]
    assert (after["height"], after["timestamp"]) == (before["height"] + 3,
                                                     before["timestamp"] + 3600)
    assert moved["height"] == after["height"]
    ispc.json("run", token, "mint", "--input", struct.pack("<Q", 1).hex(), "--as", "alice",
              "--out", "late.json")
    ispc.json("devnet", "advance", schema="devnet advance")
    assert ispc.json("apply", "late.json", code=1)["code"] == "result-stale"

    # a second devnet, made from the first one's directory, used through --config from elsewhere
    second = ispc.json("devnet", "init", str(tmp_path / "second"), "--chain-id", "other",
                       schema="devnet init")
    assert second["chain_id"] == "other" and second["genesis"]["height"] == 0
    outside = Devnet(tmp_path)
    head = outside.json("--config", second["config"], "chain")["head"]
    assert (head["chain_id"], head["height"]) == ("other", 0)
    assert outside.json("--config", second["config"], "balance", "bob") == [
        {"token": {"type": "NativeCoin"}, "amount": 1000}]

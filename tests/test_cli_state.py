"""`ispc query`, `ispc state`, `ispc balance` and storage through `run`/`apply` on a real SQLite
file with real proofs: the counter contract, and two results pinned to one block (one applies,
the other is a state-conflict)."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from click.testing import CliRunner

from ispc_framework import devnet_key
from ispc_framework._cli import cli
from ispc_framework._keys import KeyStore
from ispc_framework._state import StateProof, verify_proof

REPO = Path(__file__).resolve().parents[1]
COUNTER = REPO / "examples" / "contracts" / "build" / "counter_c.wasm"
ALICE, BOB = devnet_key("alice").public_key.hex(), devnet_key("bob").public_key.hex()

pytestmark = [pytest.mark.skipif(not COUNTER.is_file(), reason="run examples/contracts/build.sh"),
              pytest.mark.slow]


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli-state")
    config = root / "ispc.toml"
    config.write_text(f'[plugin.sqlite]\npath = "{root / "chain.db"}"\n'
                      f'[plugin.groth16]\nkey_dir = "{root / "keys"}"\nsetup_mode = "testing"\n'
                      "allow_testing_keys = true\n")
    return root, config


def ispc(chain, *args, code=0):
    root, config = chain
    store = KeyStore(root / "accounts")
    for name in ("alice", "bob", "carol"):
        if not store.path(name).is_file():
            store.save(name, devnet_key(name))
    args = list(args)  # runs are signed: --caller ADDRESS becomes --as KEYNAME
    for i, a in enumerate(args[:-1]):
        if a == "--caller":
            args[i], args[i + 1] = "--as", NAMES[args[i + 1]]
    if args and args[0] == "run" and "--as" not in args:
        args += ["--as", "alice"]
    result = CliRunner(env={"ISPC_KEY_DIR": str(root / "accounts")}).invoke(
        cli, ["--config", str(config), *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def test_counter_storage_query_state_balance_and_conflict(chain):
    root, _ = chain
    ispc(chain, "setup")
    ispc(chain, "init", "--timestamp", "5", "--allocate", f"{ALICE}:77")
    counter = ispc(chain, "deploy", str(COUNTER)).strip()
    assert "applied" in ispc(chain, "run", counter, "init", "--caller", ALICE, "--apply")
    ispc(chain, "run", counter, "increment", "--input", struct.pack("<Q", 4).hex(), "--apply")

    query = json.loads(ispc(chain, "query", counter, "get", "--json"))
    assert query["return_data"] == struct.pack("<Q", 4).hex() and query["gas_used"] > 0
    failed = json.loads(ispc(chain, "query", counter, "increment", "--json", code=1))
    assert failed["code"] == "query-wrote"

    listing = json.loads(ispc(chain, "state", counter, "--json"))
    assert listing["version"] == 2 and listing["entries"] == {
        b"count".hex(): struct.pack("<Q", 4).hex(), b"owner".hex(): ALICE}
    one = json.loads(ispc(chain, "state", counter, "count", "--text", "--proof", "--json"))
    proof = one["proof"]
    checked = StateProof(bytes.fromhex(proof["key"]), bytes.fromhex(proof["value"]),
                         bytes.fromhex(proof["root"]),
                         tuple(bytes.fromhex(s) for s in proof["siblings"]))
    assert verify_proof(checked, bytes.fromhex(listing["root"]))
    past = json.loads(ispc(chain, "state", counter, "count", "--text", "--height", "2", "--json"))
    assert past["value"] is None and past["version"] == 1
    assert "77  coin" in ispc(chain, "balance", ALICE)

    first, second = root / "a.json", root / "b.json"
    ispc(chain, "run", counter, "increment", "--out", str(first))
    ispc(chain, "run", counter, "increment", "--nonce", "1", "--caller", BOB, "--out",
         str(second))
    ispc(chain, "apply", str(first))
    refused = json.loads(ispc(chain, "apply", str(second), "--json", code=1))
    assert refused["code"] == "state-conflict"
    assert json.loads(ispc(chain, "query", counter, "get", "--json"))["return_data"] == \
        struct.pack("<Q", 5).hex()


DAO = REPO / "examples" / "contracts" / "build" / "dao_c.wasm"
CAROL = devnet_key("carol").public_key.hex()
NAMES = {ALICE: "alice", BOB: "bob", CAROL: "carol"}


def test_dao_treasury_payout_is_proven_and_applied(tmp_path):
    """A transfer from the contract's own outputs (input selection, change) through run, the
    Groth16 proof and apply, on SQLite; balances read back with `ispc balance`."""
    import hashlib

    config = tmp_path / "ispc.toml"
    config.write_text(f'[plugin.sqlite]\npath = "{tmp_path / "chain.db"}"\n'
                      f'[plugin.groth16]\nkey_dir = "{tmp_path / "keys"}"\n'
                      'setup_mode = "testing"\nallow_testing_keys = true\n')
    chain = (tmp_path, config)
    dao = hashlib.sha256(DAO.read_bytes()).hexdigest()
    ispc(chain, "setup")
    ispc(chain, "init", "--timestamp", "5", "--allocate", f"{dao}:100", "--allocate", f"{dao}:50")
    assert ispc(chain, "deploy", str(DAO)).strip() == dao
    for method, data, caller in [("init", "", ALICE), ("add_member", BOB, ALICE),
                                 ("propose", CAROL + struct.pack("<Q", 120).hex(), BOB),
                                 ("vote", struct.pack("<Q", 0).hex() + "01", ALICE),
                                 ("vote", struct.pack("<Q", 0).hex() + "01", BOB),
                                 ("execute", struct.pack("<Q", 0).hex(), CAROL)]:
        assert "applied" in ispc(chain, "run", dao, method, "--input", data, "--caller", caller,
                                 "--apply")
    carol = json.loads(ispc(chain, "balance", CAROL, "--json"))
    assert [row["amount"] for row in carol] == [120]
    treasury = json.loads(ispc(chain, "query", dao, "treasury", "--json"))
    assert treasury["return_data"] == struct.pack("<Q", 30).hex()

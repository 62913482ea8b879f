"""R5: a signature is bound to the chain's genesis, not to the chain id alone, and `ispc init`
gives every new devnet its own chain id: a transaction signed for one devnet never runs on
another, even one with the same chain id and the same deployed contract. Also `--spend`."""
from __future__ import annotations

import json
import struct

import pytest
from click.testing import CliRunner

from ispc_framework import ExecutionRequest, MemoryRepository
from ispc_framework._cli import cli
from ispc_framework._errors import ISPCError
from ispc_framework._keys import KeyStore
from ispc_framework._model import (AssetOutput, NativeCoin, ResourceCategory, ResourceOutput,
                                   SealedDraft, TxOutput)
from ispc_framework._repository import genesis_hash_of
from ispc_framework._signing import devnet_key
from ispc_framework._transaction import check_signatures

from .test_coordinator import ALICE, ALICE_KEY, TOKEN, key_dir, make, signed  # noqa: F401
from .test_coordinator import pytestmark  # noqa: F401  (needs the built token; slow: proven)


def _devnet(key_dir, tmp_path, timestamp):  # noqa: F811
    """make()'s chain under the chain id every devnet used to get, at another genesis time."""
    coordinator, _ = make(key_dir, tmp_path, MemoryRepository())
    repository = MemoryRepository()
    coordinator._repository = repository
    writer = repository.writer()
    writer.create_genesis("ispc-devnet", timestamp,
                          [TxOutput(ALICE, asset=AssetOutput(NativeCoin(), 50))])
    content = TOKEN.read_bytes()
    key = writer.store_resource(content)
    writer.apply(SealedDraft((), (TxOutput(ALICE, resource=ResourceOutput(
        key, ResourceCategory.CONTRACT, "application/wasm", len(content), "token")),), ()))
    return coordinator, key


def test_a_transaction_signed_for_one_devnet_is_refused_on_another(key_dir, tmp_path):  # noqa: F811
    a, token = _devnet(key_dir, tmp_path, 1000)
    b, token_b = _devnet(key_dir, tmp_path, 5000)
    assert token == token_b
    genesis_a = a.repository.view().block_hash(0)
    assert genesis_a == genesis_hash_of("ispc-devnet", 1000,
                                        [TxOutput(ALICE, asset=AssetOutput(NativeCoin(), 50))])
    tx = signed(ExecutionRequest(token, "mint", struct.pack("<Q", 7)), chain_id="ispc-devnet",
                genesis=genesis_a)
    a.apply_result(a.execute(tx))
    height = b.repository.view().head().height
    with pytest.raises(ISPCError) as info:
        b.execute(tx)                                   # same chain id, same signature
    assert info.value.code == "signature-invalid" and "genesis" in info.value.hint
    assert b.repository.view().head().height == height
    check_signatures(tx, genesis_a)
    with pytest.raises(ISPCError):
        check_signatures(tx, b.repository.view().block_hash(0))


def test_new_devnets_get_distinct_chain_ids_and_run_spends_only_what_it_lists(tmp_path):
    ids = []
    for name in ("one", "two"):
        config = tmp_path / f"{name}.toml"
        config.write_text(f'[plugin.sqlite]\npath = "{tmp_path / name}.db"\n')
        out = CliRunner().invoke(cli, ["--config", str(config), "init", "--json"],
                                 catch_exceptions=False)
        assert out.exit_code == 0, out.output
        head = CliRunner().invoke(cli, ["--config", str(config), "chain"]).output
        ids.append(head.split("'")[1])
    assert ids[0] != ids[1] and all(i.startswith("ispc-devnet-") for i in ids)


def test_run_spend_option(tmp_path, key_dir):  # noqa: F811
    config = tmp_path / "ispc.toml"
    config.write_text(f'[plugin.sqlite]\npath = "{tmp_path / "chain.db"}"\n'
                      f'[plugin.groth16]\nkey_dir = "{key_dir}"\nallow_testing_keys = true\n')
    KeyStore(tmp_path / "accounts").save("alice", ALICE_KEY)
    env = {"ISPC_KEY_DIR": str(tmp_path / "accounts")}

    def ispc(*args, code=0):
        result = CliRunner(env=env).invoke(cli, ["--config", str(config), *args],
                                           catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output

    ispc("init", "--allocate", f"{ALICE.hex()}:50")
    token = ispc("deploy", str(TOKEN)).strip()
    ispc("run", token, "mint", "--input", struct.pack("<Q", 9).hex(), "--as", "alice", "--apply")
    rows = json.loads(ispc("utxo", ALICE.hex(), "--json"))
    minted = next(r["outpoint"] for r in rows
                  if r["output"]["asset"] and r["output"]["asset"]["amount"] == 9)
    point = f"{minted['tx_id']}:{minted['index']}"
    spend = (devnet_key("bob").public_key + struct.pack("<Q", 4) + bytes([1])
             + bytes.fromhex(minted["tx_id"]) + struct.pack("<I", minted["index"])).hex()
    refused = json.loads(ispc("run", token, "transfer", "--input", spend, "--as", "alice",
                              "--no-prove", "--json", code=1))
    assert refused["code"] == "contract-failed"    # the token's input was not allowed
    out = json.loads(ispc("run", token, "transfer", "--input", spend, "--as", "alice",
                          "--spend", point, "--no-prove", "--json"))
    assert len(out["transaction"]["inputs"]) == 1
    bad = json.loads(ispc("run", token, "transfer", "--input", spend, "--as", "alice",
                          "--spend", "nothex:0", "--no-prove", "--json", code=2))
    assert bad["code"] == "invalid-value"

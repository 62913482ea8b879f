"""Proofs of real drafts: the example token contract run by the coordinator, on both backends."""

from __future__ import annotations

import struct

import attrs
import pytest

from ispc_framework.plugins import VerificationFailed
from ispc_framework.plugins import (AssetOutput, NativeCoin, ResourceCategory, ResourceOutput,
                                  SealedDraft, TxOutput)
from ispc_framework.plugins import ProofRequest

pytest.importorskip("ispc_wasmtime")
pytest.importorskip("ispc_sqlite")

from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parents[3]
from ispc_framework import devnet_key, sign_request  # noqa: E402

ALICE_KEY = devnet_key("alice")  # the token contract's hard-coded owner
ALICE, BOB = ALICE_KEY.public_key, devnet_key("bob").public_key


def _signed(request, spends=()):
    from ispc_framework.plugins import AssetOutput, NativeCoin, TxOutput, genesis_hash_of

    genesis = genesis_hash_of("groth16-test", 1_700_000_000,
                              [TxOutput(ALICE, asset=AssetOutput(NativeCoin(), 1000))])
    return sign_request(request, [ALICE_KEY], chain_id="groth16-test", genesis_hash=genesis,
                        valid_until=2**64 - 1, spends=spends)
TOKEN_WASM = REPO / "examples" / "contracts" / "build" / "token_c.wasm"


def _chain(tmp_path, key_dir, node_modules, backend, circuit):
    from ispc_framework import load_config
    from ispc_framework import Coordinator

    if not TOKEN_WASM.is_file():
        pytest.fail(f"{TOKEN_WASM} is missing: run examples/contracts/build.sh")
    config = load_config(overrides={
        "plugin.sqlite.path": str(tmp_path / "chain.db"), "plugin.groth16.key_dir": str(key_dir),
        "plugin.groth16.backend": backend, "plugin.groth16.node_modules": str(node_modules),
        "plugin.groth16.allow_testing_keys": "true",  # testing_keys is a single-party key
        "prover.circuit": circuit, "trace.sinks": "[]"})
    coordinator = Coordinator(config)
    writer = coordinator.repository.writer()
    writer.create_genesis("groth16-test", 1_700_000_000,
                          [TxOutput(ALICE, asset=AssetOutput(NativeCoin(), 1000))])
    code = TOKEN_WASM.read_bytes()
    token = writer.store_resource(code)
    writer.apply(SealedDraft((), (TxOutput(ALICE, resource=ResourceOutput(
        token, ResourceCategory.CONTRACT, "application/wasm", len(code), TOKEN_WASM.name)),), ()))
    return coordinator, writer, token


def _mint_and_transfer(coordinator, writer, token):
    """Execute mint 500 then transfer 200 to bob; returns [(result, spent outputs)]."""
    from ispc_framework.plugins import ExecutionRequest
    from ispc_framework import final_transaction

    mint = coordinator.execute(_signed(ExecutionRequest(token, "mint", struct.pack("<Q", 500))))
    minted = writer.apply(final_transaction(mint)).created[0]
    view = coordinator.repository.view()
    spent = (view.utxo(minted),)
    transfer = coordinator.execute(_signed(ExecutionRequest(
        token, "transfer", BOB + struct.pack("<Q", 200) + bytes([1]) + minted.tx_id
        + struct.pack("<I", minted.index)), [minted]))
    return [(mint, ()), (transfer, spent)]


def _request(result, spent, token, circuit):
    return ProofRequest(circuit, result.execution_result_hash, result.draft, spent, token)


@pytest.mark.parametrize("backend,circuit,keys", [
    ("groth16py", "ispc.draft.v2", "testing_keys"),
    ("snarkjs", "ispc.draft.v2.small", "ceremony_keys"),
])
def test_token_contract_drafts_prove_and_verify(request, tmp_path, node_modules, make_prover,
                                                backend, circuit, keys):
    key_dir = request.getfixturevalue(keys)
    coordinator, writer, token = _chain(tmp_path, key_dir, node_modules, backend, circuit)
    try:
        runs = _mint_and_transfer(coordinator, writer, token)
    finally:
        coordinator.prover().close()
    other = make_prover(key_dir, backend="snarkjs" if backend == "groth16py" else "groth16py")
    for result, spent in runs:
        proof = result.state_output.zk_proof
        assert proof.circuit_id == circuit and len(proof.proof) == 256
        # The other backend verifies it too, and against the real draft.
        other.verify(proof, result.execution_result_hash,
                     request=_request(result, spent, token, circuit))
        with pytest.raises(VerificationFailed):
            other.verify(proof, bytes(32))
    (mint, _), (transfer, spent) = runs
    # A proof moved between the two executions' state outputs fails.
    with pytest.raises(VerificationFailed):
        other.verify(mint.state_output.zk_proof, transfer.execution_result_hash)
    # The mint proof does not describe the transfer's draft.
    with pytest.raises(VerificationFailed) as err:
        other.verify(attrs.evolve(transfer.state_output.zk_proof,
                                  public_inputs=mint.state_output.zk_proof.public_inputs[:1]
                                  + transfer.state_output.zk_proof.public_inputs[1:]),
                     transfer.execution_result_hash,
                     request=_request(transfer, spent, token, circuit))
    assert err.value.code == "proof-draft-mismatch"

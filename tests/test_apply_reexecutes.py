"""R1: a result re-proved with the public proving key for a draft its signed transaction does not
make is refused at apply with result-mismatch, and nothing is written."""
from __future__ import annotations

import struct

import attrs
import pytest

from ispc_framework import ExecutionRequest

from ispc_framework._coordinator import _state_output
from ispc_framework._errors import ContractFailed, ISPCError, VerificationFailed
from ispc_framework._model import (AssetOutput, NativeCoin, SealedDraft, SingleKeyLock, TxInput,
                                  TxOutput)
from ispc_framework._proving import ProofRequest
from ispc_framework._signing import devnet_key

from .test_coordinator import ALICE, key_dir, make, mint, signed  # noqa: F401

MALLORY_KEY = devnet_key("mallory")
MALLORY = MALLORY_KEY.public_key


def reprove(coordinator, result, draft, spent):
    """What anyone holding the (public) proving key can do: new commitment, hash and proof."""
    commitment = attrs.evolve(result.commitment, draft=draft, status=0)
    result_hash = commitment.hash()
    proof = coordinator.prover().prove(ProofRequest("ispc.draft.v2", result_hash, draft, spent,
                                                    result.contract))
    return attrs.evolve(result, commitment=commitment, execution_result_hash=result_hash,
                        state_output=_state_output(commitment, result_hash, proof),
                        spent_outputs=tuple(spent))


def refused(coordinator, forged):
    revision = coordinator.repository.view().revision()
    coordinator.verify_result(forged)  # the proof is valid: only re-execution can tell
    with pytest.raises(VerificationFailed) as info:
        coordinator.apply_result(forged)
    assert info.value.code == "result-mismatch"
    assert coordinator.repository.view().revision() == revision
    return coordinator.replay(forged)


def test_reproved_mint_by_non_owner_is_refused(key_dir, tmp_path):  # noqa: F811
    coordinator, token = make(key_dir, tmp_path)
    honest = coordinator.execute(mint(token, 1))
    tok = honest.draft.outputs[0].asset.token
    mallory_tx = mint(token, 1, key=MALLORY_KEY)
    with pytest.raises(ContractFailed):
        coordinator.execute(mallory_tx)
    skeleton = attrs.evolve(honest, commitment=attrs.evolve(honest.commitment,
                                                            transaction=mallory_tx))
    draft = SealedDraft((), (TxOutput(MALLORY, (SingleKeyLock(MALLORY),),
                                      asset=AssetOutput(tok, 10**6)),), ())
    differences = refused(coordinator, reprove(coordinator, skeleton, draft, ()))
    assert differences and differences[0].startswith("status")  # reported, not raised
    assert not [o for _, o in coordinator.repository.view().utxos_of(MALLORY) if o.asset]


def test_reproved_draft_spending_the_signer_is_refused(key_dir, tmp_path):  # noqa: F811
    coordinator, token = make(key_dir, tmp_path)
    view = coordinator.repository.view()
    coin_op, coin = next((op, o) for op, o in view.utxos_of(ALICE)
                         if o.asset and isinstance(o.asset.token, NativeCoin))
    draft = SealedDraft((TxInput(coin_op),),
                        (TxOutput(MALLORY, asset=AssetOutput(NativeCoin(), coin.asset.amount)),),
                        ())
    # alice allowed nothing to be spent: verify already refuses it (spend allowance, R3)
    honest = coordinator.execute(mint(token, 1))
    with pytest.raises(ISPCError) as info:
        coordinator.verify_result(reprove(coordinator, honest, draft, (coin,)))
    assert info.value.code == "input-not-authorized"
    # alice allowed the coin, but her mint does not spend it: only re-execution can tell
    allowing = coordinator.execute(signed(ExecutionRequest(token, "mint", struct.pack("<Q", 1)),
                                          spends=[coin_op]))
    assert refused(coordinator, reprove(coordinator, allowing, draft, (coin,)))
    assert coordinator.repository.view().utxo(coin_op) == coin


def test_honest_result_still_applies(key_dir, tmp_path):  # noqa: F811
    coordinator, token = make(key_dir, tmp_path)
    result = coordinator.execute(mint(token, 1))
    assert coordinator.apply_result(result).block.height == 2


def test_reproved_result_writing_another_contracts_storage_is_refused(key_dir, tmp_path):  # noqa: F811
    """#14: a result re-proved (valid hash and proof) whose storage delta names another
    contract is refused at verify and at apply (state-not-own), and nothing is written."""
    from ispc_framework._state import EMPTY_ROOT, build_delta

    coordinator, token = make(key_dir, tmp_path)
    honest = coordinator.execute(mint(token, 1))
    victim = b"\x99" * 32
    delta = build_delta(victim, {}, 0, EMPTY_ROOT, [], {b"owner": MALLORY})
    forged = reprove(coordinator, honest, attrs.evolve(honest.draft, state=delta), ())
    revision = coordinator.repository.view().revision()
    for step in (coordinator.verify_result, coordinator.apply_result):
        with pytest.raises(VerificationFailed) as info:
            step(forged)
        assert info.value.code == "state-not-own"
    view = coordinator.repository.view()
    assert view.revision() == revision and view.state_items(victim, 99) == {}

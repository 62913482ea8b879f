"""R2: ``verify`` reads the outputs a result spends from the chain at its pinned block; it never
trusts the result file's ``spent_outputs`` (the result hash does not commit to them and the proof
binds them only by outpoint, token and amount)."""
from __future__ import annotations

import attrs
import pytest

from ispc_framework import MemoryRepository
from ispc_framework._errors import ISPCError, VerificationFailed
from ispc_framework._model import AssetOutput, NativeCoin, SealedDraft, TxInput, TxOutput

from .test_apply_reexecutes import MALLORY, MALLORY_KEY, reprove
from .test_coordinator import ALICE, key_dir, make, mint  # noqa: F401
from .test_coordinator import pytestmark  # noqa: F401  (needs the built token; slow: proven)


def _alice_coin(coordinator):
    return next((op, o) for op, o in coordinator.repository.view().utxos_of(ALICE)
                if o.asset and isinstance(o.asset.token, NativeCoin))


def test_verify_refuses_a_theft_with_relabelled_spent_outputs(key_dir, tmp_path):  # noqa: F811
    coordinator, token = make(key_dir, tmp_path)
    coin_op, coin = _alice_coin(coordinator)
    honest = coordinator.execute(mint(token, 1))
    skeleton = attrs.evolve(honest, commitment=attrs.evolve(
        honest.commitment, transaction=mint(token, 1, key=MALLORY_KEY)))
    draft = SealedDraft((TxInput(coin_op),),
                        (TxOutput(MALLORY, asset=AssetOutput(NativeCoin(), 50)),), ())
    relabelled = attrs.evolve(coin, owner=MALLORY)  # the lie: "mallory owned it"
    forged = reprove(coordinator, skeleton, draft, (relabelled,))
    with pytest.raises(VerificationFailed) as info:
        coordinator.verify_result(forged)
    assert info.value.code == "spent-outputs-forged"
    assert info.value.hint
    # told the truth about the owner, the lock rule refuses it
    truthful = reprove(coordinator, skeleton, draft, (coin,))
    with pytest.raises(ISPCError) as info:
        coordinator.verify_result(truthful)
    assert info.value.code == "input-not-authorized"


def test_verify_of_an_applied_spend_still_reads_the_pinned_block(key_dir, tmp_path):  # noqa: F811
    coordinator, token = make(key_dir, tmp_path)
    coordinator.apply_result(coordinator.execute(mint(token, 5)))
    outpoint, _ = next((op, o) for op, o in coordinator.repository.view().utxos_of(ALICE)
                       if o.asset and not isinstance(o.asset.token, NativeCoin))
    import struct
    from ispc_framework import ExecutionRequest
    from .test_coordinator import BOB, signed
    spend = BOB + struct.pack("<Q", 1) + bytes([1]) + outpoint.tx_id + \
        struct.pack("<I", outpoint.index)
    result = coordinator.execute(signed(ExecutionRequest(token, "transfer", spend),
                                        spends=[outpoint]))
    coordinator.apply_result(result)
    coordinator.verify_result(result)  # the output is spent now, but unspent at the pins


def test_verify_refuses_a_result_of_another_chain(key_dir, tmp_path):  # noqa: F811
    coordinator, token = make(key_dir, tmp_path)
    result = coordinator.execute(mint(token, 1))
    shorter = MemoryRepository()                       # no block at the result's height
    shorter.create_genesis("test", 1000, [])
    longer = MemoryRepository()                        # a block there, with another hash
    longer.create_genesis("test", 2000, [])
    longer.apply(SealedDraft())
    longer.apply(SealedDraft())
    for repository in (shorter, longer):
        coordinator._repository = repository
        with pytest.raises(VerificationFailed) as info:
            coordinator.verify_result(result)
        assert info.value.code == "result-pins-unknown"

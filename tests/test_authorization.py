"""Who may spend what: the one rule (ispc_framework._authorization) at the host call, at verify and
at apply; theft contracts refused at execution with nothing written; forged results refused;
signed transactions; the concurrent-apply race."""

from __future__ import annotations

import struct
import threading

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ispc_framework import MemoryRepository
from ispc_framework._authorization import Spender, check_spends, spend_refusal
from ispc_framework._context import ContextManager, ExecutionRequest
from ispc_framework._encoding import encode
from ispc_framework._engines import HostEnv
from ispc_framework._errors import (ContractFailed, InputNotAuthorized, ISPCError,
                                   TransactionRejected)
from ispc_framework._hostabi._bindings_v1 import Status
from ispc_framework._hostabi.v1 import tx_add_input
from ispc_framework._hostabi.guest import GuestError
from ispc_framework._model import (AssetOutput, ContractLock, HeightLock, MultiKeyLock, NativeCoin,
                                  ResourceCategory, ResourceOutput, SealedDraft, SingleKeyLock,
                                  StateOutput, TimeLock, TxInput, TxOutput)
from ispc_framework._signing import devnet_key

from .test_coordinator import ALICE, ALICE_KEY, BOB_KEY, forge, key_dir, make, mint, signed  # noqa: F401

KEYS = [devnet_key(f"k{i}").public_key for i in range(4)]
CONTRACT, OTHER = b"\xc1" * 32, b"\xc2" * 32
COIN = AssetOutput(NativeCoin(), 5)


def spender(signers=(), contract=CONTRACT, height=10, timestamp=1000, allowance=None):
    """A spender; allowance None lifts the spend-allowance rule (the lock table tests locks)."""
    return Spender(signers, contract, height, timestamp, allowance)


def _genesis_outpoint(output):
    """Where ``_host_allows``/``_apply_allows`` put ``output``: genesis output 0."""
    from ispc_framework._model import OutPoint
    from ispc_framework._repository import transaction_id_of

    return OutPoint(transaction_id_of(SealedDraft((), (output,), ()), 0), 0)


@pytest.mark.parametrize("output, who, allowed", [
    (TxOutput(KEYS[0], asset=COIN), spender([KEYS[0]]), True),
    (TxOutput(KEYS[0], asset=COIN), spender([KEYS[1]]), False),
    (TxOutput(CONTRACT, asset=COIN), spender(), True),            # contract-owned, its own run
    (TxOutput(CONTRACT, asset=COIN), spender(contract=OTHER), False),
    (TxOutput(KEYS[0], (SingleKeyLock(KEYS[1]),), asset=COIN), spender([KEYS[1]]), True),
    (TxOutput(KEYS[0], (SingleKeyLock(KEYS[1]),), asset=COIN), spender([KEYS[0]]), False),
    (TxOutput(KEYS[0], (MultiKeyLock(2, KEYS[:3]),), asset=COIN), spender(KEYS[1:3]), True),
    (TxOutput(KEYS[0], (MultiKeyLock(2, KEYS[:3]),), asset=COIN), spender(KEYS[2:]), False),
    (TxOutput(KEYS[0], (ContractLock(CONTRACT),), asset=COIN), spender(), True),
    (TxOutput(KEYS[0], (ContractLock(OTHER),), asset=COIN), spender([KEYS[0]]), False),
    (TxOutput(KEYS[0], (HeightLock(10, SingleKeyLock(KEYS[0])),), asset=COIN),
     spender([KEYS[0]]), True),
    (TxOutput(KEYS[0], (HeightLock(11, SingleKeyLock(KEYS[0])),), asset=COIN),
     spender([KEYS[0]]), False),
    (TxOutput(KEYS[0], (HeightLock(5, SingleKeyLock(KEYS[1])),), asset=COIN),
     spender([KEYS[0]]), False),                                # bound reached, base fails
    (TxOutput(KEYS[0], (TimeLock(1000, SingleKeyLock(KEYS[0])),), asset=COIN),
     spender([KEYS[0]]), True),
    (TxOutput(KEYS[0], (TimeLock(1001, SingleKeyLock(KEYS[0])),), asset=COIN),
     spender([KEYS[0]]), False),
    (TxOutput(KEYS[0], resource=ResourceOutput(OTHER, ResourceCategory.CONTRACT, "x", 1, "c")),
     spender([KEYS[0]]), False),                                # another contract's deploy
    (TxOutput(KEYS[0], resource=ResourceOutput(CONTRACT, ResourceCategory.CONTRACT, "x", 1, "c")),
     spender([KEYS[0]]), True),                                 # its own, deployer signed
    (TxOutput(CONTRACT, state=StateOutput(bytes(32), 1, bytes(32))), spender(), True),
    (TxOutput(CONTRACT, state=StateOutput(bytes(32), 1, bytes(32))),
     spender(KEYS, contract=OTHER), False),                     # another contract's state
    (TxOutput(KEYS[0], state=StateOutput(bytes(32), 1, bytes(32))), spender([KEYS[0]]), False),
])
def test_every_lock_positive_and_negative(output, who, allowed):
    assert (spend_refusal(output, who) is None) is allowed


def test_the_spend_allowance_bounds_only_what_rests_on_a_signature():
    from ispc_framework._model import OutPoint

    mine, other = OutPoint(b"\x01" * 32, 0), OutPoint(b"\x02" * 32, 0)
    allowing = spender([KEYS[0]], allowance={mine})
    for output in (TxOutput(KEYS[0], asset=COIN),
                   TxOutput(KEYS[1], (SingleKeyLock(KEYS[0]),), asset=COIN),
                   TxOutput(KEYS[1], (MultiKeyLock(1, KEYS[:2]),), asset=COIN)):
        assert spend_refusal(output, allowing, mine) is None
        assert "allowance" in spend_refusal(output, allowing, other)
        assert "allowance" in spend_refusal(output, allowing)          # outpoint unknown
    for output in (TxOutput(CONTRACT, asset=COIN),                      # the contract's own
                   TxOutput(KEYS[0], (ContractLock(CONTRACT),), asset=COIN)):
        assert spend_refusal(output, allowing, other) is None
    # an allowance never widens the lock rule
    assert spend_refusal(TxOutput(KEYS[1], asset=COIN), allowing, mine) is not None


# ------------------------------------------------------------ host check == verify == apply

keys = st.sampled_from(KEYS)
base_locks = st.one_of(st.builds(SingleKeyLock, keys),
                       st.lists(keys, min_size=1, max_size=4).flatmap(
                           lambda ks: st.builds(MultiKeyLock, st.integers(1, len(ks)),
                                                st.just(tuple(ks)))),
                       st.builds(ContractLock, st.sampled_from([CONTRACT, OTHER])))
lock_trees = st.recursive(base_locks, lambda inner: st.one_of(
    st.builds(HeightLock, st.integers(8, 12), inner),
    st.builds(TimeLock, st.integers(998, 1002), inner)), max_leaves=3)
outputs = st.builds(lambda owner, locks: TxOutput(owner, tuple(locks), asset=COIN),
                    st.sampled_from(KEYS + [CONTRACT, OTHER]),
                    st.lists(lock_trees, max_size=2))


def _host_allows(output, signers, allowance) -> bool:
    repo = MemoryRepository()
    created = repo.create_genesis("t", 1000, [output]).created[0]
    for _ in range(10):
        repo.apply(SealedDraft())           # pinned height 10, timestamp 1010 would change...
    view = repo.view()
    pins = attrs.evolve(view.head(), timestamp=1000)  # ...so pin the timestamp the rule uses
    manager = ContextManager()
    with manager.open(ExecutionRequest(CONTRACT, "m"), pins, signers=tuple(signers),
                      allowance=allowance) as ctx:
        try:
            tx_add_input(HostEnv(ctx, view), encode(created), False, b"")
        except GuestError as exc:
            assert exc.status == Status.INPUT_NOT_AUTHORIZED
            return False
    return True


def _apply_allows(output, signers, allowance) -> bool:
    repo = MemoryRepository()
    created = repo.create_genesis("t", 1000, [output]).created[0]
    try:
        repo.apply(SealedDraft((TxInput(created),)), check=lambda reader: check_spends(
            [reader.utxo(created)], spender(signers, allowance=allowance), [created]))
    except InputNotAuthorized:
        assert repo.view().utxo(created) == output  # nothing written
        return False
    return True


@settings(max_examples=60, deadline=None)
@given(outputs, st.sets(keys, max_size=4), st.booleans())
def test_host_check_verify_and_apply_agree(output, signers, allowed):
    point = _genesis_outpoint(output)
    allowance = frozenset({point}) if allowed else frozenset()
    who = spender(signers, allowance=allowance)
    pure = spend_refusal(output, who, point) is None
    try:
        check_spends([output], who, [point])   # what verify runs
        verified = True
    except InputNotAuthorized:
        verified = False
    assert pure == verified == _host_allows(output, signers, allowance) == \
        _apply_allows(output, signers, allowance)


# ------------------------------------------------------------------- theft, end to end

def _thief(coordinator):
    import wasmtime

    from .test_coordinator import REPO

    code = wasmtime.wat2wasm((REPO / "examples/contracts/wat/thief.wat").read_text())
    writer = coordinator.repository.writer()
    key = writer.store_resource(code)
    writer.apply(SealedDraft((), (TxOutput(bytes(32), resource=ResourceOutput(
        key, ResourceCategory.CONTRACT, "application/wasm", len(code), "thief")),), ()))
    return key


def test_theft_contracts_are_refused_at_execution_with_nothing_written(key_dir, tmp_path):  # noqa: F811
    coordinator, token = make(key_dir, tmp_path)
    thief = _thief(coordinator)
    bob = BOB_KEY.public_key
    vault, later = coordinator.repository.writer().apply(SealedDraft((), (
        TxOutput(token, (ContractLock(token),), asset=COIN),             # the token's vault
        TxOutput(bob, (TimeLock(10**12, SingleKeyLock(bob)),), asset=COIN)), ())).created
    view = coordinator.repository.view()
    alice_coin = next(op for op, out in view.utxos_of(ALICE) if out.asset)
    token_deploy = next(op for op, out in view.utxos_of(ALICE) if out.resource)
    revision = view.revision()
    for target in (alice_coin, token_deploy, vault, later):  # later: bob's own, not yet due
        with pytest.raises(ContractFailed) as info:
            coordinator.execute(signed(ExecutionRequest(thief, "steal", encode(target)),
                                       BOB_KEY))
        assert info.value.details["status"] == Status.INPUT_NOT_AUTHORIZED
        quiet = coordinator.execute(signed(ExecutionRequest(thief, "steal_quietly",
                                                            encode(target)), BOB_KEY))
        assert quiet.draft.inputs == ()   # the refused input never reached the draft
    assert view.revision() == revision    # nothing written
    # even the owner's signature does not let a foreign contract spend a deploy output
    with pytest.raises(ContractFailed):
        coordinator.execute(signed(ExecutionRequest(thief, "steal", encode(token_deploy))))


def test_forged_results_are_refused_at_verify_and_apply(key_dir, tmp_path):  # noqa: F811
    coordinator, token = make(key_dir, tmp_path)
    outpoint = coordinator.apply_result(coordinator.execute(mint(token))).created[0]
    spend = devnet_key("bob").public_key + struct.pack("<Q", 1) + bytes([1]) + \
        outpoint.tx_id + struct.pack("<I", outpoint.index)
    result = coordinator.execute(signed(ExecutionRequest(token, "transfer", spend),
                                        spends=[outpoint]))
    view = coordinator.repository.view()
    foreign = next(op for op, out in view.utxos_of(ALICE) if out.asset and out.asset.amount == 50)
    tx = result.commitment.transaction
    bob_signed = signed(tx.request, BOB_KEY)
    forgeries = {
        "foreign input": forge(result, draft=attrs.evolve(
            result.draft, inputs=result.draft.inputs + (TxInput(foreign),))),
        "signature removed": forge(result, transaction=attrs.evolve(tx, signatures=())),
        "signature replaced": forge(result, transaction=attrs.evolve(
            tx, signatures=bob_signed.signatures)),
        "state metadata": forge(result, state_metadata={"injected": "yes"}),
        "parent hash": forge(result, parent_state_hash=b"\x01" * 32),
        "gas": forge(result, gas_used=1),
        "state output edited": attrs.evolve(result, state_output=attrs.evolve(
            result.state_output, metadata={"injected": "yes"})),
    }
    height = view.head().height
    for name, forged in forgeries.items():
        for step in (coordinator.verify_result, coordinator.apply_result):
            with pytest.raises(ISPCError):
                step(forged)
        assert coordinator.repository.view().head().height == height, name


def test_unsigned_forged_expired_wrong_chain_and_replayed_transactions(key_dir, tmp_path):  # noqa: F811
    coordinator, token = make(key_dir, tmp_path)
    request = ExecutionRequest(token, "mint", struct.pack("<Q", 1))
    good = signed(request)
    cases = {
        "signature-missing": request,
        "signature-invalid": attrs.evolve(good, request=attrs.evolve(request, nonce=5)),
        "caller-not-signer": signed(request, ALICE_KEY).__class__(
            attrs.evolve(good.request, caller=devnet_key("bob").public_key), good.chain_id,
            good.valid_until, good.signers, good.signatures),
        "transaction-expired": signed(request, valid_until=0),
        "wrong-chain": signed(request, chain_id="other"),
    }
    for code, tx in cases.items():
        with pytest.raises(TransactionRejected) as info:
            coordinator.execute(tx)
        assert info.value.code in (code, "signature-invalid"), code
    coordinator.apply_result(coordinator.execute(good))
    with pytest.raises(TransactionRejected) as info:
        coordinator.execute(good)
    assert info.value.code == "transaction-replayed"


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_concurrent_applies_write_one_block(key_dir, tmp_path, backend):  # noqa: F811
    repository = None
    if backend == "sqlite":
        from ispc_sqlite.repository import SqliteRepository

        repository = SqliteRepository(tmp_path / "race.db")
    coordinator, token = make(key_dir, tmp_path, repository)
    same = coordinator.execute(mint(token))
    other = coordinator.execute(mint(token, nonce=1))   # pinned to the same head
    height = coordinator.repository.view().head().height
    outcomes: list = []

    def attempt(result):
        try:
            outcomes.append(coordinator.apply_result(result))
        except ISPCError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=attempt, args=(r,)) for r in (same, same, other, same)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert coordinator.repository.view().head().height == height + 1
    assert sorted(o for o in outcomes if isinstance(o, str)) in (
        ["result-stale"] * 3, sorted(["result-stale", "result-stale", "transaction-replayed"]),
        sorted(["result-stale", "transaction-replayed", "transaction-replayed"]))


def test_replay_matches_and_reports_a_forgery(key_dir, tmp_path):  # noqa: F811
    from ispc_framework._encoding import decode

    coordinator, token = make(key_dir, tmp_path)
    result = coordinator.execute(mint(token))
    assert coordinator.replay(result) == []                       # before apply, at the head
    coordinator.apply_result(result)
    coordinator.apply_result(coordinator.execute(mint(token, nonce=3)))  # the chain moves on
    height, stored = coordinator.repository.view().applied_transaction(result.transaction_id)
    assert height == result.pins.height + 1
    assert coordinator.replay(decode(stored)) == []               # at its past pinned block
    richer = attrs.evolve(result.draft.outputs[0], asset=attrs.evolve(
        result.draft.outputs[0].asset, amount=10**6))
    forged = forge(result, draft=attrs.evolve(result.draft, outputs=(richer,)))
    forged = attrs.evolve(forged, execution_result_hash=forged.commitment.hash())  # "re-proved"
    differences = coordinator.replay(forged)
    assert any(line.startswith("draft:") for line in differences)
    assert any(line.startswith("execution_result_hash:") for line in differences)


def test_a_contract_cannot_write_another_contracts_state():
    from ispc_framework._authorization import STATE_KEY, contract_state_id, state_output_refusal
    from ispc_framework._coordinator import execution_state_id

    def state(owner, state_id, key="44" * 32):
        return TxOutput(owner, (ContractLock(owner),), state=StateOutput(
            state_id, 0, bytes(32), metadata={STATE_KEY: key}))

    own = contract_state_id(CONTRACT, b"\x44" * 32)
    assert state_output_refusal(state(CONTRACT, own), CONTRACT) is None
    assert state_output_refusal(state(CONTRACT, execution_state_id(OTHER)), CONTRACT)
    assert state_output_refusal(state(CONTRACT, contract_state_id(OTHER, b"\x44" * 32)), CONTRACT)
    assert state_output_refusal(state(OTHER, own), CONTRACT)          # owned by someone else
    assert state_output_refusal(state(CONTRACT, own, key="zz"), CONTRACT)

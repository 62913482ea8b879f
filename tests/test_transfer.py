"""balance and transfer (ispc.state): the documented selection rule, change, typed statuses, the
read/write sets in the trace, and that a transfer from an account that did not sign is refused
with nothing written."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ispc_framework._encoding import decode_value, encode
from ispc_framework._hostabi._bindings_v1 import Status
from ispc_framework._hostabi.state import select_inputs
from ispc_framework._model import (AssetOutput, ContractLock, FungibleToken, NativeCoin, OutPoint,
                                  SingleKeyLock, TxOutput)
from ispc_framework._repository import MemoryRepository
from state_driver import KEY_AT, LEN_AT, VALUE_AT, StorageRun

CONTRACT, ALICE, BOB = b"\xc0" * 32, b"\xa1" * 32, b"\xb0" * 32
GOLD = FungibleToken(CONTRACT, b"gold")
NATIVE = NativeCoin()


def coin(owner, amount, token=NATIVE, locks=()):
    return TxOutput(owner, locks, asset=AssetOutput(token, amount))


def chain(*outputs):
    repo = MemoryRepository()
    genesis = repo.create_genesis("transfer-test", 1, list(outputs))
    return repo, genesis.created


def transfer(run: StorageRun, source: int, to: bytes, amount: int, token=NATIVE) -> int:
    run.memory.write(KEY_AT, to)
    encoded = encode(token)
    run.memory.write(VALUE_AT, encoded)
    return run.call("transfer", source, KEY_AT, VALUE_AT, len(encoded), amount, LEN_AT)


def balance(run: StorageRun, owner: bytes, token=NATIVE) -> int:
    run.memory.write(KEY_AT, owner)
    encoded = encode(token)
    run.memory.write(VALUE_AT, encoded)
    assert run.call("balance", KEY_AT, VALUE_AT, len(encoded), LEN_AT) == Status.OK
    return struct.unpack("<Q", run.memory.read(LEN_AT, 8))[0]


def test_contract_transfer_selects_largest_first_and_returns_change():
    repo, created = chain(coin(CONTRACT, 30), coin(CONTRACT, 100), coin(CONTRACT, 50),
                          coin(CONTRACT, 7, GOLD), coin(ALICE, 1000))
    run = StorageRun(repo, CONTRACT)
    assert balance(run, CONTRACT) == 180 and balance(run, CONTRACT, GOLD) == 7
    assert transfer(run, 0, BOB, 120) == Status.OK
    assert struct.unpack("<I", run.memory.read(LEN_AT, 4)) == (0,)
    draft = run.seal()
    assert [i.outpoint for i in draft.inputs] == [created[1], created[2]]  # 100, then 50
    assert [(o.owner, o.asset.amount) for o in draft.outputs] == [(BOB, 120), (CONTRACT, 30)]
    repo.apply(draft)
    after = StorageRun(repo, CONTRACT)
    assert balance(after, CONTRACT) == 60 and balance(after, BOB) == 120
    after.close()


def test_exact_amount_has_no_change_and_a_second_transfer_skips_taken_inputs():
    repo, created = chain(coin(CONTRACT, 10), coin(CONTRACT, 10))
    run = StorageRun(repo, CONTRACT)
    assert transfer(run, 0, BOB, 10) == Status.OK
    assert transfer(run, 0, ALICE, 10) == Status.OK
    assert transfer(run, 0, ALICE, 1) == Status.INSUFFICIENT_FUNDS
    draft = run.seal()
    assert {i.outpoint for i in draft.inputs} == set(created)
    assert [(o.owner, o.asset.amount) for o in draft.outputs] == [(BOB, 10), (ALICE, 10)]


def test_insufficient_funds_and_bad_arguments_change_nothing():
    repo, _ = chain(coin(CONTRACT, 5), coin(CONTRACT, 5, locks=(ContractLock(BOB),)))
    run = StorageRun(repo, CONTRACT)
    assert transfer(run, 0, BOB, 6) == Status.INSUFFICIENT_FUNDS  # the BOB-locked one is not ours
    assert transfer(run, 0, BOB, 0) == Status.INVALID_ARGUMENT
    assert transfer(run, 2, BOB, 1) == Status.INVALID_ARGUMENT
    draft = run.seal()
    assert draft.inputs == () and draft.outputs == ()


def test_a_signed_transfer_of_the_callers_own_allowed_outputs_is_allowed():
    """The caller signed and allowed two of its outputs: transfer selects among exactly those
    (largest first), pays the recipient and returns the change to the caller."""
    repo, created = chain(coin(ALICE, 40), coin(ALICE, 100, locks=(SingleKeyLock(ALICE),)),
                          coin(ALICE, 500))
    run = StorageRun(repo, CONTRACT, caller=ALICE, signers=(ALICE,),
                     allowance=frozenset(created[:2]))
    assert transfer(run, 1, BOB, 120) == Status.OK
    draft = run.seal()
    assert [i.outpoint for i in draft.inputs] == [created[1], created[0]]  # never the 500
    assert [(o.owner, o.asset.amount) for o in draft.outputs] == [(BOB, 120), (ALICE, 20)]
    repo.apply(draft)
    run = StorageRun(repo, CONTRACT, caller=ALICE, signers=(ALICE,))   # nothing allowed now
    assert transfer(run, 1, BOB, 1) == Status.INSUFFICIENT_FUNDS
    assert run.seal().inputs == ()


def test_a_transfer_from_a_caller_that_did_not_sign_is_refused_and_writes_nothing():
    """The caller field alone is not a signature: spending its outputs is refused whatever
    the caller field says, even with those outputs in the allowance."""
    repo, created = chain(coin(ALICE, 100), coin(ALICE, 100, locks=(SingleKeyLock(ALICE),)))
    run = StorageRun(repo, CONTRACT, caller=ALICE, signers=(BOB,), allowance=frozenset(created))
    assert transfer(run, 1, BOB, 10) == Status.NOT_AUTHORIZED
    assert run.ctx.trace.records[-1].status == Status.NOT_AUTHORIZED
    draft = run.seal()
    assert draft.inputs == () and draft.outputs == ()


def test_reads_and_spends_are_in_the_trace():
    repo, created = chain(coin(CONTRACT, 10), coin(CONTRACT, 20))
    run = StorageRun(repo, CONTRACT)
    assert transfer(run, 0, BOB, 15) == Status.OK
    access = decode_value(run.ctx.trace.records[-1].result)[2]
    reads = {item for kind, item in access if kind == "utxo-read"}
    spends = [item for kind, item in access if kind == "utxo-spend"]
    assert reads == {encode(point) for point in created}
    assert spends == [encode(created[1])]
    run.close()


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.binary(min_size=32, max_size=32), st.integers(0, 3),
                          st.integers(1, 50)), max_size=10, unique_by=lambda t: t[:2]),
       st.integers(1, 200))
def test_selection_is_a_function_of_the_candidate_set(raw, amount):
    candidates = [(OutPoint(tx, index), coin(CONTRACT, value)) for tx, index, value in raw]
    chosen, total = select_inputs(candidates, amount)
    again, same_total = select_inputs(list(reversed(candidates)), amount)
    assert chosen == again and total == same_total
    available = sum(value for *_, value in raw)
    assert total == min(available, total) and (total >= amount or total == available)
    if chosen:  # minimal: without the last chosen one the amount is not covered
        assert total - chosen[-1][1].asset.amount < amount
    amounts = [output.asset.amount for _, output in chosen]
    assert amounts == sorted(amounts, reverse=True)


@pytest.mark.parametrize("gas_cap", [20_000])
def test_scanning_many_outputs_costs_gas(gas_cap):
    from ispc_framework._errors import OutOfGas
    from ispc_framework._limits import ExecutionLimits

    repo, _ = chain(*[coin(CONTRACT, 1) for _ in range(300)])
    run = StorageRun(repo, CONTRACT, limits=ExecutionLimits(fuel=gas_cap))
    with pytest.raises(OutOfGas):
        transfer(run, 0, BOB, 1)
    run.close()

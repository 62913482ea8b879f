"""R3: a signature authorises a request, and the called contract chooses the inputs. The signed
transaction's spend allowance (``spends``) bounds what it may take: any output spendable only on
a signer's authority must be listed there, at the host call, at verify and at apply."""
from __future__ import annotations

import attrs
import pytest
import wasmtime

from ispc_framework import ExecutionRequest
from ispc_framework._encoding import encode
from ispc_framework._errors import ContractFailed, ISPCError, ValidationError
from ispc_framework._model import (AssetOutput, NativeCoin, OutPoint, ResourceCategory,
                                   ResourceOutput, SealedDraft, TxInput, TxOutput)
from ispc_framework._transaction import MAX_SPENDS, SignedTransaction

from .test_apply_reexecutes import MALLORY, reprove
from .test_coordinator import ALICE, ALICE_KEY, key_dir, make, mint, signed  # noqa: F401
from .test_coordinator import pytestmark  # noqa: F401  (needs the built token; slow: proven)


def _wat(outpoint: bytes, token: bytes, owner: bytes, amount: int) -> str:
    def data(offset, blob):
        return f'(data (i32.const {offset}) "' + "".join(f"\\{b:02x}" for b in blob) + '")'

    return f"""(module
  (import "ispc.v1" "tx_add_input" (func $in (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "ispc.v1" "tx_add_asset_output"
    (func $out (param i32 i64 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  {data(0, owner)} {data(64, outpoint)} {data(256, token)} {data(512, encode(()))}
  (func (export "hello") (result i32)
    (if (call $in (i32.const 64) (i32.const {len(outpoint)}) (i32.const 0) (i32.const 0)
                  (i32.const 0) (i32.const 1000))
      (then (return (i32.const 7))))
    (drop (call $out (i32.const 0) (i64.const {amount}) (i32.const 256) (i32.const {len(token)})
                     (i32.const 512) (i32.const 1) (i32.const 1004)))
    (i32.const 0)))"""


def _hello(coordinator):
    """A contract with alice's coin outpoint baked in, paying it to mallory when called."""
    view = coordinator.repository.view()
    coin_op, coin = next((op, o) for op, o in view.utxos_of(ALICE)
                         if o.asset and isinstance(o.asset.token, NativeCoin))
    code = wasmtime.wat2wasm(_wat(encode(coin_op), encode(NativeCoin()), MALLORY,
                                  coin.asset.amount))
    writer = coordinator.repository.writer()
    key = writer.store_resource(code)
    writer.apply(SealedDraft((), (TxOutput(bytes(32), resource=ResourceOutput(
        key, ResourceCategory.CONTRACT, "application/wasm", len(code), "hello")),), ()))
    return key, coin_op, coin


def test_a_called_contract_cannot_take_the_callers_coin(key_dir, tmp_path):  # noqa: F811
    coordinator, _ = make(key_dir, tmp_path)
    hello, coin_op, _ = _hello(coordinator)
    with pytest.raises(ContractFailed) as info:
        coordinator.execute(signed(ExecutionRequest(hello, "hello")), prove=False)
    assert info.value.details.get("status") == 7  # tx_add_input said INPUT_NOT_AUTHORIZED
    assert coordinator.repository.view().utxo(coin_op) is not None
    # allowing another outpoint does not help; allowing this one does (the signer's choice)
    other = OutPoint(bytes(32), 0)
    with pytest.raises(ContractFailed):
        coordinator.execute(signed(ExecutionRequest(hello, "hello"), spends=[other]), prove=False)
    result = coordinator.execute(signed(ExecutionRequest(hello, "hello"), spends=[coin_op]))
    coordinator.apply_result(result)
    assert coordinator.repository.view().utxo(coin_op) is None


def test_verify_and_apply_refuse_a_spend_outside_the_allowance(key_dir, tmp_path):  # noqa: F811
    coordinator, token = make(key_dir, tmp_path)
    view = coordinator.repository.view()
    coin_op, coin = next((op, o) for op, o in view.utxos_of(ALICE)
                         if o.asset and isinstance(o.asset.token, NativeCoin))
    honest = coordinator.execute(mint(token, 1))   # alice signed, allowing nothing
    draft = SealedDraft((TxInput(coin_op),),
                        (TxOutput(MALLORY, asset=AssetOutput(NativeCoin(), 50)),), ())
    forged = reprove(coordinator, honest, draft, (coin,))
    revision = coordinator.repository.view().revision()
    for step in (coordinator.verify_result, coordinator.apply_result):
        with pytest.raises(ISPCError) as info:
            step(forged)
        assert info.value.code == "input-not-authorized"
        assert "spend allowance" in str(info.value)
    assert coordinator.repository.view().revision() == revision


def test_the_allowance_is_signed_and_bounded(key_dir, tmp_path):  # noqa: F811
    coordinator, token = make(key_dir, tmp_path)
    tx = signed(ExecutionRequest(token, "mint", bytes(8)))
    widened = attrs.evolve(tx, spends=(OutPoint(bytes(32), 1),))
    with pytest.raises(ISPCError) as info:
        coordinator.execute(widened, prove=False)
    assert info.value.code == "signature-invalid"
    assert tx.spends is None and attrs.evolve(tx, spends=()).spends is None  # one encoding
    point = OutPoint(bytes(32), 0)
    for bad in ([point, point], [OutPoint(bytes(32), i) for i in range(MAX_SPENDS + 1)],
                [b"not an outpoint"]):
        with pytest.raises(ValidationError):
            SignedTransaction(tx.request, tx.chain_id, tx.valid_until, tx.signers,
                              tx.signatures, bad)


def _pay_wat(to: bytes, token: bytes, amount: int) -> str:
    def data(offset, blob):
        return f'(data (i32.const {offset}) "' + "".join(f"\\{b:02x}" for b in blob) + '")'

    return f"""(module
  (import "ispc.state" "transfer"
    (func $transfer (param i32 i32 i32 i32 i64 i32) (result i32)))
  (memory (export "memory") 1)
  {data(0, to)} {data(64, token)}
  (func (export "pay") (result i32)
    (call $transfer (i32.const 1) (i32.const 0) (i32.const 64) (i32.const {len(token)})
                    (i64.const {amount}) (i32.const 512))))"""


def _pay_contract(coordinator, to: bytes, amount: int) -> bytes:
    code = wasmtime.wat2wasm(_pay_wat(to, encode(NativeCoin()), amount))
    writer = coordinator.repository.writer()
    key = writer.store_resource(code)
    writer.apply(SealedDraft((), (TxOutput(bytes(32), resource=ResourceOutput(
        key, ResourceCategory.CONTRACT, "application/wasm", len(code), "pay")),), ()))
    return key


def test_a_signed_transfer_of_the_callers_own_allowed_outputs_is_applied(key_dir, tmp_path):  # noqa: F811
    from ispc_framework._hostabi._bindings_v1 import Status
    from .test_coordinator import BOB

    coordinator, _ = make(key_dir, tmp_path)
    pay = _pay_contract(coordinator, BOB, 20)
    coin_op = next(op for op, o in coordinator.repository.view().utxos_of(ALICE)
                   if o.asset and isinstance(o.asset.token, NativeCoin))
    with pytest.raises(ContractFailed) as info:   # nothing allowed: nothing to select from
        coordinator.execute(signed(ExecutionRequest(pay, "pay")), prove=False)
    assert info.value.details.get("status") == Status.INSUFFICIENT_FUNDS
    result = coordinator.execute(signed(ExecutionRequest(pay, "pay"), spends=[coin_op]))
    assert [i.outpoint for i in result.draft.inputs] == [coin_op]
    coordinator.verify_result(result)
    coordinator.apply_result(result)
    view = coordinator.repository.view()
    native = [(o.owner, o.asset.amount) for _, o in view.utxos_of(ALICE) + view.utxos_of(BOB)
              if o.asset and isinstance(o.asset.token, NativeCoin)]
    assert sorted(native) == sorted([(ALICE, 30), (BOB, 20)])


def test_listing_someone_elses_outpoint_grants_nothing(key_dir, tmp_path):  # noqa: F811
    from .test_apply_reexecutes import MALLORY_KEY

    coordinator, _ = make(key_dir, tmp_path)
    hello, coin_op, _ = _hello(coordinator)
    revision = coordinator.repository.view().revision()
    with pytest.raises(ContractFailed):  # alice did not sign: the lock rule refuses it
        coordinator.execute(signed(ExecutionRequest(hello, "hello"), key=MALLORY_KEY,
                                   spends=[coin_op]), prove=False)
    assert coordinator.repository.view().revision() == revision
    assert coordinator.repository.view().utxo(coin_op) is not None

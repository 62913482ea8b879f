"""The ``ispc.state`` HostABI provider: contract storage and balance/transfer helpers.

Storage is keyed by the running contract (``ctx.contract_address``): no function takes a contract
address, so a contract cannot even name another contract's storage. Reads see the storage as of
the pinned block (``view.state_get(contract, key, pins.height)``) plus this run's own writes;
writes go only to the run's draft (``TransactionDraft.state_write``), which the coordinator seals
into a :class:`~ispc_framework._model.StateDelta`. Spec: ``hostabi_spec/state_v1.json``.

Every call also lists what it read and wrote in its trace record (an ``access`` list appended to
the record's result by :mod:`.binding`): ``("state-read", key)``, ``("state-write", key)``,
``("utxo-read", outpoint)``, ``("utxo-spend", outpoint)``. That is the run's read and write set,
so a replay checks it and a node can find conflicts between results pinned to one block.

``transfer`` spends either the contract's own outputs (source 0) or the caller's (source 1). The
caller's are spendable only when the caller signed the transaction (``ctx.signers``, which the
signed-transaction work of issue #12 provides); until a context carries signers, source 1 is
always NOT_AUTHORIZED, so an asserted caller can never be used to spend someone's coins.
"""

from __future__ import annotations

from typing import Any

from .._authorization import Spender, spend_refusal
from .._encoding import encode
from .._engines import HostEnv
from .._model import (AssetOutput, FungibleToken, NativeCoin, NonFungibleToken,
                     OutPoint, TxInput, TxOutput)
from ._bindings_v1 import Status
from .binding import ACCESS_KEY, Impl, SpecProvider
from .guest import GuestError
from .v1 import decode_guest

__all__ = ["StateProvider", "IMPORT_MODULE", "select_inputs", "SOURCE_CONTRACT", "SOURCE_CALLER"]

IMPORT_MODULE = "ispc.state"
SOURCE_CONTRACT = 0
SOURCE_CALLER = 1
SCAN_GAS = 100    # per candidate output a balance or transfer looks at
INPUT_GAS = 1500  # per input a transfer adds
_TOKEN_TYPES = (NativeCoin, FungibleToken, NonFungibleToken)


def _access(env: HostEnv, kind: str, item: bytes) -> None:
    env.extra.setdefault(ACCESS_KEY, []).append((kind, item))


def _key(key: bytes) -> bytes:
    if not key:
        raise GuestError(Status.INVALID_ARGUMENT, "a storage key must not be empty")
    return key


def _lookup(env: HostEnv, key: bytes) -> bytes | None:
    ctx = env.ctx
    draft = ctx.draft
    written, value = draft.state_written(key)
    if written:
        return value
    draft.note_state_read(key)
    _access(env, "state-read", key)
    return env.view.state_get(ctx.contract_address, key, ctx.pins.height)


# ------------------------------------------------------------------------------------ storage

def get(env: HostEnv, key: bytes) -> tuple[bytes]:
    value = _lookup(env, _key(key))
    if value is None:
        raise GuestError(Status.NOT_FOUND, "no such key")
    return (value,)


def exists(env: HostEnv, key: bytes) -> tuple[()]:
    if _lookup(env, _key(key)) is None:
        raise GuestError(Status.NOT_FOUND, "no such key")
    return ()


def set_(env: HostEnv, key: bytes, value: bytes) -> tuple[()]:
    env.ctx.draft.state_write(_key(key), value)
    _access(env, "state-write", key)
    return ()


def delete(env: HostEnv, key: bytes) -> tuple[()]:
    env.ctx.draft.state_write(_key(key), None)
    _access(env, "state-write", key)
    return ()


# ------------------------------------------------------------------------- balance and transfer

def _token(data: bytes) -> Any:
    return decode_guest(data, _TOKEN_TYPES, "token")


def _holdings(env: HostEnv, owner: bytes, token: Any) -> list[tuple[OutPoint, TxOutput]]:
    """The owner's unspent outputs of ``token`` in the pinned view; charges SCAN_GAS for each
    output of the owner looked at, and lists every one it returns in the read set."""
    outputs = env.view.utxos_of(owner)
    env.ctx.charge(SCAN_GAS * len(outputs))
    found = [(point, output) for point, output in outputs
             if output.asset is not None and output.asset.token == token]
    for point, _ in found:
        _access(env, "utxo-read", encode(point))
    return found


def _amount(output: TxOutput) -> int:
    """The amount of an asset output (what _holdings returns); 0 for any other."""
    return output.asset.amount if output.asset is not None else 0


def balance(env: HostEnv, owner: bytes, token: bytes) -> tuple[int]:
    return (sum(_amount(output) for _, output in _holdings(env, owner, _token(token))),)


def _may_spend(point: OutPoint, output: TxOutput, ctx: Any, signers: tuple[bytes, ...]) -> bool:
    """The lock and allowance rule of ispc_framework._authorization, for this run's signers,
    contract and spend allowance (a caller's outputs outside the allowance are not candidates)."""
    spender = Spender(signers, ctx.contract_address, ctx.pins.height, ctx.pins.timestamp,
                      getattr(ctx, "allowance", frozenset()))
    return spend_refusal(output, spender, point) is None


def select_inputs(candidates: list[tuple[OutPoint, TxOutput]],
                  amount: int) -> tuple[list[tuple[OutPoint, TxOutput]], int]:
    """The documented selection rule: largest amount first, ties by outpoint (tx_id, index)
    ascending, until the amount is covered. Returns (chosen, their total); the total is below
    ``amount`` when the candidates cannot cover it."""
    ordered = sorted(candidates, key=lambda item: (-_amount(item[1]), item[0].tx_id,
                                                   item[0].index))
    chosen, total = [], 0
    for point, output in ordered:
        if total >= amount:
            break
        chosen.append((point, output))
        total += _amount(output)
    return chosen, total


def transfer(env: HostEnv, source: int, to: bytes, token: bytes, amount: int) -> tuple[int]:
    ctx = env.ctx
    if source not in (SOURCE_CONTRACT, SOURCE_CALLER):
        raise GuestError(Status.INVALID_ARGUMENT, "source must be 0 (contract) or 1 (caller)")
    asset_token = _token(token)
    if amount == 0 or (isinstance(asset_token, NonFungibleToken) and amount != 1):
        raise GuestError(Status.INVALID_ARGUMENT, "amount must be at least 1 (an NFT's is 1)")
    signers = tuple(getattr(ctx, "signers", ()))
    address = ctx.contract_address if source == SOURCE_CONTRACT else ctx.request.caller
    if source == SOURCE_CALLER and address not in signers:
        raise GuestError(Status.NOT_AUTHORIZED, "the caller did not sign this transaction")
    draft = ctx.draft
    taken = {tx_input.outpoint for tx_input in draft.inputs}
    candidates = [(point, output) for point, output in _holdings(env, address, asset_token)
                  if point not in taken and _may_spend(point, output, ctx, signers)]
    chosen, total = select_inputs(candidates, amount)
    if total < amount:
        raise GuestError(Status.INSUFFICIENT_FUNDS,
                         f"spendable {total} < {amount} of the token")
    ctx.charge(INPUT_GAS * len(chosen))
    for point, _ in chosen:
        draft.add_input(TxInput(point))
        _access(env, "utxo-spend", encode(point))
    index = draft.add_output(TxOutput(to, (), asset=AssetOutput(asset_token, amount)))
    if total > amount:
        draft.add_output(TxOutput(address, (), asset=AssetOutput(asset_token, total - amount)))
    return (index,)


IMPLEMENTATIONS: dict[str, Impl] = {"get": get, "exists": exists, "set": set_, "delete": delete,
                   "balance": balance, "transfer": transfer}


class StateProvider(SpecProvider):
    """The ``ispc.state`` provider (stateless; a run's storage overlay lives in its draft)."""

    import_module = IMPORT_MODULE
    implementations = IMPLEMENTATIONS

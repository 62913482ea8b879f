"""Who may spend what: the one rule, used at the ``tx_add_input`` host call, at verify and at apply.

:func:`spend_refusal` decides whether a transaction may spend an output, from the output (its
owner, locks and kind), the transaction's signers, the executing resource and the pinned height
and timestamp. Nothing else decides it, so the three places cannot drift apart (a Hypothesis test
runs all three over random lock trees and signer sets). Rules (docs/authorization.md has the
table):

* every lock in ``output.locks`` must hold;
* no lock: the owner must have signed, or the owner must be the executing contract (an account's
  address is its public key; a contract's address is its code hash, which nobody can sign for);
* ``SingleKeyLock``: that key signed; ``MultiKeyLock``: ``threshold`` distinct keys of it signed;
  ``ContractLock``: the named contract is the one executing;
  ``HeightLock``/``TimeLock``: the pinned height/timestamp has reached the bound and the base
  lock holds;
* a contract's deploy output (a CONTRACT resource) can be spent only by that contract's own
  execution, on top of its owner/lock rule; an execution-state output (any state output) only by
  its owner contract's execution.

Reference-only inputs read an output without spending it and need no authorization.

**Spend allowance.** A signature authorises a request, and the called contract chooses the inputs;
so, on top of the rules above, an output that the transaction may spend *only because a signer
signed* (no lock and owned by a signer, or a Single/MultiKeyLock the signers satisfy) must also be
in the signed transaction's ``spends`` (``Spender.allowance``): a contract the signer calls cannot
take any other output of the signer. Outputs the executing contract may spend by its own
authority (owned by it, ContractLock) need no allowance. ``allowance=None`` lifts the rule; only
``run_direct`` (engine tests, which have no transaction) uses it.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from ._encoding import digest
from ._errors import InputNotAuthorized
from ._model import (ContractLock, HeightLock, LockingCondition, MultiKeyLock, OutPoint,
                     ResourceCategory,
                    SingleKeyLock, TimeLock, TxOutput)

__all__ = ["Spender", "spend_refusal", "check_spend", "check_spends", "contract_state_id",
           "state_output_refusal", "CONTRACT_STATE_DOMAIN", "STATE_KEY"]


def _key_set(value: Iterable[bytes]) -> frozenset[bytes]:
    return frozenset(value)  # a typed converter (see _model._bytes_tuple)


def _outpoint_set(value: Iterable[OutPoint] | None) -> frozenset[OutPoint] | None:
    return None if value is None else frozenset(value)


@attrs.frozen
class Spender:
    """Who is spending: the transaction's signers (public keys = addresses), the executing
    resource's address, the pinned chain values the bounds are compared with, and the outpoints
    the signers allow to be spent on their authority (None: no allowance rule)."""

    signers: frozenset[bytes] = attrs.field(converter=_key_set)
    contract: bytes
    height: int
    timestamp: int
    allowance: frozenset[OutPoint] | None = attrs.field(default=frozenset(),
                                                         converter=_outpoint_set)


def _lock_refusal(lock: LockingCondition, spender: Spender,
                  signers: frozenset[bytes]) -> str | None:
    if isinstance(lock, SingleKeyLock):
        return None if lock.public_key in signers else "SingleKeyLock: its key did not sign"
    if isinstance(lock, MultiKeyLock):
        signed = len(set(lock.public_keys) & signers)
        return None if signed >= lock.threshold else (
            f"MultiKeyLock: {signed} of the {lock.threshold} required keys signed")
    if isinstance(lock, ContractLock):
        return None if lock.contract == spender.contract else (
            f"ContractLock: only contract {lock.contract.hex()[:16]}… may spend it")
    if isinstance(lock, HeightLock):
        if spender.height < lock.not_before_height:
            return f"HeightLock: height {spender.height} < {lock.not_before_height}"
        return _lock_refusal(lock.base, spender, signers)
    if isinstance(lock, TimeLock):
        if spender.timestamp < lock.not_before_timestamp:
            return f"TimeLock: timestamp {spender.timestamp} < {lock.not_before_timestamp}"
        return _lock_refusal(lock.base, spender, signers)
    return f"unknown lock {type(lock).__name__}"  # never spendable: fail closed


def spend_refusal(output: TxOutput, spender: Spender,
                  outpoint: OutPoint | None = None) -> str | None:
    """Why ``spender`` may not spend ``output`` (at ``outpoint``), or None if it may."""
    reason = _authority_refusal(output, spender, spender.signers)
    if reason is not None or spender.allowance is None or not spender.signers:
        return reason
    if _authority_refusal(output, spender, _NO_SIGNERS) is None:
        return None  # the contract's own authority: no signature involved
    if outpoint is None or outpoint not in spender.allowance:
        return ("spendable only on a signer's authority, and not in the transaction's spend "
                "allowance (its signed `spends`)")
    return None


_NO_SIGNERS: frozenset[bytes] = frozenset()


def _authority_refusal(output: TxOutput, spender: Spender,
                       signers: frozenset[bytes]) -> str | None:
    """Why ``spender`` may not spend ``output`` if exactly ``signers`` had signed (its own
    signers, or none: what the executing contract may spend on its own authority), or None.
    The signer set is a parameter so that the second question needs no second Spender."""
    resource = output.resource
    if resource is not None and resource.category == ResourceCategory.CONTRACT \
            and resource.content_hash != spender.contract:
        return "a contract's deploy output can be spent only by that contract"
    if output.state is not None and output.owner != spender.contract:
        return "an execution-state output can be spent only by the contract that owns it"
    for lock in output.locks:
        reason = _lock_refusal(lock, spender, signers)
        if reason is not None:
            return reason
    if not output.locks and output.owner not in signers \
            and output.owner != spender.contract:
        return "unlocked output: its owner neither signed nor is the executing contract"
    return None


def check_spend(output: TxOutput, spender: Spender, *, input_index: int,
                outpoint: OutPoint | None = None) -> None:
    reason = spend_refusal(output, spender, outpoint)
    if reason is not None:
        raise InputNotAuthorized(f"input {input_index} may not be spent: {reason}",
                                 input_index=input_index)


def check_spends(outputs: Iterable[TxOutput], spender: Spender,
                 outpoints: Iterable[OutPoint] | None = None) -> None:
    """Check every spent output (in the order of the draft's non-reference inputs, whose
    outpoints ``outpoints`` lists: the allowance is checked against them)."""
    outputs = list(outputs)
    points = list(outpoints) if outpoints is not None else [None] * len(outputs)
    for index, (output, point) in enumerate(zip(outputs, points, strict=True)):
        check_spend(output, spender, input_index=index, outpoint=point)


CONTRACT_STATE_DOMAIN = "ispc/contract-state"
#: metadata key of a contract-written state output holding the contract's own id (hex)
STATE_KEY = "state_key"


def contract_state_id(contract: bytes, state_id: bytes) -> bytes:
    """The stored id of a state a contract writes with ``tx_add_state_output``: namespaced by the
    contract, so no contract can extend another's state (or the coordinator's execution state,
    whose ids live under "ispc/execution-state")."""
    return digest(CONTRACT_STATE_DOMAIN, contract, state_id)


def state_output_refusal(output: TxOutput, contract: bytes) -> str | None:
    """Why a state output in ``contract``'s draft is not one it may write, or None: it must be
    owned by and ContractLocked to the contract, and its id must be the contract's namespaced id
    of the ``state_key`` it carries."""
    state = output.state
    if state is None:
        return "it is not a state output"
    if (output.owner, output.locks) != (contract, (ContractLock(contract),)):
        return "a state output must be owned by and locked to the contract that writes it"
    key = dict(state.metadata).get(STATE_KEY)
    try:
        own = key is not None and state.state_id == contract_state_id(contract, bytes.fromhex(key))
    except ValueError:
        own = False
    return None if own else "its state id is not in the writing contract's namespace"

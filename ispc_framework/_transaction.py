"""Signed transactions: the only way a request reaches an engine.

A :class:`SignedTransaction` wraps an :class:`~ispc_framework._context.ExecutionRequest` with the
chain it is meant for, a validity bound (the last pinned head height it may run at), the
**spend allowance** (``spends``: the outpoints the signers allow this transaction to spend on
their authority) and the signers' Ed25519 public keys with their signatures. Each signature
covers ``digest("ispc/transaction-signature/2", genesis_hash, encode(body))`` where the body is
every field except the signatures and ``genesis_hash`` is the hash of the chain's block 0: a
signature made for one chain (even another devnet with the same chain id), bound, allowance or
request is useless for any other. The genesis hash is not a field: every verifier reads it from
its own chain (version 1 signed the body alone; docs/authorization.md).

The transaction id (:attr:`SignedTransaction.id`) is the hash of the body: it does not depend on
the head the request later runs at, so the repository can refuse a second application of the same
signed request (``transaction-replayed``) however the chain moved in between. The request's
``caller`` must be the first signer's address: the contract's caller is who signed, never an
asserted value.

The allowance bounds what a called contract may take (docs/authorization.md, "Spend
allowance"): an output spendable only because a signer signed (owned by a signer, or under a
Single/MultiKeyLock of signers) may be spent only if its outpoint is in ``spends``; outputs the
contract may spend by its own authority need no allowance. An empty allowance is stored as None
(left out of the encoding), so one value has one encoding.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from ._context import ExecutionRequest
from ._encoding import OPTIONAL_TAIL, digest, map_encoder
from ._errors import TransactionRejected, ValidationError
from ._model import MAX_U64, ChainPins, Memoised, OutPoint, _bytes_tuple
from ._signing import PUBLIC_KEY_LEN, SIGNATURE_LEN, SigningKey, address_of, verify

__all__ = ["SignedTransaction", "sign_request", "check_signatures", "check_transaction", "MAX_SIGNERS",
           "MAX_SPENDS", "SIGNATURE_DOMAIN", "TRANSACTION_DOMAIN"]

MAX_SIGNERS = 16
#: most outpoints one transaction may allow to be spent
MAX_SPENDS = 256
SIGNATURE_DOMAIN = "ispc/transaction-signature/2"
TRANSACTION_DOMAIN = "ispc/signed-transaction"


#: the body: a map of every field but the signatures (``spends`` only when there is one)
_BODY = map_encoder("request", "chain_id", "valid_until", "signers")
_BODY_WITH_SPENDS = map_encoder("request", "chain_id", "valid_until", "signers", "spends")


def _keys(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, tuple) or len(value) > MAX_SIGNERS:
        raise ValidationError(f"SignedTransaction.{attribute.name}",
                              f"expected a tuple of at most {MAX_SIGNERS} items")
    length = PUBLIC_KEY_LEN if attribute.name == "signers" else SIGNATURE_LEN
    for item in value:
        if type(item) is not bytes or len(item) != length:  # no subclass: see _model._plain_bytes
            raise ValidationError(f"SignedTransaction.{attribute.name}",
                                  f"every item must be {length} bytes")
    if attribute.name == "signers" and len(set(value)) != len(value):
        raise ValidationError("SignedTransaction.signers", "a key is listed twice")


def _u64(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_U64:
        raise ValidationError("SignedTransaction.valid_until", "expected an integer in [0, 2^64)")


def _spends(value: Any) -> tuple[OutPoint, ...] | None:
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise ValidationError("SignedTransaction.spends", "expected a sequence of OutPoints")
    items: tuple[Any, ...] = tuple(value)
    if len(items) > MAX_SPENDS or not all(isinstance(item, OutPoint) for item in items):
        raise ValidationError("SignedTransaction.spends",
                              f"expected at most {MAX_SPENDS} OutPoints")
    if len(set(items)) != len(items):
        raise ValidationError("SignedTransaction.spends", "an outpoint is listed twice")
    return items or None


class _TransactionMemo(Memoised):
    """Where a SignedTransaction keeps its body and id once computed (see ``Memoised``): the
    signature check, the replay check and the context all need them, for the same object."""

    __slots__ = ("_ispc_body", "_ispc_id")
    _ispc_body: bytes
    _ispc_id: bytes


@attrs.frozen
class SignedTransaction(_TransactionMemo):
    request: ExecutionRequest = attrs.field(
        validator=attrs.validators.instance_of(ExecutionRequest))
    chain_id: str = attrs.field(validator=attrs.validators.instance_of(str))
    #: the highest pinned head height at which the transaction may still run
    valid_until: int = attrs.field(validator=_u64)
    signers: tuple[bytes, ...] = attrs.field(converter=_bytes_tuple, validator=_keys)
    signatures: tuple[bytes, ...] = attrs.field(converter=_bytes_tuple, validator=_keys)
    #: the outpoints the signers allow to be spent on their authority (None: none)
    spends: tuple[OutPoint, ...] | None = attrs.field(default=None, converter=_spends)

    def body(self) -> bytes:
        """The canonical encoding every signature covers (all fields but the signatures)."""
        try:
            return self._ispc_body
        except AttributeError:
            pass
        if self.spends is None:
            body = _BODY(self.request, self.chain_id, self.valid_until, self.signers)
        else:
            body = _BODY_WITH_SPENDS(self.request, self.chain_id, self.valid_until, self.signers,
                                     self.spends)
        object.__setattr__(self, "_ispc_body", body)
        return body

    def signing_message(self, genesis_hash: bytes) -> bytes:
        """What each signer signs: the body, bound to the chain whose block 0 is
        ``genesis_hash``."""
        if not isinstance(genesis_hash, bytes) or len(genesis_hash) != 32:
            raise ValidationError("genesis_hash", "expected the 32-byte hash of block 0")
        return digest(SIGNATURE_DOMAIN, genesis_hash, self.body())

    @property
    def allowance(self) -> frozenset[OutPoint]:
        return frozenset(self.spends or ())

    @property
    def id(self) -> bytes:
        try:
            return self._ispc_id
        except AttributeError:
            pass
        tx_id = digest(TRANSACTION_DOMAIN, self.body())
        object.__setattr__(self, "_ispc_id", tx_id)
        return tx_id

    @property
    def caller(self) -> bytes:
        return self.request.caller



# ``spends`` is left out of the encoding while None: transactions without an allowance keep the
# encoding (and ids) they had before the field existed.
OPTIONAL_TAIL[SignedTransaction] = 1


def sign_request(request: ExecutionRequest, keys: Sequence[SigningKey], *, chain_id: str,
                 genesis_hash: bytes, valid_until: int,
                 spends: Sequence[OutPoint] = ()) -> SignedTransaction:
    """Sign ``request`` with ``keys`` for the chain ``chain_id`` whose block 0 is
    ``genesis_hash`` (``view.block_hash(0)``), allowing the outpoints ``spends`` to be spent on
    the signers' authority; the first key becomes the caller."""
    keys = tuple(keys)
    if not keys:
        raise ValidationError("keys", "at least one signing key is needed")
    request = attrs.evolve(request, caller=address_of(keys[0].public_key))
    unsigned = SignedTransaction(request, chain_id, valid_until,
                                 tuple(key.public_key for key in keys), (), spends)
    message = unsigned.signing_message(genesis_hash)
    return attrs.evolve(unsigned, signatures=tuple(key.sign(message) for key in keys))


def _reject(message: str, *, code: str, hint: str | None = None) -> TransactionRejected:
    return TransactionRejected(message, code=code, hint=hint)


def check_signatures(tx: object, genesis_hash: bytes) -> SignedTransaction:
    """Raise TransactionRejected unless ``tx`` is a SignedTransaction whose every listed signer
    signed it for the chain whose block 0 is ``genesis_hash`` and whose caller is its first
    signer."""
    # Exactly the class: a subclass could redefine body() or id, so the signatures would be
    # checked over other bytes than the request that runs (and it has no canonical encoding).
    if type(tx) is not SignedTransaction:
        raise _reject(f"a {type(tx).__name__} is not a signed transaction",
                      code="signature-missing", hint="sign the request: `--as KEYNAME`, or "
                      "ispc_framework._transaction.sign_request")
    if not tx.signers or not tx.signatures:
        raise _reject("the transaction carries no signature", code="signature-missing")
    if len(tx.signatures) != len(tx.signers):
        raise _reject(f"{len(tx.signers)} signer(s) but {len(tx.signatures)} signature(s)",
                      code="signature-invalid")
    message = tx.signing_message(genesis_hash)
    for index, (key, signature) in enumerate(zip(tx.signers, tx.signatures)):
        if not verify(key, message, signature):
            raise _reject(f"signature {index} (key {key.hex()[:16]}…) does not verify",
                          code="signature-invalid", hint="the transaction was altered after signing, "
                          "signed with another key, or signed for another chain (another genesis)")
    if tx.request.caller != address_of(tx.signers[0]):
        raise _reject("the request's caller is not the transaction's first signer",
                      code="caller-not-signer", hint="let sign_request set the caller")
    return tx


def check_transaction(tx: object, pins: ChainPins, genesis_hash: bytes) -> SignedTransaction:
    """Everything about ``tx`` that can be checked before it runs at ``pins`` on the chain whose
    block 0 is ``genesis_hash``, except replay (which needs the repository): signatures, caller,
    chain and validity bound."""
    tx = check_signatures(tx, genesis_hash)
    if tx.chain_id != pins.chain_id:
        raise _reject(f"the transaction is for chain {tx.chain_id!r}, this is "
                      f"{pins.chain_id!r}", code="wrong-chain")
    if pins.height > tx.valid_until:
        raise _reject(f"the transaction was valid until height {tx.valid_until}; the head is "
                      f"{pins.height}", code="transaction-expired", hint="sign it again with a later "
                      "--valid-for")
    return tx

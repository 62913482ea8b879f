"""The ``ispc.v1`` HostABI provider: the seventeen primitives and the calling convention.

Reads go to the pinned context and the read-only chain view; writes go only to the execution's own
draft. Every function receives the per-call :class:`~ispc_framework._engines.HostEnv`; nothing
here captures a context. Argument decoding and gas/trace bookkeeping live in :mod:`.binding`.

**Decoding guest values once** (docs/performance.md, "Host-function bodies (session 5)"). A
token transfer passes the same canonical bytes more than once: the contract's own token in every
asset output it creates, an outpoint to ``utxo_lookup`` and then to ``tx_add_input``. Decoding
is a pure function of the bytes and the values are frozen, so a decoded token is kept by its
exact bytes (process-wide, bounded: a contract names one token in all its transfers) and the
run's last decoded outpoint by its exact bytes (in ``env.extra``: it dies with the run). Only
successful decodes are kept, so every refusal is made, with its status and reason, as before.
An asset output is usually locked to its owner's own key; that lock list is recognised by
comparing the bytes with its canonical encoding (equal bytes decode to exactly that value)
instead of decoding them.

**The guest's bytes are the encoding.** The decoder accepts only canonical encodings
(``encode(decode(b)) == b`` for every accepted ``b``), so the token and lock bytes an asset
output was decoded from, and the outpoint bytes of an input, are exactly those values'
encodings (and an event's type is its strict UTF-8 bytes): ``tx_add_asset_output``,
``tx_add_input`` and ``emit_event`` compose the new item's encoding from them and the model's
fixed heads and store it on the item (``TxOutput``, ``TxInput`` and ``Event`` are
``Memoised``), so neither the draft nor a later ``utxo_lookup`` of the output encodes it again.
Tests compare each with a fresh encoding, for valid and for hostile guest bytes
(tests/hostabi/test_hostabi_v1_guest_bytes.py).
"""

from __future__ import annotations

from typing import Any

from .._authorization import STATE_KEY, contract_state_id, spend_refusal
from .._encoding import _build_model as build_model
from .._encoding import _head, decode, decode_value, encode, remember_encoding, type_id_of
from .._engines import HostEnv
from .._errors import ValidationError
from .._model import (ADDRESS_LEN, BN254_FR, AssetOutput, ContractLock, Event, FungibleToken,
                     HeightLock, MultiKeyLock, NativeCoin, NonFungibleToken, OutPoint,
                     ResourceCategory, ResourceOutput, SingleKeyLock, StateOutput, TimeLock,
                     TxInput, TxOutput)
from ._bindings_v1 import ABI_VERSION, Status
from .binding import Impl, SpecProvider
from .guest import GuestError

__all__ = ["V1Provider", "IMPORT_MODULE", "decode_guest", "decode_locks"]

IMPORT_MODULE = "ispc.v1"
_LOCK_TYPES = (SingleKeyLock, MultiKeyLock, ContractLock, TimeLock, HeightLock)
_TOKEN_TYPES = (NativeCoin, FungibleToken, NonFungibleToken)
_RESOURCE_KEYS = frozenset({"mime_type", "name", "size", "metadata"})
MAX_LOCKS = 8
MAX_PUBLIC_INPUTS = 32
DEFAULT_MIME = "application/octet-stream"


def _invalid(reason: str) -> GuestError:
    return GuestError(Status.INVALID_ARGUMENT, reason)


def decode_guest(data: bytes, types: tuple[type, ...], what: str) -> Any:
    """Decode a canonical model encoding from the guest; anything else is INVALID_ARGUMENT."""
    try:
        value = decode(data)
    except ValidationError as exc:  # DecodeError included
        raise _invalid(f"{what}: {exc.message}") from None
    if not isinstance(value, types):
        raise _invalid(f"{what}: got {type(value).__name__}")
    return value


def _plain(data: bytes, what: str) -> Any:
    try:
        return decode_value(data)
    except ValidationError as exc:
        raise _invalid(f"{what}: {exc.message}") from None


#: decoded tokens by their exact bytes (see the module docstring); cleared when full, so a
#: contract naming ever new tokens costs only the decoding it would have cost anyway
_TOKENS: dict[bytes, Any] = {}
MAX_CACHED_TOKENS = 256
#: ``env.extra`` key of the run's last decoded outpoint: (its bytes, the OutPoint)
_LAST_OUTPOINT = "ispc.v1.outpoint"


def _token(data: bytes) -> Any:
    """``decode_guest(data, token types)``, kept by ``data``: the same bytes always decode to
    the same frozen value (or are refused again: refusals are not kept)."""
    token = _TOKENS.get(data)
    if token is None:
        token = decode_guest(data, _TOKEN_TYPES, "token")
        if len(_TOKENS) >= MAX_CACHED_TOKENS:
            _TOKENS.clear()
        _TOKENS[data] = token
    return token


def _outpoint(env: HostEnv, data: bytes) -> Any:
    """``decode_guest(data, OutPoint)``; the run's last decoded outpoint is kept by its bytes (a
    contract looks an outpoint up, then spends it)."""
    last = env.extra.get(_LAST_OUTPOINT)
    if last is not None and last[0] == data:
        return last[1]
    point = _canonical_outpoint(data)
    if point is None:
        point = decode_guest(data, (OutPoint,), "outpoint")
    env.extra[_LAST_OUTPOINT] = (data, point)
    return point


#: ``encode(OutPoint(tx_id, index))`` is this prefix, the 32-byte id and ``_head(0, index)``
_OUTPOINT = _head(4, 3) + _head(0, type_id_of("OutPoint")) + _head(2, 32)
_OUTPOINT_ID_END = len(_OUTPOINT) + 32


def _canonical_outpoint(data: bytes) -> OutPoint | None:
    """The OutPoint whose canonical encoding ``data`` is, built without the generic decoder;
    None for any other bytes (the caller decodes those, with the decoder's verdict). Exact:
    the index is taken only when ``_head(0, index)`` gives back the tail byte for byte, so
    ``data == encode(point)``, and that is the one encoding ``decode`` accepts for ``point``.
    A value the model refuses (an index above u32) is also left to the decoder."""
    if len(data) <= _OUTPOINT_ID_END or not data.startswith(_OUTPOINT):
        return None
    tail = data[_OUTPOINT_ID_END:]
    first = tail[0]
    if first < 24:
        index = first
    elif first <= 27 and len(tail) == 1 + (1 << (first - 24)):   # 1, 2, 4 or 8 bytes follow
        index = int.from_bytes(tail[1:], "big")
    else:
        return None
    if _head(0, index) != tail:
        return None
    try:
        return OutPoint(data[len(_OUTPOINT):_OUTPOINT_ID_END], index)
    except ValidationError:
        return None


def decode_locks(data: bytes) -> tuple[Any, ...]:
    """A canonical array of 0..8 locking conditions. Each item is built from the array's decoded
    value as it stands (what ``decode(encode_value(item))`` gives, without the round trip: the
    array was canonical, so each item is too)."""
    items = _plain(data, "locks")
    if not isinstance(items, tuple) or len(items) > MAX_LOCKS:
        raise _invalid(f"locks: expected an array of at most {MAX_LOCKS} locks")
    locks = []
    for item in items:
        try:
            lock = build_model(item, "lock")
        except ValidationError as exc:  # DecodeError included
            raise _invalid(f"lock: {exc.message}") from None
        if not isinstance(lock, _LOCK_TYPES):
            raise _invalid(f"lock: got {type(lock).__name__}")
        locks.append(lock)
    return tuple(locks)


def _model(factory: Any, *args: Any, **kwargs: Any) -> Any:
    """Build a model value from guest data; a failed validation is the guest's INVALID_ARGUMENT."""
    try:
        return factory(*args, **kwargs)
    except ValidationError as exc:
        raise _invalid(exc.message) from None


def _text(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise _invalid(f"{what}: invalid UTF-8") from None


# ------------------------------------------------------------------------ calling convention

def abi_version(env: HostEnv) -> int:
    return ABI_VERSION


def call_input(env: HostEnv) -> tuple[bytes]:
    return (env.ctx.request.input,)


def set_return_data(env: HostEnv, data: bytes) -> tuple[()]:
    env.ctx.set_return_data(data)
    return ()


# ---------------------------------------------------------------------------------- block view

def block_height(env: HostEnv) -> int:
    return env.ctx.pins.height


def block_timestamp(env: HostEnv) -> int:
    return env.ctx.pins.timestamp


def block_hash(env: HostEnv, height: int) -> tuple[bytes]:
    pins = env.ctx.pins
    if height > pins.height:  # the chain may have grown; the run must not see it
        raise GuestError(Status.NOT_FOUND, f"height {height} is above the pinned head")
    if height == pins.height:
        return (pins.block_hash,)
    found = env.view.block_hash(height)
    if found is None:
        raise GuestError(Status.NOT_FOUND, f"no block at height {height}")
    return (found,)


def chain_id(env: HostEnv) -> tuple[bytes]:
    return (env.ctx.pins.chain_id.encode("utf-8"),)


# --------------------------------------------------------------------------- execution context

def caller(env: HostEnv) -> tuple[bytes]:
    return (env.ctx.request.caller,)


def contract_address(env: HostEnv) -> tuple[bytes]:
    return (env.ctx.contract_address,)


def transaction_id(env: HostEnv) -> tuple[bytes]:
    return (env.ctx.transaction_id,)


# ------------------------------------------------------------------------- UTXO and resources

def utxo_lookup(env: HostEnv, outpoint: bytes) -> tuple[bytes]:
    output = env.view.utxo(_outpoint(env, outpoint))
    if output is None:
        raise GuestError(Status.NOT_FOUND, "no such unspent output")
    return (encode(output),)  # Memoised: encoded once, when a draft appended it or here


def utxo_exists(env: HostEnv, outpoint: bytes) -> tuple[()]:
    if not env.view.utxo_exists(decode_guest(outpoint, (OutPoint,), "outpoint")):
        raise GuestError(Status.NOT_FOUND, "no such unspent output")
    return ()


def resource_lookup(env: HostEnv, content_hash: bytes) -> tuple[bytes]:
    resource = env.view.resource(content_hash)
    if resource is None:
        raise GuestError(Status.NOT_FOUND, "no such resource")
    return (encode(resource),)


def resource_exists(env: HostEnv, content_hash: bytes) -> tuple[()]:
    if not env.view.resource_exists(content_hash):
        raise GuestError(Status.NOT_FOUND, "no such resource")
    return ()


# ------------------------------------------------------------------------------ draft writes

#: the fixed head of an input's encoding: ``[2, outpoint, reference_only, unlocking_proof]``
_TX_INPUT = _head(4, 4) + _head(0, type_id_of("TxInput"))


def tx_add_input(env: HostEnv, outpoint: bytes, reference_only: bool,
                 proof: bytes) -> tuple[int]:
    point = _outpoint(env, outpoint)
    tx_input = _model(TxInput, point, reference_only, proof)
    draft = env.ctx.draft
    if draft.has_input(point):
        raise GuestError(Status.DUPLICATE, "outpoint already an input of this draft")
    output = env.view.utxo(point)
    if output is None:
        raise GuestError(Status.NOT_FOUND, "no such unspent output")
    if not reference_only:
        reason = spend_refusal(output, env.ctx.spender(), point)
        if reason is not None:
            raise GuestError(Status.INPUT_NOT_AUTHORIZED, reason)
    # Its encoding from the guest's bytes: ``outpoint`` was decoded canonically, so it is
    # encode(point); the flag is a bool and the proof bytes of at most 4096 (validated above).
    remember_encoding(tx_input, b"".join((_TX_INPUT, outpoint, b"\xf5" if reference_only
                                          else b"\xf4", _head(2, len(proof)), proof)))
    return (draft.add_input(tx_input),)


#: the fixed parts of an asset output's encoding: ``[34, owner, locks, [30, token, amount],
#: null, null]`` (TxOutput's fields: owner, locks, asset, resource, state)
_ASSET_TX_OUTPUT = _head(4, 6) + _head(0, type_id_of("TxOutput")) + _head(2, ADDRESS_LEN)
_ASSET_OUTPUT = _head(4, 3) + _head(0, type_id_of("AssetOutput"))
_NO_RESOURCE_NO_STATE = b"\xf6\xf6"


#: ``encode((SingleKeyLock(key),))`` is this prefix and the 32-byte key
_ONE_KEY_LOCK = _head(4, 1) + _head(4, 2) + _head(0, type_id_of("SingleKeyLock")) + \
    _head(2, ADDRESS_LEN)


def _locks_of(owner: bytes, data: bytes) -> tuple[Any, ...]:
    """``decode_locks(data)``, without decoding the usual list: the owner's own key (what the
    SDK's ``ispc_encode_single_key_lock_list`` writes). Bytes equal to the canonical encoding
    of ``(SingleKeyLock(owner),)`` decode to exactly that value (the decoder accepts one
    encoding per value and returns the value it encodes); any other bytes are decoded."""
    if len(data) == len(_ONE_KEY_LOCK) + len(owner) and data.startswith(_ONE_KEY_LOCK) \
            and data.endswith(owner):
        return (SingleKeyLock(owner),)  # called inside tx_add_asset_output's try
    return decode_locks(data)


def tx_add_asset_output(env: HostEnv, owner: bytes, amount: int, token: bytes,
                        locks: bytes) -> tuple[int]:
    try:  # _model's work, without forwarding arguments (the token and locks raise GuestError)
        asset = AssetOutput(_token(token), amount)
        output = TxOutput(owner, _locks_of(owner, locks), asset=asset)
    except ValidationError as exc:
        raise _invalid(exc.message) from None
    # Its encoding from the guest's bytes: ``token`` and ``locks`` were decoded canonically, so
    # they are encode(token) and encode(locks); the owner is 32 bytes and the amount a u64 (the
    # validators above refused anything else), so their heads are the ones written here.
    remember_encoding(output, b"".join((_ASSET_TX_OUTPUT, owner, locks, _ASSET_OUTPUT, token,
                                        _head(0, amount), _NO_RESOURCE_NO_STATE)))
    return (env.ctx.draft.add_output(output),)


def _resource_description(data: bytes) -> dict[str, Any]:
    description = _plain(data, "metadata")
    if not isinstance(description, dict) or not set(description) <= _RESOURCE_KEYS:
        raise _invalid(f"metadata: expected a map with keys among {sorted(_RESOURCE_KEYS)}")
    for key in ("mime_type", "name"):
        if not isinstance(description.get(key, ""), str):
            raise _invalid(f"metadata.{key}: expected text")
    size = description.get("size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
        raise _invalid("metadata.size: expected an unsigned integer")
    extra = description.get("metadata", {})
    if not isinstance(extra, dict) or not all(isinstance(v, str) for v in extra.values()):
        raise _invalid("metadata.metadata: expected a map of text to text")
    return description


def tx_add_resource_output(env: HostEnv, content_hash: bytes, category: int, owner: bytes,
                           locks: bytes, metadata: bytes) -> tuple[int]:
    try:
        resource_category = ResourceCategory(category)
    except ValueError:
        raise _invalid(f"category {category} is not one of "
                       f"{[c.value for c in ResourceCategory]}") from None
    lock_values = decode_locks(locks)
    description = _resource_description(metadata)
    stored = env.view.resource_content(content_hash)
    size = description.get("size")
    if stored is not None:
        if size is not None and size != len(stored):
            raise _invalid(f"metadata.size {size} differs from the stored content's {len(stored)}")
        size = len(stored)
    elif size is None:
        raise GuestError(Status.NOT_FOUND, "content not stored and no size given")
    resource = _model(ResourceOutput, content_hash, resource_category,
                      description.get("mime_type", DEFAULT_MIME), size,
                      description.get("name", ""), metadata=description.get("metadata", {}))
    output = _model(TxOutput, owner, lock_values, resource=resource)
    return (env.ctx.draft.add_output(output),)


def tx_add_state_output(env: HostEnv, state_id: bytes, version: int, result_hash: bytes,
                        public_inputs: bytes, parent_hash: bytes) -> tuple[int]:
    values = _plain(public_inputs, "public_inputs")
    if not isinstance(values, tuple) or len(values) > MAX_PUBLIC_INPUTS or not all(
            isinstance(v, int) and not isinstance(v, bool) and 0 <= v < BN254_FR for v in values):
        raise _invalid(f"public_inputs: expected an array of at most {MAX_PUBLIC_INPUTS} "
                       "BN254 field elements")
    if len(parent_hash) not in (0, 32):
        raise _invalid("parent_hash: expected 0 or 32 bytes")
    metadata = {"public_inputs": ",".join(map(str, values))} if values else {}
    metadata[STATE_KEY] = state_id.hex()  # so anyone can recheck the namespaced id
    contract = env.ctx.contract_address
    state = _model(StateOutput, contract_state_id(contract, state_id), version, result_hash, None,
                   parent_hash or None, metadata=metadata)
    output = _model(TxOutput, contract, (ContractLock(contract),), state=state)
    return (env.ctx.draft.add_output(output),)


# ------------------------------------------------------------------------------------ tracing

#: the fixed head of an event's encoding: ``[40, contract, event_type, data]``
_EVENT = _head(4, 4) + _head(0, type_id_of("Event")) + _head(2, ADDRESS_LEN)


def emit_event(env: HostEnv, event_type: bytes, data: bytes) -> tuple[()]:
    contract = env.ctx.contract_address
    event = _model(Event, contract, _text(event_type, "event_type"), data)
    # Its encoding from the guest's bytes: ``event_type`` decoded as strict UTF-8, which
    # encodes back to the same bytes; the contract address is 32 bytes (validated above).
    remember_encoding(event, b"".join((_EVENT, contract, _head(3, len(event_type)), event_type,
                                       _head(2, len(data)), data)))
    env.ctx.draft.add_event(event)
    return ()


def log_debug(env: HostEnv, message: bytes) -> tuple[()]:
    if not env.ctx.log(_text(message, "message")):
        raise GuestError(Status.LIMIT_REACHED, "the log cap is reached")
    return ()


IMPLEMENTATIONS: dict[str, Impl] = {
    "abi_version": abi_version, "call_input": call_input, "set_return_data": set_return_data,
    "block_height": block_height, "block_timestamp": block_timestamp, "block_hash": block_hash,
    "chain_id": chain_id, "caller": caller, "contract_address": contract_address,
    "transaction_id": transaction_id, "utxo_lookup": utxo_lookup, "utxo_exists": utxo_exists,
    "resource_lookup": resource_lookup, "resource_exists": resource_exists,
    "tx_add_input": tx_add_input, "tx_add_asset_output": tx_add_asset_output,
    "tx_add_resource_output": tx_add_resource_output, "tx_add_state_output": tx_add_state_output,
    "emit_event": emit_event, "log_debug": log_debug,
}


class V1Provider(SpecProvider):
    """The ``ispc.v1`` provider. Stateless: its descriptors can serve any number of runs."""

    import_module = IMPORT_MODULE
    implementations = IMPLEMENTATIONS

"""The data model: frozen, slotted, validated value classes.

Every class here has a canonical byte encoding (:mod:`ispc_framework._encoding`), so each field is one
of: ``bytes``, ``str``, ``int``, ``bool``, ``None``, an enum, another model instance, or a tuple of
those. Validation happens at construction and raises :class:`~ispc_framework._errors.ValidationError`
naming ``Class.field``, so a bad value never travels far from where it was made.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Generic, NoReturn, TypeVar, Union, overload

import attrs

from ._errors import ValidationError

if TYPE_CHECKING:
    from ._transaction import SignedTransaction

__all__ = [
    "HASH_LEN",
    "ADDRESS_LEN",
    "MAX_AMOUNT",
    "MAX_U32",
    "MAX_U64",
    "OutPoint",
    "TxInput",
    "SingleKeyLock",
    "MultiKeyLock",
    "ContractLock",
    "TimeLock",
    "HeightLock",
    "LockingCondition",
    "NativeCoin",
    "FungibleToken",
    "NonFungibleToken",
    "Token",
    "AssetOutput",
    "ResourceCategory",
    "ResourceOutput",
    "ZKStateProof",
    "StateOutput",
    "TxOutput",
    "Event",
    "TENSOR_DTYPES",
    "Tensor",
    "MAX_STATE_KEY_BYTES",
    "MAX_STATE_VALUE_BYTES",
    "StateWrite",
    "StateDelta",
    "SealedDraft",
    "ChainPins",
    "ResultCommitment",
    "WasmExecutionResult",
    "OnnxExecutionResult",
    "Memoised",
]

HASH_LEN = 32
ADDRESS_LEN = 32
MAX_U32 = 2**32 - 1
MAX_U64 = 2**64 - 1
MAX_AMOUNT = MAX_U64  # amounts are u64 everywhere: the HostABI, the encoding and the circuit
MAX_NAME_LEN = 256
MAX_METADATA_ENTRIES = 64
MAX_METADATA_BYTES = 4096
#: BN254 scalar field modulus: Groth16 public inputs are elements of this field.
BN254_FR = 21888242871839275222246405745257275088548364400416034343698204186575808495617


#: an attrs validator: (instance, attribute, value), raising ValidationError
_Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def _name(instance: Any, attribute: attrs.Attribute[Any]) -> str:
    return f"{type(instance).__name__}.{attribute.name}"


def _fail(instance: Any, attribute: attrs.Attribute[Any], message: str) -> NoReturn:
    raise ValidationError(_name(instance, attribute), message)


def _bytes_exact(length: int) -> _Validator:
    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if type(value) is not bytes:
            _fail(instance, attribute, f"expected bytes, got {type(value).__name__}")
        if len(value) != length:
            _fail(instance, attribute, f"expected {length} bytes, got {len(value)}")
    return check


def _plain_bytes(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Exactly ``bytes``: a subclass is refused, because the encoder embeds ``_encoding.Encoded``
    (a bytes subclass meaning "already encoded") as-is, so such a field would encode like
    another value (the same transaction id and signature over a different input), and any
    other subclass may redefine equality or length."""
    if type(value) is not bytes:
        _fail(instance, attribute, f"expected bytes, got {type(value).__name__}")


def _optional(check: _Validator) -> _Validator:
    def run(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None:
            check(instance, attribute, value)
    return run


def _bytes_max(limit: int) -> _Validator:
    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if type(value) is not bytes:
            _fail(instance, attribute, f"expected bytes, got {type(value).__name__}")
        if len(value) > limit:
            _fail(instance, attribute, f"at most {limit} bytes allowed, got {len(value)}")
    return check


def _int_range(low: int, high: int) -> _Validator:
    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        # bool is an int subclass; True as an amount is always a bug.
        if not isinstance(value, int) or isinstance(value, bool):
            _fail(instance, attribute, f"expected an integer, got {type(value).__name__}")
        if not low <= value <= high:
            _fail(instance, attribute, f"{value} is outside [{low}, {high}]")
    return check


def _text(max_len: int, *, allow_empty: bool = True) -> _Validator:
    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, str):
            _fail(instance, attribute, f"expected text, got {type(value).__name__}")
        if not allow_empty and not value:
            _fail(instance, attribute, "must not be empty")
        if len(value.encode("utf-8", "surrogatepass")) > max_len:
            _fail(instance, attribute, f"at most {max_len} UTF-8 bytes allowed")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            _fail(instance, attribute, "must be valid Unicode (no lone surrogates)")
    return check


def _bool(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, bool):
        _fail(instance, attribute, f"expected a bool, got {type(value).__name__}")


def _instance_of(*types: type) -> _Validator:
    names = " or ".join(t.__name__ for t in types)

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, types):
            _fail(instance, attribute, f"expected {names}, got {type(value).__name__}")
    return check


def _tuple_of(item_check: _Validator, *, max_items: int, min_items: int = 0) -> _Validator:
    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, tuple):
            _fail(instance, attribute, f"expected a tuple, got {type(value).__name__}")
        if not min_items <= len(value) <= max_items:
            _fail(instance, attribute, f"expected {min_items} to {max_items} items, got {len(value)}")
        for item in value:
            item_check(instance, attribute, item)
    return check


def _metadata(value: Any) -> tuple[tuple[str, str], ...]:
    """Metadata is a small str->str map, stored as sorted pairs so it is hashable and canonical."""
    if type(value) is tuple and not value:  # the usual case: no metadata
        return ()
    if isinstance(value, Mapping):
        value = tuple(value.items())
    return tuple(sorted(tuple(pair) for pair in value))


def _check_metadata(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if len(value) > MAX_METADATA_ENTRIES:
        _fail(instance, attribute, f"at most {MAX_METADATA_ENTRIES} entries allowed")
    total = 0
    previous = None
    for pair in value:
        if len(pair) != 2 or not all(isinstance(part, str) for part in pair):
            _fail(instance, attribute, "entries must be (str, str) pairs")
        if pair[0] == previous:
            _fail(instance, attribute, f"duplicate key {pair[0]!r}")
        previous = pair[0]
        total += len(pair[0].encode()) + len(pair[1].encode())
    if total > MAX_METADATA_BYTES:
        _fail(instance, attribute, f"at most {MAX_METADATA_BYTES} UTF-8 bytes of keys and values")


def _metadata_field() -> Any:  # what attrs.field returns
    return attrs.field(factory=tuple, converter=_metadata, validator=_check_metadata, kw_only=True)


# Typed converters: attrs' mypy plugin types a field's ``__init__`` argument from its converter, and
# the bare ``tuple`` would leave it ``Iterable[_T_co]`` (unbound), refusing every argument.
def _bytes_tuple(value: Iterable[bytes]) -> tuple[bytes, ...]:
    return tuple(value)


def _int_tuple(value: Iterable[int]) -> tuple[int, ...]:
    return tuple(value)


def _locks(value: Iterable[LockingCondition]) -> tuple[LockingCondition, ...]:
    return tuple(value)


def _inputs(value: Iterable[TxInput]) -> tuple[TxInput, ...]:
    return tuple(value)


def _outputs(value: Iterable[TxOutput]) -> tuple[TxOutput, ...]:
    return tuple(value)


def _events(value: Iterable[Event]) -> tuple[Event, ...]:
    return tuple(value)


def _tensors(value: Iterable[Tensor]) -> tuple[Tensor, ...]:
    return tuple(value)


def _writes(value: Iterable[StateWrite]) -> tuple[StateWrite, ...]:
    return tuple(value)


_hash = _bytes_exact(HASH_LEN)
_address = _bytes_exact(ADDRESS_LEN)
_u32 = _int_range(0, MAX_U32)
_u64 = _int_range(0, MAX_U64)

class Memoised:
    """Base of the frozen model classes that keep their canonical encoding after its first use.

    One execution encodes its transaction, request, pins, draft and commitment several times
    (the signature's message, the transaction id, the trace header, the result hash, the result
    file); these objects are immutable, so the first encoding is the only one and
    :func:`ispc_framework._encoding.encode_value` stores it here (``decode`` stores the
    canonical bytes it decoded the object from). The slot is not an attrs field:
    equality, hashing, ``repr``, pickling and ``attrs.evolve`` ignore it (an evolved or unpickled
    object encodes itself again), and nothing about the encoding changes.
    """

    __slots__ = ("_ispc_encoding",)
    _ispc_encoding: bytes


# --------------------------------------------------------------------------------------- inputs


@attrs.frozen
class OutPoint:
    """A transaction output: the id of the transaction (block-local) and the output's index."""

    tx_id: bytes = attrs.field(validator=_hash)
    index: int = attrs.field(validator=_u32)


@attrs.frozen
class TxInput(Memoised):
    """An input of the draft. ``reference_only`` reads an output without spending it.

    Memoised, so that ``tx_add_input`` can store the encoding it composes from the guest's
    outpoint bytes (ispc_framework._hostabi.v1) and the draft need not encode the input."""

    outpoint: OutPoint = attrs.field(validator=_instance_of(OutPoint))
    reference_only: bool = attrs.field(default=False, validator=_bool)
    unlocking_proof: bytes = attrs.field(default=b"", validator=_bytes_max(4096))


# ---------------------------------------------------------------------------------------- locks


@attrs.frozen
class SingleKeyLock:
    public_key: bytes = attrs.field(validator=_bytes_max(65))

    def __attrs_post_init__(self) -> None:
        if len(self.public_key) not in (32, 33, 65):
            raise ValidationError("SingleKeyLock.public_key",
                                  f"expected 32, 33 or 65 bytes, got {len(self.public_key)}")


@attrs.frozen
class MultiKeyLock:
    threshold: int = attrs.field(validator=_int_range(1, 16))
    public_keys: tuple[bytes, ...] = attrs.field(
        converter=_bytes_tuple, validator=_tuple_of(_bytes_max(65), min_items=1, max_items=16))

    def __attrs_post_init__(self) -> None:
        if self.threshold > len(self.public_keys):
            raise ValidationError("MultiKeyLock.threshold",
                                  f"{self.threshold} exceeds the {len(self.public_keys)} keys")


@attrs.frozen
class ContractLock:
    """Spendable only by the contract at ``contract`` (its address)."""

    contract: bytes = attrs.field(validator=_address)


#: how many TimeLock/HeightLock may wrap one another. The encoding refuses values nested deeper
#: than 32 levels, and a lock sits deepest in a result file (result, commitment, draft, outputs,
#: output, locks: an output's first lock has its fields at level 7, so 25 wrappers fit). Kept
#: encodings are composed from parts encoded or decoded on their own (a draft's items, the
#: HostABI's guest bytes), which skips that check: without a bound a deep chain got a kept
#: encoding that no encoder makes and no decoder accepts (tests/hostabi/
#: test_review_attacks_s5_hostabi.py). 16 leaves room in every value that holds a lock.
MAX_LOCK_NESTING = 16


def _check_lock_base(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    _instance_of(SingleKeyLock, MultiKeyLock, ContractLock, TimeLock, HeightLock)(
        instance, attribute, value)
    nesting = 1  # ``instance`` itself; each base was checked when it was built, so this ends
    while isinstance(value, (TimeLock, HeightLock)):
        nesting += 1
        value = value.base
    if nesting > MAX_LOCK_NESTING:
        _fail(instance, attribute, f"time and height locks nest at most {MAX_LOCK_NESTING} deep")


@attrs.frozen
class TimeLock:
    not_before_timestamp: int = attrs.field(validator=_u64)
    base: LockingCondition = attrs.field()

    @base.validator
    def _check_base(self, attribute: attrs.Attribute[Any], value: Any) -> None:
        _check_lock_base(self, attribute, value)


@attrs.frozen
class HeightLock:
    not_before_height: int = attrs.field(validator=_u64)
    base: LockingCondition = attrs.field()

    @base.validator
    def _check_base(self, attribute: attrs.Attribute[Any], value: Any) -> None:
        _check_lock_base(self, attribute, value)


LockingCondition = Union[SingleKeyLock, MultiKeyLock, ContractLock, TimeLock, HeightLock]
_LOCK_TYPES = (SingleKeyLock, MultiKeyLock, ContractLock, TimeLock, HeightLock)

# --------------------------------------------------------------------------------------- assets


@attrs.frozen
class NativeCoin:
    """The chain's own coin."""


@attrs.frozen
class FungibleToken:
    """A fungible token class issued by the contract at ``contract``."""

    contract: bytes = attrs.field(validator=_address)
    class_id: bytes = attrs.field(validator=_bytes_max(32))


@attrs.frozen
class NonFungibleToken:
    """One NFT issued by the contract at ``contract``; its amount is always 1."""

    contract: bytes = attrs.field(validator=_address)
    nft_id: bytes = attrs.field(validator=_bytes_max(32))


Token = Union[NativeCoin, FungibleToken, NonFungibleToken]
_TOKEN_TYPES = (NativeCoin, FungibleToken, NonFungibleToken)


@attrs.frozen
class AssetOutput:
    token: Token = attrs.field(validator=_instance_of(*_TOKEN_TYPES))
    amount: int = attrs.field(validator=_int_range(0, MAX_AMOUNT))

    def __attrs_post_init__(self) -> None:
        if isinstance(self.token, NonFungibleToken) and self.amount != 1:
            raise ValidationError("AssetOutput.amount",
                                  f"an NFT's amount must be 1, got {self.amount}")


class ResourceCategory(enum.IntEnum):
    CONTRACT = 1
    AI_MODEL = 2
    STATIC = 3


@attrs.frozen
class ResourceOutput:
    """A content-addressed resource (contract code, model or static data)."""

    content_hash: bytes = attrs.field(validator=_hash)
    category: ResourceCategory = attrs.field(converter=ResourceCategory)
    mime_type: str = attrs.field(validator=_text(127))
    size: int = attrs.field(validator=_u64)
    name: str = attrs.field(validator=_text(MAX_NAME_LEN))
    metadata: tuple[tuple[str, str], ...] = _metadata_field()


# ---------------------------------------------------------------------------------------- state


def _field_element(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    _tuple_of(_int_range(0, BN254_FR - 1), max_items=64)(instance, attribute, value)


@attrs.frozen
class ZKStateProof:
    """A zero-knowledge proof that the statement of ``circuit_id`` holds for ``public_inputs``."""

    proof: bytes = attrs.field(validator=_bytes_max(4096))
    public_inputs: tuple[int, ...] = attrs.field(converter=_int_tuple, validator=_field_element)
    verification_key_hash: bytes = attrs.field(validator=_hash)
    circuit_id: str = attrs.field(validator=_text(64, allow_empty=False))
    circuit_version: int = attrs.field(validator=_u32)
    constraint_count: int = attrs.field(validator=_u64)
    scheme: str = attrs.field(default="groth16", validator=_text(16, allow_empty=False))
    curve: str = attrs.field(default="bn254", validator=_text(16, allow_empty=False))


@attrs.frozen
class StateOutput:
    """A versioned state anchor. ``zk_proof`` is None only inside a draft, before proving."""

    state_id: bytes = attrs.field(validator=_hash)
    version: int = attrs.field(validator=_u64)
    execution_result_hash: bytes = attrs.field(validator=_hash)
    zk_proof: ZKStateProof | None = attrs.field(
        default=None, validator=_optional(_instance_of(ZKStateProof)))
    parent_state_hash: bytes | None = attrs.field(default=None, validator=_optional(_hash))
    metadata: tuple[tuple[str, str], ...] = _metadata_field()


@attrs.frozen
class TxOutput(Memoised):
    """An output: an owner, its locks, and exactly one of asset, resource or state.

    Memoised: an output is encoded when a draft appends it (its size counts against the cap),
    again for each ``utxo_lookup`` of it and when it is stored; the first encoding serves all."""

    owner: bytes = attrs.field(validator=_address)
    locks: tuple[LockingCondition, ...] = attrs.field(
        default=(), converter=_locks, validator=_tuple_of(_instance_of(*_LOCK_TYPES), max_items=8))
    asset: AssetOutput | None = attrs.field(
        default=None, validator=_optional(_instance_of(AssetOutput)), kw_only=True)
    resource: ResourceOutput | None = attrs.field(
        default=None, validator=_optional(_instance_of(ResourceOutput)), kw_only=True)
    state: StateOutput | None = attrs.field(
        default=None, validator=_optional(_instance_of(StateOutput)), kw_only=True)

    def __attrs_post_init__(self) -> None:
        # the usual case decided without building the list (made on every output a run adds)
        if (self.asset is None) + (self.resource is None) + (self.state is None) == 2:
            return
        kinds = [k for k in ("asset", "resource", "state") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValidationError(
                "TxOutput.asset|resource|state",
                f"exactly one of asset, resource or state must be set, got {kinds or 'none'}")

    @property
    def kind(self) -> str:
        return "asset" if self.asset else "resource" if self.resource else "state"


@attrs.frozen
class Event(Memoised):
    """Memoised, like TxInput: ``emit_event`` stores the encoding it composes from the guest's
    bytes (ispc_framework._hostabi.v1)."""

    contract: bytes = attrs.field(validator=_address)
    event_type: str = attrs.field(validator=_text(64, allow_empty=False))
    data: bytes = attrs.field(validator=_bytes_max(65536))


# -------------------------------------------------------------------------------------- tensors

#: dtype name -> (numpy-style little-endian format, bytes per element)
TENSOR_DTYPES = {
    "bool": 1, "int8": 1, "uint8": 1, "int16": 2, "uint16": 2, "int32": 4, "uint32": 4,
    "int64": 8, "uint64": 8, "float16": 2, "float32": 4, "float64": 8,
}


@attrs.frozen
class Tensor:
    """A tensor in canonical form: dtype name, shape, and the C-order little-endian bytes."""

    name: str = attrs.field(validator=_text(MAX_NAME_LEN))
    dtype: str = attrs.field()
    shape: tuple[int, ...] = attrs.field(
        converter=_int_tuple, validator=_tuple_of(_int_range(0, MAX_U32), max_items=16))
    data: bytes = attrs.field(validator=_plain_bytes)

    @dtype.validator
    def _check_dtype(self, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value not in TENSOR_DTYPES:
            _fail(self, attribute, f"unsupported dtype {value!r}; one of {sorted(TENSOR_DTYPES)}")

    def __attrs_post_init__(self) -> None:
        count = 1
        for dim in self.shape:
            count *= dim
        expected = count * TENSOR_DTYPES[self.dtype]
        if len(self.data) != expected:
            raise ValidationError("Tensor.data", f"shape {self.shape} of {self.dtype} needs "
                                  f"{expected} bytes, got {len(self.data)}")


# ------------------------------------------------------------------------------ contract storage

#: caps of one storage entry (also the HostABI's max_len of ispc.state keys and values)
MAX_STATE_KEY_BYTES = 128
MAX_STATE_VALUE_BYTES = 16 * 1024


def _state_key(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    _bytes_max(MAX_STATE_KEY_BYTES)(instance, attribute, value)
    if not value:
        _fail(instance, attribute, "a storage key must not be empty")


def _sorted_unique(keys: list[bytes], instance: Any, attribute: attrs.Attribute[Any]) -> None:
    if any(a >= b for a, b in zip(keys, keys[1:])):
        _fail(instance, attribute, "keys must be sorted and unique")


@attrs.frozen
class StateWrite:
    """One entry of a contract's storage delta: ``value`` None deletes the key."""

    key: bytes = attrs.field(validator=_state_key)
    value: bytes | None = attrs.field(validator=_optional(_bytes_max(MAX_STATE_VALUE_BYTES)))


@attrs.frozen
class StateDelta:
    """What one execution did to its own contract's storage (ispc_framework._state).

    ``parent_version``/``parent_root`` are the storage's version and root at the pinned block;
    ``version``/``root`` what they become when the draft is applied. ``reads`` are the keys the
    run read from committed storage, ``writes`` its final writes; both sorted by key. A delta with
    no writes (a run that only read) keeps version and root, and still lets apply refuse the
    result if the storage changed since the pinned block (state-conflict)."""

    contract: bytes = attrs.field(validator=_address)
    parent_version: int = attrs.field(validator=_u64)
    parent_root: bytes = attrs.field(validator=_hash)
    version: int = attrs.field(validator=_u64)
    root: bytes = attrs.field(validator=_hash)
    reads: tuple[bytes, ...] = attrs.field(
        default=(), converter=_bytes_tuple, validator=_tuple_of(_state_key, max_items=MAX_U32))
    writes: tuple[StateWrite, ...] = attrs.field(
        default=(), converter=_writes,
        validator=_tuple_of(_instance_of(StateWrite), max_items=MAX_U32))

    def __attrs_post_init__(self) -> None:
        _sorted_unique(list(self.reads), self, attrs.fields(StateDelta).reads)
        _sorted_unique([w.key for w in self.writes], self, attrs.fields(StateDelta).writes)
        expected = self.parent_version + (1 if self.writes else 0)
        if self.version != expected:
            raise ValidationError("StateDelta.version", f"expected {expected} (parent version "
                                  f"{self.parent_version}, {len(self.writes)} writes)")
        if not self.writes and self.root != self.parent_root:
            raise ValidationError("StateDelta.root", "a delta without writes keeps its root")


# ---------------------------------------------------------------------------------------- draft


@attrs.frozen
class SealedDraft(Memoised):
    """A finished transaction draft: what one execution asks the chain to do. Immutable."""

    inputs: tuple[TxInput, ...] = attrs.field(
        default=(), converter=_inputs, validator=_tuple_of(_instance_of(TxInput), max_items=MAX_U32))
    outputs: tuple[TxOutput, ...] = attrs.field(
        default=(), converter=_outputs, validator=_tuple_of(_instance_of(TxOutput), max_items=MAX_U32))
    events: tuple[Event, ...] = attrs.field(
        default=(), converter=_events, validator=_tuple_of(_instance_of(Event), max_items=MAX_U32))
    #: the run's own contract storage delta; None (no storage touched) is omitted from the
    #: canonical encoding, so drafts without storage encode exactly as before it existed
    state: StateDelta | None = attrs.field(
        default=None, validator=_optional(_instance_of(StateDelta)))

    def digest(self) -> bytes:
        digest: bytes = _codec().hash_of(self)
        return digest


# -------------------------------------------------------------------------------------- results


_CODEC: Any = None


def _codec() -> Any:
    """``ispc_framework._encoding``, which imports this module (so it cannot be imported at the
    top); kept after the first call, since an import statement in a method looks the package up
    on every call (a measurable share of ``ResultCommitment.hash``, once per run)."""
    global _CODEC
    if _CODEC is None:
        from . import _encoding

        _CODEC = _encoding
    return _CODEC


@attrs.frozen
class ChainPins(Memoised):
    """The chain values a run observes, read once from the repository head at request time."""

    height: int = attrs.field(validator=_u64)
    timestamp: int = attrs.field(validator=_u64)
    block_hash: bytes = attrs.field(validator=_hash)
    chain_id: str = attrs.field(validator=_text(64, allow_empty=False))


_SIGNED_TRANSACTION: list[type] = []   # filled on first use: transaction -> context -> model


def _signed_transaction(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not _SIGNED_TRANSACTION:
        from ._transaction import SignedTransaction

        _SIGNED_TRANSACTION.append(SignedTransaction)
    if not isinstance(value, _SIGNED_TRANSACTION[0]):
        _fail(instance, attribute, f"expected SignedTransaction, got {type(value).__name__}")


@attrs.frozen
class ResultCommitment(Memoised):
    """Exactly what an ``execution_result_hash`` commits to, and so what a proof is bound to.

    One value for both kinds of run (``kind`` "wasm" or "onnx"; the other kind's fields stay
    empty). It holds the signed transaction (request, signers, signatures), the pins, the engine
    and trace root, what the run produced, and every field of the execution-state output that
    apply writes except the proof and the hash itself. Results hold one and expose its fields, so
    the field list exists once; :meth:`hash` is the only result hash function.
    """

    kind: str = attrs.field(validator=attrs.validators.in_(("wasm", "onnx")))
    transaction: SignedTransaction = attrs.field(validator=_signed_transaction)
    pins: ChainPins = attrs.field(validator=_instance_of(ChainPins))
    engine: str = attrs.field(validator=_text(64))
    engine_fingerprint: str = attrs.field(validator=_text(256))
    trace_root: bytes = attrs.field(validator=_hash)
    #: the execution-state output apply writes (its proof and result hash excepted)
    state_id: bytes = attrs.field(validator=_hash)
    state_version: int = attrs.field(validator=_u64)
    parent_state_hash: bytes | None = attrs.field(validator=_optional(_hash))
    state_metadata: tuple[tuple[str, str], ...] = _metadata_field()
    # wasm
    status: int = attrs.field(default=0, validator=_u32, kw_only=True)
    return_data: bytes = attrs.field(default=b"", validator=_plain_bytes, kw_only=True)
    gas_used: int = attrs.field(default=0, validator=_u64, kw_only=True)
    draft: SealedDraft = attrs.field(factory=SealedDraft, validator=_instance_of(SealedDraft),
                                     kw_only=True)
    # onnx
    outputs: tuple[Tensor, ...] = attrs.field(
        default=(), converter=_tensors, validator=_tuple_of(_instance_of(Tensor), max_items=256),
        kw_only=True)

    def __attrs_post_init__(self) -> None:
        if self.kind == "onnx" and (self.draft != SealedDraft() or self.return_data
                                    or self.status or self.gas_used):
            raise ValidationError("ResultCommitment.kind", "an ONNX result has no draft, status, "
                                  "return data or gas")
        if self.kind == "wasm" and self.outputs:
            raise ValidationError("ResultCommitment.outputs", "a contract result has no tensors")

    def hash(self) -> bytes:
        codec = _codec()
        result_hash: bytes = codec.digest("ispc/execution-result/v2", codec.encode(self))
        return result_hash

    @property
    def contract(self) -> bytes:
        return self.transaction.request.resource_hash

    @property
    def transaction_id(self) -> bytes:
        return self.transaction.id

    @property
    def method(self) -> str:
        return self.transaction.request.method

    @property
    def inputs(self) -> tuple[Tensor, ...]:
        return self.transaction.request.tensors

    @property
    def signers(self) -> tuple[bytes, ...]:
        return self.transaction.signers


_T = TypeVar("_T")


class _Forward(Generic[_T]):
    """A read-only attribute of a result that reads its commitment's (a typed ``property``)."""

    def __init__(self, name: str) -> None:
        self._name = name
        self.__doc__ = f"``commitment.{name}``"

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> _Forward[_T]: ...
    @overload
    def __get__(self, instance: _ResultFields, owner: type[Any]) -> _T: ...
    def __get__(self, instance: _ResultFields | None, owner: type[Any]) -> _Forward[_T] | _T:
        if instance is None:
            return self
        value: _T = getattr(instance.commitment, self._name)
        return value

    def __set__(self, instance: object, value: object) -> None:
        raise AttributeError(f"{self._name} is read from the result's commitment")


class _ResultFields:
    """What both result kinds read through from their commitment."""

    __slots__ = ()
    commitment: ResultCommitment  # a field of each subclass
    transaction = _Forward["SignedTransaction"]("transaction")  # imported for type checking only
    pins = _Forward[ChainPins]("pins")
    engine = _Forward[str]("engine")
    engine_fingerprint = _Forward[str]("engine_fingerprint")
    trace_root = _Forward[bytes]("trace_root")
    contract = _Forward[bytes]("contract")
    transaction_id = _Forward[bytes]("transaction_id")


@attrs.frozen
class WasmExecutionResult(_ResultFields):
    """The sealed outcome of one contract call: its commitment (what the result hash and proof
    cover), that hash, the proven state output, and the outputs the draft's inputs spend as the
    run saw them (the proof's witness; apply checks they are still exactly what the chain holds).
    A verifier recomputes the hash with ``commitment.hash()`` before checking the proof."""

    commitment: ResultCommitment = attrs.field(validator=_instance_of(ResultCommitment))
    execution_result_hash: bytes = attrs.field(validator=_hash)
    state_output: StateOutput = attrs.field(validator=_instance_of(StateOutput))
    spent_outputs: tuple[TxOutput, ...] = attrs.field(
        converter=_outputs, validator=_tuple_of(_instance_of(TxOutput), max_items=MAX_U32))

    status = _Forward[int]("status")
    return_data = _Forward[bytes]("return_data")
    gas_used = _Forward[int]("gas_used")
    draft = _Forward[SealedDraft]("draft")
    method = _Forward[str]("method")


@attrs.frozen
class OnnxExecutionResult(_ResultFields):
    """The sealed outcome of one model inference (its draft is empty)."""

    commitment: ResultCommitment = attrs.field(validator=_instance_of(ResultCommitment))
    execution_result_hash: bytes = attrs.field(validator=_hash)
    state_output: StateOutput = attrs.field(validator=_instance_of(StateOutput))

    outputs = _Forward[tuple[Tensor, ...]]("outputs")
    inputs = _Forward[tuple[Tensor, ...]]("inputs")

    @property
    def draft(self) -> SealedDraft:
        return SealedDraft()

    @property
    def spent_outputs(self) -> tuple[TxOutput, ...]:
        return ()

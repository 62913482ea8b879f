"""TransactionDraft: the only thing an execution may write to.

Host functions append to it; nothing reaches the chain until a sealed draft is explicitly applied
(``ispc apply``). Every append validates and enforces the caps of :class:`ExecutionLimits`, so a
hostile contract cannot grow it without bound.

Contract storage writes (``ispc.state``) also land here, as an overlay of the run's final writes
and the set of keys it read from committed storage; they count against ``max_draft_bytes`` like
everything else, so a flood of writes or reads ends in ``draft-limit`` (or out of gas), never in
unbounded memory. The coordinator turns them into the sealed draft's
:class:`~ispc_framework._model.StateDelta` (:mod:`ispc_framework._state`).
"""

from __future__ import annotations

from collections.abc import Iterable

from ._encoding import Encoded, encode, remember_encoding, type_id_of
from ._errors import DraftLimitExceeded, SealedError, ValidationError
from ._limits import ExecutionLimits
from ._model import Event, OutPoint, SealedDraft, StateDelta, StateWrite, TxInput, TxOutput

__all__ = ["TransactionDraft", "check_distinct_inputs"]


def check_distinct_inputs(inputs: Iterable[TxInput]) -> None:
    """Refuse inputs that name one outpoint twice (spent, or spent and referenced).

    The one check for every place that accepts a draft's inputs: the draft builder, apply and the
    prover (whose circuit has no uniqueness constraint, so a repeated input would count twice
    towards conservation)."""
    seen: set[OutPoint] = set()
    for index, tx_input in enumerate(inputs):
        if tx_input.outpoint in seen:
            raise _duplicate_input(index, tx_input.outpoint)
        seen.add(tx_input.outpoint)


def _duplicate_input(index: int, outpoint: OutPoint) -> ValidationError:
    return ValidationError(f"draft.inputs[{index}]", f"outpoint {outpoint!r} is listed more than "
                           "once", code="duplicate-input")


class TransactionDraft:
    """An append-only list of inputs, outputs and events; :meth:`seal` freezes it."""

    __slots__ = ("_limits", "_inputs", "_outputs", "_events", "_spent", "_event_bytes", "_bytes",
                 "_sealed", "_state_reads", "_state_writes", "_encoded")

    def __init__(self, limits: ExecutionLimits | None = None) -> None:
        self._limits = limits or ExecutionLimits()
        self._inputs: list[TxInput] = []
        self._outputs: list[TxOutput] = []
        self._events: list[Event] = []
        self._spent: set[OutPoint] = set()  # every input's outpoint, reference-only included
        self._event_bytes = 0
        self._bytes = 0
        self._sealed: SealedDraft | None = None
        self._state_reads: set[bytes] = set()
        self._state_writes: dict[bytes, tuple[bytes | None, int]] = {}  # key -> (value, size)
        # each item's canonical encoding, made once when it is appended (it gives its size)
        self._encoded: dict[str, list[Encoded]] = {"input": [], "output": [], "event": []}

    @property
    def inputs(self) -> tuple[TxInput, ...]:
        return tuple(self._inputs)

    @property
    def outputs(self) -> tuple[TxOutput, ...]:
        return tuple(self._outputs)

    @property
    def events(self) -> tuple[Event, ...]:
        return tuple(self._events)

    def has_input(self, outpoint: OutPoint) -> bool:
        """Whether an input (spent or reference-only) of this draft names ``outpoint``."""
        return outpoint in self._spent

    @property
    def byte_size(self) -> int:
        """Sum of the canonical sizes of everything appended so far."""
        return self._bytes

    def _reserve(self, kind: str, count: int, cap: int,
                 item: TxInput | TxOutput | Event) -> Encoded:
        """Check the caps for one more ``kind``; returns the item's encoding (its size counts)."""
        if self._sealed is not None:
            raise SealedError(f"the draft is sealed; cannot add an {kind}")
        if count >= cap:
            raise DraftLimitExceeded(f"draft already holds {cap} {kind}s", limit=f"max_{kind}s",
                                     cap=cap)
        encoded = Encoded(encode(item))
        if self._bytes + len(encoded) > self._limits.max_draft_bytes:
            raise DraftLimitExceeded(
                f"draft would exceed {self._limits.max_draft_bytes} bytes",
                limit="max_draft_bytes", cap=self._limits.max_draft_bytes)
        return encoded

    def add_input(self, tx_input: TxInput) -> int:
        """Append an input; returns its index. Spending one outpoint twice is rejected."""
        if not isinstance(tx_input, TxInput):
            raise ValidationError("input", f"expected TxInput, got {type(tx_input).__name__}")
        encoded = self._reserve("input", len(self._inputs), self._limits.max_inputs, tx_input)
        if tx_input.outpoint in self._spent:
            raise _duplicate_input(len(self._inputs), tx_input.outpoint)
        self._spent.add(tx_input.outpoint)
        self._bytes += len(encoded)
        self._inputs.append(tx_input)
        self._encoded["input"].append(encoded)
        return len(self._inputs) - 1

    def add_output(self, output: TxOutput) -> int:
        """Append an asset, resource or state output; returns its index."""
        if not isinstance(output, TxOutput):
            raise ValidationError("output", f"expected TxOutput, got {type(output).__name__}")
        encoded = self._reserve("output", len(self._outputs), self._limits.max_outputs, output)
        self._bytes += len(encoded)
        self._outputs.append(output)
        self._encoded["output"].append(encoded)
        return len(self._outputs) - 1

    def add_event(self, event: Event) -> int:
        """Append an event; returns its index. Payload bytes are capped in total."""
        if not isinstance(event, Event):
            raise ValidationError("event", f"expected Event, got {type(event).__name__}")
        encoded = self._reserve("event", len(self._events), self._limits.max_events, event)
        if self._event_bytes + len(event.data) > self._limits.max_event_bytes:
            raise DraftLimitExceeded(
                f"event payloads would exceed {self._limits.max_event_bytes} bytes",
                limit="max_event_bytes", cap=self._limits.max_event_bytes)
        self._event_bytes += len(event.data)
        self._bytes += len(encoded)
        self._events.append(event)
        self._encoded["event"].append(encoded)
        return len(self._events) - 1

    # ---------------------------------------------------------------------- contract storage

    def _grow(self, size: int) -> None:
        if self._sealed is not None:
            raise SealedError("the draft is sealed; cannot change storage")
        if self._bytes + size > self._limits.max_draft_bytes:
            raise DraftLimitExceeded(
                f"draft would exceed {self._limits.max_draft_bytes} bytes",
                limit="max_draft_bytes", cap=self._limits.max_draft_bytes)
        self._bytes += size

    def state_written(self, key: bytes) -> tuple[bool, bytes | None]:
        """(True, value or None if deleted) if this run wrote ``key``, else (False, None)."""
        entry = self._state_writes.get(key)
        return (False, None) if entry is None else (True, entry[0])

    def note_state_read(self, key: bytes) -> None:
        """Record that the run read ``key`` from committed storage (its read set)."""
        if key in self._state_reads or key in self._state_writes:
            return
        self._grow(len(encode(key)))
        self._state_reads.add(key)

    def state_write(self, key: bytes, value: bytes | None) -> None:
        """Set (``value`` None: delete) a key of the run's contract storage, in the draft only."""
        size = len(encode(StateWrite(key, value)))
        previous = self._state_writes.get(key)
        self._grow(size - (previous[1] if previous else 0))
        self._state_writes[key] = (value, size)

    @property
    def state_reads(self) -> frozenset[bytes]:
        return frozenset(self._state_reads)

    @property
    def state_writes(self) -> dict[bytes, bytes | None]:
        return {key: value for key, (value, _) in self._state_writes.items()}

    @property
    def touches_state(self) -> bool:
        return bool(self._state_reads or self._state_writes)

    def seal(self, state: StateDelta | None = None) -> SealedDraft:
        """Freeze the draft, with the storage delta the coordinator built from this draft's
        reads and writes. Further appends raise SealedError; sealing twice returns the same."""
        if self._sealed is None:
            if state is None and self._state_writes:
                raise ValidationError("draft.state", "the draft holds storage writes; seal it "
                                      "with their delta", code="state-delta-missing")
            sealed = SealedDraft(self._inputs, self._outputs, self._events, state)
            # Its encoding from the items' own, made when they were appended: the commitment
            # and the prover embed it without encoding any item again.
            fields = [type_id_of("SealedDraft"), self._encoded["input"], self._encoded["output"],
                      self._encoded["event"]]
            if state is not None:
                fields.append(state)
            remember_encoding(sealed, encode(fields))
            self._sealed = sealed
        return self._sealed

    def digest(self) -> bytes:
        """Hash of the sealed draft (seals it)."""
        return self.seal().digest()

"""The prover seam: what a prover plugin provides, and the request it proves.

A prover never makes keys at proof time: ``setup`` is an explicit, separate step whose keys are
stored by hash; ``prove`` fails with KeyNotFound without them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import attrs

from ._model import SealedDraft, TxOutput, ZKStateProof, _outputs

__all__ = ["ProofRequest", "Prover", "Progress"]

#: progress(step, done, total) for slow steps (setup); total may be 0 when unknown.
Progress = Callable[[str, int, int], None]


@attrs.frozen
class ProofRequest:
    """What is proved about one execution.

    ``spent_outputs`` are the outputs the draft's non-reference inputs consume, in input order,
    as the trace recorded them; ``contract`` is the executing contract's address (tokens whose
    ``contract`` equals it may be minted).
    """

    circuit_id: str
    execution_result_hash: bytes
    draft: SealedDraft
    spent_outputs: tuple[TxOutput, ...] = attrs.field(converter=_outputs)
    contract: bytes


@runtime_checkable
class Prover(Protocol):
    def info(self) -> dict[str, Any]: ...
    def setup(self, circuit_id: str, *, progress: Progress | None = None) -> str: ...
    def prove(self, request: ProofRequest) -> ZKStateProof: ...
    def verify(self, proof: ZKStateProof, execution_result_hash: bytes, *,
               request: ProofRequest | None = None) -> None:
        """Raise VerificationFailed unless the proof verifies for the hash; with ``request``,
        also unless its draft commitment and contract are that request's."""
    def close(self) -> None: ...

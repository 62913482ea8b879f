"""The circuits ispc-gnark proves: the gnark forms of ``ispc.draft.v2`` (the default) and
``ispc.draft.v1`` (worker/circuit).

The same statements as ispc-groth16's circom circuits (docs/statement-ispc-draft-v2.md,
docs/statement-ispc-draft-v1.md), the same capacities and public inputs; only the constraint
systems differ. A key is usable only for the
exact constraint system pinned here: the SHA-256 of gnark's serialisation of the compiled circuit
(deterministic for one gnark version; go.sum pins it). Changing the circuit or gnark changes the
pin, and keys made for the old one are refused (``key-circuit-mismatch``).
"""

from __future__ import annotations

from pathlib import Path

import attrs

from ispc_framework.plugins import KeyNotFound, ValidationError

__all__ = ["Circuit", "CIRCUITS", "get_circuit", "check_circuit"]


@attrs.frozen
class Circuit:
    circuit_id: str
    version: int
    n_in: int
    n_out: int
    ccs_sha256: str
    constraint_count: int


CIRCUITS = {c.circuit_id: c for c in (
    # The default: one Poseidon permutation, small token indices (a 2^12 domain).
    Circuit("ispc.draft.v2", 2, 8, 8, constraint_count=2242,
            ccs_sha256="869f43c743f972329d44aaab1992374fa63398f02bce061947552eece02b6ca4"),
    Circuit("ispc.draft.v2.small", 2, 2, 2, constraint_count=738,
            ccs_sha256="2b6db6fd73f038bd840433c5df0b34950b57adc1a9882adb82b05d482ffa1d38"),
    # The first statement, kept so keys and proofs made for it still work.
    Circuit("ispc.draft.v1", 1, 8, 8, constraint_count=4437,
            ccs_sha256="c7a29e042662dea596558335af0eaf66cd787a0e49e77108aedc6028486fd2cc"),
    Circuit("ispc.draft.v1.small", 1, 2, 2, constraint_count=1605,
            ccs_sha256="7dc9f7c826ac650228b06010d68333fb1f61e6fb574b488897c6c397c9cf92db"),
)}


def get_circuit(circuit_id: str) -> Circuit:
    try:
        return CIRCUITS[circuit_id]
    except (KeyError, TypeError):
        raise ValidationError("circuit_id", f"unknown circuit {circuit_id!r}; known: "
                              f"{', '.join(sorted(CIRCUITS))}") from None


def check_circuit(circuit_id: str, meta: dict, path: Path) -> None:
    """Refuse a key not made for the pinned gnark circuit (id, version, constraint system)."""
    circuit = get_circuit(circuit_id)
    if meta.get("circuit_id") != circuit_id or meta.get("backend") != "gnark":
        raise KeyNotFound(f"key directory {path} belongs to {meta.get('backend')!r} circuit "
                          f"{meta.get('circuit_id')!r}, not gnark's {circuit_id}",
                          code="key-circuit-mismatch",
                          hint="obtain the keys from the setup you trust")
    if meta.get("circuit_version") != circuit.version:
        raise KeyNotFound(
            f"key directory {path} is for {circuit_id} v{meta.get('circuit_version')}, this "
            f"plugin uses v{circuit.version}", code="key-version-mismatch",
            hint="run `ispc setup` again for the new circuit version")
    if meta.get("ccs_sha256") != circuit.ccs_sha256:
        raise KeyNotFound(
            f"key directory {path} was made for another constraint system "
            f"({str(meta.get('ccs_sha256'))[:16]}..., pinned {circuit.ccs_sha256[:16]}...)",
            code="key-circuit-mismatch", circuit_id=circuit_id,
            hint="keys are only accepted for the exact circuit this plugin pins; run `ispc "
                 "setup` with this version of ispc-gnark, or obtain the keys from the setup "
                 "you trust")

"""``ispc setup CIRCUIT``: the function the core CLI calls to make a circuit's keys."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from ispc_framework.plugins import ValidationError

from .prover import Groth16Prover

__all__ = ["run_setup", "TESTING_WARNING"]

TESTING_WARNING = ("TESTING ONLY: single-party setup. Whoever ran it knows the toxic waste and can "
                   "forge proofs for this key; never use it where proofs must be trusted.")


def run_setup(circuit_id: str, key_dir: str | os.PathLike, mode: str = "ceremony",
              progress: Callable[[str, int, int], None] | None = None, *,
              backend: str = "groth16py", ptau: str | None = None, contributions: int = 1,
              node_modules: str | None = None, timeout_s: float = 7200.0,
              verify_zkey: bool = True) -> dict[str, Any]:
    """Make and store keys for ``circuit_id`` in ``key_dir``; returns the stored key's metadata
    (``vk_hash``, ``mode``, ``testing_only``, ``constraint_count``, ...).

    ``mode`` is ``"ceremony"`` (snarkjs powers of tau + phase 2; ``ptau`` may name a prepared
    phase-1 file from a public ceremony) or ``"testing"`` (groth16py single party, seconds).
    ``progress(step, done, total)`` receives every step and every line snarkjs prints.
    ``verify_zkey=False`` skips ``snarkjs zkey verify`` (tests only: it re-derives the key).
    """
    if mode not in ("ceremony", "testing"):
        raise ValidationError("mode", f"unknown setup mode {mode!r}; one of ceremony, testing")
    if mode == "testing" and progress is not None:
        progress(TESTING_WARNING, 0, 0)
    prover = Groth16Prover({"key_dir": str(key_dir), "backend": backend,
                            "setup_timeout_s": timeout_s, "node_modules": node_modules or "",
                            "setup_mode": mode})
    try:
        vk_hash = prover.setup(circuit_id, progress=progress, ptau=ptau,
                               contributions=contributions, verify_zkey=verify_zkey)
        return dict(prover.keys.load(circuit_id, vk_hash).meta)
    finally:
        prover.close()

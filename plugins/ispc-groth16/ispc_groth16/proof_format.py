"""The proof bytes in a ZKStateProof: 256 bytes, the Ethereum/Solidity layout.

``A.x A.y | B.x.c1 B.x.c0 B.y.c1 B.y.c0 | C.x C.y``, each a 32-byte big-endian base-field element
(affine). groth16py's ``prove_wtns`` returns exactly this; snarkjs's ``proof.json`` converts here.
"""

from __future__ import annotations

from ispc_framework.plugins import VerificationFailed

__all__ = ["PROOF_LEN", "from_snarkjs", "to_snarkjs"]

PROOF_LEN = 256


def from_snarkjs(proof: dict) -> bytes:
    a, b, c = proof["pi_a"], proof["pi_b"], proof["pi_c"]
    words = [a[0], a[1], b[0][1], b[0][0], b[1][1], b[1][0], c[0], c[1]]
    return b"".join(int(w).to_bytes(32, "big") for w in words)


def to_snarkjs(blob: bytes) -> dict:
    if not isinstance(blob, bytes) or len(blob) != PROOF_LEN:
        raise VerificationFailed(f"a Groth16 proof is {PROOF_LEN} bytes, got "
                                 f"{len(blob) if isinstance(blob, bytes) else type(blob).__name__}",
                                 code="proof-malformed")
    w = [str(int.from_bytes(blob[i:i + 32], "big")) for i in range(0, PROOF_LEN, 32)]
    return {"pi_a": [w[0], w[1], "1"], "pi_b": [[w[3], w[2]], [w[5], w[4]], ["1", "0"]],
            "pi_c": [w[6], w[7], "1"], "protocol": "groth16", "curve": "bn128"}

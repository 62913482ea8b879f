"""ispc-groth16: Groth16 (BN254) proofs for ISPC through a subprocess prover protocol."""

"""ispc-gnark: Groth16 on BN254 with gnark (Go) behind a subprocess worker."""

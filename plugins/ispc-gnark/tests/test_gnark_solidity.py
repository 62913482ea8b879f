"""The exported Solidity verifier (gnark's exporter) compiled with solc-js and run in py-evm
(eth-tester): it accepts a real ISPC proof and rejects tampered proofs and public inputs."""

from __future__ import annotations

import subprocess
import sys

import pytest

eth_tester = pytest.importorskip("eth_tester")  # the `evm` dependency group (installed in .venv)
from evm_verifier import Chain, compile_solidity  # noqa: E402  (tests/, on pytest's pythonpath)

def verify_call(selector: str, proof: bytes, public) -> bytes:
    """ABI encoding of verifyProof(bytes proof, uint256[4] input)."""
    words = [(5 * 32).to_bytes(32, "big")] + [int(x).to_bytes(32, "big") for x in public]
    return bytes.fromhex(selector) + b"".join(words) + len(proof).to_bytes(32, "big") + proof


def ispc(*args: str) -> subprocess.CompletedProcess:
    """The installed CLI, as an operator runs it."""
    return subprocess.run([sys.executable, "-m", "ispc_framework", *args], capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def deployed(testing_keys, worker_binary, node_modules, sample):
    from ispc_gnark.prover import GnarkProver

    result = ispc("--set", "prover.name=gnark",
                  "--set", f"plugin.gnark.key_dir={testing_keys}",
                  "--set", "plugin.gnark.allow_testing_keys=true",
                  "prover", "export-verifier", "--format", "solidity")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "contract Verifier" in result.stdout
    compiled = compile_solidity(result.stdout, "Verifier", node_modules)
    with GnarkProver({"key_dir": str(testing_keys), "allow_testing_keys": True}) as prover:
        proof = prover.prove(sample.request(result=b"\x5a" * 32))
    return Chain(compiled["bytecode"]), compiled["methods"]["verifyProof(bytes,uint256[4])"], proof


def test_the_evm_verifier_accepts_a_real_proof(deployed):
    chain, selector, proof = deployed
    assert chain.call(verify_call(selector, proof.proof, proof.public_inputs)) is not None


@pytest.mark.parametrize("word", range(8))
def test_the_evm_verifier_rejects_a_tampered_proof(deployed, word):
    chain, selector, proof = deployed
    blob = bytearray(proof.proof)
    blob[32 * word + 31] ^= 1
    assert chain.call(verify_call(selector, bytes(blob), proof.public_inputs)) is None


@pytest.mark.parametrize("index", range(4))
def test_the_evm_verifier_rejects_a_tampered_public_input(deployed, index):
    chain, selector, proof = deployed
    public = list(proof.public_inputs)
    public[index] += 1
    assert chain.call(verify_call(selector, proof.proof, public)) is None

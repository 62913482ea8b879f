"""The exported Solidity verifier for circom keys (groth16py's exporter, run in the worker)
compiled with solc-js and run in py-evm: a real proof verifies, tampered ones do not."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("eth_tester")  # the `evm` dependency group (installed in .venv)
from evm_verifier import Chain, compile_solidity  # noqa: E402  (tests/, on pytest's pythonpath)

TRUE = (1).to_bytes(32, "big")


def ispc(*args: str) -> subprocess.CompletedProcess:
    """The installed CLI, as an operator runs it."""
    return subprocess.run([sys.executable, "-m", "ispc_framework", *args], capture_output=True,
                          text=True, timeout=600)


def call_data(selector: str, proof: bytes, public) -> bytes:
    """verifyProof(uint[2] a, uint[2][2] b, uint[2] c, uint[4] input): the 256 proof bytes are
    already a, b (c1, c0 word order), c; then the inputs."""
    return bytes.fromhex(selector) + proof + b"".join(int(x).to_bytes(32, "big") for x in public)


@pytest.fixture(scope="module")
def deployed(testing_keys, node_modules, make_prover, sample):
    result = ispc("--set", "prover.name=groth16",
                  "--set", f"plugin.groth16.key_dir={testing_keys}",
                  "--set", f"plugin.groth16.node_modules={node_modules}",
                  "prover", "export-verifier")
    assert result.returncode == 0, result.stdout + result.stderr
    compiled = compile_solidity(result.stdout, "Verifier", node_modules)
    proof = make_prover(testing_keys).prove(sample.request(result=b"\x5b" * 32))
    selector = compiled["methods"]["verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[4])"]
    return Chain(compiled["bytecode"]), selector, proof


@pytest.fixture(scope="module")
def make_prover(node_modules):
    from ispc_groth16.prover import Groth16Prover

    made = []
    yield lambda key_dir: made.append(Groth16Prover({
        "key_dir": str(key_dir), "node_modules": str(node_modules),
        "allow_testing_keys": True})) or made[-1]
    for prover in made:
        prover.close()


def test_a_real_proof_verifies_on_chain(deployed):
    chain, selector, proof = deployed
    assert chain.call(call_data(selector, proof.proof, proof.public_inputs)) == TRUE


@pytest.mark.parametrize("index", range(4))
def test_a_tampered_public_input_fails_on_chain(deployed, index):
    chain, selector, proof = deployed
    public = list(proof.public_inputs)
    public[index] += 1
    assert chain.call(call_data(selector, proof.proof, public)) in (None, bytes(32))


def test_a_tampered_proof_fails_on_chain(deployed):
    chain, selector, proof = deployed
    swapped = proof.proof[192:] + proof.proof[64:192] + proof.proof[:64]
    assert chain.call(call_data(selector, swapped, proof.public_inputs)) in (None, bytes(32))

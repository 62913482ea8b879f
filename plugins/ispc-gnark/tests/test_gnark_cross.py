"""The gnark circuits and the circom circuits state the same thing: identical public inputs for
the same drafts (fixed and Hypothesis-generated, both statement versions), equal to the
commitment computed natively in Python, and gnark proofs are plain Groth16 that snarkjs and
groth16py verify."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ispc_framework.plugins import circuit_inputs, draft_commitment
from ispc_framework.plugins import (AssetOutput, FungibleToken, NativeCoin, OutPoint, SealedDraft,
                                  TxInput, TxOutput)
from ispc_framework.plugins import ProofRequest

pytest.importorskip("ispc_groth16")  # the circom side of the comparison


@pytest.fixture(scope="session")
def circom_calculators(node_modules, tmp_path_factory):
    """circom's witness generators for both circuit ids (compiled once, cached on disk)."""
    from ispc_groth16.circuits import CIRCUITS, compile_circuit
    from ispc_groth16.witness import WitnessCalculator

    cache = Path(os.environ.get("ISPC_TEST_CACHE", Path.home() / ".cache" / "ispc-gnark-tests"))
    out = {}
    for cid, circuit in CIRCUITS.items():
        _, wasm = compile_circuit(circuit, tmp_path_factory.mktemp("circom"),
                                  node_modules=str(node_modules), cache_dir=cache / "circom")
        out[cid] = WitnessCalculator(wasm.read_bytes())
    return out


def circom_public(calculators, request) -> tuple[int, ...]:
    from ispc_groth16.circuits import get_circuit
    from ispc_groth16.witness import WitnessCalculator

    c = get_circuit(request.circuit_id)
    signals = WitnessCalculator.signals(
        calculators[request.circuit_id].wtns(circuit_inputs(request, c.n_in, c.n_out)))
    return tuple(signals[1:5])


@pytest.fixture(scope="module")
def gnark(testing_keys, worker_binary):
    from ispc_gnark.prover import GnarkProver

    prover = GnarkProver({"key_dir": str(testing_keys), "allow_testing_keys": True})
    yield prover
    prover.close()


def native_commitment(request) -> int:
    from ispc_gnark.circuits import get_circuit

    c = get_circuit(request.circuit_id)
    return draft_commitment(request, c.n_in, c.n_out)


def same_everywhere(gnark, calculators, request) -> tuple[int, ...]:
    """The public inputs, after checking gnark, circom and the native commitment agree."""
    public = gnark.public_inputs(request)
    assert public == circom_public(calculators, request)
    assert public[0] == native_commitment(request)
    return public


#: Known answer: the commitment of conftest's transfer_request (result 0x11 * 32) under
#: ispc.draft.v2, computed once and checked in Python, circom's witness and gnark alike.
V2_TRANSFER_COMMITMENT = \
    9066671799697193245443708031100626893314127945773721771870926791876348945030


def test_v2_known_answer_in_python_circom_and_gnark(gnark, circom_calculators, sample):
    request = sample.request("ispc.draft.v2")
    assert same_everywhere(gnark, circom_calculators, request)[0] == V2_TRANSFER_COMMITMENT


@pytest.mark.parametrize("version", ["v2", "v1"])
def test_fixed_drafts_give_identical_public_inputs(gnark, circom_calculators, sample, version):
    def cid(request):
        return attrs.evolve(request, circuit_id=request.circuit_id.replace("v2", version))

    for request in (sample.request(), sample.small(),
                    sample.request(result=bytes(32)), sample.small(result=b"\xff" * 32),
                    sample.request(draft=SealedDraft(inputs=(), outputs=()), spent_outputs=())):
        same_everywhere(gnark, circom_calculators, cid(request))


# Drafts that keep the rules: each input's asset split over up to two outputs (conserving),
# plus any amount of the contract's own token (mintable); amounts up to 2^64 - 1.
_TOKENS = st.sampled_from([NativeCoin(), FungibleToken(b"\xee" * 32, b"ag"),
                           FungibleToken(b"\xdd" * 32, b"cu")])
_AMOUNTS = st.integers(0, 2**64 - 1)
CONTRACT = bytes(range(32))
GOLD = FungibleToken(CONTRACT, b"gold")  # the executing contract's own token: mintable


def outpoint(n: int) -> OutPoint:
    return OutPoint(bytes([n]) * 32, n)


def asset(owner: int, token, amount: int) -> TxOutput:
    return TxOutput(bytes([owner]) * 32, asset=AssetOutput(token, amount))


@st.composite
def valid_requests(draw, circuit_id="ispc.draft.v2", n_in=8, n_out=8):
    n_spent = draw(st.integers(0, n_in))
    spent = [asset(draw(st.integers(1, 250)), draw(_TOKENS), draw(_AMOUNTS))
             for _ in range(n_spent)]
    outputs = []
    for out in spent:
        share = draw(st.integers(0, out.asset.amount))
        for amount in (share, out.asset.amount - share)[:draw(st.integers(0, 2))]:
            if len(outputs) < n_out:
                outputs.append(asset(draw(st.integers(1, 250)), out.asset.token, amount))
    for _ in range(draw(st.integers(0, n_out - len(outputs)))):
        outputs.append(asset(draw(st.integers(1, 250)), GOLD, draw(_AMOUNTS)))
    outputs = draw(st.permutations(outputs))
    draft = SealedDraft(inputs=tuple(TxInput(outpoint(i + 1)) for i in range(n_spent)),
                        outputs=tuple(outputs))
    return ProofRequest(circuit_id, draw(st.binary(min_size=32, max_size=32)), draft,
                        tuple(spent), CONTRACT)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(request=valid_requests())
def test_generated_drafts_give_identical_public_inputs(gnark, circom_calculators, request):
    same_everywhere(gnark, circom_calculators, request)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(request=valid_requests("ispc.draft.v2.small", 2, 2))
def test_generated_small_drafts_give_identical_public_inputs(gnark, circom_calculators, request):
    same_everywhere(gnark, circom_calculators, request)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(request=valid_requests("ispc.draft.v1"))
def test_generated_v1_drafts_give_identical_public_inputs(gnark, circom_calculators, request):
    same_everywhere(gnark, circom_calculators, request)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=valid_requests(), second=valid_requests())
def test_distinct_drafts_have_distinct_v2_commitments(first, second):
    """The commitment is injective in what it packs: equal exactly when the draft (its digest),
    the contract and every signal the rules use are equal (the result is a public input of its
    own, outside the commitment)."""
    def packed(request):
        inputs = circuit_inputs(request, 8, 8)
        return {k: v for k, v in inputs.items() if k not in ("result_hi", "result_lo")}

    assert (native_commitment(first) == native_commitment(second)) == (
        packed(first) == packed(second))


@pytest.fixture(scope="module")
def gnark_proof(gnark, sample, testing_keys):
    request = sample.request()
    proof = gnark.prove(request)
    record = gnark.keys.current("ispc.draft.v2")
    return proof, json.loads(record.file("verification_key.json").read_text())


def test_snarkjs_verifies_gnark_proofs_and_rejects_tampered_ones(gnark_proof, node_modules,
                                                                 tmp_path):
    from ispc_groth16.proof_format import to_snarkjs

    proof, vk = gnark_proof
    snarkjs = str(node_modules / ".bin" / "snarkjs")

    def verify(blob: bytes, public) -> bool:
        (tmp_path / "vk.json").write_text(json.dumps(vk))
        (tmp_path / "proof.json").write_text(json.dumps(to_snarkjs(blob)))
        (tmp_path / "public.json").write_text(json.dumps([str(x) for x in public]))
        done = subprocess.run([snarkjs, "groth16", "verify", "vk.json", "public.json",
                               "proof.json"], cwd=tmp_path, capture_output=True, text=True,
                              timeout=120)
        return done.returncode == 0 and "OK" in done.stdout

    assert verify(proof.proof, proof.public_inputs)
    assert not verify(proof.proof, (proof.public_inputs[0] + 1, *proof.public_inputs[1:]))
    swapped = proof.proof[192:] + proof.proof[64:192] + proof.proof[:64]
    assert not verify(swapped, proof.public_inputs)


def test_groth16py_verifies_gnark_proofs_and_rejects_tampered_ones(gnark_proof):
    groth16py = pytest.importorskip("groth16py")
    proof, vk = gnark_proof
    verifier = groth16py.Verifier(groth16py.VerifyingKey.from_snarkjs(json.dumps(vk)))
    assert verifier.verify(proof.proof, list(proof.public_inputs)) is True
    for index in range(4):
        public = list(proof.public_inputs)
        public[index] += 1
        assert verifier.verify(proof.proof, public) is False
    swapped = proof.proof[192:] + proof.proof[64:192] + proof.proof[:64]
    assert verifier.verify(swapped, list(proof.public_inputs)) is False


def test_gnark_proofs_carry_no_commitments(gnark_proof):
    """Plain Groth16: the verifying key has exactly 4 + 1 IC points and nothing else."""
    _, vk = gnark_proof
    assert vk["nPublic"] == 4 and len(vk["IC"]) == 5
    assert set(vk) == {"protocol", "curve", "nPublic", "vk_alpha_1", "vk_beta_2", "vk_gamma_2",
                       "vk_delta_2", "IC"}


def test_one_draft_proved_by_both_provers_has_the_same_public_inputs(gnark, sample,
                                                                     circom_calculators):
    request = sample.request(result=b"\x42" * 32)
    proof = gnark.prove(request)
    assert proof.public_inputs == circom_public(circom_calculators, request)
    assert attrs.evolve(proof).public_inputs == gnark.public_inputs(request)

"""The draft commitment a verifier recomputes natively (the core's Poseidon sponge) is the one
circom's witness generator computes from the same signals: for the sample drafts, for Hypothesis-
generated signal values anywhere in the field, and for both circuit capacities."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ispc_framework.plugins import (SealedDraft, VerificationFailed, circuit_inputs,
                                    commitment_elements, draft_commitment,
                                    poseidon_sponge)
from ispc_groth16.circuits import CIRCUITS, compile_circuit, get_circuit
from ispc_groth16.witness import WitnessCalculator

P = 21888242871839275222246405745257275088548364400416034343698204186575808495617


@pytest.fixture(scope="module")
def calculators(node_modules, tmp_path_factory):
    """circom's witness generators of both circuit ids (compiled once, reused from the cache)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    cache = Path(base) / "ispc-groth16" / "circom-build"
    out = {}
    for cid, circuit in CIRCUITS.items():
        _, wasm = compile_circuit(circuit, tmp_path_factory.mktemp("circom"),
                                  node_modules=str(node_modules), cache_dir=cache)
        out[cid] = WitnessCalculator(wasm.read_bytes())
    return out


def circom_commitment(calculators, circuit_id: str, inputs: dict) -> int:
    return WitnessCalculator.signals(calculators[circuit_id].wtns(inputs), stop=2)[1]


def test_sample_drafts(calculators, sample):
    for request in (sample.request(), sample.small(), sample.request(result=bytes(32)),
                    sample.request(draft=SealedDraft(inputs=(), outputs=()), spent_outputs=())):
        c = get_circuit(request.circuit_id)
        expected = circom_commitment(calculators, c.circuit_id,
                                     circuit_inputs(request, c.n_in, c.n_out))
        assert draft_commitment(request, c.n_in, c.n_out) == expected


_FIELD = st.one_of(st.integers(0, P - 1), st.sampled_from([0, 1, P - 1, P - 2, 2**248 - 1]))
_AMOUNT = st.integers(0, 2**64 - 1)


@st.composite
def signals(draw, n_in: int, n_out: int):
    """Circuit inputs the circuit accepts (every output slot issued by the contract, so the
    conservation rule is waived) with every other value anywhere in the field."""
    contract = draw(_FIELD)

    def fields(n: int) -> list[int]:
        return draw(st.lists(_FIELD, min_size=n, max_size=n))

    return {"result_hi": draw(st.integers(0, 2**128 - 1)),
            "result_lo": draw(st.integers(0, 2**128 - 1)), "contract": contract,
            "draft_digest": draw(_FIELD), "in_outpoint": fields(n_in), "in_token": fields(n_in),
            "in_amount": draw(st.lists(_AMOUNT, min_size=n_in, max_size=n_in)),
            "out_owner": fields(n_out), "out_token": fields(n_out), "out_issuer": [contract] * n_out,
            "out_amount": draw(st.lists(_AMOUNT, min_size=n_out, max_size=n_out))}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inputs=signals(8, 8))
def test_generated_signals(calculators, inputs):
    assert poseidon_sponge(commitment_elements(inputs, 8, 8)) == \
        circom_commitment(calculators, "ispc.draft.v1", inputs)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inputs=signals(2, 2))
def test_generated_signals_small(calculators, inputs):
    assert poseidon_sponge(commitment_elements(inputs, 2, 2)) == \
        circom_commitment(calculators, "ispc.draft.v1.small", inputs)


def test_verify_recomputes_the_commitment_without_a_witness_module(make_prover, testing_keys,
                                                                   sample, monkeypatch):
    """verify with the request never runs circom's witness generator in this process, and a
    draft other than the proven one is still refused as such."""
    prover = make_prover(testing_keys)
    proof = prover.prove(sample.request())

    def no_witness(*args, **kwargs):
        raise AssertionError("the verifier's side ran circom's witness generator")

    monkeypatch.setattr(WitnessCalculator, "wtns", no_witness)
    prover.verify(proof, b"\x11" * 32, request=sample.request())
    request = sample.request()
    other = SealedDraft(request.draft.inputs, request.draft.outputs[:-1])
    with pytest.raises(VerificationFailed) as err:
        prover.verify(proof, b"\x11" * 32, request=sample.request(draft=other))
    assert err.value.code == "proof-draft-mismatch"

"""circom's witness generator run in wasmtime: equal to snarkjs, and it enforces the rules."""

from __future__ import annotations

import json
import subprocess

import pytest

from ispc_framework.plugins import WitnessError
from ispc_groth16.circuits import get_circuit
from ispc_groth16.draft_encoding import circuit_inputs
from ispc_groth16.keystore import KeyStore
from ispc_groth16.witness import WitnessCalculator


@pytest.fixture(scope="module")
def circuit_wasm(testing_keys):
    record = KeyStore(testing_keys).current("ispc.draft.v2")
    return record.file("circuit.wasm")


@pytest.fixture(scope="module")
def calculator(circuit_wasm):
    return WitnessCalculator(circuit_wasm.read_bytes())


def test_witness_is_byte_identical_to_snarkjs(calculator, circuit_wasm, sample, snarkjs, tmp_path):
    inputs = circuit_inputs(sample.request(), 8, 8)
    (tmp_path / "input.json").write_text(json.dumps(
        {k: [str(x) for x in v] if isinstance(v, list) else str(v) for k, v in inputs.items()}))
    subprocess.run([snarkjs, "wtns", "calculate", str(circuit_wasm), "input.json", "node.wtns"],
                   cwd=tmp_path, check=True, capture_output=True)
    assert calculator.wtns(inputs) == (tmp_path / "node.wtns").read_bytes()


def test_public_signals_come_first(calculator, sample):
    inputs = circuit_inputs(sample.request(), 8, 8)
    signals = WitnessCalculator.signals(calculator.wtns(inputs))
    assert signals[0] == 1
    assert signals[2:5] == [inputs["result_hi"], inputs["result_lo"], inputs["contract"]]
    assert 0 < signals[1] < 2**254  # the Poseidon commitment


def _unsatisfied(calculator, inputs):
    with pytest.raises(WitnessError) as err:
        calculator.wtns(inputs)
    assert err.value.code == "witness-unsatisfied"
    return err.value


def test_circuit_rejects_an_amount_out_of_range(calculator, sample):
    inputs = circuit_inputs(sample.request(), 8, 8)
    # 2^64 in, 2^64 out of the same token: conserving, but not a u64.
    inputs["in_amount"][0] += 2**64
    inputs["out_amount"][0] += 2**64
    err = _unsatisfied(calculator, inputs)
    assert err.details["circuit_error"] == "assert failed"
    # A "negative" amount wraps to p - 1 in the field: also out of range.
    inputs = circuit_inputs(sample.request(), 8, 8)
    inputs["out_amount"][1] = -1
    _unsatisfied(calculator, inputs)


def test_circuit_rejects_inflation_even_without_the_python_precheck(calculator, sample):
    inputs = circuit_inputs(sample.request(), 8, 8)
    inputs["out_amount"][2] += 1  # 51 silver out of 50 in; silver is not the contract's
    _unsatisfied(calculator, inputs)
    inputs = circuit_inputs(sample.request(), 8, 8)
    assert inputs["out_token"][2] == 2 and inputs["mint"][:3] == [0, 0, 1]
    inputs["mint"][1] = 1  # a lie about the issuer makes silver "mintable"...
    inputs["out_amount"][2] += 1
    calculator.wtns(inputs)  # ...which the circuit accepts: only the commitment exposes the lie
    honest = WitnessCalculator.signals(calculator.wtns(circuit_inputs(sample.request(), 8, 8)))
    assert WitnessCalculator.signals(calculator.wtns(inputs))[1] != honest[1]


def test_circuit_rejects_a_wrong_mint_flag(calculator, sample):
    inputs = circuit_inputs(sample.request(), 8, 8)
    inputs["mint"][2] = 0  # the 7 gold minted, but gold is now "not the contract's"
    _unsatisfied(calculator, inputs)
    inputs = circuit_inputs(sample.request(), 8, 8)
    inputs["mint"][2] = 2  # not a bit
    _unsatisfied(calculator, inputs)


def test_circuit_rejects_token_indices_out_of_range(calculator, sample):
    """The packing is injective only for indices in range: output j names at most token j + 1,
    any slot at most NOUT; each is one-hot decomposed in the circuit."""
    for signal, slot, index in (("out_token", 0, 2), ("out_token", 7, 9), ("in_token", 0, 9),
                                ("in_token", 1, -1), ("in_token", 0, 1 + 2**64)):
        inputs = circuit_inputs(sample.request(), 8, 8)
        inputs[signal][slot] = index
        _unsatisfied(calculator, inputs)


def test_an_output_of_no_token_carries_no_value(calculator, sample):
    """Otherwise an output slot naming token 0 would escape conservation."""
    inputs = circuit_inputs(sample.request(), 8, 8)
    inputs["out_token"][2] = 0  # the 50 silver, counted nowhere
    _unsatisfied(calculator, inputs)
    inputs = circuit_inputs(sample.request(), 8, 8)
    inputs["out_amount"][7] = 1  # an unused slot with value
    _unsatisfied(calculator, inputs)


def test_an_index_and_an_amount_cannot_trade_places(calculator, sample):
    """amount + 2^64 * index: moving 2^64 from the amount into the index (or back) keeps the
    packed element but breaks the amount's range check."""
    inputs = circuit_inputs(sample.request(), 8, 8)
    inputs["in_amount"][0] += 2**64
    inputs["in_token"][0] -= 1  # token 1 -> 0: the same slot value 1000 + 2^64
    _unsatisfied(calculator, inputs)


def test_bad_signal_names_and_sizes(calculator, sample):
    inputs = circuit_inputs(sample.request(), 8, 8)
    with pytest.raises(WitnessError) as err:
        calculator.wtns({**inputs, "nope": 1})
    assert err.value.code == "witness-input"
    with pytest.raises(WitnessError) as err:
        calculator.wtns({**inputs, "in_amount": [1, 2]})
    assert err.value.code == "witness-input"
    missing = dict(inputs)
    del missing["draft_digest"]
    with pytest.raises(WitnessError) as err:
        calculator.wtns(missing)
    assert err.value.code == "witness-input"


def test_capacities_match_the_registry(testing_keys):
    record = KeyStore(testing_keys).current("ispc.draft.v2")
    assert record.meta["circuit_version"] == get_circuit("ispc.draft.v2").version
    assert 2**11 < record.meta["constraint_count"] <= 2**12

"""The draft-to-signals mapping and the fast pre-checks (no keys, no worker)."""

from __future__ import annotations

import pytest

from ispc_framework.plugins import ValidationError, WitnessError
from ispc_framework.plugins import SealedDraft, TxInput
from ispc_groth16.draft_encoding import (check_rules, circuit_inputs, contract_element,
                                         issuer_element, result_limbs, token_element)


def test_inputs_are_padded_field_elements(sample):
    inputs = circuit_inputs(sample.request(), 8, 8)
    assert len(inputs["in_amount"]) == 8 and len(inputs["out_amount"]) == 8
    # Reference inputs are not spent; the resource output carries no value.
    assert inputs["in_amount"][:3] == [1000, 50, 0]
    assert inputs["out_amount"][:5] == [600, 390, 50, 7, 0]
    flat = [v for value in inputs.values() for v in (value if isinstance(value, list) else [value])]
    assert all(0 <= v < 2**248 for v in flat)


def test_result_limbs_split_the_hash_big_endian():
    value = bytes(range(32))
    hi, lo = result_limbs(value)
    assert (hi << 128 | lo).to_bytes(32, "big") == value
    with pytest.raises(ValidationError):
        result_limbs(b"short")


def test_issuer_of_native_coin_is_zero_and_tokens_differ(sample):
    assert issuer_element(sample.coin) == 0
    assert issuer_element(sample.gold) == contract_element(sample.contract)
    assert issuer_element(sample.silver) != issuer_element(sample.gold)
    assert len({token_element(t) for t in (sample.coin, sample.gold, sample.silver)}) == 3


def test_conservation_break_is_a_typed_witness_error(sample):
    request = sample.request()
    outputs = request.draft.outputs[:2] + (sample.asset(8, sample.silver, 51),) \
        + request.draft.outputs[3:]
    bad = sample.request(draft=SealedDraft(request.draft.inputs, outputs))
    with pytest.raises(WitnessError) as err:
        check_rules(bad, 8, 8)
    assert err.value.code == "witness-conservation" and "51" in err.value.message


def test_minting_is_allowed_only_to_the_issuer(sample):
    check_rules(sample.request(), 8, 8)  # mints 7 gold as its issuer
    foreign = sample.request(contract=sample.other_contract)  # now gold is foreign, silver mintable
    with pytest.raises(WitnessError) as err:
        check_rules(foreign, 8, 8)
    assert err.value.code == "witness-conservation"


def test_capacity_and_spent_output_count(sample):
    request = sample.request()
    with pytest.raises(WitnessError) as err:
        check_rules(request, 8, 3)
    assert err.value.code == "witness-capacity"
    with pytest.raises(WitnessError):
        circuit_inputs(request, 1, 8)
    missing = sample.request(spent_outputs=request.spent_outputs[:1])
    with pytest.raises(ValidationError) as err:
        check_rules(missing, 8, 8)
    assert err.value.field == "ProofRequest.spent_outputs"


def test_draft_digest_changes_with_any_part_of_the_draft(sample):
    request = sample.request()
    extra = SealedDraft(request.draft.inputs + (TxInput(sample.outpoint(9), reference_only=True),),
                        request.draft.outputs)
    a = circuit_inputs(request, 8, 8)
    b = circuit_inputs(sample.request(draft=extra), 8, 8)
    assert a["draft_digest"] != b["draft_digest"]
    assert {k: v for k, v in a.items() if k != "draft_digest"} == \
        {k: v for k, v in b.items() if k != "draft_digest"}


def test_duplicate_inputs_are_refused(sample):
    # The circuit has no uniqueness constraint: an outpoint spent twice would count twice
    # towards conservation (100 coin in, twice, would "pay" 200 out).
    draft = SealedDraft(inputs=(TxInput(sample.outpoint(1)), TxInput(sample.outpoint(1))),
                        outputs=(sample.asset(7, sample.coin, 200),))
    spent = (sample.asset(1, sample.coin, 100),) * 2
    with pytest.raises(ValidationError) as err:
        check_rules(sample.request(draft=draft, spent_outputs=spent), 8, 8)
    assert err.value.code == "duplicate-input" and "twice" in err.value.hint
    # A reference input repeating a spent one is refused as well.
    draft = SealedDraft(inputs=(TxInput(sample.outpoint(1)),
                                TxInput(sample.outpoint(1), reference_only=True)),
                        outputs=(sample.asset(7, sample.coin, 100),))
    with pytest.raises(ValidationError) as err:
        check_rules(sample.request(draft=draft, spent_outputs=spent[:1]), 8, 8)
    assert err.value.code == "duplicate-input"

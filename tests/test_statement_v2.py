"""ispc.draft.v2's signals and native commitment (docs/statement-ispc-draft-v2.md), without
keys or workers; the circuits are checked against the same values in the plugins' tests."""

from __future__ import annotations

import pytest

from ispc_framework.plugins import (AssetOutput, FungibleToken, NativeCoin, OutPoint, ProofRequest,
                                    ResourceOutput, SealedDraft, TxInput, TxOutput, ValidationError,
                                    check_rules, circuit_inputs, commitment_elements,
                                    contract_element, draft_commitment, statement_version)

CONTRACT = bytes(range(32))
GOLD = FungibleToken(CONTRACT, b"gold")  # the executing contract's own token
SILVER = FungibleToken(b"\xee" * 32, b"ag")
COPPER = FungibleToken(b"\xdd" * 32, b"cu")


def outpoint(n: int) -> OutPoint:
    return OutPoint(bytes([n]) * 32, n)


def asset(owner: int, token, amount: int) -> TxOutput:
    return TxOutput(bytes([owner]) * 32, asset=AssetOutput(token, amount))


def request(circuit_id="ispc.draft.v2", inputs=(1, 2, 3), outputs=None, spent=None,
            contract=CONTRACT):
    outputs = outputs if outputs is not None else (
        asset(7, NativeCoin(), 600), asset(8, SILVER, 50), asset(8, NativeCoin(), 390),
        asset(9, GOLD, 7),
        TxOutput(b"\x05" * 32, resource=ResourceOutput(b"\x06" * 32, 3, "text/plain", 5, "x")))
    spent = spent if spent is not None else (
        asset(1, NativeCoin(), 1000), asset(1, COPPER, 5), asset(1, SILVER, 50))
    draft = SealedDraft(inputs=tuple(TxInput(outpoint(n)) for n in inputs), outputs=outputs)
    return ProofRequest(circuit_id, b"\x11" * 32, draft, spent, contract)


def test_statement_version_follows_the_circuit_id():
    assert [statement_version(c) for c in ("ispc.draft.v1", "ispc.draft.v1.small",
                                           "ispc.draft.v2", "ispc.draft.v2.small")] == [1, 1, 2, 2]
    for bad in ("ispc.draft.v3", "ispc.draft.v2.big", "", None):
        with pytest.raises(ValidationError):
            statement_version(bad)


def test_tokens_are_numbered_by_first_appearance_among_the_outputs():
    inputs = circuit_inputs(request(), 8, 8)
    # outputs: coin (1), silver (2), coin (1), gold (3); the resource carries no value
    assert inputs["out_token"] == [1, 2, 1, 3, 0, 0, 0, 0]
    assert inputs["out_amount"] == [600, 50, 390, 7, 0, 0, 0, 0]
    # inputs: coin (1), copper (no output has it: 0, burned), silver (2)
    assert inputs["in_token"] == [1, 0, 2, 0, 0, 0, 0, 0]
    assert inputs["in_amount"] == [1000, 5, 50, 0, 0, 0, 0, 0]
    # only gold, token 3, is the executing contract's
    assert inputs["mint"] == [0, 0, 1, 0, 0, 0, 0, 0]
    assert set(inputs) == {"result_hi", "result_lo", "contract", "draft_digest", "in_amount",
                           "out_amount", "in_token", "out_token", "mint"}
    assert inputs["contract"] == contract_element(CONTRACT)


def test_output_j_names_at_most_token_j_plus_one():
    outputs = tuple(asset(7, FungibleToken(bytes([k]) * 32, b"t"), k) for k in range(8))
    spent = tuple(asset(1, FungibleToken(bytes([k]) * 32, b"t"), k) for k in range(8))
    inputs = circuit_inputs(request(inputs=range(1, 9), outputs=outputs, spent=spent), 8, 8)
    assert inputs["out_token"] == list(range(1, 9)) and inputs["in_token"] == list(range(1, 9))


def test_the_elements_pack_three_slots_and_the_mint_mask():
    inputs = circuit_inputs(request(), 8, 8)
    elements = commitment_elements(inputs, 8, 8, version=2)
    assert len(elements) == 3 + 6
    assert elements[0] == 2 | 8 << 8 | 8 << 16 | 0b100 << 24
    assert elements[1:3] == [inputs["contract"], inputs["draft_digest"]]
    slot = [a | t << 64 for a, t in zip(inputs["in_amount"] + inputs["out_amount"],
                                         inputs["in_token"] + inputs["out_token"])]
    assert elements[3] == slot[0] | slot[1] << 72 | slot[2] << 144
    assert elements[8] == slot[15]
    assert all(e < 2**216 for e in elements[3:])


#: The commitment of request() under ispc.draft.v2; circom's witness and the gnark worker gave
#: the same value (the plugins' cross test checks its own known answer in all three).
KNOWN = 20642171635358278182691597065371049991502171954232132649380705253699821999392


def test_known_answer():
    assert draft_commitment(request(), 8, 8) == KNOWN


def test_the_commitment_changes_with_whatever_the_rules_use():
    base = draft_commitment(request(), 8, 8)
    others = [
        request(spent=(asset(1, NativeCoin(), 999), asset(1, COPPER, 5), asset(1, SILVER, 50))),
        request(contract=b"\x01" * 32),   # gold is not mintable any more (and contract differs)
        request(inputs=(1, 2, 4)),        # another outpoint: the draft digest differs
        request(outputs=(asset(6, NativeCoin(), 600), asset(8, SILVER, 50),
                         asset(8, NativeCoin(), 390), asset(9, GOLD, 7))),  # another owner
        request(circuit_id="ispc.draft.v1"),
    ]
    assert len({base, *(draft_commitment(r, 8, 8) for r in others)}) == 1 + len(others)


def test_a_burned_token_is_not_identified():
    """Spent tokens no output carries are all index 0: the rules treat them alike (burned), and
    the draft digest, not the commitment's slots, pins the outpoints they came from."""
    copper = request()
    bronze = request(spent=(asset(1, NativeCoin(), 1000), asset(1, FungibleToken(b"\xcc" * 32,
                                                                                b"br"), 5),
                            asset(1, SILVER, 50)))
    assert circuit_inputs(copper, 8, 8) == circuit_inputs(bronze, 8, 8)


def test_the_same_outpoint_twice_is_refused_before_any_circuit():
    doubled = request(inputs=(1, 1), spent=(asset(1, NativeCoin(), 1000),) * 2,
                      outputs=(asset(7, NativeCoin(), 2000),))
    with pytest.raises(ValidationError) as err:
        check_rules(doubled, 8, 8)
    assert err.value.code == "duplicate-input"

"""The native circomlib Poseidon (ispc_framework._poseidon): circomlibjs's known answer, the
constants table regenerated from circomlib byte for byte, and the sponge's shape. The check
against circom's own witness generator is in plugins/ispc-groth16/tests/test_groth16_commitment.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from ispc_framework import _poseidon
from ispc_framework._poseidon import P, RATE, generate_constants, poseidon16, poseidon_sponge

CIRCOMLIB = Path(__file__).resolve().parents[1] / "node_modules" / "circomlib" / "circuits"


def test_known_answer_of_circomlibjs():
    # poseidon([1..16]) as circomlibjs computes it (circomlib's published test vector; ispc-gnark's
    # Go twin checks the same value).
    assert poseidon16(list(range(1, 17))) == \
        9989051620750914585850546081941653841776809718687451684622678807385399211877


def test_inputs_are_taken_modulo_the_field():
    values = list(range(1, 17))
    shifted = [v + P for v in values]
    assert poseidon16(shifted) == poseidon16(values)
    assert poseidon_sponge([P + 5, 2 * P]) == poseidon_sponge([5, 0])


def test_wrong_input_counts_are_refused():
    with pytest.raises(ValueError):
        poseidon16(list(range(15)))
    with pytest.raises(ValueError):
        poseidon_sponge([])


def test_the_sponge_chains_blocks_of_fifteen_with_zero_padding():
    elements = list(range(100, 100 + 2 * RATE + 1))       # three blocks, the last one short
    state = 0
    for start in (0, RATE, 2 * RATE):
        chunk = elements[start:start + RATE]
        state = poseidon16([state, *chunk, *[0] * (RATE - len(chunk))])
    assert poseidon_sponge(elements) == state
    assert poseidon_sponge(elements[:RATE]) == poseidon16([0, *elements[:RATE]])
    # Padding is with zeros, so a trailing zero inside the last block does not change the state
    # (the statement fixes the element count per circuit, so this is no ambiguity there).
    assert poseidon_sponge([7]) == poseidon_sponge([7, 0])
    assert poseidon_sponge([7]) != poseidon_sponge([7, 1])


@pytest.mark.skipif(not (CIRCOMLIB / "poseidon_constants.circom").is_file(),
                    reason="node_modules/circomlib is missing (npm ci)")
def test_the_constants_table_regenerates_byte_for_byte():
    text = (CIRCOMLIB / "poseidon_constants.circom").read_text()
    committed = Path(_poseidon.__file__).with_name("_poseidon_constants.py").read_text()
    assert generate_constants(text) == committed


def test_the_round_structure_matches_circomlib():
    from ispc_framework._poseidon_constants import C, M, S
    from ispc_framework._poseidon_constants import P as PM

    assert (len(C), len(S), len(M), len(PM)) == (17 * 8 + 68, 68 * 33, 17 * 17, 17 * 17)
    assert all(0 <= value < P for value in (*C, *S, *M, *PM))

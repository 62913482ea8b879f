"""The native circomlib Poseidon (ispc_framework._poseidon): circomlibjs's known answer, the
constants table regenerated from circomlib byte for byte, and the sponge's shape. The check
against circom's own witness generator is in plugins/ispc-groth16/tests/test_groth16_commitment.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from ispc_framework import _poseidon
from ispc_framework._poseidon import (
    N_ROUNDS_P, P, RATE, WIDTHS, generate_constants, poseidon, poseidon16, poseidon_sponge)

CIRCOMLIB = Path(__file__).resolve().parents[1] / "node_modules" / "circomlib" / "circuits"


def test_known_answer_of_circomlibjs():
    # poseidon([1..16]) as circomlibjs computes it (circomlib's published test vector; ispc-gnark's
    # Go twin checks the same value).
    assert poseidon16(list(range(1, 17))) == \
        9989051620750914585850546081941653841776809718687451684622678807385399211877
    assert poseidon(list(range(1, 17))) == poseidon16(list(range(1, 17)))


@pytest.mark.parametrize(("n", "answer"), [
    (5, 6183221330272524995739186171720101788151706631170188140075976616310159254464),
    (9, 13589767895268936107593642967621470491511464502761040466226072462545218539640),
])
def test_known_answers_of_the_narrow_widths(n, answer):
    # poseidon([1..n]) as circom's witness of circomlib's Poseidon(n) computes it (circom2,
    # circomlib 2.0.5); ispc-gnark's Go twin checks the same values and go-iden3-crypto's.
    assert poseidon(list(range(1, n + 1))) == answer


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
    with pytest.raises(ValueError, match="no Poseidon constants"):
        poseidon(list(range(7)))           # t = 8: not a width the statements use


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
    from ispc_framework import _poseidon_constants as k

    assert N_ROUNDS_P[17 - 2] == 68 and N_ROUNDS_P[10 - 2] == 60 and N_ROUNDS_P[6 - 2] == 60
    for t in WIDTHS:
        C, S, M, PM = (getattr(k, f"{name}{t}") for name in ("C", "S", "M", "P"))
        rounds_p = N_ROUNDS_P[t - 2]
        assert (len(C), len(S), len(M), len(PM)) == \
            (t * 8 + rounds_p, rounds_p * (2 * t - 1), t * t, t * t)
        assert all(0 <= value < P for value in (*C, *S, *M, *PM))

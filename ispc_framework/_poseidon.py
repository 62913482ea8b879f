"""circomlib's Poseidon hash over BN254 (``Poseidon(16)``, t = 17) and the statement's sponge.

A draft's commitment is a Poseidon sponge computed inside the circuits; a verifier that holds the
draft recomputes it here, natively, instead of running circom's witness generator (which computes
all ~4,400 signals of the circuit to get the one it needs: ~30 ms against ~1 ms here).

Written here rather than taken from PyPI: the packages that offer a circomlib-compatible Poseidon
(light-poseidon, light-poseidon-python, poseidon-hash) are young one-author bindings, and
light-poseidon's parameters stop at 12 inputs, short of the 16 the circuits use. The round
structure is circomlib's optimised ``PoseidonEx`` (poseidon.circom: full rounds with ``M``, ``P``
before the sparse partial rounds with ``S``), round for round as ispc-gnark's Go gadget ports it;
the constants are circomlib's own (``poseidon_constants.circom``), turned into
:mod:`._poseidon_constants` by ``python -m ispc_framework._poseidon
node_modules/circomlib/circuits/poseidon_constants.circom`` (a test regenerates it byte for byte).
The tests check circomlibjs's known answer and circom's witness for random drafts.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from operator import add, mul
from pathlib import Path
from typing import Any

__all__ = ["P", "INPUTS", "RATE", "poseidon16", "poseidon_sponge", "generate_constants"]

#: The BN254 scalar field modulus (circom's prime).
P = 21888242871839275222246405745257275088548364400416034343698204186575808495617
T = 17                    # state width of Poseidon(16)
INPUTS = T - 1            # inputs of one permutation
RATE = INPUTS - 1         # draft elements the sponge absorbs per permutation (one carries the state)
ROUNDS_F = 8
ROUNDS_P = 68             # circomlib's N_ROUNDS_P[t - 2]
_HALF = ROUNDS_F // 2
_S_STRIDE = 2 * T - 1

_Tables = tuple[Any, ...]
_tables: _Tables | None = None


def _load() -> _Tables:
    """The constants arranged for the rounds (built once, on first use)."""
    global _tables
    if _tables is None:
        from ._poseidon_constants import C, M, P as PM, S

        if len(C) != T * ROUNDS_F + ROUNDS_P or len(S) != ROUNDS_P * _S_STRIDE \
                or len(M) != T * T or len(PM) != T * T:
            raise RuntimeError("the Poseidon constants do not match t = 17")
        # Mix: out[i] = sum_j M[j][i] * in[j]; keep the columns, so a row of the product is one
        # sum over a zip (the constants are row-major M[j][i] = M[j * T + i]).
        m_cols = tuple(tuple(M[j * T + i] for j in range(T)) for i in range(T))
        p_cols = tuple(tuple(PM[j * T + i] for j in range(T)) for i in range(T))
        ark = tuple(tuple(C[r * T:(r + 1) * T]) for r in range(_HALF + 1))
        ark_last = tuple(tuple(C[(_HALF + 1) * T + ROUNDS_P + r * T:
                                 (_HALF + 2) * T + ROUNDS_P + r * T]) for r in range(_HALF - 1))
        # Partial round r: its constant, then MixS's row S[33r .. 33r+16] (first element apart)
        # and the column S[33r+17 .. 33r+32] that spreads the new state[0] into the others.
        partial = tuple((C[(_HALF + 1) * T + r], S[_S_STRIDE * r],
                         tuple(S[_S_STRIDE * r + 1:_S_STRIDE * r + T]),
                         tuple(S[_S_STRIDE * r + T:_S_STRIDE * (r + 1)]))
                        for r in range(ROUNDS_P))
        _tables = (m_cols, p_cols, ark, ark_last, partial)
    return _tables


def _mix(cols: Sequence[Sequence[int]], state: list[int]) -> list[int]:
    return [sum(map(mul, col, state)) % P for col in cols]


def poseidon16(inputs: Sequence[int], initial_state: int = 0) -> int:
    """circomlib's ``Poseidon(16)`` (``PoseidonEx(16, 1)`` with ``initialState``) of 16 field
    elements; each input is taken modulo ``P``, as circom's witness generator does."""
    if len(inputs) != INPUTS:
        raise ValueError(f"Poseidon(16) takes 16 inputs, got {len(inputs)}")
    m_cols, p_cols, ark, ark_last, partial = _load()
    first = ark[0]
    state = [(x + c) % P for x, c in zip((initial_state, *inputs), first, strict=True)]
    for r in range(1, _HALF):                        # full rounds 1-3: sigma, ark, mix M
        state = _mix(m_cols, [pow(x, 5, P) + c for x, c in zip(state, ark[r])])
    state = _mix(p_cols, [pow(x, 5, P) + c for x, c in zip(state, ark[_HALF])])  # round 4, P
    # The sparse partial rounds (MixS): only state[0] goes through the S-box. The other sixteen
    # are left unreduced until the rounds end (each round adds one product below P^2, so they
    # stay below 2^515): 16 fewer reductions per round, the same values modulo P.
    head, rest = state[0], state[1:]
    for c0, s_first, s_row, s_col in partial:
        head = (pow(head, 5, P) + c0) % P
        s0 = (s_first * head + sum(map(mul, s_row, rest))) % P
        rest = list(map(add, rest, map(head.__mul__, s_col)))
        head = s0
    state = [head, *(x % P for x in rest)]
    for row in ark_last:                             # full rounds 6-8
        state = _mix(m_cols, [pow(x, 5, P) + c for x, c in zip(state, row)])
    state = [pow(x, 5, P) for x in state]
    out: int = sum(map(mul, m_cols[0], state)) % P   # MixLast(t, M, 0)
    return out


def poseidon_sponge(elements: Iterable[int]) -> int:
    """The statements' commitment: ``s_0 = 0``, ``s_{k+1} = Poseidon(s_k, e[15k .. 15k+14])``
    over the element list, the last block zero-padded; the result is the last state. Generic
    over the list, so every statement version that commits this way shares it."""
    items = [x % P for x in elements]
    if not items:
        raise ValueError("the sponge needs at least one element")
    state = 0
    for start in range(0, len(items), RATE):
        chunk = items[start:start + RATE]
        state = poseidon16([state, *chunk, *([0] * (RATE - len(chunk)))])
    return state


# ------------------------------------------------------------------------------- generation

def _block(text: str, name: str, t: int) -> list[str]:
    """The hex constants of ``function NAME(t)``'s ``t == T`` branch in poseidon_constants.circom."""
    body = text.split(f"function {name}(t)", 1)[1].split("\nfunction ", 1)[0]
    part = re.split(r"t\s*==\s*%d\b" % t, body, maxsplit=1)[1]
    part = re.split(r"\}\s*else", part, maxsplit=1)[0]
    return re.findall(r"0x[0-9a-fA-F]+", part)


def generate_constants(text: str) -> str:
    """The source of :mod:`._poseidon_constants` from circomlib's poseidon_constants.circom."""
    out = ['"""circomlib\'s Poseidon constants for t = 17 (poseidon_constants.circom, circomlib',
           "2.0.5), generated by `python -m ispc_framework._poseidon PATH`. DO NOT EDIT.", '"""', ""]
    for name, var in (("POSEIDON_C", "C"), ("POSEIDON_S", "S"), ("POSEIDON_M", "M"),
                      ("POSEIDON_P", "P")):
        out.append(f"{var} = (")
        out += [f"    {value}," for value in _block(text, name, T)]
        out.append(")")
        out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m ispc_framework._poseidon "
              "node_modules/circomlib/circuits/poseidon_constants.circom", file=sys.stderr)
        return 2
    target = Path(__file__).with_name("_poseidon_constants.py")
    target.write_text(generate_constants(Path(args[0]).read_text()))
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

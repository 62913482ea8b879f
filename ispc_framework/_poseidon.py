"""circomlib's Poseidon hash over BN254 (``Poseidon(n)`` for the widths the statements use) and
the v1 statement's sponge.

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

__all__ = ["P", "INPUTS", "RATE", "WIDTHS", "poseidon", "poseidon16", "poseidon_sponge",
           "generate_constants"]

#: The BN254 scalar field modulus (circom's prime).
P = 21888242871839275222246405745257275088548364400416034343698204186575808495617
#: The state widths t whose constants are generated (Poseidon(t - 1)): 17 for ispc.draft.v1's
#: sponge, and ispc.draft.v2's one permutation over its elements at the pinned capacities (8/8:
#: 9 elements, t = 10; 2/2: 5 elements, t = 6). Keep in step with ispc-gnark's
#: gen_poseidon_constants.py.
WIDTHS = (6, 10, 17)
INPUTS = 16               # inputs of one permutation of the sponge (Poseidon(16), t = 17)
RATE = INPUTS - 1         # draft elements the sponge absorbs per permutation (one carries the state)
ROUNDS_F = 8
#: circomlib's N_ROUNDS_P, indexed by t - 2.
N_ROUNDS_P = (56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68)
_HALF = ROUNDS_F // 2

_Tables = tuple[Any, ...]
_tables: dict[int, _Tables] = {}


def _load(t: int) -> _Tables:
    """Width ``t``'s constants arranged for the rounds (built once per width, on first use)."""
    tables = _tables.get(t)
    if tables is not None:
        return tables
    if t not in WIDTHS:
        raise ValueError(f"no Poseidon constants for {t - 1} inputs (t = {t}); widths: {WIDTHS}")
    from . import _poseidon_constants as k

    C, S, M, PM = (getattr(k, f"{name}{t}") for name in ("C", "S", "M", "P"))
    rounds_p, stride = N_ROUNDS_P[t - 2], 2 * t - 1
    if len(C) != t * ROUNDS_F + rounds_p or len(S) != rounds_p * stride \
            or len(M) != t * t or len(PM) != t * t:
        raise RuntimeError(f"the Poseidon constants do not match t = {t}")
    # Mix: out[i] = sum_j M[j][i] * in[j]; keep the columns, so a row of the product is one
    # sum over a zip (the constants are row-major M[j][i] = M[j * t + i]).
    m_cols = tuple(tuple(M[j * t + i] for j in range(t)) for i in range(t))
    p_cols = tuple(tuple(PM[j * t + i] for j in range(t)) for i in range(t))
    ark = tuple(tuple(C[r * t:(r + 1) * t]) for r in range(_HALF + 1))
    ark_last = tuple(tuple(C[(_HALF + 1) * t + rounds_p + r * t:
                             (_HALF + 2) * t + rounds_p + r * t]) for r in range(_HALF - 1))
    # Partial round r: its constant, then MixS's row S[(2t-1)r .. (2t-1)r+t-1] (first element
    # apart) and the column after it that spreads the new state[0] into the others.
    partial = tuple((C[(_HALF + 1) * t + r], S[stride * r],
                     tuple(S[stride * r + 1:stride * r + t]),
                     tuple(S[stride * r + t:stride * (r + 1)]))
                    for r in range(rounds_p))
    tables = _tables[t] = (m_cols, p_cols, ark, ark_last, partial)
    return tables


def _mix(cols: Sequence[Sequence[int]], state: list[int]) -> list[int]:
    return [sum(map(mul, col, state)) % P for col in cols]


def poseidon(inputs: Sequence[int], initial_state: int = 0) -> int:
    """circomlib's ``Poseidon(n)`` (``PoseidonEx(n, 1)`` with ``initialState``) of the ``n``
    field elements given, ``n + 1`` one of :data:`WIDTHS`; each input is taken modulo ``P``, as
    circom's witness generator does."""
    m_cols, p_cols, ark, ark_last, partial = _load(len(inputs) + 1)
    first = ark[0]
    state = [(x + c) % P for x, c in zip((initial_state, *inputs), first, strict=True)]
    for r in range(1, _HALF):                        # full rounds 1-3: sigma, ark, mix M
        state = _mix(m_cols, [pow(x, 5, P) + c for x, c in zip(state, ark[r])])
    state = _mix(p_cols, [pow(x, 5, P) + c for x, c in zip(state, ark[_HALF])])  # round 4, P
    # The sparse partial rounds (MixS): only state[0] goes through the S-box. The others
    # are left unreduced until the rounds end (each round adds one product below P^2, so they
    # stay below 2^515): t - 1 fewer reductions per round, the same values modulo P.
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


def poseidon16(inputs: Sequence[int], initial_state: int = 0) -> int:
    """circomlib's ``Poseidon(16)`` of 16 field elements (the sponge's permutation)."""
    if len(inputs) != INPUTS:
        raise ValueError(f"Poseidon(16) takes 16 inputs, got {len(inputs)}")
    return poseidon(inputs, initial_state)


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
    """The source of :mod:`._poseidon_constants` from circomlib's poseidon_constants.circom: the
    tables ``C<t>``, ``S<t>``, ``M<t>``, ``P<t>`` for each width of :data:`WIDTHS`."""
    widths = ", ".join(map(str, WIDTHS))
    out = [f'"""circomlib\'s Poseidon constants for t = {widths} (poseidon_constants.circom,',
           "circomlib 2.0.5), generated by `python -m ispc_framework._poseidon PATH`. DO NOT EDIT.",
           '"""', ""]
    for t in WIDTHS:
        for name, var in (("POSEIDON_C", "C"), ("POSEIDON_S", "S"), ("POSEIDON_M", "M"),
                          ("POSEIDON_P", "P")):
            out.append(f"{var}{t} = (")
            out += [f"    {value}," for value in _block(text, name, t)]
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

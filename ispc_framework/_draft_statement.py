"""The statements' inputs: a ProofRequest (draft, spent outputs, contract, result hash) mapped
to the circuit's signals, the rules a draft must keep, and the commitment computed natively.

Shared by every prover of a statement (ispc-groth16's circom circuit, ispc-gnark's gnark
circuit), so both prove over identical inputs and produce identical public inputs. Two statement
versions exist, chosen by the circuit id (``ispc.draft.v1[.small]``, ``ispc.draft.v2[.small]``);
both keep the same rules (:func:`check_rules`) and public inputs. The exact mappings are part of
the statements: docs/statement-ispc-draft-v1.md and docs/statement-ispc-draft-v2.md. Every 32-byte
value becomes one field element by domain-separated SHA-256 truncated to 31 bytes (248 bits, below
the BN254 scalar modulus), so distinct values collide only with probability ~2^-124.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ._draft import check_distinct_inputs
from ._encoding import digest, encode
from ._errors import ValidationError, WitnessError
from ._model import AssetOutput, NativeCoin, OutPoint, TxOutput

if TYPE_CHECKING:  # proving imports the model only; this module stays light for plugins
    from ._proving import ProofRequest

__all__ = ["field_of", "contract_element", "token_element", "issuer_element", "result_limbs",
           "circuit_inputs", "public_inputs", "check_rules", "PUBLIC_SIGNALS",
           "statement_version", "commitment_elements", "draft_commitment"]

#: The public inputs of every statement version, in circuit order.
PUBLIC_SIGNALS = ("commitment", "result_hi", "result_lo", "contract")

_CIRCUIT_ID = re.compile(r"ispc\.draft\.v([12])(\.small)?")
#: ispc.draft.v2: a slot packs ``amount + 2^64 * token index`` in 72 bits, three per element;
#: the first element is ``2 | NIN << 8 | NOUT << 16 | mint mask << 24``.
V2_SLOT_BITS, V2_SLOTS_PER_ELEMENT, V2_MINT_SHIFT = 72, 3, 24


def statement_version(circuit_id: str) -> int:
    """The statement a circuit id proves: 1 for ``ispc.draft.v1[.small]``, 2 for ``...v2``."""
    match = _CIRCUIT_ID.fullmatch(circuit_id) if isinstance(circuit_id, str) else None
    if match is None:
        raise ValidationError("circuit_id", f"{circuit_id!r} names no ispc.draft statement")
    return int(match.group(1))


def field_of(value: bytes) -> int:
    """A 32-byte digest as a field element: its first 31 bytes, big-endian."""
    return int.from_bytes(value[:31], "big")


def contract_element(contract: bytes) -> int:
    return field_of(digest("ispc.zk/contract", contract))


def token_element(token: Any) -> int:
    return field_of(digest("ispc.zk/token", encode(token)))


def issuer_element(token: Any) -> int:
    """0 for the native coin (nobody may mint it), else the issuing contract's element."""
    return 0 if isinstance(token, NativeCoin) else contract_element(token.contract)


def result_limbs(execution_result_hash: bytes) -> tuple[int, int]:
    if not isinstance(execution_result_hash, bytes) or len(execution_result_hash) != 32:
        raise ValidationError("execution_result_hash", "expected 32 bytes")
    return (int.from_bytes(execution_result_hash[:16], "big"),
            int.from_bytes(execution_result_hash[16:], "big"))


def _spends(request: ProofRequest) -> list[tuple[OutPoint, TxOutput]]:
    """(outpoint, spent output) pairs of the draft's non-reference inputs, in draft order."""
    spending = [tx_input for tx_input in request.draft.inputs if not tx_input.reference_only]
    if len(spending) != len(request.spent_outputs):
        raise ValidationError(
            "ProofRequest.spent_outputs",
            f"{len(request.spent_outputs)} spent outputs for {len(spending)} non-reference inputs")
    return list(zip((i.outpoint for i in spending), request.spent_outputs, strict=True))


def _assets(request: ProofRequest) -> list[tuple[bytes, AssetOutput]]:
    """(owner, asset) of the draft's asset outputs, in draft order."""
    return [(out.owner, out.asset) for out in request.draft.outputs if out.asset is not None]


def check_rules(request: ProofRequest, n_in: int, n_out: int) -> None:
    """Refuse, with a precise typed error, a draft that breaks the rules of the statement.

    Most of these the circuit rejects too; one it cannot see: the same outpoint spent twice
    would count its amount twice towards conservation (the circuit has no uniqueness
    constraint), so duplicates are refused here, before proving and again when verifying
    against the request."""
    check_distinct_inputs(request.draft.inputs)
    spends, assets = _spends(request), _assets(request)
    amounts = ([spent.asset.amount if spent.asset is not None else 0 for _, spent in spends]
               + [asset.amount for _, asset in assets])
    for amount in amounts:
        if not isinstance(amount, int) or not 0 <= amount < 2**64:
            raise WitnessError(f"amount {amount!r} is outside [0, 2^64)", code="witness-range",
                               hint="amounts are unsigned 64-bit integers")
    if len(spends) > n_in or len(assets) > n_out:
        raise WitnessError(
            f"the draft spends {len(spends)} inputs and makes {len(assets)} asset outputs; the "
            f"circuit holds at most {n_in} and {n_out}", code="witness-capacity",
            hint="split the work over several executions or use a circuit with larger capacities")
    totals: dict[int, int] = {}
    for _, spent in spends:
        if spent.asset is not None:
            key = token_element(spent.asset.token)
            totals[key] = totals.get(key, 0) + spent.asset.amount
    made: dict[int, tuple[Any, int]] = {}
    for _, asset in assets:
        key = token_element(asset.token)
        token, amount = made.get(key, (asset.token, 0))
        made[key] = (token, amount + asset.amount)
    mint_issuer = contract_element(request.contract)
    for key, (token, amount) in made.items():
        if issuer_element(token) == mint_issuer:
            continue
        if amount > totals.get(key, 0):
            raise WitnessError(
                f"the draft creates {amount} of {token!r} but spends only {totals.get(key, 0)}, "
                "and the executing contract is not its issuer", code="witness-conservation",
                hint="outputs of a token may not exceed its inputs unless the executing contract "
                     "issued the token")


def circuit_inputs(request: ProofRequest, n_in: int, n_out: int) -> dict[str, Any]:
    """The circuit's input signals for ``request``, zero-padded to the capacities, in the form
    of the statement ``request.circuit_id`` names."""
    spends, assets = _spends(request), _assets(request)
    if len(spends) > n_in or len(assets) > n_out:
        check_rules(request, n_in, n_out)  # raises the capacity error
    if statement_version(request.circuit_id) == 2:
        return _inputs_v2(request, spends, assets, n_in, n_out)
    hi, lo = result_limbs(request.execution_result_hash)
    pad_in, pad_out = n_in - len(spends), n_out - len(assets)
    # A spent output that is not an asset (a resource or state) carries no value: token 0, amount 0.
    in_token = [token_element(s.asset.token) if s.asset else 0 for _, s in spends]
    in_amount = [s.asset.amount if s.asset else 0 for _, s in spends]
    return {
        "result_hi": hi,
        "result_lo": lo,
        "contract": contract_element(request.contract),
        "draft_digest": field_of(request.draft.digest()),
        "in_outpoint": [field_of(digest("ispc.zk/outpoint", encode(op))) for op, _ in spends]
                       + [0] * pad_in,
        "in_token": in_token + [0] * pad_in,
        "in_amount": in_amount + [0] * pad_in,
        "out_owner": [field_of(digest("ispc.zk/owner", owner)) for owner, _ in assets]
                     + [0] * pad_out,
        "out_token": [token_element(a.token) for _, a in assets] + [0] * pad_out,
        "out_issuer": [issuer_element(a.token) for _, a in assets] + [0] * pad_out,
        "out_amount": [a.amount for _, a in assets] + [0] * pad_out,
    }


def _inputs_v2(request: ProofRequest, spends: list[tuple[OutPoint, TxOutput]],
               assets: list[tuple[bytes, AssetOutput]], n_in: int, n_out: int) -> dict[str, Any]:
    """ispc.draft.v2: amounts, small token indices and mint flags; no outpoints, owners or
    issuers (draft_digest covers the whole draft). Output tokens are numbered 1, 2, ... in order
    of first appearance among the asset outputs; an input's index is its token's number, or 0
    when no output has that token (or it spends no asset). mint[t-1] says the executing
    contract issued token t."""
    hi, lo = result_limbs(request.execution_result_hash)
    numbers: dict[int, int] = {}
    mint = [0] * n_out
    minter = contract_element(request.contract)
    for _, asset in assets:
        key = token_element(asset.token)
        if key not in numbers:
            numbers[key] = len(numbers) + 1
            mint[numbers[key] - 1] = int(issuer_element(asset.token) == minter)
    in_token = [numbers.get(token_element(s.asset.token), 0) if s.asset else 0 for _, s in spends]
    pad_in, pad_out = n_in - len(spends), n_out - len(assets)
    return {
        "result_hi": hi,
        "result_lo": lo,
        "contract": minter,
        "draft_digest": field_of(request.draft.digest()),
        "in_amount": [s.asset.amount if s.asset else 0 for _, s in spends] + [0] * pad_in,
        "out_amount": [a.amount for _, a in assets] + [0] * pad_out,
        "in_token": in_token + [0] * pad_in,
        "out_token": [numbers[token_element(a.token)] for _, a in assets] + [0] * pad_out,
        "mint": mint,
    }


def commitment_elements(inputs: dict[str, Any], n_in: int, n_out: int,
                        version: int = 1) -> list[int]:
    """The elements the commitment absorbs (rule 1 of the statement), from the input signals.

    v1: ``[1, contract, draft_digest, 256*NIN + NOUT]``, then ``(outpoint, token, amount)`` per
    input slot and ``(owner, token, issuer, amount)`` per output slot (a sponge of Poseidon(16)).
    v2: ``[2 | NIN << 8 | NOUT << 16 | mint mask << 24, contract, draft_digest]``, then the
    slots (inputs, then outputs) as ``amount + 2^64 * token``, three per element at 72-bit
    offsets (one ``Poseidon(n)`` permutation over these ``n`` elements)."""
    if version == 1:
        elements = [1, inputs["contract"], inputs["draft_digest"], n_in * 256 + n_out]
        for i in range(n_in):
            elements += (inputs["in_outpoint"][i], inputs["in_token"][i], inputs["in_amount"][i])
        for j in range(n_out):
            elements += (inputs["out_owner"][j], inputs["out_token"][j],
                         inputs["out_issuer"][j], inputs["out_amount"][j])
        return elements
    head = 2 | n_in << 8 | n_out << 16
    for t, bit in enumerate(inputs["mint"]):
        head |= bit << (V2_MINT_SHIFT + t)
    slots = [amount | token << 64 for amount, token in
             zip(inputs["in_amount"] + inputs["out_amount"],
                 inputs["in_token"] + inputs["out_token"], strict=True)]
    elements = [head, inputs["contract"], inputs["draft_digest"]]
    for start in range(0, len(slots), V2_SLOTS_PER_ELEMENT):
        elements.append(sum(slot << (V2_SLOT_BITS * k) for k, slot in
                            enumerate(slots[start:start + V2_SLOTS_PER_ELEMENT])))
    return elements


def draft_commitment(request: ProofRequest, n_in: int, n_out: int) -> int:
    """The public commitment ``C`` both circuits of ``request.circuit_id`` compute, natively
    (:mod:`._poseidon`), without a witness."""
    from ._poseidon import poseidon, poseidon_sponge

    version = statement_version(request.circuit_id)
    elements = commitment_elements(circuit_inputs(request, n_in, n_out), n_in, n_out, version)
    if version == 1:
        return poseidon_sponge(elements)
    return poseidon(elements)      # v2: one Poseidon(n) permutation over its n elements


def public_inputs(commitment: int, execution_result_hash: bytes,
                  contract: bytes) -> tuple[int, int, int, int]:
    """The public signals in circuit order: [commitment, result_hi, result_lo, contract]."""
    return (commitment, *result_limbs(execution_result_hash), contract_element(contract))

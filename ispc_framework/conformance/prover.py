"""Prover conformance: honest proofs round-trip, and every tampered or moved proof is refused.

Through the Prover protocol only (:mod:`ispc_framework._proving`), for the core statement
``ispc.draft.v2``: a proof of a real draft verifies for its execution result (with and without
the request); changing any public input, any part of the proof bytes, the key it names or the
circuit it claims makes ``verify`` raise a ProofError; a proof does not verify for another
execution result or another draft (so a prover returning one fixed or replayed proof fails); a
draft breaking the statement's rules is refused at prove time with a typed error.

Keys: the suite calls ``setup(circuit)`` once when ``prove`` says the keys are missing
(KeyNotFound). ``ispc conformance`` runs the plugin with its testing setup (for groth16
``setup_mode = "testing"``, ``allow_testing_keys = true``) in a scratch key directory, and builds
two more objects of the plugin: a *foreign* one with its own key directory (its own setup: a
valid proof under keys this verifier never trusted must be refused) and a *production* one with
the same keys but the plugin's default settings (a proof made with a testing-only, single-party
key must be refused, and proving with it too). As pytest tests: subclass :class:`ProverSuite`
with a ``make_plugin`` fixture, and ``make_foreign_plugin`` / ``make_production_plugin`` for those
two checks (without them they are skipped, saying so).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import attrs
import pytest

from .._errors import ISPCError, KeyNotFound, ProofError
from .._model import (AssetOutput, FungibleToken, NativeCoin, OutPoint, SealedDraft, TxInput,
                     TxOutput)
from .._proving import ProofRequest
from .suite import PluginSuite, add_checks

__all__ = ["CHECKS", "VARIANT_CHECKS", "LEVELS", "ProverSuite", "SUITE_VERSION", "CIRCUIT", "prepare",
           "sample_request"]

#: "3": the checks prove and verify the default statement ispc.draft.v2 (version "2" proved v1), so
#: a report of one version is not comparable with another
SUITE_VERSION = "3"
#: per-check deadline: each check builds a prover whose worker process loads its keys before the
#: first verify (28 s measured on a busy 2-core machine), so 60 s is too tight
CHECK_TIMEOUT_S = 300.0
CIRCUIT = "ispc.draft.v2"
OTHER_CIRCUIT = "ispc.draft.v2.small"
CONTRACT, OTHER_CONTRACT = b"\xc0" * 32, b"\xc1" * 32


def _coin(owner: int, amount: int, token: Any = None) -> TxOutput:
    return TxOutput(bytes([owner]) * 32, asset=AssetOutput(token or NativeCoin(), amount))


def sample_request(result: bytes = b"\x11" * 32, *, variant: int = 0,
                   circuit: str = CIRCUIT) -> ProofRequest:
    """A real draft: spends 1000 coin, pays two outputs (fee 10) and mints the contract's
    token; ``variant`` changes the amounts, so two variants are two different drafts."""
    gold = FungibleToken(CONTRACT, b"gold")
    draft = SealedDraft(inputs=(TxInput(OutPoint(b"\x01" * 32, 1)),),
                        outputs=(_coin(7, 600 - variant), _coin(8, 390 + variant),
                                 _coin(9, 7 + variant, gold)))
    return ProofRequest(circuit, result, draft, (_coin(1, 1000),), CONTRACT)


# Proofs made by prepare(), by request: ``ispc conformance`` prepares in the parent process, so
# every forked check starts with them instead of proving again (proving dominates the suite).
_PROOFS: dict[ProofRequest, Any] = {}


def _second() -> ProofRequest:
    return sample_request(b"\x13" * 32, variant=2)


def prepare(prover: Any, variants: dict[str, Callable[[], Any]] | None = None) -> None:
    """Make the keys the checks need, unless the prover already has them, and the two proofs
    most checks start from. The foreign prover's setup is left to its own check (in its own
    process, under :data:`CHECK_TIMEOUT_S`): no second worker is started in the process every
    check is forked from."""
    _PROOFS.clear()
    _FOREIGN.clear()
    try:
        _PROOFS[sample_request()] = prover.prove(sample_request())
    except KeyNotFound:
        prover.setup(CIRCUIT)
        _PROOFS[sample_request()] = prover.prove(sample_request())
    _PROOFS[_second()] = prover.prove(_second())


# The foreign prover's proof of sample_request(), made by prepare() like _PROOFS.
_FOREIGN: dict[ProofRequest, Any] = {}


def _foreign_proof(make_foreign: Callable[[], Any]) -> Any:
    """A valid proof of sample_request() under the keys of another setup."""
    request = sample_request()
    foreign = make_foreign()
    try:
        try:
            proof = foreign.prove(request)
        except KeyNotFound:
            foreign.setup(CIRCUIT)
            proof = foreign.prove(request)
        foreign.verify(proof, request.execution_result_hash, request=request)
    finally:
        foreign.close()
    return proof


def _refused(verify: Callable[[], Any], what: str) -> None:
    try:
        verify()
    except ProofError:
        return
    except ISPCError as exc:
        raise AssertionError(f"{what}: refused with {type(exc).__name__}, not a ProofError "
                             f"(VerificationFailed): {exc}") from None
    raise AssertionError(f"{what}: verify accepted it (the prover accepts forged proofs)")


def _bind(prover: Any) -> dict[str, Callable[[], None]]:
    request = sample_request()

    def proved(req: ProofRequest = request) -> Any:
        if req in _PROOFS:
            return _PROOFS[req]
        try:
            return prover.prove(req)
        except KeyNotFound:
            prepare(prover)
            return prover.prove(req)

    def protocol_surface():
        for name in ("info", "setup", "prove", "verify", "close"):
            assert callable(getattr(prover, name, None)), f"a prover needs {name}()"
        assert isinstance(prover.info(), dict), "info() must return a dict"

    def round_trip():
        proof = proved()
        assert proof.circuit_id == CIRCUIT, f"the proof claims circuit {proof.circuit_id!r}"
        prover.verify(proof, request.execution_result_hash, request=request)
        prover.verify(proof, request.execution_result_hash)

    def tampered_public_inputs_refused():
        proof = proved()
        for index in range(len(proof.public_inputs)):
            inputs = list(proof.public_inputs)
            inputs[index] = (inputs[index] + 1) % (1 << 253)
            forged = attrs.evolve(proof, public_inputs=tuple(inputs))
            _refused(partial(prover.verify, forged, request.execution_result_hash),
                     f"public input {index} changed")

    def tampered_proof_bytes_refused():
        proof = proved()
        for position in sorted({0, len(proof.proof) // 3, len(proof.proof) // 2,
                                len(proof.proof) - 1}):
            data = bytearray(proof.proof)
            data[position] ^= 0x01
            forged = attrs.evolve(proof, proof=bytes(data))
            _refused(partial(prover.verify, forged, request.execution_result_hash,
                             request=request), f"proof byte {position} flipped")

    def proof_bound_to_its_result():
        proof = proved()
        _refused(lambda: prover.verify(proof, b"\x12" * 32),
                 "the proof verified for another execution result (a replayed proof)")

    def proof_bound_to_its_draft():
        proof = proved()
        other = attrs.evolve(sample_request(variant=1),
                             execution_result_hash=request.execution_result_hash)
        _refused(lambda: prover.verify(proof, request.execution_result_hash, request=other),
                 "the proof verified for another draft")
        moved = attrs.evolve(request, contract=OTHER_CONTRACT)
        _refused(lambda: prover.verify(proof, request.execution_result_hash, request=moved),
                 "the proof verified for another executing contract")

    def proofs_are_not_fixed():
        first, second = prover.prove(request), prover.prove(_second())   # made now, not cached
        assert first.public_inputs != second.public_inputs, \
            "two different executions got proofs with the same public inputs (a fixed proof)"
        prover.verify(second, b"\x13" * 32, request=_second())
        _refused(lambda: prover.verify(first, b"\x13" * 32, request=_second()),
                 "one execution's proof verified for another's")

    def foreign_key_refused():
        proof = proved()
        forged = attrs.evolve(proof, verification_key_hash=bytes(32))
        _refused(lambda: prover.verify(forged, request.execution_result_hash),
                 "a proof naming an unknown verification key")

    def keys_bound_to_their_circuit():
        proof = proved()
        for circuit in (OTHER_CIRCUIT, "ispc.no-such-circuit"):
            forged = attrs.evolve(proof, circuit_id=circuit)
            _refused(partial(prover.verify, forged, request.execution_result_hash),
                     f"the proof relabelled as circuit {circuit!r}")
        forged = attrs.evolve(proof, circuit_version=proof.circuit_version + 1)
        _refused(lambda: prover.verify(forged, request.execution_result_hash),
                 "the proof relabelled with another circuit version")

    def rule_breaking_draft_refused():
        inflating = attrs.evolve(request, draft=SealedDraft(
            inputs=request.draft.inputs, outputs=(_coin(7, 5000),)))   # coin from nothing
        try:
            prover.prove(inflating)
        except ProofError:
            return
        except ISPCError as exc:
            raise AssertionError(f"proving a draft that creates coin raised "
                                 f"{type(exc).__name__}, expected a ProofError") from None
        raise AssertionError("the prover proved a draft that creates native coin from nothing")

    return {name: check for name, check in locals().items() if name in _IDS}


def _bind_variants(prover: Any, variants: dict[str, Callable[[], Any] | None]
                   ) -> dict[str, Callable[[], None]]:
    """The checks that need another object of the plugin (``variants``: "foreign", another key
    directory; "production", the same keys under the plugin's default settings)."""
    request = sample_request()
    result = request.execution_result_hash

    def made(role: str, why: str) -> Any:
        factory = variants.get(role)
        if factory is None:
            pytest.skip(f"no {role} prover was given (make_{role}_plugin): {why}")
        return factory()

    def foreign_setup_refused():
        if variants.get("foreign") is None:
            made("foreign", "a prover with its own setup's keys")   # skips
        make_foreign = variants["foreign"]
        assert make_foreign is not None
        proof = _FOREIGN.get(request) or _foreign_proof(make_foreign)
        if request not in _PROOFS:   # without prepare(): this verifier needs keys of its own
            prepare(prover)
        try:
            prover.verify(proof, result, request=request)
        except KeyNotFound as exc:   # "no keys at all" would be a refusal for the wrong reason
            raise AssertionError(f"verify found no keys of its own ({exc.code}); the check "
                                 "needs the prover's keys from its setup") from None
        except ProofError:
            return
        raise AssertionError("a valid proof made with another setup's keys (a foreign key) "
                             "verified: the verifier trusts keys it never set up")

    def testing_only_key_refused():
        production = made("production", "the plugin under its default settings")
        proof = _PROOFS.get(request) or prover.prove(request)   # made with the testing setup
        try:
            try:
                production.verify(proof, result, request=request)
            except ProofError:
                pass
            else:
                raise AssertionError("under its default settings the verifier accepted a proof "
                                     "made with a testing-only (single-party) key")
            try:
                production.prove(request)
            except ISPCError:
                pass
            else:
                raise AssertionError("under its default settings the prover proved with a "
                                     "testing-only (single-party) key")
        finally:
            production.close()

    return {"foreign_setup_refused": foreign_setup_refused,
            "testing_only_key_refused": testing_only_key_refused}


CHECKS: tuple[tuple[str, str, str | None], ...] = (
    ("protocol_surface", "the prover has info, setup, prove, verify and close", None),
    ("round_trip", "a proof of a real draft verifies for its result", None),
    ("tampered_public_inputs_refused", "changing any public input is refused", None),
    ("tampered_proof_bytes_refused", "flipping proof bytes is refused", None),
    ("proof_bound_to_its_result", "a proof does not verify for another result", None),
    ("proof_bound_to_its_draft", "a proof does not verify for another draft or contract", None),
    ("proofs_are_not_fixed", "different executions get different, non-transferable proofs",
     None),
    ("foreign_key_refused", "a proof naming an unknown key is refused", None),
    ("keys_bound_to_their_circuit", "a proof relabelled to another circuit is refused", None),
    ("rule_breaking_draft_refused", "a draft breaking the statement cannot be proved", None),
)
#: checks built from :func:`_bind_variants` (they need the foreign and production objects)
VARIANT_CHECKS: tuple[tuple[str, str, str | None], ...] = (
    ("foreign_setup_refused", "a valid proof under another setup's keys is refused", None),
    ("testing_only_key_refused",
     "under default settings a testing-only key is refused for verify and prove", None),
)
_IDS = {check for check, _title, _needs in CHECKS}
LEVELS: dict[str, tuple[str, ...]] = {
    "sound-verifier": tuple(check for check, _t, _n in CHECKS + VARIANT_CHECKS
                            if check != "protocol_surface"),
}


class ProverSuite(PluginSuite):
    """:data:`CHECKS` as pytest tests; ``make_plugin`` builds a prover (keys are made on first
    use with its setup)."""

    suite = "prover"
    suite_version = SUITE_VERSION

    @pytest.fixture
    def make_foreign_plugin(self, variants: dict[str, Any]) -> Callable[[], Any] | None:
        """A prover of this plugin with its own keys (another key directory), or None."""
        return variants.get("foreign")

    @pytest.fixture
    def make_production_plugin(self, variants: dict[str, Any]) -> Callable[[], Any] | None:
        """A prover with the same keys under the plugin's default settings, or None."""
        return variants.get("production")

    @pytest.fixture
    def _variants(self, make_foreign_plugin: Any, make_production_plugin: Any) -> dict[str, Any]:
        return {"foreign": make_foreign_plugin, "production": make_production_plugin}


add_checks(ProverSuite, CHECKS, _bind)
add_checks(ProverSuite, VARIANT_CHECKS, _bind_variants, extra_fixture="_variants")

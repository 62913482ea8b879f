"""WorkerProver: the trust rules and checks every Groth16 prover plugin of the ``ispc.draft`` statements
shares (ispc-groth16, ispc-gnark), around a subprocess worker (docs/prover-protocol.md).

The plugin maps the request to circuit signals (:mod:`.draft_statement`), the worker proves with
keys it keeps loaded. Verification checks, in order: scheme, curve and circuit, the key named by
the proof's hash (re-hashed on disk), the result-hash limbs against the state output, and the
pairing equation in the worker; given the request it also recomputes the draft commitment and the
contract element.

Only *trusted* keys are used: a verifier accepts a proof only under the CURRENT key of the circuit
(the last setup made or installed in ``key_dir``) or a key listed in ``trusted_vk_hashes``; a key
directory that merely exists in ``key_dir`` is not enough. Every key must also hold the exact
circuit the plugin pins (its ``check_circuit``), and testing-only keys are refused unless
``allow_testing_keys`` is set. A subclass says how to start its worker, which circuits it pins,
how to recompute a draft's commitment and how to make keys.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from ._draft_statement import (check_rules, circuit_inputs, contract_element, draft_commitment,
                               result_limbs)
from ._proving import Progress, ProofRequest
from ._errors import (ConfigError, KeyNotFound, ProofError, ProverTimeout, ProverUnavailable,
                     ValidationError, VerificationFailed, WitnessError)
from ._model import ZKStateProof
from ._prover_keys import KeyRecord, KeyStore
from ._prover_worker import WorkerClient
from .plugins._specs import Setting, resolve_settings

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self from Python 3.11 on


__all__ = ["WorkerProver", "COMMON_SETTINGS", "worker_prover_settings", "is_testing_key"]

#: Settings every worker prover accepts, declared once; a plugin's ProverSpec declares
#: ``worker_prover_settings(...)`` (these plus its own), and WorkerProver checks against it.
COMMON_SETTINGS: tuple[Setting, ...] = (
    Setting("key_dir", "path", "ispc-keys", "directory of keys, named by vk hash"),
    Setting("timeout_s", "float", 60.0, "seconds a prove/verify request may take", positive=True),
    Setting("setup_timeout_s", "float", 7200.0, "seconds `ispc setup` may take", positive=True),
    Setting("setup_mode", "str", "ceremony", "ceremony or testing (one party: tests and demos only)",
            choices=("ceremony", "testing")),
    Setting("contributions", "int", 1, "random contributions per ceremony phase", positive=True),
    Setting("worker_command", "list", [], "another protocol-v1 worker command"),
    Setting("self_check", "bool", True, "verify every proof before returning it"),
    Setting("trusted_vk_hashes", "list", [],
            "verification-key hashes (hex) verify accepts besides each circuit's CURRENT "
            "key; obtain them from the setup you trust, never from the prover"),
    Setting("allow_testing_keys", "bool", False,
            "accept testing-only (single-party) keys when proving and verifying; "
            "tests and demos only"),
)


def worker_prover_settings(*own: Setting) -> tuple[Setting, ...]:
    """A worker prover plugin's declared settings: :data:`COMMON_SETTINGS`, where ``own``
    replaces those of the same name (another default or description), then the rest of ``own``."""
    mine = {setting.name: setting for setting in own}
    common = tuple(mine.pop(s.name, s) for s in COMMON_SETTINGS)
    return common + tuple(mine.values())


log = logging.getLogger(__name__)

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def is_testing_key(meta: Mapping[str, Any]) -> bool:
    """Anything not positively recorded as a ceremony key counts as testing-only."""
    return not (meta.get("testing_only") is False and meta.get("mode") == "ceremony")


class _InThread:
    """Run ``fn`` in a thread now; :meth:`result` waits and returns its value or raises its
    exception."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        self._value: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(fn,), daemon=True)
        self._thread.start()

    def _run(self, fn: Callable[[], Any]) -> None:
        try:
            self._value = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller by result()
            self._error = exc

    def wait(self) -> None:
        self._thread.join()

    def result(self) -> Any:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


def _protocol_error(op: str, what: str) -> ProofError:
    return ProofError(f"the prover worker's {op!r} reply is malformed: {what}",
                      code="prover-protocol-error",
                      hint="the worker is not following docs/prover-protocol.md")


class Circuit(Protocol):
    """What WorkerProver reads of a plugin's pinned circuit."""

    @property
    def circuit_id(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def n_in(self) -> int: ...
    @property
    def n_out(self) -> int: ...


class WorkerProver:
    """``settings`` is ``[plugin.<plugin_name>]`` of ispc.toml, checked against ``SETTINGS``."""

    plugin_name = ""
    #: the plugin's declared settings (its ProverSpec's ``settings``): names, types, defaults
    SETTINGS: tuple[Setting, ...] = COMMON_SETTINGS
    CIRCUITS: Mapping[str, Circuit] = {}

    # ------------------------------------------------------------------ what a subclass provides

    def _validate(self, cfg: dict[str, Any]) -> None:
        """Check the plugin's own settings (raise ConfigError ``config-invalid``)."""

    def _make_client(self, cfg: dict[str, Any]) -> WorkerClient:
        raise NotImplementedError

    def _make_keys(self, key_dir: str) -> KeyStore:
        raise NotImplementedError

    def draft_commitment(self, request: ProofRequest, circuit: Circuit, record: KeyRecord) -> int:
        """The public commitment the circuit computes for ``request`` (raise on a draft the
        circuit rejects). By default the statement's Poseidon sponge, computed natively in this
        process (:func:`._draft_statement.draft_commitment`); the draft's rules were checked
        before it is called."""
        return draft_commitment(request, circuit.n_in, circuit.n_out)

    def setup(self, circuit_id: str, *, progress: Progress | None = None) -> str:
        """Make and store keys for ``circuit_id`` (a subclass adds keyword-only options)."""
        raise NotImplementedError

    def _warm_local(self, circuit: Circuit, record: KeyRecord) -> None:
        """Prepare what this side needs to check a draft against a proof (say, a compiled
        witness generator); called from :meth:`warm_up`'s thread."""

    # -------------------------------------------------------------------------------- common

    def __init__(self, settings: Mapping[str, Any] | None = None) -> None:
        table = f"[plugin.{self.plugin_name}]"
        self._table = table
        given = dict(settings or {})
        if isinstance(given.get("trusted_vk_hashes"), str):  # one hash, or none, as a string
            one = given["trusted_vk_hashes"]
            given["trusted_vk_hashes"] = [one] if one else []
        # Unknown keys, types, choices and positive numbers: as the config checks them.
        cfg = resolve_settings(self.SETTINGS, given, self.plugin_name)
        trusted = cfg["trusted_vk_hashes"]
        if not all(isinstance(h, str) and _HEX64.match(h.strip().lower()) for h in trusted):
            raise ConfigError(f"{table} trusted_vk_hashes must be a list of 64-digit hex "
                              "verification-key hashes", code="config-invalid",
                              key=f"plugin.{self.plugin_name}.trusted_vk_hashes",
                              hint="copy the hashes `ispc setup` printed on the machine you trust")
        cfg["trusted_vk_hashes"] = [h.strip().lower() for h in trusted]
        self._validate(cfg)
        self.settings = cfg
        self.keys = self._make_keys(os.path.abspath(cfg["key_dir"]))
        self._client = self._make_client(cfg)

    @property
    def worker(self) -> WorkerClient:
        return self._client

    @property
    def _testing_hint(self) -> str:
        return (f"set {self._table} allow_testing_keys = true for tests/demos only; anywhere "
                "proofs must be trusted, use a key from `ispc setup --mode ceremony`")

    @property
    def _untrusted_hint(self) -> str:
        return ("a verifier must obtain keys from the setup it trusts, never from the prover: "
                f"install that setup's key as CURRENT, or list its hash in {self._table} "
                "trusted_vk_hashes")

    def get_circuit(self, circuit_id: str) -> Circuit:
        try:
            return self.CIRCUITS[circuit_id]
        except (KeyError, TypeError):
            raise ValidationError("circuit_id", f"unknown circuit {circuit_id!r}; known: "
                                  f"{', '.join(sorted(self.CIRCUITS))}") from None

    def _request(self, op: str, **params: Any) -> dict[str, Any]:
        return self._client.request(op, {"key_dir": str(self.keys.root), **params})

    def warm_up(self, circuit_id: str, *, proving: bool = True) -> threading.Thread:
        """Start the worker and load ``circuit_id``'s CURRENT key in the background (the
        worker's ``load`` op, when it lists one; not with ``proving=False``, for a verifier),
        and prepare this side's draft check, so the proof that follows does not wait for them:
        a CLI run overlaps them with the execution.

        Nothing is trusted or decided here: the prove and verify requests that follow make every
        check again, and report any error; a failure in the background is only logged."""

        def warm() -> None:
            try:
                circuit = self.get_circuit(circuit_id)
                # The worker's start and key loading first (another process, another core),
                # this side's re-hashing of the key's files after: the other way round the
                # worker waited for it. The worker checks the key CURRENT names itself. No
                # CURRENT key, nothing to prove or verify with: no worker either.
                current = self.keys.current_hash(circuit.circuit_id)
                if current is None:
                    return
                info = self._client.request("info")
                if proving and "load" in (info.get("ops") or ()):
                    self._request("load", circuit_id=circuit.circuit_id, vk_hash=current)
                self._warm_local(circuit, self.keys.current(circuit.circuit_id))
            except Exception as exc:  # noqa: BLE001 - the real request reports it
                log.debug("prover warm-up of %s failed: %s: %s", circuit_id,
                          type(exc).__name__, exc)

        thread = threading.Thread(target=warm, name=f"{self.plugin_name}-warm-up", daemon=True)
        thread.start()
        return thread

    def info(self) -> dict[str, Any]:
        info = dict(self._client.request("info"))
        info.update(key_dir=str(self.keys.root), circuits={
            cid: {"version": c.version, "inputs": c.n_in, "outputs": c.n_out}
            for cid, c in self.CIRCUITS.items()})
        keys = {}
        for cid in self.CIRCUITS:
            try:
                meta = self.keys.current(cid).meta
            except KeyNotFound:
                continue
            keys[cid] = {name: meta.get(name) for name in
                         ("vk_hash", "mode", "testing_only", "constraint_count", "trust")}
        info["keys"] = keys
        return info

    def prove(self, request: ProofRequest) -> ZKStateProof:
        circuit = self.get_circuit(request.circuit_id)
        # KeyNotFound before any work: no key, a corrupt one, or one for another circuit.
        record = self.keys.current(circuit.circuit_id)
        self._refuse_testing_key(record, KeyNotFound)
        check_rules(request, circuit.n_in, circuit.n_out)
        inputs = circuit_inputs(request, circuit.n_in, circuit.n_out)
        reply = self._request("prove", circuit_id=circuit.circuit_id, vk_hash=record.vk_hash,
                              input={k: [str(x) for x in v] if isinstance(v, list) else str(v)
                                     for k, v in inputs.items()})
        proof_bytes, public = self._prove_reply(reply)
        expected_tail = (inputs["result_hi"], inputs["result_lo"], inputs["contract"])
        if public[1:] != expected_tail:
            raise _protocol_error("prove", "its public inputs are for another request")
        proof = ZKStateProof(
            proof=proof_bytes, public_inputs=public,
            verification_key_hash=bytes.fromhex(record.vk_hash),
            circuit_id=circuit.circuit_id, circuit_version=circuit.version,
            constraint_count=int(record.meta["constraint_count"]))
        if self.settings["self_check"]:
            self.verify(proof, request.execution_result_hash)
        return proof

    @staticmethod
    def _prove_reply(reply: object) -> tuple[bytes, tuple[int, ...]]:
        if not isinstance(reply, dict):
            raise _protocol_error("prove", f"expected an object, got {type(reply).__name__}")
        proof, public = reply.get("proof"), reply.get("public")
        if not isinstance(proof, str):
            raise _protocol_error("prove", "'proof' must be a hex string")
        try:
            proof_bytes = bytes.fromhex(proof)
        except ValueError:
            raise _protocol_error("prove", "'proof' is not hex") from None
        if not isinstance(public, list) or not all(
                (isinstance(x, str) and x.isascii() and x.isdigit())
                or (isinstance(x, int) and not isinstance(x, bool) and x >= 0) for x in public):
            raise _protocol_error("prove", "'public' must be a list of decimal strings")
        return proof_bytes, tuple(int(x) for x in public)

    def _refuse_testing_key(self, record: KeyRecord,
                            error_cls: type[KeyNotFound | VerificationFailed]) -> None:
        if is_testing_key(record.meta) and not self.settings["allow_testing_keys"]:
            raise error_cls(
                f"key {record.vk_hash[:16]}... of {record.meta.get('circuit_id')} is a "
                "testing-only key (single-party setup: whoever ran it can forge proofs) and "
                "allow_testing_keys is off", code="key-testing-only", hint=self._testing_hint,
                vk_hash=record.vk_hash)

    def trusted_keys(self, circuit_id: str) -> set[str]:
        """The verification-key hashes ``verify`` accepts for ``circuit_id``."""
        trusted = set(self.settings["trusted_vk_hashes"])
        current = self.keys.current_hash(circuit_id)
        if current:
            trusted.add(current)
        return trusted

    def _trusted_record(self, proof: ZKStateProof, circuit: Circuit) -> KeyRecord:
        """The key the proof names, if this verifier trusts it and it holds the pinned circuit."""
        named = proof.verification_key_hash.hex()
        trusted = self.trusted_keys(circuit.circuit_id)
        if not trusted:
            raise KeyNotFound(f"no trusted keys for circuit {circuit.circuit_id!r} in "
                              f"{self.keys.root} (no CURRENT key, trusted_vk_hashes is empty)",
                              circuit_id=circuit.circuit_id, key_dir=str(self.keys.root),
                              hint=self._untrusted_hint)
        if named not in trusted:
            raise VerificationFailed(
                f"the proof was made with key {named[:16]}..., which this verifier does not "
                f"trust for {circuit.circuit_id} (trusted: "
                f"{', '.join(sorted(h[:16] + '...' for h in trusted))})",
                code="proof-key-untrusted", hint=self._untrusted_hint, vk_hash=named)
        try:
            record = self.keys.load(circuit.circuit_id, named)
        except KeyNotFound as exc:
            if exc.code in ("key-circuit-mismatch", "key-version-mismatch"):
                raise VerificationFailed(exc.message, code=exc.code, hint=exc.hint,
                                         vk_hash=named) from None
            raise
        self._refuse_testing_key(record, VerificationFailed)
        return record

    def verify(self, proof: ZKStateProof, execution_result_hash: bytes, *,
               request: ProofRequest | None = None) -> None:
        """Raise VerificationFailed unless ``proof`` verifies for ``execution_result_hash``.

        With ``request`` (the ProofRequest of the execution), also check that the proof's draft
        commitment and contract are those of that draft: without it the verifier learns that
        *some* conserving draft with this commitment exists (docs/statement-ispc-draft-v2.md).
        """
        if not isinstance(proof, ZKStateProof):
            raise VerificationFailed(f"expected a ZKStateProof, got {type(proof).__name__}",
                                     code="proof-malformed")
        if (proof.scheme, proof.curve) != ("groth16", "bn254"):
            raise VerificationFailed(f"a {proof.scheme}/{proof.curve} proof cannot be verified "
                                     "here (groth16/bn254 only)", code="proof-scheme-mismatch")
        try:
            circuit = self.get_circuit(proof.circuit_id)
        except ValidationError:
            raise VerificationFailed(f"unknown circuit {proof.circuit_id!r}",
                                     code="proof-circuit-unknown") from None
        if proof.circuit_version != circuit.version:
            raise VerificationFailed(f"proof is for {proof.circuit_id} v{proof.circuit_version}, "
                                     f"this plugin knows v{circuit.version}",
                                     code="proof-circuit-mismatch")
        record = self._trusted_record(proof, circuit)
        if len(proof.public_inputs) != 4:
            raise VerificationFailed(f"{proof.circuit_id} has 4 public inputs, the proof has "
                                     f"{len(proof.public_inputs)}", code="proof-public-mismatch")
        try:
            limbs = result_limbs(execution_result_hash)
        except ValidationError as exc:
            raise VerificationFailed(str(exc.message), code="proof-public-mismatch") from None
        if tuple(proof.public_inputs[1:3]) != limbs:
            raise VerificationFailed(
                "the proof's public inputs name another execution result: it belongs to a "
                "different state output", code="proof-public-mismatch",
                hint="a proof is bound to one execution_result_hash and cannot be moved")
        params = {"circuit_id": circuit.circuit_id, "vk_hash": record.vk_hash,
                  "proof": proof.proof.hex(), "public": [str(x) for x in proof.public_inputs]}
        if request is None:
            reply = self._request("verify", **params)
        else:
            # The pairing check (in the worker) and the draft's commitment (recomputed here)
            # are independent: run them at once. The draft's verdict still comes first.
            pending = _InThread(lambda: self._request("verify", **params))
            try:
                self._check_request(proof, request, circuit, record)
            except BaseException:
                pending.wait()
                raise
            reply = pending.result()
        if not isinstance(reply, dict) or not isinstance(reply.get("valid"), bool):
            raise _protocol_error("verify", "expected an object with a boolean 'valid'")
        if reply["valid"] is not True:
            raise VerificationFailed(
                f"the {proof.circuit_id} proof does not verify against key "
                f"{record.vk_hash[:16]}... ({reply.get('reason', 'pairing check failed')})",
                vk_hash=record.vk_hash)

    def _check_request(self, proof: ZKStateProof, request: ProofRequest, circuit: Circuit,
                       record: KeyRecord) -> None:
        """Check the draft against the statement's rules (as prove does, independently of any
        key) and recompute the public signals from it, exactly as the prover must have."""
        if request.circuit_id != proof.circuit_id:  # else its statement would be recomputed
            raise VerificationFailed(f"the request is for {request.circuit_id!r}, the proof for "
                                     f"{proof.circuit_id!r}", code="proof-circuit-mismatch")
        try:
            check_rules(request, circuit.n_in, circuit.n_out)
        except (WitnessError, ValidationError) as exc:
            raise VerificationFailed(f"the draft breaks the rules of {circuit.circuit_id}: "
                                     f"{exc.message} [{exc.code}]", code="proof-draft-rules",
                                     hint=exc.hint) from None
        if result_limbs(request.execution_result_hash) != tuple(proof.public_inputs[1:3]):
            raise VerificationFailed("the request is for another execution result",
                                     code="proof-public-mismatch")
        if proof.public_inputs[3] != contract_element(request.contract):
            raise VerificationFailed("the proof names another executing contract",
                                     code="proof-contract-mismatch")
        try:
            commitment = self.draft_commitment(request, circuit, record)
        except (ProverUnavailable, ProverTimeout):
            raise  # the worker failed: that says nothing about the draft
        except Exception as exc:  # a draft the circuit rejects cannot match any valid proof
            raise VerificationFailed(f"the draft does not satisfy {circuit.circuit_id}: {exc}",
                                     code="proof-draft-mismatch") from None
        if commitment != proof.public_inputs[0]:
            raise VerificationFailed("the proof commits to a different draft",
                                     code="proof-draft-mismatch",
                                     hint="the draft, its spent outputs or the contract differ "
                                          "from what was proved")

    def export_verifier(self, circuit_id: str, fmt: str = "solidity") -> str:
        """Source of an on-chain verifier contract for ``circuit_id``'s CURRENT key (the
        worker's exporter: gnark's, or groth16py's for the circom keys)."""
        if fmt != "solidity":
            raise ValidationError("format", f"unknown verifier format {fmt!r}; one of solidity")
        record = self.keys.current(self.get_circuit(circuit_id).circuit_id)
        reply = self._request("export-verifier", circuit_id=circuit_id, vk_hash=record.vk_hash,
                              format=fmt)
        if not isinstance(reply, dict) or not isinstance(reply.get("solidity"), str):
            raise _protocol_error("export-verifier", "expected an object with 'solidity'")
        solidity: str = reply["solidity"]
        return solidity

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

"""Groth16Prover: the ispc Prover protocol over a subprocess worker (docs/prover-protocol.md).

The plugin process maps the request to circuit signals (:mod:`.draft_encoding`), the worker makes
the witness and the proof with keys it keeps loaded. Verification checks, in order: scheme, curve
and circuit, the key named by the proof's hash (re-hashed on disk), the result-hash limbs against
the state output, and the pairing equation; given the request it also recomputes the draft
commitment and the contract element.
"""

from __future__ import annotations

import os
from typing import Any

from ispc_framework.errors import (ConfigError, KeyNotFound, ValidationError,
                                   VerificationFailed)
from ispc_framework.model import ZKStateProof

from .circuits import CIRCUITS, get_circuit
from .client import WorkerClient
from .draft_encoding import check_rules, circuit_inputs, contract_element, result_limbs
from .keystore import KeyStore

__all__ = ["Groth16Prover", "DEFAULTS"]

DEFAULTS: dict[str, Any] = {
    "key_dir": "ispc-keys",
    "backend": "groth16py",       # or "snarkjs"
    "timeout_s": 60.0,            # per prove/verify request
    "setup_timeout_s": 7200.0,    # a 2^14 powers of tau takes ~11 minutes on 2 cores
    "setup_mode": "ceremony",     # or "testing" (single party, for tests and demos only)
    "ptau": "",                   # a prepared phase-1 file; empty: make one locally
    "contributions": 1,           # phase-1 (local) and phase-2 contributions
    "node_modules": "",           # where circom2/snarkjs/circomlib are; empty: search upwards
    "worker_command": [],         # another protocol-v1 worker (e.g. a gnark binary)
    "self_check": True,           # verify every proof before returning it
}
SETUP_STEPS = ("compile", "setup", "phase1", "phase1-prepare", "phase2", "phase2-verify",
               "export", "import", "done")


class Groth16Prover:
    """``settings`` is ``[plugin.groth16]`` of ispc.toml (see DEFAULTS)."""

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        unknown = set(settings or {}) - set(DEFAULTS)
        if unknown:
            raise ConfigError(f"[plugin.groth16] has unknown keys {sorted(unknown)}; known: "
                              f"{', '.join(DEFAULTS)}", code="prover-config")
        cfg = {**DEFAULTS, **{k: v for k, v in (settings or {}).items() if v is not None}}
        if cfg["backend"] not in ("groth16py", "snarkjs"):
            raise ConfigError(f"[plugin.groth16] backend {cfg['backend']!r} is unknown; "
                              "choose groth16py or snarkjs", code="prover-config")
        if cfg["setup_mode"] not in ("testing", "ceremony"):
            raise ConfigError(f"[plugin.groth16] setup_mode {cfg['setup_mode']!r} is unknown; "
                              "choose ceremony or testing", code="prover-config")
        for key in ("timeout_s", "setup_timeout_s"):
            if not isinstance(cfg[key], (int, float)) or cfg[key] <= 0:
                raise ConfigError(f"[plugin.groth16] {key} must be a positive number",
                                  code="prover-config")
        self.settings = cfg
        self.keys = KeyStore(os.path.abspath(cfg["key_dir"]))
        self._calculators: dict[str, Any] = {}  # vk hash -> WitnessCalculator (verify only)
        self._client = WorkerClient(cfg["worker_command"] or None, backend=cfg["backend"],
                                    node_modules=cfg["node_modules"] or None,
                                    timeout_s=float(cfg["timeout_s"]))

    @property
    def worker(self) -> WorkerClient:
        return self._client

    def _request(self, op: str, **params):
        return self._client.request(op, {"key_dir": str(self.keys.root), **params}, **(
            {"timeout_s": float(self.settings["setup_timeout_s"])} if op == "setup" else {}))

    # ----------------------------------------------------------------------------------- API

    def info(self) -> dict[str, Any]:
        info = dict(self._client.request("info"))
        info.update(key_dir=str(self.keys.root), circuits={
            cid: {"version": c.version, "inputs": c.n_in, "outputs": c.n_out}
            for cid, c in CIRCUITS.items()})
        keys = {}
        for cid in CIRCUITS:
            try:
                meta = self.keys.current(cid).meta
            except KeyNotFound:
                continue
            keys[cid] = {name: meta.get(name) for name in
                         ("vk_hash", "mode", "testing_only", "constraint_count", "trust")}
        info["keys"] = keys
        return info

    def setup(self, circuit_id: str, *, progress=None, mode: str | None = None,
              ptau: str | None = None, contributions: int | None = None,
              verify_zkey: bool = True) -> str:
        """Make and store keys for ``circuit_id``; returns the verification-key hash (hex).

        ``progress(step, done, total)`` is called for every step and every line snarkjs prints.
        """
        get_circuit(circuit_id)
        mode = mode or self.settings["setup_mode"]

        def relay(step: str, message: str) -> None:
            if progress is not None:
                done = SETUP_STEPS.index(step) if step in SETUP_STEPS else 0
                progress(f"{step}: {message}", done, len(SETUP_STEPS) - 1)

        meta = self._client.request(
            "setup", {"key_dir": str(self.keys.root), "circuit_id": circuit_id, "mode": mode,
                      "ptau": ptau or self.settings["ptau"] or None,
                      "contributions": contributions or int(self.settings["contributions"]),
                      "verify_zkey": verify_zkey},
            timeout_s=float(self.settings["setup_timeout_s"]), on_progress=relay)
        return meta["vk_hash"]

    def prove(self, request) -> ZKStateProof:
        circuit = get_circuit(request.circuit_id)
        record = self.keys.current(circuit.circuit_id)  # KeyNotFound before any work
        if record.meta.get("circuit_version") != circuit.version:
            raise KeyNotFound(
                f"the stored key is for {circuit.circuit_id} v{record.meta.get('circuit_version')}"
                f", this plugin proves v{circuit.version}", code="key-version-mismatch",
                hint="run `ispc setup` again for the new circuit version")
        check_rules(request, circuit.n_in, circuit.n_out)
        inputs = circuit_inputs(request, circuit.n_in, circuit.n_out)
        reply = self._request("prove", circuit_id=circuit.circuit_id, vk_hash=record.vk_hash,
                              input={k: [str(x) for x in v] if isinstance(v, list) else str(v)
                                     for k, v in inputs.items()})
        public = tuple(int(x) for x in reply["public"])
        expected_tail = (inputs["result_hi"], inputs["result_lo"], inputs["contract"])
        if public[1:] != expected_tail:
            raise VerificationFailed("the worker returned public inputs for another request",
                                     code="prover-public-mismatch",
                                     hint="the worker is not following the protocol")
        proof = ZKStateProof(
            proof=bytes.fromhex(reply["proof"]), public_inputs=public,
            verification_key_hash=bytes.fromhex(record.vk_hash),
            circuit_id=circuit.circuit_id, circuit_version=circuit.version,
            constraint_count=int(record.meta["constraint_count"]))
        if self.settings["self_check"]:
            self.verify(proof, request.execution_result_hash)
        return proof

    def verify(self, proof: ZKStateProof, execution_result_hash: bytes, *,
               request=None) -> None:
        """Raise VerificationFailed unless ``proof`` verifies for ``execution_result_hash``.

        With ``request`` (the ProofRequest of the execution), also check that the proof's draft
        commitment and contract are those of that draft: without it the verifier learns that
        *some* conserving draft with this commitment exists (docs/proofs.md).
        """
        if not isinstance(proof, ZKStateProof):
            raise VerificationFailed(f"expected a ZKStateProof, got {type(proof).__name__}",
                                     code="proof-malformed")
        if (proof.scheme, proof.curve) != ("groth16", "bn254"):
            raise VerificationFailed(f"a {proof.scheme}/{proof.curve} proof cannot be verified "
                                     "here (groth16/bn254 only)", code="proof-scheme-mismatch")
        try:
            circuit = get_circuit(proof.circuit_id)
        except ValidationError:
            raise VerificationFailed(f"unknown circuit {proof.circuit_id!r}",
                                     code="proof-circuit-unknown") from None
        if proof.circuit_version != circuit.version:
            raise VerificationFailed(f"proof is for {proof.circuit_id} v{proof.circuit_version}, "
                                     f"this plugin knows v{circuit.version}",
                                     code="proof-circuit-mismatch")
        record = self.keys.load(circuit.circuit_id, proof.verification_key_hash.hex())
        if record.meta.get("circuit_id") != proof.circuit_id:
            raise VerificationFailed("the named key belongs to another circuit",
                                     code="proof-key-mismatch")
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
        if request is not None:
            self._check_request(proof, request, circuit)
        reply = self._request("verify", circuit_id=circuit.circuit_id,
                              vk_hash=record.vk_hash, proof=proof.proof.hex(),
                              public=[str(x) for x in proof.public_inputs])
        if not reply.get("valid"):
            raise VerificationFailed(
                f"the {proof.circuit_id} proof does not verify against key "
                f"{record.vk_hash[:16]}... ({reply.get('reason', 'pairing check failed')})",
                vk_hash=record.vk_hash)

    def _check_request(self, proof: ZKStateProof, request, circuit) -> None:
        """Recompute the public signals from the draft, exactly as the prover must have."""
        from .witness import WitnessCalculator

        if result_limbs(request.execution_result_hash) != tuple(proof.public_inputs[1:3]):
            raise VerificationFailed("the request is for another execution result",
                                     code="proof-public-mismatch")
        if proof.public_inputs[3] != contract_element(request.contract):
            raise VerificationFailed("the proof names another executing contract",
                                     code="proof-contract-mismatch")
        record = self.keys.load(circuit.circuit_id, proof.verification_key_hash.hex())
        calculator = self._calculators.get(record.vk_hash)
        if calculator is None:
            calculator = WitnessCalculator(record.file("circuit.wasm").read_bytes())
            self._calculators[record.vk_hash] = calculator
        try:
            wtns = calculator.wtns(circuit_inputs(request, circuit.n_in, circuit.n_out))
        except Exception as exc:  # a draft the circuit rejects cannot match any valid proof
            raise VerificationFailed(f"the draft does not satisfy {circuit.circuit_id}: {exc}",
                                     code="proof-draft-mismatch") from None
        if WitnessCalculator.signals(wtns)[1] != proof.public_inputs[0]:
            raise VerificationFailed("the proof commits to a different draft",
                                     code="proof-draft-mismatch",
                                     hint="the draft, its spent outputs or the contract differ "
                                          "from what was proved")

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Groth16Prover:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

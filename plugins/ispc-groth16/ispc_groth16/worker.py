"""The prover worker: ``python -m ispc_groth16.worker --backend groth16py|snarkjs``.

Speaks protocol v1 of docs/prover-protocol.md: one JSON object per line on stdin, one reply per
request on stdout (plus ``progress`` lines during setup). It keeps witness generators and proving
keys loaded between requests. stdout is reserved for the protocol: at start the worker moves the
real fd 1 aside and points fd 1 at stderr, so anything a native library prints (groth16py's
embedded circom writes to fd 1) cannot corrupt a reply.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import traceback
from pathlib import Path

PROTOCOL = 1
OPS = ("info", "setup", "load", "prove", "verify", "export-verifier", "shutdown")


def _claim_stdout():
    protocol_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(protocol_fd, "w", encoding="utf-8", buffering=1)


class Worker:
    def __init__(self, backend: str, node_modules: str | None, out) -> None:
        from .backends import BACKENDS

        if backend not in BACKENDS:
            from ispc_framework.plugins import ConfigError
            raise ConfigError(f"unknown backend {backend!r}; one of {', '.join(BACKENDS)}",
                              code="prover-backend-unknown")
        self.backend = BACKENDS[backend](node_modules=node_modules)
        self.node_modules = node_modules
        self.out = out
        self._witness: dict[str, object] = {}

    def send(self, message: dict) -> None:
        self.out.write(json.dumps({"protocol": PROTOCOL, **message}, separators=(",", ":")) + "\n")
        self.out.flush()

    def _record(self, msg: dict):
        from .keystore import KeyStore

        return KeyStore(msg["key_dir"]).load(msg["circuit_id"], msg["vk_hash"])

    def _witness_calculator(self, record):
        from .witness import WitnessCalculator

        if record.vk_hash not in self._witness:
            wasm = record.file("circuit.wasm").read_bytes()
            self._witness[record.vk_hash] = WitnessCalculator(wasm)
        return self._witness[record.vk_hash]

    # ------------------------------------------------------------------------------ operations

    def op_info(self, msg: dict) -> dict:
        from .circuits import CIRCUITS

        return {"protocol": PROTOCOL, "backend": self.backend.name,
                "backend_version": self.backend.version, "scheme": "groth16", "curve": "bn254",
                "ops": list(OPS), "circuits": sorted(CIRCUITS), "pid": os.getpid()}

    def op_setup(self, msg: dict) -> dict:
        from .ceremony import make_keys

        def progress(step: str, detail: str) -> None:
            self.send({"id": msg["id"], "progress": {"step": step, "message": detail}})

        return make_keys(msg["circuit_id"], msg["key_dir"], msg["mode"], progress=progress,
                         node_modules=self.node_modules, ptau=msg.get("ptau"),
                         contributions=msg.get("contributions", 1),
                         verify=msg.get("verify_zkey", True))

    def op_load(self, msg: dict) -> dict:
        """Parse and keep what proving with this key needs (the witness generator, the proving
        key), so the prove request that follows does not wait for it."""
        record = self._record(msg)
        self._witness_calculator(record)
        self.backend.load(record)
        return {}

    def op_prove(self, msg: dict) -> dict:
        record = self._record(msg)
        wtns = self._witness_calculator(record).wtns(msg["input"])
        from .witness import WitnessCalculator

        n_public = json.loads(record.file("verification_key.json").read_text())["nPublic"]
        public = WitnessCalculator.signals(wtns, stop=1 + n_public)[1:]
        with tempfile.NamedTemporaryFile(suffix=".wtns") as f:
            f.write(wtns)
            f.flush()
            proof = self.backend.prove(record, Path(f.name))
        return {"proof": proof.hex(), "public": [str(x) for x in public]}

    def op_verify(self, msg: dict) -> dict:
        record = self._record(msg)
        vk = json.loads(record.file("verification_key.json").read_text())
        public = [int(x) for x in msg["public"]]
        if len(public) != vk["nPublic"]:
            return {"valid": False,
                    "reason": f"{len(public)} public inputs, the key has {vk['nPublic']}"}
        return {"valid": self.backend.verify(record, vk, bytes.fromhex(msg["proof"]), public)}

    def op_export_verifier(self, msg: dict) -> dict:
        """groth16py's Solidity exporter for the key's verification key (groth16py is only ever
        imported in the worker)."""
        import groth16py

        record = self._record(msg)
        vk = groth16py.VerifyingKey.from_snarkjs(record.file("verification_key.json").read_text())
        return {"solidity": vk.to_solidity()}

    # ------------------------------------------------------------------------------------ loop

    def handle(self, line: str) -> bool:
        from ispc_framework.plugins import ISPCError, ProofError, ProverUnavailable

        msg_id = None
        try:
            msg = json.loads(line)
            msg_id = msg.get("id")
            if msg.get("protocol") != PROTOCOL:
                raise ProverUnavailable(f"protocol {msg.get('protocol')!r} is not supported (this worker "
                                f"speaks {PROTOCOL})", code="prover-protocol-mismatch")
            op = msg.get("op")
            if op not in OPS:
                raise ProofError(f"unknown op {op!r}; one of {', '.join(OPS)}",
                                code="prover-protocol-error")
            if op == "shutdown":
                self.send({"id": msg_id, "ok": True, "result": {}})
                return False
            result = getattr(self, f"op_{op.replace('-', '_')}")(msg)
            self.send({"id": msg_id, "ok": True, "result": result})
        except ISPCError as err:
            self.send({"id": msg_id, "ok": False, "error": {"type": type(err).__name__,
                                                             **err.to_dict()}})
        except (KeyError, ValueError, TypeError) as err:
            self.send({"id": msg_id, "ok": False, "error": {
                "type": "ProofError", "code": "prover-protocol-error",
                "message": f"malformed request: {type(err).__name__}: {err}",
                "hint": "see docs/prover-protocol.md for the message fields"}})
        except Exception as err:  # a backend bug: report it, keep serving
            traceback.print_exc()
            self.send({"id": msg_id, "ok": False, "error": {
                "type": "ProofError", "code": "prover-internal-error",
                "message": f"{type(err).__name__}: {err}",
                "hint": "see the worker's stderr; report it with the request"}})
        return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ispc_groth16.worker")
    parser.add_argument("--backend", default="groth16py")
    parser.add_argument("--node-modules", default=None)
    args = parser.parse_args(argv)
    out = _claim_stdout()
    try:
        worker = Worker(args.backend, args.node_modules, out)
    except Exception as err:  # report why we cannot serve, then exit non-zero
        payload = err.to_dict() if hasattr(err, "to_dict") else {
            "code": "prover-unavailable", "message": str(err)}
        out.write(json.dumps({"protocol": PROTOCOL, "id": None, "ok": False,
                              "error": {"type": type(err).__name__, **payload}}) + "\n")
        out.flush()
        return 2
    for line in sys.stdin:
        if line.strip() and not worker.handle(line):
            # Shut down: the reply is sent and nothing is left to write (every op closes its
            # files), so skip the interpreter's teardown of groth16py's and wasmtime's objects
            # (tens of ms the client would wait for at the end of every CLI command).
            sys.stderr.flush()
            os._exit(0)
    return 0


if __name__ == "__main__":
    sys.exit(main())

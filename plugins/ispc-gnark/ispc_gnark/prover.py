"""GnarkProver: the ispc Prover protocol over the Go worker (docs/prover-protocol.md).

The trust rules and checks are the core's :class:`ispc_framework._worker_prover.WorkerProver`,
shared with ispc-groth16 (same error codes: ``proof-key-untrusted``, ``key-testing-only``,
``key-circuit-mismatch``). Here: the worker binary (built from this plugin's Go sources), the
gnark circuit pins, the draft commitment computed by the worker's native Poseidon, setup through
the worker (testing, or gnark's mpcsetup ceremony), and the Solidity verifier export.
"""

from __future__ import annotations

from typing import Any

from ispc_framework.plugins import KeyNotFound
from ispc_framework.plugins import KeyStore, WorkerClient
from ispc_framework.plugins import WorkerProver

from .build import check_info, find_worker
from .circuits import CIRCUITS, check_circuit, get_circuit
from .plugin import SETTINGS

__all__ = ["GnarkProver", "SETUP_STEPS"]

SETUP_STEPS = ("compile", "setup", "phase1", "phase1-verify", "phase2", "phase2-verify",
               "export", "done")


class GnarkProver(WorkerProver):
    """``settings`` is ``[plugin.gnark]`` of ispc.toml (declared in ``plugin.SETTINGS``)."""

    plugin_name = "gnark"
    SETTINGS = SETTINGS
    CIRCUITS = CIRCUITS

    def _make_client(self, cfg: dict[str, Any]) -> WorkerClient:
        timeout = float(cfg["timeout_s"])
        if cfg["worker_command"]:
            return WorkerClient(cfg["worker_command"], timeout_s=timeout)
        # Typed errors (go-missing is the builder's; here gnark-worker-unbuilt/-stale) at
        # construction: a prover that cannot start its worker is not usable at all.
        binary, expected = find_worker(cfg["worker_binary"])
        return WorkerClient([str(binary)], timeout_s=timeout, check_info=check_info(expected))

    def _make_keys(self, key_dir: str) -> KeyStore:
        return KeyStore(key_dir, check_circuit)

    def get_circuit(self, circuit_id: str):
        return get_circuit(circuit_id)

    def setup(self, circuit_id: str, *, progress=None, mode: str | None = None,
              contributions: int | None = None) -> str:
        """Make and store keys for ``circuit_id``; returns the verification-key hash (hex).

        The worker writes the key files into a staging directory; this side checks what it made
        (the pinned constraint system, the worker's key hash equal to the one computed here),
        writes meta.json and renames the directory into place as CURRENT.
        """
        circuit = get_circuit(circuit_id)
        mode = mode or self.settings["setup_mode"]

        def relay(step: str, message: str) -> None:
            if progress is not None:
                done = SETUP_STEPS.index(step) if step in SETUP_STEPS else 0
                progress(f"{step}: {message}", done, len(SETUP_STEPS) - 1)

        staging = self.keys.staging(circuit_id)
        try:
            meta = self._client.request(
                "setup", {"circuit_id": circuit_id, "mode": mode, "out_dir": str(staging),
                          "contributions": contributions or int(self.settings["contributions"])},
                timeout_s=float(self.settings["setup_timeout_s"]), on_progress=relay)
            claimed = meta.pop("vk_hash", None)
            check_circuit(circuit_id, meta, staging)
            record = self.keys.commit(circuit_id, staging, meta)
        except BaseException:
            self.keys.discard(staging)
            raise
        if record.vk_hash != claimed:
            raise KeyNotFound(f"the worker's key hash {str(claimed)[:16]}... differs from the "
                              f"one computed here ({record.vk_hash[:16]}...)",
                              code="key-corrupt", hint="the worker and the plugin disagree on "
                              "docs/prover-protocol.md's vk hash; rebuild the worker")
        if circuit.constraint_count != record.meta.get("constraint_count"):
            raise KeyNotFound("the worker compiled a circuit of another size",
                              code="key-circuit-mismatch")
        return record.vk_hash

    def _public(self, circuit, request) -> tuple[int, ...]:
        from ispc_framework.plugins import circuit_inputs

        inputs = circuit_inputs(request, circuit.n_in, circuit.n_out)
        reply = self._client.request("public", {"circuit_id": circuit.circuit_id, "input": {
            k: [str(x) for x in v] if isinstance(v, list) else str(v)
            for k, v in inputs.items()}})
        return tuple(int(x) for x in reply["public"])

    def draft_commitment(self, request, circuit, record) -> int:
        """The worker's native Poseidon (the gadget's twin) computes the commitment."""
        return self._public(circuit, request)[0]

    def public_inputs(self, request) -> tuple[int, ...]:
        """The four public inputs the gnark circuit has for ``request`` (no proof made)."""
        return self._public(get_circuit(request.circuit_id), request)

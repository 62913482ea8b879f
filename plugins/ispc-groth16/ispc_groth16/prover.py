"""Groth16Prover: the ispc Prover protocol over this plugin's subprocess worker.

The trust rules and checks are the core's :class:`ispc_framework._worker_prover.WorkerProver`
(shared with ispc-gnark). This module adds the circom circuits, the groth16py/snarkjs worker, the
snarkjs/groth16py setup. A draft's commitment is recomputed natively (the core's Poseidon sponge,
``WorkerProver.draft_commitment``); the tests check it against circom's witness generator.
"""

from __future__ import annotations

from typing import Any

from ispc_framework.plugins import ConfigError
from ispc_framework.plugins import WorkerProver

from .circuits import CIRCUITS, get_circuit
from .client import WorkerClient
from .keystore import KeyStore
from .plugin import SETTINGS

__all__ = ["Groth16Prover", "SETUP_STEPS"]

SETUP_STEPS = ("compile", "setup", "phase1", "phase1-prepare", "phase2", "phase2-verify",
               "export", "import", "done")


class Groth16Prover(WorkerProver):
    """``settings`` is ``[plugin.groth16]`` of ispc.toml (declared in ``plugin.SETTINGS``)."""

    plugin_name = "groth16"
    SETTINGS = SETTINGS
    CIRCUITS = CIRCUITS

    def _validate(self, cfg: dict[str, Any]) -> None:
        if cfg["backend"] not in ("groth16py", "snarkjs"):
            raise ConfigError(f"[plugin.groth16] backend {cfg['backend']!r} is unknown; "
                              "choose groth16py or snarkjs", code="config-invalid")

    def _make_client(self, cfg: dict[str, Any]) -> WorkerClient:
        return WorkerClient(cfg["worker_command"] or None, backend=cfg["backend"],
                            node_modules=cfg["node_modules"] or None,
                            timeout_s=float(cfg["timeout_s"]))

    def _make_keys(self, key_dir: str) -> KeyStore:
        return KeyStore(key_dir)

    def get_circuit(self, circuit_id: str):
        return get_circuit(circuit_id)

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

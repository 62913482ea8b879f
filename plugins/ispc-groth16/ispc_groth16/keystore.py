"""ispc-groth16's keys: the core's key store, checking keys against this plugin's circuit pins.

Besides the shared files, a key directory holds ``circuit.r1cs`` and ``circuit.wasm`` (the
compiled circuit the keys belong to), ``proving_key.groth16py`` and, for ceremony setups,
``circuit.zkey``; see ispc_framework._prover_keys for the layout and the checks.
"""

from __future__ import annotations

import os
from pathlib import Path

from ispc_framework.plugins import KeyNotFound
from ispc_framework.plugins import KeyRecord, canonical_vk, sha256_file, vk_hash
from ispc_framework.plugins import KeyStore as _SharedStore

__all__ = ["KeyRecord", "KeyStore", "vk_hash", "canonical_vk"]

_sha256_file = sha256_file


def check_circuit(circuit_id: str, meta: dict, path: Path) -> None:
    """A key is only usable for the exact circuit (id, version, compiled r1cs and wasm) this
    plugin pins: otherwise a key made from another circuit (say, one without the conservation
    constraint) would verify proofs of statements the plugin never claims."""
    from .circuits import check_compiled, get_circuit

    circuit = get_circuit(circuit_id)
    if meta.get("circuit_id") != circuit_id:
        raise KeyNotFound(f"key directory {path} belongs to circuit {meta.get('circuit_id')!r}, "
                          f"not {circuit_id}", code="key-circuit-mismatch",
                          hint="obtain the keys from the setup you trust")
    if meta.get("circuit_version") != circuit.version:
        raise KeyNotFound(
            f"key directory {path} is for {circuit_id} v{meta.get('circuit_version')}, this "
            f"plugin uses v{circuit.version}", code="key-version-mismatch",
            hint="run `ispc setup` again for the new circuit version")
    files = meta.get("files") or {}
    check_compiled(circuit, files.get("circuit.r1cs"), files.get("circuit.wasm"),
                   f"key directory {path}")


class KeyStore(_SharedStore):
    def __init__(self, key_dir: str | os.PathLike) -> None:
        super().__init__(key_dir, check_circuit)

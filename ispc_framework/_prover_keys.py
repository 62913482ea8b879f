"""Groth16 keys on disk, named by the hash of their verification key (shared by the prover plugins).

Layout (``key_dir`` is configured; nothing here is ever made at proof time)::

    key_dir/<circuit_id>/CURRENT            hex hash of the key `prove` uses
    key_dir/<circuit_id>/<vk_hash>/
        meta.json                          circuit id/version, mode, testing_only, file hashes
        verification_key.json              snarkjs format (what the hash is computed over)
        ...                                the prover's own files (ispc-groth16: circuit.r1cs,
                                           circuit.wasm, proving_key.groth16py, circuit.zkey;
                                           ispc-gnark: proving_key.bin, verifying_key.bin)

A key directory is written under a temporary name and renamed into place, so a crash never leaves a
half-written key; loading re-hashes every file and rejects a key whose contents do not match, and
(through the plugin's ``check_circuit``) one whose circuit id, version or compiled circuit is not
the one the plugin pins. Which keys a *verifier* accepts is decided by the prover (CURRENT plus
``trusted_vk_hashes``), not by what happens to be in ``key_dir``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import attrs

from collections.abc import Callable

from ._encoding import digest
from ._errors import KeyNotFound, ValidationError

__all__ = ["KeyRecord", "KeyStore", "vk_hash", "canonical_vk", "sha256_file"]

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
# Key directories already re-hashed, by path, with the (name, size, mtime) signature they had
# then: a request re-hashes megabytes of key files only when something on disk changed.
_CheckCircuit = Callable[[str, dict[str, Any], Path], None]
_VERIFIED: dict[tuple[str, _CheckCircuit | None],
                tuple[tuple[tuple[str, int, int], ...], KeyRecord]] = {}
_VK_FIELDS = ("protocol", "curve", "nPublic", "vk_alpha_1", "vk_beta_2", "vk_gamma_2",
              "vk_delta_2", "IC")


def _decimal(value: Any) -> Any:  # a decimal string, or a nested list of them
    if isinstance(value, list):
        return [_decimal(v) for v in value]
    return str(int(value))


def canonical_vk(vk: dict[str, Any]) -> dict[str, Any]:
    """The fields of a snarkjs verification key that define it, in a canonical form."""
    try:
        out = {name: vk[name] for name in _VK_FIELDS}
    except KeyError as missing:
        raise ValidationError("verification_key", f"missing field {missing}") from None
    out["curve"] = "bn128" if out["curve"] in ("bn128", "bn254") else out["curve"]
    out["nPublic"] = int(out["nPublic"])
    for name in _VK_FIELDS[3:]:
        out[name] = _decimal(out[name])
    return out


def vk_hash(vk: dict[str, Any]) -> bytes:
    """SHA-256 (domain ``ispc.groth16/vk``) of the canonical JSON of a verification key."""
    text = json.dumps(canonical_vk(vk), sort_keys=True, separators=(",", ":"))
    return digest("ispc.groth16/vk", text.encode())


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@attrs.frozen
class KeyRecord:
    """One verified key directory."""

    path: Path
    vk_hash: str
    meta: dict[str, Any]

    def file(self, name: str) -> Path:
        return self.path / name


class KeyStore:
    """``check_circuit(circuit_id, meta, path)`` raises KeyNotFound (``key-circuit-mismatch``,
    ``key-version-mismatch``) unless the key belongs to the exact circuit the plugin pins."""

    def __init__(self, key_dir: str | os.PathLike[str],
                 check_circuit: _CheckCircuit | None = None) -> None:
        self.root = Path(key_dir)
        self.check_circuit = check_circuit
        self._made_for: dict[Path, list[Path]] = {}  # staging dir -> directories made for it

    def _circuit_dir(self, circuit_id: str) -> Path:
        if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,63}", circuit_id or ""):
            raise ValidationError("circuit_id", f"not a valid circuit id: {circuit_id!r}")
        return self.root / circuit_id

    def current_hash(self, circuit_id: str) -> str | None:
        """The hash CURRENT names for ``circuit_id`` (not loaded or checked), or None."""
        marker = self._circuit_dir(circuit_id) / "CURRENT"
        try:
            return marker.read_text().strip()
        except FileNotFoundError:
            return None

    def current(self, circuit_id: str) -> KeyRecord:
        """The key `prove` uses for ``circuit_id`` (the last completed setup)."""
        marker = self._circuit_dir(circuit_id) / "CURRENT"
        if not marker.exists():
            raise KeyNotFound(f"no keys for circuit {circuit_id!r} in {self.root}",
                              circuit_id=circuit_id, key_dir=str(self.root))
        return self.load(circuit_id, marker.read_text().strip())

    def load(self, circuit_id: str, hash_hex: str) -> KeyRecord:
        """The key directory named ``hash_hex``, after checking every file against its hash."""
        if not isinstance(hash_hex, str) or not _HEX64.match(hash_hex):
            raise KeyNotFound(f"{hash_hex!r} is not a verification key hash",
                              code="key-hash-invalid")
        path = self._circuit_dir(circuit_id) / hash_hex
        meta_file = path / "meta.json"
        if not meta_file.exists():
            raise KeyNotFound(f"no key {hash_hex[:16]}... for circuit {circuit_id!r} in "
                              f"{self.root}", circuit_id=circuit_id, vk_hash=hash_hex,
                              hint="obtain the keys from the setup you trust (run `ispc "
                                   "setup`, or copy them from the party whose setup you trust); "
                                   "never take a key directory from the prover")
        signature = tuple(sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns)
                                 for p in path.iterdir()))
        cached = _VERIFIED.get((str(path), self.check_circuit))
        if cached is not None and cached[0] == signature:
            return cached[1]
        try:
            meta = json.loads(meta_file.read_text())
            actual = vk_hash(json.loads((path / "verification_key.json").read_text())).hex()
            if not isinstance(meta, dict) or not isinstance(meta.get("files"), dict):
                raise ValueError("meta.json lists no files")
        except (OSError, ValueError, ValidationError, TypeError) as exc:
            raise KeyNotFound(f"key directory {path} is unreadable: {exc}", code="key-corrupt",
                              hint="delete it and run `ispc setup` again") from None
        if actual != hash_hex or meta.get("vk_hash") != hash_hex:
            raise KeyNotFound(f"key directory {path} does not hash to its name",
                              code="key-corrupt", hint="delete it and run `ispc setup` again")
        for name, expected in meta["files"].items():
            if sha256_file(path / name) != expected:
                raise KeyNotFound(f"{path / name} was modified after setup", code="key-corrupt",
                                  hint="delete the key directory and run `ispc setup` again")
        if self.check_circuit is not None:
            self.check_circuit(circuit_id, meta, path)
        record = KeyRecord(path, hash_hex, meta)
        _VERIFIED[(str(path), self.check_circuit)] = (signature, record)
        return record

    def verification_key(self, record: KeyRecord) -> dict[str, Any]:
        vk: dict[str, Any] = json.loads(record.file("verification_key.json").read_text())
        return vk

    def staging(self, circuit_id: str) -> Path:
        """A fresh directory to build a key in; :meth:`commit` moves it into place, or
        :meth:`discard` removes it (and the directories made for it) after a failed setup."""
        parent = self._circuit_dir(circuit_id)
        made = [d for d in (parent, *parent.parents) if not d.exists()]
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=parent))
        self._made_for[staging] = made
        return staging

    def discard(self, staging: Path) -> None:
        """Undo :meth:`staging` after a failed setup: a failed ``ispc setup`` leaves no empty key
        folder behind (directories that existed before, or now hold something else, stay)."""
        shutil.rmtree(staging, ignore_errors=True)
        for directory in self._made_for.pop(staging, ()):  # innermost first
            try:
                directory.rmdir()
            except OSError:  # not empty: something else lives there now
                break

    def commit(self, circuit_id: str, staging: Path, meta: dict[str, Any]) -> KeyRecord:
        """Hash the staged files, write meta.json, rename into place and make it CURRENT."""
        vk = json.loads((staging / "verification_key.json").read_text())
        hash_hex = vk_hash(vk).hex()
        files = sorted(p.name for p in staging.iterdir() if p.is_file() and p.name != "meta.json")
        meta = dict(meta, vk_hash=hash_hex,
                    files={name: sha256_file(staging / name) for name in files})
        (staging / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
        final = self._circuit_dir(circuit_id) / hash_hex
        if final.exists():
            shutil.rmtree(staging)  # same key again (cannot happen with fresh randomness)
        else:
            os.replace(staging, final)
        marker = self._circuit_dir(circuit_id) / "CURRENT"
        tmp = marker.with_suffix(".tmp")
        tmp.write_text(hash_hex + "\n")
        os.replace(tmp, marker)
        return self.load(circuit_id, hash_hex)

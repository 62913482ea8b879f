"""The proving backends a worker can run: groth16py (default) and snarkjs.

Both prove from the same ``.wtns`` witness (made by :mod:`ispc_groth16.witness` in wasmtime) and
return the 256-byte proof layout of :mod:`ispc_groth16.proof_format`. This module runs inside the
worker process only: groth16py is GPL-3.0 and young, so it stays behind the protocol boundary.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from pathlib import Path

from ispc_framework.plugins import KeyNotFound, ProverUnavailable, VerificationFailed

from .circuits import find_node_tool
from .keystore import KeyRecord
from .proof_format import from_snarkjs, to_snarkjs

__all__ = ["BACKENDS", "Groth16pyBackend", "SnarkjsBackend", "run_snarkjs"]

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
GROTH16PY_VERSION = "0.2.0"  # pinned in setup.cfg; the protocol is tested against this release


def run_snarkjs(args: list[str], *, node_modules=None, cwd=None, timeout=3600, on_line=None):
    """Run ``snarkjs ARGS``; stream its output lines to ``on_line``; raise on a non-zero exit."""
    cmd = [str(find_node_tool("snarkjs", node_modules)), *args]
    proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, errors="replace")
    lines = []
    assert proc.stdout is not None  # piped above
    try:
        for line in proc.stdout:
            line = _ANSI.sub("", line).rstrip()
            lines.append(line)
            if on_line and line:
                on_line(line)
        proc.wait(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, "\n".join(lines)


class Groth16pyBackend:
    name = "groth16py"

    def __init__(self, node_modules=None) -> None:
        try:
            import groth16py
        except ImportError as exc:
            raise ProverUnavailable(f"groth16py is not importable here: {exc}",
                                    hint=f"pip install groth16py=={GROTH16PY_VERSION} (CPython "
                                         "3.10+, x86_64/aarch64 Linux wheels)") from None
        self._g = groth16py
        self._proving_keys: dict[str, object] = {}
        self._verifiers: dict[str, object] = {}

    @property
    def version(self) -> str:
        return self._g.__version__

    def _proving_key(self, record: KeyRecord):
        if record.vk_hash not in self._proving_keys:
            if "circuit.zkey" in (record.meta.get("files") or {}):
                # A ceremony key: its proving_key.groth16py is this .zkey imported at setup
                # (ceremony.py), and import_zkey reads the .zkey some 30x faster than
                # ProvingKey.load reads the saved copy (5-9 ms against 240-260 ms of CPU for
                # ispc.draft.v1.small). Both files were checked against meta.json on load.
                imported = self._g.import_zkey(str(record.file("circuit.zkey")))
                key = imported[0] if isinstance(imported, tuple) else imported
            else:  # a testing key has no .zkey
                key = self._g.ProvingKey.load(str(record.file("proving_key.groth16py")))
            self._proving_keys[record.vk_hash] = key
        return self._proving_keys[record.vk_hash]

    def _verifier(self, record: KeyRecord, vk: dict):
        if record.vk_hash not in self._verifiers:
            self._verifiers[record.vk_hash] = self._g.Verifier(
                self._g.VerifyingKey.from_snarkjs(json.dumps(vk)))
        return self._verifiers[record.vk_hash]

    def load(self, record: KeyRecord) -> None:
        self._proving_key(record)

    def prove(self, record: KeyRecord, wtns_path: Path) -> bytes:
        return bytes(self._g.prove_wtns(self._proving_key(record), str(wtns_path)))

    def verify(self, record: KeyRecord, vk: dict, proof: bytes, public: list[int]) -> bool:
        try:
            return bool(self._verifier(record, vk).verify(proof, public))
        except (self._g.EncodingError, self._g.VerificationError, ValueError) as exc:
            # Not a point on the curve, an input >= r, a wrong count: the proof is invalid.
            raise VerificationFailed(f"groth16py rejected the proof: {exc}",
                                     code="proof-malformed") from None


class SnarkjsBackend:
    name = "snarkjs"

    def __init__(self, node_modules=None) -> None:
        self._node_modules = node_modules
        find_node_tool("snarkjs", node_modules)  # fail at start, not at the first proof

    @property
    def version(self) -> str:
        package = find_node_tool("snarkjs", self._node_modules).resolve().parent / "package.json"
        try:
            return json.loads(package.read_text())["version"]
        except (OSError, ValueError, KeyError):
            return "unknown"

    def load(self, record: KeyRecord) -> None:
        """snarkjs reads the .zkey itself, per proof: nothing to keep."""

    def prove(self, record: KeyRecord, wtns_path: Path) -> bytes:
        if "circuit.zkey" not in record.meta["files"]:
            raise KeyNotFound(
                f"key {record.vk_hash[:16]}... has no snarkjs .zkey (it came from a testing setup)",
                code="key-no-zkey")
        with tempfile.TemporaryDirectory(prefix="ispc-snarkjs-") as tmp:
            proof_file, public_file = Path(tmp) / "proof.json", Path(tmp) / "public.json"
            code, out = run_snarkjs(["groth16", "prove", str(record.file("circuit.zkey")),
                                     str(wtns_path), str(proof_file), str(public_file)],
                                    node_modules=self._node_modules)
            if code != 0 or not proof_file.exists():
                raise ProverUnavailable(f"snarkjs groth16 prove failed: {out[-1000:]}",
                                        code="prover-backend-failed")
            return from_snarkjs(json.loads(proof_file.read_text()))

    def verify(self, record: KeyRecord, vk: dict, proof: bytes, public: list[int]) -> bool:
        with tempfile.TemporaryDirectory(prefix="ispc-snarkjs-") as tmp:
            files = {"vk.json": vk, "public.json": [str(x) for x in public],
                     "proof.json": to_snarkjs(proof)}
            for name, value in files.items():
                (Path(tmp) / name).write_text(json.dumps(value))
            code, out = run_snarkjs(["groth16", "verify", "vk.json", "public.json", "proof.json"],
                                    node_modules=self._node_modules, cwd=tmp)
            # snarkjs exits non-zero and prints "Invalid proof" for a proof that does not verify.
            return code == 0 and "OK!" in out


BACKENDS: dict[str, type[Groth16pyBackend] | type[SnarkjsBackend]] = {
    "groth16py": Groth16pyBackend, "snarkjs": SnarkjsBackend}

"""The circuits this plugin proves, and how to compile them with circom2 (npm).

A circuit id names a statement (docs/proofs.md) and fixed capacities; its version changes whenever
the constraints change, so a key made for one version is never used with another.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import subprocess
import sys
from importlib import resources
from pathlib import Path

import attrs

from ispc_framework.plugins import KeyNotFound, ProverUnavailable, ValidationError

__all__ = ["Circuit", "CIRCUITS", "CIRCOM2_VERSION", "get_circuit", "find_node_tool",
           "node_modules_candidates",
           "compile_circuit", "r1cs_counts", "check_compiled"]

# The compiler the pins below were computed with (package.json pins it; the compile is
# deterministic: the same sources give byte-identical r1cs and wasm on every run).
CIRCOM2_VERSION = "0.2.23"


@attrs.frozen
class Circuit:
    circuit_id: str
    version: int
    source: str          # file under ispc_groth16/circuits/
    template: str
    n_in: int
    n_out: int
    # SHA-256 of the circom2 --O2 output for this version: a key directory whose circuit.r1cs or
    # circuit.wasm hashes differently belongs to another circuit and is refused.
    r1cs_sha256: str
    wasm_sha256: str
    public: tuple[str, ...] = ("result_hi", "result_lo", "contract")

    def main_source(self) -> str:
        return (f'pragma circom 2.1.0;\ninclude "{self.source}";\n'
                f"component main {{public [{', '.join(self.public)}]}} = "
                f"{self.template}({self.n_in}, {self.n_out});\n")


CIRCUITS = {
    c.circuit_id: c for c in (
        # The default: one Poseidon(9) permutation over packed slots, about 2,200 constraints (a
        # 2^12 domain); docs/statement-ispc-draft-v2.md.
        Circuit("ispc.draft.v2", 2, "ispc_draft_v2.circom", "DraftV2", 8, 8,
                r1cs_sha256="0eacafa03e97fcc1f704f83cc816de71aacb60712fe7aa48fb2f4a5daad6e589",
                wasm_sha256="387079a35ba9df4ae888532a62e40bc9e650fa93db69f2da32d3d296fd5fc3ef"),
        Circuit("ispc.draft.v2.small", 2, "ispc_draft_v2.circom", "DraftV2", 2, 2,
                r1cs_sha256="6569755bc8b4ead7e39a9b89bd441d039c3f7e475bbb53e828e4d3ea0d49c193",
                wasm_sha256="ab66825a1e0966f0c287a97924f42e00e9f466d09814429002eda7081f192604"),
        # ispc.draft.v1, kept so its keys and proofs still work: about 4,400 constraints
        # (a 2^13 domain); docs/statement-ispc-draft-v1.md.
        Circuit("ispc.draft.v1", 1, "ispc_draft_v1.circom", "DraftV1", 8, 8,
                r1cs_sha256="9630626863c07e8d9e0b7d5522e85afcbc4cca49404821e28eda6b7dc304fcb6",
                wasm_sha256="ff7aee38e7410577be02ef10fc44da40c3a58041f16cf4c7f3d8c9dd95c9d873"),
        # The same statement with small capacities (~1,200 constraints): cheap ceremony tests.
        Circuit("ispc.draft.v1.small", 1, "ispc_draft_v1.circom", "DraftV1", 2, 2,
                r1cs_sha256="72ae9641fa77f411327253dac3bfa78fdad49f3031f99b9b43e5ae8979e47282",
                wasm_sha256="965e44070933b436ebaaeabb3f432216e55b80aacdff435d3ffad9a2ab98684d"),
    )
}

# The circomlib files the circuits include (directly or transitively).
_CIRCOMLIB_FILES = ("poseidon.circom", "poseidon_constants.circom", "bitify.circom",
                    "comparators.circom", "aliascheck.circom", "compconstant.circom",
                    "binsum.circom")


def get_circuit(circuit_id: str) -> Circuit:
    try:
        return CIRCUITS[circuit_id]
    except (KeyError, TypeError):
        raise ValidationError("circuit_id", f"unknown circuit {circuit_id!r}; known: "
                              f"{', '.join(sorted(CIRCUITS))}") from None


def check_compiled(circuit: Circuit, r1cs_sha256: str | None, wasm_sha256: str | None,
                   where: str) -> None:
    """Raise KeyNotFound ``key-circuit-mismatch`` unless the hashes are ``circuit``'s pins."""
    if (r1cs_sha256, wasm_sha256) != (circuit.r1cs_sha256, circuit.wasm_sha256):
        raise KeyNotFound(
            f"{where} holds a circuit.r1cs/circuit.wasm that is not {circuit.circuit_id} "
            f"v{circuit.version} (sha256 {str(r1cs_sha256)[:16]}.../{str(wasm_sha256)[:16]}..., "
            f"expected {circuit.r1cs_sha256[:16]}.../{circuit.wasm_sha256[:16]}...)",
            code="key-circuit-mismatch", circuit_id=circuit.circuit_id,
            hint="keys are only accepted for the exact circuit this plugin pins (compiled with "
                 f"circom2 {CIRCOM2_VERSION}); run `ispc setup` with the pinned circom2, or obtain "
                 "the keys from the setup you trust")


def node_modules_candidates(node_modules: str | os.PathLike | None = None) -> list[Path]:
    """Where circom2/snarkjs/circomlib are looked for, in order: the configured directory,
    $ISPC_NODE_MODULES, then a ``node_modules`` above this installed package or above the Python
    environment (a source checkout's ``npm ci`` puts it at the repository root, next to
    ``plugins/`` and ``.venv``). Never the working directory: ``ispc setup`` must work the same
    from an operator's own directory."""
    candidates = [Path(base) for base in (node_modules, os.environ.get("ISPC_NODE_MODULES"))
                  if base]
    for anchor in (Path(__file__).resolve().parent, Path(sys.prefix).resolve()):
        candidates += [parent / "node_modules" for parent in anchor.parents]
    return list(dict.fromkeys(candidates))


def find_node_tool(name: str, node_modules: str | os.PathLike | None = None) -> Path:
    """Locate ``node_modules/.bin/<name>`` (see :func:`node_modules_candidates`)."""
    candidates = node_modules_candidates(node_modules)
    for base in candidates:
        tool = base / ".bin" / name
        if tool.exists():
            return tool
    raise ProverUnavailable(f"{name} (npm) was not found in any node_modules (looked in "
                            f"{', '.join(str(c) for c in candidates[:4])}, ...)",
                            code="node-tool-missing",
                            hint=f"run `npm ci` in the repository (it installs {name}), or set "
                                 "ISPC_NODE_MODULES / [plugin.groth16] node_modules")


def r1cs_counts(r1cs: bytes) -> dict[str, int]:
    """Header counts of a circom ``.r1cs`` file."""
    if r1cs[:4] != b"r1cs":
        raise ValidationError("r1cs", "not an r1cs file")
    n_sections = struct.unpack_from("<I", r1cs, 8)[0]
    pos = 12
    for _ in range(n_sections):
        kind, size = struct.unpack_from("<IQ", r1cs, pos)
        pos += 12
        if kind == 1:
            n8 = struct.unpack_from("<I", r1cs, pos)[0]
            wires, pub_out, pub_in, prv_in = struct.unpack_from("<IIII", r1cs, pos + 4 + n8)
            constraints = struct.unpack_from("<I", r1cs, pos + 4 + n8 + 16 + 8)[0]
            return {"wires": wires, "public_outputs": pub_out, "public_inputs": pub_in,
                    "private_inputs": prv_in, "constraints": constraints}
        pos += size
    raise ValidationError("r1cs", "no header section")


def compile_circuit(circuit: Circuit, workdir: Path, *, node_modules=None,
                    cache_dir: Path | None = None) -> tuple[Path, Path]:
    """Compile ``circuit`` in ``workdir`` with ``circom2 --O2``; returns (r1cs, wasm) paths.

    circom2 (circom built to WebAssembly) cannot follow ``../`` includes or symlinks, so the
    sources and the circomlib files are copied into ``workdir`` first. With ``cache_dir``, the
    outputs are reused for identical inputs (sources, circomlib files, circom2 version).
    """
    circom = find_node_tool("circom2", node_modules)
    circomlib = circom.parent.parent / "circomlib" / "circuits"
    if not circomlib.is_dir():
        raise ProverUnavailable("circomlib (npm) is not installed next to circom2",
                                code="node-tool-missing")
    source = resources.files("ispc_groth16") / "circuits" / circuit.source
    cached = None
    if cache_dir is not None:
        h = hashlib.sha256(circuit.main_source().encode() + source.read_bytes())
        for name in _CIRCOMLIB_FILES:
            h.update((circomlib / name).read_bytes())
        h.update((circom.resolve().parent / "package.json").read_bytes())
        cached = Path(cache_dir) / h.hexdigest()
        if (cached / "main.r1cs").exists() and (cached / "main.wasm").exists():
            return cached / "main.r1cs", cached / "main.wasm"
    r1cs, wasm = _compile(circom, circomlib, circuit, source, workdir)
    if cached is not None:
        tmp = cached.with_name(cached.name + f".tmp{os.getpid()}")
        tmp.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(r1cs, tmp / "main.r1cs")
        shutil.copyfile(wasm, tmp / "main.wasm")
        try:
            os.replace(tmp, cached)
        except OSError:  # another process cached it first
            shutil.rmtree(tmp, ignore_errors=True)
    return r1cs, wasm


def _compile(circom: Path, circomlib: Path, circuit: Circuit, source, workdir: Path):
    workdir.mkdir(parents=True, exist_ok=True)
    lib = workdir / "circomlib"
    lib.mkdir(exist_ok=True)
    for name in _CIRCOMLIB_FILES:
        shutil.copyfile(circomlib / name, lib / name)
    (workdir / circuit.source).write_text(source.read_text())
    (workdir / "main.circom").write_text(circuit.main_source())
    done = subprocess.run(
        [str(circom), "main.circom", "--O2", "--r1cs", "--wasm", "-l", "circomlib", "-o", "."],
        cwd=workdir, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600)
    r1cs, wasm = workdir / "main.r1cs", workdir / "main_js" / "main.wasm"
    if done.returncode != 0 or not r1cs.exists() or not wasm.exists():
        raise ProverUnavailable(f"circom2 failed to compile {circuit.circuit_id}: "
                                f"{(done.stderr or done.stdout).strip()[-2000:]}",
                                code="circuit-compile-failed")
    return r1cs, wasm

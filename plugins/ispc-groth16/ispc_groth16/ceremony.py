"""Key generation for a circuit: the testing-only single-party setup and the snarkjs ceremony.

Runs in the worker (``setup`` message). Keys are only ever made here, by an explicit
``ispc setup CIRCUIT``; proving with a circuit that has no key fails with KeyNotFound.

- ``testing``: groth16py's single-party setup (seconds). Whoever runs it knows the toxic waste and
  can forge proofs for this key: for tests and demos only, and marked so in meta.json.
- ``ceremony``: snarkjs powers of tau (phase 1, or a prepared ``.ptau`` file from a public
  ceremony) and a circuit-specific phase 2 with ``contributions`` random contributions, checked
  with ``snarkjs zkey verify``; the finished ``.zkey`` is also imported into groth16py.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from ispc_framework.plugins import ProverUnavailable, ValidationError

from .backends import run_snarkjs
from .circuits import CIRCOM2_VERSION, compile_circuit, find_node_tool, get_circuit, r1cs_counts
from .keystore import KeyStore, _sha256_file, vk_hash

__all__ = ["MODES", "make_keys", "ptau_power"]

MODES = ("testing", "ceremony")
Progress = Callable[[str, str], None]


def ptau_power(counts: dict[str, int]) -> int:
    """Smallest powers-of-tau power snarkjs accepts for a circuit (its domain covers the
    constraints plus one row per public signal and one for the constant)."""
    rows = counts["constraints"] + counts["public_outputs"] + counts["public_inputs"] + 1
    return max(8, math.ceil(math.log2(rows)))


def _snarkjs(progress: Progress, step: str, args: list[str], node_modules, cwd) -> None:
    progress(step, "snarkjs " + " ".join(a for a in args if not a.startswith("-e=")))
    code, out = run_snarkjs(args, node_modules=node_modules, cwd=cwd,
                            on_line=lambda line: progress(step, line))
    if code != 0:
        raise ProverUnavailable(f"snarkjs {args[0]} {args[1]} failed: {out[-1500:]}",
                                code="setup-failed")


def _local_ptau(power: int, key_dir: Path, contributions: int, progress: Progress,
                node_modules) -> Path:
    """A phase-1 file made on this machine, cached by power under key_dir/ptau/."""
    cache = key_dir / "ptau"
    final = cache / f"local_{power}.ptau"
    if final.exists():
        progress("phase1", f"reusing {final}")
        return final
    cache.mkdir(parents=True, exist_ok=True)
    work = cache / f".work-{os.getpid()}"
    work.mkdir(exist_ok=True)
    try:
        _snarkjs(progress, "phase1", ["powersoftau", "new", "bn128", str(power), "p0.ptau"],
                 node_modules, work)
        for n in range(contributions):
            _snarkjs(progress, "phase1", ["powersoftau", "contribute", f"p{n}.ptau",
                                          f"p{n + 1}.ptau", f"--name=ispc local {n + 1}",
                                          f"-e={os.urandom(32).hex()}"], node_modules, work)
        # The slow step (2^12: ~1.5 min, 2^14: ~11 min on 2 cores): -v streams its progress.
        _snarkjs(progress, "phase1-prepare", ["powersoftau", "prepare", "phase2",
                                              f"p{contributions}.ptau", "final.ptau", "-v"],
                 node_modules, work)
        os.replace(work / "final.ptau", final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final


def _compile_cache(key_dir: Path) -> Path:
    """Where circom2's outputs are reused from: one cache per user (so a second `ispc init` or
    `ispc setup` in a new directory skips the 6-30 s compile), else one per key directory. Safe
    to share: whatever comes out of it is checked against the pinned hashes below."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    shared = Path(base) / "ispc-groth16" / "circom-build"
    try:
        shared.mkdir(parents=True, exist_ok=True)
        if os.access(shared, os.W_OK):
            return shared
    except OSError:
        pass
    return key_dir / "build-cache"


def make_keys(circuit_id: str, key_dir: str | os.PathLike, mode: str, *, progress: Progress,
              node_modules=None, ptau: str | None = None, contributions: int = 1,
              verify: bool = True) -> dict:
    """Compile ``circuit_id``, make its keys in ``mode`` and store them; returns the meta dict."""
    circuit = get_circuit(circuit_id)
    if mode not in MODES:
        raise ValidationError("mode", f"unknown setup mode {mode!r}; one of {', '.join(MODES)}")
    if not isinstance(contributions, int) or not 1 <= contributions <= 16:
        raise ValidationError("contributions", "expected an integer from 1 to 16")
    if ptau is not None and not Path(ptau).is_file():
        raise ValidationError("ptau", f"{ptau} is not a file")
    # The tools first: a missing toolchain must fail before any key folder exists.
    find_node_tool("circom2", node_modules)
    if mode == "ceremony":
        find_node_tool("snarkjs", node_modules)
    store = KeyStore(key_dir)
    staging = store.staging(circuit_id)
    try:
        progress("compile", f"circom2 --O2 {circuit.source} as {circuit_id} "
                            f"({circuit.n_in} inputs, {circuit.n_out} outputs)")
        r1cs, wasm = compile_circuit(circuit, staging / "build", node_modules=node_modules,
                                     cache_dir=_compile_cache(store.root))
        shutil.copyfile(r1cs, staging / "circuit.r1cs")
        shutil.copyfile(wasm, staging / "circuit.wasm")
        compiled = (_sha256_file(staging / "circuit.r1cs"), _sha256_file(staging / "circuit.wasm"))
        if compiled != (circuit.r1cs_sha256, circuit.wasm_sha256):
            raise ProverUnavailable(
                f"circom2 compiled {circuit_id} to an r1cs/wasm that differs from the pinned one "
                f"(sha256 {compiled[0][:16]}.../{compiled[1][:16]}...); keys made from it would "
                "be refused", code="circuit-compile-mismatch",
                hint=f"install the pinned circom2 {CIRCOM2_VERSION} and circomlib (`npm ci`)")
        counts = r1cs_counts(r1cs.read_bytes())
        progress("compile", f"{counts['constraints']} constraints, {counts['wires']} wires")
        import groth16py  # the worker's dependency; imported only when keys are made

        meta = {"circuit_id": circuit_id, "circuit_version": circuit.version, "mode": mode,
                "constraint_count": counts["constraints"], "groth16py": groth16py.__version__}
        if mode == "testing":
            progress("setup", "groth16py single-party setup: TESTING ONLY, whoever ran it can "
                              "forge proofs for this key")
            pk, vk = groth16py.setup(str(staging / "circuit.r1cs"))
            pk.save(str(staging / "proving_key.groth16py"))
            (staging / "verification_key.json").write_text(vk.to_json())
            meta.update(testing_only=True, trust="single party (groth16py setup); testing only")
        else:
            power = ptau_power(counts)
            if ptau is None:
                ptau_file = _local_ptau(power, store.root, contributions, progress, node_modules)
                phase1 = f"local, {contributions} contribution(s) on this machine"
            else:
                ptau_file = Path(ptau)
                phase1 = f"file {ptau_file.name} sha256 {_sha256_file(ptau_file)}"
            build = staging / "build"
            build.mkdir(exist_ok=True)
            _snarkjs(progress, "phase2", ["groth16", "setup", str(staging / "circuit.r1cs"),
                                          str(ptau_file.resolve()), "z0.zkey"], node_modules, build)
            for n in range(contributions):
                _snarkjs(progress, "phase2", ["zkey", "contribute", f"z{n}.zkey", f"z{n + 1}.zkey",
                                              f"--name=ispc {n + 1}", f"-e={os.urandom(32).hex()}"],
                         node_modules, build)
            final = build / f"z{contributions}.zkey"
            if verify:  # re-derives the key from r1cs + ptau + contributions (~40% of phase 2)
                _snarkjs(progress, "phase2-verify",
                         ["zkey", "verify", str(staging / "circuit.r1cs"),
                          str(ptau_file.resolve()), final.name], node_modules, build)
            _snarkjs(progress, "export", ["zkey", "export", "verificationkey", final.name,
                                          str(staging / "verification_key.json")],
                     node_modules, build)
            shutil.copyfile(final, staging / "circuit.zkey")
            progress("import", "importing the .zkey into groth16py")
            imported = groth16py.import_zkey(str(staging / "circuit.zkey"))
            pk, vk = imported if isinstance(imported, tuple) else (imported, None)
            if vk is not None and vk_hash(json.loads(vk.to_json())) != vk_hash(
                    json.loads((staging / "verification_key.json").read_text())):
                raise ProverUnavailable("groth16py read a different verification key from the "
                                        ".zkey than snarkjs exported", code="setup-failed")
            pk.save(str(staging / "proving_key.groth16py"))
            meta.update(testing_only=False, ptau_power=power, phase1=phase1,
                        phase2_contributions=contributions, zkey_verified=verify,
                        trust="sound if one phase-1 and one phase-2 contributor discarded their "
                              "randomness")
        shutil.rmtree(staging / "build", ignore_errors=True)
        record = store.commit(circuit_id, staging, meta)
    except BaseException:
        store.discard(staging)
        raise
    progress("done", f"key {record.vk_hash} stored in {record.path}")
    return record.meta

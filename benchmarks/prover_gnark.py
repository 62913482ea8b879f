"""gnark vs groth16py vs snarkjs on ispc.draft.v1: prove, verify, worker start, key load.

    python benchmarks/prover_gnark.py [--runs 15] [--key-dir DIR] [--snarkjs-prove]

Baseline (measured in the same run): groth16py (ispc-groth16's default backend) proving the same
draft. The provers are measured alternately, round by round (gnark, groth16py, snarkjs, gnark,
...), so a change in the machine's load hits all of them alike. "prove" is one
``Prover.prove`` call (request mapping, protocol round trip, witness and proof; no self-check);
"worker prove" is the gnark worker's ``prove`` request alone (inputs mapped beforehand: gnark's
witness and proof plus the JSON round trip). Keys are testing keys cached in --key-dir (default
~/.cache/ispc-gnark-bench); snarkjs proves only with a snarkjs ``.zkey``, i.e. a ceremony key:
--snarkjs-prove makes one for the circom circuit once (2^13 powers of tau, ~5 minutes on 2 cores),
otherwise snarkjs is measured as the independent verifier of the gnark proof.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from ispc_framework.plugins import circuit_inputs
from ispc_framework.plugins import (AssetOutput, FungibleToken, NativeCoin, OutPoint, SealedDraft,
                                  TxInput, TxOutput)
from ispc_framework.plugins import ProofRequest
from ispc_gnark.prover import GnarkProver
from ispc_groth16.circuits import find_node_tool
from ispc_groth16.keystore import KeyStore
from ispc_groth16.proof_format import to_snarkjs
from ispc_groth16.prover import Groth16Prover
from ispc_groth16.setup import run_setup

CONTRACT = b"\x42" * 32
CIRCUIT = "ispc.draft.v1"


def full_request(n_in: int = 8, n_out: int = 8) -> ProofRequest:
    """A draft that fills the circuit: every input slot spent, every output slot used."""
    gold = FungibleToken(CONTRACT, b"gold")
    inputs = tuple(TxInput(OutPoint(bytes([i + 1]) * 32, i)) for i in range(n_in))
    spent = tuple(TxOutput(b"\x01" * 32, asset=AssetOutput(NativeCoin(), 1000))
                  for _ in range(n_in))
    each = 900 * n_in // n_out
    outputs = [TxOutput(bytes([j + 1]) * 32, asset=AssetOutput(NativeCoin(), each))
               for j in range(n_out - 1)]
    outputs.append(TxOutput(b"\x09" * 32, asset=AssetOutput(gold, 5)))
    return ProofRequest(CIRCUIT, b"\x33" * 32, SealedDraft(inputs, tuple(outputs)), spent,
                        CONTRACT)


def clock(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def ensure_keys(key_dir: Path, snarkjs_prove: bool) -> None:
    gnark_dir, circom_dir = key_dir / "gnark", key_dir / "circom"
    with GnarkProver({"key_dir": str(gnark_dir)}) as prover:
        if prover.keys.current_hash(CIRCUIT) is None:
            print(f"# making a gnark testing key (once; cached in {gnark_dir})", flush=True)
            prover.setup(CIRCUIT, mode="testing")
    mode = "ceremony" if snarkjs_prove else "testing"
    try:
        if KeyStore(circom_dir).current(CIRCUIT).meta["mode"] == mode or not snarkjs_prove:
            return
    except Exception:
        pass
    print(f"# making a circom {mode} key (once; cached in {circom_dir})", flush=True)
    run_setup(CIRCUIT, circom_dir, mode, verify_zkey=False)


def snarkjs_verify(vk: dict, proof: bytes, public) -> float:
    snarkjs = str(find_node_tool("snarkjs"))
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in (("vk.json", vk), ("proof.json", to_snarkjs(proof)),
                           ("public.json", [str(x) for x in public])):
            Path(tmp, name).write_text(json.dumps(data))
        start = time.perf_counter()
        done = subprocess.run([snarkjs, "groth16", "verify", "vk.json", "public.json",
                               "proof.json"], cwd=tmp, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
    assert done.returncode == 0 and "OK" in done.stdout, done.stdout
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--key-dir", type=Path,
                        default=Path.home() / ".cache" / "ispc-gnark-bench")
    parser.add_argument("--snarkjs-prove", action="store_true")
    args = parser.parse_args()
    ensure_keys(args.key_dir, args.snarkjs_prove)
    common = {"self_check": False, "timeout_s": 600, "allow_testing_keys": True}
    makers = {
        "gnark": lambda: GnarkProver({"key_dir": str(args.key_dir / "gnark"), **common}),
        "groth16py": lambda: Groth16Prover({"key_dir": str(args.key_dir / "circom"),
                                            "backend": "groth16py", **common}),
    }
    if args.snarkjs_prove:
        makers["snarkjs"] = lambda: Groth16Prover({"key_dir": str(args.key_dir / "circom"),
                                                   "backend": "snarkjs", **common})
    request = full_request()
    starts = {name: [] for name in makers}
    first = {name: [] for name in makers}
    for _ in range(3):  # worker start and the first proof (which loads the key), alternating
        for name, make in makers.items():
            prover = make()
            starts[name].append(clock(lambda p=prover: p.worker.request("info")))
            first[name].append(clock(lambda p=prover: p.prove(request)))
            prover.close()

    provers = {name: make() for name, make in makers.items()}
    proofs = {name: p.prove(request) for name, p in provers.items()}  # warm: keys loaded
    gnark = provers["gnark"]
    record = gnark.keys.current(CIRCUIT)
    inputs = {k: [str(x) for x in v] if isinstance(v, list) else str(v)
              for k, v in circuit_inputs(request, 8, 8).items()}
    prove = {name: [] for name in provers}
    verify = {name: [] for name in provers}
    worker_prove = []
    for _ in range(args.runs):
        for name, prover in provers.items():
            prove[name].append(clock(lambda p=prover: p.prove(request)))
            verify[name].append(clock(lambda p=prover, pr=proofs[name]: p.verify(
                pr, request.execution_result_hash)))
        worker_prove.append(clock(lambda: gnark.worker.request("prove", {
            "key_dir": str(gnark.keys.root), "circuit_id": CIRCUIT, "vk_hash": record.vk_hash,
            "input": inputs})))
    vk = json.loads(record.file("verification_key.json").read_text())
    snark_verify = [snarkjs_verify(vk, proofs["gnark"].proof, proofs["gnark"].public_inputs)
                    for _ in range(3)]
    for prover in provers.values():
        prover.close()

    med = statistics.median
    base = med(prove["groth16py"])
    constraints = {"gnark": record.meta["constraint_count"],
                   "groth16py": KeyStore(args.key_dir / "circom").current(CIRCUIT)
                   .meta["constraint_count"]}
    print(f"{CIRCUIT}, a full draft (8 inputs, 8 outputs); median of {args.runs} alternating "
          f"rounds; baseline groth16py prove")
    print(f"{'prover':10s} {'constraints':>11s} {'prove':>11s} {'ratio':>7s} {'verify':>11s} "
          f"{'worker start':>13s} {'1st prove (key load)':>21s}")
    for name in provers:
        p = med(prove[name])
        print(f"{name:10s} {constraints.get(name, constraints['groth16py']):>11d} {ms(p)} "
              f"{p / base:6.2f}x {ms(med(verify[name]))} {ms(med(starts[name])):>13s} "
              f"{ms(med(first[name])):>21s}")
    print(f"gnark worker prove request alone: {ms(med(worker_prove))} (min {ms(min(worker_prove))})")
    print(f"snarkjs CLI verifying the gnark proof: {ms(med(snark_verify))} (node start-up included)")


if __name__ == "__main__":
    main()

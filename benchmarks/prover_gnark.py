"""gnark vs groth16py vs snarkjs on ispc.draft.v2: prove, verify, worker start, key load.

    python -m benchmarks --only prover_gnark [--quick]
    python benchmarks/prover_gnark.py [--quick] [--key-dir DIR] [--snarkjs-prove]

Every figure is a median over repeats measured in alternating slices with its baseline: gnark
against groth16py (ispc-groth16's default backend) proving the same draft, groth16py through the
plugin against the raw groth16py library in this process (from a witness computed beforehand),
snarkjs verifying a gnark proof against node's own start-up. "prove" is one ``Prover.prove`` call
(request mapping, protocol round trip, witness and proof; no self-check); "worker prove request
alone" is the gnark worker's ``prove`` request (gnark's witness and proof plus the JSON round
trip). Keys are testing keys cached in --key-dir (default ~/.cache/ispc-gnark-bench); snarkjs
proves only with a snarkjs ``.zkey``, i.e. a ceremony key: --snarkjs-prove makes one for the
circom circuit once (2^13 powers of tau, ~5 minutes on 2 cores), otherwise snarkjs is measured as
the independent verifier of the gnark proof. Target (issue #16): gnark proves in <= 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
import sys
from pathlib import Path

try:
    from benchmarks._harness import alternate, figure
except ImportError:  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks._harness import alternate, figure
from ispc_framework.plugins import KeyNotFound, circuit_inputs
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
CIRCUIT = "ispc.draft.v2"
DEFAULT_KEY_DIR = Path.home() / ".cache" / "ispc-gnark-bench"


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


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_cpu_per_prove(prover, request, count: int) -> float:
    """CPU seconds the worker process spends per ``prove``: on a loaded machine the wall time
    mostly measures the load, the CPU time measures the prover."""
    pid = prover.worker.pid
    before = process_cpu(pid)
    for _ in range(count):
        prover.prove(request)
    assert prover.worker.pid == pid, "the worker restarted while measured"
    return (process_cpu(pid) - before) / count


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def ensure_keys(key_dir: Path, snarkjs_prove: bool) -> None:
    gnark_dir, circom_dir = key_dir / "gnark", key_dir / "circom"
    with GnarkProver({"key_dir": str(gnark_dir)}) as prover:
        try:
            prover.keys.current(CIRCUIT)
        except KeyNotFound:  # none yet, or one for an earlier pin of the circuit
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


def run(quick: bool, key_dir: Path = DEFAULT_KEY_DIR, snarkjs_prove: bool = False) -> dict:
    """Figures for ``python -m benchmarks`` (see benchmarks/_harness.py)."""
    import groth16py

    ensure_keys(key_dir, snarkjs_prove)
    common = {"self_check": False, "timeout_s": 600, "allow_testing_keys": True}
    makers = {
        "gnark": lambda: GnarkProver({"key_dir": str(key_dir / "gnark"), **common}),
        "groth16py": lambda: Groth16Prover({"key_dir": str(key_dir / "circom"),
                                            "backend": "groth16py", **common}),
    }
    if snarkjs_prove:
        makers["snarkjs"] = lambda: Groth16Prover({"key_dir": str(key_dir / "circom"),
                                                   "backend": "snarkjs", **common})
    request = full_request()
    cold = {}
    for _ in range(1 if quick else 3):  # worker start and the first proof (key load), alternating
        for name, make in makers.items():
            prover = make()
            cold.setdefault(f"{name} start", []).append(
                clock(lambda p=prover: p.worker.request("info")))
            cold.setdefault(f"{name} first", []).append(clock(lambda p=prover: p.prove(request)))
            prover.close()

    provers = {name: make() for name, make in makers.items()}
    proofs = {name: p.prove(request) for name, p in provers.items()}  # warm: keys loaded
    gnark = provers["gnark"]
    record = gnark.keys.current(CIRCUIT)
    circom = KeyStore(key_dir / "circom").current(CIRCUIT)
    inputs = {k: [str(x) for x in v] if isinstance(v, list) else str(v)
              for k, v in circuit_inputs(request, 8, 8).items()}
    # The raw library in this process, from a witness computed beforehand: the floor under
    # ispc-groth16's prove (protocol round trip, witness generation, worker around it).
    from ispc_groth16.witness import WitnessCalculator

    wtns = WitnessCalculator(circom.file("circuit.wasm").read_bytes()).wtns(
        circuit_inputs(request, 8, 8))
    raw_dir = Path(tempfile.mkdtemp(prefix="ispc-bench-wtns-"))
    (raw_dir / "w.wtns").write_bytes(wtns)
    raw_pk = groth16py.ProvingKey.load(str(circom.file("proving_key.groth16py")))
    raw_verifier = groth16py.Verifier(groth16py.VerifyingKey.from_snarkjs(
        circom.file("verification_key.json").read_text()))
    raw_proof = proofs["groth16py"]
    contenders = {}
    for name, prover in provers.items():
        contenders[f"{name} prove"] = lambda p=prover: p.prove(request)
        contenders[f"{name} verify"] = lambda p=prover, pr=proofs[name]: p.verify(
            pr, request.execution_result_hash)
    contenders["gnark worker prove"] = lambda: gnark.worker.request("prove", {
        "key_dir": str(gnark.keys.root), "circuit_id": CIRCUIT, "vk_hash": record.vk_hash,
        "input": inputs})
    contenders["raw groth16py prove"] = lambda: groth16py.prove_wtns(raw_pk,
                                                                     str(raw_dir / "w.wtns"))
    contenders["raw groth16py verify"] = lambda: raw_verifier.verify(
        raw_proof.proof, list(raw_proof.public_inputs))
    samples = alternate(contenders, 3 if quick else 15)
    cpu = {"gnark": [], "groth16py": []}
    for _ in range(2 if quick else 5):
        for name in cpu:
            cpu[name].append(worker_cpu_per_prove(provers[name], request, 2))
    vk = json.loads(record.file("verification_key.json").read_text())
    snark = alternate({
        "snarkjs": lambda: snarkjs_verify(vk, proofs["gnark"].proof,
                                          proofs["gnark"].public_inputs),
        "node": lambda: subprocess.run(["node", "-e", "0"], check=True, capture_output=True),
    }, 1 if quick else 3)
    for prover in provers.values():
        prover.close()

    def ms(name, key, base_name, base_key, **kw):
        return figure(name, samples.get(key) or cold[key], "ms", scale=1e3,
                      baseline=(base_name, samples.get(base_key) or cold[base_key]), **kw)

    figures = [
        ms("gnark prove (Prover.prove, ispc.draft.v2)", "gnark prove",
           "groth16py prove", "groth16py prove", target=("<=", 50.0)),
        figure("gnark worker CPU time per prove", cpu["gnark"], "ms", scale=1e3,
               baseline=("groth16py worker CPU time per prove", cpu["groth16py"]),
               target=("<=", 50.0)),
        ms("gnark worker prove request alone", "gnark worker prove",
           "groth16py prove", "groth16py prove", target=("<=", 50.0)),
        ms("groth16py prove (Prover.prove)", "groth16py prove",
           "raw groth16py.prove_wtns in-process", "raw groth16py prove"),
        ms("gnark verify (Prover.verify)", "gnark verify", "groth16py verify",
           "groth16py verify"),
        ms("groth16py verify (Prover.verify)", "groth16py verify",
           "raw groth16py Verifier.verify in-process", "raw groth16py verify"),
        ms("gnark worker start (info)", "gnark start", "groth16py worker start",
           "groth16py start"),
        ms("gnark first prove (key load)", "gnark first", "groth16py first prove",
           "groth16py first"),
        figure("snarkjs CLI verifying a gnark proof", snark["snarkjs"], "ms", scale=1e3,
               baseline=("node -e 0 (node start-up)", snark["node"])),
    ]
    if snarkjs_prove:
        figures.append(ms("snarkjs prove (Prover.prove)", "snarkjs prove", "groth16py prove",
                          "groth16py prove"))
    notes = [f"{CIRCUIT}: gnark {record.meta['constraint_count']} constraints, circom "
             f"{circom.meta['constraint_count']}; a full draft (8 inputs, 8 outputs); testing keys"]
    return {"figures": figures, "notes": notes}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--key-dir", type=Path, default=DEFAULT_KEY_DIR)
    parser.add_argument("--snarkjs-prove", action="store_true")
    args = parser.parse_args()
    report = run(args.quick, args.key_dir, args.snarkjs_prove)
    for fig in report["figures"]:
        base = fig["baseline"]
        print(f"{fig['name']:44s} {fig['value']:9.1f} {fig['unit']}   {base['name']:40s} "
              f"{base['value']:9.1f} {fig['unit']}   {fig['ratio']:5.2f}x")
    print("\n".join(report["notes"]))


if __name__ == "__main__":
    main()

"""Groth16 prover benchmark: prove/verify time per execution, per backend, and constraint counts.

    python benchmarks/prover_groth16.py [--runs 5] [--key-dir DIR] [--full-ceremony]

Baseline (measured in the same run): groth16py proving the same circuit. Every other figure is
printed with its ratio to that baseline. Keys are cached in --key-dir (default
~/.cache/ispc-groth16-bench): the first run makes a testing key for ispc.draft.v2 (seconds) and a
ceremony key for ispc.draft.v2.small (2^10 powers of tau, about a minute on 2 cores);
--full-ceremony also makes a ceremony key for ispc.draft.v2 (2^12, a few minutes) so snarkjs
can be measured on the default circuit too.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from ispc_framework._model import (AssetOutput, FungibleToken, NativeCoin, OutPoint, SealedDraft,
                                  TxInput, TxOutput)
from ispc_framework._proving import ProofRequest
from ispc_groth16.circuits import find_node_tool, get_circuit
from ispc_groth16.draft_encoding import circuit_inputs
from ispc_groth16.keystore import KeyStore
from ispc_groth16.prover import Groth16Prover
from ispc_groth16.setup import run_setup
from ispc_groth16.witness import WitnessCalculator

CONTRACT = b"\x42" * 32


def full_request(circuit_id: str) -> ProofRequest:
    """A draft that fills the circuit: every input slot spent, every output slot used."""
    c = get_circuit(circuit_id)
    gold = FungibleToken(CONTRACT, b"gold")
    inputs = tuple(TxInput(OutPoint(bytes([i + 1]) * 32, i)) for i in range(c.n_in))
    spent = tuple(TxOutput(b"\x01" * 32, asset=AssetOutput(NativeCoin(), 1000))
                  for _ in range(c.n_in))
    each = 900 * c.n_in // c.n_out  # outputs spend 90% of the inputs; the rest is the fee
    outputs = [TxOutput(bytes([j + 1]) * 32, asset=AssetOutput(NativeCoin(), each))
               for j in range(c.n_out - 1)]
    outputs.append(TxOutput(b"\x09" * 32, asset=AssetOutput(gold, 5)))
    return ProofRequest(circuit_id, b"\x33" * 32, SealedDraft(inputs, tuple(outputs)), spent,
                        CONTRACT)


def timed(fn, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def ensure_key(key_dir: Path, circuit_id: str, mode: str) -> dict:
    store = KeyStore(key_dir)
    try:
        record = store.current(circuit_id)
        if record.meta["mode"] == mode:
            return record.meta
    except Exception:
        pass
    print(f"# making a {mode} key for {circuit_id} (once; cached in {key_dir})", flush=True)
    return run_setup(circuit_id, key_dir, mode, verify_zkey=False)


def node_witness_time(wasm: Path, inputs: dict, runs: int) -> float:
    snarkjs = str(find_node_tool("snarkjs"))
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "input.json").write_text(json.dumps(
            {k: [str(x) for x in v] if isinstance(v, list) else str(v) for k, v in inputs.items()}))
        return timed(lambda: subprocess.run([snarkjs, "wtns", "calculate", str(wasm),
                                             "input.json", "w.wtns"], cwd=tmp, check=True,
                                            capture_output=True), runs)


def bench_circuit(key_dir: Path, circuit_id: str, backends: list[str], runs: int) -> None:
    request = full_request(circuit_id)
    record = KeyStore(key_dir).current(circuit_id)
    c = get_circuit(circuit_id)
    print(f"\n{circuit_id} v{c.version}: {record.meta['constraint_count']} constraints, "
          f"{c.n_in} inputs / {c.n_out} outputs, key mode {record.meta['mode']}")
    inputs = circuit_inputs(request, c.n_in, c.n_out)
    calculator = WitnessCalculator(record.file("circuit.wasm").read_bytes())
    calculator.wtns(inputs)
    wt = timed(lambda: calculator.wtns(inputs), runs)
    baseline = None
    for backend in backends:
        # The benchmark's keys are testing keys unless --full-ceremony made them.
        with Groth16Prover({"key_dir": str(key_dir), "backend": backend, "self_check": False,
                            "timeout_s": 600, "allow_testing_keys": True}) as prover:
            proof = prover.prove(request)  # warm: loads keys in the worker
            prove = timed(lambda: prover.prove(request), runs)
            verify = timed(lambda p=proof: prover.verify(p, request.execution_result_hash), runs)
        baseline = baseline or prove
        print(f"  {backend:10s} prove {prove * 1000:8.1f} ms ({prove / baseline:5.2f}x baseline)"
              f"   verify {verify * 1000:8.1f} ms   (witness in wasmtime included in prove)")
    node = node_witness_time(record.file("circuit.wasm"), inputs, max(2, runs // 2))
    print(f"  witness    wasmtime {wt * 1000:7.1f} ms   snarkjs/node {node * 1000:7.1f} ms "
          f"({node / wt:4.1f}x the wasmtime time, node start-up included)")


def run(quick: bool) -> dict:
    """Figures for ``python -m benchmarks``: the witness in wasmtime against snarkjs' (Node) on
    ispc.draft.v2, and the compiled witness module from the disk cache against compiling it."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import wasmtime

    from benchmarks._harness import alternate, figure
    from ispc_groth16.module_cache import load_module

    key_dir = Path.home() / ".cache" / "ispc-groth16-bench"
    ensure_key(key_dir, "ispc.draft.v2", "testing")
    record = KeyStore(key_dir).current("ispc.draft.v2")
    c = get_circuit("ispc.draft.v2")
    request = full_request("ispc.draft.v2")
    inputs = circuit_inputs(request, c.n_in, c.n_out)
    wasm = record.file("circuit.wasm").read_bytes()
    calculator = WitnessCalculator(wasm)
    calculator.wtns(inputs)
    snarkjs = str(find_node_tool("snarkjs"))
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "input.json").write_text(json.dumps(
            {k: [str(x) for x in v] if isinstance(v, list) else str(v) for k, v in inputs.items()}))
        engine = wasmtime.Engine()
        cache = Path(tmp) / "cache"
        load_module(engine, wasm, cache)  # fill the cache
        samples = alternate({
            "wasmtime": lambda: calculator.wtns(inputs),
            "node": lambda: subprocess.run([snarkjs, "wtns", "calculate", str(record.file(
                "circuit.wasm")), "input.json", "w.wtns"], cwd=tmp, check=True,
                capture_output=True),
            "cached": lambda: load_module(engine, wasm, cache),
            "compile": lambda: wasmtime.Module(engine, wasm),
        }, 2 if quick else 5)
    # What a verifier pays for the draft's commitment: the native sponge against circom's witness
    # (which computes every signal of the circuit to give the commitment).
    from ispc_framework.plugins import draft_commitment

    commitments = alternate({
        "native": lambda: draft_commitment(request, c.n_in, c.n_out),
        "witness": lambda: WitnessCalculator.signals(calculator.wtns(circuit_inputs(
            request, c.n_in, c.n_out)), stop=2)[1],
    }, 3 if quick else 15, number=5)
    return {"figures": [
        figure("witness of ispc.draft.v2 in wasmtime", samples["wasmtime"], "ms", scale=1e3,
               baseline=("snarkjs wtns calculate (node, start-up included)", samples["node"])),
        figure("witness module from the disk cache (checked)", samples["cached"], "ms",
               scale=1e3, baseline=("compiling the 3.9 MB module", samples["compile"])),
        figure("draft commitment of ispc.draft.v2, native Poseidon (1 permutation)",
               commitments["native"], "ms", scale=1e3,
               baseline=("circom's witness generator in wasmtime", commitments["witness"])),
    ]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--key-dir", type=Path,
                        default=Path.home() / ".cache" / "ispc-groth16-bench")
    parser.add_argument("--full-ceremony", action="store_true")
    args = parser.parse_args()
    default_mode = "ceremony" if args.full_ceremony else "testing"
    ensure_key(args.key_dir, "ispc.draft.v2", default_mode)
    ensure_key(args.key_dir, "ispc.draft.v2.small", "ceremony")
    print(f"baseline: groth16py on the same circuit; median of {args.runs} runs")
    bench_circuit(args.key_dir, "ispc.draft.v2",
                  ["groth16py", "snarkjs"] if args.full_ceremony else ["groth16py"], args.runs)
    bench_circuit(args.key_dir, "ispc.draft.v2.small", ["groth16py", "snarkjs"], args.runs)


if __name__ == "__main__":
    main()

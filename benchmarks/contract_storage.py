"""Contract storage benchmarks. Every figure is a ratio against a baseline measured in the same
run, alternating, so machine load affects both sides alike.

* a counter increment (one storage read and write, the delta sealed with a new root) against a
  call of the same contract that only reads (``get``): the cost of a storage write;
* sealing a one-key write against a contract holding N keys: the incremental root (the parent
  root's tree remembered: O(log N)) against recomputing the root from the whole storage
  (O(N log N), what sealing did before the tree became incremental);
* an inclusion proof check against one SHA-256 of 64 bytes x path length.

    .venv/bin/python benchmarks/contract_storage.py [--quick]

Needs the example contracts (bash examples/contracts/build.sh).
"""

from __future__ import annotations

import hashlib
import statistics
import sys
import time
from pathlib import Path

from ispc_framework._hostabi.crypto import CryptoProvider
from ispc_framework._hostabi.state import StateProvider
from ispc_framework._hostabi.v1 import V1Provider
from ispc_framework._model import SealedDraft
from ispc_framework._repository import MemoryRepository
from ispc_framework._model import StateWrite
from ispc_framework._state import apply_writes, build_delta, prove, state_root, verify_proof
from ispc_framework.testing import run_direct
from ispc_wasmtime.engine import WasmtimeEngine

ROOT = Path(__file__).resolve().parents[1]
QUICK = "--quick" in sys.argv
ROUNDS = 5 if QUICK else 15


def alternate(left, right, repeat: int) -> tuple[float, float]:
    """Median seconds per call of each, measured in alternating rounds."""
    lt, rt = [], []
    for _ in range(ROUNDS):
        for fn, sink in ((left, lt), (right, rt)):
            start = time.perf_counter()
            for _ in range(repeat):
                fn()
            sink.append((time.perf_counter() - start) / repeat)
    return statistics.median(lt), statistics.median(rt)


def counter_write_vs_read() -> None:
    code = (ROOT / "examples/contracts/build/counter_c.wasm").read_bytes()
    functions = (V1Provider().host_functions() + CryptoProvider().host_functions()
                 + StateProvider().host_functions())
    engine = WasmtimeEngine()
    compiled = engine.compile(code, functions)
    repo = MemoryRepository()
    repo.create_genesis("bench", 1, [])
    address = repo.store_resource(code)
    view = repo.view()
    first = run_direct(engine, compiled, "increment", functions, code_hash=address,
                       pins=view.head(), view=view)
    repo.apply(first.draft)
    view = repo.view()
    pins = view.head()

    def write():
        assert run_direct(engine, compiled, "increment", functions, code_hash=address,
                          pins=pins, view=view).ok

    def read():
        assert run_direct(engine, compiled, "get", functions, code_hash=address, pins=pins,
                          view=view).ok

    w, r = alternate(write, read, 20 if QUICK else 100)
    print(f"counter increment {w * 1e6:8.0f} us   get {r * 1e6:8.0f} us   ratio {w / r:.2f}x")


def seal_cost() -> None:
    contract = b"\xc0" * 32
    for n in (100, 1000) if QUICK else (100, 1000, 10000):
        items = {i.to_bytes(4, "big"): b"x" * 16 for i in range(n)}
        root = state_root(items)
        build_delta(contract, items, 1, root, [], {b"k": b"v"})  # the first seal builds the tree

        def incremental(items=items, root=root):
            build_delta(contract, items, 1, root, [], {b"k": b"v"})

        def full(items=items):
            state_root(apply_writes(items, [StateWrite(b"k", b"v")]))

        i, f = alternate(incremental, full, 3 if n >= 10000 else 10)
        print(f"seal a write over {n:6d} keys: incremental {i * 1e6:8.0f} us   full recompute "
              f"{f * 1e3:8.2f} ms   ratio {f / i:7.0f}x")


def proof_check() -> None:
    items = {i.to_bytes(4, "big"): b"x" * 16 for i in range(1000)}
    root = state_root(items)
    proof = prove(items, (7).to_bytes(4, "big"))
    data = b"\x00" * 64

    def hashes():
        for _ in range(len(proof.siblings) + 1):
            hashlib.sha256(data).digest()

    v, h = alternate(lambda: verify_proof(proof, root), hashes, 200)
    print(f"proof check (1000 keys, {len(proof.siblings)} siblings) {v * 1e6:6.1f} us   "
          f"{len(proof.siblings) + 1} bare SHA-256 {h * 1e6:6.1f} us   ratio {v / h:.1f}x")


if __name__ == "__main__":
    SealedDraft()  # import check
    counter_write_vs_read()
    seal_cost()
    proof_check()

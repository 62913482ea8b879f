"""Signature checking per transaction and its share of a token transfer.

Measured in one run, alternating: ``check_signatures`` of a one-signer transaction (libsodium
through PyNaCl: encode the body, hash it, verify one Ed25519 signature) against one complete
``Coordinator.execute`` of the example token's ``transfer`` (wasmtime, MemoryRepository,
unproven: proving would dwarf both), which includes that same check.

    .venv/bin/python benchmarks/signatures.py
    .venv/bin/python -m benchmarks --only signatures [--quick]

``run`` also reports transfers/s in memory with and without the signature check (the latter is
the execute time minus the check time, slice by slice: ISPC cannot run an unsigned transaction).
"""

from __future__ import annotations

import statistics
import struct
import time
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._harness import alternate, figure, rates  # noqa: E402
from ispc_framework import Coordinator, MemoryRepository, load_config
from ispc_framework._context import ExecutionRequest
from ispc_framework._coordinator import final_transaction
from ispc_framework._model import (AssetOutput, NativeCoin, ResourceCategory, ResourceOutput,
                                  SealedDraft, TxOutput)
from ispc_framework._signing import devnet_key, verify
from ispc_framework._transaction import check_signatures, sign_request

TOKEN = Path(__file__).resolve().parents[1] / "examples/contracts/build/token_c.wasm"
ROUNDS, CHECKS_PER_ROUND, RUNS_PER_ROUND = 15, 200, 20


def setup():
    alice, bob = devnet_key("alice"), devnet_key("bob")
    repository = MemoryRepository()
    coordinator = Coordinator(load_config(search_cwd=False, environ={}), repository=repository)
    writer = repository.writer()
    writer.create_genesis("bench", 1000, [TxOutput(alice.public_key,
                                                   asset=AssetOutput(NativeCoin(), 1))])
    code = TOKEN.read_bytes()
    token = writer.store_resource(code)
    writer.apply(SealedDraft((), (TxOutput(alice.public_key, resource=ResourceOutput(
        token, ResourceCategory.CONTRACT, "application/wasm", len(code), "token")),), ()))

    genesis = repository.view().block_hash(0)

    def sign(request, spends=()):
        return sign_request(request, [alice], chain_id="bench", genesis_hash=genesis,
                            valid_until=2**64 - 1, spends=spends)

    minted = coordinator.execute(sign(ExecutionRequest(token, "mint", struct.pack("<Q", 500))),
                                 prove=False)
    coin = writer.apply(final_transaction(minted)).created[0]
    transfer = sign(ExecutionRequest(token, "transfer", bob.public_key + struct.pack("<Q", 200)
                                     + bytes([1]) + coin.tx_id + struct.pack("<I", coin.index)),
                    [coin])
    return coordinator, transfer, genesis


def run(quick: bool) -> dict:
    """Figures for ``python -m benchmarks`` (see benchmarks/_harness.py)."""
    coordinator, transfer = setup()
    try:
        coordinator.execute(transfer, prove=False)  # warm: compile, caches
        key, message = devnet_key("alice"), bytes(32)
        signature = key.sign(message)
        checks, runs = (50, 5) if quick else (CHECKS_PER_ROUND, RUNS_PER_ROUND)
        samples = alternate({
            "check": lambda: check_signatures(transfer),
            "raw": lambda: verify(key.public_key, message, signature),
            "execute": lambda: coordinator.execute(transfer, prove=False),
        }, 3 if quick else ROUNDS, number={"check": checks, "raw": checks, "execute": runs})
    finally:
        coordinator.close()
    unsigned = [run - check for run, check in zip(samples["execute"], samples["check"])]
    return {"figures": [
        figure("signature check per transaction (1 signer)", samples["check"], "us",
               scale=1e6, baseline=("one raw Ed25519 verify (libsodium)", samples["raw"])),
        figure("transfers/s in memory, signed (execute, unproven)", rates(samples["execute"]),
               "transfers/s", better="higher",
               baseline=("the same without the signature check", rates(unsigned))),
    ]}


def main() -> None:
    coordinator, transfer, genesis = setup()
    coordinator.execute(transfer, prove=False)  # warm: compile, caches
    checks, runs = [], []
    for _ in range(ROUNDS):  # alternate the two measurements so load changes hit both
        start = time.perf_counter()
        for _ in range(CHECKS_PER_ROUND):
            check_signatures(transfer, genesis)
        checks.append((time.perf_counter() - start) / CHECKS_PER_ROUND)
        start = time.perf_counter()
        for _ in range(RUNS_PER_ROUND):
            coordinator.execute(transfer, prove=False)
        runs.append((time.perf_counter() - start) / RUNS_PER_ROUND)
    check, run = statistics.median(checks), statistics.median(runs)
    key, message = devnet_key("alice"), bytes(32)
    signature = key.sign(message)
    start = time.perf_counter()
    for _ in range(CHECKS_PER_ROUND):
        verify(key.public_key, message, signature)
    raw = (time.perf_counter() - start) / CHECKS_PER_ROUND
    print(f"one Ed25519 verify (libsodium) alone:       {raw * 1e6:8.1f} us")
    print(f"signature check per transaction (1 signer): {check * 1e6:8.1f} us")
    print(f"token transfer, execute unproven:           {run * 1e6:8.1f} us")
    print(f"share of the transfer:                      {check / run:8.1%}")
    coordinator.close()


if __name__ == "__main__":
    main()

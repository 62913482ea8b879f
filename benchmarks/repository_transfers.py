"""Token transfers per second on the default setup (SQLite repository + jsonl trace sink) against
the in-memory repository without a sink, measured in the same run in alternating slices.

One "transfer" is one ``Coordinator.execute`` of the example token's signed ``transfer`` (wasmtime,
signature check, trace, seal; unproven, because proving would dwarf everything else). The ratio
``default / memory`` is the cost of the repository and the sink on the hot path.

Every transfer executes a FRESH SignedTransaction object, decoded from the transfer's canonical
bytes before its slice is timed (as a node receives a transaction; py-evm's peer likewise signs
its transactions outside the timed region). The coordinator keeps a transaction's encoding, body
and id on the object once computed (``_model.Memoised``), so executing one object again and again
would measure those caches; with a fresh object per transfer nothing carries from one transfer to
the next but what a node really reuses (compiled code, the head's pins, configuration).

    .venv/bin/python benchmarks/repository_transfers.py [--quick]

Needs the example contracts (bash examples/contracts/build.sh).
"""

from __future__ import annotations

import statistics
import struct
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ispc_framework import Coordinator, MemoryRepository, load_config
from ispc_framework._context import ExecutionRequest
from ispc_framework._coordinator import final_transaction
from ispc_framework._encoding import decode, encode
from ispc_framework._model import (AssetOutput, NativeCoin, ResourceCategory, ResourceOutput,
                                   SealedDraft, TxOutput)
from ispc_framework._signing import devnet_key
from ispc_framework._transaction import sign_request

TOKEN = Path(__file__).resolve().parents[1] / "examples/contracts/build/token_c.wasm"


def token_chain(coordinator: Coordinator, minted: int = 500, amount: int = 200) -> Any:
    """Genesis, the token deployed, ``minted`` minted to alice: returns alice's signed transfer
    of ``amount`` to bob (its change, ``minted - amount``, is the transfer's output 1)."""
    alice = devnet_key("alice")
    writer = coordinator.repository.writer()
    writer.create_genesis("bench", 1000, [TxOutput(alice.public_key,
                                                   asset=AssetOutput(NativeCoin(), 1))])
    genesis = coordinator.repository.view().block_hash(0)
    code = TOKEN.read_bytes()
    token = writer.store_resource(code)
    writer.apply(SealedDraft((), (TxOutput(alice.public_key, resource=ResourceOutput(
        token, ResourceCategory.CONTRACT, "application/wasm", len(code), "token")),), ()))
    minted_run = coordinator.execute(sign_request(
        ExecutionRequest(token, "mint", struct.pack("<Q", minted)), [alice], chain_id="bench",
        valid_until=2**64 - 1, genesis_hash=genesis), prove=False)
    coin = writer.apply(final_transaction(minted_run)).created[0]
    return token_transfer(token, genesis, coin, amount)


def token_transfer(token: bytes, genesis: bytes, coin: Any, amount: int) -> Any:
    """Alice's signed transfer of ``amount`` of ``token`` to bob, spending her output ``coin``."""
    bob = devnet_key("bob")
    request = ExecutionRequest(token, "transfer", bob.public_key + struct.pack("<Q", amount)
                               + bytes([1]) + coin.tx_id + struct.pack("<I", coin.index))
    return sign_request(request, [devnet_key("alice")], chain_id="bench", valid_until=2**64 - 1,
                        genesis_hash=genesis, spends=[coin])


def default_coordinator(directory: Path) -> Coordinator:
    """The default setup: the sqlite repository and the jsonl sink, as `ispc init` writes it."""
    config = load_config(search_cwd=False, environ={}, overrides={
        "repository.name": "sqlite", "plugin.sqlite.path": str(directory / "ispc.db"),
        "trace.sinks": ["jsonl"], "plugin.jsonl.path": str(directory / "traces.jsonl")})
    return Coordinator(config)


def memory_coordinator() -> Coordinator:
    return Coordinator(load_config(search_cwd=False, environ={}, overrides={"trace.sinks": []}),
                       repository=MemoryRepository())


def bench_figure(name: str, unit: str, samples: list[float], baseline: tuple[str, list[float]],
                 *, better: str, target: tuple[str, float] | None = None) -> dict:
    """One figure in the ``ispc.bench.v1`` schema of ``python -m benchmarks``: medians of the
    samples and of the baseline's (measured in the same alternating slices) and their ratio,
    with the target checked against the ratio."""
    value, base = statistics.median(samples), statistics.median(baseline[1])
    ratio = value / base if base else None
    met = None if target is None or ratio is None else (
        ratio >= target[1] if target[0] == ">=" else ratio <= target[1])
    return {"name": name, "unit": unit, "value": value, "repeats": len(samples),
            "better": better, "baseline": {"name": baseline[0], "value": base}, "ratio": ratio,
            "target": None if target is None else {"op": target[0], "value": target[1],
                                                   "of": "ratio"},
            "met": met}


def fresh_transactions(transaction: Any, count: int) -> list[Any]:
    """``count`` separate objects of ``transaction``, each decoded from its canonical bytes (as a
    node receives a transaction): what one object memoises while it executes cannot speed up
    the next transfer."""
    data = encode(transaction)
    return [decode(data) for _ in range(count)]


def execute_slice(coordinator: Coordinator, transactions: list[Any]) -> float:
    """Seconds per transfer to execute each of ``transactions`` once, unproven (only the
    executions are timed: the objects were decoded before)."""
    began = time.perf_counter()
    for transaction in transactions:
        coordinator.execute(transaction, prove=False)
    return (time.perf_counter() - began) / len(transactions)


def alternate(runs: dict[str, Any], rounds: int, per_slice: int) -> dict[str, list[float]]:
    """Transfers/s of each setup, one sample per round, slices alternating (rotating order);
    every transfer a fresh transaction object."""
    rates: dict[str, list[float]] = {name: [] for name in runs}
    names = list(runs)
    for round_ in range(rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            coordinator, transfer = runs[name]
            rates[name].append(1 / execute_slice(coordinator,
                                                 fresh_transactions(transfer, per_slice)))
    return rates


def run(quick: bool = False) -> dict:
    rounds, per_slice = (3, 30) if quick else (11, 200)
    with tempfile.TemporaryDirectory() as tmp:
        setups = {"memory": memory_coordinator(), "default": default_coordinator(Path(tmp))}
        try:
            runs = {name: (c, token_chain(c)) for name, c in setups.items()}
            for coordinator, transfer in runs.values():  # warm: compile, caches
                coordinator.execute(transfer, prove=False)
            rates = alternate(runs, rounds, per_slice)
        finally:
            for coordinator in setups.values():
                coordinator.close()
    return {"figures": [bench_figure(
        "transfers/s, default setup (sqlite + jsonl) vs in memory", "transfers/s",
        rates["default"], ("in memory, no sink", rates["memory"]), better="higher")],
        "notes": [f"{rounds} alternating slices of {per_slice} unproven token transfers, each a "
                  "fresh transaction object decoded from its bytes before the slice is timed"]}


def print_figures(result: dict) -> None:
    """The figures of a ``run`` result, one line each (for running a module on its own)."""
    for item in result["figures"]:
        line = f"{item['name']}: {item['value']:.2f} {item['unit']}"
        if item["baseline"] is not None:
            line += (f", baseline {item['baseline']['name']} {item['baseline']['value']:.0f}, "
                     f"ratio {item['ratio']:.2f}x")
        print(line)


def main() -> None:
    print_figures(run("--quick" in sys.argv))


if __name__ == "__main__":
    main()

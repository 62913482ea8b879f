"""Token transfers per second against py-evm's ERC-20 transfers, side by side in alternating slices.

    bash benchmarks/peers/setup_pyevm.sh            # once: py-evm in benchmarks/.venv-pyevm
    .venv/bin/python -m benchmarks --only transfers_pyevm [--quick]

ISPC: one ``Coordinator.execute`` of the example token's signed ``transfer`` (signature check,
wasmtime, trace, seal; no proof), on the default setup (SQLite repository + jsonl trace sink) and
on the in-memory repository without sinks. py-evm (the peer, in its own process and virtualenv):
one ERC-20 ``transfer`` applied to an in-memory chain, with a secp256k1 signature recovered per
transaction, or without one (py-evm's SpoofTransaction). py-evm's slices are timed by its own
process (the pipe round trip is not charged). Targets (issue #15): default setup >= 4x py-evm,
in memory >= 8x, both with signatures.

Caching is kept honest: every ISPC transfer executes a FRESH SignedTransaction object, decoded
from the transfer's canonical bytes before the slice is timed (``fresh_transactions`` in
repository_transfers.py), as py-evm's peer signs its transactions before its timed region. The
coordinator memoises a transaction's encoding, body and id on the object (``_model.Memoised``),
so no such cache carries from one transfer to the next; only what a node really reuses does
(compiled code, configuration, the head's pins).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

try:
    from benchmarks._harness import Skip, alternate, figure, rates
except ImportError:  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks._harness import Skip, alternate, figure, rates

TOKEN = Path(__file__).resolve().parents[1] / "examples/contracts/build/token_c.wasm"


def token_transfer(coordinator) -> Any:
    """Genesis, the token deployed, 500 minted to alice: alice's signed transfer to bob (the same
    chain as the repository benchmark's)."""
    from benchmarks.repository_transfers import token_chain

    return token_chain(coordinator)


def ispc_slice(coordinator, transfer, count: int) -> Any:
    """``count`` transfers, each a fresh object decoded from ``transfer``'s bytes outside the
    timed region: seconds per transfer (SelfTimed, as the peer's)."""
    from benchmarks._harness import SelfTimed
    from benchmarks.repository_transfers import execute_slice, fresh_transactions

    return SelfTimed(execute_slice(coordinator, fresh_transactions(transfer, count)))


def run(quick: bool) -> dict:
    from benchmarks.peers.pyevm import PyEvmPeer
    from ispc_framework import Coordinator, MemoryRepository, load_config

    if not TOKEN.is_file():
        raise Skip("examples/contracts/build/token_c.wasm is missing: run examples/contracts/build.sh")
    repeats, per_slice = (3, 20) if quick else (11, 150)
    with tempfile.TemporaryDirectory(prefix="ispc-bench-transfers-") as tmp, PyEvmPeer() as peer:
        default = Coordinator(load_config(search_cwd=False, environ={}, overrides={
            "repository.name": "sqlite", "plugin.sqlite.path": str(Path(tmp) / "ispc.db"),
            "trace.sinks": ["jsonl"], "plugin.jsonl.path": str(Path(tmp) / "traces.jsonl")}))
        memory = Coordinator(load_config(search_cwd=False, environ={},
                                         overrides={"trace.sinks": []}),
                             repository=MemoryRepository())
        try:
            runs = {"default": (default, token_transfer(default)),
                    "memory": (memory, token_transfer(memory))}
            for coordinator, transfer in runs.values():  # warm: compile, caches
                coordinator.execute(transfer, prove=False)
            peer.transfer_slice(per_slice, signed=True)
            # one call = a whole slice, credited per transfer (SelfTimed)
            samples = alternate({
                "default": lambda: ispc_slice(*runs["default"], per_slice),
                "memory": lambda: ispc_slice(*runs["memory"], per_slice),
                "py-evm signed": lambda: peer.transfer_slice(per_slice, signed=True),
                "py-evm unsigned": lambda: peer.transfer_slice(per_slice, signed=False),
            }, repeats)
        finally:
            default.close()
            memory.close()
    evm_signed = rates(samples["py-evm signed"])  # SelfTimed: seconds per transfer
    evm_unsigned = rates(samples["py-evm unsigned"])
    signed = ("py-evm ERC-20 transfer (signed)", evm_signed)
    return {"figures": [
        figure("transfers/s, default setup (sqlite + jsonl), signed", rates(samples["default"]),
               "transfers/s", baseline=signed, better="higher", target=(">=", 4.0),
               target_of="ratio"),
        figure("transfers/s, in memory, no sink, signed", rates(samples["memory"]),
               "transfers/s", baseline=signed, better="higher", target=(">=", 8.0),
               target_of="ratio"),
        figure("py-evm ERC-20 transfers/s without signatures", evm_unsigned, "transfers/s",
               baseline=signed, better="higher"),
    ], "notes": [f"{per_slice} transfers per slice; ISPC transfers are unproven executions "
                 "(every ISPC transaction is signed: the signature check is always included), "
                 "each of a fresh transaction object decoded from its bytes before the slice"]}


if __name__ == "__main__":
    import json

    print(json.dumps(run("--quick" in sys.argv), indent=1))

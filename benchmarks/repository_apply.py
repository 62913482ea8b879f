"""Token transfers executed AND applied, one after another: the default setup (SQLite repository
with its default ``synchronous = "full"``, jsonl sink) against the in-memory repository, the same
SQLite file with ``synchronous = "normal"``, and py-evm's ERC-20 transfers, in alternating slices.

Where repository_transfers.py measures executions alone (nothing is written), here every
transfer becomes a block: ``Coordinator.execute`` (unproven), then the writer's apply of the
run's own result as ``Coordinator.apply_result`` ends (the head compare-and-swap against the
run's pins, the replay record of its transaction id, the spends checked again, all in one write
transaction) without re-verifying a proof there is none of. Each transfer spends the change of
the one before, so every transaction is new and each setup's chain grows block by block.

The transactions are signed before any slice is timed (py-evm's peer likewise signs outside its
clock): block ids are deterministic, so the whole chain of transfers is made once, on a scratch
in-memory chain, and every setup applies the same transactions to its own identical chain.

py-evm's figure is ``VM.apply_transaction`` (benchmarks/peers/pyevm_peer.py): its state
transition, locked in, in memory; the peer is optional here (without it the py-evm figure is
left out, the others still run).

    .venv/bin/python benchmarks/repository_apply.py [--quick]
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

MINTED = 10**12


def apply_own(coordinator: Any, result: Any) -> Any:
    """Apply ``result`` as the block after its pins, as ``apply_result`` does once the result is
    verified: compare-and-swap on the head, the replay record, the spends checked again."""
    from ispc_framework import final_transaction
    from ispc_framework._coordinator import check_spends, spender_of, spent_outpoints
    from ispc_framework._encoding import encode

    spending = spent_outpoints(result.draft)

    def check(reader: Any) -> None:
        current = [reader.utxo(outpoint) for outpoint in spending]
        if tuple(current) != result.spent_outputs:
            raise RuntimeError("an input moved under the benchmark's chain")
        check_spends(current, spender_of(result), spending)

    return coordinator.repository.writer().apply(
        final_transaction(result), expected_head=result.pins, check=check,
        record=(result.transaction_id, encode(result)))


def transfer_chain(count: int) -> list[Any]:
    """``count`` signed transfers of 1 token from alice to bob, each spending the change of the
    one before, made by executing and applying them on a scratch in-memory chain."""
    from benchmarks.repository_transfers import memory_coordinator, token_chain, token_transfer

    scratch = memory_coordinator()
    try:
        transfer = token_chain(scratch, minted=MINTED, amount=1)
        genesis = scratch.repository.view().block_hash(0)
        chain = []
        for _ in range(count):
            chain.append(transfer)
            applied = apply_own(scratch, scratch.execute(transfer, prove=False))
            transfer = token_transfer(transfer.request.resource_hash, genesis,
                                      applied.created[1], 1)  # output 1: alice's change
        return chain
    finally:
        scratch.close()


class ApplyingSetup:
    """One coordinator with its own chain, applying the shared chain of transfers in order."""

    def __init__(self, coordinator: Any, transfers: list[Any]) -> None:
        from benchmarks.repository_transfers import token_chain

        self.coordinator = coordinator
        first = token_chain(coordinator, minted=MINTED, amount=1)
        assert first == transfers[0], "the setups' chains must be identical"
        self._transfers = iter(transfers)

    def one(self) -> None:
        result = self.coordinator.execute(next(self._transfers), prove=False)
        apply_own(self.coordinator, result)


def run(quick: bool) -> dict:
    from benchmarks.repository_transfers import TOKEN, default_coordinator, memory_coordinator
    from ispc_framework import Coordinator, load_config

    if not TOKEN.is_file():
        raise Skip("examples/contracts/build/token_c.wasm is missing: run examples/contracts/build.sh")
    repeats, per_slice, warm = (3, 20, 5) if quick else (11, 150, 20)
    transfers = transfer_chain(warm + repeats * per_slice)
    try:
        from benchmarks.peers.pyevm import PyEvmPeer
        peer: Any = PyEvmPeer()
    except Skip:
        peer = None
    with tempfile.TemporaryDirectory(prefix="ispc-bench-apply-") as tmp:
        normal_dir = Path(tmp) / "normal"
        normal_dir.mkdir()
        coordinators = {
            "default": default_coordinator(Path(tmp)),
            "memory": memory_coordinator(),
            "normal": Coordinator(load_config(search_cwd=False, environ={}, overrides={
                "repository.name": "sqlite", "plugin.sqlite.path": str(normal_dir / "ispc.db"),
                "plugin.sqlite.synchronous": "normal", "trace.sinks": ["jsonl"],
                "plugin.jsonl.path": str(normal_dir / "traces.jsonl")})),
        }
        try:
            setups = {name: ApplyingSetup(c, transfers) for name, c in coordinators.items()}
            for setup in setups.values():  # warm: compile, caches, the file's first pages
                for _ in range(warm):
                    setup.one()
            contenders: dict[str, Any] = {name: setup.one for name, setup in setups.items()}
            number = {name: per_slice for name in setups}
            if peer is not None:
                peer.transfer_slice(per_slice, signed=True)
                # one call = a whole slice, timed by the peer, credited per transfer
                contenders["py-evm"] = lambda: peer.transfer_slice(per_slice, signed=True)
            samples = alternate(contenders, repeats, number=number)
        finally:
            for coordinator in coordinators.values():
                coordinator.close()
            if peer is not None:
                peer.close()
    memory = ("in memory, no sink, executed + applied", rates(samples["memory"]))
    figures = [
        figure("transfers/s executed + applied, default setup (sqlite synchronous=full + jsonl)",
               rates(samples["default"]), "transfers/s", baseline=memory, better="higher"),
        figure("transfers/s executed + applied, sqlite synchronous=normal + jsonl",
               rates(samples["normal"]), "transfers/s", baseline=memory, better="higher"),
    ]
    if peer is not None:
        evm = ("py-evm ERC-20 transfer applied (signed)", rates(samples["py-evm"]))
        figures += [
            figure("transfers/s executed + applied, default setup, vs py-evm",
                   rates(samples["default"]), "transfers/s", baseline=evm, better="higher",
                   target=(">=", 4.0), target_of="ratio"),
            figure("transfers/s executed + applied, in memory, vs py-evm",
                   rates(samples["memory"]), "transfers/s", baseline=evm, better="higher",
                   target=(">=", 8.0), target_of="ratio"),
        ]
    return {"figures": figures, "notes": [
        f"{repeats} alternating slices of {per_slice} token transfers, each executed (unproven) "
        "and applied as a block; every transaction new, signed before the slices",
        "synchronous=full (the default) fsyncs the WAL at every commit: a block survives power "
        "loss; normal survives a crash of the process, not of the machine"
        + ("" if peer is not None else "; py-evm peer not installed: "
           "bash benchmarks/peers/setup_pyevm.sh")]}


def main() -> None:
    from benchmarks.repository_transfers import print_figures

    print_figures(run("--quick" in sys.argv))


if __name__ == "__main__":
    main()

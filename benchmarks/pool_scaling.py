"""Throughput with worker processes: an ExecutionPool of 2 workers against a pool of 1, measured
in the same run in alternating slices (both pools started and warmed beforehand).

The work is the example token's signed ``transfer`` on the default setup (SQLite repository,
jsonl sink), unproven, as in repository_transfers.py. The target is 2 processes >= 1.8x one; on a
machine whose two cores are busy with other work the ratio says more about the machine.

    .venv/bin/python benchmarks/pool_scaling.py [--quick]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from repository_transfers import (bench_figure, default_coordinator,  # noqa: E402
                                  print_figures, token_chain)

from ispc_framework import ExecutionPool  # noqa: E402


def run(quick: bool = False) -> dict:
    rounds, per_slice = (3, 40) if quick else (9, 240)
    with tempfile.TemporaryDirectory() as tmp:
        coordinator = default_coordinator(Path(tmp))
        transfer = token_chain(coordinator)
        config = coordinator.config
        coordinator.close()
        batch = [transfer] * per_slice
        pools = {workers: ExecutionPool(config, workers) for workers in (1, 2)}
        try:
            for pool in pools.values():  # start every worker and warm its caches
                pool.execute_many(batch[:8 * pool.workers], prove=False)
            rates: dict[int, list[float]] = {1: [], 2: []}
            for round_ in range(rounds):
                for workers in ((1, 2) if round_ % 2 == 0 else (2, 1)):
                    began = time.perf_counter()
                    pools[workers].execute_many(batch, prove=False)
                    rates[workers].append(per_slice / (time.perf_counter() - began))
        finally:
            for pool in pools.values():
                pool.close()
    return {"figures": [bench_figure("transfers/s, ExecutionPool of 2 workers vs 1",
                                     "transfers/s", rates[2], ("1 worker", rates[1]),
                                     better="higher", target=(">=", 1.8))],
            "notes": [f"{rounds} alternating slices of {per_slice} unproven token transfers on "
                      "the default setup; the parent only dispatches"]}


def main() -> None:
    print_figures(run("--quick" in sys.argv))


if __name__ == "__main__":
    main()

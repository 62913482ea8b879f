"""Throughput with worker processes: an ExecutionPool of 2 workers against a pool of 1, measured
in the same run in alternating slices (both pools started and warmed beforehand).

The work is the example token's signed ``transfer`` on the default setup (SQLite repository,
jsonl sink), unproven, as in repository_transfers.py. The target is 2 processes >= 1.8x one; on a
machine whose two cores are busy with other work the ratio says more about the machine.

    .venv/bin/python benchmarks/pool_scaling.py [--quick]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from repository_transfers import default_coordinator, token_chain  # noqa: E402

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
            for _ in range(rounds):
                for workers, pool in pools.items():
                    began = time.perf_counter()
                    pool.execute_many(batch, prove=False)
                    rates[workers].append(per_slice / (time.perf_counter() - began))
        finally:
            for pool in pools.values():
                pool.close()
    one, two = statistics.median(rates[1]), statistics.median(rates[2])
    return {
        "name": "pool_scaling", "unit": "transfers/s", "baseline": "1 worker",
        "figures": {"1 worker": {"value": one, "ratio": 1.0},
                    "2 workers": {"value": two, "ratio": two / one}},
        "rounds": rounds, "per_slice": per_slice,
    }


def main() -> None:
    report = run("--quick" in sys.argv)
    print(f"{'pool':<12}{report['unit']:>14}{'vs 1 worker':>13}")
    for name, figure in report["figures"].items():
        print(f"{name:<12}{figure['value']:>14.0f}{figure['ratio']:>12.2f}x")


if __name__ == "__main__":
    main()

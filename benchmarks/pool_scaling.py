"""Throughput with worker processes: an ExecutionPool of 2 workers against a pool of 1 and against
this process's own Coordinator, measured in the same run in alternating slices (the pools started
and warmed beforehand; each round rotates which setup goes first).

The work is the example token's signed ``transfer`` on the default setup (SQLite repository,
jsonl sink), unproven, as in repository_transfers.py. The target is 2 processes >= 1.8x one: the
pool of 1 (a parent dispatching to one worker) is the baseline the target is checked against,
the in-process coordinator (one process doing everything, no pickling) the stricter one. What
the machine itself allows is measured too: two independent processes, each with its own
Coordinator and its own transactions (no parent, no pickling), against one such process. On a
machine whose two cores are busy with other work the wall-clock ratios say more about the
machine, so the CPU times are reported too, and what they give for two idle cores.

    .venv/bin/python benchmarks/pool_scaling.py [--quick]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from multiprocessing import get_context
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from repository_transfers import (bench_figure, default_coordinator,  # noqa: E402
                                  fresh_transactions, print_figures, token_chain)

from ispc_framework import ExecutionPool  # noqa: E402
from ispc_framework._encoding import encode  # noqa: E402


def cpu_seconds(pids: list[int]) -> float:
    """CPU seconds of these processes so far, all their threads (Linux ``schedstat``: nanoseconds;
    ``/proc/PID/stat``'s 10 ms ticks were ±15% of a quick slice)."""
    total = 0
    for pid in pids:
        for task in Path(f"/proc/{pid}/task").iterdir():
            total += int((task / "schedstat").read_text().split()[0])
    return total / 1e9


def _alone(config: object, data: bytes, conn: Connection) -> None:
    """A process of its own: for each count received, execute that many fresh transfers with
    its own Coordinator and answer (wall seconds, CPU seconds)."""
    from ispc_framework import Coordinator
    from ispc_framework._encoding import decode

    coordinator = Coordinator(config)  # type: ignore[arg-type]
    while count := conn.recv():
        batch = [decode(data) for _ in range(count)]
        cpu, began = time.process_time(), time.perf_counter()
        for transaction in batch:
            coordinator.execute(transaction, prove=False)
        conn.send((time.perf_counter() - began, time.process_time() - cpu))
    coordinator.close()


def _alone_slice(conns: list[Connection], per_slice: int) -> tuple[float, float]:
    """Transfers/s of these independent processes together, each running ``per_slice`` at the
    same moment, and their CPU per transfer."""
    for conn in conns:
        conn.send(per_slice)
    answers = [conn.recv() for conn in conns]
    return (len(conns) * per_slice / max(wall for wall, _ in answers),
            sum(cpu for _, cpu in answers) / (len(conns) * per_slice) * 1e6)


def run(quick: bool = False) -> dict:
    rounds, per_slice = (5, 60) if quick else (11, 240)
    with tempfile.TemporaryDirectory() as tmp:
        coordinator = default_coordinator(Path(tmp))
        transfer = token_chain(coordinator)
        pools = {workers: ExecutionPool(coordinator.config, workers) for workers in (1, 2)}
        context = get_context("fork")
        pipes = [context.Pipe() for _ in range(2)]
        alone = [context.Process(target=_alone, args=(coordinator.config, encode(transfer),
                                                      child), daemon=True)
                 for _, child in pipes]
        conns = [parent_end for parent_end, _ in pipes]
        for process in alone:
            process.start()
        try:
            for pool in pools.values():  # start every worker and warm its caches
                pool.execute_many(fresh_transactions(transfer, 16 * pool.workers), prove=False)
            for transaction in fresh_transactions(transfer, 16):
                coordinator.execute(transaction, prove=False)
            _alone_slice(conns, 16)

            def in_process(batch: list) -> None:
                for transaction in batch:
                    coordinator.execute(transaction, prove=False)
            setups: dict[str, tuple[Callable[[list], object], list[int]]] = {
                "in process": (in_process, []),
                "1 worker": (lambda batch: pools[1].execute_many(batch, prove=False),
                             pools[1].worker_pids),
                "2 workers": (lambda batch: pools[2].execute_many(batch, prove=False),
                              pools[2].worker_pids)}
            rates: dict[str, list[float]] = {name: [] for name in [*setups, "1 alone", "2 alone"]}
            parent: dict[str, list[float]] = {name: [] for name in setups}  # us per transfer
            workers: dict[str, list[float]] = {name: [] for name in rates}
            names = [*setups, "1 alone", "2 alone"]
            for round_ in range(rounds):
                for name in names[round_ % 5:] + names[:round_ % 5]:
                    if name.endswith("alone"):
                        rate, cpu_per = _alone_slice(conns[:int(name[0])], per_slice)
                        rates[name].append(rate)
                        workers[name].append(cpu_per)
                        continue
                    execute, pids = setups[name]
                    batch = fresh_transactions(transfer, per_slice)  # before the slice is timed
                    cpu, worker_before = time.process_time(), cpu_seconds(pids)
                    began = time.perf_counter()
                    execute(batch)
                    rates[name].append(per_slice / (time.perf_counter() - began))
                    parent[name].append((time.process_time() - cpu) / per_slice * 1e6)
                    workers[name].append((cpu_seconds(pids) - worker_before) / per_slice * 1e6)
        finally:
            for pool in pools.values():
                pool.close()
            for conn in conns:
                conn.send(0)
            for process in alone:
                process.join()
            coordinator.close()
    median = statistics.median
    one, two, alone = median(workers["1 worker"]), median(workers["2 workers"]), \
        median(parent["in process"])
    two_total = two + median(parent["2 workers"])
    # Two idle cores: one worker runs a transfer in its CPU time while the parent has the other
    # core; two workers and the parent share both cores; in process, one core does it all.
    estimate_one = 2 / two_total * max(one, median(parent["1 worker"]))
    estimate_alone = 2 / two_total * alone
    return {"figures": [
        bench_figure("transfers/s, ExecutionPool of 2 workers vs 1", "transfers/s",
                     rates["2 workers"], ("1 worker", rates["1 worker"]), better="higher",
                     target=(">=", 1.8)),
        bench_figure("transfers/s, ExecutionPool of 2 workers vs in process", "transfers/s",
                     rates["2 workers"], ("Coordinator.execute in process",
                                          rates["in process"]), better="higher"),
        bench_figure("transfers/s, 2 independent processes vs 1 (the machine's ceiling)",
                     "transfers/s", rates["2 alone"], ("1 process", rates["1 alone"]),
                     better="higher"),
        bench_figure("CPU per transfer, 2 independent processes vs 1 (us)", "us",
                     workers["2 alone"], ("1 process", workers["1 alone"]), better="lower"),
        bench_figure("parent CPU per transfer, 2 workers (us)", "us", parent["2 workers"],
                     ("worker CPU per transfer, 2 workers", workers["2 workers"]),
                     better="lower"),
        bench_figure("parent CPU per transfer, 1 worker (us)", "us", parent["1 worker"],
                     ("worker CPU per transfer, 1 worker", workers["1 worker"]), better="lower"),
        bench_figure("worker CPU per transfer, 2 workers (us)", "us", workers["2 workers"],
                     ("1 worker", workers["1 worker"]), better="lower"),
        bench_figure("worker CPU per transfer, 1 worker (us)", "us", workers["1 worker"],
                     ("CPU per transfer in process", parent["in process"]), better="lower"),
        _estimate("2 workers vs 1 on two idle cores, estimated from CPU times", estimate_one,
                  rounds, 1.8),
        _estimate("2 workers vs in process on two idle cores, estimated from CPU times",
                  estimate_alone, rounds, None)],
        "notes": [f"{rounds} rounds of alternating slices (rotating order) of {per_slice} "
                  "unproven token transfers on the default setup, each a fresh transaction "
                  "object; the pools' parent only dispatches (execute_many), 'in process' is "
                  "this process's Coordinator.execute; 'independent processes': forked "
                  "processes with a Coordinator each, started together on their own "
                  "transactions (the rate is both counts over the slower one's wall time)",
                  "estimates: (2 / (worker + parent CPU per transfer, 2 workers)) / (1 / worker "
                  "CPU per transfer, 1 worker) and / (1 / CPU per transfer in process): what "
                  "the CPU times give when no other work shares the two cores (with other "
                  "work, a worker's CPU per transfer grows when both cores are busy: shared "
                  "caches); the wall-clock ratios are the measured ones"]}


def _estimate(name: str, value: float, rounds: int, target: float | None) -> dict:
    return {"name": name, "unit": "x", "value": value, "repeats": rounds, "better": "higher",
            "baseline": None, "ratio": None,
            "target": None if target is None else {"op": ">=", "value": target, "of": "value"},
            "met": None if target is None else value >= target}


def main() -> None:
    print_figures(run("--quick" in sys.argv))


if __name__ == "__main__":
    main()

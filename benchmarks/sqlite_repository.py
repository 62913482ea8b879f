"""Benchmark of ispc-sqlite: UTXO lookups per second and applies per second on this machine.

Baselines measured in the same run: the core's MemoryRepository (same protocol, no storage) and a
bare ``SELECT body ... WHERE tx_id = ? AND idx = ?`` on a sqlite3 connection (the floor for a
lookup through SQLite from Python). Ratios are printed against them.

    python benchmarks/sqlite_repository.py [--quick]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path

from ispc_framework._model import AssetOutput, NativeCoin, SealedDraft, TxInput, TxOutput
from ispc_framework._repository import MemoryRepository
from ispc_sqlite import SqliteRepository

OWNERS = [i.to_bytes(32, "big") for i in range(1, 101)]


def coin(owner: bytes, amount: int) -> TxOutput:
    return TxOutput(owner, asset=AssetOutput(NativeCoin(), amount))


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def timed(fn, count: int) -> float:
    start = time.perf_counter()
    fn()
    return rate(count, time.perf_counter() - start)


def lookups(view, outpoints, count: int, method: str = "utxo") -> float:
    picks = [outpoints[i % len(outpoints)] for i in range(count)]
    call = getattr(view, method)

    def run():
        for op in picks:
            call(op)
    return timed(run, count)


def raw_lookups(path: Path, outpoints, count: int) -> float:
    conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    picks = [outpoints[i % len(outpoints)] for i in range(count)]

    def run():
        for op in picks:
            conn.execute("SELECT body FROM outputs WHERE tx_id = ? AND idx = ? AND spent_height "
                         "IS NULL LIMIT 1", (op.tx_id, op.index)).fetchall()
    result = timed(run, count)
    conn.close()
    return result


def applies(repo, start_outpoints, count: int) -> float:
    """Each apply spends two outputs and creates two (the chain never runs dry)."""
    pool = list(start_outpoints)
    rng = random.Random(1)
    writer = repo.writer()

    def run():
        for _ in range(count):
            a, b = pool.pop(rng.randrange(len(pool))), pool.pop(rng.randrange(len(pool)))
            draft = SealedDraft((TxInput(a), TxInput(b)),
                                (coin(rng.choice(OWNERS), 1), coin(rng.choice(OWNERS), 1)), ())
            pool.extend(writer.apply(draft).created)
    return timed(run, count)


def fresh(kind: str, directory: Path, allocations):
    repo = MemoryRepository() if kind == "memory" else \
        SqliteRepository(directory / f"{kind}.db", synchronous=kind)
    genesis = repo.writer().create_genesis("bench", 0, allocations)
    return repo, genesis.created


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small counts (a smoke run)")
    args = parser.parse_args()
    n_utxo, n_lookup, n_apply_mem, n_apply_full, n_apply_normal = \
        (2_000, 5_000, 300, 50, 300) if args.quick else (20_000, 50_000, 3_000, 300, 2_000)
    allocations = [coin(OWNERS[i % len(OWNERS)], 1_000) for i in range(n_utxo)]
    rows = []
    with tempfile.TemporaryDirectory(prefix="ispc-sqlite-bench-") as tmp:
        directory = Path(tmp)
        memory, mem_ops = fresh("memory", directory, allocations)
        full, full_ops = fresh("full", directory, allocations)
        normal, normal_ops = fresh("normal", directory, allocations)

        mem_lookup = lookups(memory.view(), mem_ops, n_lookup)
        raw_lookup = raw_lookups(full.path, full_ops, n_lookup)
        sql_lookup = lookups(full.view(), full_ops, n_lookup)
        sql_exists = lookups(full.view(), full_ops, n_lookup, "utxo_exists")
        rows += [("utxo lookup", "MemoryRepository (baseline)", mem_lookup, 1.0),
                 ("utxo lookup", "bare sqlite3 SELECT (floor)", raw_lookup,
                  raw_lookup / mem_lookup),
                 ("utxo lookup", "SqliteChainView.utxo_exists (no decode)", sql_exists,
                  sql_exists / mem_lookup),
                 ("utxo lookup", "SqliteChainView.utxo", sql_lookup, sql_lookup / mem_lookup)]

        # Readers keep working during applies: the same lookups while a thread applies blocks.
        stop = threading.Event()

        def keep_applying():
            pool = list(normal_ops[n_utxo // 2:])
            writer = normal.writer()
            while not stop.is_set() and len(pool) >= 2:
                a, b = pool.pop(), pool.pop()
                pool[:0] = writer.apply(SealedDraft((TxInput(a), TxInput(b)),
                                                    (coin(OWNERS[0], 1), coin(OWNERS[1], 1)),
                                                    ())).created
        applier = threading.Thread(target=keep_applying)
        applier.start()
        busy_lookup = lookups(normal.view(), normal_ops[: n_utxo // 2], n_lookup)
        stop.set()
        applier.join()
        rows.append(("utxo lookup", "SqliteChainView.utxo during applies", busy_lookup,
                     busy_lookup / mem_lookup))

        mem_apply = applies(memory, mem_ops, n_apply_mem)
        full_apply = applies(full, full_ops, n_apply_full)
        normal_apply = applies(normal, normal_ops[: n_utxo // 2], n_apply_normal)
        rows += [("apply 2-in/2-out", "MemoryRepository (baseline)", mem_apply, 1.0),
                 ("apply 2-in/2-out", "sqlite synchronous=full", full_apply,
                  full_apply / mem_apply),
                 ("apply 2-in/2-out", "sqlite synchronous=normal", normal_apply,
                  normal_apply / mem_apply)]
        problems = full.verify() + normal.verify()
        full.close()
        normal.close()

    print(f"ispc-sqlite benchmark (Python {sys.version.split()[0]}, SQLite "
          f"{sqlite3.sqlite_version}, {n_utxo} UTXOs{', quick' if args.quick else ''})")
    print(f"{'operation':<18} {'implementation':<38} {'per second':>12} {'vs baseline':>12}")
    for operation, implementation, per_second, ratio in rows:
        print(f"{operation:<18} {implementation:<38} {per_second:>12,.0f} {ratio:>11.3f}x")
    print("verify after the run:", "ok" if not problems else problems)


if __name__ == "__main__":
    main()

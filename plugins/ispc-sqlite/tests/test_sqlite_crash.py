"""Crash safety: a process applying drafts in a loop is SIGKILLed at random moments; after each
kill the file must pass ``PRAGMA integrity_check``, hold every block it reported as committed,
hold no partial block, and no outpoint may be both spent and unspent."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from ispc_framework.plugins import decode
from ispc_framework.plugins import NativeCoin
from ispc_sqlite import SqliteRepository

WORKER = Path(__file__).with_name("sqlite_crash_worker.py")
ROUNDS = 8
OWNERS = [bytes([n]) * 32 for n in range(1, 9)]
SUPPLY = 8 * 1_000


def _run_and_kill(path: Path, seed: int, lifetime: float) -> list[tuple[int, str]]:
    """Start a worker, wait for its first applied block (so a slow start on a loaded machine
    does not eat the round), let it run ``lifetime`` seconds more, then SIGKILL it."""
    worker = subprocess.Popen([sys.executable, str(WORKER), str(path), str(seed)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = worker.stdout.readline()
    if first:
        time.sleep(lifetime)
    os.kill(worker.pid, signal.SIGKILL)
    out, err = worker.communicate(timeout=30)
    assert first and worker.returncode == -signal.SIGKILL, f"worker ended on its own:\n{err}"
    return [(int(h), block_hash) for h, block_hash in
            (line.split() for line in (first + out).splitlines() if line.count(" ") == 1)]


def _check_after_crash(path: Path, reported: list[tuple[int, str]], context: str) -> int:
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)], context
    raw.close()
    with SqliteRepository(path) as repo:
        assert repo.verify() == [], context  # every block complete, ids and links re-derived
        view = repo.view()
        for height, block_hash in reported:  # committed before the kill, so still there
            assert view.block_hash(height) == bytes.fromhex(block_hash), context
        spent = set()
        for (raw_draft,) in view.query("SELECT draft FROM blocks"):
            spent |= {i.outpoint for i in decode(raw_draft).inputs if not i.reference_only}
        unspent = {op for owner in OWNERS for op, _ in view.utxos_of(owner)}
        assert not spent & unspent, context
        assert all(view.was_spent(op) and not view.utxo_exists(op) for op in spent), context
        coins = sum(out.asset.amount for owner in OWNERS for _, out in view.utxos_of(owner)
                    if out.asset is not None and out.asset.token == NativeCoin())
        assert coins == SUPPLY, context  # a half-applied draft would break conservation
        return view.head().height


def test_sigkill_during_applies_leaves_a_consistent_file(tmp_path):
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    path = tmp_path / "crash.db"
    heights = []
    for round_number in range(ROUNDS):
        lifetime = rng.uniform(0.0, 1.2)
        context = f"seed={seed} round={round_number} lifetime={lifetime:.2f}s"
        reported = _run_and_kill(path, rng.randrange(2**31), lifetime)
        heights.append(_check_after_crash(path, reported, context))
    assert heights == sorted(heights) and heights[-1] > ROUNDS, heights  # progress was made

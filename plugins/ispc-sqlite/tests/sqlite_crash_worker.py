"""Applies drafts to an ispc-sqlite database in a loop until killed (driven by
test_sqlite_crash.py). Prints ``height block_hash_hex`` after each apply returns, so the test
knows which blocks were committed before the SIGKILL.

Every draft conserves the native coin (outputs sum to the spent inputs), so a block applied
halfway would show up as a wrong total.

Usage: python sqlite_crash_worker.py DATABASE SEED
"""

from __future__ import annotations

import random
import sys

from ispc_framework.plugins import (
    AssetOutput,
    NativeCoin,
    ResourceCategory,
    ResourceOutput,
    SealedDraft,
    StateOutput,
    TxInput,
    TxOutput,
)
from ispc_sqlite import SqliteRepository

OWNERS = [bytes([n]) * 32 for n in range(1, 9)]
SUPPLY_PER_OWNER = 1_000


def coin(owner: bytes, amount: int) -> TxOutput:
    return TxOutput(owner, asset=AssetOutput(NativeCoin(), amount))


def split(rng: random.Random, total: int, parts: int) -> list[int]:
    cuts = sorted(rng.randint(0, total) for _ in range(parts - 1))
    return [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]


def main(path: str, seed: int) -> None:
    rng = random.Random(seed)
    repo = SqliteRepository(path)
    writer = repo.writer()
    with repo.view() as view:
        fresh = not view.blocks(1)
    if fresh:
        writer.create_genesis("crash-test", 0, [coin(o, SUPPLY_PER_OWNER) for o in OWNERS])
    while True:
        with repo.view() as view:  # a view is a snapshot: a new one sees the last block
            unspent = [(op, out) for owner in OWNERS for op, out in view.utxos_of(owner)
                       if out.asset is not None]
        spend = rng.sample(unspent, rng.randint(1, min(3, len(unspent))))
        others = [item for item in unspent if item not in spend]
        inputs = [TxInput(op) for op, _ in spend]
        if others and rng.random() < 0.3:
            inputs.append(TxInput(rng.choice(others)[0], reference_only=True))
        total = sum(out.asset.amount for _, out in spend)
        outputs = [coin(rng.choice(OWNERS), amount)
                   for amount in split(rng, total, rng.randint(1, 4))]
        if rng.random() < 0.3:
            blob = rng.randbytes(rng.randint(1, 20_000))
            key = writer.store_resource(blob)
            outputs.append(TxOutput(rng.choice(OWNERS), resource=ResourceOutput(
                key, ResourceCategory.STATIC, "application/octet-stream", len(blob), "blob")))
        if rng.random() < 0.3:
            outputs.append(TxOutput(OWNERS[0], state=StateOutput(
                bytes(32), rng.randint(0, 2**64 - 1), rng.randbytes(32))))
        applied = writer.apply(SealedDraft(tuple(inputs), tuple(outputs), ()))
        print(applied.block.height, applied.block.block_hash.hex(), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))

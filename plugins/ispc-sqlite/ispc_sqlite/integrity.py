"""Check a database file end to end: SQLite's own checks, then the chain's rules re-derived.

Used after a crash (the SIGKILL test), by ``SqliteRepository.verify()`` and so by ``ispc doctor``.
Everything is read in one read transaction, so a concurrent writer cannot make it see half a block.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ispc_framework.plugins import decode, encode
from ispc_framework.plugins import (
    GENESIS_PARENT,
    block_hash_of,
    content_hash,
    transaction_id_of,
)

from .connection import open_reader
from .schema import from_u64, u64

__all__ = ["verify_database"]


def verify_database(path: str | Path, *, busy_timeout_ms: int = 5000) -> list[str]:
    """Return a list of problems; an empty list means the file is consistent."""
    conn = open_reader(Path(path), busy_timeout_ms=busy_timeout_ms, pragmas=True)
    try:
        conn.execute("BEGIN")
        try:
            return _sqlite_checks(conn) + _chain_checks(conn)
        finally:
            conn.execute("COMMIT")
    finally:
        conn.close()


def _sqlite_checks(conn: sqlite3.Connection) -> list[str]:
    problems = [f"integrity_check: {row[0]}" for row in conn.execute("PRAGMA integrity_check")
                if row[0] != "ok"]
    problems += [f"foreign_key_check: {row}" for row in conn.execute("PRAGMA foreign_key_check")]
    return problems


def _chain_checks(conn: sqlite3.Connection) -> list[str]:
    problems: list[str] = []
    chain_id = conn.execute("SELECT chain_id FROM chain_state").fetchone()[0]
    expected_spends: dict[tuple[bytes, int], int] = {}
    parent = GENESIS_PARENT
    previous_height = -1
    for height, raw_ts, block_hash, parent_hash, tx_id, count, raw_draft in conn.execute(
            "SELECT * FROM blocks ORDER BY height"):
        where = f"block {height}"
        if height != previous_height + 1:
            problems.append(f"{where}: heights jump from {previous_height}")
        previous_height = height
        draft = decode(raw_draft)
        if parent_hash != parent:
            problems.append(f"{where}: parent hash does not link to block {height - 1}")
        if tx_id != transaction_id_of(draft, height):
            problems.append(f"{where}: transaction id does not match its draft")
        if block_hash != block_hash_of(parent_hash, height, from_u64(raw_ts), chain_id, tx_id):
            problems.append(f"{where}: block hash does not match its contents")
        if count != len(draft.outputs):
            problems.append(f"{where}: output_count {count} but the draft has {len(draft.outputs)}")
        rows = conn.execute("SELECT idx, height, body FROM outputs WHERE tx_id = ? ORDER BY idx",
                            (tx_id,)).fetchall()
        if [(idx, h, bytes(body)) for idx, h, body in rows] != \
                [(i, height, encode(out)) for i, out in enumerate(draft.outputs)]:
            problems.append(f"{where}: stored outputs differ from the draft's outputs")
        states = conn.execute("SELECT idx, state_id, version FROM state_outputs WHERE tx_id = ? "
                              "ORDER BY idx", (tx_id,)).fetchall()
        if states != [(i, out.state.state_id, u64(out.state.version))
                      for i, out in enumerate(draft.outputs) if out.state is not None]:
            problems.append(f"{where}: state_outputs differ from the draft's state outputs")
        for tx_input in draft.inputs:
            if not tx_input.reference_only:
                op = tx_input.outpoint
                expected_spends[(op.tx_id, op.index)] = height
        parent = block_hash
    actual_spends = {(tx_id, idx): h for tx_id, idx, h in conn.execute(
        "SELECT tx_id, idx, spent_height FROM outputs WHERE spent_height IS NOT NULL")}
    if actual_spends != expected_spends:
        wrong = set(actual_spends.items()) ^ set(expected_spends.items())
        problems.append(f"spent markers disagree with the blocks' inputs at {len(wrong)} outpoints")
    orphans = conn.execute("SELECT count(*) FROM outputs AS o JOIN blocks AS b USING (height) "
                           "WHERE o.tx_id != b.transaction_id").fetchone()[0]
    if orphans:
        problems.append(f"{orphans} outputs carry a transaction id their block does not have")
    for key, size, content in conn.execute("SELECT content_hash, size, content FROM resources"):
        if content_hash(content) != key or size != len(content):
            problems.append(f"resource {bytes(key).hex()[:16]}: content does not match its hash")
    revision = conn.execute("SELECT revision FROM chain_state").fetchone()[0]
    writes = previous_height + 1 + conn.execute("SELECT count(*) FROM resources").fetchone()[0]
    if revision != writes:
        problems.append(f"revision {revision} but {writes} writes are recorded")
    return problems

"""Contract storage in SQLite: the queries the read-only view and the writer share.

History is kept, never overwritten: ``contract_storage`` has one row per (contract, key, height)
a key was written at (``value`` NULL for a delete), ``contract_storage_versions`` one row per
height a contract's storage changed at, with its version and sparse-Merkle root. Reading "as of
height h" takes, per key, the newest row at or below h; both primary keys are the indexes those
lookups use (``(contract, key, height)`` and ``(contract, height)``).
"""

from __future__ import annotations

import sqlite3

from ispc_framework.plugins import EMPTY_ROOT, StateDelta

from .schema import from_u64, u64

__all__ = ["state_get", "state_items", "state_version", "write_delta"]


def state_get(conn: sqlite3.Connection, contract: bytes, key: bytes, height: int) -> bytes | None:
    row = conn.execute("SELECT value FROM contract_storage WHERE contract = ? AND key = ? AND "
                       "height <= ? ORDER BY height DESC LIMIT 1",
                       (contract, key, height)).fetchone()
    return None if row is None or row[0] is None else bytes(row[0])


def state_items(conn: sqlite3.Connection, contract: bytes, height: int) -> dict[bytes, bytes]:
    rows = conn.execute(
        "SELECT s.key, s.value FROM contract_storage AS s WHERE s.contract = ? AND s.height = "
        "(SELECT MAX(height) FROM contract_storage WHERE contract = s.contract AND key = s.key "
        "AND height <= ?) AND s.value IS NOT NULL ORDER BY s.key", (contract, height)).fetchall()
    return {bytes(key): bytes(value) for key, value in rows}


def state_version(conn: sqlite3.Connection, contract: bytes, height: int) -> tuple[int, bytes]:
    row = conn.execute("SELECT version, root FROM contract_storage_versions WHERE contract = ? "
                       "AND height <= ? ORDER BY height DESC LIMIT 1",
                       (contract, height)).fetchone()
    return (0, EMPTY_ROOT) if row is None else (from_u64(row[0]), bytes(row[1]))


def write_delta(conn: sqlite3.Connection, delta: StateDelta, height: int) -> None:
    """Record a delta's writes and new version at ``height`` (inside the apply transaction)."""
    if not delta.writes:
        return
    conn.executemany("INSERT INTO contract_storage VALUES (?, ?, ?, ?)",
                     [(delta.contract, write.key, height, write.value) for write in delta.writes])
    conn.execute("INSERT INTO contract_storage_versions VALUES (?, ?, ?, ?)",
                 (delta.contract, height, u64(delta.version), delta.root))

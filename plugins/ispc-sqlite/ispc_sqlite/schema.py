"""The versioned schema and its migrations.

``PRAGMA application_id`` marks the file as ours; ``PRAGMA user_version`` is the schema version.
Each migration runs in its own ``BEGIN IMMEDIATE`` transaction together with the version bump, so
a crash mid-migration leaves the previous version intact, and two processes opening an old file at
once migrate it exactly once.

Unsigned 64-bit values (timestamps, state versions) are stored as 8-byte big-endian BLOBs: SQLite
integers are signed, and big-endian bytes keep the ordering.
"""

from __future__ import annotations

import sqlite3
import struct
from collections.abc import Callable

from ispc_framework.plugins import decode
from ispc_framework.plugins import SchemaError

__all__ = ["APPLICATION_ID", "SCHEMA_VERSION", "MIGRATIONS", "ensure_schema", "u64", "from_u64"]

APPLICATION_ID = 0x49535043  # "ISPC"


def u64(value: int) -> bytes:
    return struct.pack(">Q", value)


def from_u64(raw: bytes) -> int:
    return struct.unpack(">Q", raw)[0]


_V1 = """
CREATE TABLE chain_state (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 0),
    chain_id  TEXT,                         -- NULL until the genesis block exists
    revision  INTEGER NOT NULL              -- +1 on every committed write
);
INSERT INTO chain_state VALUES (0, NULL, 0);

CREATE TABLE blocks (
    height         INTEGER PRIMARY KEY,
    timestamp      BLOB NOT NULL,           -- u64 big-endian
    block_hash     BLOB NOT NULL UNIQUE,
    parent_hash    BLOB NOT NULL,
    transaction_id BLOB NOT NULL UNIQUE,
    output_count   INTEGER NOT NULL,
    draft          BLOB NOT NULL            -- canonical encoding of the applied SealedDraft
);

CREATE TABLE outputs (
    tx_id         BLOB NOT NULL,
    idx           INTEGER NOT NULL,
    height        INTEGER NOT NULL REFERENCES blocks (height),
    owner         BLOB NOT NULL,
    resource_hash BLOB,                     -- set for resource outputs only
    body          BLOB NOT NULL,            -- canonical encoding of the TxOutput
    spent_height  INTEGER REFERENCES blocks (height),   -- NULL while unspent
    PRIMARY KEY (tx_id, idx)
) WITHOUT ROWID;
CREATE INDEX outputs_unspent_by_owner ON outputs (owner, height, idx)
    WHERE spent_height IS NULL;
CREATE INDEX outputs_unspent_by_resource ON outputs (resource_hash, height, idx)
    WHERE resource_hash IS NOT NULL AND spent_height IS NULL;

CREATE TABLE resources (
    content_hash BLOB NOT NULL UNIQUE,      -- SHA-256 of content: one row per distinct content
    size         INTEGER NOT NULL,
    content      BLOB NOT NULL
);
"""

_V2 = """
CREATE TABLE state_outputs (
    state_id              BLOB NOT NULL,
    version               BLOB NOT NULL,    -- u64 big-endian
    height                INTEGER NOT NULL REFERENCES blocks (height),
    tx_id                 BLOB NOT NULL,
    idx                   INTEGER NOT NULL,
    execution_result_hash BLOB NOT NULL,
    PRIMARY KEY (tx_id, idx),
    FOREIGN KEY (tx_id, idx) REFERENCES outputs (tx_id, idx)
) WITHOUT ROWID;
CREATE INDEX state_outputs_by_id ON state_outputs (state_id, height, idx);
"""


_V3 = """
CREATE TABLE contract_storage (
    contract BLOB NOT NULL,                 -- the contract's address: storage is per contract
    key      BLOB NOT NULL,
    height   INTEGER NOT NULL REFERENCES blocks (height),
    value    BLOB,                          -- NULL: deleted at this height
    PRIMARY KEY (contract, key, height)
) WITHOUT ROWID;
CREATE TABLE contract_storage_versions (
    contract BLOB NOT NULL,
    height   INTEGER NOT NULL REFERENCES blocks (height),
    version  BLOB NOT NULL,                 -- u64 big-endian
    root     BLOB NOT NULL,                 -- sparse Merkle root (ispc_framework._state)
    PRIMARY KEY (contract, height)
) WITHOUT ROWID;
"""

_V4 = """
CREATE TABLE applied_transactions (
    transaction_id BLOB PRIMARY KEY,        -- the signed transaction's id: applied at most once
    height         INTEGER NOT NULL REFERENCES blocks (height),
    result         BLOB NOT NULL            -- canonical encoding of the applied result
) WITHOUT ROWID;
"""


_V5 = """
ALTER TABLE resources ADD COLUMN available_height INTEGER NOT NULL DEFAULT 0
"""
# v5: a blob stored while the head is at height h is available from block h + 1 on, so a view
# pinned to a block sees the same blobs whenever it is read; blobs of older files stay at 0.


def _run_script(script: str) -> Callable[[sqlite3.Connection], None]:
    # executescript() would COMMIT the surrounding transaction; run statement by statement instead.
    def run(conn: sqlite3.Connection) -> None:
        for statement in script.split(";"):
            if statement.strip():
                conn.execute(statement)
    return run


def _v2_state_outputs(conn: sqlite3.Connection) -> None:
    """v2 indexes state outputs by state id; backfill them from the outputs v1 already holds."""
    _run_script(_V2)(conn)
    rows = conn.execute("SELECT tx_id, idx, height, body FROM outputs").fetchall()
    for tx_id, idx, height, body in rows:
        state = decode(body).state
        if state is not None:
            conn.execute("INSERT INTO state_outputs VALUES (?, ?, ?, ?, ?, ?)",
                         (state.state_id, u64(state.version), height, tx_id, idx,
                          state.execution_result_hash))


#: (version reached, step). Never edit a released step: add a new one.
MIGRATIONS: tuple[tuple[int, Callable[[sqlite3.Connection], None]], ...] = (
    (1, _run_script(_V1)),
    (2, _v2_state_outputs),
    (3, lambda conn: _run_script(_V3)(conn)),  # contract storage; older blocks wrote none
    (4, lambda conn: _run_script(_V4)(conn)),  # applied signed transactions
    (5, lambda conn: _run_script(_V5)(conn)),  # the height from which each blob is available
)
SCHEMA_VERSION = MIGRATIONS[-1][0]


def _version(conn: sqlite3.Connection, where: str) -> int:
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if app_id == APPLICATION_ID:
        return version
    tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    if app_id == 0 and version == 0 and tables == 0:
        return 0  # a new, empty file
    raise SchemaError(f"{where} is a SQLite database, but not an ispc-sqlite one "
                      f"(application_id={app_id:#x})", code="foreign-database")


def ensure_schema(conn: sqlite3.Connection, where: str,
                  migrations=MIGRATIONS) -> int:
    """Bring the database to the newest schema version; returns the version it had before."""
    original = _version(conn, where)
    latest = migrations[-1][0]
    if original > latest:
        raise SchemaError(f"{where} has schema version {original}; this ispc-sqlite knows "
                          f"versions up to {latest}", code="schema-too-new")
    for target, step in migrations:
        if target <= original:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            if _version(conn, where) < target:  # re-read: another process may have migrated
                step(conn)
                conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version={target}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return original

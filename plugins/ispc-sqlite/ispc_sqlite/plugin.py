"""Registration with ISPC. Imports only the core's descriptors: the repository is built lazily."""

from __future__ import annotations

from ispc_framework.plugins import hookimpl
from ispc_framework.plugins import RepositorySpec, Setting

REPOSITORY = RepositorySpec(
    name="sqlite",
    factory="ispc_sqlite.plugin:create_repository",
    description="one SQLite file (WAL): blocks, UTXOs, state outputs and content-addressed "
                "resources; read-only views for executions; atomic devnet apply",
    capabilities={"persistent", "read-only-views", "concurrent-readers", "devnet-apply",
                  "content-addressed-resources", "schema-migrations", "verify"},
    settings=(
        Setting("path", "path", "ispc.db", "database file (created if missing)"),
        Setting("synchronous", "str", "full",
                "fsync policy: full survives power loss, normal only process crashes",
                choices=("full", "normal")),
        Setting("busy_timeout_ms", "int", 5000, "how long a writer waits for another writer"),
        Setting("max_resource_bytes", "int", 64 * 1024 * 1024, "largest resource accepted"),
    ),
)


@hookimpl
def ispc_register_repositories() -> list[RepositorySpec]:
    return [REPOSITORY]


def create_repository(settings: dict):
    """The factory the core calls with the validated ``[plugin.sqlite]`` settings."""
    from .repository import SqliteRepository  # imported only when selected

    return SqliteRepository(**settings)

"""Registration descriptors of the core's HostABI providers (returned by the built-in plugin's
``ispc_register_hostabi_providers`` hook). Importing this module imports no provider code."""

from __future__ import annotations

from ..plugins._specs import HostABIProviderSpec

__all__ = ["specs"]


def specs() -> list[HostABIProviderSpec]:
    return [
        HostABIProviderSpec(
            name="ispc.v1", factory="ispc_framework._hostabi.v1:V1Provider",
            import_module="ispc.v1", abi_version=1,
            capabilities={"block-view", "context", "utxo-read", "resource-read", "draft-write",
                          "events", "debug-log"},
            description="HostABI v1: block view, execution context, UTXO and resource queries, "
                        "draft writes, events and debug log, call input and return data"),
        HostABIProviderSpec(
            name="ispc.crypto", factory="ispc_framework._hostabi.crypto:CryptoProvider",
            import_module="ispc.crypto", abi_version=1,
            capabilities={"sha256", "ed25519-verify", "deterministic-random"},
            description="SHA-256, Ed25519 verification and a random stream seeded from the "
                        "transaction id"),
        HostABIProviderSpec(
            name="ispc.state", factory="ispc_framework._hostabi.state:StateProvider",
            import_module="ispc.state", abi_version=1,
            capabilities={"contract-storage", "balance", "transfer"},
            description="contract storage (get/set/delete/exists, committed by a sparse Merkle "
                        "root) and balance/transfer helpers with automatic input selection"),
    ]

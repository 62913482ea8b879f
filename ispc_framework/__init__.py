"""ISPC: verifiable execution of WebAssembly contracts and ONNX models.

The public API is what ``__all__`` lists (tests/test_public_api.py pins it). Plugin authors use
:mod:`ispc_framework.plugins`; errors live in :mod:`ispc_framework.errors`.
"""

from __future__ import annotations

import importlib
from typing import Any

# Public names and the module that defines each. They are imported on first use (PEP 562), so
# `import ispc_framework` (and every `ispc` command) does not pay for what it does not touch.
_EXPORTS = {
    "config": ["Config", "load_config"],
    "context": ["ChainPins", "ContextManager", "ExecutionContext", "ExecutionRequest"],
    "coordinator": ["Coordinator", "final_transaction"],
    "draft": ["TransactionDraft"],
    "encoding": ["decode", "digest", "encode", "from_json", "hash_of", "to_json"],
    "engines": ["EngineOutcome", "GuestMemory", "HostEnv", "HostFunction", "OnnxEngine",
                "WasmEngine"],
    "errors": ["ISPCError"],
    "limits": ["ExecutionLimits"],
    "model": ["AssetOutput", "ContractLock", "Event", "FungibleToken", "HeightLock",
              "MultiKeyLock", "NativeCoin", "NonFungibleToken", "OnnxExecutionResult", "OutPoint",
              "ResourceCategory", "ResourceOutput", "SealedDraft", "SingleKeyLock", "StateOutput",
              "Tensor", "TimeLock", "TxInput", "TxOutput", "WasmExecutionResult", "ZKStateProof"],
    "proving": ["ProofRequest", "Prover"],
    "repository": ["ChainView", "MemoryRepository", "RepositoryWriter"],
    "trace": ["ExecutionTrace", "TraceRecord"],
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'ispc_framework' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_MODULE_OF))


__version__ = "0.1.0"

__all__ = [
    "__version__",
    # model
    "OutPoint", "TxInput", "SingleKeyLock", "MultiKeyLock", "ContractLock", "TimeLock",
    "HeightLock", "NativeCoin", "FungibleToken", "NonFungibleToken", "AssetOutput",
    "ResourceCategory", "ResourceOutput", "ZKStateProof", "StateOutput", "TxOutput", "Event",
    "Tensor", "SealedDraft", "WasmExecutionResult", "OnnxExecutionResult",
    # encoding
    "encode", "decode", "to_json", "from_json", "digest", "hash_of",
    # execution
    "ExecutionLimits", "TransactionDraft", "ExecutionTrace", "TraceRecord", "ChainPins",
    "ExecutionRequest", "ExecutionContext", "ContextManager", "Coordinator", "final_transaction",
    # seams
    "HostFunction", "HostEnv", "GuestMemory", "EngineOutcome", "WasmEngine", "OnnxEngine",
    "ProofRequest", "Prover", "ChainView", "RepositoryWriter", "MemoryRepository",
    # config and errors
    "Config", "load_config", "ISPCError",
]

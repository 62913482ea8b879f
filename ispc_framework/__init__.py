"""ISPC: verifiable execution of WebAssembly contracts and ONNX models.

The public API for users is what ``__all__`` lists (tests/test_public_api.py pins it), including
every error class of the tree drawn in the errors module. Plugin authors use
:mod:`ispc_framework.plugins`; plugins' own tests use :mod:`ispc_framework.testing`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_namespace

_EXPORTS: dict[str, list[str]] = {
    "._config": ["Config", "load_config"],
    "._context": ["ChainPins", "ContextManager", "ExecutionContext", "ExecutionRequest"],
    "._coordinator": ["Coordinator", "final_transaction"],
    "._draft": ["TransactionDraft"],
    "._encoding": ["decode", "digest", "encode", "from_json", "hash_of", "to_json"],
    "._engines": ["EngineOutcome", "GuestMemory", "HostEnv", "HostFunction", "OnnxEngine", "WasmEngine"],
    "._limits": ["ExecutionLimits"],
    "._pool": ["ExecutionPool"],
    "._model": [
        "AssetOutput", "ContractLock", "Event", "FungibleToken", "HeightLock", "MultiKeyLock",
        "NativeCoin", "NonFungibleToken", "OnnxExecutionResult", "OutPoint", "ResourceCategory",
        "ResourceOutput", "SealedDraft", "SingleKeyLock", "StateOutput", "Tensor", "TimeLock",
        "TxInput", "TxOutput", "WasmExecutionResult", "ZKStateProof", "StateDelta", "StateWrite",
        "ResultCommitment"],
    "._proving": ["ProofRequest", "Prover"],
    "._repository": ["ChainView", "MemoryRepository", "RepositoryWriter"],
    "._signing": ["SigningKey", "address_of", "devnet_key"],
    "._transaction": ["SignedTransaction", "sign_request"],
    "._authorization": ["Spender", "spend_refusal"],
    "._trace": ["ExecutionTrace", "TraceRecord"],
    "._errors": [
        "ISPCError", "ValidationError", "DecodeError", "LimitExceeded", "DraftLimitExceeded",
        "TraceLimitExceeded", "SealedError", "ContextError", "ConfigError", "PluginError",
        "PluginNotFound", "PluginLoadError", "PluginConflict", "PluginAPIMismatch",
        "ExecutionError", "ModuleRejected", "OutOfGas", "StackExhausted", "MemoryLimitExceeded",
        "Timeout", "Trap", "HostCallFailed", "ContractFailed", "EngineUnavailable",
        "RepositoryError", "ReadOnlyViolation", "NotFound", "InputMissing", "InputSpent",
        "StateConflict", "SchemaError", "AuthorizationError", "InputNotAuthorized",
        "TransactionRejected", "ProofError", "WitnessError", "ProverUnavailable", "ProverTimeout",
        "KeyNotFound", "VerificationFailed"],
}

if TYPE_CHECKING:  # the same names, for type checkers (tests/test_public_api.py keeps them equal)
    from ._config import (
        Config, load_config)
    from ._context import (
        ChainPins, ContextManager, ExecutionContext, ExecutionRequest)
    from ._coordinator import (
        Coordinator, final_transaction)
    from ._draft import (
        TransactionDraft)
    from ._encoding import (
        decode, digest, encode, from_json, hash_of, to_json)
    from ._engines import (
        EngineOutcome, GuestMemory, HostEnv, HostFunction, OnnxEngine, WasmEngine)
    from ._limits import (
        ExecutionLimits)
    from ._pool import (
        ExecutionPool)
    from ._model import (
        AssetOutput, ContractLock, Event, FungibleToken, HeightLock, MultiKeyLock, NativeCoin,
        NonFungibleToken, OnnxExecutionResult, OutPoint, ResourceCategory, ResourceOutput,
        SealedDraft, SingleKeyLock, StateOutput, Tensor, TimeLock, TxInput, TxOutput,
        WasmExecutionResult, ZKStateProof, StateDelta, StateWrite, ResultCommitment)
    from ._proving import (
        ProofRequest, Prover)
    from ._repository import (
        ChainView, MemoryRepository, RepositoryWriter)
    from ._signing import (
        SigningKey, address_of, devnet_key)
    from ._transaction import (
        SignedTransaction, sign_request)
    from ._authorization import (
        Spender, spend_refusal)
    from ._trace import (
        ExecutionTrace, TraceRecord)
    from ._errors import (
        ISPCError, ValidationError, DecodeError, LimitExceeded, DraftLimitExceeded,
        TraceLimitExceeded, SealedError, ContextError, ConfigError, PluginError, PluginNotFound,
        PluginLoadError, PluginConflict, PluginAPIMismatch, ExecutionError, ModuleRejected,
        OutOfGas, StackExhausted, MemoryLimitExceeded, Timeout, Trap, HostCallFailed,
        ContractFailed, EngineUnavailable, RepositoryError, ReadOnlyViolation, NotFound,
        InputMissing, InputSpent, StateConflict, SchemaError, AuthorizationError,
        InputNotAuthorized, TransactionRejected, ProofError, WitnessError, ProverUnavailable,
        ProverTimeout, KeyNotFound, VerificationFailed)

__version__ = "0.1.0"

__getattr__, __dir__ = lazy_namespace(__name__, _EXPORTS, globals())

__all__ = [
    "AssetOutput", "AuthorizationError", "ChainPins", "ChainView", "Config", "ConfigError",
    "ContextError", "ContextManager", "ContractFailed", "ContractLock", "Coordinator",
    "DecodeError", "DraftLimitExceeded", "EngineOutcome", "EngineUnavailable", "Event",
    "ExecutionContext", "ExecutionError", "ExecutionLimits", "ExecutionPool", "ExecutionRequest",
    "ExecutionTrace", "FungibleToken", "GuestMemory", "HeightLock", "HostCallFailed", "HostEnv",
    "HostFunction", "ISPCError", "InputMissing", "InputNotAuthorized", "InputSpent",
    "KeyNotFound", "LimitExceeded", "MemoryLimitExceeded", "MemoryRepository", "ModuleRejected",
    "MultiKeyLock", "NativeCoin", "NonFungibleToken", "NotFound", "OnnxEngine",
    "OnnxExecutionResult", "OutOfGas", "OutPoint", "PluginAPIMismatch", "PluginConflict",
    "PluginError", "PluginLoadError", "PluginNotFound", "ProofError", "ProofRequest", "Prover",
    "ProverTimeout", "ProverUnavailable", "ReadOnlyViolation", "RepositoryError",
    "RepositoryWriter", "ResourceCategory", "ResourceOutput", "ResultCommitment", "SchemaError",
    "SealedDraft", "SealedError", "SignedTransaction", "SigningKey", "SingleKeyLock", "Spender",
    "StackExhausted", "StateConflict", "StateDelta", "StateOutput", "StateWrite", "Tensor",
    "TimeLock", "Timeout", "TraceLimitExceeded", "TraceRecord", "TransactionDraft",
    "TransactionRejected", "Trap", "TxInput", "TxOutput", "ValidationError",
    "VerificationFailed", "WasmEngine", "WasmExecutionResult", "WitnessError", "ZKStateProof",
    "__version__", "address_of", "decode", "devnet_key", "digest", "encode",
    "final_transaction", "from_json", "hash_of", "load_config", "sign_request", "spend_refusal",
    "to_json"
]

"""ISPC: verifiable execution of WebAssembly contracts and ONNX models.

The public API for users is what ``__all__`` lists (tests/test_public_api.py pins it), including
every error class of the tree drawn in the errors module. Plugin authors use
:mod:`ispc_framework.plugins`; plugins' own tests use :mod:`ispc_framework.testing`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_namespace

_EXPORTS: dict[str, list[str]] = {
    ".config": ["Config", "load_config"],
    ".context": ["ChainPins", "ContextManager", "ExecutionContext", "ExecutionRequest"],
    ".coordinator": ["Coordinator", "final_transaction"],
    ".draft": ["TransactionDraft"],
    ".encoding": ["decode", "digest", "encode", "from_json", "hash_of", "to_json"],
    ".engines": ["EngineOutcome", "GuestMemory", "HostEnv", "HostFunction", "OnnxEngine", "WasmEngine"],
    ".limits": ["ExecutionLimits"],
    ".model": [
        "AssetOutput", "ContractLock", "Event", "FungibleToken", "HeightLock", "MultiKeyLock",
        "NativeCoin", "NonFungibleToken", "OnnxExecutionResult", "OutPoint", "ResourceCategory",
        "ResourceOutput", "SealedDraft", "SingleKeyLock", "StateOutput", "Tensor", "TimeLock",
        "TxInput", "TxOutput", "WasmExecutionResult", "ZKStateProof", "StateDelta", "StateWrite",
        "ResultCommitment"],
    ".proving": ["ProofRequest", "Prover"],
    ".repository": ["ChainView", "MemoryRepository", "RepositoryWriter"],
    ".signing": ["SigningKey", "address_of", "devnet_key"],
    ".transaction": ["SignedTransaction", "sign_request"],
    ".authorization": ["Spender", "spend_refusal"],
    ".trace": ["ExecutionTrace", "TraceRecord"],
    ".errors": [
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
    from .config import (
        Config, load_config)
    from .context import (
        ChainPins, ContextManager, ExecutionContext, ExecutionRequest)
    from .coordinator import (
        Coordinator, final_transaction)
    from .draft import (
        TransactionDraft)
    from .encoding import (
        decode, digest, encode, from_json, hash_of, to_json)
    from .engines import (
        EngineOutcome, GuestMemory, HostEnv, HostFunction, OnnxEngine, WasmEngine)
    from .limits import (
        ExecutionLimits)
    from .model import (
        AssetOutput, ContractLock, Event, FungibleToken, HeightLock, MultiKeyLock, NativeCoin,
        NonFungibleToken, OnnxExecutionResult, OutPoint, ResourceCategory, ResourceOutput,
        SealedDraft, SingleKeyLock, StateOutput, Tensor, TimeLock, TxInput, TxOutput,
        WasmExecutionResult, ZKStateProof, StateDelta, StateWrite, ResultCommitment)
    from .proving import (
        ProofRequest, Prover)
    from .repository import (
        ChainView, MemoryRepository, RepositoryWriter)
    from .signing import (
        SigningKey, address_of, devnet_key)
    from .transaction import (
        SignedTransaction, sign_request)
    from .authorization import (
        Spender, spend_refusal)
    from .trace import (
        ExecutionTrace, TraceRecord)
    from .errors import (
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
    "ExecutionContext", "ExecutionError", "ExecutionLimits", "ExecutionRequest",
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

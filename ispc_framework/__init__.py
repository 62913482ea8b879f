"""ISPC: verifiable execution of WebAssembly contracts and ONNX models.

The public API is what ``__all__`` lists (tests/test_public_api.py pins it). Plugin authors use
:mod:`ispc_framework.plugins`; errors live in :mod:`ispc_framework.errors`.
"""

from __future__ import annotations

from .config import Config, load_config
from .context import ChainPins, ContextManager, ExecutionContext, ExecutionRequest
from .coordinator import Coordinator, final_transaction
from .draft import TransactionDraft
from .encoding import decode, digest, encode, from_json, hash_of, to_json
from .engines import EngineOutcome, GuestMemory, HostEnv, HostFunction, OnnxEngine, WasmEngine
from .errors import ISPCError
from .limits import ExecutionLimits
from .model import (AssetOutput, ContractLock, Event, FungibleToken, HeightLock, MultiKeyLock,
                    NativeCoin, NonFungibleToken, OnnxExecutionResult, OutPoint, ResourceCategory,
                    ResourceOutput, SealedDraft, SingleKeyLock, StateOutput, Tensor, TimeLock,
                    TxInput, TxOutput, WasmExecutionResult, ZKStateProof)
from .proving import ProofRequest, Prover
from .repository import ChainView, MemoryRepository, RepositoryWriter
from .trace import ExecutionTrace, TraceRecord

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

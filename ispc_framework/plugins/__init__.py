"""Everything a plugin author needs, in one namespace.

First-party plugins import from here (and from :mod:`ispc_framework` for the user API) and from
nothing else in the core; tests/test_public_api.py fails when one reaches into an implementation
module. Their tests also use :mod:`ispc_framework.testing` and :mod:`ispc_framework.conformance`.

- descriptors and hooks: :class:`EngineSpec`, :class:`ProverSpec`, ..., :func:`hookimpl`;
- the protocols a plugin object implements: :class:`WasmEngine`, :class:`OnnxEngine`,
  :class:`Prover`, :class:`RepositoryWriter` / :class:`ChainView`, :class:`TraceSink`,
  :class:`HostABIProvider`;
- what engines bind and enforce: :class:`HostFunction`, :class:`HostEnv`, the engine-neutral
  WebAssembly rules (:func:`check_module`, :data:`WASM_FEATURES`) and the ONNX safe loader;
- the optional "spec-tests" protocol for raw module work (:class:`SpecTestEngine`,
  :class:`SpecSession`, :class:`WasmValue`), used by the spec-suite runner;
- provers with a subprocess worker: :class:`WorkerClient` (docs/prover-protocol.md),
  :class:`WorkerProver` (the shared trust rules), :class:`KeyStore`, and the ``ispc.draft.v1``
  statement's inputs (:func:`circuit_inputs`, :func:`check_rules`, ...);
- the data model, the canonical encoding and the typed errors (every class of the error tree).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_namespace

_EXPORTS: dict[str, list[str]] = {
    ".specs": [
        "KINDS", "PLUGIN_API_VERSION", "PluginSpec", "EngineSpec", "HostABIProviderSpec",
        "ProverSpec", "RepositorySpec", "TraceSinkSpec", "Setting", "load_factory",
        "resolve_settings"],
    ".hookspecs": ["hookimpl", "hookspec"],
    ".manager": ["AUTOLOAD_ENV", "ENTRY_POINT_GROUP", "PluginManager", "PluginRecord"],
    "..engines": [
        "WASM_VALUE_TYPES", "BOUNDING_CAPABILITIES", "GuestMemory", "HostEnv", "HostFunction",
        "EngineOutcome", "WasmEngine", "OnnxEngine", "MemoryAccessError"],
    "..wasm_spec_protocol": [
        "SPEC_TESTS", "SPEC_VALUE_TYPES", "INVALID", "UNLINKABLE", "WasmValue", "SpecSession",
        "SpecTestEngine", "supports_spec_tests"],
    "..wasm_rules": [
        "WASM_FEATURES", "WASM_PAGE", "DEFAULT_MAX_MODULE_BYTES", "MAX_TABLES",
        "MAX_TABLE_ELEMENTS", "FuncImport", "ModuleInfo", "parse_module", "check_module",
        "check_method", "bind_imports"],
    "..onnx_safety": [
        "DEFAULT_ALLOWED_DOMAINS", "ModelPolicy", "TensorSpec", "CheckedModel", "coerce_limits",
        "cpu_isa_class", "load_checked_model", "model_hash", "validate_inputs", "tensor_to_array",
        "tensor_from_array", "outputs_to_tensors", "canonical_tensor_bytes"],
    "..hostabi.provider": ["HostABIProvider"],
    "..proving": ["ProofRequest", "Prover", "Progress"],
    "..prover_worker": ["PROVER_PROTOCOL", "WorkerClient"],
    "..worker_prover": ["WorkerProver", "COMMON_DEFAULTS", "is_testing_key"],
    "..prover_keys": ["KeyStore", "KeyRecord", "vk_hash", "canonical_vk", "sha256_file"],
    "..draft_statement": [
        "PUBLIC_SIGNALS", "field_of", "contract_element", "token_element", "issuer_element",
        "result_limbs", "circuit_inputs", "public_inputs", "check_rules"],
    "..repository": [
        "ChainView", "RepositoryWriter", "Repository", "BlockInfo", "AppliedBlock",
        "GENESIS_PARENT", "block_hash_of", "content_hash", "transaction_id_of", "check_spendable",
        "check_timestamp", "MemoryRepository", "ApplyCheck", "check_head",
        "check_new_transaction"],
    "..authorization": ["Spender", "spend_refusal", "check_spends", "contract_state_id"],
    "..transaction": ["SignedTransaction", "check_signatures", "check_transaction"],
    "..signing": ["SigningKey", "verify_signature", "address_of"],
    "..sinks": ["TraceSink"],
    "..draft": ["check_distinct_inputs"],
    "..context": ["ChainPins", "ExecutionRequest", "ExecutionContext", "ContextManager"],
    "..limits": ["ExecutionLimits"],
    "..trace": ["ExecutionTrace", "TraceRecord"],
    "..encoding": ["encode", "decode", "digest", "hash_of", "to_json", "from_json"],
    "..model": [
        "HASH_LEN", "ADDRESS_LEN", "MAX_AMOUNT", "MAX_U32", "MAX_U64", "OutPoint", "TxInput",
        "SingleKeyLock", "MultiKeyLock", "ContractLock", "TimeLock", "HeightLock",
        "LockingCondition", "NativeCoin", "FungibleToken", "NonFungibleToken", "Token",
        "AssetOutput", "ResourceCategory", "ResourceOutput", "ZKStateProof", "StateOutput",
        "TxOutput", "Event", "TENSOR_DTYPES", "Tensor", "SealedDraft", "WasmExecutionResult",
        "OnnxExecutionResult", "MAX_STATE_KEY_BYTES", "MAX_STATE_VALUE_BYTES", "StateWrite",
        "StateDelta", "ResultCommitment"],
    "..state": ["EMPTY_ROOT", "StateProof", "state_root", "prove", "verify_proof", "check_delta",
                "build_delta"],
    "..errors": [
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
    from .specs import (
        KINDS, PLUGIN_API_VERSION, PluginSpec, EngineSpec, HostABIProviderSpec, ProverSpec,
        RepositorySpec, TraceSinkSpec, Setting, load_factory, resolve_settings)
    from .hookspecs import (
        hookimpl, hookspec)
    from .manager import (
        AUTOLOAD_ENV, ENTRY_POINT_GROUP, PluginManager, PluginRecord)
    from ..engines import (
        WASM_VALUE_TYPES, BOUNDING_CAPABILITIES, GuestMemory, HostEnv, HostFunction, EngineOutcome,
        WasmEngine, OnnxEngine, MemoryAccessError)
    from ..wasm_spec_protocol import (
        SPEC_TESTS, SPEC_VALUE_TYPES, INVALID, UNLINKABLE, WasmValue, SpecSession, SpecTestEngine,
        supports_spec_tests)
    from ..wasm_rules import (
        WASM_FEATURES, WASM_PAGE, DEFAULT_MAX_MODULE_BYTES, MAX_TABLES, MAX_TABLE_ELEMENTS,
        FuncImport, ModuleInfo, parse_module, check_module, check_method, bind_imports)
    from ..onnx_safety import (
        DEFAULT_ALLOWED_DOMAINS, ModelPolicy, TensorSpec, CheckedModel, coerce_limits,
        cpu_isa_class, load_checked_model, model_hash, validate_inputs, tensor_to_array,
        tensor_from_array, outputs_to_tensors, canonical_tensor_bytes)
    from ..hostabi.provider import (
        HostABIProvider)
    from ..proving import (
        ProofRequest, Prover, Progress)
    from ..prover_worker import (
        PROVER_PROTOCOL, WorkerClient)
    from ..worker_prover import (
        WorkerProver, COMMON_DEFAULTS, is_testing_key)
    from ..prover_keys import (
        KeyStore, KeyRecord, vk_hash, canonical_vk, sha256_file)
    from ..draft_statement import (
        PUBLIC_SIGNALS, field_of, contract_element, token_element, issuer_element,
        result_limbs, circuit_inputs, public_inputs, check_rules)
    from ..repository import (
        ChainView, RepositoryWriter, Repository, BlockInfo, AppliedBlock, GENESIS_PARENT,
        block_hash_of, content_hash, transaction_id_of, check_spendable, check_timestamp,
        MemoryRepository, ApplyCheck, check_head, check_new_transaction)
    from ..authorization import (
        Spender, spend_refusal, check_spends, contract_state_id)
    from ..transaction import (
        SignedTransaction, check_signatures, check_transaction)
    from ..signing import (
        SigningKey, verify_signature, address_of)
    from ..sinks import (
        TraceSink)
    from ..draft import (
        check_distinct_inputs)
    from ..context import (
        ChainPins, ExecutionRequest, ExecutionContext, ContextManager)
    from ..limits import (
        ExecutionLimits)
    from ..trace import (
        ExecutionTrace, TraceRecord)
    from ..encoding import (
        encode, decode, digest, hash_of, to_json, from_json)
    from ..model import (
        HASH_LEN, ADDRESS_LEN, MAX_AMOUNT, MAX_U32, MAX_U64, OutPoint, TxInput, SingleKeyLock,
        MultiKeyLock, ContractLock, TimeLock, HeightLock, LockingCondition, NativeCoin,
        FungibleToken, NonFungibleToken, Token, AssetOutput, ResourceCategory, ResourceOutput,
        ZKStateProof, StateOutput, TxOutput, Event, TENSOR_DTYPES, Tensor, SealedDraft,
        WasmExecutionResult, OnnxExecutionResult, MAX_STATE_KEY_BYTES, MAX_STATE_VALUE_BYTES,
        StateWrite, StateDelta, ResultCommitment)
    from ..state import (
        EMPTY_ROOT, StateProof, state_root, prove, verify_proof, check_delta, build_delta)
    from ..errors import (
        ISPCError, ValidationError, DecodeError, LimitExceeded, DraftLimitExceeded,
        TraceLimitExceeded, SealedError, ContextError, ConfigError, PluginError, PluginNotFound,
        PluginLoadError, PluginConflict, PluginAPIMismatch, ExecutionError, ModuleRejected,
        OutOfGas, StackExhausted, MemoryLimitExceeded, Timeout, Trap, HostCallFailed,
        ContractFailed, EngineUnavailable, RepositoryError, ReadOnlyViolation, NotFound,
        InputMissing, InputSpent, StateConflict, SchemaError, AuthorizationError,
        InputNotAuthorized, TransactionRejected, ProofError, WitnessError, ProverUnavailable,
        ProverTimeout, KeyNotFound, VerificationFailed)

__getattr__, __dir__ = lazy_namespace(__name__, _EXPORTS, globals())

__all__ = [
    "ADDRESS_LEN", "AUTOLOAD_ENV", "AppliedBlock", "ApplyCheck", "AssetOutput",
    "AuthorizationError", "BOUNDING_CAPABILITIES", "BlockInfo", "COMMON_DEFAULTS", "ChainPins",
    "ChainView", "CheckedModel", "ConfigError", "ContextError", "ContextManager",
    "ContractFailed", "ContractLock", "DEFAULT_ALLOWED_DOMAINS", "DEFAULT_MAX_MODULE_BYTES",
    "DecodeError", "DraftLimitExceeded", "EMPTY_ROOT", "ENTRY_POINT_GROUP", "EngineOutcome",
    "EngineSpec", "EngineUnavailable", "Event", "ExecutionContext", "ExecutionError",
    "ExecutionLimits", "ExecutionRequest", "ExecutionTrace", "FuncImport", "FungibleToken",
    "GENESIS_PARENT", "GuestMemory", "HASH_LEN", "HeightLock", "HostABIProvider",
    "HostABIProviderSpec", "HostCallFailed", "HostEnv", "HostFunction", "INVALID", "ISPCError",
    "InputMissing", "InputNotAuthorized", "InputSpent", "KINDS", "KeyNotFound", "KeyRecord",
    "KeyStore", "LimitExceeded", "LockingCondition", "MAX_AMOUNT", "MAX_STATE_KEY_BYTES",
    "MAX_STATE_VALUE_BYTES", "MAX_TABLES", "MAX_TABLE_ELEMENTS", "MAX_U32", "MAX_U64",
    "MemoryAccessError", "MemoryLimitExceeded", "MemoryRepository", "ModelPolicy", "ModuleInfo",
    "EMPTY_ROOT", "MAX_STATE_KEY_BYTES", "MAX_STATE_VALUE_BYTES", "ModuleRejected",
    "MultiKeyLock", "NativeCoin", "NonFungibleToken", "NotFound", "OnnxEngine",
    "OnnxExecutionResult", "OutOfGas", "OutPoint", "PLUGIN_API_VERSION", "PROVER_PROTOCOL",
    "PUBLIC_SIGNALS", "PluginAPIMismatch", "PluginConflict", "PluginError", "PluginLoadError",
    "PluginManager", "PluginNotFound", "PluginRecord", "PluginSpec", "Progress", "ProofError",
    "ProofRequest", "Prover", "ProverSpec", "ProverTimeout", "ProverUnavailable",
    "ReadOnlyViolation", "Repository", "RepositoryError", "RepositorySpec", "RepositoryWriter",
    "ResourceCategory", "ResourceOutput", "ResultCommitment", "SPEC_TESTS", "SPEC_VALUE_TYPES",
    "SchemaError", "SealedDraft", "SealedError", "Setting", "SignedTransaction", "SigningKey",
    "SingleKeyLock", "SpecSession", "SpecTestEngine", "Spender", "StackExhausted",
    "StateConflict", "StateDelta", "StateOutput", "StateProof", "StateWrite", "TENSOR_DTYPES",
    "Tensor", "TensorSpec", "TimeLock", "Timeout", "Token", "TraceLimitExceeded", "TraceRecord",
    "TraceSink", "TraceSinkSpec", "TransactionRejected", "Trap", "TxInput", "TxOutput",
    "UNLINKABLE", "ValidationError", "VerificationFailed", "WASM_FEATURES", "WASM_PAGE",
    "WASM_VALUE_TYPES", "WasmEngine", "WasmExecutionResult", "WasmValue", "WitnessError",
    "WorkerClient", "WorkerProver", "ZKStateProof", "address_of", "bind_imports",
    "block_hash_of", "build_delta", "canonical_tensor_bytes", "canonical_vk", "check_delta",
    "check_distinct_inputs", "check_head", "check_method", "check_module",
    "check_new_transaction", "check_rules", "check_signatures", "check_spendable",
    "check_spends", "check_timestamp", "check_transaction", "circuit_inputs", "coerce_limits",
    "content_hash", "contract_element", "contract_state_id", "cpu_isa_class", "decode",
    "digest", "encode", "field_of", "from_json", "hash_of", "hookimpl", "hookspec",
    "is_testing_key", "issuer_element", "load_checked_model", "load_factory", "model_hash",
    "outputs_to_tensors", "parse_module", "prove", "public_inputs", "resolve_settings",
    "result_limbs", "sha256_file", "spend_refusal", "state_root", "supports_spec_tests",
    "tensor_from_array", "tensor_to_array", "to_json", "token_element", "transaction_id_of",
    "validate_inputs", "verify_proof", "verify_signature", "vk_hash"
]

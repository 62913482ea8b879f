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
  :class:`WorkerProver` (the shared trust rules), :class:`KeyStore`, and the ``ispc.draft``
  statement's inputs (:func:`circuit_inputs`, :func:`check_rules`, ...);
- the data model, the canonical encoding and the typed errors (every class of the error tree).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_namespace

_EXPORTS: dict[str, list[str]] = {
    "._specs": [
        "KINDS", "PLUGIN_API_VERSION", "PluginSpec", "EngineSpec", "HostABIProviderSpec",
        "ProverSpec", "RepositorySpec", "TraceSinkSpec", "HookSpec", "Setting", "load_factory",
        "resolve_settings"],
    "._hookspecs": ["hookimpl", "hookspec"],
    "._manager": ["AUTOLOAD_ENV", "ENTRY_POINT_GROUP", "PluginManager", "PluginRecord"],
    ".._engines": [
        "WASM_VALUE_TYPES", "BOUNDING_CAPABILITIES", "GuestMemory", "HostEnv", "HostFunction",
        "EngineOutcome", "WasmEngine", "OnnxEngine", "MemoryAccessError"],
    ".._wasm_spec_protocol": [
        "SPEC_TESTS", "SPEC_VALUE_TYPES", "INVALID", "UNLINKABLE", "WasmValue", "SpecSession",
        "SpecTestEngine", "supports_spec_tests"],
    ".._wasm_rules": [
        "WASM_FEATURES", "WASM_PAGE", "DEFAULT_MAX_MODULE_BYTES", "MAX_TABLES",
        "MAX_TABLE_ELEMENTS", "FuncImport", "ModuleInfo", "parse_module", "check_module",
        "check_method", "bind_imports"],
    ".._onnx_safety": [
        "DEFAULT_ALLOWED_DOMAINS", "ModelPolicy", "TensorSpec", "CheckedModel", "coerce_limits",
        "cpu_isa_class", "load_checked_model", "model_hash", "validate_inputs", "tensor_to_array",
        "tensor_from_array", "outputs_to_tensors", "canonical_tensor_bytes"],
    ".._hostabi.provider": ["HostABIProvider"],
    ".._hostabi.traced": ["traced_host_function"],
    ".._proving": ["ProofRequest", "Prover", "Progress"],
    ".._prover_worker": ["PROVER_PROTOCOL", "WorkerClient"],
    ".._worker_prover": ["WorkerProver", "COMMON_SETTINGS", "worker_prover_settings",
                         "is_testing_key"],
    ".._prover_keys": ["KeyStore", "KeyRecord", "vk_hash", "canonical_vk", "sha256_file"],
    ".._poseidon": ["poseidon_sponge"],
    ".._draft_statement": [
        "PUBLIC_SIGNALS", "field_of", "contract_element", "token_element", "issuer_element",
        "result_limbs", "circuit_inputs", "public_inputs", "check_rules", "commitment_elements",
        "draft_commitment", "statement_version"],
    ".._repository": [
        "ChainView", "RepositoryWriter", "Repository", "BlockInfo", "BlockRecord", "AppliedBlock",
        "GENESIS_PARENT", "block_hash_of", "content_hash", "transaction_id_of", "check_spendable",
        "check_timestamp", "MemoryRepository", "ApplyCheck", "check_head",
        "check_new_transaction", "genesis_hash_of"],
    ".._authorization": ["Spender", "spend_refusal", "check_spends", "contract_state_id"],
    ".._transaction": ["SignedTransaction", "check_signatures", "check_transaction"],
    ".._signing": ["SigningKey", "verify_signature", "address_of"],
    ".._sinks": ["TraceSink", "StoredTrace"],
    ".._draft": ["check_distinct_inputs"],
    ".._context": ["ChainPins", "ExecutionRequest", "ExecutionContext", "ContextManager"],
    ".._limits": ["ExecutionLimits"],
    ".._trace": ["ExecutionTrace", "TraceRecord"],
    ".._encoding": ["encode", "decode", "digest", "hash_of", "to_json", "from_json"],
    ".._model": [
        "HASH_LEN", "ADDRESS_LEN", "MAX_AMOUNT", "MAX_U32", "MAX_U64", "OutPoint", "TxInput",
        "SingleKeyLock", "MultiKeyLock", "ContractLock", "TimeLock", "HeightLock",
        "LockingCondition", "NativeCoin", "FungibleToken", "NonFungibleToken", "Token",
        "AssetOutput", "ResourceCategory", "ResourceOutput", "ZKStateProof", "StateOutput",
        "TxOutput", "Event", "TENSOR_DTYPES", "Tensor", "SealedDraft", "WasmExecutionResult",
        "OnnxExecutionResult", "MAX_STATE_KEY_BYTES", "MAX_STATE_VALUE_BYTES", "StateWrite",
        "StateDelta", "ResultCommitment"],
    ".._state": ["EMPTY_ROOT", "StateProof", "state_root", "prove", "verify_proof", "check_delta",
                "build_delta"],
    ".._errors": [
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
    from ._specs import (
        KINDS, PLUGIN_API_VERSION, PluginSpec, EngineSpec, HostABIProviderSpec, ProverSpec,
        RepositorySpec, TraceSinkSpec, HookSpec, Setting, load_factory, resolve_settings)
    from ._hookspecs import (
        hookimpl, hookspec)
    from ._manager import (
        AUTOLOAD_ENV, ENTRY_POINT_GROUP, PluginManager, PluginRecord)
    from .._engines import (
        WASM_VALUE_TYPES, BOUNDING_CAPABILITIES, GuestMemory, HostEnv, HostFunction, EngineOutcome,
        WasmEngine, OnnxEngine, MemoryAccessError)
    from .._wasm_spec_protocol import (
        SPEC_TESTS, SPEC_VALUE_TYPES, INVALID, UNLINKABLE, WasmValue, SpecSession, SpecTestEngine,
        supports_spec_tests)
    from .._wasm_rules import (
        WASM_FEATURES, WASM_PAGE, DEFAULT_MAX_MODULE_BYTES, MAX_TABLES, MAX_TABLE_ELEMENTS,
        FuncImport, ModuleInfo, parse_module, check_module, check_method, bind_imports)
    from .._onnx_safety import (
        DEFAULT_ALLOWED_DOMAINS, ModelPolicy, TensorSpec, CheckedModel, coerce_limits,
        cpu_isa_class, load_checked_model, model_hash, validate_inputs, tensor_to_array,
        tensor_from_array, outputs_to_tensors, canonical_tensor_bytes)
    from .._hostabi.provider import (
        HostABIProvider)
    from .._hostabi.traced import (
        traced_host_function)
    from .._proving import (
        ProofRequest, Prover, Progress)
    from .._prover_worker import (
        PROVER_PROTOCOL, WorkerClient)
    from .._worker_prover import (
        WorkerProver, COMMON_SETTINGS, worker_prover_settings, is_testing_key)
    from .._prover_keys import (
        KeyStore, KeyRecord, vk_hash, canonical_vk, sha256_file)
    from .._poseidon import poseidon_sponge
    from .._draft_statement import (
        PUBLIC_SIGNALS, field_of, contract_element, token_element, issuer_element,
        result_limbs, circuit_inputs, public_inputs, check_rules, commitment_elements,
        draft_commitment, statement_version)
    from .._repository import (
        ChainView, RepositoryWriter, Repository, BlockInfo, BlockRecord, AppliedBlock,
        GENESIS_PARENT,
        block_hash_of, content_hash, transaction_id_of, check_spendable, check_timestamp,
        MemoryRepository, ApplyCheck, check_head, check_new_transaction, genesis_hash_of)
    from .._authorization import (
        Spender, spend_refusal, check_spends, contract_state_id)
    from .._transaction import (
        SignedTransaction, check_signatures, check_transaction)
    from .._signing import (
        SigningKey, verify_signature, address_of)
    from .._sinks import (
        TraceSink, StoredTrace)
    from .._draft import (
        check_distinct_inputs)
    from .._context import (
        ChainPins, ExecutionRequest, ExecutionContext, ContextManager)
    from .._limits import (
        ExecutionLimits)
    from .._trace import (
        ExecutionTrace, TraceRecord)
    from .._encoding import (
        encode, decode, digest, hash_of, to_json, from_json)
    from .._model import (
        HASH_LEN, ADDRESS_LEN, MAX_AMOUNT, MAX_U32, MAX_U64, OutPoint, TxInput, SingleKeyLock,
        MultiKeyLock, ContractLock, TimeLock, HeightLock, LockingCondition, NativeCoin,
        FungibleToken, NonFungibleToken, Token, AssetOutput, ResourceCategory, ResourceOutput,
        ZKStateProof, StateOutput, TxOutput, Event, TENSOR_DTYPES, Tensor, SealedDraft,
        WasmExecutionResult, OnnxExecutionResult, MAX_STATE_KEY_BYTES, MAX_STATE_VALUE_BYTES,
        StateWrite, StateDelta, ResultCommitment)
    from .._state import (
        EMPTY_ROOT, StateProof, state_root, prove, verify_proof, check_delta, build_delta)
    from .._errors import (
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
    "AuthorizationError", "BOUNDING_CAPABILITIES", "BlockInfo", "BlockRecord", "COMMON_SETTINGS",
    "ChainPins",
    "ChainView", "CheckedModel", "ConfigError", "ContextError", "ContextManager",
    "ContractFailed", "ContractLock", "DEFAULT_ALLOWED_DOMAINS", "DEFAULT_MAX_MODULE_BYTES",
    "DecodeError", "DraftLimitExceeded", "EMPTY_ROOT", "ENTRY_POINT_GROUP", "EngineOutcome",
    "EngineSpec", "EngineUnavailable", "Event", "ExecutionContext", "ExecutionError",
    "ExecutionLimits", "ExecutionRequest", "ExecutionTrace", "FuncImport", "FungibleToken",
    "GENESIS_PARENT", "GuestMemory", "HASH_LEN", "HeightLock", "HostABIProvider",
    "HookSpec", "HostABIProviderSpec", "HostCallFailed", "HostEnv", "HostFunction", "INVALID", "ISPCError",
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
    "StateConflict", "StateDelta", "StateOutput", "StateProof", "StateWrite", "StoredTrace",
    "TENSOR_DTYPES",
    "Tensor", "TensorSpec", "TimeLock", "Timeout", "Token", "TraceLimitExceeded", "TraceRecord",
    "TraceSink", "TraceSinkSpec", "TransactionRejected", "Trap", "TxInput", "TxOutput",
    "UNLINKABLE", "ValidationError", "VerificationFailed", "WASM_FEATURES", "WASM_PAGE",
    "WASM_VALUE_TYPES", "WasmEngine", "WasmExecutionResult", "WasmValue", "WitnessError",
    "WorkerClient", "WorkerProver", "ZKStateProof", "address_of", "bind_imports",
    "block_hash_of", "build_delta", "canonical_tensor_bytes", "canonical_vk", "check_delta",
    "check_distinct_inputs", "check_head", "check_method", "check_module",
    "check_new_transaction", "check_rules", "check_signatures", "check_spendable",
    "check_spends", "check_timestamp", "check_transaction", "circuit_inputs", "coerce_limits",
    "commitment_elements", "content_hash", "contract_element", "contract_state_id",
    "cpu_isa_class", "decode", "digest", "draft_commitment", "encode", "field_of", "from_json",
    "genesis_hash_of", "hash_of", "hookimpl", "hookspec",
    "is_testing_key", "issuer_element", "load_checked_model", "load_factory", "model_hash",
    "outputs_to_tensors", "parse_module", "poseidon_sponge", "prove", "public_inputs",
    "resolve_settings",
    "result_limbs", "sha256_file", "spend_refusal", "state_root", "statement_version",
    "supports_spec_tests",
    "tensor_from_array", "tensor_to_array", "to_json", "token_element", "traced_host_function",
    "transaction_id_of", "validate_inputs", "verify_proof", "verify_signature", "vk_hash",
    "worker_prover_settings"
]

"""Every error ISPC raises on purpose, with a stable code and a hint.

Callers catch by class; scripts and logs match on ``code`` (a stable kebab-case string that never
changes meaning); people read ``hint`` (what to do about it). ``str(err)`` renders all three as
``message. Hint: hint [code]``, the pip/SQLAlchemy style.

The tree::

    ISPCError
    ├── ValidationError (ValueError)           invalid-value: a field of a model or request is wrong
    │   └── DecodeError                        decode-error: bytes that are not a canonical encoding
    ├── LimitExceeded                          limit-exceeded: a cap on size or count was hit
    │   ├── DraftLimitExceeded                 draft-limit
    │   ├── TraceLimitExceeded                 trace-limit
    │   └── SealedError                        sealed: a sealed draft or trace was written to
    ├── AuthorizationError                     not-authorized: who may spend or run what
    │   ├── InputNotAuthorized                 input-not-authorized: a lock or owner forbids it
    │   └── TransactionRejected                transaction-rejected: signature-missing,
    │                                          signature-invalid, transaction-expired, wrong-chain,
    │                                          transaction-replayed, caller-not-signer
    ├── ContextError                           context-error: a context used after destroy, or leaked
    ├── ConfigError                            config-invalid: ispc.toml or an override is wrong
    ├── PluginError                            plugin-error
    │   ├── PluginNotFound                     plugin-not-found
    │   ├── PluginLoadError                    plugin-load-failed
    │   ├── PluginConflict                     plugin-conflict
    │   └── PluginAPIMismatch                  plugin-api-mismatch
    ├── ExecutionError                         execution-failed: a run ended without a result
    │   ├── ModuleRejected                     module-rejected: malformed or disallowed code/model
    │   ├── OutOfGas                           out-of-gas
    │   ├── StackExhausted                     stack-exhausted
    │   ├── MemoryLimitExceeded                memory-limit
    │   ├── Timeout                            timeout
    │   ├── Trap                               trap: the guest trapped (unreachable, bad access, ...)
    │   ├── HostCallFailed                     host-call-failed: a host function hit a host-side bug
    │   ├── ContractFailed                     contract-failed: the contract returned a non-zero status
    │   └── EngineUnavailable                  engine-unavailable: runtime missing on this Python
    ├── RepositoryError                        repository-error
    │   ├── ReadOnlyViolation                  read-only: a write through an execution's view
    │   ├── NotFound                           not-found
    │   ├── InputMissing                       input-missing: a draft spends an unknown outpoint
    │   ├── InputSpent                         input-spent: a draft spends a spent outpoint
    │   ├── StateConflict                      state-conflict: contract storage changed since the
    │   │                                      result's pinned block
    │   └── SchemaError                        schema-error
    └── ProofError                             proof-error
        ├── WitnessError                       witness-invalid: the draft breaks the circuit's rules
        ├── ProverUnavailable                  prover-unavailable
        ├── ProverTimeout                      prover-timeout
        ├── KeyNotFound                        key-not-found
        └── VerificationFailed                 proof-invalid

Every class carries a default code and hint; a raise site may pass a more specific code, which
must be declared in ``ispc_framework._error_codes`` (with its class, message shape and hint; the
hint is used when the raise site gives none). docs/errors.md is generated from that registry.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ISPCError",
    "ValidationError",
    "DecodeError",
    "LimitExceeded",
    "DraftLimitExceeded",
    "TraceLimitExceeded",
    "SealedError",
    "AuthorizationError",
    "InputNotAuthorized",
    "TransactionRejected",
    "ContextError",
    "ConfigError",
    "PluginError",
    "PluginNotFound",
    "PluginLoadError",
    "PluginConflict",
    "PluginAPIMismatch",
    "ExecutionError",
    "ModuleRejected",
    "OutOfGas",
    "StackExhausted",
    "MemoryLimitExceeded",
    "Timeout",
    "Trap",
    "HostCallFailed",
    "ContractFailed",
    "EngineUnavailable",
    "RepositoryError",
    "ReadOnlyViolation",
    "NotFound",
    "InputMissing",
    "InputSpent",
    "StateConflict",
    "SchemaError",
    "ProofError",
    "WitnessError",
    "ProverUnavailable",
    "ProverTimeout",
    "KeyNotFound",
    "VerificationFailed",
]


def _registered_hint(code: str) -> str | None:
    from ._error_codes import REGISTRY  # the registry imports the classes below

    entry = REGISTRY.get(code)
    return entry.hint if entry is not None else None


class ISPCError(Exception):
    """Base of every deliberate ISPC error: ``message``, stable ``code``, actionable ``hint``."""

    code = "ispc-error"
    hint = "see the message"

    def __init__(self, message: str, *, code: str | None = None, hint: str | None = None,
                 **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
            if not hint:
                hint = _registered_hint(code)
        if hint:  # an empty hint (e.g. from a worker's reply) helps nobody: keep the default
            self.hint = hint
        # Structured context (field names, limits, plugin names) for --json output and tests.
        self.details = details

    def __str__(self) -> str:
        return f"{self.message}. Hint: {self.hint} [{self.code}]"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": type(self).__name__, "code": self.code,
                               "message": self.message, "hint": self.hint}
        if self.details:
            out["details"] = {k: v if isinstance(v, (str, int, float, bool, type(None), list))
                              else repr(v) for k, v in self.details.items()}
        return out


class ValidationError(ISPCError, ValueError):
    """A field of a model, request or input file is wrong."""

    code = "invalid-value"
    hint = "fix the named field"

    def __init__(self, field: str, message: str, **kw: Any) -> None:
        super().__init__(f"{field}: {message}", field=field, **kw)
        self.field = field


class DecodeError(ValidationError):
    """Bytes that are not a canonical ISPC encoding."""

    code = "decode-error"
    hint = "the bytes are not a canonical ISPC encoding; re-encode them with ispc_framework._encoding"


class LimitExceeded(ISPCError):
    """A cap on size or count was hit."""

    code = "limit-exceeded"
    hint = "reduce the size or raise the limit in [limits] of ispc.toml"


class DraftLimitExceeded(LimitExceeded):
    """A transaction draft grew past one of its caps."""

    code = "draft-limit"


class TraceLimitExceeded(LimitExceeded):
    """An execution trace grew past one of its caps."""

    code = "trace-limit"


class SealedError(LimitExceeded):
    """A sealed draft or trace was written to."""

    code = "sealed"
    hint = "a sealed draft or trace is final; start a new execution instead"


class AuthorizationError(ISPCError):
    """Who may spend or run what was violated (docs/authorization.md)."""

    code = "not-authorized"
    hint = "see docs/authorization.md for who may spend what"


class InputNotAuthorized(AuthorizationError):
    """input <index> may not be spent: <reason>"""

    code = "input-not-authorized"
    hint = ("the output's lock or owner does not allow this transaction's signers or this "
            "contract to spend it, or the signers did not list it in the transaction's spend "
            "allowance; sign with the owner's key (`--as NAME`) and allow it (`--spend TXID:INDEX`)")


class TransactionRejected(AuthorizationError):
    """A transaction was refused before it ran (unsigned, badly signed, expired, wrong chain,
    replayed)."""

    code = "transaction-rejected"
    hint = "sign the request with `--as KEYNAME` against the current chain (docs/authorization.md)"


class ContextError(ISPCError):
    """An execution context was used after it was destroyed, or outside its manager."""

    code = "context-error"
    hint = "create a new context for every execution and destroy it when done"


class ConfigError(ISPCError, ValueError):
    """ispc.toml, an environment variable or a command-line override is wrong."""

    code = "config-invalid"
    hint = ("fix the named key where it is set (ispc.toml, --set or an ISPC_ variable); "
            "`ispc config show` lists every value and its source")


class PluginError(ISPCError):
    """A plugin could not be used as selected."""

    code = "plugin-error"
    hint = "run `ispc plugins` and `ispc doctor` to see what is installed"


class PluginNotFound(PluginError):
    """The configuration names a plugin that is not installed (or is blocked)."""

    code = "plugin-not-found"


class PluginLoadError(PluginError):
    """A plugin's entry point or factory failed to import or run."""

    code = "plugin-load-failed"
    hint = "reinstall or upgrade the plugin's distribution, or block it in [plugins] block = [...]"


class PluginConflict(PluginError):
    """Two installed plugins claim the same kind and name."""

    code = "plugin-conflict"
    hint = "uninstall one of the distributions, or block one in [plugins] block = [...]"


class PluginAPIMismatch(PluginError):
    """A plugin was built for another version of the plugin API."""

    code = "plugin-api-mismatch"
    hint = "install a plugin version built for this ispc-framework's plugin API"


class ExecutionError(ISPCError):
    """A run ended without a result."""

    code = "execution-failed"
    hint = "inspect the trace and the contract's code"


class ModuleRejected(ExecutionError):
    """A contract module or model is malformed or uses what is not allowed."""

    code = "module-rejected"
    hint = "rebuild the module with a supported toolchain and only the selected HostABI imports"


class OutOfGas(ExecutionError):
    """The run used up its fuel (gas) budget."""

    code = "out-of-gas"
    hint = "raise [limits] fuel or make the method cheaper"


class StackExhausted(ExecutionError):
    """The guest exhausted its stack."""

    code = "stack-exhausted"
    hint = "reduce recursion depth in the contract"


class MemoryLimitExceeded(ExecutionError):
    """The guest needed more memory (or table space) than the cap."""

    code = "memory-limit"
    hint = "raise [limits] memory_mb or use less memory"


class Timeout(ExecutionError):
    """The run hit its wall-clock watchdog."""

    code = "timeout"
    hint = "raise [limits] timeout_s or make the call cheaper"


class Trap(ExecutionError):
    """The guest trapped (unreachable, out-of-bounds access, ...) or the engine failed it."""

    code = "trap"
    hint = "the guest code trapped; fix the contract"


class HostCallFailed(ExecutionError):
    """A host function failed on the host side."""

    code = "host-call-failed"
    hint = "a host function failed on the host side; report it with the trace"


class ContractFailed(ExecutionError):
    """The contract returned a non-zero status."""

    code = "contract-failed"
    hint = "the contract returned a non-zero status; its documentation says what it means"


class EngineUnavailable(ExecutionError):
    """The engine's runtime is missing or the wrong version on this Python."""

    code = "engine-unavailable"
    hint = "install the engine's runtime for this Python"


class RepositoryError(ISPCError):
    """The repository could not do what was asked."""

    code = "repository-error"
    hint = "check the repository path and run `ispc doctor`"


class ReadOnlyViolation(RepositoryError):
    """A write was attempted through an execution's read-only view."""

    code = "read-only"
    hint = "executions only read the chain; apply a sealed draft with `ispc apply`"


class NotFound(RepositoryError):
    """A block, resource, output or file that was named does not exist."""

    code = "not-found"
    hint = "check the hash or outpoint; `ispc chain` and `ispc utxo` list what exists"


class InputMissing(RepositoryError):
    """A draft spends an outpoint the chain never had."""

    code = "input-missing"
    hint = "the draft spends an outpoint the chain never had"


class InputSpent(RepositoryError):
    """A draft spends an outpoint that is already spent."""

    code = "input-spent"
    hint = "the draft spends an outpoint that is already spent; re-run against the new head"


class StateConflict(RepositoryError):
    """A result's storage writes conflict with storage changed since its pinned block."""

    code = "state-conflict"
    hint = ("another result changed this contract's storage after the block this result was "
            "computed on; run the request again against the current head")


class SchemaError(RepositoryError):
    """The database file is not one this repository version can use."""

    code = "schema-error"
    hint = "the database was written by another ispc-sqlite version; migrate or use a new file"


class ProofError(ISPCError):
    """A proof could not be made or checked."""

    code = "proof-error"
    hint = "see the message"


class WitnessError(ProofError):
    """The draft breaks the circuit's statement, so no witness exists."""

    code = "witness-invalid"
    hint = "the draft breaks the circuit's statement (conservation, range or capacity)"


class ProverUnavailable(ProofError):
    """The prover backend or its tools are missing or failed to run."""

    code = "prover-unavailable"
    hint = "install the prover backend, or select another in [prover]"


class ProverTimeout(ProofError):
    """The prover worker did not answer in time."""

    code = "prover-timeout"
    hint = "raise [plugin.groth16] timeout_s, or check the prover worker"


class KeyNotFound(ProofError):
    """A proving or verification key is missing, corrupt or not usable."""

    code = "key-not-found"
    hint = "run `ispc setup CIRCUIT` first; the prover never makes keys at proof time"


class VerificationFailed(ProofError):
    """A proof, or the result it is bound to, does not verify."""

    code = "proof-invalid"
    hint = "the proof does not verify against the named key and public inputs"

"""The error-code registry: every code the core and its first-party plugins raise, declared once.

A code names one condition. Each entry says which class it is raised as (that class or a subclass:
catch the class to catch the code), the shape of its message (``<angle brackets>`` mark what the
raise site fills in) and its hint; a raise site that passes no hint gets the registered one, and an
entry without a hint uses its class's. The class codes (``ValidationError.code`` and so on) are
entries too, read from the classes in ``ispc_framework._errors``.

``docs/errors.md`` is generated from this table (``python -m ispc_framework._error_codes``; with
``--check`` it fails when the page is stale), and tests/test_error_codes.py checks that every code
used at a raise site of the core or a first-party plugin is declared here, with a compatible class.
A third-party plugin may raise any code declared here, or its own codes (documented by itself).
"""

from __future__ import annotations

import inspect  # cleandoc: Python 3.13 dedents docstrings itself, older versions do not

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from . import _errors as errors
from ._errors import (
    ConfigError,
    ContextError,
    DecodeError,
    EngineUnavailable,
    ExecutionError,
    InputSpent,
    ISPCError,
    KeyNotFound,
    LimitExceeded,
    MemoryLimitExceeded,
    ModuleRejected,
    NotFound,
    PluginError,
    PluginLoadError,
    ProofError,
    ProverUnavailable,
    ReadOnlyViolation,
    TransactionRejected,
    RepositoryError,
    SchemaError,
    Trap,
    ValidationError,
    VerificationFailed,
    WitnessError,
)

__all__ = ["ErrorCode", "REGISTRY", "CLASS_CODES", "render_markdown", "main"]

DOC_PATH = Path(__file__).resolve().parent.parent / "docs" / "errors.md"


@dataclass(frozen=True)
class ErrorCode:
    """One error condition: its stable code, the class it is raised as, its message and hint."""

    code: str
    error: type[ISPCError]
    message: str
    hint: str | None = None  # None: the class's hint

    @property
    def effective_hint(self) -> str:
        return self.hint if self.hint is not None else self.error.hint


def _class_codes() -> tuple[ErrorCode, ...]:
    classes = [getattr(errors, name) for name in errors.__all__]
    return tuple(ErrorCode(cls.code, cls, inspect.cleandoc(cls.__doc__ or ""), cls.hint)
                 for cls in classes)


#: One entry per class of the tree, in the order of ``errors.__all__``.
CLASS_CODES: tuple[ErrorCode, ...] = _class_codes()

_REBUILD_MVP = "build for wasm32 MVP (clang -mcpu=mvp; asc without --enable flags)"
_HOOK_HINT = ("an execution wrapper may only observe the run: `return (yield)`; fix or block that "
              "plugin in [plugins] block = [...]")
_ONNX_LIST = "make every graph input and output a plain numeric or bool tensor with a declared rank"

_SIGN = "sign the request: `ispc run ... --as KEYNAME` (docs/authorization.md)"

_SPECIFIC: tuple[ErrorCode, ...] = (
    # TransactionRejected: refused before running (docs/authorization.md)
    ErrorCode("signature-missing", TransactionRejected,
              "the transaction carries no signature (or is not a signed transaction)", _SIGN),
    ErrorCode("signature-invalid", TransactionRejected,
              "signature <index> (key <key>) does not verify",
              "the transaction was altered after signing, signed with another key, or signed for "
              "another chain (another genesis)"),
    ErrorCode("caller-not-signer", TransactionRejected,
              "the request's caller is not the transaction's first signer",
              "let sign_request set the caller"),
    ErrorCode("wrong-chain", TransactionRejected,
              "the transaction is for chain <id>, this is <id>", _SIGN),
    ErrorCode("transaction-expired", TransactionRejected,
              "the transaction was valid until height <height>; the head is <height>",
              "sign it again with a later --valid-for"),
    ErrorCode("transaction-replayed", TransactionRejected,
              "transaction <id> is already on the chain",
              "sign a new transaction (another --nonce)"),
    ErrorCode("result-mismatch", VerificationFailed,
              "the result is not what its signed transaction does at its pins: <differences>",
              "the result was forged or made by another engine build; run the signed "
              "transaction again with `ispc run`"),
    ErrorCode("spent-outputs-incomplete", VerificationFailed,
              "the draft spends <n> input(s) but the result carries <m> spent output(s)",
              "use the result exactly as `ispc run --out` wrote it"),
    ErrorCode("spent-outputs-forged", VerificationFailed,
              "the result's spent outputs are not the outputs its inputs name at its pinned block",
              "the result file was altered; use it exactly as `ispc run --out` wrote it"),
    ErrorCode("result-pins-unknown", VerificationFailed,
              "this chain has no block <height> with hash <hash> (chain <id>)",
              "verify a result against the chain it was made on (`--repository` / ispc.toml)"),
    ErrorCode("foreign-state-output", VerificationFailed,
              "draft output <index>: <reason>",
              "a contract writes state only under its own namespaced ids; this result was "
              "forged"),
    ErrorCode("key-exists", ConfigError, "a key named <name> already exists (<path>)",
              "choose another name"),
    ErrorCode("devnet-exists", ConfigError, "<dir> already holds <files>",
              "`ispc init` makes a devnet only in a directory without one: choose another "
              "directory (`ispc devnet init DIR`), or delete those files"),
    ErrorCode("key-missing", NotFound, "no key named <name> in <dir>",
              "`ispc keys list` shows the keys; `ispc keys new NAME` makes one"),
    ErrorCode("passphrase-needed", ValidationError, "<path> is encrypted; give its passphrase",
              "pass --passphrase-env VAR"),
    ErrorCode("key-dir-insecure", ConfigError,
              "<dir> has mode <mode>: a key directory must not be accessible to its group or "
              "others", "chmod 700 <dir>"),
    ErrorCode("key-file-insecure", ConfigError,
              "<file> has mode <mode>: a key file must not be accessible to its group or others",
              "chmod 600 <file>"),
    ErrorCode("key-kdf-limits", ValidationError,
              "<path>: Argon2id <opslimit|memlimit> <value> is outside [<low>, <high>]",
              "the file was tampered with or made by another tool; import the key again from "
              "its seed or a trusted export"),
    ErrorCode("passphrase-wrong", ValidationError, "wrong passphrase",
              "check the passphrase in the variable --passphrase-env names"),
    ErrorCode("no-such-height", NotFound, "there is no block <height>",
              "`ispc chain` lists the blocks"),
    ErrorCode("transaction-unknown", NotFound, "transaction <id> is not on this chain",
              "`ispc chain` lists the blocks; `ispc block H` shows a block's transaction ids"),
    ErrorCode("trace-unavailable", NotFound, "no trace of <what>",
              "a trace exists for results of `ispc run`/`infer` (a result file, or --tx ID of an "
              "applied one); deploys and genesis allocations have none"),
    ErrorCode("check-refused", InputSpent, "refused by the check",
              "(conformance suite only: a check callback that always refuses)"),
    # DecodeError: bytes that are not the one canonical encoding (docs/encoding.md)
    ErrorCode("encoding-non-canonical", DecodeError,
              "<Type>.<field>: non-canonical encoding: <items out of canonical order | a map where "
              "sorted pairs are encoded | an explicit empty array where the field is left out | "
              "a bool where an integer is encoded | ...>",
              "the bytes decode to a value whose canonical encoding differs (unsorted metadata "
              "pairs or request tensors, an explicit empty spend allowance, ...); re-encode the "
              "value with ispc_framework._encoding.encode and hash or sign those bytes"),
    # ValidationError: a field or an input is wrong
    ErrorCode("duplicate-input", ValidationError,
              "draft.inputs[<index>]: outpoint <outpoint> is listed more than once",
              "an output can be spent (or referenced) once per draft; a repeated input would "
              "count its value twice"),
    ErrorCode("hostabi-spec-invalid", ValidationError, "hostabi_spec.<where>: <message>",
              "fix hostabi_spec/abi_v1.json and run `python -m ispc_framework._hostabi.generate`"),
    ErrorCode("onnx-input-dtype", ValidationError,
              "inputs.<name>: dtype <dtype>, the model declares <dtype> (or bool bytes not 0/1)",
              "convert the input to the declared dtype"),
    ErrorCode("onnx-input-duplicate", ValidationError, "inputs.<name>: given twice",
              "pass each input once"),
    ErrorCode("onnx-input-missing", ValidationError, "inputs.<name>: missing",
              "pass every declared model input"),
    ErrorCode("onnx-input-shape", ValidationError,
              "inputs.<name>: shape <shape> does not match the declared <shape>: <why>",
              "send a tensor of the declared shape"),
    ErrorCode("onnx-input-unknown", ValidationError,
              "inputs.<name>: is not a declared model input (weights cannot be overridden)",
              "pass only the model's declared inputs"),
    ErrorCode("onnx-unsupported-dtype", ValidationError,
              "tensor.<name>: dtype <dtype> is not supported"),
    ErrorCode("state-delta-missing", ValidationError,
              "draft.state: the draft holds storage writes; seal it with their delta"),
    ErrorCode("state-root-mismatch", ValidationError,
              "StateDelta.root: the delta's root is not the root its writes give",
              "the delta was altered or computed against other storage; run the request again"),
    ErrorCode("stack-limit-invalid", ValidationError,
              "limits.stack_bytes: <n> is outside what the wasmtime engine accepts (1 to <max> "
              "bytes)"),
    ErrorCode("timestamp-overflow", ValidationError,
              "timestamp: head timestamp + 1 overflows u64"),
    ErrorCode("transaction-mismatch", ValidationError,
              "RESULT.transaction: does not match the result it came with"),
    ErrorCode("wrong-resource-kind", ValidationError,
              "request.resource_hash: resource is a <kind>, expected a <kind>"),
    # LimitExceeded
    ErrorCode("input-too-large", LimitExceeded, "call input is <n> bytes, the cap is <cap>"),
    ErrorCode("onnx-input-too-large", LimitExceeded,
              "input <name> holds <n> bytes, the cap is <max_tensor_bytes>",
              "raise [limits] max_tensor_bytes or send smaller inputs"),
    ErrorCode("onnx-output-too-large", LimitExceeded,
              "output <name> holds <n> bytes, the cap is <max_tensor_bytes>",
              "raise [limits] max_tensor_bytes or make the outputs smaller"),
    ErrorCode("resource-too-large", LimitExceeded,
              "resource of <n> bytes exceeds the cap of <max_resource_bytes>",
              "raise [plugin.sqlite] max_resource_bytes"),
    ErrorCode("return-too-large", LimitExceeded,
              "return data of <n> bytes exceeds the cap of <max_return_bytes>"),
    # ContextError
    ErrorCode("context-destroyed", ContextError, "context <id> was destroyed; it cannot be used "
              "again"),
    ErrorCode("context-not-active", ContextError, "context <id> is not active in this manager"),
    ErrorCode("run-already-begun", ContextError, "context <id> already began a run",
              "begin one run per context; create a new context for the next execution"),
    ErrorCode("run-not-begun", ContextError, "context <id> has no run to finish",
              "call begin() before finish()"),
    # ConfigError: the class code config-invalid covers every wrong setting, including plugins'
    ErrorCode("tool-missing", ConfigError, "wabt's <tool> is not on PATH",
              "apt-get install wabt (scripts/bootstrap.sh does)"),
    ErrorCode("prover-backend-unknown", ConfigError,
              "unknown backend <backend>; one of <backends>"),
    # PluginError
    ErrorCode("pool-repository", ConfigError,
              "the <name> repository cannot be shared by worker processes",
              "select a persistent repository (the default, sqlite) to run with --workers"),
    ErrorCode("engine-unbounded", PluginError,
              "wasm engine <name> cannot bound untrusted contracts: it lacks <capabilities>",
              "select a bounded engine (e.g. wasmtime), or set [engine.wasm] allow_unbounded = "
              "true where every contract is trusted"),
    ErrorCode("plugin-protocol-mismatch", PluginLoadError,
              "<kind> <name>: <factory> built a <type> that lacks <methods> of the <protocol> "
              "protocol",
              "implement every method of the kind's protocol in ispc_framework.plugins"),
    ErrorCode("plugin-unknown-hook", PluginLoadError,
              "implements unknown hook(s) <names> (did you mean <hook>?)",
              "docs/plugin-authors.md lists the hook names; fix the spelling"),
    # PluginError: ispc_execution wrappers only observe a run (plugins/_execution_hook.py)
    ErrorCode("hook-altered-context", PluginError,
              "ispc_execution wrapper of plugin <name> changed the run's context before (or "
              "after) the run", _HOOK_HINT),
    ErrorCode("hook-failed", PluginError,
              "ispc_execution wrapper of plugin <name> raised before (or after) the run: "
              "<error>", _HOOK_HINT),
    ErrorCode("hook-no-yield", PluginError,
              "ispc_execution wrapper of plugin <name> returned without yielding: the run would "
              "be skipped", _HOOK_HINT),
    ErrorCode("hook-not-wrapper", PluginError,
              "ispc_execution wrapper of plugin <name> is not a wrapper (it would replace the "
              "execution)", _HOOK_HINT),
    ErrorCode("hook-replaced-outcome", PluginError,
              "ispc_execution wrapper of plugin <name> replaced the run's outcome "
              "(force_result/force_exception, a swallowed error or another return value)",
              _HOOK_HINT),
    ErrorCode("hook-yielded-twice", PluginError,
              "ispc_execution wrapper of plugin <name> yielded more than once", _HOOK_HINT),
    # PluginError: an engine's report is checked, not trusted
    ErrorCode("engine-broken", PluginError, "engine <name>: capabilities() raised <error>",
              "run `ispc conformance <name>`"),
    ErrorCode("engine-result-invalid", PluginError,
              "engine <name> returned <type>, not <type> (or reported a fuel count or status "
              "that is not a u32)",
              "the engine breaks its protocol; run `ispc conformance <name>` and select another "
              "engine"),
    # PluginError: ispc conformance NAME
    ErrorCode("conformance-ambiguous", PluginError, "<name> names several plugins: <kinds>",
              "add --kind, e.g. --kind <kind>"),
    ErrorCode("conformance-needs-pytest", PluginError,
              "the conformance suites need pytest, which is not installed",
              "pip install 'ispc-framework[conformance]'"),
    ErrorCode("conformance-unknown-suite", PluginError, "unknown suite <suite>; suites: <suites>",
              "pass --kind with one of them"),
    # ExecutionError
    ErrorCode("engine-error", ExecutionError, "wasmer failed: <reason>",
              "an engine failure that is not a trap; report it with the module"),
    ErrorCode("engine-panic", ExecutionError, "wasmer panicked: <reason>",
              "a bug in the engine's binding, never an accepted trap; report it with the module"),
    ErrorCode("compile-timeout", ExecutionError,
              "compiling the module took longer than <seconds> s",
              "raise [plugin.wasmtime] compile_timeout_s for very large modules; a compile that "
              "never ends is an engine bug worth reporting"),
    ErrorCode("pool-worker-died", ExecutionError, "a pool worker process died: <reason>",
              "a worker was killed (out of memory?) or crashed; the pool cannot be used again: "
              "make a new one"),
    ErrorCode("pool-worker-error", ExecutionError, "a pool worker raised <exception>: <message>",
              "a bug, not a verdict on the transaction: the traceback is on the worker's stderr; "
              "report it"),
    ErrorCode("pool-closed", ExecutionError, "the pool is closed",
              "make a new ExecutionPool (close() stops its workers for good)"),
    ErrorCode("gas-over-budget", ExecutionError,
              "engine <name> reported <n> fuel and the host charged <n> gas, more than the "
              "budget of <fuel>",
              "the engine does not enforce its fuel limit (`ispc conformance NAME` shows it); "
              "report it to the engine's authors and select another engine"),
    ErrorCode("onnx-worker-crashed", ExecutionError, "the onnxruntime worker died: <reason>",
              "the model crashed onnxruntime or the OS killed the worker (out of memory); the "
              "next run starts a fresh one"),
    ErrorCode("onnx-worker-protocol", ExecutionError,
              "the worker sent a malformed reply: <reason>"),
    # ModuleRejected: WebAssembly
    ErrorCode("disallowed-import", ModuleRejected,
              "module imports <kind> <module>.<name>; only host functions may be imported",
              "define memory, tables and globals inside the module"),
    ErrorCode("duplicate-import", ModuleRejected, "module imports <module>.<name> more than once",
              "import each host function once and call it through one declaration"),
    ErrorCode("extended-const", ModuleRejected,
              "<where> uses a constant expression of more than one instruction (extended-const)",
              "initialise globals and segment offsets with a single i32.const/i64.const/"
              "global.get (build for wasm32 MVP: clang -mcpu=mvp, asc without --enable flags)"),
    ErrorCode("import-signature", ModuleRejected,
              "module imports <module>.<name> as (<params>) -> (<results>), the host offers "
              "(<params>) -> (<results>)",
              "rebuild against the current HostABI headers (sdk/c/ispc.h, "
              "sdk/assemblyscript/ispc.ts)"),
    ErrorCode("invalid-module", ModuleRejected,
              "<engine> rejected the module: <reason> (parses, but does not validate or uses a "
              "disabled feature)", _REBUILD_MVP),
    ErrorCode("compile-limit", ModuleRejected,
              "compiling the <n>-byte module took longer than <seconds> s (or needed more than "
              "<MiB> MiB)",
              "the module's code is too expensive to compile (for example deeply nested "
              "blocks); split large functions or flatten the nesting"),
    ErrorCode("malformed-module", ModuleRejected,
              "malformed WebAssembly module: <reason> (not bytes, bad magic or version, does "
              "not parse)",
              "pass the compiled .wasm bytes, not text or another format"),
    ErrorCode("method-not-found", ModuleRejected,
              "module exports no method <method>; methods: <methods>",
              "call one of the listed methods"),
    ErrorCode("method-signature", ModuleRejected,
              "method <method> has type <type>, expected () -> i32",
              "a contract method takes no parameters and returns its status"),
    ErrorCode("missing-memory", ModuleRejected,
              "module must define exactly one linear memory and export it as 'memory'",
              "link with --export-memory (clang: -Wl,--export=memory; asc exports it by default)"),
    ErrorCode("module-too-large", ModuleRejected, "module is <n> bytes, the cap is <cap>",
              "shrink the contract (wasm-opt -Oz)"),
    ErrorCode("not-compiled", ModuleRejected,
              "execute() needs a module returned by this engine's compile()"),
    ErrorCode("start-function", ModuleRejected,
              "module has a start function; contracts may run code only through an exported "
              "method",
              "remove the start function (do not use constructors that run at instantiation)"),
    ErrorCode("too-many-tables", ModuleRejected,
              "module declares <n> tables; at most <max> is allowed",
              "use a single function table (clang and asc emit one; do not enable "
              "reference-types code generation)"),
    ErrorCode("unknown-import", ModuleRejected,
              "the module imports <module>.<name>, which no selected HostABI provider offers",
              "select the provider that offers it in ispc.toml, or rebuild the contract against "
              "sdk/c/ispc.h or sdk/assemblyscript/ispc.ts"),
    # ModuleRejected: the WebAssembly spec-test sessions (ispc_framework._wasm_spec_protocol)
    ErrorCode("unlinkable", ModuleRejected,
              "cannot link: <reason> (an import the registered instances do not provide, or of "
              "another type)", "register the module that provides the import first"),
    ErrorCode("export-not-found", ModuleRejected,
              "the instance exports no <kind> <name>", "name an export the module has"),
    ErrorCode("bad-argument", ModuleRejected,
              "<export> takes <n> arguments, got <n> (or a reference argument that cannot be made "
              "from outside)", "pass the export's parameter types"),
    ErrorCode("unsupported-value", ModuleRejected,
              "wasmer-python cannot pass a non-null externref",
              "the engine's binding cannot represent this value; the spec test is skipped"),
    # ModuleRejected: ONNX
    ErrorCode("onnx-checker-failed", ModuleRejected, "onnx.checker rejected the model: <reason>",
              "run onnx.checker.check_model(model, full_check=True) and fix what it reports"),
    ErrorCode("onnx-domain-not-allowed", ModuleRejected,
              "node <node> uses op domain <domain> (or imports its opset), which is not allowed",
              "use only operators of the allowed domains"),
    ErrorCode("onnx-external-data", ModuleRejected, "tensor <name> references external data",
              "embed all weights in the model file "
              "(onnx.save_model(..., save_as_external_data=False))"),
    ErrorCode("onnx-ir-unsupported", ModuleRejected,
              "IR version <v> is outside the engine's [<min>, <max>]",
              "convert the model to a supported IR version (onnx.version_converter)"),
    ErrorCode("onnx-malformed", ModuleRejected,
              "model bytes are not an ONNX ModelProto: <reason>",
              "supply a serialized .onnx model"),
    ErrorCode("onnx-model-too-large", ModuleRejected, "model is <n> bytes, the cap is <cap>",
              "raise [limits] max_model_bytes or use a smaller model"),
    ErrorCode("onnx-nondeterministic-op", ModuleRejected,
              "node <node> (<op_type>) draws random numbers without a seed",
              "set the operator's seed attribute, or remove it for inference"),
    ErrorCode("onnx-opset-unsupported", ModuleRejected,
              "opset <v> of domain <domain> is not supported (highest <v>)",
              "convert the model to a supported, released opset"),
    ErrorCode("onnx-output-mismatch", ModuleRejected,
              "engine returned <n> outputs (or output <name> is <dtype>), the model declares "
              "<declared>",
              "report this engine bug with the model"),
    ErrorCode("onnx-session-failed", ModuleRejected,
              "<engine> cannot load the model: <reason>",
              "the model passed the checker but the engine rejects it; check its operators "
              "against the engine's"),
    ErrorCode("onnx-tensor-too-large", ModuleRejected,
              "tensor <name> would need <n> bytes, over the memory cap of <cap>",
              "raise [limits] memory_mb or fix the model's shapes"),
    ErrorCode("onnx-too-many-elements", ModuleRejected,
              "the model has more than <cap> <what> (counted <n> before stopping): refused "
              "before parsing",
              "models this large are not accepted; raise the engine's ModelCaps only for trusted "
              "models"),
    ErrorCode("onnx-unsupported-feature", ModuleRejected,
              "model-local functions and training info are not accepted",
              "export the model with functions inlined, for inference only"),
    ErrorCode("onnx-unsupported-io-type", ModuleRejected,
              "graph <role> <name> is a <kind> of element type <type> (or declares no shape)",
              _ONNX_LIST),
    # MemoryLimitExceeded
    ErrorCode("table-limit", MemoryLimitExceeded,
              "instantiation failed: the module's table exceeds the cap of <max> table elements",
              "use a smaller function table"),
    # Trap
    ErrorCode("bad-result", Trap, "method <method> returned <value>, expected an i32"),
    ErrorCode("instantiation-failed", Trap, "instantiation failed: <reason>"),
    ErrorCode("onnx-run-failed", Trap, "<engine> failed while running the model: <reason>",
              "check the inputs' values against the model"),
    # EngineUnavailable
    ErrorCode("engine-version", EngineUnavailable,
              "ispc-wasmtime needs wasmtime <major>.x, found <version>"),
    # RepositoryError
    ErrorCode("cannot-open", RepositoryError, "<path>: cannot open the database (<reason>)",
              "check that the path exists and is readable"),
    ErrorCode("closed", RepositoryError, "<path>: the repository was closed",
              "open the repository again"),
    ErrorCode("database-busy", RepositoryError,
              "<path>: the database stayed locked by another writer (<reason>)",
              "retry, or raise [plugin.sqlite] busy_timeout_ms"),
    ErrorCode("database-corrupt", RepositoryError, "<path>: the database file is corrupt",
              "restore it from a backup; `ispc doctor` shows what is wrong"),
    ErrorCode("genesis-exists", RepositoryError, "the chain already has a genesis block",
              "use a new repository"),
    ErrorCode("result-stale", RepositoryError,
              "the result was computed at height <h>, the head is now <h>: a result applies only "
              "on the block it was pinned to",
              "run the request again against the current head"),
    ErrorCode("resource-content-mismatch", RepositoryError,
              "the content stored for resource <hash> does not hash to it",
              "the repository is corrupt; restore it from a backup"),
    ErrorCode("revision-changed", RepositoryError,
              "the repository changed while the execution ran",
              "another writer applied a block; run the request again"),
    ErrorCode("storage-error", RepositoryError, "<path>: SQLite failed: <reason>",
              "check free disk space and file permissions, then run `ispc doctor`"),
    ErrorCode("timestamp-order", RepositoryError, "block timestamp goes backwards",
              "a block's timestamp cannot be before its parent's: leave it out (head + 1), or "
              "move the devnet clock forward with `ispc devnet advance --seconds S`"),
    ErrorCode("wal-unavailable", RepositoryError, "<path>: SQLite refused WAL mode (got <mode>)",
              "put the database on a local file system"),
    ErrorCode("query-wrote", ReadOnlyViolation,
              "<method> is not read-only: it wrote <what>",
              "query only methods that read; run writing methods with `ispc run`"),
    ErrorCode("spent-output-mismatch", InputSpent,
              "an input's output on the chain is not the one the run proved",
              "run the request again against the current head"),
    ErrorCode("no-genesis", NotFound, "the chain has no genesis block", "run `ispc init` first"),
    ErrorCode("demo-examples-missing", NotFound, "<path> is missing",
              "run from the repository root after scripts/bootstrap.sh, or pass --examples PATH"),
    ErrorCode("foreign-database", SchemaError,
              "<path> is a SQLite database, but not an ispc-sqlite one (application_id=<id>)",
              "point [plugin.sqlite] path at a new file or an ispc-sqlite database"),
    ErrorCode("not-a-database", SchemaError, "<path>: the file is not a SQLite database",
              "point [plugin.sqlite] path at a new file or an ispc-sqlite database"),
    ErrorCode("schema-too-new", SchemaError,
              "<path> has schema version <v>; this ispc-sqlite knows versions up to <v>",
              "upgrade ispc-sqlite, or use another database file"),
    # ProofError
    ErrorCode("key-testing-only", ProofError,
              "key <vk_hash> of <circuit> is a testing-only key (single-party setup: whoever ran "
              "it can forge proofs) and allow_testing_keys is off (raised as KeyNotFound when "
              "proving, VerificationFailed when verifying)",
              "run `ispc setup CIRCUIT --mode ceremony` for keys a verifier trusts, or set "
              "[plugin.groth16] allow_testing_keys = true on a development machine"),
    ErrorCode("prover-protocol-error", ProofError,
              "the prover worker's <op> reply is malformed: <what> (or a non-protocol line, an "
              "unknown op, public inputs for another request)",
              "the worker is not following docs/prover-protocol.md"),
    ErrorCode("prover-internal-error", ProofError,
              "<exception type>: <message> (the prover worker hit an unexpected exception; it "
              "keeps serving)",
              "see the worker's stderr; report it with the request"),
    ErrorCode("prover-protocol-mismatch", ProverUnavailable,
              "the worker speaks protocol <n>, this plugin <n>",
              "install matching prover and plugin versions"),
    ErrorCode("circuit-compile-failed", ProverUnavailable,
              "circom2 failed to compile <circuit>: <reason>",
              "check the circom2 and circomlib versions in package.json"),
    ErrorCode("circuit-compile-mismatch", ProverUnavailable,
              "circom2 compiled <circuit> to an r1cs/wasm that differs from the pinned one "
              "(sha256 <hash>); keys made from it would be refused"),
    ErrorCode("node-tool-missing", ProverUnavailable,
              "<tool> (npm) was not found in any node_modules",
              "run `npm ci` in the repository"),
    ErrorCode("prover-backend-failed", ProverUnavailable,
              "snarkjs groth16 prove failed: <output>"),
    ErrorCode("gnark-worker-unbuilt", ProverUnavailable,
              "the gnark worker is not built (no <path>, its Go sources are missing, or "
              "worker_binary is not an executable file)",
              "build it with `python -m ispc_gnark.build` (needs Go), or set [plugin.gnark] "
              "worker_binary"),
    ErrorCode("gnark-worker-stale", ProverUnavailable,
              "the gnark worker binary at <path> was built from other sources (<hash>...)",
              "rebuild it with `python -m ispc_gnark.build`"),
    ErrorCode("gnark-worker-build-failed", ProverUnavailable,
              "go build of the gnark worker failed: <output>"),
    ErrorCode("go-missing", ProverUnavailable, "the Go toolchain (`go`) is not on PATH",
              "install Go 1.25 or newer, or set [plugin.gnark] worker_binary to a prebuilt worker"),
    ErrorCode("prover-start-failed", ProverUnavailable,
              "cannot start the prover worker <command>: <reason>"),
    ErrorCode("prover-worker-died", ProverUnavailable,
              "the prover worker exited (status <n>) before replying; its stderr ends with: <text>",
              "the next request restarts it; see the stderr above"),
    ErrorCode("setup-failed", ProverUnavailable,
              "snarkjs <command> failed: <output> (or groth16py read another key than snarkjs "
              "exported)",
              "see the snarkjs output above"),
    ErrorCode("key-circuit-mismatch", KeyNotFound,
              "key directory <path> belongs to circuit <circuit>, not <circuit> (or holds "
              "circuit files that are not the pinned ones)",
              "obtain the keys from the setup you trust"),
    ErrorCode("key-corrupt", KeyNotFound,
              "key directory <path> does not hash to its name (or was modified after setup)",
              "delete the key directory and run `ispc setup` again"),
    ErrorCode("key-hash-invalid", KeyNotFound, "<text> is not a verification key hash"),
    ErrorCode("key-no-zkey", KeyNotFound,
              "key <vk_hash> has no snarkjs .zkey (it came from a testing setup)",
              "run `ispc setup CIRCUIT --mode ceremony`, or use backend = \"groth16py\""),
    ErrorCode("key-version-mismatch", KeyNotFound,
              "key directory <path> is for <circuit> v<n>, this plugin uses v<n>",
              "run `ispc setup` again for the new circuit version"),
    ErrorCode("witness-capacity", WitnessError,
              "the draft spends <n> inputs and makes <n> asset outputs; the circuit holds at most "
              "<n_in> and <n_out>",
              "split the work over several executions or use a circuit with larger capacities"),
    ErrorCode("witness-conservation", WitnessError,
              "the draft creates <amount> of <token> but spends only <amount>, and the executing "
              "contract is not its issuer",
              "outputs of a token may not exceed its inputs unless the executing contract issued "
              "the token"),
    ErrorCode("witness-input", WitnessError,
              "input signal <name> is not in the circuit (or needs <n> values, got <n>)"),
    ErrorCode("witness-range", WitnessError, "amount <amount> is outside [0, 2^64)",
              "amounts are unsigned 64-bit integers"),
    ErrorCode("witness-unsatisfied", WitnessError, "witness generation failed: <reason>"),
    ErrorCode("demo-broken", VerificationFailed, "a tampered public input verified"),
    ErrorCode("proof-circuit-mismatch", VerificationFailed,
              "proof is for <circuit> v<n>, this plugin knows v<n>"),
    ErrorCode("proof-circuit-unknown", VerificationFailed, "unknown circuit <circuit>"),
    ErrorCode("proof-contract-mismatch", VerificationFailed,
              "the proof names another executing contract"),
    ErrorCode("proof-draft-mismatch", VerificationFailed,
              "the proof commits to a different draft (or the draft does not satisfy <circuit>)",
              "the draft, its spent outputs or the contract differ from what was proved"),
    ErrorCode("proof-draft-rules", VerificationFailed,
              "the draft breaks the rules of <circuit>: <message> [<code>]"),
    ErrorCode("proof-key-untrusted", VerificationFailed,
              "the proof was made with key <vk_hash>, which this verifier does not trust for "
              "<circuit> (trusted: <hashes>)"),
    ErrorCode("proof-malformed", VerificationFailed,
              "a Groth16 proof is <n> bytes, got <n> (or the backend rejects its encoding)"),
    ErrorCode("proof-missing", VerificationFailed, "the result carries no proof",
              "results must be proven; re-run without --no-prove"),
    ErrorCode("proof-public-mismatch", VerificationFailed,
              "the proof's public inputs name another execution result, draft or count",
              "a proof is bound to one execution_result_hash and cannot be moved"),
    ErrorCode("proof-scheme-mismatch", VerificationFailed,
              "a <scheme>/<curve> proof cannot be verified here (groth16/bn254 only)"),
    ErrorCode("result-hash-mismatch", VerificationFailed,
              "the result's fields do not hash to its execution result hash: it was altered",
              "use the result exactly as `ispc run --out` wrote it"),
    ErrorCode("state-not-own", VerificationFailed,
              "the draft's storage delta is for contract <contract>, the result for <contract>",
              "a contract writes only its own storage"),
    ErrorCode("state-output-mismatch", VerificationFailed,
              "the state output does not belong to this result"),
)


def _index(entries: tuple[ErrorCode, ...]) -> dict[str, ErrorCode]:
    table: dict[str, ErrorCode] = {}
    for entry in entries:
        if entry.code in table:
            raise RuntimeError(f"error code {entry.code!r} is declared twice")
        table[entry.code] = entry
    return table


#: Every declared code, class codes first.
REGISTRY: dict[str, ErrorCode] = _index(CLASS_CODES + _SPECIFIC)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown() -> str:
    """docs/errors.md: the class tree, then every class with its specific codes."""
    by_class: dict[type[ISPCError], list[ErrorCode]] = {}
    for entry in _SPECIFIC:
        by_class.setdefault(entry.error, []).append(entry)
    lines = [
        "# Error codes",
        "",
        "<!-- generated by `python -m ispc_framework._error_codes` from "
        "ispc_framework/_error_codes.py; do not edit -->",
        "",
        "Every error ISPC raises on purpose is an `ispc_framework._errors.ISPCError` with a stable "
        "`code`, a `message` and a `hint`; `str(err)` reads `message. Hint: hint [code]` and "
        "`--json` output carries the three as fields. Catch by class, match on `code` in "
        "scripts: a code names one condition and never changes meaning. A code is raised as "
        "the class listed with it or a subclass of that class. In the messages, `<angle "
        "brackets>` mark what the raise site fills in.",
        "",
        f"{len(REGISTRY)} codes: {len(CLASS_CODES)} class codes and {len(_SPECIFIC)} specific "
        "ones.",
        "",
        "## The class tree",
        "",
        "```",
        *_tree_lines(),
        "```",
        "",
    ]
    for entry in CLASS_CODES:
        cls = entry.error
        parent = next(b.__name__ for b in cls.__mro__[1:] if issubclass(b, Exception))
        lines += [f"## {cls.__name__}", "",
                  f"`{entry.code}` (subclass of `{parent}`). {entry.message}", "",
                  f"Hint: {entry.effective_hint}", ""]
        specific = sorted(by_class.get(cls, ()), key=lambda e: e.code)
        if specific:
            lines += ["| code | message | hint |", "|---|---|---|"]
            lines += [f"| `{e.code}` | {_cell(e.message)} | "
                      f"{_cell(e.hint) if e.hint is not None else '(the class hint)'} |"
                      for e in specific]
            lines.append("")
    return "\n".join(lines)


def _tree_lines() -> list[str]:
    out: list[str] = []

    def walk(cls: type[ISPCError], depth: int) -> None:
        out.append(f"{'    ' * depth}{cls.__name__:<{28 - 4 * depth}} {cls.code}")
        for sub in cls.__subclasses__():
            if sub.__module__ == errors.__name__:
                walk(sub, depth + 1)

    walk(ISPCError, 0)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ispc_framework._error_codes",
                                     description="Write docs/errors.md from the error-code "
                                                 "registry.")
    parser.add_argument("--check", action="store_true", help="fail if docs/errors.md is stale")
    parser.add_argument("--out", type=Path, default=DOC_PATH)
    args = parser.parse_args(argv)
    text = render_markdown()
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else None
        if current != text:
            print(f"stale: {args.out}; run `python -m ispc_framework._error_codes` and commit it",
                  file=sys.stderr)
            return 1
        print(f"{args.out.name} is in sync with the error-code registry")
        return 0
    args.out.write_text(text, encoding="utf-8")
    print("wrote", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

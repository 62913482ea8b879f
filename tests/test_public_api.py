"""The public surface is deliberate: these tests pin it, so any change is a visible decision.

Three namespaces, one per audience: ``ispc_framework`` (users of the API),
``ispc_framework.plugins`` (plugin authors) and ``ispc_framework.testing`` (plugins' own tests).
In the style of trio's ``test_exports``: every exported name resolves, the names static tools see
(the ``if TYPE_CHECKING:`` imports) are exactly the lazily loaded ones, and first-party plugins
import nothing else from the core.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

import ispc_framework
from ispc_framework import _errors as errors, plugins

ROOT = Path(__file__).resolve().parents[1]
NAMESPACES = ["ispc_framework", "ispc_framework.plugins", "ispc_framework.testing"]

EXPECTED_TOP_LEVEL = {
    "__version__",
    "OutPoint", "TxInput", "SingleKeyLock", "MultiKeyLock", "ContractLock", "TimeLock",
    "HeightLock", "NativeCoin", "FungibleToken", "NonFungibleToken", "AssetOutput",
    "ResourceCategory", "ResourceOutput", "ZKStateProof", "StateOutput", "TxOutput", "Event",
    "Tensor", "SealedDraft", "WasmExecutionResult", "OnnxExecutionResult", "StateDelta",
    "StateWrite", "ResultCommitment",
    "SigningKey", "address_of", "devnet_key", "SignedTransaction", "sign_request", "Spender",
    "spend_refusal",
    "encode", "decode", "to_json", "from_json", "digest", "hash_of",
    "ExecutionLimits", "TransactionDraft", "ExecutionTrace", "TraceRecord", "ChainPins",
    "ExecutionRequest", "ExecutionContext", "ContextManager", "Coordinator", "final_transaction",
    "ExecutionPool",
    "HostFunction", "HostEnv", "GuestMemory", "EngineOutcome", "WasmEngine", "OnnxEngine",
    "ProofRequest", "Prover", "ChainView", "RepositoryWriter", "MemoryRepository",
    "Config", "load_config", *errors.__all__,
}

EXPECTED_PLUGIN_API = {
    # descriptors, hooks, the manager
    "hookimpl", "hookspec", "PluginManager", "PluginRecord", "ENTRY_POINT_GROUP", "AUTOLOAD_ENV",
    "KINDS", "PLUGIN_API_VERSION", "PluginSpec", "EngineSpec", "HostABIProviderSpec",
    "ProverSpec", "TraceSinkSpec", "RepositorySpec", "Setting", "load_factory", "resolve_settings",
    "check_distinct_inputs",
    "HookSpec", "traced_host_function", "StoredTrace",
    # the protocols a plugin object implements
    "WasmEngine", "OnnxEngine", "Prover", "ChainView", "RepositoryWriter", "Repository",
    "TraceSink", "HostABIProvider",
    # what engines bind and enforce
    "WASM_VALUE_TYPES", "BOUNDING_CAPABILITIES", "GuestMemory", "HostEnv", "HostFunction",
    "EngineOutcome", "MemoryAccessError", "WASM_FEATURES", "WASM_PAGE",
    "DEFAULT_MAX_MODULE_BYTES", "MAX_TABLES", "MAX_TABLE_ELEMENTS", "FuncImport", "ModuleInfo",
    "parse_module", "check_module", "check_method", "bind_imports",
    # the optional "spec-tests" protocol (raw module work for the spec suite)
    "SPEC_TESTS", "SPEC_VALUE_TYPES", "INVALID", "UNLINKABLE", "WasmValue", "SpecSession",
    "SpecTestEngine", "supports_spec_tests",
    "DEFAULT_ALLOWED_DOMAINS", "ModelPolicy", "TensorSpec", "CheckedModel", "coerce_limits",
    "cpu_isa_class", "load_checked_model", "model_hash", "validate_inputs", "tensor_to_array",
    "tensor_from_array", "outputs_to_tensors", "canonical_tensor_bytes",
    # provers and repositories
    "ProofRequest", "Progress", "BlockInfo", "BlockRecord", "AppliedBlock", "GENESIS_PARENT", "block_hash_of",
    "content_hash", "transaction_id_of", "check_spendable", "check_timestamp", "MemoryRepository",
    "ApplyCheck", "check_head", "check_new_transaction", "genesis_hash_of",
    # signed transactions and who may spend what (docs/authorization.md)
    "Spender", "spend_refusal", "check_spends", "contract_state_id", "SignedTransaction",
    "check_signatures", "check_transaction", "SigningKey", "verify_signature", "address_of",
    # provers with a subprocess worker (docs/prover-protocol.md) and the ispc.draft.v2 inputs
    "PROVER_PROTOCOL", "WorkerClient", "WorkerProver", "COMMON_SETTINGS", "worker_prover_settings",
    "is_testing_key",
    "KeyStore", "KeyRecord", "vk_hash", "canonical_vk", "sha256_file", "PUBLIC_SIGNALS",
    "field_of", "contract_element", "token_element", "issuer_element", "result_limbs",
    "circuit_inputs", "public_inputs", "check_rules", "commitment_elements", "draft_commitment",
    "poseidon_sponge", "statement_version",
    # one run
    "ChainPins", "ExecutionRequest", "ExecutionContext", "ContextManager", "ExecutionLimits",
    "ExecutionTrace", "TraceRecord",
    # encoding, data model, errors
    "encode", "decode", "digest", "hash_of", "to_json", "from_json",
    "HASH_LEN", "ADDRESS_LEN", "MAX_AMOUNT", "MAX_U32", "MAX_U64", "OutPoint", "TxInput",
    "SingleKeyLock", "MultiKeyLock", "ContractLock", "TimeLock", "HeightLock", "LockingCondition",
    "NativeCoin", "FungibleToken", "NonFungibleToken", "Token", "AssetOutput", "ResourceCategory",
    "ResourceOutput", "ZKStateProof", "StateOutput", "TxOutput", "Event", "TENSOR_DTYPES",
    "Tensor", "SealedDraft", "WasmExecutionResult", "OnnxExecutionResult", "ResultCommitment",
    *errors.__all__,
    # contract storage
    "MAX_STATE_KEY_BYTES", "MAX_STATE_VALUE_BYTES", "StateWrite", "StateDelta", "EMPTY_ROOT",
    "StateProof", "state_root", "prove", "verify_proof", "check_delta", "build_delta",
}


def _lazy_table_and_static_imports(module_name: str) -> tuple[dict[str, set[str]],
                                                                  dict[str, set[str]]]:
    """The namespace's ``_EXPORTS`` table and its ``if TYPE_CHECKING:`` imports, by module."""
    module = importlib.import_module(module_name)
    tree = ast.parse(Path(module.__file__).read_text())
    static: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for item in node.body:
                assert isinstance(item, ast.ImportFrom), ast.dump(item)
                source = "." * item.level + (item.module or "")
                static.setdefault(source, set()).update(alias.name for alias in item.names)
    lazy = {source: set(names) for source, names in module._EXPORTS.items()}
    return lazy, static


@pytest.mark.parametrize("name", NAMESPACES)
def test_static_imports_equal_the_lazy_exports(name):
    lazy, static = _lazy_table_and_static_imports(name)
    assert static == lazy, "keep the TYPE_CHECKING imports and _EXPORTS in sync"
    module = importlib.import_module(name)
    exported = {n for names in lazy.values() for n in names}
    assert exported <= set(module.__all__)


def test_mypy_is_strict_on_every_module_behind_the_exports():
    """pyproject.toml's strict mypy list is exactly the namespaces and the modules they export
    from (plus the pytest plugin the ``pytest11`` entry point loads)."""
    tomllib = pytest.importorskip("tomllib" if sys.version_info >= (3, 11) else "tomli")
    overrides = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]["overrides"]
    strict = {m for o in overrides if o.get("disallow_untyped_defs") for m in o["module"]}
    behind = set(NAMESPACES) | {"ispc_framework.testing._pytest_plugin"}
    for name in NAMESPACES:
        for source in _lazy_table_and_static_imports(name)[0]:
            behind.add(importlib.util.resolve_name(source, name))
    assert strict == behind


@pytest.mark.parametrize("name", NAMESPACES)
def test_every_export_resolves_to_its_defining_module(name):
    module = importlib.import_module(name)
    lazy, _static = _lazy_table_and_static_imports(name)
    for source, names in lazy.items():
        defining = importlib.import_module(source, name)
        for attr in names:
            assert getattr(module, attr) is getattr(defining, attr), f"{name}.{attr}"
    assert set(dir(module)) >= set(module.__all__)
    with pytest.raises(AttributeError):
        module.no_such_name  # noqa: B018


def test_top_level_exports_are_pinned():
    assert set(ispc_framework.__all__) == EXPECTED_TOP_LEVEL


def test_plugin_api_exports_are_pinned():
    assert set(plugins.__all__) == EXPECTED_PLUGIN_API
    assert plugins.ENTRY_POINT_GROUP == "ispc.plugins"


def test_every_error_has_a_stable_code_and_hint_and_is_in_the_tree():
    classes = [getattr(errors, name) for name in errors.__all__]
    codes = [cls.code for cls in classes]
    assert len(codes) == len(set(codes)), "codes must be unique per class"
    for cls in classes:
        assert issubclass(cls, errors.ISPCError)
        assert cls.code and cls.hint
        assert cls.__name__ in errors.__doc__, f"{cls.__name__} missing from the drawn tree"


@pytest.mark.parametrize("name", ["ispc_framework", "ispc_framework.plugins"])
def test_importing_a_namespace_loads_no_implementation_module(name):
    code = (f"import sys, {name}; "
            "print(sorted(m for m in sys.modules if m.startswith('ispc_framework.')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout
    for heavy in ("ispc_framework._model", "ispc_framework._coordinator",
                  "ispc_framework._onnx_safety", "ispc_framework.plugins._manager"):
        assert heavy not in loaded


def _core_imports(path: Path) -> set[str]:
    """Every ``ispc_framework...`` module a file imports (absolute imports only)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        else:
            continue
        found.update(m for m in modules if m.split(".")[0] == "ispc_framework")
    for node in ast.walk(ast.parse(path.read_text())):   # imports written inside strings
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and "from ispc_framework." in node.value:
            found.update(line.split()[1] for line in node.value.splitlines()
                         if line.strip().startswith("from ispc_framework."))
    return found


PLUGIN_CODE = sorted(p for p in ROOT.glob("plugins/*/ispc_*/**/*.py"))
PLUGIN_TESTS = sorted(p for p in ROOT.glob("plugins/*/tests/**/*.py"))


def test_first_party_plugins_import_only_the_public_namespaces():
    """Plugin code may use the user API and the plugin API; its tests also the testing helpers
    and the conformance suite. Anything else is an implementation module that may change."""
    assert PLUGIN_CODE and PLUGIN_TESTS
    offending = []
    for path, allowed in ([(p, {"ispc_framework", "ispc_framework.plugins"}) for p in PLUGIN_CODE]
                          + [(p, {"ispc_framework", "ispc_framework.plugins",
                                  "ispc_framework.testing", "ispc_framework.conformance"})
                             for p in PLUGIN_TESTS]):
        for module in _core_imports(path):
            if module not in allowed and not module.startswith("ispc_framework.conformance."):
                offending.append(f"{path.relative_to(ROOT)}: {module}")
    assert not offending, "import these through ispc_framework.plugins:\n" + "\n".join(offending)


def test_no_plugin_depends_on_another_plugin():
    """Engine-neutral rules live in the core, so each plugin installs on its own."""
    names = {p.name for p in ROOT.glob("plugins/ispc-*")}
    packages = {n.replace("-", "_") for n in names}
    for plugin in names:
        setup = (ROOT / "plugins" / plugin / "setup.cfg").read_text()
        block = setup.split("install_requires", 1)[1].split("[", 1)[0]
        requires = {line.split("#")[0].split(";")[0].split("=")[0].split(">")[0].split("<")[0]
                    .strip() for line in block.splitlines()[1:]} - {""}
        assert not requires & (names - {plugin}), f"{plugin} requires another plugin"
        own = plugin.replace("-", "_")
        for path in (ROOT / "plugins" / plugin).glob(f"{own}/**/*.py"):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    top = node.module.split(".")[0]
                    assert top == own or top not in packages, f"{path}: imports {node.module}"

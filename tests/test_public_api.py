"""The public surface is deliberate: this test pins it, so any change is a visible decision."""

from __future__ import annotations

import ispc_framework
from ispc_framework import errors, plugins

EXPECTED_TOP_LEVEL = {
    "__version__",
    "OutPoint", "TxInput", "SingleKeyLock", "MultiKeyLock", "ContractLock", "TimeLock",
    "HeightLock", "NativeCoin", "FungibleToken", "NonFungibleToken", "AssetOutput",
    "ResourceCategory", "ResourceOutput", "ZKStateProof", "StateOutput", "TxOutput", "Event",
    "Tensor", "SealedDraft", "WasmExecutionResult", "OnnxExecutionResult",
    "encode", "decode", "to_json", "from_json", "digest", "hash_of",
    "ExecutionLimits", "TransactionDraft", "ExecutionTrace", "TraceRecord", "ChainPins",
    "ExecutionRequest", "ExecutionContext", "ContextManager", "Coordinator", "final_transaction",
    "HostFunction", "HostEnv", "GuestMemory", "EngineOutcome", "WasmEngine", "OnnxEngine",
    "ProofRequest", "Prover", "ChainView", "RepositoryWriter", "MemoryRepository",
    "Config", "load_config", "ISPCError",
}

EXPECTED_PLUGIN_API = {
    "hookimpl", "hookspec", "PluginManager", "PluginRecord", "ENTRY_POINT_GROUP", "AUTOLOAD_ENV",
    "KINDS", "PLUGIN_API_VERSION", "PluginSpec", "EngineSpec", "HostABIProviderSpec",
    "ProverSpec", "TraceSinkSpec", "RepositorySpec", "Setting", "load_factory",
}


def test_top_level_exports_are_pinned():
    assert set(ispc_framework.__all__) == EXPECTED_TOP_LEVEL
    for name in ispc_framework.__all__:
        assert hasattr(ispc_framework, name), name


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


def test_names_are_loaded_lazily_and_match_their_modules():
    import importlib
    import subprocess
    import sys

    for name in ispc_framework.__all__[1:]:
        module = importlib.import_module(f"ispc_framework.{ispc_framework._MODULE_OF[name]}")
        assert getattr(ispc_framework, name) is getattr(module, name)
    code = ("import sys, ispc_framework; "
            "print(sorted(m for m in sys.modules if m.startswith('ispc_framework.')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout
    assert "ispc_framework.model" not in loaded and "ispc_framework.coordinator" not in loaded

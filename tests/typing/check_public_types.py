"""Checked by mypy (scripts/test.sh), never run: the public API as a type checker sees it.

``assert_type`` fails the mypy run when an export or an accessor degrades to ``Any`` (the lazy
namespaces hide their names from static tools unless the ``TYPE_CHECKING`` imports are right) or
changes type.
"""

from __future__ import annotations

from typing_extensions import assert_type

import ispc_framework
import ispc_framework.plugins
import ispc_framework.testing
from ispc_framework import (ChainPins, ChainView, Config, Coordinator, ExecutionLimits,
                            ExecutionRequest, ISPCError, OnnxExecutionResult, SignedTransaction,
                            Tensor, WasmExecutionResult, load_config)
from ispc_framework.plugins import (AppliedBlock, OnnxEngine, PluginManager, PluginSpec, Prover,
                                    Repository, RepositoryWriter, TraceSink, WasmEngine,
                                    ZKStateProof)


def namespaces_are_typed() -> None:
    assert_type(ispc_framework.Coordinator, type[Coordinator])
    assert_type(ispc_framework.plugins.WorkerProver.SETTINGS,
                tuple[ispc_framework.plugins.Setting, ...])
    assert_type(ispc_framework.load_config(), Config)


def coordinator_is_typed(c: Coordinator, tx: SignedTransaction) -> None:
    assert_type(c.config, Config)
    assert_type(c.plugins, PluginManager)
    assert_type(c.wasm_engine(), WasmEngine)
    assert_type(c.onnx_engine(), OnnxEngine)
    assert_type(c.prover(), Prover)
    assert_type(c.repository, Repository)
    assert_type(c.repository.view(), ChainView)
    assert_type(c.repository.writer(), RepositoryWriter)
    assert_type(c.repository.view().head(), ChainPins)
    assert_type(c.sinks(), list[TraceSink])
    assert_type(c.plugins.select("prover", "groth16"), PluginSpec)
    result = c.execute(tx)
    assert_type(result, WasmExecutionResult)
    assert_type(c.apply_result(result), AppliedBlock)
    assert_type(c.replay(result), list[str])


def results_are_typed(result: WasmExecutionResult, model: OnnxExecutionResult) -> None:
    # read through from the commitment: typed descriptors, not Any
    assert_type(result.status, int)
    assert_type(result.gas_used, int)
    assert_type(result.return_data, bytes)
    assert_type(result.pins, ChainPins)
    assert_type(result.transaction, SignedTransaction)
    assert_type(result.transaction.request, ExecutionRequest)
    assert_type(result.state_output.zk_proof, ZKStateProof | None)
    assert_type(model.outputs, tuple[Tensor, ...])
    assert_type(load_config(None).limits, ExecutionLimits)


def testing_helpers_are_typed(engine: WasmEngine) -> None:
    from ispc_framework.testing import registered_specs, run_direct

    assert_type(registered_specs("groth16"), list[PluginSpec])
    done = run_direct(engine, engine.compile(b"", []), "run", [])
    assert_type(done.status, int | None)
    assert_type(done.error, ISPCError | None)

"""The example and hostile contracts against the reference engine's golden results.

``data/wasm/`` ships the example contracts (C and AssemblyScript builds of examples/contracts) and
the hostile ones (examples/contracts/wat/hostile_*.wat, assembled), and ``data/wasm_golden.json``
what the reference engine (ispc-wasmtime) gave for each call of a fixed scenario: status, return
data, the sealed draft, the trace root, host gas and engine fuel, or the typed error's code. A
conforming engine replays every scenario on an in-memory chain with the core's HostABI providers,
through the run object as the coordinator does (:func:`ispc_framework.testing.run_direct`), and
must give the same, byte for byte (engine fuel only where the engine declares "metering"; trace
roots commit to host gas, never to engine fuel, so engines without metering still match).

A scenario is data: the contract, the genesis coins (owned by the contract for a treasury), and
calls (method, input, caller, nonce, whether the draft is applied before the next call). Inputs
that name outputs of earlier calls hold the reference's outpoints, so an engine whose drafts
differ fails at the first differing call, with the field named.

The golden file is written by ``tests/wasm/conformance_golden.py`` (from the scenarios of the
example-contract tests) and checked against ispc-wasmtime by ``tests/wasm/test_conformance_golden.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from typing import Any

from .._encoding import encode
from .._errors import ISPCError
from .._limits import ExecutionLimits
from .._model import AssetOutput, NativeCoin, TxOutput

__all__ = ["load_golden", "contract_code", "host_functions", "replay", "observe", "GENESIS"]

#: chain id and genesis timestamp of every scenario chain
GENESIS = ("ispc-devnet", 1_700_000_000)


def _data() -> Any:
    return resources.files(__package__) / "data"


def load_golden() -> dict[str, Any]:
    """``{"engine": reference engine fingerprint, "cases": {name: case}}`` as shipped."""
    return json.loads((_data() / "wasm_golden.json").read_text(encoding="utf-8"))


def contract_code(file: str) -> bytes:
    return (_data() / "wasm" / file).read_bytes()


def host_functions() -> tuple[Any, ...]:
    """The core's HostABI providers (ispc.v1, ispc.crypto, ispc.state), as a default run has."""
    from .._hostabi.compose import host_functions_for
    from .._hostabi.crypto import CryptoProvider
    from .._hostabi.state import StateProvider
    from .._hostabi.v1 import V1Provider

    return host_functions_for([V1Provider(), CryptoProvider(), StateProvider()])


def observe(result: Any) -> dict[str, Any]:
    """What the golden file records of one call (a DirectResult)."""
    if result.error is not None:
        return {"error": result.error.code, "status": result.status,
                "gas": result.gas_used}
    return {"status": result.status, "return_data": result.return_data.hex(),
            "draft": encode(result.draft).hex(), "trace_root": result.trace_root.hex(),
            "gas": result.gas_used, "fuel": result.fuel_used}


def _chain(code: bytes, genesis: list[list[Any]]) -> Any:
    from .._repository import MemoryRepository, content_hash

    repo = MemoryRepository()
    address = content_hash(code)
    repo.create_genesis(GENESIS[0], GENESIS[1], [
        TxOutput(address if owner == "contract" else bytes.fromhex(owner),
                 asset=AssetOutput(NativeCoin(), amount)) for owner, amount in genesis])
    repo.store_resource(code)
    return repo, address


def run_case(engine: Any, case: dict[str, Any], functions: Any,
             on_call: Callable[[int, dict[str, Any], dict[str, Any]], None]) -> None:
    """Run one scenario on ``engine``; ``on_call(index, call, observed)`` sees every call.
    A compile error is observed as call -1."""
    from ..testing import run_direct

    code = contract_code(case["code"])
    repo, address = _chain(code, case.get("genesis", []))
    limits = ExecutionLimits(**case["limits"]) if case.get("limits") else None
    try:
        compiled = engine.compile(code, functions)
    except ISPCError as exc:
        on_call(-1, {"method": "(compile)"}, {"error": exc.code})
        return
    for index, call in enumerate(case["calls"]):
        view = repo.view()
        result = run_direct(engine, compiled, call["method"], functions, code_hash=address,
                            input=bytes.fromhex(call.get("input", "")),
                            caller=bytes.fromhex(call["caller"]), pins=view.head(), view=view,
                            nonce=call.get("nonce", 0), limits=limits)
        on_call(index, call, observe(result))
        if call.get("apply") and result.ok:
            repo.apply(result.draft)


def replay(engine: Any, case: dict[str, Any], functions: Any, *, metered: bool) -> list[str]:
    """Differences between ``engine`` and the golden results of ``case``, one line each
    (empty: identical). Engine fuel is compared only when ``metered``."""
    expected = dict(enumerate(case.get("expect", [])))
    if case.get("compile") is not None:
        expected[-1] = case["compile"]
    differences: list[str] = []
    seen_indices: list[int] = []

    def compare(index: int, call: dict[str, Any], seen: dict[str, Any]) -> None:
        seen_indices.append(index)
        want = expected.get(index)
        if want is None and index == -1:
            differences.append(f"compile refused the module with [{seen['error']}]; the "
                               f"reference engine compiles it")
            return
        if want is None:
            differences.append(f"{call['method']}: this engine gave {seen}, the reference "
                               f"engine refused the module at compile time with "
                               f"[{expected.get(-1, {}).get('error')}]")
            return
        for field in sorted(set(want) | set(seen)):
            if field == "fuel" and not metered:
                continue
            if want.get(field) != seen.get(field):
                differences.append(
                    f"call {index} {call['method']}({call.get('input', '')[:24]}): {field} "
                    f"{str(seen.get(field))[:48]}, the reference engine gives "
                    f"{str(want.get(field))[:48]}")

    run_case(engine, case, functions, compare)
    if -1 in expected and -1 not in seen_indices and not differences:
        differences.append(f"compile accepted the module; the reference engine refuses it with "
                           f"[{expected[-1]['error']}]")
    return differences[:8]   # the first difference usually explains the rest

"""Write the wasm engine suite's golden file (ispc_framework/conformance/data/wasm_golden.json)
from the scenarios of the example-contract tests, run on the reference engine (ispc-wasmtime).

    .venv/bin/python tests/wasm/conformance_golden.py            # results of the shipped modules
    .venv/bin/python tests/wasm/conformance_golden.py --refresh  # first copy fresh builds in

``--refresh`` copies examples/contracts/build/*.wasm (examples/contracts/build.sh) and assembles
examples/contracts/wat/hostile_*.wat into ispc_framework/conformance/data/wasm/. The scenarios are
recorded, not rewritten: each test chain's calls and applies are kept as data, and the results
are then taken from :func:`ispc_framework.conformance.wasm_examples.run_case`, the very replay the
suite runs, so the file cannot disagree with the suite about what a call is.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DATA = REPO / "ispc_framework" / "conformance" / "data"
sys.path[:0] = [str(HERE), str(HERE.parent)]

import test_wasm_examples as examples  # noqa: E402
import test_wasm_storage as storage  # noqa: E402

from ispc_framework.conformance import wasm_examples  # noqa: E402

#: hostile modules the engine must refuse with the reference's typed error under default limits
#: (the ones needing a declared limit are the suite's capability checks)
HOSTILE = ("hostile_bad_pointer", "hostile_event_flood", "hostile_huge_return",
           "hostile_recursion", "hostile_start", "hostile_unknown_import", "hostile_unreachable")


class _Recorder:
    """Stands in for a scenario's test chain: keeps its calls and applies as data, and answers
    each call by running it on the reference engine so the scenario can go on."""

    def __init__(self, chain: object) -> None:
        self.chain, self.calls = chain, []
        self._last: dict[int, dict] = {}

    def call(self, method: str, data: bytes = b"", caller: bytes | None = None):
        kwargs = {} if caller is None else {"caller": caller}
        result = self.chain.call(method, data, **kwargs)
        used_caller = caller if caller is not None else self._default_caller()
        nonce = getattr(self.chain, "nonce", 0)
        self.calls.append({"method": method, "input": data.hex(), "caller": used_caller.hex(),
                           "nonce": nonce, "apply": False})
        self._last[id(result)] = self.calls[-1]
        return result

    def apply(self, result):
        self._last[id(result)]["apply"] = True
        return self.chain.apply(result)

    def _default_caller(self) -> bytes:
        return examples.OWNER if isinstance(self.chain, examples.Chain) else storage.ALICE

    def __getattr__(self, name: str):
        return getattr(self.chain, name)


def _contracts() -> dict[str, bytes]:
    return {path.stem: path.read_bytes() for path in sorted((DATA / "wasm").glob("*.wasm"))}


def refresh() -> None:
    import shutil

    import wasmtime

    (DATA / "wasm").mkdir(parents=True, exist_ok=True)
    build = REPO / "examples" / "contracts" / "build"
    names = [*examples.SCENARIOS, *storage.SCENARIOS]
    for name in names:
        for lang in ("c", "as"):
            shutil.copyfile(build / f"{name}_{lang}.wasm", DATA / "wasm" / f"{name}_{lang}.wasm")
    wat = REPO / "examples" / "contracts" / "wat"
    for name in HOSTILE:
        (DATA / "wasm" / f"{name}.wasm").write_bytes(
            bytes(wasmtime.wat2wasm((wat / f"{name}.wat").read_text())))


def generate(engine) -> dict:
    """The golden document for ``engine`` (the reference: ispc-wasmtime) from the shipped
    modules."""
    functions = wasm_examples.host_functions()
    contracts = _contracts()
    cases: dict[str, dict] = {}
    for name, scenario in examples.SCENARIOS.items():
        for lang in ("c", "as"):
            recorder = _Recorder(examples.Chain(engine, functions, contracts[f"{name}_{lang}"]))
            scenario(recorder)
            cases[f"{name}_{lang}"] = {"code": f"{name}_{lang}.wasm", "genesis": [],
                                       "calls": recorder.calls}
    for name, (scenario, treasury) in storage.SCENARIOS.items():
        for lang in ("c", "as"):
            chain = storage.Chain(engine, functions, contracts[f"{name}_{lang}"], treasury)
            recorder = _Recorder(chain)
            scenario(recorder)
            cases[f"{name}_{lang}"] = {"code": f"{name}_{lang}.wasm",
                                       "genesis": [["contract", a] for a in treasury],
                                       "calls": recorder.calls}
    for name in HOSTILE:
        cases[name] = {"code": f"{name}.wasm", "genesis": [],
                       "calls": [{"method": "run", "caller": (b"\x22" * 32).hex()}]}
    for case in cases.values():
        expect: list[dict] = []

        def record(index: int, call: dict, seen: dict, case=case, expect=expect) -> None:
            if index == -1:
                case["compile"] = seen
            else:
                expect.append(seen)

        wasm_examples.run_case(engine, case, functions, record)
        if expect:
            case["expect"] = expect
    return {"reference_engine": engine.fingerprint(), "cases": cases}


def main() -> None:
    from ispc_wasmtime.engine import WasmtimeEngine

    if "--refresh" in sys.argv:
        refresh()
    engine = WasmtimeEngine()
    document = generate(engine)
    (DATA / "wasm_golden.json").write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    print(f"wrote {DATA / 'wasm_golden.json'}: {len(document['cases'])} cases, "
          f"{sum(len(c['calls']) for c in document['cases'].values())} calls")


if __name__ == "__main__":
    main()

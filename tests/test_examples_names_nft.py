"""#14: the name registry and NFT collection examples through the Python API (Coordinator,
signed transactions, storage across blocks) and the CLI (`ispc run --apply`, `ispc query`,
`ispc state`), on wasmtime and, in the Python 3.10 phase, wasmer. Every step's status, return
data and draft (with its storage delta and roots) is hashed and compared with one pinned digest
per contract, the same for both engines: identical results on both. (Gas is not in the digest:
wasmer has no fuel metering, so its runs charge host gas only.)"""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

import pytest
from click.testing import CliRunner

from ispc_framework import (Coordinator, ExecutionRequest, MemoryRepository, ResourceCategory,
                            ResourceOutput, SealedDraft, TxOutput, devnet_key, load_config)
from ispc_framework._coordinator import final_transaction, genesis_of
from ispc_framework._encoding import encode
from ispc_framework._errors import ContractFailed, EngineUnavailable, PluginError
from ispc_framework._state import state_root
from ispc_framework._transaction import sign_request

REPO = Path(__file__).resolve().parents[1]
BUILD = REPO / "examples" / "contracts" / "build"
KEYS = {name: devnet_key(name) for name in ("alice", "bob", "carol")}
ALICE, BOB, CAROL = (KEYS[n].public_key for n in ("alice", "bob", "carol"))
ENGINES = ["wasmtime", "wasmer"]

pytestmark = pytest.mark.skipif(not (BUILD / "names_c.wasm").is_file(),
                                reason="run examples/contracts/build.sh")


def u64(value: int) -> bytes:
    return struct.pack("<Q", value)


#: (method, input, signer, apply it?) per step; the same steps run through the CLI
STEPS = {
    "names": [("register", b"alice", "alice", True), ("register", b"alice", "bob", False),
              ("lookup", b"alice", "carol", False), ("transfer", BOB + b"alice", "bob", False),
              ("transfer", BOB + b"alice", "alice", True), ("lookup", b"alice", "carol", False),
              ("release", b"alice", "bob", True), ("lookup", b"alice", "alice", False),
              ("register", b"x" * 65, "alice", False)],
    "nft": [("init", b"", "alice", True), ("mint", BOB, "bob", False), ("mint", BOB, "alice", True),
            ("owner_of", u64(0), "carol", False), ("transfer", u64(0) + CAROL, "alice", False),
            ("transfer", u64(0) + CAROL, "bob", True), ("owner_of", u64(0), "alice", False),
            ("owner_of", u64(5), "alice", False), ("mint", ALICE, "alice", True)],
}
STATUSES = {"names": [0, 5, 0, 2, 0, 0, 0, 6, 1], "nft": [0, 2, 0, 0, 2, 0, 0, 6, 0]}
#: sha256 over every step's (status, return data, draft): pinned, equal on every engine
DIGESTS = {"names": "fba83965d9c7957e51e0561eee66d2f1517571de3fecac1de6245453ec00d6a0",
           "nft": "3e6216b1a9e7661de677f85c535902166f5c58cfaa59e3e2f9516a2bbb968cc2"}


def _coordinator(engine: str) -> Coordinator:
    overrides = {"engine.wasm.name": engine, "trace.sinks": "[]"}
    if engine == "wasmer":  # no metering: allowed for these trusted examples only
        overrides["engine.wasm.allow_unbounded"] = "true"
    config = load_config(overrides=overrides, search_cwd=False, environ={})
    coordinator = Coordinator(config, repository=MemoryRepository())
    try:
        coordinator.wasm_engine()
    except (EngineUnavailable, PluginError) as exc:
        pytest.skip(f"{engine} is not usable on this Python: {exc}")
    return coordinator


def _deploy(coordinator, code: bytes) -> bytes:
    writer = coordinator.repository.writer()
    key = writer.store_resource(code)
    writer.apply(SealedDraft((), (TxOutput(ALICE, resource=ResourceOutput(
        key, ResourceCategory.CONTRACT, "application/wasm", len(code), "example")),), ()))
    return key


def run_api(engine: str, name: str, lang: str = "c"):
    coordinator = _coordinator(engine)
    repository = coordinator.repository
    repository.writer().create_genesis("examples", 1_700_000_000, [])
    contract = _deploy(coordinator, (BUILD / f"{name}_{lang}.wasm").read_bytes())
    digest, steps = hashlib.sha256(), []
    for nonce, (method, data, signer, apply) in enumerate(STEPS[name]):
        view = repository.view()
        tx = sign_request(ExecutionRequest(contract, method, data, nonce=nonce), [KEYS[signer]],
                          chain_id="examples", genesis_hash=genesis_of(view),
                          valid_until=2**64 - 1)
        try:
            result = coordinator.execute(tx, prove=False)
        except ContractFailed as exc:
            steps.append((exc.details["status"], None))
            digest.update(encode(("failed", exc.details["status"])))
            continue
        steps.append((0, result))
        digest.update(encode((result.status, result.return_data, result.draft)))
        if apply:  # proofs are the slow CLI test's job; this applies the same final draft
            repository.writer().apply(final_transaction(result), expected_head=result.pins)
    view = repository.view()
    storage = view.state_items(contract, view.head().height)
    coordinator.close()
    return steps, storage, digest.hexdigest()


@pytest.mark.parametrize("engine", ENGINES)
def test_names_through_the_python_api(engine):
    steps, storage, digest = run_api(engine, "names")
    assert [status for status, _ in steps] == STATUSES["names"]
    assert steps[2][1].return_data == ALICE and steps[5][1].return_data == BOB
    assert steps[0][1].draft.events[0].data == b"alice"
    assert storage == {}                       # released: nothing left
    assert digest == DIGESTS["names"]
    assert state_root(storage).hex() == ROOTS["names"]


@pytest.mark.parametrize("engine", ENGINES)
def test_nft_through_the_python_api(engine):
    steps, storage, digest = run_api(engine, "nft")
    assert [status for status, _ in steps] == STATUSES["nft"]
    assert steps[3][1].return_data == BOB and steps[6][1].return_data == CAROL
    assert steps[8][1].return_data == u64(1)
    assert storage[b"o:" + u64(0)] == CAROL and storage[b"supply"] == u64(2)
    assert digest == DIGESTS["nft"]
    assert state_root(storage).hex() == ROOTS["nft"]


# ---------------------------------------------------------------------------------- the CLI

#: the contract's storage root after every CLI step ran (`ispc state --json`): pinned, so both
#: engines must reach the same committed storage
ROOTS = {"names": "00" * 32,  # every name released: empty storage
         "nft": "d689e63aec1b62588ee4194d5ebaa3fa8837109c635444b31a231057488f6e37"}


@pytest.fixture(scope="module")
def prover_keys(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli-keys")
    config = root / "ispc.toml"
    config.write_text(f'[plugin.groth16]\nkey_dir = "{root / "keys"}"\nsetup_mode = "testing"\n'
                      "allow_testing_keys = true\n")
    result = CliRunner().invoke(__import__("ispc_framework._cli", fromlist=["cli"]).cli,
                                ["--config", str(config), "setup"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return root / "keys"


def _cli(root: Path, config: Path, *args, code=0) -> str:
    from ispc_framework._cli import cli
    from ispc_framework._keys import KeyStore

    store = KeyStore(root / "accounts")
    for name, key in KEYS.items():
        if not store.path(name).is_file():
            store.save(name, key)
    result = CliRunner(env={"ISPC_KEY_DIR": str(root / "accounts")}).invoke(
        cli, ["--config", str(config), *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def run_cli(tmp_path: Path, keys: Path, engine: str, name: str):
    config = tmp_path / "ispc.toml"
    engine_table = f'[engine.wasm]\nname = "{engine}"\n' + (
        "allow_unbounded = true\n" if engine == "wasmer" else "")
    config.write_text(f'[plugin.sqlite]\npath = "{tmp_path / "chain.db"}"\n'
                      f'[plugin.groth16]\nkey_dir = "{keys}"\nallow_testing_keys = true\n'
                      + engine_table)
    _cli(tmp_path, config, "init", "--timestamp", "5")
    contract = _cli(tmp_path, config, "deploy", str(BUILD / f"{name}_c.wasm")).strip()
    statuses, returned = [], []
    for nonce, (method, data, signer, apply) in enumerate(STEPS[name]):
        if not apply:  # reads and refused calls: a query, no signature, nothing to apply
            out = json.loads(_cli(tmp_path, config, "query", contract, method, "--input",
                                  data.hex(), "--caller", KEYS[signer].public_key.hex(),
                                  "--json", code=_expected_exit(name, nonce)))
            statuses.append(out.get("details", {}).get("status", 0) if "code" in out else 0)
            returned.append(out.get("return_data"))
            continue
        out = json.loads(_cli(tmp_path, config, "run", contract, method, "--input", data.hex(),
                              "--as", signer, "--nonce", str(nonce), "--apply", "--json"))
        assert out["applied"] is not None
        statuses.append(0)
        returned.append(None)
    state = json.loads(_cli(tmp_path, config, "state", contract, "--json"))
    return statuses, returned, state


def _expected_exit(name: str, step: int) -> int:
    return 0 if STATUSES[name][step] == 0 else 1


@pytest.mark.slow
@pytest.mark.parametrize("engine", [pytest.param("wasmtime"),
                                    pytest.param("wasmer", marks=pytest.mark.slow_wasmer)])
@pytest.mark.parametrize("name", ["names", "nft"])
def test_names_and_nft_through_the_cli(tmp_path, prover_keys, engine, name):
    if engine == "wasmer":
        pytest.importorskip("wasmer", reason="wasmer runs under Python 3.10 (.venv310)")
    statuses, returned, state = run_cli(tmp_path, prover_keys, engine, name)
    assert statuses == STATUSES[name]
    if name == "names":
        assert returned[2] == ALICE.hex() and returned[5] == BOB.hex()
        assert state["entries"] == {}
    else:
        assert returned[3] == BOB.hex() and returned[6] == CAROL.hex()
        assert state["entries"][(b"o:" + u64(0)).hex()] == CAROL.hex()
    assert state["root"] == ROOTS[name]

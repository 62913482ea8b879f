"""The contract-storage examples (counter, name registry, NFT collection, DAO vote) through the
Python API on every engine: behaviour, storage across blocks, state-conflict, and the
differential test (wasmtime and wasmer give identical return data, drafts with their storage
deltas, trace roots and gas)."""

from __future__ import annotations

import struct

import pytest

from ispc_framework._errors import StateConflict
from ispc_framework._model import AssetOutput, NativeCoin, TxOutput
from ispc_framework._repository import MemoryRepository, content_hash
from ispc_framework.testing import run_direct

ALICE, BOB, CAROL = b"\x22" * 32, b"\x33" * 32, b"\x44" * 32


class Chain:
    """A devnet in memory running one contract; ``treasury`` coins are owned by the contract."""

    def __init__(self, engine, host_functions, code: bytes, treasury=()) -> None:
        self.repo = MemoryRepository()
        self.address = content_hash(code)
        self.repo.create_genesis("ispc-devnet", 1_700_000_000, [
            TxOutput(self.address, asset=AssetOutput(NativeCoin(), amount)) for amount in treasury])
        self.repo.store_resource(code)
        self.engine, self.functions = engine, host_functions
        self.compiled = engine.compile(code, host_functions)
        self.nonce = 0

    def call(self, method: str, data: bytes = b"", caller: bytes = ALICE):
        self.nonce += 1
        view = self.repo.view()
        revision = view.revision()
        result = run_direct(self.engine, self.compiled, method, self.functions,
                            code_hash=self.address, input=data, caller=caller,
                            pins=view.head(), view=view, nonce=self.nonce)
        assert view.revision() == revision   # executions never write
        return result

    def apply(self, result):
        assert result.ok, result.error
        self.repo.apply(result.draft)
        return result

    def storage(self) -> dict[bytes, bytes]:
        view = self.repo.view()
        return view.state_items(self.address, view.head().height)


def status_of(result):
    return 0 if result.ok else (result.status if result.status is not None else result.error.code)


def u64(value: int) -> bytes:
    return struct.pack("<Q", value)


def counter_scenario(chain: Chain) -> list:
    steps = [chain.apply(chain.call("init")), chain.call("init", caller=BOB),
             chain.apply(chain.call("increment")), chain.apply(chain.call("increment", u64(5))),
             chain.call("reset", caller=BOB), chain.call("get"), chain.call("increment", b"xy")]
    steps.append(chain.apply(chain.call("reset")))
    steps.append(chain.call("get"))
    return steps


def names_scenario(chain: Chain) -> list:
    return [chain.apply(chain.call("register", b"alice")),
            chain.call("register", b"alice", caller=BOB),
            chain.call("lookup", b"alice"),
            chain.call("transfer", BOB + b"alice", caller=BOB),
            chain.apply(chain.call("transfer", BOB + b"alice")),
            chain.call("lookup", b"alice"),
            chain.apply(chain.call("release", b"alice", caller=BOB)),
            chain.call("lookup", b"alice"),
            chain.call("register", b"x" * 65)]


def nft_scenario(chain: Chain) -> list:
    return [chain.apply(chain.call("init")),
            chain.call("mint", BOB, caller=BOB),
            chain.apply(chain.call("mint", BOB)),
            chain.call("owner_of", u64(0)),
            chain.call("transfer", u64(0) + CAROL),
            chain.apply(chain.call("transfer", u64(0) + CAROL, caller=BOB)),
            chain.call("owner_of", u64(0)),
            chain.call("owner_of", u64(5)),
            chain.apply(chain.call("mint", ALICE))]


def dao_scenario(chain: Chain) -> list:
    steps = [chain.apply(chain.call("init")),
             chain.apply(chain.call("add_member", BOB)),
             chain.call("add_member", BOB),
             chain.call("propose", CAROL + u64(120), caller=CAROL),
             chain.apply(chain.call("propose", CAROL + u64(120), caller=BOB)),
             chain.apply(chain.call("vote", u64(0) + b"\x01")),
             chain.call("execute", u64(0)),
             chain.apply(chain.call("vote", u64(0) + b"\x01", caller=BOB)),
             chain.call("vote", u64(0) + b"\x00", caller=BOB)]
    steps.append(chain.apply(chain.call("execute", u64(0), caller=CAROL)))
    steps += [chain.call("treasury"), chain.call("execute", u64(0))]
    chain.apply(chain.call("propose", CAROL + u64(1000)))
    chain.apply(chain.call("vote", u64(1) + b"\x01"))
    chain.apply(chain.call("vote", u64(1) + b"\x01", caller=BOB))
    steps.append(chain.call("execute", u64(1)))
    return steps


SCENARIOS = {"counter": (counter_scenario, ()), "names": (names_scenario, ()),
             "nft": (nft_scenario, ()), "dao": (dao_scenario, (100, 50))}
CASES = [("counter", "c"), ("counter", "as"), ("names", "c"), ("names", "as"), ("nft", "c"),
         ("nft", "as"), ("dao", "c"), ("dao", "as")]


def run_scenario(engine, host_functions, contracts, name, lang):
    scenario, treasury = SCENARIOS[name]
    chain = Chain(engine, host_functions, contracts[f"{name}_{lang}"], treasury)
    return chain, scenario(chain)


@pytest.mark.parametrize("lang", ("c", "as"))
def test_counter(engine, host_functions, contracts, lang):
    chain, steps = run_scenario(engine, host_functions, contracts, "counter", lang)
    assert [status_of(s) for s in steps] == [0, 5, 0, 0, 2, 0, 1, 0, 0]
    assert steps[3].return_data == u64(6) and steps[5].return_data == u64(6)
    assert steps[8].return_data == u64(0)
    assert chain.storage() == {b"owner": ALICE, b"count": u64(0)}
    delta = steps[3].draft.state
    assert delta.contract == chain.address and (delta.parent_version, delta.version) == (2, 3)
    assert [w.key for w in delta.writes] == [b"count"] and delta.reads == (b"count",)
    assert steps[5].draft.state.writes == ()  # get only reads
    view = chain.repo.view()
    assert view.state_get(chain.address, b"count", 2) == u64(1)  # history: block 2
    assert view.state_get(chain.address, b"count", 1) is None


def test_two_increments_pinned_to_one_block_one_applies_one_conflicts(engine, host_functions,
                                                                        contracts):
    chain = Chain(engine, host_functions, contracts["counter_c"])
    chain.apply(chain.call("init"))
    first, second = chain.call("increment"), chain.call("increment", u64(5), caller=BOB)
    assert first.ok and second.ok and first.draft != second.draft
    chain.apply(first)
    height = chain.repo.view().head().height
    with pytest.raises(StateConflict):
        chain.repo.apply(second.draft)
    assert chain.repo.view().head().height == height and chain.storage()[b"count"] == u64(1)


@pytest.mark.parametrize("lang", ("c", "as"))
def test_names(engine, host_functions, contracts, lang):
    chain, steps = run_scenario(engine, host_functions, contracts, "names", lang)
    assert [status_of(s) for s in steps] == [0, 5, 0, 2, 0, 0, 0, 6, 1]
    assert steps[2].return_data == ALICE and steps[5].return_data == BOB
    assert steps[0].draft.events[0].data == b"alice"
    assert chain.storage() == {}


@pytest.mark.parametrize("lang", ("c", "as"))
def test_nft(engine, host_functions, contracts, lang):
    chain, steps = run_scenario(engine, host_functions, contracts, "nft", lang)
    assert [status_of(s) for s in steps] == [0, 2, 0, 0, 2, 0, 0, 6, 0]
    assert steps[3].return_data == BOB and steps[6].return_data == CAROL
    assert steps[8].return_data == u64(1)
    assert chain.storage()[b"o:" + u64(0)] == CAROL and chain.storage()[b"supply"] == u64(2)


@pytest.mark.parametrize("lang", ("c", "as"))
def test_dao_pays_from_its_treasury_with_change(engine, host_functions, contracts, lang):
    chain, steps = run_scenario(engine, host_functions, contracts, "dao", lang)
    assert [status_of(s) for s in steps] == [0, 0, 5, 2, 0, 0, 8, 0, 5, 0, 0, 5, 3]
    paid = steps[9].draft
    assert len(paid.inputs) == 2  # 100 and 50 (largest first) cover 120
    assert [(o.owner, o.asset.amount) for o in paid.outputs] == [(CAROL, 120), (chain.address, 30)]
    assert steps[10].return_data == u64(30)
    view = chain.repo.view()
    assert [o.asset.amount for _, o in view.utxos_of(CAROL)] == [120]


@pytest.mark.parametrize("name, lang", CASES)
def test_wasmtime_and_wasmer_agree(both_engines, host_functions, contracts, name, lang):
    wasmtime_engine, wasmer_engine = both_engines
    _, left = run_scenario(wasmtime_engine, host_functions, contracts, name, lang)
    _, right = run_scenario(wasmer_engine, host_functions, contracts, name, lang)
    assert len(left) == len(right)
    for a, b in zip(left, right):
        assert (status_of(a), a.return_data, a.draft, a.trace_root, a.gas_used, a.logs) == \
               (status_of(b), b.return_data, b.draft, b.trace_root, b.gas_used, b.logs)
    assert any(step.draft and step.draft.state and step.draft.state.writes for step in left)


@pytest.mark.parametrize("name", ("counter", "names", "nft", "dao"))
def test_c_and_assemblyscript_agree(engine, host_functions, contracts, name):
    """Same statuses, return data and storage writes; drafts differ only by the address."""
    _, c = run_scenario(engine, host_functions, contracts, name, "c")
    _, a = run_scenario(engine, host_functions, contracts, name, "as")
    assert [(status_of(s), s.return_data) for s in c] == [(status_of(s), s.return_data) for s in a]
    assert [s.draft.state.writes if s.draft and s.draft.state else None for s in c] == \
        [s.draft.state.writes if s.draft and s.draft.state else None for s in a]

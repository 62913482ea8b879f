"""The example contracts (C and AssemblyScript) on every engine, and the differential test:
wasmtime and wasmer give identical return data, draft and trace root for every step."""

from __future__ import annotations

import hashlib
import struct

import pytest

from ispc_framework._authorization import contract_state_id
from ispc_framework._model import FungibleToken, SingleKeyLock
from ispc_framework._signing import devnet_key
from ispc_framework._repository import MemoryRepository, content_hash
from ispc_framework.testing import run_direct

OWNER = devnet_key("alice").public_key  # the example token's owner
ALICE = b"\x22" * 32
BOB = b"\x33" * 32
LANGS = ("c", "as")


class Chain:
    """A devnet in memory: runs contract methods against its head and applies their drafts."""

    def __init__(self, engine, host_functions, code: bytes) -> None:
        self.repo = MemoryRepository()
        self.repo.create_genesis("ispc-devnet", 1_700_000_000, [])
        self.engine, self.functions, self.code = engine, host_functions, code
        self.address = self.repo.store_resource(code)
        self.compiled = engine.compile(code, host_functions)

    def call(self, method: str, data: bytes = b"", caller: bytes = OWNER):
        view = self.repo.view()
        revision = view.revision()
        result = run_direct(self.engine, self.compiled, method, self.functions,
                            code_hash=self.address, input=data, caller=caller,
                            pins=view.head(), view=view)
        assert view.revision() == revision   # executions never write
        return result

    def apply(self, result):
        assert result.ok, result.error
        return self.repo.apply(result.draft).created


def outpoint_entry(outpoint) -> bytes:
    return outpoint.tx_id + struct.pack("<I", outpoint.index)


def transfer_input(recipient: bytes, amount: int, outpoints) -> bytes:
    return (recipient + struct.pack("<Q", amount) + bytes([len(outpoints)])
            + b"".join(outpoint_entry(o) for o in outpoints))


def token_scenario(chain: Chain) -> list:
    steps = []
    minted = chain.call("mint", struct.pack("<Q", 1000))
    steps.append(minted)
    [coin] = chain.apply(minted)
    steps.append(chain.call("mint", struct.pack("<Q", 5), caller=ALICE))        # not the owner
    sent = chain.call("transfer", transfer_input(ALICE, 300, [coin]))
    steps.append(sent)
    to_alice, change = chain.apply(sent)
    steps.append(chain.call("transfer", transfer_input(BOB, 500, [to_alice]), caller=ALICE))
    steps.append(chain.call("transfer", transfer_input(BOB, 1, [coin])))        # spent
    steps.append(chain.call("transfer", transfer_input(BOB, 1, [change, change])))
    steps.append(chain.call("transfer", transfer_input(BOB, 1, [to_alice])))    # not OWNER's
    steps.append(chain.call("transfer", b"\x00" * 40))                           # malformed
    steps.append(chain.call("transfer", transfer_input(BOB, 700, [change])))     # no change
    return steps


def registry_scenario(chain: Chain) -> list:
    model = hashlib.sha256(b"a model").digest()
    record = model + bytes([2]) + struct.pack("<Q", 1234)
    first = chain.call("register", record + b"model.onnx", caller=ALICE)
    steps = [first]
    chain.apply(first)
    steps.append(chain.call("register", record + b"again", caller=BOB))           # exists
    other = hashlib.sha256(b"other").digest()
    steps.append(chain.call("register", other + bytes([9]) + struct.pack("<Q", 1) + b"x"))
    steps.append(chain.call("register", other + bytes([3]) + struct.pack("<Q", 1) + b"\xff"))
    steps.append(chain.call("register", other[:20]))
    return steps


def anchor_input(version: int, parent: bytes | None, state_id=b"\x44" * 32) -> bytes:
    result = hashlib.sha256(b"result %d" % version).digest()
    tail = bytes([1]) + parent if parent is not None else bytes([0])
    return state_id + struct.pack("<Q", version) + result + tail


def anchor_scenario(chain: Chain) -> list:
    first = chain.call("anchor", anchor_input(0, None))
    steps = [first]
    chain.apply(first)
    parent = hashlib.sha256(b"parent state").digest()
    steps.append(chain.call("anchor", anchor_input(1, parent)))
    steps.append(chain.call("anchor", anchor_input(1, None)))                     # needs parent
    steps.append(chain.call("anchor", anchor_input(0, parent)))                   # must not
    steps.append(chain.call("anchor", anchor_input(2, parent)[:-1]))              # truncated
    return steps


def event_record(kind: bytes, data: bytes) -> bytes:
    return bytes([len(kind)]) + kind + struct.pack("<H", len(data)) + data


def events_scenario(chain: Chain) -> list:
    batch = event_record(b"hello", b"world") + event_record(b"n", b"") + \
        event_record(b"blob", bytes(range(256)) * 4)
    return [chain.call("emit", batch),
            chain.call("emit", b""),
            chain.call("emit", event_record(b"bad", b"x")[:-2]),                   # truncated
            chain.call("emit", event_record(b"\xff\xfe", b"x"))]                   # not UTF-8


SCENARIOS = {"token": token_scenario, "registry": registry_scenario,
             "state_anchor": anchor_scenario, "events": events_scenario}


def run_scenario(engine, host_functions, code: bytes, name: str) -> list:
    return SCENARIOS[name](Chain(engine, host_functions, code))


def status_of(result):
    return 0 if result.ok else (result.status if result.status is not None else result.error.code)


# ---------------------------------------------------------------------------- behaviour


@pytest.mark.parametrize("lang", LANGS)
def test_token(engine, host_functions, contracts, lang):
    steps = run_scenario(engine, host_functions, contracts[f"token_{lang}"], "token")
    assert [status_of(s) for s in steps] == [0, 2, 0, 3, 1, 1, 2, 1, 0]
    minted, _, sent = steps[:3]
    address = content_hash(contracts[f"token_{lang}"])
    token = FungibleToken(address, b"TOK")
    [out] = minted.draft.outputs
    assert (out.owner, out.asset.token, out.asset.amount) == (OWNER, token, 1000)
    assert out.locks == (SingleKeyLock(OWNER),)
    assert [(e.event_type, e.data) for e in minted.draft.events] == \
        [("mint", struct.pack("<Q", 1000))]
    assert len(sent.draft.inputs) == 1
    assert [(o.owner, o.asset.amount) for o in sent.draft.outputs] == [(ALICE, 300), (OWNER, 700)]
    assert struct.unpack("<Q", sent.return_data) == (700,)
    exact = steps[-1]
    assert [(o.owner, o.asset.amount) for o in exact.draft.outputs] == [(BOB, 700)]
    for failed in steps[1], steps[3]:
        assert failed.draft is None and failed.trace_root is None


@pytest.mark.parametrize("lang", LANGS)
def test_registry(engine, host_functions, contracts, lang):
    steps = run_scenario(engine, host_functions, contracts[f"registry_{lang}"], "registry")
    assert [status_of(s) for s in steps] == [0, 5, 1, 1, 1]
    [out] = steps[0].draft.outputs
    assert out.owner == ALICE and out.resource.content_hash == hashlib.sha256(b"a model").digest()
    assert (int(out.resource.category), out.resource.name, out.resource.size) == \
        (2, "model.onnx", 1234)
    assert steps[0].draft.events[0].event_type == "registered"


@pytest.mark.parametrize("lang", LANGS)
def test_state_anchor(engine, host_functions, contracts, lang):
    steps = run_scenario(engine, host_functions, contracts[f"state_anchor_{lang}"],
                         "state_anchor")
    assert [status_of(s) for s in steps] == [0, 0, 1, 1, 1]
    first, second = steps[0].draft.outputs[0].state, steps[1].draft.outputs[0].state
    address = content_hash(contracts[f"state_anchor_{lang}"])
    assert (first.state_id, first.version, first.parent_state_hash) == (
        contract_state_id(address, b"\x44" * 32), 0, None)  # namespaced by the contract
    assert second.version == 1
    assert second.parent_state_hash == hashlib.sha256(b"parent state").digest()
    assert dict(second.metadata)["public_inputs"] == "1"


@pytest.mark.parametrize("lang", LANGS)
def test_events(engine, host_functions, contracts, lang):
    steps = run_scenario(engine, host_functions, contracts[f"events_{lang}"], "events")
    assert [status_of(s) for s in steps] == [0, 0, 1, 1]
    events = steps[0].draft.events
    assert [(e.event_type, len(e.data)) for e in events] == [("hello", 5), ("n", 0),
                                                           ("blob", 1024)]
    assert struct.unpack("<I", steps[0].return_data) == (3,)
    assert steps[0].logs == ("events emitted",)
    assert steps[1].draft.events == ()


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_c_and_assemblyscript_agree_on_effects(engine, host_functions, contracts, name):
    """Same statuses and return data; drafts differ only by the contract address."""
    c = run_scenario(engine, host_functions, contracts[f"{name}_c"], name)
    a = run_scenario(engine, host_functions, contracts[f"{name}_as"], name)
    assert [(status_of(s), s.return_data) for s in c] == [(status_of(s), s.return_data) for s in a]
    assert [len(s.draft.outputs) if s.draft else None for s in c] == \
        [len(s.draft.outputs) if s.draft else None for s in a]


def test_runs_are_reproducible(engine, host_functions, contracts):
    first = run_scenario(engine, host_functions, contracts["token_c"], "token")
    second = run_scenario(engine, host_functions, contracts["token_c"], "token")
    assert first == second


# ---------------------------------------------------------------------------- differential


@pytest.mark.parametrize("name", sorted(SCENARIOS))
@pytest.mark.parametrize("lang", LANGS)
def test_wasmtime_and_wasmer_agree(both_engines, host_functions, contracts, name, lang):
    """Identical return data, draft, trace root, host gas and logs on both engines. The trace
    records the host gas ledger, never engine fuel, so an engine without metering agrees."""
    wasmtime_engine, wasmer_engine = both_engines
    code = contracts[f"{name}_{lang}"]
    left = run_scenario(wasmtime_engine, host_functions, code, name)
    right = run_scenario(wasmer_engine, host_functions, code, name)
    assert len(left) == len(right)
    for a, b in zip(left, right):
        assert (status_of(a), a.return_data, a.draft, a.trace_root, a.gas_used, a.logs) == \
               (status_of(b), b.return_data, b.draft, b.trace_root, b.gas_used, b.logs)
    assert any(step.trace_root for step in left)

"""Session-6 review: the canonical-outpoint shortcut (57ce2f9) and the shared ChainPins of the
memory repository (09faf31), attacked."""

from __future__ import annotations

import itertools
import pickle
import threading

import attrs
import pytest

from ispc_framework._encoding import encode
from ispc_framework._hostabi import v1
from ispc_framework._errors import ValidationError
from ispc_framework._model import OutPoint

PREFIX = v1._OUTPOINT
TX = bytes(range(32))


def _decoded(data):
    try:
        return v1.decode_guest(data, (OutPoint,), "outpoint")
    except v1.GuestError as refused:
        return ("refused", refused.status)


def _tails():
    """Every head byte (all 256) followed by 0..9 bytes of boundary patterns."""
    fills = [b"", b"\x00", b"\xff", b"\x01", b"\x80"]
    for first in range(256):
        for n in range(0, 10):
            for fill in fills:
                body = (fill * n)[:n] if fill else b"\x00" * n
                yield bytes([first]) + body
                if n:
                    yield bytes([first]) + b"\x00" * (n - 1) + b"\x01"
                    yield bytes([first]) + b"\x01" + b"\x00" * (n - 1)


def test_every_head_byte_and_length_agrees_with_the_decoder():
    checked = accepted = 0
    for tail in set(_tails()):
        data = PREFIX + TX + tail
        fast = v1._canonical_outpoint(data)
        checked += 1
        if fast is None:
            continue
        accepted += 1
        slow = _decoded(data)
        assert type(fast) is OutPoint and fast == slow, (tail.hex(), fast, slow)
        assert encode(fast) == data and type(fast.tx_id) is bytes
    assert accepted > 0 and checked > 2000


@pytest.mark.parametrize("index", [0, 23, 24, 255, 256, 65535, 65536, 2**32 - 1])
def test_canonical_indices_take_the_shortcut_and_boundaries_do_not(index):
    data = encode(OutPoint(TX, index))
    assert data.startswith(PREFIX)
    assert v1._canonical_outpoint(data) == OutPoint(TX, index) == _decoded(data)
    for bad in (data + b"\x00", data[:-1], PREFIX + TX + v1._head(0, 2**32),
                PREFIX + TX + v1._head(0, 2**64 - 1), PREFIX + TX):
        assert v1._canonical_outpoint(bad) is None


def test_non_bytes_inputs_are_left_to_the_decoder_or_built_with_bytes():
    data = encode(OutPoint(TX, 7))
    for other in (bytearray(data), memoryview(data)):
        try:
            fast = v1._canonical_outpoint(other)
        except AttributeError:
            continue  # memoryview has no startswith: never passed by the bindings (bytes only)
        assert fast is None or (type(fast.tx_id) is bytes and fast == OutPoint(TX, 7))


def test_prefix_variants_never_take_the_shortcut():
    data = encode(OutPoint(TX, 5))
    for i, bit in itertools.product(range(len(PREFIX)), range(8)):
        mutated = bytearray(data)
        mutated[i] ^= 1 << bit
        assert v1._canonical_outpoint(bytes(mutated)) is None


# --------------------------------------------------------------- 09faf31: shared ChainPins

def _memory_chain():
    from ispc_framework._repository import MemoryRepository
    from ispc_framework.plugins import AssetOutput, NativeCoin, SealedDraft, TxInput, TxOutput
    repo = MemoryRepository()
    w = repo.writer() if hasattr(repo, "writer") else repo
    g = w.create_genesis("devnet", 1_000, [TxOutput(b"\xa1" * 32,
                                                     asset=AssetOutput(NativeCoin(), 5))])
    return repo, w, g, SealedDraft, TxInput, TxOutput, AssetOutput, NativeCoin


def test_shared_pins_are_frozen_equal_to_fresh_and_per_height():
    repo, w, g, SealedDraft, TxInput, TxOutput, AssetOutput, NativeCoin = _memory_chain()
    v0 = repo.view()
    p0 = v0.head()
    assert repo.view().head() is p0
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        p0.height = 9
    w.apply(SealedDraft((TxInput(g.created[0]),),
                        (TxOutput(b"\xb0" * 32, asset=AssetOutput(NativeCoin(), 5)),), ()))
    p1 = repo.view().head()
    assert p1.height == 1 and p1 is not p0
    assert v0.head() is p0 and v0.head().height == 0     # an old view keeps its block's pins
    assert encode(p1) == encode(pickle.loads(pickle.dumps(p1)))
    got = []
    ts = [threading.Thread(target=lambda: got.append(repo.view().head())) for _ in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert all(p is p1 for p in got)


def test_a_refused_genesis_does_not_leave_its_chain_id_in_later_pins():
    from ispc_framework._repository import MemoryRepository
    from ispc_framework.plugins import AssetOutput, NativeCoin, TxOutput
    repo = MemoryRepository()
    w = repo.writer() if hasattr(repo, "writer") else repo
    with pytest.raises(ValidationError):
        w.create_genesis("bad-chain", 2**70, [])          # refused timestamp
    w.create_genesis("good", 1_000, [TxOutput(b"\xa1" * 32, asset=AssetOutput(NativeCoin(), 1))])
    assert repo.view().head().chain_id == "good"

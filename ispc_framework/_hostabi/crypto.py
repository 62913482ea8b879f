"""The ``ispc.crypto`` HostABI provider: SHA-256, Ed25519 verification and a deterministic random
stream. A second, independent provider, to show that providers compose: a run gets it only when
the config selects it, and a module importing it otherwise is rejected at deploy time.
"""

from __future__ import annotations

import hashlib
import struct

from .._encoding import digest
from .._engines import HostEnv
from . import ed25519
from ._bindings_v1 import Status
from .binding import Impl, SpecProvider
from .guest import GuestError

__all__ = ["CryptoProvider", "IMPORT_MODULE", "RandomStream"]

IMPORT_MODULE = "ispc.crypto"
_STREAM_KEY = "ispc.crypto.random"


class RandomStream:
    """SHA-256 in counter mode over a seed: block i = SHA-256(seed || u64be(i)).

    Seeded from the transaction id, which commits to the pins and the request, so a replay of the
    same request sees the same bytes and two requests see unrelated streams.
    """

    __slots__ = ("_seed", "_counter", "_buffer")

    def __init__(self, transaction_id: bytes) -> None:
        self._seed = digest("ispc/crypto-random", transaction_id)
        self._counter = 0
        self._buffer = b""

    def take(self, count: int) -> bytes:
        while len(self._buffer) < count:
            block = hashlib.sha256(self._seed + struct.pack(">Q", self._counter)).digest()
            self._buffer += block
            self._counter += 1
        out, self._buffer = self._buffer[:count], self._buffer[count:]
        return out


def sha256(env: HostEnv, data: bytes) -> tuple[bytes]:
    return (hashlib.sha256(data).digest(),)


def ed25519_verify(env: HostEnv, public_key: bytes, message: bytes,
                   signature: bytes) -> tuple[()]:
    if not ed25519.verify(public_key, message, signature):
        raise GuestError(Status.VERIFY_FAILED, "signature does not verify")
    return ()


def random_bytes(env: HostEnv, length: int) -> tuple[bytes]:
    # The stream lives in the per-run HostEnv (never in the provider) and is keyed by the
    # context, so a reused env could not hand one run's position to another.
    entry = env.extra.get(_STREAM_KEY)
    if entry is None or entry[0] is not env.ctx:
        entry = (env.ctx, RandomStream(env.ctx.transaction_id))
        env.extra[_STREAM_KEY] = entry
    return (entry[1].take(length),)


IMPLEMENTATIONS: dict[str, Impl] = {"sha256": sha256, "ed25519_verify": ed25519_verify,
                   "random_bytes": random_bytes}


class CryptoProvider(SpecProvider):
    """The ``ispc.crypto`` provider (stateless; per-run state lives in HostEnv.extra)."""

    import_module = IMPORT_MODULE
    implementations = IMPLEMENTATIONS

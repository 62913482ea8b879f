"""Ed25519 for the ``ispc.crypto`` provider: the same library and rule as transaction signatures.

``verify`` *is* :func:`ispc_framework._signing.verify` (libsodium, canonical S, canonical and
non-small-order points, cofactorless), so a contract checking a signature and the coordinator
checking a transaction can never disagree; tests/hostabi/test_signing.py pins both with the edge-case
vectors of "Taming the many EdDSAs". ``sign``/``public_key`` take an RFC 8032 32-byte secret seed.
"""

from __future__ import annotations

from .._signing import SigningKey, verify

__all__ = ["verify", "sign", "public_key"]

#: the order of the prime-order subgroup (tests build non-canonical S with it)
_L = 2**252 + 27742317777372353535851937790883648493


def public_key(secret: bytes) -> bytes:
    return SigningKey(secret).public_key


def sign(secret: bytes, message: bytes) -> bytes:
    return SigningKey(secret).sign(message)

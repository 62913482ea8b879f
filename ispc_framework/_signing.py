"""Ed25519 keys and signatures, through PyNaCl (libsodium).

Why a library: signature checking guards every spend, so it must be a well-reviewed, constant-time
implementation, and every verifier (the coordinator, the HostABI's ``ed25519_verify``, any future
node) must apply the *same* rule. We use libsodium's ``crypto_sign_open`` (PyNaCl's
``nacl.bindings``; it checks through ``crypto_sign_verify_detached``), whose rule is pinned by
tests/hostabi/test_signing.py with the edge-case vectors of "Taming the many EdDSAs" (Chalkias,
Garillot, Nikolaenko 2020):

* S must be canonical (S < L), else the signature is refused;
* A and R must be canonical encodings (y < p) and must not be of small order;
* the equation is cofactorless: ``[S]B = R + [k]A``, compared on encodings.

Of the paper's twelve vectors, exactly one (case 3: mixed-order A and R, which satisfies both
equations) verifies; docs/authorization.md has the table.

Why ``crypto_sign_open`` through ``nacl.bindings`` and not ``nacl.signing.VerifyKey`` or
pyca/cryptography: measured side by side (libsodium 1.0.20 in PyNaCl 1.6.2, cryptography 48 on
OpenSSL 3, a 32-byte message, the machine of docs/performance.md): ``crypto_sign_open`` 64.6 us,
``VerifyKey(key).verify`` 67.8 us (the same call plus a key object), cryptography's
``Ed25519PublicKey.verify`` 124.8 us; and OpenSSL's rule is not libsodium's (of the paper's
vectors it accepts cases 0, 1, 2, 3 and 11, libsodium only 3). PyNaCl does not expose
``crypto_sign_verify_detached`` itself (``benchmarks/signatures.py`` measures the bindings).

An **address** is the 32-byte Ed25519 public key itself (as on Solana): a contract that locks a
payment with ``SingleKeyLock(caller)`` or compares ``caller`` to a stored owner is comparing keys,
and checking an unlocked output's owner against the signers needs no hash. Contract and model
addresses are SHA-256 content hashes, for which nobody holds a secret key.
"""

from __future__ import annotations

import nacl.bindings
import nacl.exceptions
import nacl.signing

from ._errors import ValidationError

__all__ = ["PUBLIC_KEY_LEN", "SIGNATURE_LEN", "SigningKey", "verify", "verify_signature",
           "address_of", "devnet_key"]

PUBLIC_KEY_LEN = 32
SIGNATURE_LEN = 64
SEED_LEN = 32


_BYTES_LIKE = (bytes, bytearray, memoryview)


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True if ``signature`` is a valid Ed25519 signature of ``message`` under ``public_key``
    by libsodium's rule (module docstring). Never raises on malformed input: anything but
    bytes-like values of the right sizes is False (an int message is not taken as ``bytes(n)``)."""
    if not (isinstance(public_key, _BYTES_LIKE) and isinstance(signature, _BYTES_LIKE)
            and isinstance(message, _BYTES_LIKE)) \
            or len(public_key) != PUBLIC_KEY_LEN or len(signature) != SIGNATURE_LEN:
        return False
    try:
        nacl.bindings.crypto_sign_open(bytes(signature) + bytes(message), bytes(public_key))
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.CryptoError, ValueError,
            TypeError):
        return False
    return True


#: the name ``ispc_framework.plugins`` exports :func:`verify` under
verify_signature = verify


def address_of(public_key: bytes) -> bytes:
    """The account address of an Ed25519 public key: the key itself (module docstring)."""
    if not isinstance(public_key, bytes) or len(public_key) != PUBLIC_KEY_LEN:
        raise ValidationError("public_key", f"expected {PUBLIC_KEY_LEN} bytes")
    return public_key


class SigningKey:
    """An Ed25519 secret key (its 32-byte seed). ``repr`` never shows the secret."""

    __slots__ = ("_key",)

    def __init__(self, seed: bytes) -> None:
        if not isinstance(seed, bytes) or len(seed) != SEED_LEN:
            raise ValidationError("seed", f"an Ed25519 seed is {SEED_LEN} bytes")
        self._key = nacl.signing.SigningKey(seed)

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(bytes(nacl.signing.SigningKey.generate()))

    @property
    def seed(self) -> bytes:
        return bytes(self._key)

    @property
    def public_key(self) -> bytes:
        return bytes(self._key.verify_key)

    @property
    def address(self) -> bytes:
        return address_of(self.public_key)

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(bytes(message)).signature

    def __repr__(self) -> str:
        return f"SigningKey(public_key={self.public_key.hex()})"


def devnet_key(name: str) -> SigningKey:
    """A well-known, INSECURE key for examples and tests: its seed is SHA-256 of a public string,
    so anyone can sign as it. The example token contracts name devnet_key("alice") as owner."""
    import hashlib

    return SigningKey(hashlib.sha256(b"ispc devnet key (insecure, public): " +
                                     name.encode("utf-8")).digest())

"""The Ed25519 verification rule, pinned with the edge cases of "Taming the many EdDSAs"
(Chalkias, Garillot, Nikolaenko 2020; vectors 0-11 of novifinancial/ed25519-speccheck), for the
library (ispc_framework._signing) and the HostABI's ed25519_verify, which must agree."""

from __future__ import annotations

import pytest

from ispc_framework._hostabi import ed25519
from ispc_framework._hostabi._bindings_v1 import Status
from ispc_framework._signing import SigningKey, devnet_key, verify

# (message, public key, signature) for cases 0..11 of the paper's table
CASES = [
    ("8c93255d71dcab10e8f379c26200f3c7bd5f09d9bc3068d3ef4edeb4853022b6",
     "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
     "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a" + "00" * 32),
    ("9bd9f44f4dcc75bd531b56b2cd280b0bb38fc1cd6d1230e14861d861de092e79",
     "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
     "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43"
     "a5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04"),
    ("aebf3f2601a0c8c5d39cc7d8911642f740b78168218da8471772b35f9d35b9ab",
     "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43",
     "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa"
     "8c4bd45aecaca5b24fb97bc10ac27ac8751a7dfe1baff8b953ec9f5833ca260e"),
    ("9bd9f44f4dcc75bd531b56b2cd280b0bb38fc1cd6d1230e14861d861de092e79",
     "cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d",
     "9046a64750444938de19f227bb80485e92b83fdb4b6506c160484c016cc1852f"
     "87909e14428a7a1d62e9f22f3d3ad7802db02eb2e688b6c52fcd6648a98bd009"),
    ("e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec4011eaccd55b53f56c",
     "cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d",
     "160a1cb0dc9c0258cd0a7d23e94d8fa878bcb1925f2c64246b2dee1796bed512"
     "5ec6bc982a269b723e0668e540911a9a6a58921d6925e434ab10aa7940551a09"),
    ("e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec4011eaccd55b53f56c",
     "cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d",
     "21122a84e0b5fca4052f5b1235c80a537878b38f3142356b2c2384ebad4668b7"
     "e40bc836dac0f71076f9abe3a53f9c03c1ceeeddb658d0030494ace586687405"),
    ("85e241a07d148b41e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec40",
     "442aad9f089ad9e14647b1ef9099a1ff4798d78589e66f28eca69c11f582a623",
     "e96f66be976d82e60150baecff9906684aebb1ef181f67a7189ac78ea23b6c0e"
     "547f7690a0e2ddcd04d87dbc3490dc19b3b3052f7ff0538cb68afb369ba3a514"),
    ("85e241a07d148b41e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec40",
     "442aad9f089ad9e14647b1ef9099a1ff4798d78589e66f28eca69c11f582a623",
     "8ce5b96c8f26d0ab6c47958c9e68b937104cd36e13c33566acd2fe8d38aa1942"
     "7e71f98a473474f2f13f06f97c20d58cc3f54b8bd0d272f42b695dd7e89a8c22"),
    ("9bedc267423725d473888631ebf45988bad3db83851ee85c85e241a07d148b41",
     "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43",
     "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
     "03be9678ac102edcd92b0210bb34d7428d12ffc5df5f37e359941266a4e35f0f"),
    ("9bedc267423725d473888631ebf45988bad3db83851ee85c85e241a07d148b41",
     "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43",
     "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
     "ca8c5b64cd208982aa38d4936621a4775aa233aa0505711d8fdcfdaa943d4908"),
    ("e96b7021eb39c1a163b6da4e3093dcd3f21387da4cc4572be588fafae23c155b",
     "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
     "a9d55260f765261eb9b84e106f665e00b867287a761990d7135963ee0a7d59dc"
     "a5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04"),
    ("39a591f5321bbe07fd5a23dc2f39d025d74526615746727ceefd6e82ae65c06f",
     "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
     "a9d55260f765261eb9b84e106f665e00b867287a761990d7135963ee0a7d59dc"
     "a5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04"),
]
#: libsodium's row of the paper's table: only case 3 (mixed-order A and R, both equations hold)
#: verifies; small-order keys/R (0-2), cofactored-only (4, 5), S >= L (6, 7), non-canonical
#: R (8, 9) and non-canonical A (10, 11) are refused.
ACCEPTED = {3}


@pytest.mark.parametrize("case", range(len(CASES)))
def test_taming_the_many_eddsas_vectors(case):
    message, public, signature = (bytes.fromhex(x) for x in CASES[case])
    assert verify(public, message, signature) is (case in ACCEPTED)
    assert ed25519.verify(public, message, signature) is (case in ACCEPTED)


@pytest.mark.parametrize("case", range(len(CASES)))
def test_the_host_function_applies_the_same_rule(harness, case):
    message, public, signature = (bytes.fromhex(x) for x in CASES[case])
    m = harness.memory
    status = harness.call("ispc.crypto.ed25519_verify", m.put(public), m.put(message),
                          len(message), m.put(signature))
    assert (status == Status.OK) is (case in ACCEPTED)
    assert status in (Status.OK, Status.VERIFY_FAILED)


def test_sign_verify_round_trip_and_tamper():
    key = SigningKey.generate()
    signature = key.sign(b"msg")
    assert verify(key.public_key, b"msg", signature)
    assert not verify(key.public_key, b"msg!", signature)
    assert not verify(devnet_key("bob").public_key, b"msg", signature)
    assert not verify(key.public_key, b"msg", signature[:-1])
    assert "seed" not in repr(key) and key.seed.hex() not in repr(key)


@pytest.mark.parametrize("bad", [None, 5, "msg", 3.0, [1, 2]])
def test_verify_is_false_for_anything_but_bytes(bad):
    """Never raises on malformed input: None, an int (``bytes(5)`` would be five zero bytes), a
    str or a list in any of the three places is simply not a valid signature."""
    key = SigningKey.generate()
    signature = key.sign(bytes(5))
    assert verify(key.public_key, bytes(5), signature)
    assert verify(bad, bytes(5), signature) is False
    assert verify(key.public_key, bad, signature) is False
    assert verify(key.public_key, bytes(5), bad) is False
    assert verify(bytearray(key.public_key), memoryview(bytes(5)), bytearray(signature))

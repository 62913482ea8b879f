"""HostABI v1: the spec loader, the guest-memory protocol, the generic host-call wrapper and the
``ispc.v1`` and ``ispc.crypto`` providers.

Importing this package is cheap; the providers are built lazily through their plugin descriptors
(:func:`ispc_framework._hostabi.registration.specs`). Reference: docs/hostabi.md (generated from
hostabi_spec/abi_v1.json); providers and composition: docs/hostabi-providers.md.
"""

from __future__ import annotations

from .compose import host_functions_for
from .provider import HostABIProvider

__all__ = ["HostABIProvider", "host_functions_for"]

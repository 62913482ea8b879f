"""Fixtures for plugins' own tests, registered as a pytest plugin (``pytest11`` entry point
``ispc``). It only defines fixtures, all prefixed ``ispc_``: no options, hooks or markers, so it
changes nothing in a pytest run that does not ask for one of them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .._engines import HostFunction
from .._model import ChainPins
from .._repository import MemoryRepository
from ._direct import DEFAULT_PINS


@pytest.fixture
def ispc_pins() -> ChainPins:
    """Fixed chain pins (height 7, a fixed timestamp and block hash, chain ``ispc-devnet``)."""
    return DEFAULT_PINS


@pytest.fixture(scope="session")
def ispc_host_functions() -> tuple[HostFunction, ...]:
    """The host functions of the core's HostABI providers (``ispc.v1`` and ``ispc.crypto``)."""
    from .._hostabi.compose import host_functions_for
    from .._hostabi.crypto import CryptoProvider
    from .._hostabi.v1 import V1Provider

    return host_functions_for([V1Provider(), CryptoProvider()])


@pytest.fixture
def ispc_memory_repository() -> Iterator[MemoryRepository]:
    """The core's in-memory reference repository, closed after the test."""
    repository = MemoryRepository()
    try:
        yield repository
    finally:
        repository.close()

"""Helpers and fixtures for plugins' own tests.

- :func:`run_direct` runs one contract method on one engine with a fresh context, the way the
  coordinator does (the same run object), without a repository or prover;
- :func:`registered_specs` returns the descriptors an installed entry point registers, through the
  core's real plugin manager;
- :func:`inference_digest` is the engine-level digest two ONNX engines are compared on;
- the pytest fixtures ``ispc_pins``, ``ispc_host_functions`` and ``ispc_memory_repository`` come
  from the ``ispc`` pytest plugin (``ispc_framework.testing._pytest_plugin``), registered through a
  ``pytest11`` entry point: installed, it adds fixtures only, no options.

The conformance suites a plugin proves itself with are in :mod:`ispc_framework.conformance`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_namespace

_EXPORTS: dict[str, list[str]] = {
    "._direct": ["run_direct", "DirectResult", "DEFAULT_PINS"],
    "._helpers": ["registered_specs", "inference_digest"],
}

if TYPE_CHECKING:  # the same names, for type checkers (tests/test_public_api.py keeps them equal)
    from ._direct import (
        run_direct, DirectResult, DEFAULT_PINS)
    from ._helpers import (
        registered_specs, inference_digest)

__getattr__, __dir__ = lazy_namespace(__name__, _EXPORTS, globals())

__all__ = [
    "DEFAULT_PINS", "DirectResult", "inference_digest", "registered_specs", "run_direct"
]

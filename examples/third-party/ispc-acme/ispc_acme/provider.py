"""A HostABI provider outside the spec: written with traced_host_function, so every call is
charged and traced by the core."""

from __future__ import annotations

from ispc_framework.plugins import traced_host_function


class MathProvider:
    import_module = "acme.math"
    abi_version = 1

    def __init__(self, settings=None) -> None:
        self._functions = (traced_host_function(
            "acme.math", "add", ("i64", "i64"), ("i64",), 3,
            lambda env, a, b: (a + b) & (2 ** 64 - 1)),)

    def host_functions(self):
        return self._functions

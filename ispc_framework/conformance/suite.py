"""The pytest base class every kind's suite builds on, and the table that turns checks into tests.

A suite is a table of checks ``(check id, title, capability or None)`` and a ``bind(plugin)``
function returning each check as a closure. :func:`add_checks` makes one pytest test per row on a
base class, so an author runs the suite in their own tests by subclassing it::

    class TestMyEngine(WasmEngineSuite):
        @pytest.fixture
        def make_plugin(self):
            return MyEngine          # called with no arguments for each fresh plugin object

and ``ispc conformance NAME`` runs the same class against the installed plugin. A check whose
capability the plugin object does not declare is skipped with that reason (never counted as
passed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

__all__ = ["PluginSuite", "add_checks", "declared_capabilities"]


def declared_capabilities(plugin: Any) -> frozenset[str]:
    """The capabilities the object declares (the ones runs use), empty if it declares none."""
    capabilities = getattr(plugin, "capabilities", None)
    if capabilities is None:
        return frozenset()
    try:
        value = capabilities() if callable(capabilities) else capabilities
        return frozenset(value)
    except Exception:  # noqa: BLE001 - a broken surface is the surface check's failure
        return frozenset()


def _close(plugin: Any) -> None:
    close = getattr(plugin, "close", None)
    if callable(close):
        close()


class PluginSuite:
    """Base of every suite class. Subclasses provide ``make_plugin``: a fixture returning a
    zero-argument callable that builds a fresh plugin object."""

    #: the suite key (``wasm-engine``, ``prover``, ...), the version of its checks
    suite = ""
    suite_version = "1"

    @pytest.fixture
    def make_plugin(self) -> Callable[[], Any]:
        raise NotImplementedError(f"{type(self).__name__} must define a `make_plugin` fixture "
                                  "returning a callable that builds a fresh plugin object")

    @pytest.fixture
    def plugin(self, make_plugin: Callable[[], Any]) -> Any:
        plugin = make_plugin()
        yield plugin
        _close(plugin)

    @pytest.fixture
    def variants(self) -> dict[str, Callable[[], Any]]:
        """Other objects of the plugin some checks need, by role (``ispc conformance`` fills it;
        e.g. the prover suite's "foreign" and "production" provers)."""
        return {}


def add_checks(cls: type, checks: tuple[tuple[str, str, str | None], ...],
               bind: Callable[..., dict[str, Callable[[], None]]], *,
               extra_fixture: str | None = None) -> type:
    """Add ``test_<id>`` for every check row to ``cls``; each binds a fresh plugin (and, with
    ``extra_fixture``, that fixture's value as ``bind``'s second argument)."""
    for check, title, needs in checks:
        def test(self: Any, plugin: Any, request: Any, _check: str = check,
                 _needs: str | None = needs) -> None:
            if _needs is not None and _needs not in declared_capabilities(plugin):
                pytest.skip(f"{getattr(plugin, 'name', 'the plugin')} does not declare "
                            f"{_needs!r}")
            if extra_fixture is None:
                bind(plugin)[_check]()
            else:
                bind(plugin, request.getfixturevalue(extra_fixture))[_check]()

        test.__name__ = test.__qualname__ = f"test_{check}"
        test.__doc__ = title + (f" (needs {needs!r})" if needs else "")
        setattr(cls, test.__name__, test)
    return cls

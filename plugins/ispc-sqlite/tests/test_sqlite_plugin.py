"""The plugin is discoverable through ``ispc.plugins`` and builds a repository from its settings."""

from __future__ import annotations

import subprocess
import sys

from ispc_framework.plugins import ChainView, RepositorySpec, RepositoryWriter, load_factory
from ispc_framework.testing import registered_specs


def _registered_specs() -> list[RepositorySpec]:
    return registered_specs("ispc-sqlite")


def test_entry_point_registers_the_sqlite_repository():
    (spec,) = _registered_specs()
    assert spec.kind == "repository" and spec.name == "sqlite"
    assert spec.factory == "ispc_sqlite.plugin:create_repository"
    assert spec.supports_api()
    assert {"persistent", "read-only-views", "devnet-apply"} <= spec.capabilities
    assert [s.name for s in spec.settings] == ["path", "synchronous", "busy_timeout_ms",
                                               "max_resource_bytes"]


def test_factory_builds_a_repository_from_the_declared_defaults(tmp_path):
    (spec,) = _registered_specs()
    settings = {s.name: s.default for s in spec.settings}
    settings["path"] = str(tmp_path / "from-spec.db")
    repository = load_factory(spec)(settings)  # the core calls factories with one dict
    try:
        assert isinstance(repository.view(), ChainView)
        assert isinstance(repository.writer(), RepositoryWriter)
    finally:
        repository.close()


def test_core_plugin_manager_selects_and_builds_it_from_config(tmp_path):
    from ispc_framework import load_config
    from ispc_framework.plugins import PluginManager

    path = tmp_path / "sub" / "configured.db"
    config = load_config(overrides={"repository.name": "sqlite", "plugin.sqlite.path": str(path),
                                    "plugin.sqlite.synchronous": "normal"},
                         environ={}, search_cwd=False)
    manager = PluginManager.from_config(config)
    spec = manager.select("repository", "sqlite")
    repository = manager.create(spec, config.plugin_settings(spec))
    try:
        repository.writer().create_genesis("configured", 3, [])
        assert repository.view().head().chain_id == "configured"
        assert path.is_file()
    finally:
        repository.close()


def test_registration_module_does_not_open_or_import_the_repository():
    code = ("import sys, ispc_sqlite.plugin as p; p.ispc_register_repositories(); "
            "print('ispc_sqlite.writer' in sys.modules, 'ispc_sqlite.repository' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]

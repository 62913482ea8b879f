"""The CLI package: one module per command group, no cycles, lazy loading, one closed coordinator."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import ispc_framework._cli as cli_package
from ispc_framework._cli import cli
from ispc_framework._cli._app import COMMANDS

MODULES = sorted(f"ispc_framework._cli.{info.name}"
                 for info in pkgutil.iter_modules(cli_package.__path__))
HEAVY = ("wasmtime", "wasmer", "onnxruntime", "onnx", "numpy", "groth16py", "sqlite3", "rich")


def _python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("module", MODULES)
def test_each_module_imports_alone_in_a_fresh_process(module):
    _python(f"import {module}")


def test_command_modules_import_only_the_shared_helpers():
    """No cycle: the helper modules import no command module (and the loaders not the app),
    command modules import helpers only, never each other."""
    package = Path(cli_package.__file__).parent
    helpers = {"_app", "_loaders", "_output", "_describe", "_schemas"}
    for path in package.glob("*.py"):
        siblings = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                siblings.add(node.module)
        if path.stem == "__init__":
            assert siblings == {"_app"}
        elif path.stem in helpers:
            assert siblings <= helpers - {path.stem}, f"{path.name} imports {siblings}"
        else:
            assert siblings <= helpers, f"{path.name} imports {siblings - helpers}"


def test_every_listed_command_resolves_to_its_module():
    ctx = click.Context(cli)
    assert cli.list_commands(ctx) == sorted(COMMANDS)
    for name, target in COMMANDS.items():
        command = cli.get_command(ctx, name)
        assert isinstance(command, click.Command) and command.name == name
        module, _, attr = target.partition(":")
        assert getattr(importlib.import_module(f"ispc_framework._cli.{module}"), attr) is command
    help_text = CliRunner().invoke(cli, ["--help"]).output
    assert all(name in help_text for name in COMMANDS) and "Example:" in help_text


@pytest.mark.parametrize("args", [["--version"], ["plugins", "--json"]])
def test_fast_commands_load_no_runtime_and_no_other_command_group(args):
    code = ("import sys\nfrom ispc_framework._cli import main\ntry:\n"
            f"    main({args!r})\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
            "print('LOADED', sorted(m for m in sys.modules if m.split('.')[0] in "
            f"{HEAVY!r} or m.startswith(('ispc_framework._cli.', 'ispc_framework._coordinator'))))\n"
            "print('MODEL', 'ispc_framework._model' in sys.modules)")
    out = _python(code)
    loaded = out.rpartition("LOADED ")[2].splitlines()[0].strip()
    expected = ["ispc_framework._cli._app", "ispc_framework._cli._output"] + (
        ["ispc_framework._cli._plugins"] if "plugins" in args else [])
    assert loaded == repr(expected)
    if args == ["--version"]:
        # (Listing plugins does load the model: HostABI providers register through
        # ispc_framework._hostabi, whose package imports compose -> engines -> context.)
        assert "MODEL False" in out


def test_one_coordinator_per_invocation_closed_on_exit(tmp_path, monkeypatch):
    """Also when the command fails: the second init is refused, and its coordinator is closed."""
    from ispc_framework import _coordinator as coordinator_module

    made, closed = [], []
    real_init, real_close = coordinator_module.Coordinator.__init__, \
        coordinator_module.Coordinator.close

    def init(self, *args, **kw):
        made.append(self)
        real_init(self, *args, **kw)

    def close(self):
        closed.append(self)
        real_close(self)

    monkeypatch.setattr(coordinator_module.Coordinator, "__init__", init)
    monkeypatch.setattr(coordinator_module.Coordinator, "close", close)
    config = tmp_path / "ispc.toml"
    config.write_text(f'[plugin.sqlite]\npath = "{tmp_path / "chain.db"}"\n')
    for expected_exit in (0, 1):
        made.clear()
        closed.clear()
        result = CliRunner().invoke(cli, ["--config", str(config), "init"])
        assert result.exit_code == expected_exit, result.output
        assert len(made) == 1 and closed == made
    # Closed for real: SQLite removes its write-ahead log when the last connection closes.
    assert not (tmp_path / "chain.db-wal").exists()

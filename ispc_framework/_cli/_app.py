"""The root ``ispc`` group, the state of one invocation, and how errors are shown.

Exit codes: 0 success, 1 an execution, repository or proof error, 2 a usage, config or plugin error.
Every error prints its message, a hint and its stable code; ``--json`` prints it as JSON instead.
"""

from __future__ import annotations

import importlib
import logging
import sys
from typing import TYPE_CHECKING, Any

import click

from .. import __version__
from .._config import Config, load_config
from .._errors import ConfigError, ISPCError, PluginError, ValidationError
from ._output import console, emit_json

if TYPE_CHECKING:  # imported on first use: most commands need neither
    from .._coordinator import Coordinator
    from ..plugins._manager import PluginManager

__all__ = ["main", "cli", "State", "emit_json", "console"]

_USAGE_ERRORS = (ConfigError, PluginError, ValidationError)


class State:
    def __init__(self, config_path: str | None, overrides: tuple[str, ...]) -> None:
        self.config_path = config_path
        self.overrides = overrides
        self._config: Config | None = None
        self._plugins: PluginManager | None = None
        self._coordinator: Coordinator | None = None
        self.verbose = 0  # -v count

    @property
    def config(self) -> Config:
        if self._config is None:
            parsed = {}
            for item in self.overrides:
                key, sep, value = item.partition("=")
                if not sep or not key:
                    raise ConfigError(f"--set {item!r} must look like key=value",
                                      key="--set", hint="e.g. --set limits.fuel=1000000")
                parsed[key.strip()] = value.strip()
            self._config = load_config(self.config_path, overrides=parsed)
        return self._config

    @property
    def plugins(self) -> PluginManager:
        from ..plugins._manager import PluginManager

        if self._plugins is None:
            self._plugins = PluginManager.from_config(self.config)
            self._plugins.bind_config(self.config)
        return self._plugins

    @property
    def coordinator(self) -> Coordinator:
        """The invocation's one coordinator, made on first use and closed by :meth:`close`."""
        if self._coordinator is None:
            from .._coordinator import Coordinator

            self._coordinator = Coordinator(self.config, self.plugins)
        return self._coordinator

    def close(self) -> None:
        if self._coordinator is not None:
            self._coordinator.close()
            self._coordinator = None


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (click's test runner swaps it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


class _VerbosityFilter(logging.Filter):
    """ISPC's own loggers (``ispc.*``, ``ispc_framework.*``, plugin packages ``ispc_*``) at the
    chosen level; other libraries one step quieter, so -vv is not flooded by dependencies."""

    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        own = record.name == "ispc" or record.name.startswith(("ispc.", "ispc_"))
        return record.levelno >= (self.level if own else min(self.level + 10, logging.WARNING))


def _configure_logging(verbose: int):
    """-v: INFO (plugin selection, timings), -vv: DEBUG (plugin loads, cache hits); to stderr.
    Returns the function that undoes it (an embedding process, or tests running many
    invocations in one process, keep their own logging afterwards)."""
    level = logging.WARNING - 10 * min(verbose, 2)
    root = logging.getLogger()
    previous = root.level
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_VerbosityFilter(level))
    root.addHandler(handler)
    root.setLevel(level)

    def restore() -> None:
        root.removeHandler(handler)
        root.setLevel(previous)
    return restore


def _fail(exc: ISPCError, as_json: bool) -> None:
    if as_json:
        emit_json(exc.to_dict())
    else:
        click.echo(f"error: {exc.message}", err=True)
        click.echo(f"hint: {exc.hint}", err=True)
        click.echo(f"[{exc.code}]", err=True)
    sys.exit(2 if isinstance(exc, _USAGE_ERRORS) else 1)


class _Group(click.Group):
    """Turns ISPCError from any command into the documented message, hint, code and exit code."""

    raw_args: list[str] = []

    def main(self, args: Any = None, *rest: Any, **kw: Any) -> Any:
        self.raw_args = list(sys.argv[1:] if args is None else args)
        return super().main(args, *rest, **kw)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ISPCError as exc:
            _fail(exc, "--json" in self.raw_args)

    # Commands are named here and imported only when invoked (or when --help lists them), so
    # `ispc plugins`, `doctor` and `config show` never import the data model or an engine.
    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None and self is cli and name in COMMANDS:
            module, _, attr = COMMANDS[name].partition(":")
            command = getattr(importlib.import_module(f"{__package__}.{module}"), attr)
            self.add_command(command, name)
        return command

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = super().list_commands(ctx)
        return sorted(set(names) | set(COMMANDS)) if self is cli else names


#: command name -> "module:attribute" in this package, one module per command group.
COMMANDS = {
    "plugins": "_plugins:plugins_cmd", "doctor": "_plugins:doctor_cmd",
    "config": "_plugins:config_group",
    "init": "_devnet:init_cmd", "devnet": "_devnet:devnet_group",
    "deploy": "_chain:deploy_cmd", "chain": "_chain:chain_cmd", "utxo": "_chain:utxo_cmd",
    "block": "_inspect:block_cmd", "tx": "_inspect:tx_cmd", "events": "_inspect:events_cmd",
    "contracts": "_inspect:contracts_cmd", "trace": "_inspect:trace_cmd",
    "run": "_execute:run_cmd", "infer": "_execute:infer_cmd", "verify": "_execute:verify_cmd",
    "apply": "_execute:apply_cmd", "replay": "_execute:replay_cmd", "keys": "_keys:keys_group",
    "query": "_state:query_cmd", "state": "_state:state_cmd", "balance": "_state:balance_cmd",
    "setup": "_tools:setup_cmd", "prover": "_tools:prover_group", "demo": "_tools:demo_cmd",
    "conformance": "_tools:conformance_cmd", "hostabi": "_tools:hostabi_group",
    "batch": "_batch:batch_cmd",
}


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ispc")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="ispc.toml to use (default: $ISPC_CONFIG, else ./ispc.toml, else built-in defaults).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a config key, e.g. --set engine.wasm.name=wasmer (repeatable).")
@click.option("-v", "--verbose", count=True, help="Log more (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, overrides: tuple[str, ...], verbose: int) -> None:
    """ISPC: verifiable execution of WebAssembly contracts and ONNX models.

    Example: ispc --config ispc.toml run CONTRACT_HASH transfer --input 0a0b --out result.json
    """
    ctx.call_on_close(_configure_logging(verbose))
    ctx.obj = State(config_path, overrides)
    ctx.obj.verbose = verbose
    ctx.call_on_close(ctx.obj.close)  # on every exit, errors included (runs first)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="ispc")

"""The ``ispc`` command line.

Exit codes: 0 success, 1 an execution, repository or proof error, 2 a usage, config or plugin error.
Every error prints its message, a hint and its stable code; ``--json`` prints it as JSON instead.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import click

from . import __version__
from .config import Config, load_config
from .errors import ConfigError, ISPCError, PluginError, ValidationError

__all__ = ["main", "cli"]

_USAGE_ERRORS = (ConfigError, PluginError, ValidationError)


class _State:
    def __init__(self, config_path: str | None, overrides: tuple[str, ...]) -> None:
        self.config_path = config_path
        self.overrides = overrides
        self._config: Config | None = None
        self._plugins = None

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
    def plugins(self):
        from .plugins.manager import PluginManager

        if self._plugins is None:
            self._plugins = PluginManager.from_config(self.config)
        return self._plugins


def _emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))


def _console():
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def _fail(exc: ISPCError, as_json: bool) -> None:
    if as_json:
        _emit_json(exc.to_dict())
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

    # The chain and execution commands live in cli_chain, which imports the data model; loading
    # it only when one of them (or the command list) is asked for keeps `ispc plugins`, `doctor`
    # and `config show` quick to start.
    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None and self is cli:
            _load_more_commands()
            command = super().get_command(ctx, name)
        return command

    def list_commands(self, ctx: click.Context) -> list[str]:
        if self is cli:
            _load_more_commands()
        return super().list_commands(ctx)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ispc")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="ispc.toml to use (default: $ISPC_CONFIG, else ./ispc.toml, else built-in defaults).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a config key, e.g. --set engine.wasm.name=wasmer (repeatable).")
@click.option("-v", "--verbose", count=True, help="Log more (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, overrides: tuple[str, ...], verbose: int) -> None:
    """ISPC: verifiable execution of WebAssembly contracts and ONNX models."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = _State(config_path, overrides)


# ----------------------------------------------------------------------------------- plugins


@cli.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_obj
def plugins_cmd(state: _State, as_json: bool) -> None:
    """List every installed plugin with its kind, distribution, capabilities and status."""
    rows = [record.as_dict() for record in state.plugins.records()]
    if as_json:
        _emit_json(rows)
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="ISPC plugins")
    for column in ("name", "kind", "distribution", "version", "capabilities", "status"):
        table.add_column(column)
    for row in rows:
        status = row["status"] if not row["error"] else f"{row['status']}: {row['error']}"
        style = "" if row["status"] == "ok" else "yellow"
        table.add_row(*(escape(cell) for cell in (
            row["name"] or row["plugin"], row["kind"] or "-", row["distribution"], row["version"],
            ", ".join(row["capabilities"]) or "-", status)), style=style)
    _console().print(table)
    broken = [r for r in rows if r["status"] not in ("ok", "blocked", "not-loaded")]
    if broken:
        click.echo(f"{len(broken)} plugin(s) unusable; `ispc doctor` says what to do.", err=True)


@cli.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_obj
def doctor_cmd(state: _State, as_json: bool) -> None:
    """Check the effective config against the installed plugins; exit 2 if a selected one is unusable."""
    from .doctor import run_checks

    checks = run_checks(state.config, state.plugins)
    if as_json:
        _emit_json([c.as_dict() for c in checks])
    else:
        marks = {"ok": "[green]ok[/]", "warning": "[yellow]warning[/]", "error": "[red]error[/]"}
        from rich.markup import escape

        console = _console()
        for check in checks:
            console.print(f"{marks[check.level]}  {escape(check.subject)}: {escape(check.message)}")
            if check.hint and check.level != "ok":
                console.print(escape(f"    hint: {check.hint} [{check.code}]"))
    if any(c.level == "error" for c in checks):
        sys.exit(2)


@cli.group("config")
def config_group() -> None:
    """Inspect the effective configuration."""


@config_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_obj
def config_show(state: _State, as_json: bool) -> None:
    """Print every effective value and where it came from (default, file, env or cli)."""
    secrets = _secret_keys(state)
    rows = state.config.shown(secrets)
    if as_json:
        _emit_json({key: {"value": value, "source": source} for key, value, source in rows})
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"effective config ({state.config.path or 'no file: built-in defaults'})")
    for column in ("key", "value", "source"):
        table.add_column(column)
    for key, value, source in rows:
        table.add_row(escape(key), escape(value if isinstance(value, str) else json.dumps(value)),
                      escape(source))
    _console().print(table)


def _secret_keys(state: _State) -> set[str]:
    keys = set()
    for record in state.plugins.records():
        if record.spec is not None:
            keys |= {f"plugin.{record.spec.name}.{s.name}" for s in record.spec.settings if s.secret}
    return keys


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="ispc")


def _load_more_commands() -> None:
    from . import cli_chain, cli_state  # noqa: F401  (register their commands on cli)


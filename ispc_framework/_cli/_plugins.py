"""``ispc plugins``, ``ispc doctor`` and ``ispc config show``: what is installed and configured.

These never import the data model, an engine or a prover (a test pins it), so they start fast."""

from __future__ import annotations

import json
import sys

import click

from ._app import State, console, emit_json

@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_obj
def plugins_cmd(state: State, as_json: bool) -> None:
    """List every installed plugin with its kind, distribution, capabilities and status; with
    --json also each setting with its default, effective value and where that came from.

    Example: ispc plugins --json"""
    rows = [{**record.as_dict(), "settings": _settings(state, record.spec)}
            for record in _diagnostic_plugins(state).records()]
    if as_json:
        emit_json(rows)
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
    console().print(table)
    broken = [r for r in rows if r["status"] not in ("ok", "blocked", "not-loaded")]
    if broken:
        click.echo(f"{len(broken)} plugin(s) unusable; `ispc doctor` says what to do.", err=True)


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_obj
def doctor_cmd(state: State, as_json: bool) -> None:
    """Check the effective config against the installed plugins: build each selected plugin,
    check the prover's keys and the chain's genesis; exit 2 if a selected one is unusable.

    Example: ispc doctor --json"""
    from .._doctor import run_checks
    from ..plugins._manager import PluginManager

    # not state.plugins: a config that does not fit the installed plugins is one of the checks
    checks = run_checks(state.config, PluginManager.from_config(state.config))
    if as_json:
        emit_json([c.as_dict() for c in checks])
    else:
        marks = {"ok": "[green]ok[/]", "warning": "[yellow]warning[/]", "error": "[red]error[/]"}
        from rich.markup import escape

        out = console()
        for check in checks:
            out.print(f"{marks[check.level]}  {escape(check.subject)}: {escape(check.message)}")
            if check.hint and check.level != "ok":
                out.print(escape(f"    hint: {check.hint} [{check.code}]"))
    if any(c.level == "error" for c in checks):
        sys.exit(2)


@click.group("config")
def config_group() -> None:
    """Inspect the effective configuration."""


@config_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_obj
def config_show(state: State, as_json: bool) -> None:
    """Print every effective value, every installed plugin's settings included, and where it
    came from (default, file, env or cli).

    Example: ispc --set limits.fuel=5000000 config show --json"""
    secrets = _secret_keys(state)
    rows = state.config.shown(secrets)
    if as_json:
        emit_json({key: {"value": value, "source": source} for key, value, source in rows})
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"effective config ({state.config.path or 'no file: built-in defaults'})")
    for column in ("key", "value", "source"):
        table.add_column(column, overflow="fold")  # keys and paths stay whole
    for key, value, source in rows:
        table.add_row(escape(key), escape(value if isinstance(value, str) else json.dumps(value)),
                      escape(source))
    console().print(table)


def _settings(state: State, spec) -> list[dict]:
    """A plugin's declared settings with default, effective value and source (secrets masked)."""
    if spec is None:
        return []
    config = state.config
    rows = []
    for setting in spec.settings:
        key = f"plugin.{spec.name}.{setting.name}"
        value = config.get(key, setting.default)
        source = config.sources.get(key, "default")
        masked = setting.secret or source.startswith("env-ref:")
        rows.append({"name": setting.name, "type": setting.type,
                     "default": "********" if setting.secret and setting.default else
                     setting.default, "value": "********" if masked and value else value,
                     "source": source, "description": setting.description,
                     "secret": setting.secret})
    return rows


def _diagnostic_plugins(state: State):
    """The plugins for `ispc plugins` and `config show`, which must work on a config that does
    not fit the installed plugins (they are how one finds out why): the mismatch is a warning
    on stderr here, and an error everywhere else."""
    from .._errors import ConfigError
    from ..plugins._manager import PluginManager

    manager = PluginManager.from_config(state.config)
    try:
        manager.bind_config(state.config)
    except ConfigError as exc:
        click.echo(f"warning: {exc.message} [{exc.code}]\n  hint: {exc.hint}", err=True)
    return manager


def _secret_keys(state: State) -> set[str]:
    keys = set()
    for record in _diagnostic_plugins(state).records():
        if record.spec is not None:
            keys |= {f"plugin.{record.spec.name}.{s.name}" for s in record.spec.settings if s.secret}
    return keys

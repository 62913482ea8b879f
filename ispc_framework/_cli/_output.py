"""How every command prints: JSON for scripts, tables and progress for people.

One place for the conventions docs/cli.md promises, so every command follows them:

- ``--json`` output goes to stdout as one JSON document (``emit_json``); bytes are lowercase hex,
  tensors are ``{"name", "dtype", "shape", "values"}`` (``tensor_json``), never hex; each
  command's document has a schema in :mod:`._schemas`.
- Progress (bars, spinners) and logs go to stderr, and progress only on a terminal, so piped and
  ``--json`` output stays clean.
- ``timings`` (``with timed() as t``) gathers the per-phase seconds of :mod:`.._timing`.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from typing import Any

import click

__all__ = ["emit_json", "console", "err_console", "tensor_json", "working", "step_progress",
           "timed", "table"]


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))


def console(stderr: bool = False):
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True, stderr=stderr)


def err_console():
    return console(stderr=True)


def table(title: str | None, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Print a rich table of ``rows`` (cells shown with str(), markup escaped) to stdout."""
    from rich.markup import escape
    from rich.table import Table

    shown = Table(title=title)
    for column in columns:
        shown.add_column(column)
    for row in rows:
        shown.add_row(*(escape(str(cell)) for cell in row))
    console().print(shown)


def tensor_json(tensor: Any) -> dict[str, Any]:
    """A tensor as values (flattened, C order), dtype and shape: what ``infer --inputs`` takes."""
    from ._loaders import tensor_values

    return {"name": tensor.name, "dtype": tensor.dtype, "shape": list(tensor.shape),
            "values": tensor_values(tensor)}


def _interactive() -> bool:
    return sys.stderr.isatty()


@contextlib.contextmanager
def working(text: str) -> Iterator[None]:
    """A spinner with elapsed time on stderr while the block runs (on a terminal only)."""
    if not _interactive():
        yield
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err_console(), transient=True) as bar:
        bar.add_task(text, total=None)
        yield


@contextlib.contextmanager
def step_progress(text: str) -> Iterator[Callable[[str, int, int], None]]:
    """A progress bar on stderr fed by a ``progress(step, done, total)`` callback (the provers'
    setup callback shape); off a terminal each step is one line on stderr instead."""
    if not _interactive():
        def plain(step: str, done: int, total: int) -> None:
            click.echo(f"{text}: [{done}/{total}] {step}" if total else f"{text}: {step}",
                       err=True)
        yield plain
        return
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeElapsedColumn)

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err_console(), transient=False) as bar:
        task = bar.add_task(text, total=None)

        def update(step: str, done: int, total: int) -> None:
            bar.update(task, description=f"{text}: {step}", completed=done,
                       total=total or None)
        yield update


@contextlib.contextmanager
def timed() -> Iterator[dict[str, float]]:
    """Phase name -> seconds for the phases (compile, execute, prove, verify, apply) run inside,
    rounded to milliseconds when read."""
    from .._timing import collect

    with collect() as recorder:
        yield recorder


def timings_json(recorder: dict[str, float]) -> dict[str, float]:
    return {name: round(seconds, 3) for name, seconds in recorder.items()}

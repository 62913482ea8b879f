"""The ``ispc`` command line: one module per command group, each loaded only when it is run.

``_app`` holds the root group, the per-invocation state (config, plugins, one coordinator closed
on exit) and error rendering; it names the commands in a table and imports a command's module
only when that command is invoked, so ``ispc --version`` and ``ispc plugins`` stay quick.
The command modules import ``_app``'s helpers, never each other or the root group.
"""

from ._app import cli, main

__all__ = ["cli", "main"]

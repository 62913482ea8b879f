"""``python -m ispc_framework`` is the ``ispc`` command."""

from .cli import main

main()

"""``python -m ispc_framework`` is the ``ispc`` command."""

from ._cli import main

main()

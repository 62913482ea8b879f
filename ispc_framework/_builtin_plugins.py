"""The core's own plugins, registered through the same ``ispc.plugins`` entry point as everyone's:
the ``ispc.v1`` and ``ispc.crypto`` HostABI providers and the ``jsonl`` trace sink."""

from __future__ import annotations

from ._hostabi import registration
from .plugins._hookspecs import hookimpl
from .plugins._specs import Setting, TraceSinkSpec


@hookimpl
def ispc_register_hostabi_providers():
    return registration.specs()


@hookimpl
def ispc_register_trace_sinks():
    return [TraceSinkSpec(name="jsonl", factory="ispc_framework._sinks:JsonlTraceSink",
                          description="append sealed traces as JSON lines to a file",
                          settings=[Setting("path", "path", "ispc-traces.jsonl",
                                            "file the traces are appended to")])]

"""Registration only: descriptors are cheap, the objects are imported when selected."""

from ispc_framework.plugins import (HookSpec, HostABIProviderSpec, Setting, TraceSinkSpec,
                                    hookimpl)


@hookimpl
def ispc_register_trace_sinks():
    return [TraceSinkSpec(name="acme-dir", factory="ispc_acme.sink:DirectorySink",
                          description="one JSON file per sealed trace, in order",
                          settings=[Setting("dir", "path", "acme-traces",
                                            "directory the trace files go to")])]


@hookimpl
def ispc_register_hostabi_providers():
    return [HostABIProviderSpec(name="acme.math", import_module="acme.math",
                                factory="ispc_acme.provider:MathProvider",
                                description="acme.math.add: 64-bit wrapping addition")]


@hookimpl
def ispc_register_hooks():
    return [HookSpec(name="acme-audit", description="counts executions by outcome",
                     settings=[Setting("verbose", "bool", False, "log every execution")])]


RUNS = {"ok": 0, "error": 0}


@hookimpl(wrapper=True)
def ispc_execution(request, context):
    try:
        outcome = yield
    except Exception:
        RUNS["error"] += 1
        raise
    RUNS["ok"] += 1
    return outcome

"""docs/plugin-authors.md lists every method of every plugin protocol."""

from __future__ import annotations

from pathlib import Path

import pytest

from ispc_framework._engines import OnnxEngine, WasmEngine
from ispc_framework._hostabi.provider import HostABIProvider
from ispc_framework._proving import Prover
from ispc_framework._repository import ChainView, Repository, RepositoryWriter
from ispc_framework._sinks import TraceSink

DOC = (Path(__file__).resolve().parents[1] / "docs" / "plugin-authors.md").read_text()


def members(protocol):
    names = {n for n in vars(protocol) if not n.startswith("_")}
    names |= set(getattr(protocol, "__annotations__", {}))
    return sorted(names)


@pytest.mark.parametrize("protocol", [WasmEngine, OnnxEngine, HostABIProvider, Prover, TraceSink,
                                      ChainView, RepositoryWriter, Repository],
                         ids=lambda p: p.__name__)
def test_every_protocol_method_is_documented(protocol):
    section = DOC.split(f"### {protocol.__name__}", 1)
    if len(section) == 1:   # documented together with a sibling protocol
        section = [s for s in DOC.split("### ") if protocol.__name__ in s.splitlines()[0]]
        assert section, f"no section for {protocol.__name__}"
        text = section[0]
    else:
        text = section[1].split("\n### ", 1)[0]
    missing = [m for m in members(protocol) if f"`{m}" not in text and f"{m}(" not in text]
    assert not missing, f"{protocol.__name__}: undocumented {missing}"

"""Small helpers a plugin's own tests need: its descriptors as the core sees them, and an
engine-level digest to compare two ONNX engines on."""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence
from importlib.metadata import entry_points

from .._encoding import digest
from .._errors import PluginNotFound, ValidationError
from .._model import Tensor
from .._onnx_safety import canonical_tensor_bytes
from ..plugins._manager import ENTRY_POINT_GROUP, PluginManager
from ..plugins._specs import PluginSpec

__all__ = ["registered_specs", "inference_digest"]


def registered_specs(entry_point: str) -> list[PluginSpec]:
    """The descriptors the installed distribution's ``ispc.plugins`` entry point registers, loaded
    through the core's real plugin manager (so a plugin test sees exactly what ``ispc`` sees)."""
    names = {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    if entry_point not in names:
        raise PluginNotFound(f"no {ENTRY_POINT_GROUP!r} entry point named {entry_point!r}; "
                             f"installed: {', '.join(sorted(names)) or 'none'}",
                             hint="pip install the plugin's distribution (pip install -e .)")
    manager = PluginManager(autoload=False, load=[entry_point], environ={})
    return [record.spec for record in manager.records()
            if record.plugin == entry_point and record.spec is not None]


def _tensor_list_digest(tensors: Sequence[Tensor]) -> bytes:
    h = hashlib.sha256(struct.pack("<I", len(tensors)))
    for tensor in tensors:
        h.update(canonical_tensor_bytes(tensor))
    return h.digest()


def inference_digest(model_hash: bytes, inputs: Sequence[Tensor],
                     outputs: Sequence[Tensor]) -> bytes:
    """Engine-level commitment to one inference: model hash, inputs and outputs, the part two ONNX
    engines can be compared on (the coordinator's result hash adds context, trace and engine).

    Domain-separated SHA-256 (``ispc/onnx-inference/v1``); inputs and outputs in declaration order,
    each list length-prefixed, so no two different (model, inputs, outputs) triples share a
    preimage.
    """
    if not isinstance(model_hash, bytes) or len(model_hash) != 32:
        raise ValidationError("model_hash", "expected 32 bytes")
    return digest("ispc/onnx-inference/v1", model_hash, _tensor_list_digest(inputs),
                  _tensor_list_digest(outputs))

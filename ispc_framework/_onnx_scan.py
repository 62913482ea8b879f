"""Count-level caps on an ONNX model, read from the protobuf wire format before the full parse.

Parsing a model with protobuf materialises every message: a 16 MB file of empty nodes or
initializers took 3.6-4.4 GB and 18-27 s, and a 60 MB one (under the byte cap) crashed the
process. This scanner walks only the messages that can nest (model, graph, node, attribute,
function) straight from the bytes, skipping tensor payloads, and stops at the first cap it
crosses, so such a file is refused after reading at most a cap's worth of fields, in memory
proportional to the nesting depth. Written here because protobuf offers no way to count
repeated fields without parsing them, and onnx's loader has no limits.

Field numbers are onnx.proto3's (stable since IR version 3).
"""

from __future__ import annotations

import attrs

from ._errors import ModuleRejected

__all__ = ["ModelCaps", "scan_counts"]


@attrs.frozen
class ModelCaps:
    nodes: int = 100_000            # every node, subgraphs and functions included
    initializers: int = 100_000     # tensors (initializers, attribute tensors)
    value_infos: int = 100_000      # graph inputs, outputs and value_info entries
    attributes: int = 400_000
    depth: int = 16                 # graphs nested in attributes


# (message, field number) -> (child message or None, counter or None)
_MODEL, _GRAPH, _NODE, _ATTRIBUTE, _FUNCTION = "model", "graph", "node", "attribute", "function"
_FIELDS: dict[str, dict[int, tuple[str | None, str | None]]] = {
    _MODEL: {7: (_GRAPH, None), 25: (_FUNCTION, None)},
    _GRAPH: {1: (_NODE, "nodes"), 5: (None, "initializers"), 15: (None, "initializers"),
             11: (None, "value_infos"), 12: (None, "value_infos"), 13: (None, "value_infos")},
    _NODE: {5: (_ATTRIBUTE, "attributes")},
    _ATTRIBUTE: {5: (None, "initializers"), 10: (None, "initializers"), 6: (_GRAPH, None),
                 11: (_GRAPH, None)},
    _FUNCTION: {7: (_NODE, "nodes")},
}


def _varint(data: bytes, pos: int, end: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= end or shift > 63:
            raise ValueError("truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _reject(what: str, count: int, cap: int) -> ModuleRejected:
    return ModuleRejected(f"the model has more than {cap} {what} (counted {count} before "
                          "stopping): refused before parsing", code="onnx-too-many-elements",
                          hint="models this large are not accepted; raise the engine's "
                               "ModelCaps only for trusted models", element=what, limit=cap)


def scan_counts(data: bytes, caps: ModelCaps = ModelCaps()) -> dict[str, int]:
    """The element counts of a serialized ModelProto; ModuleRejected past a cap or on bytes that
    are not well-formed protobuf at the levels walked."""
    counts = {"nodes": 0, "initializers": 0, "value_infos": 0, "attributes": 0}
    limits = {"nodes": caps.nodes, "initializers": caps.initializers,
              "value_infos": caps.value_infos, "attributes": caps.attributes}
    # an explicit stack of (message, end, depth): no recursion, memory ~ nesting depth
    stack: list[tuple[str, int, int, int]] = [(_MODEL, 0, len(data), 0)]
    try:
        while stack:
            kind, pos, end, depth = stack.pop()
            fields = _FIELDS[kind]
            while pos < end:
                key, pos = _varint(data, pos, end)
                number, wire = key >> 3, key & 7
                if wire == 0:
                    _, pos = _varint(data, pos, end)
                elif wire == 1:
                    pos += 8
                elif wire == 5:
                    pos += 4
                elif wire == 2:
                    length, pos = _varint(data, pos, end)
                    start, pos = pos, pos + length
                    if pos > end:
                        raise ValueError("length past the end of its message")
                    child, counter = fields.get(number, (None, None))
                    if counter is not None:
                        counts[counter] += 1
                        if counts[counter] > limits[counter]:
                            raise _reject(counter.replace("_", " "), counts[counter],
                                          limits[counter])
                    if child is not None and length:
                        nested = depth + (child == _GRAPH and kind == _ATTRIBUTE)
                        if nested > caps.depth:
                            raise _reject("levels of nested graphs", nested, caps.depth)
                        # resume this message after the child: push self back first
                        stack.append((kind, pos, end, depth))
                        stack.append((child, start, pos, nested))
                        break
                else:
                    raise ValueError(f"wire type {wire}")
                if pos > end:
                    raise ValueError("field past the end of its message")
    except ValueError as exc:
        raise ModuleRejected(f"model bytes are not an ONNX ModelProto: {exc}",
                             code="onnx-malformed", hint="supply a serialized .onnx model") from None
    return counts

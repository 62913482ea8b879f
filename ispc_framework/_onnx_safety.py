"""Engine-neutral safety for ONNX models: the safe loader, input enforcement, canonical tensors.

Every ONNX engine loads models through :func:`load_checked_model` and never parses model bytes
itself. The loader runs its steps in a fixed order, each cheaper than the next, and nothing of
the model executes until all of them passed:

1. byte-size cap (before parsing: protobuf parsing of a huge blob is itself a cost);
   then count-level caps read from the wire format without parsing (:mod:`._onnx_scan`: nodes,
   tensors, value infos, attributes, graph nesting), so a file of millions of empty messages is
   refused in well under a second and a few MB instead of gigabytes at parse;
2. parse (malformed bytes -> ``onnx-malformed``);
3. external data anywhere in the model is rejected: a tensor whose data lives in a file made
   onnxruntime read a file from the working directory, and ``onnx.checker`` accepts such models.
   The walk is generic over every protobuf message, so subgraphs (``If``/``Loop``/``Scan``
   bodies), attributes, sparse tensors and training graphs are all covered;
4. op-domain allow list (default domain and ``ai.onnx.ml``), for every node, subgraphs included;
   random operators (RandomNormal, Bernoulli, training-mode Dropout, ...) need a ``seed``;
5. model-local functions and training info are rejected (inference only, no code we cannot see);
6. IR version and opset bounds, given by the engine (what its runtime supports, released only),
   and the domains of the opset imports;
7. the full ``onnx.checker`` (``full_check=True``: strict shape inference too);
8. initialisers are removed from the graph inputs, so a caller cannot override weights;
9. graph inputs and outputs must be plain tensors of a dtype :class:`ispc_framework._model.Tensor`
   knows, with a declared rank;
10. every tensor whose shape is statically known (shape inference with data propagation) must
    fit the memory cap, so a model that would allocate gigabytes is rejected before it runs.

:func:`validate_inputs` then enforces the declared input names, dtypes and shapes per call, and
:func:`outputs_to_tensors` turns an engine's arrays into canonical tensors under the output cap.

``onnx`` and ``numpy`` are imported inside functions: the core must import without them.
"""

from __future__ import annotations

import functools

import hashlib
import platform
import struct
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from ._errors import LimitExceeded, ModuleRejected, ValidationError
from ._limits import ExecutionLimits
from ._model import TENSOR_DTYPES, Tensor
from ._onnx_scan import scan_counts

if TYPE_CHECKING:  # loaded only when a model is checked
    import numpy.typing as npt
    import onnx

__all__ = [
    "DEFAULT_ALLOWED_DOMAINS",
    "coerce_limits",
    "ModelPolicy",
    "TensorSpec",
    "CheckedModel",
    "load_checked_model",
    "model_hash",
    "validate_inputs",
    "tensor_to_array",
    "tensor_from_array",
    "outputs_to_tensors",
    "canonical_tensor_bytes",
    "cpu_isa_class",
]

#: The default ONNX domain has two spellings; ``ai.onnx.ml`` holds the classic-ML operators.
DEFAULT_ALLOWED_DOMAINS = frozenset({"", "ai.onnx", "ai.onnx.ml"})

_MiB = 1 << 20

# onnx TensorProto.DataType numbers of the dtypes a core Tensor can hold.
_ONNX_ELEM_TO_DTYPE = {
    1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64",
    9: "bool", 10: "float16", 11: "float64", 12: "uint32", 13: "uint64",
}


def coerce_limits(limits: ExecutionLimits | None) -> ExecutionLimits:
    """The limits an ONNX run uses: ``memory_bytes``, ``timeout_s``, ``max_model_bytes`` and
    ``max_tensor_bytes`` (each input and each output tensor) of the core's ExecutionLimits."""
    if limits is None:
        return ExecutionLimits()
    if not isinstance(limits, ExecutionLimits):
        raise ValidationError("limits", f"expected ExecutionLimits, got {type(limits).__name__}")
    return limits


def _sorted_opsets(value: Mapping[str, int]) -> dict[str, int]:
    return dict(sorted(dict(value).items()))  # sorted by domain: one canonical order


@attrs.frozen
class ModelPolicy:
    """What an engine accepts: domains, IR versions and the highest opset per domain."""

    max_ir_version: int
    max_opsets: Mapping[str, int] = attrs.field(converter=_sorted_opsets)
    min_ir_version: int = 4  # below IR 4 initialisers must be graph inputs, i.e. overridable
    allowed_domains: frozenset[str] = DEFAULT_ALLOWED_DOMAINS


@attrs.frozen
class TensorSpec:
    """A declared graph input or output: dims are ints, symbolic names, or None (unknown)."""

    name: str
    dtype: str
    shape: tuple[int | str | None, ...]


@attrs.frozen
class CheckedModel:
    """A model that passed every loader step; ``model_bytes`` is the sanitised model to run."""

    model_hash: bytes  # sha256 of the bytes the caller supplied (the resource's content)
    model_bytes: bytes = attrs.field(repr=False)
    ir_version: int
    opsets: tuple[tuple[str, int], ...]
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]


def model_hash(model_bytes: bytes) -> bytes:
    """The model's content hash: plain SHA-256 of its bytes, as a resource output names it."""
    return hashlib.sha256(model_bytes).digest()


# ------------------------------------------------------------------------------- safe loader


def load_checked_model(model_bytes: bytes, policy: ModelPolicy,
                       limits: ExecutionLimits) -> CheckedModel:
    """Run every loader step in order; return the sanitised model or raise ModuleRejected."""
    if not isinstance(model_bytes, (bytes, bytearray, memoryview)):
        raise ValidationError("model_bytes", f"expected bytes, got {type(model_bytes).__name__}")
    model_bytes = bytes(model_bytes)
    if len(model_bytes) > limits.max_model_bytes:
        raise ModuleRejected(f"model is {len(model_bytes)} bytes, the cap is {limits.max_model_bytes}",
                      code="onnx-model-too-large",
                      size=len(model_bytes), limit=limits.max_model_bytes)
    scan_counts(model_bytes)
    model = _parse(model_bytes)
    _reject_external_data_and_foreign_domains(model, policy)
    if len(model.functions) or len(model.training_info):
        raise ModuleRejected("model-local functions and training info are not accepted",
                      code="onnx-unsupported-feature")
    opsets = _check_versions(model, policy)
    _run_checker(model)
    _strip_initializers_from_inputs(model)
    inputs = tuple(_spec(v, "input") for v in model.graph.input)
    outputs = tuple(_spec(v, "output") for v in model.graph.output)
    _check_static_sizes(model, limits.memory_bytes)
    return CheckedModel(model_hash=model_hash(model_bytes), model_bytes=model.SerializeToString(),
                        ir_version=model.ir_version, opsets=opsets, inputs=inputs, outputs=outputs)


def _parse(model_bytes: bytes) -> onnx.ModelProto:
    import onnx
    from google.protobuf.message import DecodeError as ProtobufDecodeError

    model = onnx.ModelProto()
    try:
        model.ParseFromString(model_bytes)
    except (ProtobufDecodeError, RuntimeWarning, ValueError, RecursionError) as exc:
        raise ModuleRejected(f"model bytes are not an ONNX ModelProto: {exc}",
                             code="onnx-malformed") from None
    if not model.HasField("graph") or model.ir_version <= 0:
        # Random bytes often parse as a protobuf with only unknown fields.
        raise ModuleRejected("model bytes parse but hold no graph or IR version", code="onnx-malformed")
    return model


def _reject_external_data_and_foreign_domains(model: onnx.ModelProto, policy: ModelPolicy) -> None:
    """Walk every message of the model once: tensors must be inline, nodes in allowed domains."""
    import onnx

    external = onnx.TensorProto.EXTERNAL
    stack = [model]
    while stack:
        message = stack.pop()
        if isinstance(message, onnx.TensorProto):
            if message.data_location == external or len(message.external_data):
                raise ModuleRejected(f"tensor {message.name!r} references external data",
                              code="onnx-external-data",
                              tensor=message.name)
            continue  # a tensor holds no further messages of interest
        if isinstance(message, onnx.NodeProto):
            if message.domain not in policy.allowed_domains:
                raise ModuleRejected(f"node {message.name or message.op_type!r} uses op domain "
                              f"{message.domain!r}", code="onnx-domain-not-allowed",
                              hint=f"use only operators of the domains {sorted(policy.allowed_domains)}",
                              domain=message.domain, op_type=message.op_type)
            _reject_unseeded_randomness(message)
        for field, value in message.ListFields():
            if field.type != field.TYPE_MESSAGE:
                continue
            if hasattr(value, "ListFields"):
                stack.append(value)
            elif not field.message_type.GetOptions().map_entry:  # onnx has no message maps
                stack.extend(value)


# Operators that draw random numbers: without a fixed ``seed`` attribute the runtime seeds them
# from the clock, and the same request would give different outputs.
_RANDOM_OPS = frozenset({"RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike",
                         "Multinomial", "Bernoulli"})


def _reject_unseeded_randomness(node: onnx.NodeProto) -> None:
    if node.domain not in ("", "ai.onnx") or any(a.name == "seed" for a in node.attribute):
        return
    # Dropout is random only in training mode, which its optional third input switches on.
    if node.op_type in _RANDOM_OPS or (node.op_type == "Dropout" and len(node.input) > 2
                                       and node.input[2]):
        raise ModuleRejected(f"node {node.name or node.op_type!r} ({node.op_type}) draws random numbers "
                      "without a seed", code="onnx-nondeterministic-op",
                      op_type=node.op_type)


def _check_versions(model: onnx.ModelProto, policy: ModelPolicy) -> tuple[tuple[str, int], ...]:
    if not policy.min_ir_version <= model.ir_version <= policy.max_ir_version:
        raise ModuleRejected(f"IR version {model.ir_version} is outside the engine's "
                      f"[{policy.min_ir_version}, {policy.max_ir_version}]", code="onnx-ir-unsupported",
                      ir_version=model.ir_version)
    seen: dict[str, int] = {}
    for opset in model.opset_import:
        domain = "" if opset.domain == "ai.onnx" else opset.domain
        if opset.domain not in policy.allowed_domains:
            raise ModuleRejected(f"opset import of domain {opset.domain!r} is not allowed",
                          code="onnx-domain-not-allowed",
                          hint=f"use only the domains {sorted(policy.allowed_domains)}",
                          domain=opset.domain)
        highest = policy.max_opsets.get(domain)
        if highest is None or not 1 <= opset.version <= highest:
            raise ModuleRejected(f"opset {opset.version} of domain {opset.domain or 'ai.onnx'!r} is not "
                          f"supported (highest {highest})", code="onnx-opset-unsupported",
                          domain=opset.domain, version=opset.version)
        if seen.setdefault(domain, opset.version) != opset.version:
            raise ModuleRejected(f"domain {domain or 'ai.onnx'!r} imported twice with different versions",
                          code="onnx-malformed", hint="import each opset domain once")
    return tuple(sorted(seen.items()))


def _run_checker(model: onnx.ModelProto) -> None:
    import onnx

    try:
        onnx.checker.check_model(model, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError, ValueError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModuleRejected(f"onnx.checker rejected the model: {first_line}", code="onnx-checker-failed"
                      ) from None


def _strip_initializers_from_inputs(model: onnx.ModelProto) -> None:
    weights = {t.name for t in model.graph.initializer}
    weights.update(t.values.name for t in model.graph.sparse_initializer)
    kept = [v for v in model.graph.input if v.name not in weights]
    if len(kept) != len(model.graph.input):
        del model.graph.input[:]
        model.graph.input.extend(kept)


def _spec(value_info: onnx.ValueInfoProto, role: str) -> TensorSpec:
    kind = value_info.type.WhichOneof("value")
    elem = value_info.type.tensor_type.elem_type if kind == "tensor_type" else None
    dtype = _ONNX_ELEM_TO_DTYPE.get(elem) if elem is not None else None
    if dtype is None:
        raise ModuleRejected(f"graph {role} {value_info.name!r} is a {kind} of element type {elem}; only "
                      f"tensors of {sorted(TENSOR_DTYPES)} are supported",
                      code="onnx-unsupported-io-type", hint="make every graph input and output a plain "
                      "numeric or bool tensor (e.g. skl2onnx options {'zipmap': False})",
                      name=value_info.name)
    shape_proto = value_info.type.tensor_type.shape
    if not value_info.type.tensor_type.HasField("shape"):
        raise ModuleRejected(f"graph {role} {value_info.name!r} declares no shape (not even a rank)",
                      code="onnx-unsupported-io-type",
                      hint="declare the rank of every graph input and output")
    dims: list[int | str | None] = []
    for dim in shape_proto.dim:
        which = dim.WhichOneof("value")
        dims.append(dim.dim_value if which == "dim_value" else
                    dim.dim_param if which == "dim_param" else None)
    return TensorSpec(value_info.name, dtype, tuple(dims))


def _check_static_sizes(model: onnx.ModelProto, memory_bytes: int) -> None:
    """A tensor whose shape is known before running must fit the memory cap: reject, don't run."""
    import onnx

    try:
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=False, data_prop=True)
    except Exception:  # inference is a best-effort guard here; the checker already passed
        return
    graph = inferred.graph
    for value in list(graph.value_info) + list(graph.output):
        tensor_type = value.type.tensor_type
        if value.type.WhichOneof("value") != "tensor_type" or not tensor_type.HasField("shape"):
            continue
        count = 1
        for dim in tensor_type.shape.dim:
            if dim.WhichOneof("value") != "dim_value":
                break
            count *= dim.dim_value
        else:
            size = count * TENSOR_DTYPES.get(_ONNX_ELEM_TO_DTYPE.get(tensor_type.elem_type, ""), 1)
            if size > memory_bytes:
                raise ModuleRejected(f"tensor {value.name!r} would need {size} bytes, over the memory cap "
                              f"of {memory_bytes}", code="onnx-tensor-too-large",
                              tensor=value.name, size=size, limit=memory_bytes)


# ------------------------------------------------------------------------- inputs and outputs


def validate_inputs(model: CheckedModel, inputs: Sequence[Tensor], limits: ExecutionLimits
                    ) -> tuple[Tensor, ...]:
    """Check a call's tensors against the declared inputs; return them in declaration order."""
    by_name: dict[str, Tensor] = {}
    for tensor in inputs:
        if not isinstance(tensor, Tensor):
            raise ValidationError("inputs", f"expected Tensor, got {type(tensor).__name__}")
        if tensor.name in by_name:
            raise ValidationError(f"inputs.{tensor.name}", "given twice",
                                  code="onnx-input-duplicate")
        by_name[tensor.name] = tensor
    declared = {spec.name for spec in model.inputs}
    for name in by_name:
        if name not in declared:
            raise ValidationError(f"inputs.{name}", "is not a declared model input (weights cannot "
                                  "be overridden)", code="onnx-input-unknown",
                                  hint=f"the model's inputs are {sorted(declared)}")
    for tensor in by_name.values():
        if len(tensor.data) > limits.max_tensor_bytes:
            raise LimitExceeded(f"input {tensor.name!r} holds {len(tensor.data)} bytes, the cap is "
                                f"{limits.max_tensor_bytes}", code="onnx-input-too-large",
                                size=len(tensor.data), limit=limits.max_tensor_bytes)
    symbols: dict[str, int] = {}
    ordered = []
    for spec in model.inputs:
        given = by_name.get(spec.name)
        if given is None:
            raise ValidationError(f"inputs.{spec.name}", "missing", code="onnx-input-missing",
                                  hint=f"the model's inputs are {[s.name for s in model.inputs]}")
        if given.dtype != spec.dtype:
            raise ValidationError(f"inputs.{spec.name}",
                                  f"dtype {given.dtype}, the model declares {spec.dtype}",
                                  code="onnx-input-dtype")
        _check_shape(spec, given.shape, symbols)
        ordered.append(given)
    return tuple(ordered)


def _check_shape(spec: TensorSpec, shape: tuple[int, ...], symbols: dict[str, int]) -> None:
    def fail(why: str) -> ValidationError:
        return ValidationError(f"inputs.{spec.name}", f"shape {shape} does not match the declared "
                               f"{spec.shape}: {why}", code="onnx-input-shape")

    if len(shape) != len(spec.shape):
        raise fail(f"rank {len(shape)}, expected {len(spec.shape)}")
    for actual, declared in zip(shape, spec.shape):
        if isinstance(declared, int) and actual != declared:
            raise fail(f"dimension {actual} where {declared} is fixed")
        if isinstance(declared, str) and symbols.setdefault(declared, actual) != actual:
            raise fail(f"'{declared}' is {symbols[declared]} elsewhere")


def tensor_to_array(tensor: Tensor) -> npt.NDArray[Any]:
    """A read-only numpy view of a tensor's canonical bytes (bool bytes must be 0 or 1)."""
    import numpy as np

    array = np.frombuffer(tensor.data, dtype=np.dtype(tensor.dtype).newbyteorder("<"))
    if tensor.dtype == "bool" and array.size and int(array.view(np.uint8).max()) > 1:
        raise ValidationError(f"inputs.{tensor.name}", "bool tensor bytes must be 0 or 1",
                              code="onnx-input-dtype", hint="encode booleans as 0x00 / 0x01")
    return array.reshape(tensor.shape)


def tensor_from_array(name: str, array: Any) -> Tensor:
    """The canonical tensor of a numpy array: dtype name, shape, C-order little-endian bytes."""
    import numpy as np

    array = np.asarray(array)
    dtype = array.dtype.name
    if dtype not in TENSOR_DTYPES:
        raise ValidationError(f"tensor.{name}", f"dtype {dtype} is not supported",
                              code="onnx-unsupported-dtype",
                              hint=f"use one of {sorted(TENSOR_DTYPES)}")
    little = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
    return Tensor(name=name, dtype=dtype, shape=tuple(int(d) for d in array.shape),
                  data=little.tobytes())


def outputs_to_tensors(model: CheckedModel, arrays: Sequence[Any], limits: ExecutionLimits
                       ) -> tuple[Tensor, ...]:
    """Canonical output tensors in declaration order, checked against dtypes and the output cap."""
    if len(arrays) != len(model.outputs):
        raise ModuleRejected(f"engine returned {len(arrays)} outputs, the model declares "
                             f"{len(model.outputs)}", code="onnx-output-mismatch")
    for spec, array in zip(model.outputs, arrays):
        size = int(getattr(array, "nbytes", 0))
        if size > limits.max_tensor_bytes:
            raise LimitExceeded(f"output {spec.name!r} holds {size} bytes, the cap is "
                                f"{limits.max_tensor_bytes}", code="onnx-output-too-large",
                                size=size, limit=limits.max_tensor_bytes)
    tensors = []
    for spec, array in zip(model.outputs, arrays):
        tensor = tensor_from_array(spec.name, array)
        if tensor.dtype != spec.dtype:
            raise ModuleRejected(f"output {spec.name!r} is {tensor.dtype}, the model declares "
                                 f"{spec.dtype}", code="onnx-output-mismatch")
        tensors.append(tensor)
    return tuple(tensors)


# ------------------------------------------------------------------------- canonical hashing


def canonical_tensor_bytes(tensor: Tensor) -> bytes:
    """Self-delimiting canonical form: name, dtype, rank, dims (u64 LE each), data length, data."""
    name = tensor.name.encode()
    dtype = tensor.dtype.encode()
    return b"".join((
        struct.pack("<I", len(name)), name, struct.pack("<B", len(dtype)), dtype,
        struct.pack("<B", len(tensor.shape)), struct.pack(f"<{len(tensor.shape)}Q", *tensor.shape),
        struct.pack("<Q", len(tensor.data)), tensor.data,
    ))


# ------------------------------------------------------------------------- engine fingerprint

# Ordered from the widest kernel path down: the first class whose flags the CPU has wins. These
# are the families MLAS (onnxruntime) and numpy dispatch on; results differ between classes.
_X86_CLASSES = (
    ("avx512-vnni", {"avx512f", "avx512bw", "avx512vl", "avx512_vnni"}),
    ("avx512", {"avx512f", "avx512bw", "avx512vl"}),
    ("avx2-vnni", {"avx2", "fma", "avx_vnni"}),
    ("avx2", {"avx2", "fma"}),
    ("avx", {"avx"}),
    ("sse4.1", {"sse4_1"}),
)


@functools.cache
def cpu_isa_class() -> str:
    """The CPU instruction-set class that decides which kernels run, e.g. ``x86_64-avx2``.

    Read once per process: it goes into every ONNX fingerprint (twice per execution) and reading
    /proc/cpuinfo was a third of the framework's ONNX time. A process does not change CPUs."""
    machine = platform.machine().lower() or "unknown"
    flags: set[str] = set()
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as cpuinfo:
            for line in cpuinfo:
                key, _, value = line.partition(":")
                if key.strip() in ("flags", "Features"):
                    flags = set(value.split())
                    break
    except OSError:
        pass
    if machine in ("x86_64", "amd64"):
        for name, needed in _X86_CLASSES:
            if needed <= flags:
                return f"x86_64-{name}"
        return "x86_64-sse2"
    if machine in ("aarch64", "arm64"):
        extras = [f for f in ("sve", "i8mm", "bf16", "asimddp") if f in flags]
        return "-".join(["aarch64", *extras])
    return machine

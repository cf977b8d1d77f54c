"""What the ONNX graph itself says about its inputs and outputs.

The session's declared inputs are the ground truth: the manifest can be stale or written by
hand, the graph cannot. So the number of layers, the KV cache shape and the dtypes (fp32 or
fp16 pasts, int64 or int32 ids) come from here, and the manifest only fills dimensions the
graph leaves symbolic.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from workers.engine.errors import ModelLoadError
from workers.engine.manifest import Manifest

_PAST = re.compile(r"^past_key_values\.(\d+)\.(key|value)$")
_PRESENT = re.compile(r"^present\.(\d+)\.(key|value)$")

_ORT_TYPES: dict[str, type[np.generic]] = {
    "tensor(float)": np.float32,
    "tensor(float16)": np.float16,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
}


class NodeArg(Protocol):
    """The part of ``onnxruntime.NodeArg`` this module reads."""

    @property
    def name(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def shape(self) -> Sequence[Any]: ...


@dataclass(frozen=True, slots=True)
class ModelSignature:
    """Names, dtypes and KV shape of a causal LM graph with past key/values."""

    input_ids: str
    attention_mask: str | None
    position_ids: str | None
    past_keys: tuple[str, ...]
    past_values: tuple[str, ...]
    logits: str
    present_keys: tuple[str, ...]
    present_values: tuple[str, ...]
    ids_dtype: type[np.generic]
    mask_dtype: type[np.generic]
    position_dtype: type[np.generic]
    kv_dtype: type[np.generic]
    num_kv_heads: int
    head_dim: int
    vocab_size: int | None  # logits' last dim when the graph fixes it
    # A scalar input limiting logits to the last positions (export.compact graphs), or None.
    logits_to_keep: str | None = None

    @property
    def num_layers(self) -> int:
        return len(self.past_keys)

    @property
    def output_names(self) -> tuple[str, ...]:
        """Logits first, then presents interleaved key/value per layer."""
        names: list[str] = [self.logits]
        for key, value in zip(self.present_keys, self.present_values, strict=True):
            names.extend((key, value))
        return tuple(names)


def _dtype(arg: NodeArg) -> type[np.generic]:
    try:
        return _ORT_TYPES[arg.type]
    except KeyError:
        raise ModelLoadError(f"input/output {arg.name!r} has unsupported type {arg.type}") from None


def _layer_names(args: Sequence[NodeArg], pattern: re.Pattern[str]) -> tuple[list[str], list[str]]:
    keys: dict[int, str] = {}
    values: dict[int, str] = {}
    for arg in args:
        match = pattern.match(arg.name)
        if match:
            (keys if match.group(2) == "key" else values)[int(match.group(1))] = arg.name
    layers = sorted(keys)
    if layers != list(range(len(layers))) or sorted(values) != layers:
        raise ModelLoadError(f"KV names are not a dense 0..n-1 key/value set: {sorted(keys)}")
    return [keys[i] for i in layers], [values[i] for i in layers]


def _fixed_dim(arg: NodeArg, axis: int) -> int | None:
    dims = arg.shape
    if len(dims) != 4:
        raise ModelLoadError(f"{arg.name} must be 4-D [batch, heads, seq, head_dim], got {dims}")
    dim = dims[axis]
    return dim if isinstance(dim, int) and dim > 0 else None


def read_signature(
    inputs: Sequence[NodeArg], outputs: Sequence[NodeArg], manifest: Manifest
) -> ModelSignature:
    """Infer the signature from session inputs/outputs, the manifest filling symbolic dims."""
    by_name = {arg.name: arg for arg in inputs}
    out_names = {arg.name for arg in outputs}
    if "input_ids" not in by_name or "logits" not in out_names:
        raise ModelLoadError("graph needs an 'input_ids' input and a 'logits' output")
    past_keys, past_values = _layer_names(inputs, _PAST)
    present_keys, present_values = _layer_names(outputs, _PRESENT)
    if not past_keys:
        raise ModelLoadError("graph has no past_key_values.* inputs: decoding needs a KV cache")
    if len(present_keys) != len(past_keys):
        raise ModelLoadError(f"{len(past_keys)} past layers but {len(present_keys)} present")
    if manifest.num_layers is not None and manifest.num_layers != len(past_keys):
        raise ModelLoadError(
            f"manifest says {manifest.num_layers} layers, graph has {len(past_keys)}"
        )
    logits_dims = next(arg.shape for arg in outputs if arg.name == "logits")
    vocab = logits_dims[-1] if logits_dims and isinstance(logits_dims[-1], int) else None
    first_past = by_name[past_keys[0]]
    heads = _fixed_dim(first_past, 1) or manifest.num_kv_heads
    head_dim = _fixed_dim(first_past, 3) or manifest.head_dim
    if heads is None or head_dim is None:
        raise ModelLoadError("num_kv_heads/head_dim are neither fixed in the graph nor in manifest")
    return ModelSignature(
        input_ids="input_ids",
        attention_mask="attention_mask" if "attention_mask" in by_name else None,
        position_ids="position_ids" if "position_ids" in by_name else None,
        past_keys=tuple(past_keys),
        past_values=tuple(past_values),
        logits="logits",
        present_keys=tuple(present_keys),
        present_values=tuple(present_values),
        ids_dtype=_dtype(by_name["input_ids"]),
        mask_dtype=_dtype(by_name["attention_mask"]) if "attention_mask" in by_name else np.int64,
        position_dtype=_dtype(by_name["position_ids"]) if "position_ids" in by_name else np.int64,
        kv_dtype=_dtype(first_past),
        num_kv_heads=heads,
        head_dim=head_dim,
        vocab_size=vocab,
        logits_to_keep="logits_to_keep" if "logits_to_keep" in by_name else None,
    )

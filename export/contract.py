"""The ONNX I/O contract shared by the exporter and the runtime engine (no torch here).

One graph serves both prefill (past length 0) and decode steps:

inputs
    ``input_ids`` int64 [batch, seq], ``attention_mask`` int64 [batch, past_seq + seq],
    ``position_ids`` int64 [batch, seq], and per layer ``past_key_values.{i}.key`` /
    ``past_key_values.{i}.value`` float32 [batch, kv_heads, past_seq, head_dim].
outputs
    ``logits`` float32 [batch, seq, vocab], ``present.{i}.key`` / ``present.{i}.value``
    float32 [batch, kv_heads, past_seq + seq, head_dim].
optional input
    ``logits_to_keep`` int64 scalar: only the last that many positions get logits (the
    compact graphs of ``export.compact`` have it). A prefill asks for 1; a caller that needs
    every position (perplexity, parity) passes ``seq``. Graphs without it return all.

The caller left-pads and computes ``position_ids = clip(cumsum(mask) - 1, 0)``.

The in-place twin (``model-inplace.onnx``, ``export.inplace``) follows this contract too.
It may also be run with each past bound as its own present: a buffer of ``capacity >=
attention_mask width`` positions, whose first ``width - seq`` are the cache; the new keys
and values are then written after them in place, and the buffer is the present.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

INPUT_IDS = "input_ids"
ATTENTION_MASK = "attention_mask"
POSITION_IDS = "position_ids"
LOGITS = "logits"
LOGITS_TO_KEEP = "logits_to_keep"


def past_names(layer: int) -> tuple[str, str]:
    """Names of the (key, value) cache inputs for one layer."""
    return f"past_key_values.{layer}.key", f"past_key_values.{layer}.value"


def present_names(layer: int) -> tuple[str, str]:
    """Names of the (key, value) cache outputs for one layer."""
    return f"present.{layer}.key", f"present.{layer}.value"


def input_names(num_layers: int, logits_to_keep: bool = False) -> list[str]:
    """All graph input names, in graph order."""
    names = [INPUT_IDS, ATTENTION_MASK, POSITION_IDS]
    if logits_to_keep:
        names.append(LOGITS_TO_KEEP)
    for layer in range(num_layers):
        names.extend(past_names(layer))
    return names


def output_names(num_layers: int) -> list[str]:
    """All graph output names, in graph order."""
    names = [LOGITS]
    for layer in range(num_layers):
        names.extend(present_names(layer))
    return names


def position_ids_from_mask(mask: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Positions for a left-padded batch: pads get 0, real tokens count from 0."""
    return np.clip(np.cumsum(mask, axis=1) - 1, 0, None).astype(np.int64)

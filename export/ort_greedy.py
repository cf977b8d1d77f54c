"""Greedy decoding with an exported graph: numpy and onnxruntime only, no torch.

This is the reference loop for the contract: left padding, ``position_ids`` from the mask,
and the ``present.*`` outputs fed back as the next step's ``past_key_values.*``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from export import contract

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class GreedyResult:
    """New tokens per prompt (eos included when hit) and the prefill logits per prompt."""

    tokens: list[list[int]]
    prefill_logits: list[FloatArray]  # [prompt_len, vocab] each, real positions only


def open_session(path: str, threads: int = 1) -> ort.InferenceSession:
    """A CPU session; single-threaded by default so parity runs are reproducible."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def cache_layout(session: ort.InferenceSession) -> tuple[int, int, int]:
    """(layers, kv_heads, head_dim) read from the graph's static past input dims."""
    past = [i for i in session.get_inputs() if i.name.startswith("past_key_values.")]
    kv_heads, head_dim = past[0].shape[1], past[0].shape[3]
    if not isinstance(kv_heads, int) or not isinstance(head_dim, int):
        raise ValueError("past_key_values inputs must have static kv_heads and head_dim")
    return len(past) // 2, kv_heads, head_dim


def left_pad(prompts: Sequence[Sequence[int]], pad_id: int) -> tuple[IntArray, IntArray]:
    """(input_ids, attention_mask) for a left-padded batch."""
    width = max(len(p) for p in prompts)
    ids = np.full((len(prompts), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(prompts), width), dtype=np.int64)
    for row, prompt in enumerate(prompts):
        ids[row, width - len(prompt) :] = prompt
        mask[row, width - len(prompt) :] = 1
    return ids, mask


def greedy(
    session: ort.InferenceSession,
    prompts: Sequence[Sequence[int]],
    max_new_tokens: int,
    eos_id: int,
    pad_id: int,
) -> GreedyResult:
    """Decode a left-padded batch greedily with the KV cache until eos or the budget."""
    layers, kv_heads, head_dim = cache_layout(session)
    keeps_logits = any(i.name == contract.LOGITS_TO_KEEP for i in session.get_inputs())
    ids, mask = left_pad(prompts, pad_id)
    batch = ids.shape[0]
    past: dict[str, FloatArray] = {}
    for layer in range(layers):
        for name in contract.past_names(layer):
            past[name] = np.zeros((batch, kv_heads, 0, head_dim), dtype=np.float32)
    positions = contract.position_ids_from_mask(mask)
    tokens: list[list[int]] = [[] for _ in range(batch)]
    done = np.zeros(batch, dtype=bool)
    prefill: list[FloatArray] = []
    step_ids = ids
    for step in range(max_new_tokens):
        feeds = {
            contract.INPUT_IDS: step_ids,
            contract.ATTENTION_MASK: mask,
            contract.POSITION_IDS: positions,
            **past,
        }
        if keeps_logits:  # every prefill position: parity compares them all
            feeds[contract.LOGITS_TO_KEEP] = np.array(step_ids.shape[1], dtype=np.int64)
        outputs = session.run(None, feeds)
        logits = outputs[0]
        if step == 0:
            prefill = [logits[r, ids.shape[1] - len(p) :] for r, p in enumerate(prompts)]
        for layer in range(layers):
            key, value = contract.past_names(layer)
            past[key], past[value] = outputs[1 + 2 * layer], outputs[2 + 2 * layer]
        next_ids = logits[:, -1, :].argmax(axis=-1)
        for row in np.flatnonzero(~done):
            tokens[row].append(int(next_ids[row]))
            done[row] = next_ids[row] == eos_id
        if done.all():
            break
        # Finished rows keep decoding pads; their output is discarded.
        next_ids = np.where(done, pad_id, next_ids)
        step_ids = next_ids[:, None].astype(np.int64)
        mask = np.concatenate([mask, np.ones((batch, 1), dtype=np.int64)], axis=1)
        positions = positions[:, -1:] + 1
    return GreedyResult(tokens=tokens, prefill_logits=prefill)

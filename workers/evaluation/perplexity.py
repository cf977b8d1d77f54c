"""Held-out perplexity of the reference copy given its prompt, computed with onnxruntime."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from workers.engine import OnnxGenerator


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    result: np.ndarray = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return result


def copy_perplexity(engine: OnnxGenerator, pairs: Sequence[tuple[str, str]]) -> float:
    """exp(mean NLL) over the copy tokens (and the end token) that follow each prompt."""
    model = engine.model
    tok = engine.tokenizer
    eos = tok.token_to_id("<|eos|>")
    total_nll = 0.0
    total_tokens = 0
    for prompt, reference in pairs:
        prompt_ids = tok.encode(prompt)
        copy_ids = tok.encode(reference) + ([eos] if eos is not None else [])
        ids = np.array([prompt_ids + copy_ids], dtype=np.int64)
        length = ids.shape[1]
        feeds: dict[str, np.ndarray] = {
            "input_ids": ids,
            "attention_mask": np.ones((1, length), dtype=np.int64),
            "position_ids": np.arange(length, dtype=np.int64)[None, :],
        }
        if model.signature.logits_to_keep is not None:  # compact graphs: every position
            feeds[model.signature.logits_to_keep] = np.array(length, dtype=np.int64)
        for inp in model.session.get_inputs():
            if inp.name.startswith("past_key_values"):
                heads, dim = inp.shape[1], inp.shape[3]
                dtype = np.float16 if "float16" in inp.type else np.float32
                feeds[inp.name] = np.zeros((1, heads, 0, dim), dtype=dtype)
        logits = model.session.run(["logits"], feeds)[0][0].astype(np.float32)
        logp = _log_softmax(logits)
        start = len(prompt_ids)
        for pos in range(start, length):
            total_nll -= float(logp[pos - 1, ids[0, pos]])
        total_tokens += length - start
    return math.exp(total_nll / max(total_tokens, 1))

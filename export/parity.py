"""Torch vs onnxruntime parity: same greedy tokens, prefill logits within tolerance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import DynamicCache, PreTrainedModel

from export import ort_greedy

LOGIT_TOLERANCE = 1e-4


@dataclass(frozen=True, slots=True)
class ParityReport:
    prompts: int
    sequences_matched: int
    tokens_compared: int
    tokens_matched: int
    max_prefill_logit_diff: float
    tolerance: float
    batch_size: int
    max_new_tokens: int

    @property
    def ok(self) -> bool:
        return (
            self.sequences_matched == self.prompts and self.max_prefill_logit_diff <= self.tolerance
        )

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


@torch.no_grad()
def torch_greedy(
    model: PreTrainedModel, prompt: Sequence[int], max_new_tokens: int, eos_id: int
) -> tuple[list[int], np.ndarray]:
    """Plain transformers greedy with its own cache and masks (independent of our wrapper)."""
    cache = DynamicCache(config=model.config)
    ids = torch.tensor([list(prompt)], dtype=torch.long)
    out = model(input_ids=ids, past_key_values=cache, use_cache=True)
    prefill = out.logits[0].float().numpy()
    tokens: list[int] = []
    for _ in range(max_new_tokens):
        next_id = int(out.logits[0, -1].argmax())
        tokens.append(next_id)
        if next_id == eos_id:
            break
        step = torch.tensor([[next_id]], dtype=torch.long)
        out = model(input_ids=step, past_key_values=cache, use_cache=True)
    return tokens, prefill


def check_parity(
    model: PreTrainedModel,
    onnx_path: str | Path,
    prompts: Sequence[Sequence[int]],
    *,
    eos_id: int,
    pad_id: int,
    max_new_tokens: int = 24,
    batch_size: int = 8,
) -> ParityReport:
    """Decode every prompt both ways; onnxruntime runs left-padded batches like the engine."""
    session = ort_greedy.open_session(str(onnx_path))
    matched = compared = tokens_matched = 0
    worst = 0.0
    for start in range(0, len(prompts), batch_size):
        chunk = prompts[start : start + batch_size]
        ort_result = ort_greedy.greedy(session, chunk, max_new_tokens, eos_id, pad_id)
        for prompt, ort_tokens, ort_logits in zip(
            chunk, ort_result.tokens, ort_result.prefill_logits, strict=True
        ):
            ref_tokens, ref_logits = torch_greedy(model, prompt, max_new_tokens, eos_id)
            worst = max(worst, float(np.abs(ort_logits - ref_logits).max()))
            matched += ort_tokens == ref_tokens
            compared += len(ref_tokens)
            tokens_matched += sum(a == b for a, b in zip(ort_tokens, ref_tokens, strict=False))
    return ParityReport(
        prompts=len(prompts),
        sequences_matched=matched,
        tokens_compared=compared,
        tokens_matched=tokens_matched,
        max_prefill_logit_diff=worst,
        tolerance=LOGIT_TOLERANCE,
        batch_size=batch_size,
        max_new_tokens=max_new_tokens,
    )

"""The engine's input and output records: plain, frozen, free of Kafka and onnxruntime."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from workers.engine.sampling import SamplingParams

FinishReason = Literal["eos", "length"]


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    """One text to write.

    ``seed`` should come from ``derive_seed(request_id, model_version)`` so a replay of the
    same request on the same model writes the same text. ``banned_terms`` are the locale's
    compliance terms; they are masked at decode time and must still be re-checked after.
    """

    prompt: str
    seed: int
    max_new_tokens: int
    sampling: SamplingParams = field(default_factory=SamplingParams)
    banned_terms: tuple[str, ...] = ()
    # The {N.key} slots this request may write (workers.slots); empty means no constraint.
    slots: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GenerationTiming:
    """Wall-clock figures of the batch a result was decoded in (shared by its rows)."""

    batch_size: int
    padded_prompt_tokens: int
    steps: int
    prefill_s: float
    decode_s: float

    @property
    def total_s(self) -> float:
        return self.prefill_s + self.decode_s


@dataclass(frozen=True, slots=True)
class GenerationResult:
    """What one request produced.

    ``token_ids`` are the generated ids without the stop token; ``num_new_tokens`` counts the
    decode steps the row used, the stop token included, so it is what ``max_new_tokens``
    bounds.
    """

    text: str
    token_ids: tuple[int, ...]
    num_new_tokens: int
    prompt_tokens: int
    finish_reason: FinishReason
    timing: GenerationTiming

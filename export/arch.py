"""Architecture facts of a causal LM, read from its config in a family-agnostic way."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from transformers import PretrainedConfig, PreTrainedModel


@dataclass(frozen=True, slots=True)
class Architecture:
    """What the runtime needs to shape the KV cache, plus a few facts for the manifest."""

    family: str
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    head_dim: int
    vocab_size: int
    max_position_embeddings: int
    params: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _max_positions(config: PretrainedConfig) -> int:
    # GPT-2 calls it n_positions; attribute_map does not always cover it.
    for name in ("max_position_embeddings", "n_positions"):
        value = getattr(config, name, None)
        if isinstance(value, int):
            return value
    raise ValueError(f"cannot find max positions in {type(config).__name__}")


def architecture(model: PreTrainedModel) -> Architecture:
    """Read layers/heads/head_dim from any Llama-, Qwen2- or GPT-2-family config."""
    config = model.config
    hidden = int(config.hidden_size)
    heads = int(config.num_attention_heads)
    kv_heads = int(getattr(config, "num_key_value_heads", None) or heads)
    head_dim = int(getattr(config, "head_dim", None) or hidden // heads)
    # Tied embeddings are one parameter; named_parameters() already de-duplicates them.
    params = sum(p.numel() for p in model.parameters())
    return Architecture(
        family=str(config.model_type),
        layers=int(config.num_hidden_layers),
        hidden=hidden,
        heads=heads,
        kv_heads=kv_heads,
        head_dim=head_dim,
        vocab_size=int(config.vocab_size),
        max_position_embeddings=_max_positions(config),
        params=int(params),
    )

"""A compact export graph for Llama-family decoders (Llama, Qwen2): same weights, fewer ops.

The generic path (``export.wrapper.KVCacheWrapper``) traces transformers' own forward. That
graph is correct but slow to run: per layer it rebuilds the mask and rotary tables, copies the
whole KV cache through ``Expand`` to repeat key/value heads for grouped-query attention, and
carries dozens of Shape/Gather/Unsqueeze nodes. Profiled on this 2-core CPU at batch 16, the
``Expand`` nodes alone were a fifth of a decoding step's kernel time, and shape bookkeeping
another fifth.

This module computes the same function with the same parameters (the transformers modules
are called for every projection, so biases and activations are theirs), but:

- the additive mask and the rotary cos/sin are built once per step, not once per layer;
- grouped-query attention folds the query groups into the sequence axis
  (``[batch, kv_heads, groups * seq, head_dim]``), so keys and values are never repeated;
- ``logits_to_keep`` (an int64 scalar input) limits the language-model head to the last
  positions: a prefill asks for 1 and skips ``seq - 1`` rows of a ``hidden x vocab``
  product and a ``[batch, seq, vocab]`` output; perplexity and parity ask for all of them.

Parity with the transformers model is checked by the same ``export.parity`` run as the
generic graph (same greedy tokens, logits within 1e-4).
"""

from __future__ import annotations

import re
from typing import Any

import onnx
import torch
from torch import nn
from transformers import PreTrainedModel

from export.wrapper import additive_mask

COMPACT_FAMILIES = ("llama", "qwen2")


def compact_supported(model: PreTrainedModel) -> str | None:
    """None when the compact graph computes exactly this model; else the reason it cannot."""
    config = model.config
    family = str(config.model_type)
    if family not in COMPACT_FAMILIES:
        return f"model family {family!r} (compact graph covers {', '.join(COMPACT_FAMILIES)})"
    rope = getattr(config, "rope_scaling", None) or {}
    rope_type = rope.get("rope_type", rope.get("type", "default")) if rope else "default"
    if rope_type == "dynamic":
        return "dynamic rope scaling changes the rotary table with the sequence length"
    if getattr(config, "use_sliding_window", False):
        return "sliding-window attention"
    if getattr(config, "attention_bias", False) and family == "llama":
        # Llama's o_proj has a bias too then; the projections are called as modules, so
        # this works, but it is untested: keep the generic graph for it.
        return "llama with attention_bias"
    return None


def _rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    variance = x.pow(2).mean(-1, keepdim=True)
    return weight * (x * torch.rsqrt(variance + eps))


def _rotate_half(x: torch.Tensor, half: int) -> torch.Tensor:
    # ``half`` is a Python int, so the slices are constants in the graph, not shape reads.
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class CompactDecoder(nn.Module):
    """forward(input_ids, attention_mask, position_ids, logits_to_keep, *past) ->
    (logits[batch, keep, vocab], *present), the ``export.contract`` KV layout."""

    def __init__(self, model: PreTrainedModel) -> None:
        super().__init__()
        reason = compact_supported(model)
        if reason is not None:
            raise ValueError(f"no compact graph for this model: {reason}")
        self.model = model  # same attribute path as KVCacheWrapper: same initializer names
        config = model.config
        self.heads = int(config.num_attention_heads)
        self.kv_heads = int(getattr(config, "num_key_value_heads", None) or self.heads)
        self.groups = self.heads // self.kv_heads
        self.head_dim = int(
            getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
        )
        self.eps = float(config.rms_norm_eps)
        self.scale = self.head_dim**-0.5
        rotary = model.model.rotary_emb
        self.register_buffer("inv_freq", rotary.inv_freq.detach().clone(), persistent=False)
        self.rope_scale = float(getattr(rotary, "attention_scaling", 1.0))

    def _rotary(self, position_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        inv_freq: torch.Tensor = self.inv_freq  # type: ignore[assignment]
        freqs = position_ids[:, :, None].float() * inv_freq[None, None, :]
        angles = torch.cat((freqs, freqs), dim=-1)
        # [batch, 1, seq, head_dim]: broadcasts over kv heads (keys) and groups (queries).
        return (
            (angles.cos() * self.rope_scale)[:, None],
            (angles.sin() * self.rope_scale)[:, None],
        )

    def _attention(
        self,
        layer: Any,
        shape: tuple[Any, Any],
        h: torch.Tensor,
        cos: torch.Tensor,
        sin: torch.Tensor,
        bias: torch.Tensor,
        past_key: torch.Tensor,
        past_value: torch.Tensor,
        total: Any,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        attn = layer.self_attn
        # batch, seq and total (past + seq) are read once per graph (``forward``), so every
        # layer's reshapes share one set of shape nodes that onnxruntime deduplicates.
        batch, seq = shape
        kv, groups, dim = self.kv_heads, self.groups, self.head_dim
        half = dim // 2
        # Query head h uses kv head h // groups (transformers' repeat_kv order).
        # Queries as [batch, kv, groups, seq, dim]; flattened to [batch, kv, groups * seq,
        # dim] below, each kv head's queries meet its keys in one MatMul.
        q = attn.q_proj(h).view(batch, seq, kv, groups, dim).permute(0, 2, 3, 1, 4)
        k = attn.k_proj(h).view(batch, seq, kv, dim).transpose(1, 2)
        v = attn.v_proj(h).view(batch, seq, kv, dim).transpose(1, 2)
        q = q * cos[:, :, None] + _rotate_half(q, half) * sin[:, :, None]
        k = k * cos + _rotate_half(k, half) * sin
        key = torch.cat((past_key, k), dim=2)
        value = torch.cat((past_value, v), dim=2)
        scores = torch.matmul(q.reshape(batch, kv, groups * seq, dim), key.transpose(2, 3))
        scores = scores.view(batch, kv, groups, seq, total) * self.scale + bias[:, :, None]
        probs = torch.softmax(scores, dim=-1).view(batch, kv, groups * seq, total)
        out = torch.matmul(probs, value).view(batch, kv, groups, seq, dim)
        out = out.permute(0, 3, 1, 2, 4).reshape(batch, seq, kv * groups * dim)
        return attn.o_proj(out), key, value

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        position_ids: torch.Tensor,
        logits_to_keep: torch.Tensor,
        *past: torch.Tensor,
    ) -> tuple[torch.Tensor, ...]:
        inner = self.model.model
        x = inner.embed_tokens(input_ids)
        bias = additive_mask(attention_mask, input_ids.shape[1], torch.float32)
        cos, sin = self._rotary(position_ids)
        presents: list[torch.Tensor] = []
        shape = (input_ids.shape[0], input_ids.shape[1])
        total = attention_mask.shape[1]
        for i, layer in enumerate(inner.layers):
            h = _rms_norm(x, layer.input_layernorm.weight, self.eps)
            out, key, value = self._attention(
                layer, shape, h, cos, sin, bias, past[2 * i], past[2 * i + 1], total
            )
            x = x + out
            x = x + layer.mlp(_rms_norm(x, layer.post_attention_layernorm.weight, self.eps))
            presents.extend((key, value))
        x = x[:, shape[1] - logits_to_keep :]
        logits = self.model.lm_head(_rms_norm(x, inner.norm.weight, self.eps))
        return (logits, *presents)


_LAYER_NODE = re.compile(
    r"^/(mlp/)?(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)(?:_(\d+))?/(\w+)$"
)


def name_layer_nodes(model: onnx.ModelProto) -> int:
    """Give the projections their module paths back; return how many were renamed.

    ``CompactDecoder`` calls each layer's projections directly, so the tracer names them
    ``/q_proj_3/MatMul`` where transformers' own forward gives
    ``/model/model/layers.3/self_attn/q_proj/MatMul``. ``export.onnx_to_torch`` (and anyone
    reading the graph) finds weights by those paths, so we write them in.
    """
    renamed = 0
    for node in model.graph.node:
        match = _LAYER_NODE.match(node.name)
        if match:
            mlp, proj, index, op = match.groups()
            block = "mlp" if mlp else "self_attn"
            node.name = f"/model/model/layers.{index or 0}/{block}/{proj}/{op}"
            renamed += 1
        elif node.name.startswith("/lm_head/"):
            node.name = "/model" + node.name
            renamed += 1
    return renamed

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
ATTENTIONS = ("matmul", "gqa")


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


def _cached_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    past_key: torch.Tensor,
    past_value: torch.Tensor,
    bias: torch.Tensor,
    scale: float,
    dims: tuple[Any, Any, int, int, int, Any],
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Append ``k``/``v`` [batch, kv, seq, dim] to the cache and attend with the rotated
    queries ``q`` [batch, kv, groups, seq, dim]. Returns the output [batch, seq, heads *
    dim] and the presents.

    ``dims`` is (batch, seq, kv, groups, dim, total = past + seq), passed in rather than
    read from ``q.shape``: the tracer would add shape nodes for every layer.
    Query head h uses kv head h // groups (transformers' repeat_kv order). Flattened to
    [batch, kv, groups * seq, dim], each kv head's queries meet its keys in one MatMul, so
    the cache is never repeated per query head."""
    batch, seq, kv, groups, dim, total = dims
    key = torch.cat((past_key, k), dim=2)
    value = torch.cat((past_value, v), dim=2)
    scores = torch.matmul(q.reshape(batch, kv, groups * seq, dim), key.transpose(2, 3))
    scores = scores.view(batch, kv, groups, seq, total) * scale + bias[:, :, None]
    probs = torch.softmax(scores, dim=-1).view(batch, kv, groups * seq, total)
    out = torch.matmul(probs, value).view(batch, kv, groups, seq, dim)
    return out.permute(0, 3, 1, 2, 4).reshape(batch, seq, kv * groups * dim), key, value


class _GroupQueryAttention(torch.autograd.Function):
    """Attention with the KV cache appended, exported as onnxruntime's fused
    ``com.microsoft.GroupQueryAttention``; torch runs the same math as ``_attention``.

    Run with pasts of length ``past`` it returns presents of ``past + seq`` like the
    MatMul graph (so parity, perplexity and every runner keep working). Run with each past
    bound as its own present (a ``max_len`` buffer, see ``workers.engine.runner``), the
    kernel writes the new key/value in place: no copy of the cache per step.
    """

    @staticmethod
    def forward(
        ctx: Any,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        past_key: torch.Tensor,
        past_value: torch.Tensor,
        seqlens_k: torch.Tensor,
        total: torch.Tensor,
        bias: torch.Tensor,
        heads: int,
        kv_heads: int,
        scale: float,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        # Torch only (the export writes ``symbolic``), so shape reads cost the graph nothing.
        batch, seq = query.shape[0], query.shape[1]
        groups, dim = heads // kv_heads, past_key.shape[3]
        return _cached_attention(
            query.view(batch, seq, kv_heads, groups, dim).permute(0, 2, 3, 1, 4),
            key.view(batch, seq, kv_heads, dim).transpose(1, 2),
            value.view(batch, seq, kv_heads, dim).transpose(1, 2),
            past_key,
            past_value,
            bias,
            scale,
            (batch, seq, kv_heads, groups, dim, past_key.shape[2] + seq),
        )

    @staticmethod
    def symbolic(  # type: ignore[no-untyped-def]
        g, query, key, value, past_key, past_value, seqlens_k, total, bias, heads, kv_heads, scale
    ):
        # The unused optional inputs (cos/sin cache, position ids) are spliced in as empty
        # names after export (``fill_gqa_inputs``): the TorchScript exporter has no way
        # to write an omitted input.
        out, present_key, present_value = g.op(
            "com.microsoft::GroupQueryAttention",
            query,
            key,
            value,
            past_key,
            past_value,
            seqlens_k,
            total,
            bias,
            num_heads_i=heads,
            kv_num_heads_i=kv_heads,
            scale_f=scale,
            outputs=3,
        )
        # Types for the exporter's shape inference (it has none for contrib ops).
        out.setType(query.type())
        present_key.setType(past_key.type())
        present_value.setType(past_value.type())
        return out, present_key, present_value


def fill_gqa_inputs(model: onnx.ModelProto) -> int:
    """Move each GroupQueryAttention's bias to its ``attention_bias`` slot (input 10)."""
    count = 0
    for node in model.graph.node:
        if node.op_type == "GroupQueryAttention" and len(node.input) == 8:
            inputs = list(node.input)
            del node.input[:]
            node.input.extend([*inputs[:7], "", "", "", inputs[7]])
            count += 1
    return count


def _rotate_half(x: torch.Tensor, half: int) -> torch.Tensor:
    # ``half`` is a Python int, so the slices are constants in the graph, not shape reads.
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class CompactDecoder(nn.Module):
    """forward(input_ids, attention_mask, position_ids, logits_to_keep, *past) ->
    (logits[batch, keep, vocab], *present), the ``export.contract`` KV layout."""

    def __init__(self, model: PreTrainedModel, attention: str = "matmul") -> None:
        super().__init__()
        if attention not in ATTENTIONS:
            raise ValueError(f"attention must be one of {ATTENTIONS}, got {attention!r}")
        self.fused = attention == "gqa"
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
        # Queries as [batch, kv, groups, seq, dim] (see ``_cached_attention``).
        q = attn.q_proj(h).view(batch, seq, kv, groups, dim).permute(0, 2, 3, 1, 4)
        k = attn.k_proj(h).view(batch, seq, kv, dim).transpose(1, 2)
        v = attn.v_proj(h).view(batch, seq, kv, dim).transpose(1, 2)
        q = q * cos[:, :, None] + _rotate_half(q, half) * sin[:, :, None]
        k = k * cos + _rotate_half(k, half) * sin
        dims = (batch, seq, kv, groups, dim, total)
        out, key, value = _cached_attention(q, k, v, past_key, past_value, bias, self.scale, dims)
        return attn.o_proj(out), key, value

    def _fused_attention(
        self,
        layer: Any,
        shape: tuple[Any, Any],
        h: torch.Tensor,
        cos: torch.Tensor,
        sin: torch.Tensor,
        step: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
        past_key: torch.Tensor,
        past_value: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        attn = layer.self_attn
        batch, seq = shape
        heads, kv, dim = self.heads, self.kv_heads, self.head_dim
        half = dim // 2
        # [batch, seq, heads, dim]: cos/sin as [batch, seq, 1, dim] broadcast over heads.
        q = attn.q_proj(h).view(batch, seq, heads, dim)
        k = attn.k_proj(h).view(batch, seq, kv, dim)
        q = (q * cos + _rotate_half(q, half) * sin).reshape(batch, seq, heads * dim)
        k = (k * cos + _rotate_half(k, half) * sin).reshape(batch, seq, kv * dim)
        seqlens_k, total, bias = step
        out, key, value = _GroupQueryAttention.apply(
            q,
            k,
            attn.v_proj(h),
            past_key,
            past_value,
            seqlens_k,
            total,
            bias,
            heads,
            kv,
            self.scale,
        )
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
        if self.fused:
            # Every row's cache is ``total`` long (left padding is masked by ``bias``), so
            # each row's last key position is total - 1; int32 as the kernel wants.
            lengths = torch.ones_like(attention_mask).sum(dim=1, dtype=torch.int32)
            step = (lengths - 1, lengths[0], bias)
            cos, sin = cos.transpose(1, 2), sin.transpose(1, 2)
        for i, layer in enumerate(inner.layers):
            h = _rms_norm(x, layer.input_layernorm.weight, self.eps)
            if self.fused:
                out, key, value = self._fused_attention(
                    layer, shape, h, cos, sin, step, past[2 * i], past[2 * i + 1]
                )
            else:
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

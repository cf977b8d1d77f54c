"""A torch module with the flat-tensor KV signature of the ONNX contract.

transformers 5 models take and return ``Cache`` objects, which neither ONNX exporter can
carry across the graph boundary. This wrapper builds a ``DynamicCache`` from flat tensors,
runs the model, and flattens the updated cache again.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import DynamicCache, PreTrainedModel
from transformers.cache_utils import DynamicLayer


def additive_mask(attention_mask: torch.Tensor, query_len: int, dtype: torch.dtype) -> torch.Tensor:
    """A [batch, 1, seq, past+seq] additive mask: causal, padding-aware, never an empty row.

    We build the 4D mask ourselves because transformers' own mask code branches on data
    (e.g. "all ones → no mask"), which a tracer would freeze. Each query may always see its
    own position: a left-pad query would otherwise mask every key, and the softmax of an
    all-masked row can go NaN, which then leaks through ``0 * NaN`` into real rows.
    """
    kv_len = attention_mask.shape[1]
    key_pos = torch.arange(kv_len, device=attention_mask.device)
    query_pos = torch.arange(query_len, device=attention_mask.device) + (kv_len - query_len)
    causal = key_pos[None, :] <= query_pos[:, None]
    diagonal = key_pos[None, :] == query_pos[:, None]
    keep = attention_mask[:, None, None, :].to(torch.bool)
    allowed = (causal[None, None, :, :] & keep) | diagonal[None, None, :, :]
    zero = torch.zeros((), dtype=dtype, device=attention_mask.device)
    blocked = torch.full((), torch.finfo(dtype).min, dtype=dtype, device=attention_mask.device)
    return torch.where(allowed, zero, blocked)


def cache_from_flat(past: tuple[torch.Tensor, ...]) -> DynamicCache:
    """A DynamicCache holding the given (k0, v0, k1, v1, ...) tensors as-is.

    The layers are filled directly rather than through ``update``: its lazy init concatenates
    a 1-D empty tensor, which does not survive export as a rank-4 Concat.
    """
    cache = DynamicCache()
    cache.layers = []
    for i in range(0, len(past), 2):
        layer = DynamicLayer()  # type: ignore[no-untyped-call]
        layer.dtype, layer.device = past[i].dtype, past[i].device
        layer.keys, layer.values = past[i], past[i + 1]
        layer.is_initialized = True
        cache.layers.append(layer)
    return cache


class KVCacheWrapper(nn.Module):
    """forward(input_ids, attention_mask, position_ids, *past) -> (logits, *present)."""

    def __init__(self, model: PreTrainedModel) -> None:
        super().__init__()
        self.model = model

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        position_ids: torch.Tensor,
        *past: torch.Tensor,
    ) -> tuple[torch.Tensor, ...]:
        mask = additive_mask(attention_mask, input_ids.shape[1], torch.float32)
        cache = cache_from_flat(past)
        out = self.model(
            input_ids=input_ids,
            attention_mask=mask,
            position_ids=position_ids,
            past_key_values=cache,
            use_cache=True,
            return_dict=True,
        )
        flat: list[torch.Tensor] = [out.logits]
        for layer in cache.layers:
            assert layer.keys is not None and layer.values is not None  # filled above
            flat.extend((layer.keys, layer.values))
        return tuple(flat)

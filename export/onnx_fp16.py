"""Store a graph's weights as float16 while it still computes in float32.

The model folder has a 30 MB budget per model. A float32 file caps a model near 7.5M
parameters; stored as float16 the same budget holds 15M. The torch model's parameters are
rounded to float16 values first (``round_weights_to_fp16``, kept in float32). After export,
every large float initializer whose values are all exact float16 values (the weights, and
any transposed copies the exporter folded) is replaced by its float16 copy and a ``Cast``
back to float32 under the original name, so no consumer changes. The rewrite is lossless by
construction: tensors that are not exact float16 values (rotary tables the exporter computed
in float32, say) stay float32. onnxruntime folds the casts into float32 constants once, at
session start, so decoding runs exactly the float32 graph of the rounded weights, at float32
speed, and parity with the (rounded) torch model holds as tightly as before.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FP16_SUFFIX = "__fp16"


def store_weights_fp16(model: onnx.ModelProto, min_elements: int = 1024) -> int:
    """Rewrite ``model`` in place; return how many initializers are now float16."""
    graph = model.graph
    keep: list[onnx.TensorProto] = []
    casts: list[onnx.NodeProto] = []
    for init in graph.initializer:
        if init.data_type != TensorProto.FLOAT or int(np.prod(init.dims)) < min_elements:
            keep.append(init)
            continue
        values = numpy_helper.to_array(init)
        with np.errstate(over="ignore"):
            halves = values.astype(np.float16)
        if not np.array_equal(halves.astype(np.float32), values):
            keep.append(init)  # not exact in float16: keep it as it is
            continue
        half = numpy_helper.from_array(halves, init.name + FP16_SUFFIX)
        keep.append(half)
        casts.append(
            helper.make_node(
                "Cast", [half.name], [init.name], to=TensorProto.FLOAT, name=init.name + "/cast"
            )
        )
    del graph.initializer[:]
    graph.initializer.extend(keep)
    # Casts first: their outputs must exist before any consumer in topological order.
    nodes = [*casts, *graph.node]
    del graph.node[:]
    graph.node.extend(nodes)
    return len(casts)


def round_weights_to_fp16(model: Any) -> None:
    """Round a torch model's float parameters to float16 values, kept in float32.

    Buffers (rotary frequencies, say) are not weights and keep their precision. A
    parameter with a value beyond float16's range would become inf: that is an error.
    """
    import torch

    limit = torch.finfo(torch.float16).max
    with torch.no_grad():
        for name, tensor in model.named_parameters():
            if tensor.dtype != torch.float32:
                continue
            if bool(tensor.abs().max() > limit):
                raise ValueError(f"parameter {name} exceeds the float16 range")
            tensor.copy_(tensor.half().float())

"""Remove initializers that are transposed copies of another (tied embeddings).

With tied input/output embeddings the TorchScript exporter constant-folds ``lm_head``'s
transpose into a second [hidden, vocab] initializer, doubling the largest tensor in the
file. We swap it back for a ``Transpose`` of the embedding; onnxruntime folds that once
at session start, so the file shrinks and inference cost is unchanged.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper


def dedupe_transposed_initializers(model: onnx.ModelProto, min_elements: int = 4096) -> int:
    """Rewrite ``model`` in place; return how many initializers were replaced."""
    graph = model.graph
    arrays = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    by_shape: dict[tuple[int, ...], list[str]] = {}
    for name, array in arrays.items():
        if array.ndim == 2 and array.size >= min_elements:
            by_shape.setdefault(array.shape, []).append(name)
    replaced: dict[str, str] = {}
    for name, array in arrays.items():
        if array.ndim != 2 or array.size < min_elements or name in replaced:
            continue
        for source in by_shape.get((array.shape[1], array.shape[0]), []):
            if source == name or source in replaced:
                continue
            if np.array_equal(arrays[source].T, array):
                replaced[name] = source
                break
    if not replaced:
        return 0
    kept = [init for init in graph.initializer if init.name not in replaced]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    # The Transpose nodes go first so the graph stays topologically sorted.
    transposes = [
        helper.make_node("Transpose", [source], [name], perm=[1, 0], name=f"untie_{name}")
        for name, source in replaced.items()
    ]
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(transposes + nodes)
    return len(replaced)

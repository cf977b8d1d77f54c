"""The in-place graph: the compact graph with fused attention, sharing model.onnx's weights.

    python -m export.inplace models/copyflow-small-v1

``model.onnx`` concatenates each step's keys and values onto the cache (``Concat``), so a
decoding step copies the whole cache once per layer; at batch 16 on this 2-core CPU that
copy and the attention around it were a third of a step. ``model-inplace.onnx`` computes
the same function with onnxruntime's fused ``com.microsoft.GroupQueryAttention``
(``export.compact``). Run like ``model.onnx`` (pasts of the past length in, presents one
longer out) it is a drop-in graph; run with each past bound as its own present (a buffer
with room for the whole text, ``workers.engine.runner.InPlaceRunner``), the kernel writes
each new key and value into the buffer and copies nothing.

The file holds no weights of its own: each initializer is an external-data reference to
the same bytes inside ``model.onnx`` (a protobuf stores a tensor's ``raw_data`` as one
contiguous run of bytes). So the folder keeps one copy of the weights, ``model.onnx`` stays
a self-contained file that any tool opens, and the two graphs cannot drift apart in their
weights. Contrib ops run on onnxruntime's CPU provider; CUDA keeps ``model.onnx``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import onnx
from onnx import TensorProto
from transformers import PreTrainedModel

from export import tokenizer as tok
from export.manifest import list_file, read_manifest
from export.parity import ParityReport

INPLACE_FILE = "model-inplace.onnx"
# Smaller initializers (norm weights, shape constants) stay inside the graph file.
_LINK_MIN_BYTES = 1024


def link_weights(graph: onnx.ModelProto, weights_file: Path) -> tuple[int, int]:
    """Point ``graph``'s initializers at identical bytes inside ``weights_file``.

    Returns (linked, kept inline). Raises ValueError if a large initializer has no exact
    copy there: then the two graphs do not hold the same weights.
    """
    blob = weights_file.read_bytes()
    linked = inline = 0
    for tensor in graph.graph.initializer:
        raw = tensor.raw_data
        if len(raw) < _LINK_MIN_BYTES:
            inline += 1
            continue
        offset = blob.find(raw)
        if offset < 0:
            raise ValueError(f"{tensor.name!r} has no identical bytes in {weights_file}")
        tensor.ClearField("raw_data")
        tensor.data_location = TensorProto.EXTERNAL
        for key, value in (
            ("location", weights_file.name),
            ("offset", str(offset)),
            ("length", str(len(raw))),
        ):
            entry = tensor.external_data.add()
            entry.key, entry.value = key, value
        linked += 1
    return linked, inline


def write_inplace_graph(model: PreTrainedModel, folder: Path, weights: str) -> dict[str, Any]:
    """Export ``model`` with fused attention next to ``folder/model.onnx``, weights linked.

    ``model`` must be the torch model ``model.onnx`` was exported from (rounded to float16
    first when ``weights`` is float16), so that every weight has an identical copy there.
    """
    from export.onnx_export import export_onnx  # onnx_export imports this module

    target = folder / INPLACE_FILE
    with tempfile.TemporaryDirectory(prefix="copyflow-inplace-") as tmp:
        scratch = Path(tmp) / INPLACE_FILE
        export_onnx(model, scratch, weights=weights, graph="compact", attention="gqa")
        graph = onnx.load(str(scratch))
    linked, inline = link_weights(graph, folder / "model.onnx")
    onnx.save_model(graph, str(target))
    onnx.checker.check_model(str(target))
    fused = sum(node.op_type == "GroupQueryAttention" for node in graph.graph.node)
    return {
        "file": INPLACE_FILE,
        "attention": "com.microsoft.GroupQueryAttention",
        "fused_layers": fused,
        "weights": f"linked into model.onnx ({linked} tensors; {inline} small ones inline)",
        "providers": ["CPUExecutionProvider"],
    }


def check_inplace_parity(
    model: PreTrainedModel,
    folder: Path,
    prompts: Sequence[Sequence[int]] | None = None,
    max_new_tokens: int = 48,
) -> ParityReport:
    """The same parity check as ``model.onnx`` gets (greedy tokens and logits vs torch)."""
    from export.onnx_export import parity_prompts
    from export.parity import check_parity

    tokenizer = tok.load(folder / "tokenizer.json")
    roles = tok.role_ids(tokenizer)
    return check_parity(
        model,
        folder / INPLACE_FILE,
        prompts if prompts is not None else parity_prompts(tokenizer, 64),
        eos_id=roles["eos"],
        pad_id=roles["pad"],
        max_new_tokens=max_new_tokens,
    )


def add_inplace_graph(folder: Path) -> dict[str, Any]:
    """Add the in-place graph to an exported folder from its own weights; new manifest.

    ``model.onnx`` and everything the manifest says about it are left as they are.
    """
    from export.onnx_to_torch import load_torch_model

    manifest = read_manifest(folder)
    weights = str(manifest.get("onnx", {}).get("weights_dtype", "float32"))
    model = load_torch_model(folder)
    record = write_inplace_graph(model, folder, weights)
    started = time.time()
    report = check_inplace_parity(model, folder)
    parity = {**report.as_dict(), "seconds": round(time.time() - started, 1)}
    if not report.ok:
        (folder / INPLACE_FILE).unlink()
        raise RuntimeError(f"in-place graph parity failed: {parity}")
    onnx = {**manifest.get("onnx", {}), "inplace": {**record, "parity": parity}}
    command = f"python -m export.inplace {folder}"
    return list_file(folder, manifest, "onnx_inplace", INPLACE_FILE, command, onnx=onnx)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="an exported model folder (compact graph)")
    args = parser.parse_args(argv)
    manifest = add_inplace_graph(args.folder)
    print(json.dumps({"folder": str(args.folder), "inplace": manifest["onnx"]["inplace"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Re-export a model folder's own weights with a newer graph, keeping its identity.

    python -m export.regraph models/copyflow-small-v1 [--graph compact]

The committed models were trained once (about an hour for the small one); their torch
checkpoints are not committed. When only the *graph* improves (``export.compact``), this
rebuilds the transformers model from the folder's ONNX weights (``export.onnx_to_torch``),
exports it again, checks parity against that torch model (same greedy tokens on 64 held-out
prompts, logits within 1e-4), and rewrites the manifest: name, version, training record and
eval figures stay, because the weights and the function they compute are the same; the
file hashes, the graph kind, the parity record and ``created_with`` change.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from export.inplace import INPLACE_FILE
from export.manifest import read_manifest, write_manifest
from export.onnx_export import export_checkpoint
from export.onnx_to_torch import load_torch_model


def regraph(folder: Path, graph: str = "compact") -> dict[str, object]:
    """Rewrite ``folder``'s model.onnx with ``graph``; return the new manifest."""
    old = read_manifest(folder)
    weights = str(old.get("onnx", {}).get("weights_dtype", "float32"))
    model = load_torch_model(folder)
    with tempfile.TemporaryDirectory(prefix="copyflow-regraph-") as tmp:
        checkpoint = Path(tmp) / "ckpt"
        model.save_pretrained(checkpoint)
        shutil.copyfile(folder / "tokenizer.json", checkpoint / "tokenizer.json")
        out = Path(tmp) / "model"
        fresh = export_checkpoint(
            checkpoint,
            out,
            name=str(old["name"]),
            version=str(old["version"]),
            weights=weights,
            graph=graph,
            created_with=[
                *old.get("created_with", []),
                f"python -m export.regraph {folder} --graph {graph}",
            ],
        )
        stale = folder / INPLACE_FILE
        if stale.is_file():  # its links point into the old model.onnx
            stale.unlink()
        for name in fresh["files"].values():
            if name.endswith(".onnx"):
                shutil.copyfile(out / name, folder / name)
    body = {k: v for k, v in old.items() if k not in ("schema", "sha256")}
    body["files"] = {**old.get("files", {}), **fresh["files"]}
    if INPLACE_FILE not in fresh["files"].values():
        body["files"].pop("onnx_inplace", None)
    body["onnx"] = fresh["onnx"]
    body["created_with"] = fresh["created_with"]
    body["versions"] = fresh["versions"]
    body["eval"] = {**old.get("eval", {}), "parity": fresh["eval"]["parity"]}
    return write_manifest(folder, body)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a model folder with manifest.json")
    parser.add_argument("--graph", choices=["compact", "generic"], default="compact")
    args = parser.parse_args(argv)
    manifest = regraph(args.folder, args.graph)
    print(json.dumps({"folder": str(args.folder), "onnx": manifest["onnx"]}, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())

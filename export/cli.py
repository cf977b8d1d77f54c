"""``copyflow export``: turn a local causal LM checkpoint into a model folder.

    copyflow export --from .artifacts/ckpt --out models/copyflow-tiny-v1

Exit status 0 when parity holds, 1 when it does not, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="copyflow export",
        description="Export a local causal LM checkpoint to ONNX with past key/values.",
    )
    parser.add_argument(
        "--from",
        dest="source",
        type=Path,
        required=True,
        help="local checkpoint directory (config, safetensors, tokenizer.json)",
    )
    parser.add_argument("--out", type=Path, required=True, help="model folder to write")
    parser.add_argument("--name", default="copyflow-tiny")
    parser.add_argument("--version", default="1.0.0")
    parser.add_argument("--parity-prompts", type=int, default=64)
    parser.add_argument("--max-new-tokens", type=int, default=48)
    parser.add_argument(
        "--weights",
        choices=["float32", "float16"],
        default="float32",
        help="how the file stores the weights; float16 halves it, compute stays float32",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not args.source.is_dir():
        print(f"not a directory: {args.source}", file=sys.stderr)
        return 2
    # torch is imported only here, after parsing: `--help` stays fast and torch-free.
    from export.onnx_export import ParityError, export_checkpoint

    command = " ".join(["copyflow export", *(argv if argv is not None else sys.argv[1:])])
    try:
        manifest = export_checkpoint(
            args.source,
            args.out,
            name=args.name,
            version=args.version,
            parity_count=args.parity_prompts,
            max_new_tokens=args.max_new_tokens,
            created_with=[command],
            weights=args.weights,
        )
    except ParityError as error:
        print(json.dumps(error.report.as_dict()), file=sys.stderr)
        return 1
    print(json.dumps(manifest["eval"]["parity"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Reproduce a committed model: corpus → tokenizer → train → export → parity → manifest.

    python -m export.build_models --recipe small --weights float16 --work .artifacts/small
    python -m export.build_models --recipe tiny --work .artifacts

The folder is models/copyflow-<recipe>-v1 unless --out says otherwise, and the model is
named copyflow-<recipe>.

Training writes its checkpoint under --work (gitignored); only the exported folder is
committed. ``--reuse`` skips training when the checkpoint already has a training report.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from export.evaluate import evaluate_folder
from export.manifest import read_manifest, write_manifest
from export.ngrams import add_ngram_table
from export.onnx_export import export_checkpoint
from export.runtime_env import ensure_passive_omp
from export.train import RECIPES, train
from export.word_pairs import add_word_pairs

# The small model succeeded the tiny one as the default: a new version, so content ids and
# seeds (which include the model version) change with it and a replay regenerates.
VERSIONS = {"tiny": "1.0.0", "small": "2.0.0"}


def main(argv: list[str] | None = None) -> int:
    ensure_passive_omp("export.build_models", argv)
    parser = argparse.ArgumentParser(description="Build a copyflow model folder.")
    parser.add_argument("--out", type=Path, default=None, help="models/copyflow-<recipe>-v1")
    parser.add_argument("--work", type=Path, default=Path(".artifacts"))
    parser.add_argument("--reuse", action="store_true", help="reuse a finished checkpoint")
    parser.add_argument("--eval-count", type=int, default=120)
    parser.add_argument(
        "--recipe", choices=sorted(RECIPES), default="tiny", help="named training recipe"
    )
    parser.add_argument(
        "--weights",
        choices=["float32", "float16"],
        default="float32",
        help="weight storage in model.onnx (float16 fits ~15M parameters in 30 MB)",
    )
    args = parser.parse_args(argv)
    if args.out is None:
        args.out = Path(f"models/copyflow-{args.recipe}-v1")

    started = time.time()
    checkpoint = args.work / "ckpt"
    # With --reuse the weights came from an earlier run of the same default recipe.
    trained_by = f"python -m export.train --out {checkpoint} --log {args.work / 'train.jsonl'}"
    if not (args.reuse and (checkpoint / "training_report.json").is_file()):
        args.work.mkdir(parents=True, exist_ok=True)
        train(RECIPES[args.recipe], checkpoint, args.work / "train.jsonl")
        trained_by = ""
    command = " ".join(["python -m export.build_models", *(argv or sys.argv[1:])])
    export_checkpoint(
        checkpoint,
        args.out,
        name=f"copyflow-{args.recipe}",
        version=VERSIONS.get(args.recipe, "1.0.0"),
        created_with=[
            *([trained_by] if trained_by else []),
            command,
            f"copyflow export --from {checkpoint} --out {args.out} --weights {args.weights}",
        ],
        weights=args.weights,
    )
    # Our corpus recipe is in the manifest now: count its copy into the draft table and
    # the fluency guard's word pairs (the evaluation below runs that guard).
    add_ngram_table(args.out)
    add_word_pairs(args.out)
    generation = evaluate_folder(args.out, args.eval_count)
    samples = generation.pop("samples")
    (args.work / "samples.json").write_text(json.dumps(samples, indent=2, ensure_ascii=False))
    manifest = read_manifest(args.out)
    manifest["eval"]["generation"] = generation
    body = {k: v for k, v in manifest.items() if k not in ("schema", "sha256")}
    write_manifest(args.out, body)
    print(
        json.dumps(
            {
                "out": str(args.out),
                "seconds": round(time.time() - started, 1),
                "parity": manifest["eval"]["parity"],
                "generation": generation["all"],
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

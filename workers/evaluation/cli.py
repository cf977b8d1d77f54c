"""``copyflow eval`` and ``copyflow bench``: registered into the main CLI."""

from __future__ import annotations

import argparse
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from workers.settings import REPO_ROOT


def _cmd_eval(args: argparse.Namespace) -> int:
    from workers.evaluation.run import evaluate, write_chart, write_markdown
    from workers.generator.factory import (
        OnnxTextGenerator,
        generator_config,
        runtime_options,
    )
    from workers.settings import Settings

    settings = Settings()
    model_dir = Path(args.model) if args.model else settings.model_dir
    generator = OnnxTextGenerator.from_folder(
        model_dir, runtime_options(settings), args.batch, generator_config(settings)
    )
    drafts = args.drafts or settings.drafts_per_attempt
    report, samples = evaluate(
        generator,
        args.count,
        args.variants_for,
        drafts=drafts,
        pool=args.variant_pool,
        completion_retries=settings.completion_retries,
    )
    out = Path(args.out)
    write_markdown(report, samples, out / "eval.md")
    charted = write_chart(report, out / "eval.png")
    for key, value in asdict(report).items():
        print(f"{key:34s} {value:.4f}" if isinstance(value, float) else f"{key:34s} {value}")
    print(f"report: {out / 'eval.md'}" + (f", chart: {out / 'eval.png'}" if charted else ""))
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    # Benchmarks compare against torch, which the worker must never import: run them apart.
    script = REPO_ROOT / "bench" / f"bench_{args.what}.py"
    return subprocess.call([sys.executable, str(script), *args.rest])


def register(sub: Any) -> None:
    p = sub.add_parser("eval", help="evaluate the generator on the held-out set")
    p.add_argument("--count", type=int, default=200, help="held-out requests")
    p.add_argument(
        "--variants-for", type=int, default=40, help="requests sampled 5 times for distinct-n"
    )
    p.add_argument("--batch", type=int, default=16)
    p.add_argument(
        "--drafts", type=int, default=0, help="drafts per attempt (default: the worker's setting)"
    )
    p.add_argument("--variant-pool", type=int, default=12, help="drafts the variants come from")
    p.add_argument("--model", default=None, help="model folder (default: COPYFLOW_MODEL_DIR)")
    p.add_argument("--out", default=str(REPO_ROOT / "reports"))
    p.set_defaults(func=_cmd_eval)

    p = sub.add_parser("bench", help="benchmarks: generate (engine vs torch eager)")
    p.add_argument("what", choices=["generate", "profiles", "delivery"])
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=_cmd_bench)

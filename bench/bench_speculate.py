"""Speculative decoding against the default CPU engine, in one process, alternated.

    python bench/bench_speculate.py [--model models/copyflow-small-v1] [--rounds 3]

Per batch size: the default engine (in-place graph, one token per step) and the
speculative one (model.onnx with the folder's n-gram table, ``COPYFLOW_SPECULATE``) write
the same held-out prompts, greedy, alternating round by round; the best round of each is
compared, since this shared machine's speed drifts within minutes. It also checks that
both wrote the same tokens, and counts decoding steps.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

BATCHES = (1, 4, 8, 16)


def main() -> int:
    from export.corpus import eval_examples
    from workers.engine import GenerationRequest, GeneratorConfig, OnnxGenerator, RuntimeOptions

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=REPO / "models" / "copyflow-small-v1")
    parser.add_argument("--prompts", type=int, default=32)
    parser.add_argument("--new-tokens", type=int, default=48)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    def options(inplace: bool) -> RuntimeOptions:
        return RuntimeOptions(
            allow_cuda=False, intra_op_num_threads=args.threads, inplace_graph=inplace
        )

    engines = {
        "default": OnnxGenerator.from_folder(args.model, options(True)),
        "speculative": OnnxGenerator.from_folder(
            args.model, options(False), GeneratorConfig(speculate=True)
        ),
    }
    if engines["speculative"].ngrams is None:
        raise SystemExit(f"{args.model} has no n-gram table (python -m export.ngrams)")
    requests = [
        GenerationRequest(e.prompt, seed=i, max_new_tokens=args.new_tokens)
        for i, e in enumerate(eval_examples(args.prompts))
    ]
    figures: dict[str, dict[str, float]] = {}
    print(f"{'batch':>5} {'default s':>10} {'speculative s':>14} {'ratio':>6} {'steps':>12}")
    for batch in BATCHES:
        best = {name: float("inf") for name in engines}
        steps: dict[str, int] = {}
        tokens: dict[str, list[tuple[int, ...]]] = {}
        for engine in engines.values():
            engine.generate(requests[:batch])  # warm-up
        for _ in range(args.rounds):
            for name, engine in engines.items():
                started = time.perf_counter()
                results = []
                for start in range(0, len(requests), batch):
                    results += engine.generate(requests[start : start + batch])
                best[name] = min(best[name], time.perf_counter() - started)
                tokens[name] = [r.token_ids for r in results]
                steps[name] = sum(results[i].timing.steps for i in range(0, len(results), batch))
        same = sum(a == b for a, b in zip(tokens["default"], tokens["speculative"], strict=True))
        ratio = best["default"] / best["speculative"]
        figures[str(batch)] = {
            **best,
            "ratio": ratio,
            "same_tokens": same,
            **{f"steps_{name}": count for name, count in steps.items()},
        }
        print(
            f"{batch:>5} {best['default']:>10.2f} {best['speculative']:>14.2f} {ratio:>5.2f}x "
            f"{steps['default']:>5}->{steps['speculative']:<5} same tokens {same}/{len(requests)}"
        )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Generation figures on held-out requests, computed with onnxruntime only (no torch).

The figures mirror the runtime guards: unsupported numbers, banned terms, channel length,
and for recommendations whether every item's title and price appear verbatim.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import onnxruntime as ort
from tokenizers import Tokenizer

from export import ort_greedy
from export import tokenizer as tok
from export.compliance import banned_terms, unsupported_numbers
from export.copywriter import LIMITS
from export.corpus import Example, eval_examples
from workers.domain import ContentRequest
from workers.prompt import build_prompt, item_fields
from workers.slots import realize


def generate(
    session: ort.InferenceSession,
    tokenizer: Tokenizer,
    requests: Sequence[ContentRequest],
    max_new_tokens: int = 200,
    batch_size: int = 16,
) -> list[tuple[str, bool]]:
    """Greedy copy per request, and whether it ended with eos."""
    roles = tok.role_ids(tokenizer)
    out: list[tuple[str, bool]] = []
    for start in range(0, len(requests), batch_size):
        chunk = requests[start : start + batch_size]
        prompts = [tokenizer.encode(build_prompt(r)).ids for r in chunk]
        result = ort_greedy.greedy(session, prompts, max_new_tokens, roles["eos"], roles["pad"])
        for tokens in result.tokens:
            ended = bool(tokens) and tokens[-1] == roles["eos"]
            body = tokens[:-1] if ended else tokens
            out.append((tokenizer.decode(body, skip_special_tokens=True), ended))
    return out


def check(request: ContentRequest, text: str) -> dict[str, bool]:
    """Guard-style checks of one generated text."""
    facts = [value for item in request.items for _, value in item_fields(item)]
    named = all(
        item.price in text and dict(item_fields(item))["title"] in text for item in request.items
    )
    return {
        "numbers_supported": not unsupported_numbers(text, facts),
        "no_banned_terms": not banned_terms(text),
        "within_length": len(text) <= LIMITS[request.locale][request.channel],
        "names_items_and_prices": named,
        "mentions_a_price": any(item.price in text for item in request.items),
    }


def score(examples: Sequence[Example], outputs: Sequence[tuple[str, bool]]) -> dict[str, Any]:
    """Rates over all examples (recommendation naming only over recommendations)."""
    totals: dict[str, int] = {}
    recs = [0, 0]
    ended = 0
    for example, (text, eos) in zip(examples, outputs, strict=True):
        ended += eos
        for name, ok in check(example.request, text).items():
            if name == "names_items_and_prices":
                if example.request.kind == "recommendation":
                    recs[0] += ok
                    recs[1] += 1
                continue
            totals[name] = totals.get(name, 0) + ok
    n = max(1, len(examples))
    figures: dict[str, Any] = {name: round(value / n, 4) for name, value in totals.items()}
    figures["ended_with_eos"] = round(ended / n, 4)
    figures["recommendations_name_all_items_and_prices"] = round(recs[0] / max(1, recs[1]), 4)
    figures["requests"] = len(examples)
    return figures


def evaluate_folder(folder: Path, count: int = 120, max_new_tokens: int = 200) -> dict[str, Any]:
    """Greedy-generate for ``count`` held-out requests with the folder's graph and score."""
    session = ort_greedy.open_session(str(folder / "model.onnx"), threads=2)
    tokenizer = tok.load(folder / "tokenizer.json")
    examples = eval_examples(count)
    raw = generate(session, tokenizer, [e.request for e in examples], max_new_tokens)
    # The model writes slots ({1.price}); score the text a reader would see.
    outputs = [
        (realize(text, e.request)[0], eos) for e, (text, eos) in zip(examples, raw, strict=True)
    ]
    half = count // 2
    return {
        "all": score(examples, outputs),
        "unseen_products": score(examples[:half], outputs[:half]),
        "unseen_categories": score(examples[half:], outputs[half:]),
        "decoding": "greedy, no logits mask",
        "samples": [
            {"prompt": e.prompt, "output": text, "reference": e.target}
            for e, (text, _) in list(zip(examples, outputs, strict=True))[:: max(1, count // 8)]
        ],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Score a model folder on held-out requests.")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--count", type=int, default=120)
    args = parser.parse_args(argv)
    print(json.dumps(evaluate_folder(args.folder, args.count), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Add the n-gram draft table to a model folder trained on our corpus (``ngrams.npz``).

    python -m export.ngrams models/copyflow-small-v1

The table drafts tokens for speculative decoding (``workers.engine.speculate``). It is
counted from the training copy the model learnt: the manifest's recipe names the corpus
(seed, products per category, examples), so the same folder always gets the same table.
Each target is tokenized as the model writes it: the slotted copy and the end token.
A folder without our recipe (a model a user brought) gets no table; the engine then
decodes one token per step, as it does for any folder without one.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from export import corpus
from export.manifest import list_file, read_manifest
from workers.engine.speculate import DEFAULT_ORDER, NGRAM_FILE, build_table
from workers.engine.tokenizer import TextTokenizer

MIN_COUNT = 3
MIN_SHARE = 0.5


def corpus_recipe(manifest: dict[str, Any]) -> dict[str, int]:
    """seed, per_category and train_examples of the folder's training corpus."""
    recipe = manifest.get("training", {}).get("recipe", {})
    try:
        return {key: int(recipe[key]) for key in ("seed", "per_category", "train_examples")}
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"the manifest names no corpus recipe ({exc}); no table to build") from exc


def add_ngram_table(folder: Path, order: int = DEFAULT_ORDER) -> dict[str, Any]:
    """Count the folder's training copy into ``ngrams.npz``; return the new manifest."""
    manifest = read_manifest(folder)
    recipe = corpus_recipe(manifest)
    started = time.time()
    examples = corpus.train_examples(
        recipe["train_examples"], seed=recipe["seed"], per_category=recipe["per_category"]
    )
    tokenizer = TextTokenizer.from_file(folder / "tokenizer.json")
    targets = tokenizer.encode_batch([example.slotted + corpus.EOS for example in examples])
    table = build_table(targets, order=order, min_count=MIN_COUNT, min_share=MIN_SHARE)
    table.save(folder / NGRAM_FILE)
    speculation = {
        "file": NGRAM_FILE,
        "source": "slotted training targets + <|eos|>, tokenized alone",
        "corpus": recipe,
        "order": order,
        "min_count": MIN_COUNT,
        "min_share": MIN_SHARE,
        "contexts": len(table),
        "seconds": round(time.time() - started, 1),
    }
    command = f"python -m export.ngrams {folder}"
    return list_file(folder, manifest, "ngrams", NGRAM_FILE, command, speculation=speculation)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a model folder trained on our corpus")
    args = parser.parse_args(argv)
    manifest = add_ngram_table(args.folder)
    print(json.dumps({"folder": str(args.folder), "speculation": manifest["speculation"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

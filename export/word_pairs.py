"""Add the fluency guard's table to a model folder trained on our corpus (``word_pairs.json``).

    python -m export.word_pairs models/copyflow-small-v1

The pairs of neighbouring words (Chinese characters) in the training copy the model learnt,
with each request value masked (``workers.guards.fluency``). The manifest's recipe names the
corpus, so the table is rebuilt exactly; the manifest then lists and hashes the file.
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
from export.ngrams import corpus_recipe
from workers.guards.fluency import VALUE_MARK, WORD_PAIRS_FILE, WordPairs


def add_word_pairs(folder: Path) -> dict[str, Any]:
    """Count the folder's training copy into ``word_pairs.json``; return the new manifest."""
    manifest = read_manifest(folder)
    recipe = corpus_recipe(manifest)
    started = time.time()
    examples = corpus.train_examples(
        recipe["train_examples"], seed=recipe["seed"], per_category=recipe["per_category"]
    )
    table = WordPairs.count((example.target, example.request) for example in examples)
    table.save(folder / WORD_PAIRS_FILE)
    fluency = {
        "file": WORD_PAIRS_FILE,
        "source": f"training targets, request values masked as {VALUE_MARK}",
        "corpus": recipe,
        "pairs": {locale: len(pairs) for locale, pairs in sorted(table.pairs.items())},
        "seconds": round(time.time() - started, 1),
    }
    command = f"python -m export.word_pairs {folder}"
    return list_file(folder, manifest, "word_pairs", WORD_PAIRS_FILE, command, fluency=fluency)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a model folder trained on our corpus")
    args = parser.parse_args(argv)
    manifest = add_word_pairs(args.folder)
    print(json.dumps({"folder": str(args.folder), "fluency": manifest["fluency"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

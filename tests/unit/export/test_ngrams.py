"""export.ngrams: the draft table is counted from the folder's own training corpus."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from export.manifest import verify_hashes
from export.ngrams import add_ngram_table, corpus_recipe
from tests.unit.engine.test_real_model import REAL_MODEL
from workers.engine.speculate import NGRAM_FILE, NgramTable

needs_model = pytest.mark.skipif(
    not (REAL_MODEL / "manifest.json").is_file(), reason=f"no model folder at {REAL_MODEL}"
)


def test_a_folder_without_our_corpus_recipe_gets_no_table() -> None:
    with pytest.raises(ValueError, match="no corpus recipe"):
        corpus_recipe({"training": {"recipe": {"seed": 1}}})
    with pytest.raises(ValueError, match="no corpus recipe"):
        corpus_recipe({})


@needs_model
def test_the_table_is_counted_from_the_recipe_and_listed_with_its_hash(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    shutil.copytree(REAL_MODEL, folder)
    (folder / NGRAM_FILE).unlink()
    manifest = json.loads((folder / "manifest.json").read_text())
    # A small corpus keeps the test quick; the recipe in the manifest is what counts.
    manifest["training"]["recipe"]["train_examples"] = 300
    (folder / "manifest.json").write_text(json.dumps(manifest))

    written = add_ngram_table(folder)
    assert written["files"]["ngrams"] == NGRAM_FILE
    assert written["speculation"]["corpus"]["train_examples"] == 300
    assert written["speculation"]["contexts"] == len(NgramTable.load(folder / NGRAM_FILE)) > 100
    assert verify_hashes(folder) == []
    first = (folder / NGRAM_FILE).read_bytes()
    # The same recipe gives the same file.
    add_ngram_table(folder)
    assert (folder / NGRAM_FILE).read_bytes() == first

"""export.word_pairs: the fluency table is counted from the folder's own training corpus."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from export.manifest import verify_hashes
from export.word_pairs import add_word_pairs
from tests.unit.engine.test_real_model import REAL_MODEL
from workers.engine import RuntimeOptions
from workers.engine.model import load_model
from workers.generator.factory import OnnxTextGenerator
from workers.guards.fluency import WORD_PAIRS_FILE, WordPairs

needs_model = pytest.mark.skipif(
    not (REAL_MODEL / "manifest.json").is_file(), reason=f"no model folder at {REAL_MODEL}"
)


def _copy_without_table(tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    """The committed model folder without its word pairs, its manifest changed by ``edit``."""
    folder = tmp_path / "model"
    shutil.copytree(REAL_MODEL, folder)
    (folder / WORD_PAIRS_FILE).unlink()
    manifest = json.loads((folder / "manifest.json").read_text())
    edit(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


@needs_model
def test_the_table_is_counted_from_the_recipe_and_listed_with_its_hash(tmp_path: Path) -> None:
    # A small corpus keeps the test quick; the recipe in the manifest is what counts.
    folder = _copy_without_table(
        tmp_path, lambda m: m["training"]["recipe"].update(train_examples=300)
    )

    written = add_word_pairs(folder)
    assert written["files"]["word_pairs"] == WORD_PAIRS_FILE
    assert written["fluency"]["corpus"]["train_examples"] == 300
    assert verify_hashes(folder) == []
    small = WordPairs.load(folder / WORD_PAIRS_FILE)
    committed = WordPairs.load(REAL_MODEL / WORD_PAIRS_FILE)
    # 300 examples see fewer pairs than the 22,000 the committed table was counted from.
    for locale in ("zh", "en"):
        assert 0 < len(small.pairs[locale]) < len(committed.pairs[locale])
        assert small.pairs[locale] <= committed.pairs[locale]
    # The generator loads the table with the model.
    generator = OnnxTextGenerator.from_folder(folder, RuntimeOptions(allow_cuda=False), 4)
    assert generator.word_pairs == small


@needs_model
def test_a_folder_without_a_table_has_no_fluency_guard(tmp_path: Path) -> None:
    def unlist(manifest: dict[str, Any]) -> None:
        manifest["files"].pop("word_pairs")
        manifest["sha256"].pop(WORD_PAIRS_FILE)

    folder = _copy_without_table(tmp_path, unlist)
    assert load_model(folder).word_pairs_file is None
    generator = OnnxTextGenerator.from_folder(folder, RuntimeOptions(allow_cuda=False), 4)
    assert generator.word_pairs is None

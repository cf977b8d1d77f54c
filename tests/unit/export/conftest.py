"""Shared fixtures for the export tests: a small corpus and a small tokenizer, built once."""

from __future__ import annotations

import pytest
from tokenizers import Tokenizer

from export.corpus import Example, train_examples
from export.tokenizer import train_tokenizer


@pytest.fixture(scope="session")
def small_corpus() -> list[Example]:
    return train_examples(400, seed=7)


@pytest.fixture(scope="session")
def small_tokenizer(small_corpus: list[Example]) -> Tokenizer:
    # A small vocabulary keeps the test models tiny; the hanzi list still makes every
    # common character encodable.
    return train_tokenizer((e.text for e in small_corpus), vocab_size=1200)

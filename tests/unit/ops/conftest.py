"""Fixtures for the ops unit tests: a pipeline around a fast generator, encoded inputs."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from workers.envelope import Envelope
from workers.generator.pipeline import Pipeline
from workers.ops.fast_generators import CannedTextGenerator
from workers.ops.pipelines import build_pipeline_with
from workers.sample_catalog import sample_products
from workers.serde import PlainAvroCodec
from workers.settings import Settings


@pytest.fixture
def settings() -> Settings:
    """Default settings (topics by their default names; nothing connects)."""
    return Settings(bootstrap_servers="127.0.0.1:1")


@pytest.fixture
def canned_pipeline(settings: Settings) -> Pipeline:
    """The production pipeline with the canned generator in place of the model."""
    return build_pipeline_with(settings, CannedTextGenerator())


@pytest.fixture
def product_envelopes(settings: Settings) -> Callable[..., list[Envelope]]:
    """``n`` valid product-created envelopes at consecutive offsets of one partition."""

    def _make(n: int, partition: int = 0, first_offset: int = 0) -> list[Envelope]:
        codec = PlainAvroCodec("ProductCreated")
        return [
            Envelope(
                settings.topics.product_created,
                partition,
                first_offset + i,
                p["product_id"].encode(),
                codec.encode(p),
                (("trace", b"t"),),
                1_700_000_000_000 + i,
            )
            for i, p in enumerate(sample_products(n, seed=11))
        ]

    return _make

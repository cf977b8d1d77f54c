"""Shared fixtures: tiny real ONNX model folders built once per session (no torch)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from tokenizers import Tokenizer

from tests.unit.engine.tiny_model import TinySpec, train_tokenizer, write_model_folder
from workers.engine import GeneratorConfig, OnnxGenerator, RuntimeOptions

# Two cores and a training job share this machine: one intra-op thread keeps tests polite.
TEST_OPTIONS = RuntimeOptions(intra_op_num_threads=1, allow_spinning=False)

ModelFactory = Callable[..., Path]


@pytest.fixture(scope="session")
def tiny_tokenizer() -> Tokenizer:
    """The byte-level BPE every tiny model shares."""
    return train_tokenizer()


@pytest.fixture(scope="session")
def make_model_folder(
    tmp_path_factory: pytest.TempPathFactory, tiny_tokenizer: Tokenizer
) -> ModelFactory:
    """Factory: a model folder for a spec and logit bias, cached per arguments."""
    built: dict[tuple[TinySpec, tuple[tuple[int, float], ...]], Path] = {}

    def make(spec: TinySpec | None = None, logit_bias: Mapping[int, float] | None = None) -> Path:
        spec = spec or TinySpec()
        key = (spec, tuple(sorted((logit_bias or {}).items())))
        if key not in built:
            folder = tmp_path_factory.mktemp("tiny_model")
            built[key] = write_model_folder(folder, spec, logit_bias, tiny_tokenizer)
        return built[key]

    return make


@pytest.fixture(scope="session")
def tiny_folder(make_model_folder: ModelFactory) -> Path:
    """The default fp32 tiny model folder."""
    return make_model_folder()


@pytest.fixture(scope="session")
def tiny_generator(tiny_folder: Path) -> OnnxGenerator:
    """A CPU generator over the default tiny model (plain session.run)."""
    return OnnxGenerator.from_folder(tiny_folder, TEST_OPTIONS)


@pytest.fixture(scope="session")
def bound_generator(tiny_folder: Path) -> OnnxGenerator:
    """The same model through the IO-binding runner (the CUDA code path, on CPU)."""
    return OnnxGenerator.from_folder(
        tiny_folder, TEST_OPTIONS, GeneratorConfig(use_io_binding=True)
    )

"""Build a generator pipeline for the ops tools: the model, or the chaos-test template path."""

from __future__ import annotations

from pathlib import Path

from workers.generator.factory import build_pipeline_with
from workers.generator.writer import TextGenerator
from workers.ops.fast_generators import (
    CannedTextGenerator,
    SlowTextGenerator,
    TemplateTextGenerator,
)
from workers.ops.settings import OpsSettings
from workers.settings import Settings

__all__ = ["build_pipeline_with", "load_model_generator", "make_generator"]


def load_model_generator(settings: Settings, model_dir: Path) -> TextGenerator:
    """The ONNX generator from a model folder; raises the engine's ModelLoadError if unusable."""
    # Imported here: onnxruntime is heavy and the template path never needs it.
    from workers.generator.factory import (
        OnnxTextGenerator,
        generator_config,
        runtime_options,
    )

    return OnnxTextGenerator.from_folder(
        model_dir, runtime_options(settings), settings.max_batch_size, generator_config(settings)
    )


def make_generator(
    settings: Settings, ops: OpsSettings, model_dir: Path | None = None
) -> TextGenerator:
    """The model in ``model_dir`` (default ``settings.model_dir``), or a fast test generator."""
    if ops.generator == "template":
        return TemplateTextGenerator()
    if ops.generator == "canned":
        return CannedTextGenerator()
    if ops.generator == "slow":
        return SlowTextGenerator(ops.slow_generate_s)
    return load_model_generator(settings, model_dir or settings.model_dir)

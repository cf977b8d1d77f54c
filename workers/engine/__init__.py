"""The generation engine: ONNX causal LMs with a KV cache, decoded in batches on the host.

Public API (everything else is an implementation detail)::

    gen = OnnxGenerator.from_folder("models/copyflow-small-v1", RuntimeOptions())
    results = gen.generate([GenerationRequest(prompt, seed, max_new_tokens, ...)])

Nothing here imports torch, reads the environment or touches Kafka.
"""

from workers.engine.banned import BannedTermIndex
from workers.engine.batching import MicroBatcher, group_by_length
from workers.engine.errors import (
    EngineError,
    InvalidRequestError,
    ModelIntegrityError,
    ModelLoadError,
)
from workers.engine.generate import GeneratorConfig, OnnxGenerator
from workers.engine.model import LoadedModel, RuntimeOptions, load_model
from workers.engine.records import (
    FinishReason,
    GenerationRequest,
    GenerationResult,
    GenerationTiming,
)
from workers.engine.sampling import SamplingParams, derive_seed
from workers.engine.tokenizer import TextTokenizer

__all__ = [
    "BannedTermIndex",
    "EngineError",
    "FinishReason",
    "GenerationRequest",
    "GenerationResult",
    "GenerationTiming",
    "GeneratorConfig",
    "InvalidRequestError",
    "LoadedModel",
    "MicroBatcher",
    "ModelIntegrityError",
    "ModelLoadError",
    "OnnxGenerator",
    "RuntimeOptions",
    "SamplingParams",
    "TextTokenizer",
    "derive_seed",
    "group_by_length",
    "load_model",
]

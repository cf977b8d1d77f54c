"""Build the generator pipeline from settings: codecs, the ONNX engine and topics."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from workers.engine import GenerationRequest, OnnxGenerator, RuntimeOptions, SamplingParams
from workers.generator.pipeline import Pipeline
from workers.generator.writer import PromptJob
from workers.guards.compliance import BANNED_TERMS
from workers.serde import make_codec
from workers.settings import Settings

# Sampling (not greedy) so that five variants of a request differ; the per-request seed
# keeps every variant reproducible.
COPY_SAMPLING = SamplingParams(
    do_sample=True, temperature=0.7, top_k=40, top_p=0.9, repetition_penalty=1.15
)


class OnnxTextGenerator:
    """Adapts the engine to the writer's TextGenerator seam, in engine-sized chunks."""

    def __init__(
        self,
        engine: OnnxGenerator,
        max_batch_size: int = 16,
        sampling: SamplingParams = COPY_SAMPLING,
    ) -> None:
        self.engine = engine
        self.max_batch_size = max_batch_size
        self.sampling = sampling

    @classmethod
    def from_folder(
        cls, folder: Path, options: RuntimeOptions, max_batch_size: int
    ) -> OnnxTextGenerator:
        return cls(OnnxGenerator.from_folder(folder, options), max_batch_size)

    @property
    def model_name(self) -> str:
        return self.engine.model_name

    @property
    def model_version(self) -> str:
        return self.engine.model_version

    @property
    def model_sha256(self) -> str:
        return self.engine.model_sha256

    def generate(self, jobs: Sequence[PromptJob], /) -> list[str]:
        texts: list[str] = []
        for start in range(0, len(jobs), self.max_batch_size):
            chunk = jobs[start : start + self.max_batch_size]
            results = self.engine.generate(
                [
                    GenerationRequest(
                        prompt=j.prompt,
                        seed=j.seed,
                        max_new_tokens=j.max_new_tokens,
                        sampling=self.sampling,
                        banned_terms=BANNED_TERMS[j.locale],
                    )
                    for j in chunk
                ]
            )
            texts.extend(r.text.strip() for r in results)
        return texts


def runtime_options(settings: Settings) -> RuntimeOptions:
    return RuntimeOptions(
        allow_cuda=settings.use_gpu,
        intra_op_num_threads=settings.cpu_threads or None,
    )


def build_pipeline(settings: Settings) -> Pipeline:
    """Everything one generator process needs, built once in main()."""
    registry = settings.schema_registry_url
    auth = (
        settings.schema_registry_basic_auth.get_secret_value()
        if settings.schema_registry_basic_auth
        else None
    )
    generator = OnnxTextGenerator.from_folder(
        settings.model_dir, runtime_options(settings), settings.max_batch_size
    )
    return Pipeline(
        topics=settings.topics,
        product_codec=make_codec("ProductCreated", registry, auth),
        request_codec=make_codec("ContentRequest", registry, auth),
        content_codec=make_codec("GeneratedContent", registry, auth),
        generator=generator,
        max_attempts=settings.max_resample_attempts + 1,
    )

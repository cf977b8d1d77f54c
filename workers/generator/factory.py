"""Build the generator pipeline from settings: codecs, the ONNX engine and topics."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from workers.engine import (
    GenerationRequest,
    GeneratorConfig,
    OnnxGenerator,
    RuntimeOptions,
    SamplingParams,
)
from workers.generator.pipeline import Pipeline
from workers.generator.writer import PromptJob, TextGenerator
from workers.guards.compliance import ALL_BANNED_TERMS
from workers.guards.fluency import WordPairs
from workers.serde import make_codec
from workers.settings import Settings, TopicSettings

# Sampling (not greedy) so that five variants of a request differ; the per-request seed
# keeps every variant reproducible. Measured on 24 held-out requests x 5 variants:
# T=0.7/top-p 0.9/top-k 40 gave distinct-2 0.44 with 98% of drafts passing the guards,
# T=1.0/top-p 0.95 gave 0.52 with 97%, T=1.2 gave 0.55 with 87%. The guards and the
# slot grammar make the hotter setting safe, so variety wins.
COPY_SAMPLING = SamplingParams(
    do_sample=True, temperature=1.0, top_k=0, top_p=0.95, repetition_penalty=1.15
)
# The first draft of a request is the model's most likely copy (greedy): it names more of
# the attributes (held-out coverage 0.87 greedy vs 0.84 sampled) and states fewer false
# facts (2% of first drafts vs 5.5%). Re-tries and extra variants sample, so they differ.
FIRST_DRAFT = SamplingParams(do_sample=False, repetition_penalty=1.15)
# Variants (workers.generator.variants) sample hotter: more of their drafts fail a guard
# (17% at T=1.3 vs 3% at T=1.0) but only passing drafts are picked, and they differ more.
VARIANT_SAMPLING = SamplingParams(
    do_sample=True, temperature=1.3, top_k=0, top_p=0.95, repetition_penalty=1.15
)


class OnnxTextGenerator:
    """Adapts the engine to the writer's TextGenerator seam, in engine-sized chunks."""

    def __init__(
        self,
        engine: OnnxGenerator,
        max_batch_size: int = 16,
        sampling: SamplingParams = COPY_SAMPLING,
        first_draft: SamplingParams = FIRST_DRAFT,
        variant: SamplingParams = VARIANT_SAMPLING,
        word_pairs: WordPairs | None = None,
    ) -> None:
        self.engine = engine
        # The fluency guard's table of the model's training copy (the writer asks for it).
        self.word_pairs = word_pairs
        self.max_batch_size = max_batch_size
        self.sampling = sampling
        self.first_draft = first_draft
        self.variant = variant
        # The compliance guard checks both locales' terms on every text (an English "best"
        # in Chinese copy is still banned), so the decode-time mask forbids them all. Built
        # now (tens of ms) so the first micro-batch does not pay for it.
        engine.banned_index(ALL_BANNED_TERMS)

    @classmethod
    def from_folder(
        cls,
        folder: Path,
        options: RuntimeOptions,
        max_batch_size: int,
        config: GeneratorConfig | None = None,
    ) -> OnnxTextGenerator:
        engine = OnnxGenerator.from_folder(folder, options, config)
        table = engine.model.word_pairs_file
        pairs = WordPairs.load(Path(folder) / table) if table is not None else None
        return cls(engine, max_batch_size, word_pairs=pairs)

    @property
    def model_name(self) -> str:
        return self.engine.model_name

    @property
    def model_version(self) -> str:
        return self.engine.model_version

    @property
    def model_sha256(self) -> str:
        return self.engine.model_sha256

    def _sampling(self, job: PromptJob) -> SamplingParams:
        if job.first_draft:
            return self.first_draft
        return self.variant if job.variant else self.sampling

    def generate(self, jobs: Sequence[PromptJob], /) -> list[str]:
        requests = [
            GenerationRequest(
                prompt=j.prompt,
                seed=j.seed,
                max_new_tokens=j.max_new_tokens,
                sampling=self._sampling(j),
                banned_terms=ALL_BANNED_TERMS,
                slots=j.slots,
            )
            for j in jobs
        ]
        texts: dict[int, str] = {}
        # Every row pays for the longest prompt in its batch: cut full batches from the
        # requests sorted by prompt length. Seeds are per row, so grouping changes no text.
        order = sorted(range(len(requests)), key=lambda i: len(requests[i].prompt))
        for start in range(0, len(order), self.max_batch_size):
            chunk = order[start : start + self.max_batch_size]
            results = self.engine.generate([requests[i] for i in chunk])
            texts.update({i: r.text.strip() for i, r in zip(chunk, results, strict=True)})
        return [texts[i] for i in range(len(requests))]


def runtime_options(settings: Settings) -> RuntimeOptions:
    return RuntimeOptions(
        allow_cuda=settings.use_gpu,
        intra_op_num_threads=settings.cpu_threads or None,
        # Speculative steps feed spans, which the in-place graph's fused attention refuses.
        inplace_graph=settings.inplace_graph and not settings.speculate,
    )


def generator_config(settings: Settings) -> GeneratorConfig:
    return GeneratorConfig(speculate=settings.speculate)


def _samples(generator: TextGenerator) -> bool:
    """Does a new seed give a new text? (The ops stand-ins write the same text for every
    seed, so more drafts or another attempt would only repeat it.)"""
    return bool(getattr(generator, "samples", True))


def drafts_for(generator: TextGenerator, settings: Settings) -> int:
    """Drafts per attempt: the setting, or 1 for a seed-blind generator."""
    return settings.drafts_per_attempt if _samples(generator) else 1


def completion_retries_for(generator: TextGenerator, settings: Settings) -> int:
    """Detail-page retries (writer.wants_every_attribute): the setting, or 0 when seed-blind."""
    return settings.completion_retries if _samples(generator) else 0


def build_pipeline_with(
    settings: Settings,
    generator: TextGenerator,
    topics: TopicSettings | None = None,
    deterministic: bool = False,
    kinds: frozenset[str] | None = None,
) -> Pipeline:
    """A pipeline around any generator; ``topics`` re-routes outputs (replays)."""
    registry = settings.schema_registry_url
    auth = (
        settings.schema_registry_basic_auth.get_secret_value()
        if settings.schema_registry_basic_auth
        else None
    )
    return Pipeline(
        topics=topics or settings.topics,
        product_codec=make_codec("ProductCreated", registry, auth),
        request_codec=make_codec("ContentRequest", registry, auth),
        content_codec=make_codec("GeneratedContent", registry, auth),
        generator=generator,
        max_attempts=settings.max_resample_attempts + 1,
        drafts=drafts_for(generator, settings),
        completion_retries=completion_retries_for(generator, settings),
        deterministic=deterministic,
        kinds=kinds,
    )


def build_pipeline(settings: Settings) -> Pipeline:
    """Everything one generator process needs, built once in main()."""
    generator = OnnxTextGenerator.from_folder(
        settings.model_dir,
        runtime_options(settings),
        settings.max_batch_size,
        generator_config(settings),
    )
    return build_pipeline_with(settings, generator)

"""``copyflow eval``: the generator on held-out products and categories.

Reports attribute coverage, unsupported facts and banned terms before and after the guards,
distinct-1/2 across 5 variants (workers.generator.variants), length compliance, held-out
perplexity and the fallback rate.
Writes a markdown report and a PNG chart.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from workers.domain import ContentRequest
from workers.evaluation.metrics import distinct_n, mean, slot_recall
from workers.evaluation.perplexity import copy_perplexity
from workers.generator.factory import OnnxTextGenerator
from workers.generator.variants import write_variants
from workers.generator.writer import write_copy
from workers.guards import GuardResult, check_all
from workers.guards.claims import CLAIMS
from workers.guards.fluency import FLUENCY

VARIANTS = 5


@dataclass(frozen=True, slots=True)
class EvalReport:
    model: str
    requests: int
    attribute_coverage: float
    unsupported_fact_rate_raw: float
    unsupported_fact_rate_published: float
    banned_term_rate_raw: float
    banned_term_rate_published: float
    mispaired_price_rate_raw: float
    mispaired_price_rate_published: float
    # First drafts that worded an attribute as another kind ("{1.battery}大屏") or claimed
    # another category's benefit, refused or cut before publishing (guards.frames, .claims).
    misworded_attribute_rate_raw: float
    foreign_benefit_rate_raw: float
    # First drafts with words the model's training copy never put together (guards.fluency).
    unfluent_rate_raw: float
    length_compliance_raw: float
    length_compliance_published: float
    distinct_1: float
    distinct_2: float
    perplexity: float
    fallback_rate: float
    first_draft_pass_rate: float
    # Attempts after the first, per request: re-samples after failing drafts, and a detail
    # page's one more try to name every attribute (writer.wants_every_attribute).
    extra_attempts_per_request: float
    drafts_per_attempt: int
    variant_pool: int
    seconds: float


def _misworded(guards: list[GuardResult]) -> bool:
    """A slot worded as another attribute: refused ("… worded as …") or its clause cut."""
    return any(
        g.name == "slots" and ("worded as" in g.detail or g.detail.startswith("cut:"))
        for g in guards
    )


def _foreign_benefit(guards: list[GuardResult]) -> bool:
    """Another category's benefit: refused, or cut (a passing verdict that says what)."""
    return any(g.name == CLAIMS and bool(g.detail) for g in guards)


def _failed(guards: list[GuardResult], name: str) -> bool:
    return any(g.name == name and not g.passed for g in guards)


def evaluate(
    generator: OnnxTextGenerator,
    count: int,
    variants_for: int,
    max_attempts: int = 3,
    drafts: int = 5,
    pool: int = 12,
    completion_retries: int = 1,
) -> tuple[EvalReport, list[tuple[ContentRequest, str, str, bool]]]:
    """Run the evaluation; return the figures and (request, reference, text, fallback) samples."""
    from export.corpus import eval_examples  # the held-out split lives with the corpus

    started = time.perf_counter()
    examples = eval_examples(count)
    requests = [e.request for e in examples]
    first_drafts: dict[str, list[GuardResult]] = {}
    later_attempts: set[tuple[str, int]] = set()

    def observe(
        attempt: int, draft: int, req: ContentRequest, _text: str, guards: list[GuardResult]
    ) -> None:
        if attempt == 0 and draft == 0:
            first_drafts[req.request_id] = guards
        elif attempt > 0:
            later_attempts.add((req.request_id, attempt))

    written = write_copy(
        requests,
        generator,
        max_attempts,
        observe=observe,
        drafts=drafts,
        completion_retries=completion_retries,
    )
    raw = list(first_drafts.values())
    published = [check_all(w.text, w.request) for w in written]
    recall = [
        slot_recall(w.text, e.target, e.request) for w, e in zip(written, examples, strict=True)
    ]
    mentioned = sum(m for m, _ in recall)
    wanted = sum(w for _, w in recall)

    distinct1: list[float] = []
    distinct2: list[float] = []
    for texts in write_variants(
        requests[:variants_for], generator, VARIANTS, pool=pool, drafts=drafts
    ):
        distinct1.append(distinct_n(texts, 1))
        distinct2.append(distinct_n(texts, 2))

    ppl = copy_perplexity(generator.engine, [(e.prompt, e.slotted) for e in examples])
    n = len(requests)
    report = EvalReport(
        model=f"{generator.model_name} {generator.model_version}",
        requests=n,
        attribute_coverage=mentioned / wanted if wanted else 1.0,
        unsupported_fact_rate_raw=sum(_failed(g, "facts") for g in raw) / n,
        unsupported_fact_rate_published=sum(_failed(g, "facts") for g in published) / n,
        banned_term_rate_raw=sum(_failed(g, "compliance") for g in raw) / n,
        banned_term_rate_published=sum(_failed(g, "compliance") for g in published) / n,
        mispaired_price_rate_raw=sum(_failed(g, "pairing") for g in raw) / n,
        mispaired_price_rate_published=sum(_failed(g, "pairing") for g in published) / n,
        misworded_attribute_rate_raw=sum(_misworded(g) for g in raw) / n,
        foreign_benefit_rate_raw=sum(_foreign_benefit(g) for g in raw) / n,
        unfluent_rate_raw=sum(_failed(g, FLUENCY) for g in raw) / n,
        length_compliance_raw=1 - sum(_failed(g, "length") for g in raw) / n,
        length_compliance_published=1 - sum(_failed(g, "length") for g in published) / n,
        distinct_1=mean(distinct1),
        distinct_2=mean(distinct2),
        perplexity=ppl,
        fallback_rate=sum(w.fallback for w in written) / n,
        first_draft_pass_rate=sum(all(g.passed for g in gs) for gs in raw) / n,
        extra_attempts_per_request=len(later_attempts) / n,
        drafts_per_attempt=drafts,
        variant_pool=pool,
        seconds=time.perf_counter() - started,
    )
    samples = [
        (w.request, e.target, w.text, w.fallback) for w, e in zip(written, examples, strict=True)
    ]
    return report, samples


def failure_counts(samples_guards: list[list[GuardResult]]) -> Counter[str]:
    return Counter(g.name for gs in samples_guards for g in gs if not g.passed)


def write_markdown(
    report: EvalReport, samples: list[tuple[ContentRequest, str, str, bool]], path: Path
) -> None:
    rows = "\n".join(
        f"| {k} | {v:.4f} |" if isinstance(v, float) else f"| {k} | {v} |"
        for k, v in asdict(report).items()
    )
    picks: list[str] = []
    seen: set[tuple[str, str]] = set()
    for req, ref, text, fallback in samples:
        key = (req.locale, req.kind)
        if key in seen:
            continue
        seen.add(key)
        title = req.items[0].title
        segment = req.persona.segment if req.persona else "general"
        picks.append(
            f"- **{req.locale} {req.kind} / {req.channel} / {segment}** "
            f"({title}){' [fallback]' if fallback else ''}\n  - model: {text}\n  - reference: {ref}"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# copyflow eval (held-out products and categories)\n\n"
        "| metric | value |\n|---|---|\n" + rows + "\n\n## Samples\n\n" + "\n".join(picks) + "\n",
        encoding="utf-8",
    )


def write_chart(report: EvalReport, path: Path) -> bool:
    """A bar chart of the rates; False when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    names = [
        "coverage",
        "unsupported\nraw",
        "unsupported\npublished",
        "banned\nraw",
        "banned\npublished",
        "length ok\npublished",
        "distinct-2",
        "fallback",
    ]
    values = [
        report.attribute_coverage,
        report.unsupported_fact_rate_raw,
        report.unsupported_fact_rate_published,
        report.banned_term_rate_raw,
        report.banned_term_rate_published,
        report.length_compliance_published,
        report.distinct_2,
        report.fallback_rate,
    ]
    fig, ax = plt.subplots(figsize=(10, 4))
    bars = ax.bar(names, values, color=["#4c72b0"] * len(values))
    ax.bar_label(bars, fmt="%.3f")
    ax.set_ylim(0, 1.1)
    ax.set_title(
        f"copyflow eval — {report.model}, {report.requests} held-out requests, "
        f"ppl {report.perplexity:.2f}"
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True

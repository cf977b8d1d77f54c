"""Write guarded copy for a batch of requests: generate, guard, re-sample, fall back.

Never publishes a failing text: after ``max_attempts`` drafts fail a guard, the request gets
the deterministic template and ``fallback=True``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from workers.domain import Channel, ContentRequest, Locale
from workers.generator.identity import sampling_seed
from workers.guards import GuardResult, check_all, passed
from workers.prompt import build_prompt
from workers.slots import allowed_slots, realize
from workers.templates import fallback_text

# Token budgets per channel; the length guard holds the hard character limits.
MAX_NEW_TOKENS: dict[Channel, int] = {
    "detail_page": 160,
    "feed_card": 72,
    "push": 40,
    "search_ad": 48,
}


@dataclass(frozen=True, slots=True)
class PromptJob:
    """One generation job for the text generator."""

    prompt: str
    seed: int
    max_new_tokens: int
    locale: Locale
    # The {N.key} slots the request has; the engine writes no other (see workers.slots).
    slots: tuple[str, ...] = ()
    # The request's first draft: the generator writes its most likely text (see factory).
    first_draft: bool = False


class TextGenerator(Protocol):
    """The model seam: prompts in, texts out, in the same order."""

    @property
    def model_name(self) -> str: ...

    @property
    def model_version(self) -> str: ...

    @property
    def model_sha256(self) -> str: ...

    def generate(self, jobs: Sequence[PromptJob], /) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class WrittenCopy:
    """The published text for one request and how it came to be."""

    request: ContentRequest
    text: str
    seed: int
    attempts: int
    fallback: bool
    guards: tuple[GuardResult, ...]
    latency_ms: float
    publishable: bool = True


DraftObserver = Callable[[int, ContentRequest, str, list[GuardResult]], None]


def write_copy(
    requests: Sequence[ContentRequest],
    generator: TextGenerator,
    max_attempts: int = 3,
    observe: DraftObserver | None = None,
) -> list[WrittenCopy]:
    """Generate, guard and re-sample a batch; failing requests fall back to a template.

    ``observe(attempt, request, draft, verdicts)`` sees every model draft (the evaluation
    measures raw drafts through it).
    """
    started = time.perf_counter()
    version = generator.model_version
    results: dict[int, WrittenCopy] = {}
    last_guards: dict[int, list[GuardResult]] = {}
    pending = list(range(len(requests)))
    for attempt in range(max_attempts):
        if not pending:
            break
        jobs = [
            PromptJob(
                prompt=build_prompt(requests[i]),
                seed=sampling_seed(requests[i], version, attempt),
                max_new_tokens=MAX_NEW_TOKENS[requests[i].channel],
                locale=requests[i].locale,
                slots=allowed_slots(requests[i]),
                first_draft=attempt == 0,
            )
            for i in pending
        ]
        drafts = generator.generate(jobs)
        still: list[int] = []
        for i, job, draft in zip(pending, jobs, drafts, strict=True):
            text, unresolved = realize(draft, requests[i])
            guards = check_all(text, requests[i])
            if unresolved:
                guards.insert(
                    0, GuardResult("slots", False, "unresolved: " + ", ".join(unresolved))
                )
            if observe is not None:
                observe(attempt, requests[i], text, guards)
            if passed(guards):
                results[i] = WrittenCopy(
                    request=requests[i],
                    text=text,
                    seed=job.seed,
                    attempts=attempt + 1,
                    fallback=False,
                    guards=tuple(guards),
                    latency_ms=0.0,
                )
            else:
                last_guards[i] = guards
                still.append(i)
        pending = still
    for i in pending:
        text = fallback_text(requests[i])
        # The template is checked like any draft, and the failed draft's verdicts are kept
        # (prefixed) so the record shows why the model's text was not published.
        guards = check_all(text, requests[i])
        failed = [
            GuardResult(f"draft.{g.name}", g.passed, g.detail) for g in last_guards.get(i, [])
        ]
        results[i] = WrittenCopy(
            request=requests[i],
            text=text,
            seed=sampling_seed(requests[i], version, 0),
            attempts=max_attempts,
            fallback=True,
            guards=tuple(guards + [g for g in failed if not g.passed]),
            latency_ms=0.0,
            # A template that fails its own guards means the request can never be served.
            publishable=passed(guards),
        )
    elapsed_ms = (time.perf_counter() - started) * 1000.0
    # Requests in one micro-batch share the wall time; each record carries it.
    return [
        WrittenCopy(
            request=r.request,
            text=r.text,
            seed=r.seed,
            attempts=r.attempts,
            fallback=r.fallback,
            guards=r.guards,
            latency_ms=elapsed_ms,
            publishable=r.publishable,
        )
        for r in (results[i] for i in range(len(requests)))
    ]

"""The writer publishes only texts that pass every guard, re-samples, then falls back."""

from __future__ import annotations

from collections.abc import Sequence

from tests.unit.factories import request
from workers.generator.writer import PromptJob, write_copy
from workers.guards import check_all, passed


class ScriptedGenerator:
    """A test double for the model seam: returns scripted drafts per attempt, records jobs."""

    model_name = "scripted"
    model_version = "0.0.1"
    model_sha256 = "0" * 64

    def __init__(self, drafts_per_call: list[list[str]]) -> None:
        self.drafts_per_call = drafts_per_call
        self.jobs: list[list[PromptJob]] = []

    def generate(self, jobs: Sequence[PromptJob], /) -> list[str]:
        self.jobs.append(list(jobs))
        return self.drafts_per_call[len(self.jobs) - 1][: len(jobs)]


GOOD = "Sonora headphones with 35 hours of battery, now 129.99 USD."
BANNED = "The best headphones ever, guaranteed."
FALSE_PRICE = "Sonora headphones for just 99.00 USD."


def test_good_first_draft_is_published() -> None:
    """A first draft that passes every guard is published with attempts=1."""
    gen = ScriptedGenerator([[GOOD]])
    [copy] = write_copy([request()], gen, max_attempts=3)
    assert copy.text == GOOD and copy.attempts == 1 and not copy.fallback
    assert passed(copy.guards)


def test_failing_draft_is_resampled_with_a_new_seed() -> None:
    """A banned claim triggers a re-sample with a different seed; the passing one is published."""
    gen = ScriptedGenerator([[BANNED], [GOOD]])
    [copy] = write_copy([request()], gen, max_attempts=3)
    assert copy.text == GOOD and copy.attempts == 2
    assert gen.jobs[0][0].seed != gen.jobs[1][0].seed


def test_first_draft_is_the_likely_text_and_retries_sample() -> None:
    """Attempt 0 asks for the model's most likely text; re-tries ask for samples."""
    gen = ScriptedGenerator([[BANNED], [FALSE_PRICE], [GOOD]])
    write_copy([request()], gen, max_attempts=3)
    assert [jobs[0].first_draft for jobs in gen.jobs] == [True, False, False]


def test_persistent_failure_falls_back_to_template() -> None:
    """After max_attempts failing drafts the deterministic template is published, as fallback."""
    gen = ScriptedGenerator([[FALSE_PRICE], [BANNED], [FALSE_PRICE]])
    req = request()
    [copy] = write_copy([req], gen, max_attempts=3)
    assert copy.fallback and copy.publishable
    assert passed(check_all(copy.text, req))
    assert "99.00" not in copy.text and "best" not in copy.text.lower()
    assert any(g.name.startswith("draft.") and not g.passed for g in copy.guards)


def test_only_failing_rows_are_resampled() -> None:
    """In a batch, rows that passed are not generated again."""
    gen = ScriptedGenerator([[GOOD, BANNED], [GOOD]])
    a, b = request(request_id="a"), request(request_id="b")
    copies = write_copy([a, b], gen, max_attempts=2)
    assert [len(j) for j in gen.jobs] == [2, 1]
    assert [c.attempts for c in copies] == [1, 2]


def test_same_request_same_seed() -> None:
    """Seeds depend only on the request and model version, not on batch position."""
    gen1 = ScriptedGenerator([[GOOD, GOOD]])
    gen2 = ScriptedGenerator([[GOOD, GOOD]])
    a, b = request(request_id="a"), request(request_id="b")
    write_copy([a, b], gen1)
    write_copy([b, a], gen2)
    assert gen1.jobs[0][0].seed == gen2.jobs[0][1].seed

"""Variants: the published copy first, then passing drafts that differ most from the picks."""

from __future__ import annotations

from collections.abc import Sequence

from tests.unit.factories import request
from workers.generator.coverage import bigrams
from workers.generator.variants import pick_diverse, write_variants
from workers.generator.writer import PromptJob
from workers.guards import check_all, passed

PUBLISHED = "Sonora headphones in Black, now 129.99 USD."
NEAR_COPY = "Sonora headphones in Black, now just 129.99 USD."
DIFFERENT = "Thirty-five hours of play: the Noise Cancelling Headphones H7 by Sonora."
ALSO_DIFFERENT = "Black, light and quiet. Meet Sonora."
BANNED = "The best headphones ever, guaranteed."


class PoolGenerator:
    """Answers the writer's first draft with PUBLISHED and the pool with scripted drafts."""

    model_name = "scripted"
    model_version = "0.0.1"
    model_sha256 = "0" * 64

    def __init__(self, pool: list[str]) -> None:
        self.pool = pool
        self.jobs: list[list[PromptJob]] = []

    def generate(self, jobs: Sequence[PromptJob], /) -> list[str]:
        self.jobs.append(list(jobs))
        if all(j.variant for j in jobs):
            return (self.pool * len(jobs))[: len(jobs)]
        return [PUBLISHED] * len(jobs)


def test_pick_diverse_takes_the_least_overlapping_draft_next() -> None:
    req = request()
    picks = pick_diverse(PUBLISHED, [NEAR_COPY, DIFFERENT, ALSO_DIFFERENT], 2, req)
    assert picks[0] == PUBLISHED
    assert picks[1] in (DIFFERENT, ALSO_DIFFERENT)
    shared = len(bigrams(picks[1]) & bigrams(PUBLISHED))
    assert shared < len(bigrams(NEAR_COPY) & bigrams(PUBLISHED))


def test_pick_diverse_never_repeats_a_text() -> None:
    picks = pick_diverse(PUBLISHED, [PUBLISHED, DIFFERENT, DIFFERENT], 5, request())
    assert picks == [PUBLISHED, DIFFERENT]


def test_variants_are_published_copy_first_and_all_pass_the_guards() -> None:
    req = request()
    gen = PoolGenerator([BANNED, NEAR_COPY, DIFFERENT, ALSO_DIFFERENT])
    [texts] = write_variants([req], gen, count=3, pool=8)
    assert texts[0] == PUBLISHED
    assert len(texts) == 3 and len(set(texts)) == 3
    assert BANNED not in texts
    assert all(passed(check_all(t, req)) for t in texts)
    # The pool samples hotter (variant jobs) with seeds of its own.
    pool_jobs = gen.jobs[-1]
    assert len(pool_jobs) == 8 and all(j.variant and not j.first_draft for j in pool_jobs)
    writer_seeds = {j.seed for jobs in gen.jobs[:-1] for j in jobs}
    assert not writer_seeds & {j.seed for j in pool_jobs}


def test_too_few_passing_drafts_give_fewer_variants() -> None:
    gen = PoolGenerator([BANNED])
    [texts] = write_variants([request()], gen, count=5, pool=4)
    assert texts == [PUBLISHED]

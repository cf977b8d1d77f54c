"""The writer publishes only texts that pass every guard, re-samples, then falls back."""

from __future__ import annotations

from collections.abc import Sequence

from tests.unit.factories import item, request
from workers.generator.writer import PromptJob, write_copy
from workers.guards import GuardResult, check_all, passed


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


# Drafts that pass every guard and name 2, 3 and 1 of the request's attributes.
NAMES_TWO = "Sonora headphones, now 129.99 USD."
NAMES_THREE = "Sonora headphones in Black, now 129.99 USD."
NAMES_ONE = "Noise Cancelling Headphones H7, now 129.99 USD."


def test_of_several_drafts_the_one_naming_most_attributes_is_published() -> None:
    """With drafts=3 the passing draft that names the most attributes wins."""
    gen = ScriptedGenerator([[NAMES_TWO, NAMES_THREE, NAMES_ONE]])
    [copy] = write_copy([request()], gen, max_attempts=3, drafts=3)
    assert copy.text == NAMES_THREE and copy.attempts == 1
    assert copy.seed == gen.jobs[0][1].seed  # the seed of the draft that was published


def test_a_failing_draft_never_wins_however_much_it_names() -> None:
    """A draft that fails a guard is not published even when it names more."""
    loaded = "Sonora headphones in Black, the best ever, now 129.99 USD."
    gen = ScriptedGenerator([[NAMES_ONE, loaded, NAMES_ONE + " Shop now."]])
    [copy] = write_copy([request()], gen, max_attempts=3, drafts=3)
    assert copy.text == NAMES_ONE


def test_ties_go_to_the_earlier_draft() -> None:
    """Equal coverage: the first draft (the model's most likely text) is kept."""
    gen = ScriptedGenerator([[NAMES_TWO, "Sonora sound, now 129.99 USD.", NAMES_ONE]])
    [copy] = write_copy([request()], gen, max_attempts=3, drafts=3)
    assert copy.text == NAMES_TWO


def test_only_the_very_first_draft_is_greedy_and_every_seed_differs() -> None:
    """Attempt 0 draft 0 is the likely text; every other draft samples with its own seed."""
    gen = ScriptedGenerator([[GOOD] + [BANNED] * 5, [BANNED, GOOD, BANNED]])
    a, b = request(request_id="a"), request(request_id="b")
    copies = write_copy([a, b], gen, max_attempts=2, drafts=3)
    assert [len(j) for j in gen.jobs] == [6, 3]  # b's second attempt only, three drafts
    flags = [job.first_draft for jobs in gen.jobs for job in jobs]
    assert flags == [True, False, False, True, False, False, False, False, False]
    seeds_b = [job.seed for job in gen.jobs[0][3:]] + [job.seed for job in gen.jobs[1]]
    assert len(set(seeds_b)) == 6
    assert [c.attempts for c in copies] == [1, 2]
    assert copies[1].text == GOOD and copies[1].seed == gen.jobs[1][1].seed


def test_one_draft_per_attempt_keeps_the_attempt_seeds() -> None:
    """drafts=1 draws the same seeds as before drafts existed: attempt k uses seed k."""
    from workers.generator.identity import sampling_seed

    gen = ScriptedGenerator([[BANNED], [FALSE_PRICE], [GOOD]])
    req = request()
    write_copy([req], gen, max_attempts=3)
    assert [j[0].seed for j in gen.jobs] == [sampling_seed(req, "0.0.1", k) for k in range(3)]


def test_drafts_must_be_positive() -> None:
    import pytest

    with pytest.raises(ValueError, match="drafts"):
        write_copy([request()], ScriptedGenerator([]), drafts=0)


def test_pipelines_ask_seed_blind_stand_ins_for_one_draft() -> None:
    """The ops stand-ins write the same text whatever the seed: one draft each, not three."""
    from workers.generator.factory import completion_retries_for, drafts_for
    from workers.ops.fast_generators import CannedTextGenerator
    from workers.settings import Settings

    settings = Settings(drafts_per_attempt=3)
    assert drafts_for(CannedTextGenerator(), settings) == 1
    assert drafts_for(ScriptedGenerator([]), settings) == 3
    assert completion_retries_for(CannedTextGenerator(), settings) == 0
    assert completion_retries_for(ScriptedGenerator([]), settings) == 1
    assert completion_retries_for(ScriptedGenerator([]), Settings(completion_retries=0)) == 0


def test_another_categorys_benefit_is_cut_and_the_cut_is_on_record() -> None:
    """The factory item is headphones: a kitchen benefit is cut, the facts are published."""
    draft = GOOD + " Easy to clean."
    [copy] = write_copy([request()], ScriptedGenerator([[draft]]), max_attempts=1)
    assert copy.text == GOOD and not copy.fallback
    claims = next(g for g in copy.guards if g.name == "claims")
    assert claims.passed and "easy to clean" in claims.detail


def test_a_slot_worded_as_another_attribute_is_refused() -> None:
    """ "35 hours" is a battery: a draft that calls it a screen is re-sampled."""
    wrong = "Sonora headphones with a {1.battery} screen, now 129.99 USD."
    gen = ScriptedGenerator([[wrong], [GOOD]])
    verdicts: list[list[GuardResult]] = []
    [copy] = write_copy(
        [request()], gen, max_attempts=2, observe=lambda *args: verdicts.append(args[4])
    )
    assert copy.text == GOOD and copy.attempts == 2
    slots = next(g for g in verdicts[0] if g.name == "slots")
    assert not slots.passed and "worded as screen" in slots.detail


def test_a_chinese_clause_worded_as_another_attribute_is_cut_on_record() -> None:
    req = request(
        locale="zh",
        items=(
            item(
                title="降噪蓝牙耳机 Q5",
                brand="声悦",
                category_path=("数码", "耳机"),
                price="399.00",
                currency="CNY",
                attributes={"battery": "30小时", "color": "黑色"},
            ),
        ),
    )
    draft = "{1.title}来了，{1.battery}大屏，{1.color}款，售价{1.price}元。"
    [copy] = write_copy([req], ScriptedGenerator([[draft]]), max_attempts=1)
    assert copy.text == "降噪蓝牙耳机 Q5来了，黑色款，售价399.00元。" and not copy.fallback
    slots = next(g for g in copy.guards if g.name == "slots")
    assert slots.passed and "{1.battery}大屏" in slots.detail


def test_a_detail_page_text_that_leaves_an_attribute_out_gets_one_more_attempt() -> None:
    """A detail page's description names every attribute: when no passing draft does, one
    more attempt is made and the draft naming the most of both attempts is published."""
    req = request(kind="description", channel="detail_page")
    gen = ScriptedGenerator([[NAMES_TWO, NAMES_ONE], [NAMES_THREE, NAMES_ONE]])
    [copy] = write_copy([req], gen, max_attempts=3, drafts=2)
    assert len(gen.jobs) == 2 and copy.text == NAMES_THREE and copy.attempts == 2
    assert copy.seed == gen.jobs[1][0].seed


def test_the_held_draft_wins_when_the_extra_attempt_names_no_more() -> None:
    """Only one extra attempt, and a tie keeps the earlier attempt's draft."""
    req = request(kind="ad", channel="detail_page")
    same = "Sonora sound, now 129.99 USD."  # names two, like NAMES_TWO
    gen = ScriptedGenerator([[NAMES_TWO, NAMES_ONE], [same, BANNED], [GOOD, GOOD]])
    [copy] = write_copy([req], gen, max_attempts=3, drafts=2)
    assert len(gen.jobs) == 2 and copy.text == NAMES_TWO and not copy.fallback
    assert copy.seed == gen.jobs[0][0].seed


def test_a_complete_detail_page_draft_and_other_channels_get_no_extra_attempt() -> None:
    """A draft naming every attribute is published at once; a feed card or push picks a
    few attributes, and a recommendation several items', so they are not asked for all."""
    names_all = "Sonora headphones in Black with 35 hours of battery, now 129.99 USD."
    full = request(kind="description", channel="detail_page")
    gen = ScriptedGenerator([[names_all, NAMES_ONE]])
    [copy] = write_copy([full], gen, max_attempts=3, drafts=2)
    assert copy.text == names_all and len(gen.jobs) == 1
    for other in (
        request(kind="description", channel="feed_card"),
        request(kind="recommendation", channel="detail_page"),
    ):
        gen = ScriptedGenerator([[NAMES_TWO, NAMES_ONE]])
        assert write_copy([other], gen, max_attempts=3, drafts=2)[0].text == NAMES_TWO
        assert len(gen.jobs) == 1
    gen = ScriptedGenerator([[NAMES_TWO, NAMES_ONE]])
    [copy] = write_copy([full], gen, max_attempts=3, drafts=2, completion_retries=0)
    assert copy.text == NAMES_TWO and len(gen.jobs) == 1


def test_the_last_attempt_publishes_what_it_has() -> None:
    """With no attempt left, an incomplete detail-page draft is published, not dropped."""
    req = request(kind="description", channel="detail_page")
    gen = ScriptedGenerator([[BANNED], [NAMES_ONE]])
    [copy] = write_copy([req], gen, max_attempts=2)
    assert copy.text == NAMES_ONE and copy.attempts == 2 and not copy.fallback

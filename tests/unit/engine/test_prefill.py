"""Grouped prefill: groups bound the padding, joined caches decode like a one-block prefill."""

from __future__ import annotations

import numpy as np
import pytest

from tests.unit.engine.conftest import TEST_OPTIONS
from tests.unit.engine.test_real_model import REAL_MODEL
from workers.engine import GenerationRequest, GeneratorConfig, OnnxGenerator, SamplingParams
from workers.engine.prefill import join_caches, length_groups
from workers.engine.runner import HostRunner


def test_groups_cover_every_row_once_and_bound_the_padding() -> None:
    lengths = [54, 183, 85, 90, 60, 61, 120, 118, 55, 183, 70, 71]
    groups = length_groups(lengths, slack=1.2)
    assert sorted(i for g in groups for i in g) == list(range(len(lengths)))
    for group in groups:
        width = max(lengths[i] for i in group)
        assert len(group) * width <= 1.2 * sum(lengths[i] for i in group)
    padded = sum(len(g) * max(lengths[i] for i in g) for g in groups)
    assert padded < len(lengths) * max(lengths)  # less than one padded block
    assert length_groups([7, 7, 7]) == [[0, 1, 2]]  # equal lengths: one group
    assert length_groups([]) == []
    with pytest.raises(ValueError):
        length_groups([3], slack=0.5)


def test_join_right_aligns_each_group_and_zeroes_the_rest() -> None:
    a = np.ones((2, 1, 3, 2), dtype=np.float32)  # rows 0 and 2, width 3
    b = np.full((1, 1, 5, 2), 2.0, dtype=np.float32)  # row 1, width 5
    [joined] = join_caches([([0, 2], [a]), ([1], [b])], batch=3, width=5)
    assert joined.shape == (3, 1, 5, 2)
    assert (joined[[0, 2], :, :2] == 0).all() and (joined[[0, 2], :, 2:] == 1).all()
    assert (joined[1] == 2).all()


def test_join_copies_shared_rows_and_leaves_room_in_one_pass() -> None:
    """Drafts (output rows 0-3 from prefilled rows 1, 0, 1, 1) with room for 3 more."""
    a = np.full((1, 1, 2, 2), 5.0, dtype=np.float32)  # prefilled row 0, width 2
    b = np.full((1, 1, 4, 2), 7.0, dtype=np.float32)  # prefilled row 1, width 4
    [joined] = join_caches([([1], [b]), ([0], [a])], 2, 4, capacity=7, rows_of=[1, 0, 1, 1])
    assert joined.shape == (4, 1, 7, 2) and joined.flags.c_contiguous
    assert (joined[[0, 2, 3], :, :4] == 7).all()
    assert (joined[1, :, :2] == 0).all() and (joined[1, :, 2:4] == 5).all()
    assert (joined[:, :, 4:] == 0).all()  # the room is zero, never read uninitialised
    with pytest.raises(ValueError, match="capacity"):
        join_caches([([0], [a])], 1, 4, capacity=3)


@pytest.mark.slow
@pytest.mark.skipif(not (REAL_MODEL / "manifest.json").is_file(), reason=f"no {REAL_MODEL}")
@pytest.mark.parametrize("sampled", [False, True], ids=["greedy", "sampled"])
def test_grouped_prefill_writes_what_one_block_writes(sampled: bool) -> None:
    """Held-out prompts of 54-183 tokens: the same texts with and without grouping."""
    from export.corpus import eval_examples

    sampling = (
        SamplingParams(do_sample=True, temperature=0.9, top_k=40, top_p=0.95)
        if sampled
        else SamplingParams()
    )
    requests = [
        GenerationRequest(e.prompt, seed=i, max_new_tokens=24, sampling=sampling)
        for i, e in enumerate(eval_examples(12))
    ]
    grouped = OnnxGenerator.from_folder(REAL_MODEL, TEST_OPTIONS)
    one_block = OnnxGenerator.from_folder(
        REAL_MODEL, TEST_OPTIONS, GeneratorConfig(prefill_slack=None)
    )
    lengths = [len(grouped.tokenizer.encode(r.prompt)) for r in requests]
    assert len(length_groups(lengths)) > 1  # the test really exercises grouping
    assert [r.token_ids for r in grouped.generate(requests)] == [
        r.token_ids for r in one_block.generate(requests)
    ]


@pytest.mark.slow
@pytest.mark.skipif(not (REAL_MODEL / "manifest.json").is_file(), reason=f"no {REAL_MODEL}")
def test_drafts_sharing_a_prompt_prefill_it_once_and_decode_as_before() -> None:
    """Five seeds of each of three prompts (a writer's drafts): one prefill per prompt,
    and every row writes what it writes without the sharing."""
    from export.corpus import eval_examples

    sampling = SamplingParams(do_sample=True, temperature=1.0, top_p=0.95)
    prompts = [e.prompt for e in eval_examples(3)]
    requests = [
        GenerationRequest(p, seed=10 * i + d, max_new_tokens=24, sampling=sampling)
        for i, p in enumerate(prompts)
        for d in range(5)
    ]
    shared = OnnxGenerator.from_folder(REAL_MODEL, TEST_OPTIONS)
    prefilled: list[int] = []
    original = HostRunner.forward

    def counting(self: HostRunner, ids: np.ndarray, mask: np.ndarray, pos: np.ndarray):  # type: ignore[no-untyped-def]
        if ids.shape[1] > 1:
            prefilled.append(ids.shape[0])
        return original(self, ids, mask, pos)

    one_block = OnnxGenerator.from_folder(
        REAL_MODEL, TEST_OPTIONS, GeneratorConfig(prefill_slack=None)
    )
    expected = [r.token_ids for r in one_block.generate(requests)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(HostRunner, "forward", counting)
        got = [r.token_ids for r in shared.generate(requests)]
    assert sum(prefilled) == 3  # three prompt rows prefilled, not fifteen
    assert got == expected
    assert len(set(got)) > 3  # the seeds still give different drafts

"""Speculative decoding: the n-gram table, spans in the runners, and the same text in
fewer steps on the real model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.unit.engine.test_inplace import held_out_requests
from tests.unit.engine.test_real_model import REAL_MODEL
from workers.engine import GeneratorConfig, OnnxGenerator
from workers.engine.errors import ModelLoadError
from workers.engine.generate import left_pad
from workers.engine.manifest import parse_manifest
from workers.engine.model import RuntimeOptions
from workers.engine.runner import BoundRunner, HostRunner
from workers.engine.speculate import NGRAM_FILE, NgramTable, build_table

STOP = frozenset({2})
needs_model = pytest.mark.skipif(
    not (REAL_MODEL / "manifest.json").is_file(), reason=f"no model folder at {REAL_MODEL}"
)
# model.onnx: the graph that takes spans (the in-place graph's fused attention refuses them).
CONCAT = RuntimeOptions(intra_op_num_threads=1, allow_spinning=False, inplace_graph=False)
SPECULATE = GeneratorConfig(speculate=True)


def test_the_table_keeps_frequent_dominant_continuations() -> None:
    sequences = [[5, 6, 7, 2]] * 3 + [[5, 6, 8, 2]] * 2 + [[9, 6, 8, 2]]
    table = build_table(sequences, order=2, min_count=3, min_share=0.5)
    assert table.next_token([5]) == 6
    assert table.next_token([5, 6]) == 7  # 3 of 5
    # [9, 6] was seen once (< min_count): the draft backs off to [6], where 8 and 7 tie
    # at 3 each and the smaller id wins.
    assert table.next_token([9, 6]) == 7
    assert table.next_token([4]) is None
    strict = build_table(sequences, order=2, min_count=3, min_share=0.7)
    assert strict.next_token([5, 6]) is None  # 7 follows only 60% of the time


def test_a_draft_chains_guesses_and_ends_at_a_stop_id() -> None:
    table = build_table([[5, 6, 7, 2]] * 4, order=2, min_count=1)
    assert table.draft([5], 10, STOP) == [6, 7, 2]
    assert table.draft([5], 2, STOP) == [6, 7]
    assert table.draft([5], 0, STOP) == []
    assert table.draft([42], 3, STOP) == []


def test_a_saved_table_loads_the_same(tmp_path: Path) -> None:
    table = build_table([[1, 2, 3, 4, 5, 2]] * 3 + [[3, 4, 9, 2]] * 3, order=3, min_count=2)
    table.save(tmp_path / NGRAM_FILE)
    loaded = NgramTable.load(tmp_path / NGRAM_FILE)
    assert loaded.order == 3 and len(loaded) == len(table) > 0
    for context in ([1], [1, 2], [2, 3, 4], [3, 4], [7, 3, 4], [9]):
        assert loaded.draft(context, 5, STOP) == table.draft(context, 5, STOP)


def test_a_broken_table_is_a_load_error(tmp_path: Path) -> None:
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ModelLoadError, match="cannot read the n-gram table"):
        NgramTable.load(tmp_path / "junk.npz")
    with (tmp_path / "bad.npz").open("wb") as handle:
        np.savez(handle, order=np.int32(2), contexts=np.zeros((3, 4)), next=np.zeros(3))
    with pytest.raises(ModelLoadError, match="contexts"):
        NgramTable.load(tmp_path / "bad.npz")


@pytest.mark.parametrize("name", ["../ngrams.npz", "/etc/ngrams.npz", "ngrams.json", 7])
def test_the_manifest_names_the_table_inside_the_folder(name: object) -> None:
    with pytest.raises(ModelLoadError, match=r"files\.ngrams"):
        parse_manifest({"name": "m", "version": "1", "files": {"ngrams": name}})


@needs_model
def test_a_span_step_gives_the_logits_of_single_steps() -> None:
    """Three tokens in one span against three one-token steps: host and bound runners."""
    from export.corpus import eval_examples

    generator = OnnxGenerator.from_folder(REAL_MODEL, CONCAT)
    model = generator.model
    encoded = generator.tokenizer.encode_batch([e.prompt for e in eval_examples(4)])
    ids, mask, positions = left_pad(encoded, generator.pad_id)
    new = np.array([[30, 31, 32]] * len(encoded), dtype=np.int64)
    for runner_of in (
        lambda: HostRunner(model.session, model.signature, len(encoded)),
        lambda: BoundRunner(model.session, model.signature, len(encoded), device="cpu"),
    ):
        single, span = runner_of(), runner_of()
        single.forward(ids, mask, positions)
        span.forward(ids, mask, positions)
        steps = []
        step_mask = mask
        for k in range(3):
            step_mask = np.concatenate([step_mask, np.ones((len(encoded), 1), np.int64)], 1)
            step_positions = mask.sum(axis=1, keepdims=True) + k
            steps.append(single.forward(new[:, k : k + 1], step_mask, step_positions))
        span_positions = mask.sum(axis=1, keepdims=True) + np.arange(3)
        logits = span.forward_span(new, step_mask, span_positions)
        assert logits.shape == (len(encoded), 3, steps[0].shape[1])
        assert np.abs(logits - np.stack(steps, axis=1)).max() < 1e-4


@needs_model
@pytest.mark.slow
@pytest.mark.parametrize("sampled", [False, True], ids=["greedy", "sampled"])
def test_speculation_writes_the_same_tokens_in_fewer_steps(sampled: bool) -> None:
    requests = held_out_requests(sampled)
    plain = OnnxGenerator.from_folder(REAL_MODEL, CONCAT)
    drafted = OnnxGenerator.from_folder(REAL_MODEL, CONCAT, SPECULATE)
    assert drafted.ngrams is not None and plain.ngrams is not None
    want = plain.generate(requests)
    got = drafted.generate(requests)
    assert [r.token_ids for r in got] == [r.token_ids for r in want]
    assert [r.finish_reason for r in got] == [r.finish_reason for r in want]
    assert got[0].timing.steps < want[0].timing.steps
    # One row alone, too (the latency case speculation is for).
    alone = drafted.generate(requests[:1])
    assert alone[0].token_ids == want[0].token_ids
    assert alone[0].timing.steps < want[0].timing.steps


@needs_model
@pytest.mark.slow
def test_speculation_never_writes_past_a_rows_budget() -> None:
    requests = held_out_requests(sampled=False, max_new=3)
    drafted = OnnxGenerator.from_folder(REAL_MODEL, CONCAT, SPECULATE)
    plain = OnnxGenerator.from_folder(REAL_MODEL, CONCAT)
    got = drafted.generate(requests)
    assert all(len(r.token_ids) <= 3 for r in got)
    assert [r.token_ids for r in got] == [r.token_ids for r in plain.generate(requests)]


@needs_model
def test_the_inplace_graph_decodes_one_token_per_step_even_when_asked_to_speculate() -> None:
    inplace = OnnxGenerator.from_folder(
        REAL_MODEL, RuntimeOptions(intra_op_num_threads=1, allow_spinning=False), SPECULATE
    )
    assert inplace.model.inplace and inplace.ngrams is not None
    requests = held_out_requests(sampled=False, max_new=6)[:2]
    results = inplace.generate(requests)
    # A one-token-per-step batch takes one step per token of its longest row.
    assert results[0].timing.steps == max(r.num_new_tokens for r in results)


@needs_model
def test_a_folder_without_a_listed_table_decodes_without_one(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    shutil.copytree(REAL_MODEL, folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"].pop("ngrams")
    manifest["sha256"].pop(NGRAM_FILE)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    generator = OnnxGenerator.from_folder(folder, CONCAT, SPECULATE)
    assert generator.ngrams is None
    assert generator.generate(held_out_requests(sampled=False, max_new=4)[:1])[0].token_ids


@needs_model
def test_a_changed_table_fails_its_hash(tmp_path: Path) -> None:
    from workers.engine.errors import ModelIntegrityError

    folder = tmp_path / "model"
    shutil.copytree(REAL_MODEL, folder)
    build_table([[5, 6, 7, 2]] * 3, order=2).save(folder / NGRAM_FILE)
    with pytest.raises(ModelIntegrityError, match=NGRAM_FILE):
        OnnxGenerator.from_folder(folder, CONCAT, SPECULATE)


def test_the_speculate_setting_picks_the_graph_that_takes_spans() -> None:
    from workers.generator.factory import generator_config, runtime_options
    from workers.settings import Settings

    default = Settings()
    assert runtime_options(default).inplace_graph and not generator_config(default).speculate
    on = Settings(speculate=True)
    assert not runtime_options(on).inplace_graph and generator_config(on).speculate

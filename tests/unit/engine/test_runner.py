"""KV-cache runners: incremental decoding matches recomputing the whole sequence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.unit.engine.conftest import TEST_OPTIONS, ModelFactory
from tests.unit.engine.tiny_model import TinySpec, sample_prompts
from workers.engine.generate import left_pad
from workers.engine.model import LoadedModel, load_model
from workers.engine.runner import BoundRunner, HostRunner, KvRunner
from workers.engine.tokenizer import TextTokenizer


def _runner(kind: str, model: LoadedModel, batch: int) -> KvRunner:
    if kind == "host":
        return HostRunner(model.session, model.signature, batch)
    return BoundRunner(model.session, model.signature, batch, device="cpu")


def _full_logits(model: LoadedModel, sequences: list[list[int]], pad_id: int) -> np.ndarray:
    """Last-position logits computed from scratch, no cache."""
    ids, mask, pos = left_pad(sequences, pad_id)
    return HostRunner(model.session, model.signature, len(sequences)).forward(ids, mask, pos)


@pytest.mark.parametrize("kind", ["host", "bound"])
@pytest.mark.parametrize("fp16", [False, True], ids=["fp32", "fp16"])
def test_cached_decoding_matches_full_recompute(
    kind: str, fp16: bool, make_model_folder: ModelFactory
) -> None:
    """Greedy tokens are equal and logits near-identical with and without the KV cache."""
    folder: Path = make_model_folder(TinySpec(fp16=fp16))
    model = load_model(folder, TEST_OPTIONS)
    tokenizer = TextTokenizer.from_file(folder / "tokenizer.json")
    sequences = [tokenizer.encode(p) for p in sample_prompts()[:4]]
    atol = 2e-2 if fp16 else 1e-4
    ids, mask, pos = left_pad(sequences, pad_id=0)
    runner = _runner(kind, model, len(sequences))
    logits = runner.forward(ids, mask, pos)
    for _ in range(12):
        reference = _full_logits(model, sequences, pad_id=0)
        np.testing.assert_allclose(logits, reference, atol=atol, rtol=0)
        chosen = logits.argmax(axis=1)
        assert (chosen == reference.argmax(axis=1)).all()
        for seq, token in zip(sequences, chosen, strict=True):
            seq.append(int(token))
        step_pos = mask.sum(axis=1, keepdims=True)
        mask = np.concatenate([mask, np.ones((len(sequences), 1), dtype=np.int64)], axis=1)
        logits = runner.forward(chosen[:, None].astype(np.int64), mask, step_pos)


@pytest.mark.parametrize("kind", ["host", "bound"])
def test_keep_rows_matches_fresh_batch(kind: str, tiny_folder: Path) -> None:
    """Dropping rows from the cache leaves the kept rows' next logits unchanged."""
    model = load_model(tiny_folder, TEST_OPTIONS)
    tokenizer = TextTokenizer.from_file(tiny_folder / "tokenizer.json")
    sequences = [tokenizer.encode(p) for p in sample_prompts()[:4]]
    ids, mask, pos = left_pad(sequences, pad_id=0)
    runner = _runner(kind, model, len(sequences))
    chosen = runner.forward(ids, mask, pos).argmax(axis=1)
    keep = np.array([2, 0], dtype=np.int64)
    runner.keep_rows(keep)
    mask = mask[keep]
    step_pos = mask.sum(axis=1, keepdims=True)
    mask = np.concatenate([mask, np.ones((2, 1), dtype=np.int64)], axis=1)
    logits = runner.forward(chosen[keep][:, None].astype(np.int64), mask, step_pos)
    extended = [sequences[i] + [int(chosen[i])] for i in keep]
    np.testing.assert_allclose(logits, _full_logits(model, extended, 0), atol=1e-4, rtol=0)


def test_should_compact_policies(tiny_folder: Path) -> None:
    """Host compacts on any finished row; bound waits until half the rows are done."""
    model = load_model(tiny_folder, TEST_OPTIONS)
    host = HostRunner(model.session, model.signature, 8)
    bound = BoundRunner(model.session, model.signature, 8, device="cpu")
    assert host.should_compact(7, 8) and not host.should_compact(8, 8)
    assert not bound.should_compact(5, 8) and bound.should_compact(4, 8)

"""The in-place graph (export.inplace) and its runner: the same tokens as model.onnx.

The real model folder carries both graphs. A CPU load picks the in-place one; these tests
check that it writes exactly what the Concat graph writes, greedy and sampled, through
compaction of finished rows and growth of the cache buffers, and that the folder's
hashes and manifest guard it like every other file.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.unit.engine.conftest import TEST_OPTIONS
from tests.unit.engine.test_real_model import REAL_MODEL
from workers.engine import GenerationRequest, GeneratorConfig, OnnxGenerator, SamplingParams
from workers.engine.errors import ModelIntegrityError, ModelLoadError
from workers.engine.generate import left_pad
from workers.engine.model import MODEL_FILE, RuntimeOptions, load_model
from workers.engine.runner import HostRunner, InPlaceRunner

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (REAL_MODEL / "manifest.json").is_file(), reason=f"no model folder at {REAL_MODEL}"
    ),
]
CONCAT = RuntimeOptions(intra_op_num_threads=1, allow_spinning=False, inplace_graph=False)
BANNED = ("最佳", "第一", "唯一", "best", "guaranteed", "#1")


def test_a_cpu_load_runs_the_inplace_graph_with_the_same_weights() -> None:
    inplace = load_model(REAL_MODEL, TEST_OPTIONS)
    concat = load_model(REAL_MODEL, CONCAT)
    manifest = json.loads((REAL_MODEL / "manifest.json").read_text())
    assert inplace.graph_file == manifest["files"]["onnx_inplace"] != MODEL_FILE
    assert inplace.inplace and not concat.inplace and concat.graph_file == MODEL_FILE
    # Output records name the weights; both graphs read the same ones.
    assert inplace.model_sha256 == concat.model_sha256 == manifest["sha256"][MODEL_FILE]
    # The twin holds a graph, not a second copy of the weights.
    graph_bytes = (REAL_MODEL / inplace.graph_file).stat().st_size
    assert graph_bytes * 20 < (REAL_MODEL / MODEL_FILE).stat().st_size


def held_out_requests(sampled: bool, max_new: int | None = None) -> list[GenerationRequest]:
    """16 held-out prompts (54-183 tokens), the first 4 again as drafts with other seeds,
    banned terms, and budgets of 8, 11, 14 ... tokens (or ``max_new`` each), so rows
    finish at different steps."""
    from export.corpus import eval_examples

    sampling = (
        SamplingParams(do_sample=True, temperature=0.8, top_k=40, top_p=0.95)
        if sampled
        else SamplingParams()
    )
    prompts = [e.prompt for e in eval_examples(12)]
    prompts += prompts[:4]  # drafts: the same prompt with another seed
    return [
        GenerationRequest(
            p,
            seed=i,
            max_new_tokens=max_new or 8 + 3 * i,
            sampling=sampling,
            banned_terms=BANNED,
        )
        for i, p in enumerate(prompts)
    ]


@pytest.mark.parametrize("sampled", [False, True], ids=["greedy", "sampled"])
def test_inplace_decoding_writes_what_the_concat_graph_writes(sampled: bool) -> None:
    """16 held-out prompts (54-183 tokens), drafts sharing prompts, rows finishing at
    different steps (compaction): every row's tokens are the same."""
    requests = held_out_requests(sampled)
    inplace = OnnxGenerator.from_folder(REAL_MODEL, TEST_OPTIONS)
    concat = OnnxGenerator.from_folder(REAL_MODEL, CONCAT)
    assert inplace.model.inplace and not concat.model.inplace
    compactions: list[int] = []
    original = InPlaceRunner.keep_rows

    def counting(self: InPlaceRunner, rows: np.ndarray) -> None:
        compactions.append(len(rows))
        original(self, rows)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(InPlaceRunner, "keep_rows", counting)
        got = inplace.generate(requests)
    expected = concat.generate(requests)
    assert compactions  # finished rows were dropped from the buffers at least once
    assert [r.token_ids for r in got] == [r.token_ids for r in expected]
    assert [r.finish_reason for r in got] == [r.finish_reason for r in expected]


def test_buffers_grow_and_compact_without_changing_the_logits() -> None:
    """Room for 2 positions, 10 steps, a row dropped at step 4: logits as the Concat graph
    gives them at every step."""
    from export.corpus import eval_examples

    inplace = load_model(REAL_MODEL, TEST_OPTIONS)
    concat = load_model(REAL_MODEL, CONCAT)
    generator = OnnxGenerator(inplace, OnnxGenerator.from_folder(REAL_MODEL, CONCAT).tokenizer)
    sequences = [generator.tokenizer.encode(e.prompt) for e in eval_examples(3)]
    ids, mask, positions = left_pad(sequences, generator.pad_id)
    runner = InPlaceRunner(inplace.session, inplace.signature, len(sequences), room=2)
    reference = HostRunner(concat.session, concat.signature, len(sequences))
    logits = runner.forward(ids, mask, positions)
    expected = reference.forward(ids, mask, positions)
    capacities = {runner.capacity}
    for step in range(10):
        np.testing.assert_allclose(logits, expected, atol=1e-4, rtol=0)
        chosen = expected.argmax(axis=1)
        if step == 4:
            keep = np.array([2, 0], dtype=np.int64)
            runner.keep_rows(keep)
            reference.keep_rows(keep)
            mask, chosen = mask[keep], chosen[keep]
        step_positions = mask.sum(axis=1, keepdims=True)
        mask = np.concatenate([mask, np.ones((len(mask), 1), dtype=np.int64)], axis=1)
        next_ids = chosen[:, None].astype(np.int64)
        logits = runner.forward(next_ids, mask, step_positions)
        expected = reference.forward(next_ids, mask, step_positions)
        capacities.add(runner.capacity)
    assert len(capacities) > 2  # the buffers grew more than once
    assert runner.should_compact(2, 4) and not runner.should_compact(3, 4)
    assert not runner.should_compact(5, 8) and runner.should_compact(4, 8)


def test_use_io_binding_false_runs_the_inplace_graph_as_a_drop_in() -> None:
    """The twin also follows the plain contract (pasts in, longer presents out)."""
    requests = [GenerationRequest("<|task:desc|> test", seed=1, max_new_tokens=6)]
    plain = OnnxGenerator.from_folder(
        REAL_MODEL, TEST_OPTIONS, GeneratorConfig(use_io_binding=False)
    )
    assert plain.model.inplace
    expected = OnnxGenerator.from_folder(REAL_MODEL, CONCAT).generate(requests)
    assert [r.token_ids for r in plain.generate(requests)] == [r.token_ids for r in expected]


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    shutil.copytree(REAL_MODEL, folder)
    return folder


def test_a_changed_inplace_graph_fails_its_hash(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    name = json.loads((folder / "manifest.json").read_text())["files"]["onnx_inplace"]
    with (folder / name).open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ModelIntegrityError, match=name):
        load_model(folder, TEST_OPTIONS)


@pytest.mark.parametrize("name", ["../model.onnx", "sub/model.onnx", "model.bin", 7])
def test_the_manifest_names_the_inplace_graph_inside_the_folder(
    tmp_path: Path, name: object
) -> None:
    folder = _copy(tmp_path)
    path = folder / "manifest.json"
    data = json.loads(path.read_text())
    data["files"]["onnx_inplace"] = name
    path.write_text(json.dumps(data))
    with pytest.raises(ModelLoadError, match="onnx_inplace"):
        load_model(folder, TEST_OPTIONS)


def test_a_folder_without_the_twin_loads_model_onnx(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    path = folder / "manifest.json"
    data = json.loads(path.read_text())
    name = data["files"].pop("onnx_inplace")
    del data["sha256"][name]
    (folder / name).unlink()
    path.write_text(json.dumps(data))
    model = load_model(folder, TEST_OPTIONS)
    assert model.graph_file == MODEL_FILE and not model.inplace

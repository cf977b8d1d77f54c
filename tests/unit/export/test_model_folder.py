"""The committed model folder: hashes match and onnxruntime loads it with the contract names.

Needs no torch: this is what a worker-only install can check.
"""

from __future__ import annotations

from pathlib import Path

import onnxruntime as ort
import pytest
from tokenizers import Tokenizer

from export import contract
from export.manifest import read_manifest, verify_hashes
from workers.prompt import PROMPT_FORMAT_VERSION, SPECIAL_TOKENS

FOLDER = Path(__file__).resolve().parents[3] / "models" / "copyflow-tiny-v1"


@pytest.fixture(scope="module")
def manifest() -> dict:
    if not (FOLDER / "manifest.json").is_file():
        pytest.fail(f"{FOLDER} has no manifest.json; run `make models`")
    return read_manifest(FOLDER)


def test_hashes_match_files(manifest: dict) -> None:
    """Every file in the folder is listed in the manifest with a matching sha256."""
    assert set(manifest["sha256"]) == set(manifest["files"].values())
    assert {"model.onnx", "tokenizer.json"} <= set(manifest["sha256"])
    assert verify_hashes(FOLDER) == []


def test_onnxruntime_loads_contract(manifest: dict) -> None:
    """The graph loads on CPU and its inputs/outputs follow the contract, in order."""
    session = ort.InferenceSession(str(FOLDER / "model.onnx"), providers=["CPUExecutionProvider"])
    layers = manifest["architecture"]["layers"]
    inputs = session.get_inputs()
    assert [i.name for i in inputs] == contract.input_names(layers) == manifest["onnx"]["inputs"]
    assert [o.name for o in session.get_outputs()] == contract.output_names(layers)
    types = {i.name: i.type for i in inputs}
    assert types["input_ids"] == types["attention_mask"] == types["position_ids"] == "tensor(int64)"
    assert types["past_key_values.0.key"] == "tensor(float)"
    past = inputs[3].shape
    assert past[1] == manifest["architecture"]["kv_heads"]
    assert past[3] == manifest["architecture"]["head_dim"]


def test_single_small_file(manifest: dict) -> None:
    """model.onnx is one file (no external data) under 30 MB; the folder holds nothing else."""
    assert (FOLDER / "model.onnx").stat().st_size < 30 * 1024 * 1024
    names = {p.name for p in FOLDER.iterdir()}
    assert names == {"manifest.json", *manifest["files"].values()}
    assert not any(name.endswith((".data", ".onnx_data")) for name in names)


def test_special_tokens_and_prompt_version(manifest: dict) -> None:
    """The manifest's special-token ids agree with tokenizer.json and the prompt version."""
    tokenizer = Tokenizer.from_file(str(FOLDER / "tokenizer.json"))
    expected = {t: tokenizer.token_to_id(t) for t in SPECIAL_TOKENS}
    assert manifest["special_tokens"]["all"] == expected
    for role in ("pad", "bos", "eos", "unk"):
        entry = manifest["special_tokens"][role]
        assert tokenizer.token_to_id(entry["token"]) == entry["id"]
    assert manifest["prompt_format_version"] == PROMPT_FORMAT_VERSION
    assert manifest["eval"]["parity"]["ok"] is True

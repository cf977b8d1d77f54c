"""The committed model folders (the default small one and the tiny one): hashes match and
onnxruntime loads each with the contract names.

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

MODELS = Path(__file__).resolve().parents[3] / "models"


@pytest.fixture(scope="module", params=["copyflow-small-v1", "copyflow-tiny-v1"])
def folder(request: pytest.FixtureRequest) -> Path:
    path: Path = MODELS / request.param
    if not (path / "manifest.json").is_file():
        pytest.fail(f"{path} has no manifest.json; run `make models`")
    return path


@pytest.fixture(scope="module")
def manifest(folder: Path) -> dict:
    return read_manifest(folder)


def test_the_default_model_has_ten_million_parameters_or_more() -> None:
    """The generators issue asks for roughly 10-30M parameters: the default is the small one."""
    from workers.settings import DEFAULT_MODEL_DIR

    params = read_manifest(DEFAULT_MODEL_DIR)["architecture"]["params"]
    assert 9_500_000 <= params <= 30_000_000


def test_hashes_match_files(manifest: dict, folder: Path) -> None:
    """Every file in the folder is listed in the manifest with a matching sha256."""
    assert set(manifest["sha256"]) == set(manifest["files"].values())
    assert {"model.onnx", "tokenizer.json"} <= set(manifest["sha256"])
    assert verify_hashes(folder) == []


def test_onnxruntime_loads_contract(manifest: dict, folder: Path) -> None:
    """The graph loads on CPU and its inputs/outputs follow the contract, in order."""
    session = ort.InferenceSession(str(folder / "model.onnx"), providers=["CPUExecutionProvider"])
    layers = manifest["architecture"]["layers"]
    inputs = session.get_inputs()
    compact = manifest["onnx"]["graph"] == "compact"
    expected = contract.input_names(layers, logits_to_keep=compact)
    assert [i.name for i in inputs] == expected == manifest["onnx"]["inputs"]
    assert [o.name for o in session.get_outputs()] == contract.output_names(layers)
    types = {i.name: i.type for i in inputs}
    assert types["input_ids"] == types["attention_mask"] == types["position_ids"] == "tensor(int64)"
    assert types["past_key_values.0.key"] == "tensor(float)"
    if compact:
        assert types[contract.LOGITS_TO_KEEP] == "tensor(int64)"
    past = next(i for i in inputs if i.name == "past_key_values.0.key").shape
    assert past[1] == manifest["architecture"]["kv_heads"]
    assert past[3] == manifest["architecture"]["head_dim"]


def test_single_small_file(manifest: dict, folder: Path) -> None:
    """model.onnx is one file (no external data) under 30 MB; the folder holds nothing else."""
    assert (folder / "model.onnx").stat().st_size < 30 * 1024 * 1024
    names = {p.name for p in folder.iterdir()}
    assert names == {"manifest.json", *manifest["files"].values()}
    assert not any(name.endswith((".data", ".onnx_data")) for name in names)


def test_special_tokens_and_prompt_version(manifest: dict, folder: Path) -> None:
    """The manifest's special-token ids agree with tokenizer.json and the prompt version."""
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    expected = {t: tokenizer.token_to_id(t) for t in SPECIAL_TOKENS}
    assert manifest["special_tokens"]["all"] == expected
    for role in ("pad", "bos", "eos", "unk"):
        entry = manifest["special_tokens"][role]
        assert tokenizer.token_to_id(entry["token"]) == entry["id"]
    assert manifest["prompt_format_version"] == PROMPT_FORMAT_VERSION
    assert manifest["eval"]["parity"]["ok"] is True

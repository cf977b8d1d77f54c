"""Model loading: manifest parsing, sha256 verification, providers and session options."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.unit.engine.conftest import TEST_OPTIONS
from workers.engine import (
    ModelIntegrityError,
    ModelLoadError,
    OnnxGenerator,
    RuntimeOptions,
    load_model,
)
from workers.engine.manifest import parse_manifest
from workers.engine.model import choose_providers, physical_cores, session_options


@pytest.fixture()
def folder(tiny_folder: Path, tmp_path: Path) -> Path:
    """A private copy of the tiny model folder that a test may damage."""
    return Path(shutil.copytree(tiny_folder, tmp_path / "model"))


def _edit_manifest(folder: Path, edit: Any) -> None:
    path = folder / "manifest.json"
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))


def test_loads_and_reports_identity(folder: Path) -> None:
    """A good folder loads on CPU with its sha256, layers and KV shape from the graph."""
    model = load_model(folder, TEST_OPTIONS)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert model.model_sha256 == manifest["files"]["model.onnx"]["sha256"]
    assert (model.name, model.version) == ("tiny-test", "0.0.1-test")
    assert model.providers == ("CPUExecutionProvider",) and not model.on_cuda
    sig = model.signature
    assert (sig.num_layers, sig.num_kv_heads, sig.head_dim) == (2, 2, 8)
    assert sig.output_names[:3] == ("logits", "present.0.key", "present.0.value")


def test_sha_mismatch_is_integrity_error(folder: Path) -> None:
    """One flipped byte in model.onnx refuses the load, naming the file."""
    data = bytearray((folder / "model.onnx").read_bytes())
    data[-1] ^= 0xFF
    (folder / "model.onnx").write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match=r"model\.onnx.*does not match"):
        load_model(folder, TEST_OPTIONS)


def test_sha_check_can_be_disabled(folder: Path) -> None:
    """verify_sha256=False still reports the real sha256 of model.onnx."""
    _edit_manifest(folder, lambda d: d["files"]["model.onnx"].update(sha256="0" * 64))
    model = load_model(folder, RuntimeOptions(intra_op_num_threads=1, verify_sha256=False))
    assert model.model_sha256 != "0" * 64


def test_listed_file_missing_is_load_error(folder: Path) -> None:
    """A file the manifest lists must exist."""
    (folder / "tokenizer.json").unlink()
    with pytest.raises(ModelLoadError, match=r"tokenizer\.json.*missing"):
        load_model(folder, TEST_OPTIONS)


def test_unlisted_model_sha_is_integrity_error(folder: Path) -> None:
    """model.onnx must be covered by the manifest."""
    _edit_manifest(folder, lambda d: d["files"].pop("model.onnx"))
    with pytest.raises(ModelIntegrityError, match="no sha256"):
        load_model(folder, TEST_OPTIONS)


def test_missing_folder_and_manifest(tmp_path: Path) -> None:
    """Absent folder or manifest are load errors, not tracebacks."""
    with pytest.raises(ModelLoadError, match="does not exist"):
        load_model(tmp_path / "nope")
    with pytest.raises(ModelLoadError, match=r"manifest\.json"):
        load_model(tmp_path)


def test_manifest_layer_count_must_match_graph(folder: Path) -> None:
    """A manifest that disagrees with the graph about layers is refused."""
    _edit_manifest(folder, lambda d: d["architecture"].update(num_layers=3))
    with pytest.raises(ModelLoadError, match="layers"):
        load_model(folder, RuntimeOptions(intra_op_num_threads=1, verify_sha256=False))


def test_special_token_id_mismatch_is_refused(folder: Path) -> None:
    """The manifest's eos id must be the tokenizer's."""
    _edit_manifest(folder, lambda d: d["special_tokens"]["eos"].update(id=5))
    with pytest.raises(ModelLoadError, match="eos"):
        OnnxGenerator.from_folder(
            folder, RuntimeOptions(intra_op_num_threads=1, verify_sha256=False)
        )


def test_manifest_parsing_is_lenient_where_it_can_be() -> None:
    """Bare-string special tokens and alternative key names are accepted."""
    manifest = parse_manifest(
        {
            "name": "m",
            "version": 3,
            "architecture": {"num_hidden_layers": 4, "num_key_value_heads": 2, "n_positions": 512},
            "special_tokens": {"eos": "<|eos|>", "pad": {"token": "<|pad|>", "id": 0}},
            "files": {"model.onnx": "ABCDEF"},
        }
    )
    assert (manifest.version, manifest.num_layers, manifest.num_kv_heads) == ("3", 4, 2)
    assert manifest.max_positions == 512
    assert manifest.special_tokens["eos"].id is None
    assert manifest.special_tokens["pad"].id == 0
    assert manifest.file_sha256 == {"model.onnx": "abcdef"}
    with pytest.raises(ModelLoadError, match="name"):
        parse_manifest({"version": "1"})


def test_provider_choice() -> None:
    """CUDA goes first only when available and allowed."""
    with_cuda = ["CUDAExecutionProvider", "CPUExecutionProvider"]
    chosen = choose_providers(RuntimeOptions(cuda_device_id=1), with_cuda)
    assert chosen[0] == ("CUDAExecutionProvider", {"device_id": "1"})
    assert chosen[-1] == "CPUExecutionProvider"
    assert choose_providers(RuntimeOptions(allow_cuda=False), with_cuda) == ["CPUExecutionProvider"]
    assert choose_providers(RuntimeOptions(), ["CPUExecutionProvider"]) == ["CPUExecutionProvider"]


def test_session_options_are_tuned_for_cpu() -> None:
    """Threads default to physical cores, one inter-op thread, full graph optimisation."""
    import onnxruntime as ort

    so = session_options(RuntimeOptions())
    assert so.intra_op_num_threads == physical_cores() >= 1
    assert so.inter_op_num_threads == 1
    assert so.execution_mode == ort.ExecutionMode.ORT_SEQUENTIAL
    assert so.graph_optimization_level == ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    assert session_options(RuntimeOptions(intra_op_num_threads=3)).intra_op_num_threads == 3

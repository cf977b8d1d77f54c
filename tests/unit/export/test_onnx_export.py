"""Export of local causal LMs (Llama, Qwen2, GPT-2 configs) to the KV-cache ONNX contract."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tokenizers import Tokenizer

from export import contract
from export.corpus import Example
from export.manifest import read_manifest, verify_hashes
from export.tokenizer import role_ids, save
from workers.prompt import PROMPT_FORMAT_VERSION

pytestmark = pytest.mark.export
torch = pytest.importorskip("torch", reason="the export tests need torch (pip install .[export])")
transformers = pytest.importorskip("transformers", reason="the export tests need transformers")
ort = pytest.importorskip("onnxruntime", reason="the export tests need onnxruntime")

from export.onnx_export import export_checkpoint  # noqa: E402  (after the torch skip)


def _tiny_model(family: str, vocab: int) -> Any:
    """A randomly initialised 2-layer model of ``family``, built locally (no download)."""
    torch.manual_seed(0)
    model = _fresh_model(family, vocab)
    with torch.no_grad():
        # Fresh norms are all ones: a trained model's are not, and the exporter would fold
        # identical ones into one initializer, which no trained model has either.
        for name, parameter in model.named_parameters():
            if "norm" in name or "ln_" in name:
                parameter.uniform_(0.5, 1.5)
    return model


def _fresh_model(family: str, vocab: int) -> Any:
    common = {"vocab_size": vocab, "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 0}
    if family == "llama":
        config = transformers.LlamaConfig(
            hidden_size=64,
            intermediate_size=128,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            max_position_embeddings=1024,
            tie_word_embeddings=True,
            **common,
        )
        return transformers.LlamaForCausalLM(config)
    if family == "qwen2":
        config = transformers.Qwen2Config(
            hidden_size=64,
            intermediate_size=128,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            max_position_embeddings=1024,
            **common,
        )
        return transformers.Qwen2ForCausalLM(config)
    config = transformers.GPT2Config(n_embd=64, n_layer=2, n_head=4, n_positions=1024, **common)
    return transformers.GPT2LMHeadModel(config)


@pytest.fixture(scope="module")
def prompts(small_tokenizer: Tokenizer, small_corpus: list[Example]) -> list[list[int]]:
    # Mixed lengths, so every onnxruntime batch is left-padded.
    return [small_tokenizer.encode(e.prompt).ids for e in small_corpus[:6]]


def _export(
    family: str, tmp_path: Path, tokenizer: Tokenizer, prompts: list[list[int]]
) -> tuple[Path, dict[str, Any]]:
    checkpoint = tmp_path / f"{family}-ckpt"
    _tiny_model(family, tokenizer.get_vocab_size()).save_pretrained(checkpoint)
    save(tokenizer, checkpoint / "tokenizer.json")
    out = tmp_path / f"{family}-onnx"
    manifest = export_checkpoint(checkpoint, out, prompts=prompts, max_new_tokens=8)
    return out, manifest


@pytest.mark.parametrize("family", ["llama", "qwen2", "gpt2"])
def test_export_passes_parity(
    family: str, tmp_path: Path, small_tokenizer: Tokenizer, prompts: list[list[int]]
) -> None:
    """onnxruntime greedy with the KV cache matches torch greedy, logits within 1e-4."""
    _, manifest = _export(family, tmp_path, small_tokenizer, prompts)
    parity = manifest["eval"]["parity"]
    assert parity["ok"], parity
    assert parity["sequences_matched"] == parity["prompts"] == len(prompts)
    assert parity["max_prefill_logit_diff"] <= 1e-4
    assert manifest["architecture"]["family"] == family


def test_graph_follows_the_contract(
    tmp_path: Path, small_tokenizer: Tokenizer, prompts: list[list[int]]
) -> None:
    """Inputs/outputs carry the contract names, dtypes and a cache that grows by seq; the
    compact graph's ``logits_to_keep`` returns just the last positions' logits."""
    out, manifest = _export("qwen2", tmp_path, small_tokenizer, prompts)
    session = ort.InferenceSession(str(out / "model.onnx"), providers=["CPUExecutionProvider"])
    layers = manifest["architecture"]["layers"]
    assert manifest["onnx"]["graph"] == "compact"
    expected = contract.input_names(layers, logits_to_keep=True)
    assert [i.name for i in session.get_inputs()] == expected
    assert [o.name for o in session.get_outputs()] == contract.output_names(layers)
    assert {i.name: i.type for i in session.get_inputs()}["input_ids"] == "tensor(int64)"
    kv, hd = manifest["architecture"]["kv_heads"], manifest["architecture"]["head_dim"]
    ids = np.array([[5, 6, 7]], dtype=np.int64)
    feeds: dict[str, np.ndarray] = {
        "input_ids": ids,
        "attention_mask": np.ones((1, 3), dtype=np.int64),
        "position_ids": np.arange(3, dtype=np.int64)[None],
        contract.LOGITS_TO_KEEP: np.array(3, dtype=np.int64),
    }
    for i in range(layers):
        for name in contract.past_names(i):
            feeds[name] = np.zeros((1, kv, 0, hd), dtype=np.float32)
    names = [o.name for o in session.get_outputs()]
    outputs = dict(zip(names, session.run(None, feeds), strict=True))
    assert outputs["logits"].shape == (1, 3, small_tokenizer.get_vocab_size())
    assert outputs["present.0.key"].shape == (1, kv, 3, hd)
    feeds[contract.LOGITS_TO_KEEP] = np.array(1, dtype=np.int64)
    last = dict(zip(names, session.run(None, feeds), strict=True))
    assert last["logits"].shape == (1, 1, small_tokenizer.get_vocab_size())
    np.testing.assert_allclose(last["logits"][0, 0], outputs["logits"][0, -1], atol=1e-5)
    np.testing.assert_array_equal(last["present.0.key"], outputs["present.0.key"])


def test_compact_and_generic_graphs_agree(
    tmp_path: Path, small_tokenizer: Tokenizer, prompts: list[list[int]]
) -> None:
    """The compact Llama graph computes what transformers' traced forward computes, on a
    left-padded decode step with a cache, with far fewer nodes; GPT-2 keeps the generic one."""
    import onnx

    from export.ort_greedy import greedy, open_session

    checkpoint = tmp_path / "ckpt"
    _tiny_model("llama", small_tokenizer.get_vocab_size()).save_pretrained(checkpoint)
    save(small_tokenizer, checkpoint / "tokenizer.json")
    kwargs: dict[str, Any] = {"prompts": prompts, "max_new_tokens": 8}
    compact = export_checkpoint(checkpoint, tmp_path / "compact", **kwargs)
    generic = export_checkpoint(checkpoint, tmp_path / "generic", graph="generic", **kwargs)
    assert (compact["onnx"]["graph"], generic["onnx"]["graph"]) == ("compact", "generic")
    roles = role_ids(small_tokenizer)
    runs = [
        greedy(open_session(str(tmp_path / name / "model.onnx")), prompts, 8, roles["eos"], 0)
        for name in ("compact", "generic")
    ]
    assert runs[0].tokens == runs[1].tokens
    for a, b in zip(runs[0].prefill_logits, runs[1].prefill_logits, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-4)
    nodes = [
        len(onnx.load(str(tmp_path / name / "model.onnx")).graph.node)
        for name in ("compact", "generic")
    ]
    assert nodes[0] < 0.8 * nodes[1], nodes
    _, gpt2 = _export("gpt2", tmp_path, small_tokenizer, prompts)
    assert gpt2["onnx"]["graph"] == "generic"
    assert contract.LOGITS_TO_KEEP not in gpt2["onnx"]["inputs"]
    assert "onnx_inplace" not in gpt2["files"] and "inplace" not in gpt2["onnx"]


@pytest.mark.parametrize("family", ["llama", "qwen2"])
def test_compact_exports_carry_an_inplace_twin(
    family: str,
    tmp_path: Path,
    small_tokenizer: Tokenizer,
    small_corpus: list[Example],
    prompts: list[list[int]],
) -> None:
    """model-inplace.onnx: fused attention in every layer, weights linked into model.onnx,
    its own parity record, and the engine writes with it what it writes with model.onnx."""
    import onnx

    from workers.engine import GenerationRequest, OnnxGenerator, RuntimeOptions

    out, manifest = _export(family, tmp_path, small_tokenizer, prompts)
    inplace = manifest["onnx"]["inplace"]
    assert manifest["files"]["onnx_inplace"] == inplace["file"] == "model-inplace.onnx"
    assert inplace["parity"]["ok"], inplace["parity"]
    assert inplace["parity"]["sequences_matched"] == len(prompts)
    assert inplace["fused_layers"] == manifest["architecture"]["layers"]
    assert verify_hashes(out) == []
    graph = onnx.load(str(out / "model-inplace.onnx"), load_external_data=False)
    linked = [t for t in graph.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL]
    assert linked and {e.value for t in linked for e in t.external_data if e.key == "location"} == {
        "model.onnx"
    }
    requests = [
        GenerationRequest(e.prompt, seed=i, max_new_tokens=8)
        for i, e in enumerate(small_corpus[:6])
    ]
    texts = []
    for use_twin in (True, False):
        options = RuntimeOptions(intra_op_num_threads=1, inplace_graph=use_twin)
        engine = OnnxGenerator.from_folder(out, options)
        assert engine.model.inplace is use_twin
        texts.append([r.token_ids for r in engine.generate(requests)])
    assert texts[0] == texts[1]


def test_link_weights_finds_identical_bytes_or_refuses(tmp_path: Path) -> None:
    """Each large initializer points at its exact bytes in the weights file; a tensor with
    no identical copy there is an error, never a silent mismatch."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from export.inplace import link_weights

    weight = np.arange(512, dtype=np.float32).reshape(16, 32)
    weights_file = tmp_path / "model.onnx"
    weights_file.write_bytes(b"header" + weight.tobytes() + b"trailer")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 32])],
        [numpy_helper.from_array(weight, "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9)
    assert link_weights(model, weights_file) == (1, 0)
    onnx.save_model(model, str(tmp_path / "twin.onnx"))
    session = ort.InferenceSession(str(tmp_path / "twin.onnx"), providers=["CPUExecutionProvider"])
    x = np.ones((1, 16), dtype=np.float32)
    np.testing.assert_allclose(session.run(None, {"x": x})[0], x @ weight)
    other = helper.make_model(
        helper.make_graph(
            [helper.make_node("MatMul", ["x", "w"], ["y"])],
            "g",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 32])],
            [numpy_helper.from_array(weight + 1, "w")],
        ),
        opset_imports=[helper.make_opsetid("", 17)],
    )
    with pytest.raises(ValueError, match="has no identical bytes"):
        link_weights(other, weights_file)


def test_regraph_keeps_identity_and_parity(
    tmp_path: Path, small_tokenizer: Tokenizer, prompts: list[list[int]]
) -> None:
    """export.regraph rewrites a folder's graph from its own weights: same name, version and
    training record, a new graph kind, parity re-checked, hashes valid."""
    from export.regraph import regraph

    checkpoint = tmp_path / "ckpt"
    _tiny_model("llama", small_tokenizer.get_vocab_size()).save_pretrained(checkpoint)
    save(small_tokenizer, checkpoint / "tokenizer.json")
    folder = tmp_path / "model"
    before = export_checkpoint(
        checkpoint, folder, prompts=prompts, max_new_tokens=8, graph="generic", version="3.1.4"
    )
    after = regraph(folder, "compact")
    assert after["onnx"]["graph"] == "compact" and before["onnx"]["graph"] == "generic"
    assert (after["name"], after["version"]) == (before["name"], before["version"])
    assert after["eval"]["parity"]["ok"]
    assert after["sha256"]["model.onnx"] != before["sha256"]["model.onnx"]
    assert verify_hashes(folder) == []
    assert any("export.regraph" in line for line in after["created_with"])
    again = regraph(folder, "compact")  # a compact graph still names its weights' modules
    assert again["eval"]["parity"]["ok"] and again["sha256"] == after["sha256"]


def test_manifest_hashes_match_files(
    tmp_path: Path, small_tokenizer: Tokenizer, prompts: list[list[int]]
) -> None:
    """manifest.json lists a matching sha256 for every file, and tampering is detected."""
    out, _ = _export("gpt2", tmp_path, small_tokenizer, prompts)
    manifest = read_manifest(out)
    assert set(manifest["sha256"]) == set(manifest["files"].values())
    assert {"model.onnx", "tokenizer.json"} <= set(manifest["sha256"])
    assert verify_hashes(out) == []
    assert manifest["special_tokens"]["eos"]["id"] == role_ids(small_tokenizer)["eos"]
    assert manifest["prompt_format_version"] == PROMPT_FORMAT_VERSION
    (out / "tokenizer.json").write_text(json.dumps({"tampered": True}))
    assert verify_hashes(out) == ["mismatch: tokenizer.json"]


def test_cli_exports_a_checkpoint(tmp_path: Path, small_tokenizer: Tokenizer) -> None:
    """`copyflow export --from CKPT --out DIR` writes a verified folder and exits 0."""
    from export.cli import main

    checkpoint = tmp_path / "ckpt"
    _tiny_model("llama", small_tokenizer.get_vocab_size()).save_pretrained(checkpoint)
    save(small_tokenizer, checkpoint / "tokenizer.json")
    out = tmp_path / "out"
    args = ["--from", str(checkpoint), "--out", str(out), "--parity-prompts", "4"]
    assert main([*args, "--max-new-tokens", "4"]) == 0
    assert verify_hashes(out) == []
    assert main(["--from", str(tmp_path / "missing"), "--out", str(out)]) == 2


def test_float16_weights_halve_the_file_and_keep_parity(
    tmp_path: Path, small_tokenizer: Tokenizer, prompts: list[list[int]]
) -> None:
    """--weights float16: weights stored as float16, parity with the rounded torch model,
    and the engine (no torch) loads and decodes the folder."""
    from onnx import TensorProto

    from workers.engine import GenerationRequest, OnnxGenerator, RuntimeOptions

    checkpoint = tmp_path / "ckpt"
    _tiny_model("llama", small_tokenizer.get_vocab_size()).save_pretrained(checkpoint)
    save(small_tokenizer, checkpoint / "tokenizer.json")
    full = export_checkpoint(checkpoint, tmp_path / "f32", prompts=prompts, max_new_tokens=8)
    half = export_checkpoint(
        checkpoint, tmp_path / "f16", prompts=prompts, max_new_tokens=8, weights="float16"
    )
    parity = half["eval"]["parity"]
    assert parity["ok"] and parity["sequences_matched"] == len(prompts), parity
    assert parity["max_prefill_logit_diff"] <= 1e-4
    assert half["onnx"]["weights_dtype"] == "float16"
    assert full["onnx"]["weights_dtype"] == "float32"
    size16 = (tmp_path / "f16" / "model.onnx").stat().st_size
    size32 = (tmp_path / "f32" / "model.onnx").stat().st_size
    assert size16 < 0.6 * size32
    proto = __import__("onnx").load(str(tmp_path / "f16" / "model.onnx"))
    halves = [i for i in proto.graph.initializer if i.data_type == TensorProto.FLOAT16]
    assert halves and all(i.name.endswith("__fp16") for i in halves)

    engine = OnnxGenerator.from_folder(tmp_path / "f16", RuntimeOptions(allow_cuda=False))
    [result] = engine.generate([GenerationRequest(prompt="<|bos|>hello", seed=1, max_new_tokens=5)])
    assert 1 <= result.num_new_tokens <= 5

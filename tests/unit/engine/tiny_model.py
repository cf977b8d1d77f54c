"""Build a tiny, real, deterministic causal LM folder with the production ONNX contract.

No torch: the graph is written with ``onnx.helper`` and the tokenizer is a byte-level BPE
trained in milliseconds with ``tokenizers``. The model is a genuine multi-layer causal
self-attention LM (token + learned position embeddings, per-layer Q/K/V projections,
``Concat(past, new)`` as present, causal and attention-mask masking, softmax, output
projection), so KV-cache, padding and batching bugs show up as they would on the real model.
Weights are random but fixed by a numpy seed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from workers.prompt import SPECIAL_TOKENS

CORPUS = (
    "这款手机拍照清晰，续航持久，适合日常使用。",
    "轻薄机身，大屏显示，学生党也能轻松入手。",
    "最佳选择！全网第一的人气单品，限时优惠。",
    "这款耳机音质出色，佩戴舒适，通勤必备。",
    "面料柔软透气，版型修身，四季都能穿。",
    "Lightweight running shoes with breathable mesh for daily training.",
    "The best choice for your kitchen: guaranteed quality, number one seller.",
    "Noise cancelling headphones with long battery life and a comfortable fit.",
    "A compact blender that makes smoothies in seconds, easy to clean.",
    "Soft cotton t-shirt, classic fit, available in five colors.",
    "Best price, best quality, the best gift for everyone.",
)


@dataclass(frozen=True, slots=True)
class TinySpec:
    """Shape and behaviour knobs of a tiny model."""

    num_layers: int = 2
    num_heads: int = 2
    head_dim: int = 8
    hidden: int = 16
    max_positions: int = 256
    seed: int = 1234
    fp16: bool = False
    logit_scale: float = 2.5
    vocab_size: int = 400
    # Graph vocab larger than the tokenizer's, as exporters pad it to a multiple of 64.
    graph_vocab: int | None = None


def train_tokenizer(vocab_size: int = 400) -> Tokenizer:
    """Byte-level BPE with the prompt's control tokens as special tokens (ids 0..10)."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(list(CORPUS) * 3, trainer)
    return tokenizer


def _weights(spec: TinySpec, vocab: int, bias: Mapping[int, float]) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(spec.seed)
    width = spec.num_heads * spec.head_dim

    def normal(*shape: int, scale: float) -> np.ndarray:
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    weights = {
        "tok_emb": normal(vocab, spec.hidden, scale=1.0),
        "pos_emb": normal(spec.max_positions, spec.hidden, scale=0.5),
        "w_out": normal(spec.hidden, vocab, scale=spec.logit_scale / np.sqrt(spec.hidden)),
    }
    out_bias = np.zeros(vocab, dtype=np.float32)
    for token_id, value in bias.items():
        out_bias[token_id] += value
    weights["b_out"] = out_bias
    for layer in range(spec.num_layers):
        for name in ("q", "k", "v"):
            weights[f"w{name}{layer}"] = normal(
                spec.hidden, width, scale=1.0 / np.sqrt(spec.hidden)
            )
        weights[f"wo{layer}"] = normal(width, spec.hidden, scale=1.0 / np.sqrt(width))
    return weights


def build_graph(spec: TinySpec, vocab: int, bias: Mapping[int, float]) -> onnx.ModelProto:
    """The ONNX graph with the exact production input/output contract."""
    kv_type = TensorProto.FLOAT16 if spec.fp16 else TensorProto.FLOAT
    heads, head_dim = spec.num_heads, spec.head_dim
    nodes: list[onnx.NodeProto] = []
    inits = [numpy_helper.from_array(w, n) for n, w in _weights(spec, vocab, bias).items()]
    consts: dict[str, np.ndarray] = {
        "one_idx": np.array(1, dtype=np.int64),
        "zero": np.array(0, dtype=np.int64),
        "one": np.array(1, dtype=np.int64),
        "axes_1": np.array([1], dtype=np.int64),
        "axes_0": np.array([0], dtype=np.int64),
        "axes_12": np.array([1, 2], dtype=np.int64),
        "split_shape": np.array([0, 0, heads, head_dim], dtype=np.int64),
        "merge_shape": np.array([0, 0, heads * head_dim], dtype=np.int64),
        "scale": np.array(1.0 / np.sqrt(head_dim), dtype=np.float32),
        "open": np.array(0.0, dtype=np.float32),
        "closed": np.array(-1e9, dtype=np.float32),
    }
    inits += [numpy_helper.from_array(v, n) for n, v in consts.items()]

    def node(op: str, inputs: list[str], output: str, **attrs: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [output], **attrs))
        return output

    x = node(
        "Add",
        [
            node("Gather", ["tok_emb", "input_ids"], "tok"),
            node("Gather", ["pos_emb", "position_ids"], "pos"),
        ],
        "x0",
    )
    # Additive mask [batch, 1, seq, total]: key j is visible to query i (absolute position
    # past+i) iff j <= past+i and attention_mask[j] == 1.
    seq = node("Gather", [node("Shape", ["input_ids"], "ids_shape"), "one_idx"], "seq")
    total = node("Gather", [node("Shape", ["attention_mask"], "mask_shape"), "one_idx"], "total")
    past = node("Sub", [total, seq], "past_len")
    kpos = node("Unsqueeze", [node("Range", ["zero", total, "one"], "kpos1"), "axes_0"], "kpos")
    qpos = node("Unsqueeze", [node("Range", [past, total, "one"], "qpos1"), "axes_1"], "qpos")
    causal = node("LessOrEqual", [kpos, qpos], "causal")
    keep = node(
        "Unsqueeze", [node("Cast", ["attention_mask"], "am", to=TensorProto.BOOL), "axes_12"], "am4"
    )
    allowed = node("And", [causal, keep], "allowed")
    mask_bias = node("Where", [allowed, "open", "closed"], "mask_bias")

    def heads_of(tensor: str, name: str) -> str:
        split = node("Reshape", [tensor, "split_shape"], f"{name}_split")
        return node("Transpose", [split], f"{name}_heads", perm=[0, 2, 1, 3])

    for layer in range(spec.num_layers):
        q = heads_of(node("MatMul", [x, f"wq{layer}"], f"q{layer}"), f"q{layer}")
        cached = {}
        for kind, weight in (("key", f"wk{layer}"), ("value", f"wv{layer}")):
            new = heads_of(node("MatMul", [x, weight], f"{kind}{layer}"), f"{kind}{layer}")
            past_in = f"past_key_values.{layer}.{kind}"
            if spec.fp16:
                past_in = node("Cast", [past_in], f"{past_in}_f32", to=TensorProto.FLOAT)
            full = node("Concat", [past_in, new], f"{kind}{layer}_full", axis=2)
            present = f"present.{layer}.{kind}"
            if spec.fp16:
                node("Cast", [full], present, to=TensorProto.FLOAT16)
            else:
                node("Identity", [full], present)
            cached[kind] = full
        kt = node("Transpose", [cached["key"]], f"kt{layer}", perm=[0, 1, 3, 2])
        scores = node("Mul", [node("MatMul", [q, kt], f"qk{layer}"), "scale"], f"s{layer}")
        probs = node(
            "Softmax", [node("Add", [scores, mask_bias], f"sm{layer}")], f"p{layer}", axis=-1
        )
        ctx = node(
            "Transpose",
            [node("MatMul", [probs, cached["value"]], f"c{layer}")],
            f"ct{layer}",
            perm=[0, 2, 1, 3],
        )
        merged = node("Reshape", [ctx, "merge_shape"], f"cm{layer}")
        update = node("Tanh", [node("MatMul", [merged, f"wo{layer}"], f"o{layer}")], f"u{layer}")
        x = node("Add", [x, update], f"x{layer + 1}")
    logits32 = node("Add", [node("MatMul", [x, "w_out"], "lo"), "b_out"], "logits32")
    if spec.fp16:
        node("Cast", [logits32], "logits", to=TensorProto.FLOAT16)
    else:
        node("Identity", [logits32], "logits")

    kv_shape_in: list[str | int] = ["batch", heads, "past_seq", head_dim]
    kv_shape_out: list[str | int] = ["batch", heads, "total_seq", head_dim]
    inputs = [
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
        helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "total_seq"]),
        helper.make_tensor_value_info("position_ids", TensorProto.INT64, ["batch", "seq"]),
    ]
    outputs = [helper.make_tensor_value_info("logits", kv_type, ["batch", "seq", vocab])]
    for layer in range(spec.num_layers):
        for kind in ("key", "value"):
            inputs.append(
                helper.make_tensor_value_info(
                    f"past_key_values.{layer}.{kind}", kv_type, kv_shape_in
                )
            )
            outputs.append(
                helper.make_tensor_value_info(f"present.{layer}.{kind}", kv_type, kv_shape_out)
            )
    graph = helper.make_graph(nodes, "tiny_causal_lm", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_model_folder(
    folder: Path,
    spec: TinySpec | None = None,
    logit_bias: Mapping[int, float] | None = None,
    tokenizer: Tokenizer | None = None,
) -> Path:
    """Write model.onnx, tokenizer.json and manifest.json into ``folder``; return it."""
    spec = spec or TinySpec()
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = tokenizer or train_tokenizer(spec.vocab_size)
    vocab = max(tokenizer.get_vocab_size(with_added_tokens=True), spec.graph_vocab or 0)
    onnx.save(build_graph(spec, vocab, logit_bias or {}), str(folder / "model.onnx"))
    tokenizer.save(str(folder / "tokenizer.json"))
    specials = {
        role: {"token": token, "id": tokenizer.token_to_id(token)}
        for role, token in (
            ("pad", "<|pad|>"),
            ("bos", "<|bos|>"),
            ("eos", "<|eos|>"),
            ("copy", "<|copy|>"),
        )
    }
    manifest = {
        "name": "tiny-test",
        "version": "0.0.1-test",
        "architecture": {
            "num_layers": spec.num_layers,
            "num_kv_heads": spec.num_heads,
            "head_dim": spec.head_dim,
            "vocab_size": vocab,
            "hidden_size": spec.hidden,
            "max_position_embeddings": spec.max_positions,
        },
        "prompt_format_version": "1",
        "special_tokens": specials,
        "files": {
            name: {"sha256": _sha256(folder / name)} for name in ("model.onnx", "tokenizer.json")
        },
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return folder


def sample_prompts() -> list[str]:
    """Real format-v1 prompts of clearly different lengths, zh and en."""
    from workers.domain import ContentRequest, Item, Persona, Provenance
    from workers.prompt import build_prompt

    source = Provenance(topic="product-created", partition=0, offset=1, event_id="e1")
    phone = Item(
        "p1",
        "s1",
        "轻薄拍照手机 8GB+256GB",
        "Acme",
        ("数码", "手机"),
        "1999.00",
        "CNY",
        {"color": "星空黑", "battery": "5000mAh"},
    )
    shirt = Item("p2", "s2", "Soft cotton t-shirt", "Cotto", ("Apparel",), "19.90", "USD")
    blender = Item(
        "p3",
        "s3",
        "Compact blender",
        "Mixo",
        ("Home", "Kitchen"),
        "49.00",
        "USD",
        {"power": "600W", "capacity": "1.5L", "warranty": "2 years"},
    )
    requests = [
        ContentRequest("r1", "ad", "zh", "push", (phone,), source, 0),
        ContentRequest(
            "r2",
            "description",
            "en",
            "detail_page",
            (shirt,),
            source,
            0,
            Persona("price_sensitive"),
        ),
        ContentRequest(
            "r3",
            "recommendation",
            "en",
            "feed_card",
            (blender, shirt),
            source,
            0,
            Persona("quality_seeker"),
        ),
        ContentRequest("r4", "ad", "en", "search_ad", (shirt,), source, 0),
    ]
    return [build_prompt(request) for request in requests] + ["<|bos|><|copy|>"]

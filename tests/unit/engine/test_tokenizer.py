"""TextTokenizer: no added special tokens, special tokens skipped, exact per-token bytes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors

from tests.unit.engine.tiny_model import CORPUS, sample_prompts
from workers.engine import ModelLoadError, TextTokenizer


@pytest.fixture()
def tokenizer(tiny_tokenizer: Tokenizer) -> TextTokenizer:
    """The tiny byte-level BPE, wrapped."""
    return TextTokenizer(tiny_tokenizer)


def test_encode_adds_no_special_tokens(tiny_tokenizer: Tokenizer) -> None:
    """A post-processor that would add BOS is bypassed: the prompt carries its own."""
    with_post = Tokenizer.from_str(tiny_tokenizer.to_str())
    with_post.post_processor = processors.TemplateProcessing(
        single="<|bos|> $A", special_tokens=[("<|bos|>", with_post.token_to_id("<|bos|>"))]
    )
    wrapped = TextTokenizer(with_post)
    ids = wrapped.encode("<|bos|><|copy|>hi")
    assert ids[:2] == [wrapped.token_to_id("<|bos|>"), wrapped.token_to_id("<|copy|>")]
    assert sum(1 for i in ids if i == wrapped.token_to_id("<|bos|>")) == 1
    assert wrapped.encode_batch(["<|bos|>hi", "x"]) == [
        wrapped.encode("<|bos|>hi"),
        [*wrapped.encode("x")],
    ]


def test_decode_skips_special_tokens(tokenizer: TextTokenizer) -> None:
    """Control tokens never reach customer text."""
    ids = tokenizer.encode("<|copy|>好物推荐<|eos|>")
    assert tokenizer.decode(ids) == "好物推荐"
    assert tokenizer.token_to_id("<|eos|>") in tokenizer.special_ids()


def test_token_bytes_concatenate_to_decoded_text(tokenizer: TextTokenizer) -> None:
    """Per-token bytes add up exactly to the decoded text, even across split characters."""
    table = tokenizer.token_bytes()
    assert len(table) == tokenizer.vocab_size
    for text in (*CORPUS, *sample_prompts()):
        ids = tokenizer.encode(text)
        assert b"".join(table[i] for i in ids).decode("utf-8") == tokenizer.decode(ids)
    assert table[tokenizer.token_to_id("<|eos|>") or 0] == b""
    assert any(0 < len(piece) < 3 and piece[0] >= 0xE0 for piece in table)  # half a 汉字


def test_token_bytes_for_metaspace_byte_fallback(tmp_path: Path) -> None:
    """A SentencePiece-style vocab keeps word-initial spaces and byte-fallback bytes."""
    vocab = {"<unk>": 0, "▁best": 1, "▁a": 2, "a": 3, "<0xE6>": 4, "st": 5}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="<unk>", byte_fallback=True))
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Sequence(
        [
            decoders.Replace("▁", " "),
            decoders.ByteFallback(),
            decoders.Fuse(),
            decoders.Strip(" ", 1, 0),
        ]
    )
    table = TextTokenizer(tok).token_bytes()
    assert table[1] == b" best"
    assert table[4] == b"\xe6"
    assert table[5] == b"st"


def test_bad_tokenizer_file_is_a_load_error(tmp_path: Path) -> None:
    """A corrupt tokenizer.json fails loudly at load time."""
    path = tmp_path / "tokenizer.json"
    path.write_text(json.dumps({"not": "a tokenizer"}))
    with pytest.raises(ModelLoadError):
        TextTokenizer.from_file(path)

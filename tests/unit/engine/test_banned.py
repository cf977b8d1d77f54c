"""Banned-term logits mask: exact on synthetic vocabularies and end to end on a biased model."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer

from tests.unit.engine.conftest import TEST_OPTIONS, ModelFactory
from tests.unit.engine.tiny_model import sample_prompts
from workers.engine import GenerationRequest, OnnxGenerator, SamplingParams
from workers.engine.banned import BannedTermIndex

TERMS = ("最佳", "第一", "best", "guaranteed", "#1")

# Pieces that spell the terms in many ways: whole, split, half a UTF-8 character, mixed case.
ZUI, JIA = "最".encode(), "佳".encode()
VOCAB: tuple[bytes, ...] = (
    b"",
    b"b",
    b"e",
    b"s",
    b"t",
    b"be",
    b"st",
    b"BE",
    b"ST",
    b"est",
    b"Best",
    b" best",
    b"bes",
    b"tea",
    b"#",
    b"1",
    b"#1",
    b"#12",
    b"x",
    b" ",
    b"guar",
    b"anteed",
    b"guaranteed",
    ZUI,
    JIA,
    ZUI[:2],
    ZUI[2:],
    JIA[:1],
    JIA[1:],
    ZUI + JIA[:1],
    "第".encode(),
    "一".encode(),
    "好".encode(),
    b"ok",
    b"tb",
    b"sto",
)


def _banned_ids(index: BannedTermIndex, tail: bytes) -> set[int]:
    logits = np.zeros(len(VOCAB), dtype=np.float32)
    index.apply(logits, tail)
    return set(np.flatnonzero(np.isneginf(logits)).tolist())


def _contains_term(text: bytes) -> bool:
    folded = text.lower()
    return any(term.encode().lower() in folded for term in TERMS)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(VOCAB) - 1), max_size=40))
def test_mask_is_exact_and_text_stays_clean(choices: list[int]) -> None:
    """At every step the mask bans exactly the tokens that would create a term."""
    index = BannedTermIndex.build(TERMS, VOCAB)
    text, tail = b"", b""
    for wanted in choices:
        banned = _banned_ids(index, tail)
        assert banned == {t for t in range(len(VOCAB)) if _contains_term(tail + VOCAB[t])}
        allowed = [t for t in range(len(VOCAB)) if t not in banned]
        token = wanted if wanted in allowed else allowed[wanted % len(allowed)]
        text += VOCAB[token]
        tail = index.advance(tail, token)
        assert not _contains_term(text)


def test_case_insensitive_for_latin_and_exact_for_cjk() -> None:
    """'BE'+'ST' is caught like 'be'+'st'; half-characters of 最佳 are caught across tokens."""
    index = BannedTermIndex.build(TERMS, VOCAB)

    def tail_after(*pieces: bytes) -> bytes:
        tail = b""
        for piece in pieces:
            tail = index.advance(tail, VOCAB.index(piece))
        return tail

    assert VOCAB.index(b"ST") in _banned_ids(index, tail_after(b"x", b"be"))
    assert VOCAB.index(b"st") in _banned_ids(index, tail_after(b"BE"))
    assert VOCAB.index(JIA[1:]) in _banned_ids(index, tail_after(ZUI, JIA[:1]))
    assert VOCAB.index(b"st") not in _banned_ids(index, tail_after(b"tb"))
    always = {VOCAB[i] for i in np.flatnonzero(index.always)}
    assert always == {b"Best", b" best", b"guaranteed", b"#1", b"#12"}


def test_no_terms_means_no_mask() -> None:
    """An empty or blank term list bans nothing."""
    index = BannedTermIndex.build(["", "  "], VOCAB)
    assert index.empty
    assert _banned_ids(index, b"be") == set()


def _term_token_bias(tokenizer: Tokenizer, bias: float) -> dict[int, float]:
    spellings = ("best", " best", "Best", " Best", "最佳", "第一", "guaranteed", " guaranteed")
    ids = {i for text in spellings for i in tokenizer.encode(text).ids}
    return {i: bias for i in ids}


@pytest.mark.parametrize(
    "sampling",
    [
        SamplingParams(),
        SamplingParams(do_sample=True, top_k=50, top_p=0.95, repetition_penalty=1.2),
    ],
    ids=["greedy", "sampled"],
)
def test_banned_terms_never_appear_even_when_model_prefers_them(
    sampling: SamplingParams, make_model_folder: ModelFactory, tiny_tokenizer: Tokenizer
) -> None:
    """A model biased towards term tokens writes them unmasked, never with the mask."""
    folder = make_model_folder(logit_bias=_term_token_bias(tiny_tokenizer, 6.0))
    generator = OnnxGenerator.from_folder(folder, TEST_OPTIONS)
    free = [
        GenerationRequest(prompt, seed=seed, max_new_tokens=24, sampling=sampling)
        for seed in range(3)
        for prompt in sample_prompts()
    ]
    masked = [
        GenerationRequest(r.prompt, r.seed, r.max_new_tokens, r.sampling, TERMS) for r in free
    ]
    unmasked_texts = [r.text for r in generator.generate(free)]
    assert sum(_contains_term(t.encode()) for t in unmasked_texts) >= len(free) // 2
    for result in generator.generate(masked):
        assert not _contains_term(result.text.encode())
        assert result.token_ids  # the mask steered the model, it did not just stop it


def test_generator_caches_index_per_term_set(tiny_generator: OnnxGenerator) -> None:
    """The same terms in another order or case reuse one index."""
    first = tiny_generator.banned_index(["best", "最佳"])
    assert first is tiny_generator.banned_index(["最佳", "BEST", "best"])
    assert tiny_generator.banned_index([]) is None

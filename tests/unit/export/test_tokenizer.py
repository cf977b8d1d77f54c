"""The byte-level BPE tokenizer: lossless zh/en round trips and registered control tokens."""

from __future__ import annotations

import pytest
from tokenizers import Tokenizer

from export.tokenizer import role_ids, special_ids
from workers.prompt import COPY, SPECIAL_TOKENS

pytestmark = pytest.mark.export

SAMPLES = (
    "颜值在线！澜科 X5 充电宝，20000mAh大电量，到手价129.00元",
    "Meet the Lanke X5 Power Bank. Now $29.99!",
    "生僻字龘靐齉，emoji 🎧，全角１２３，tab\tand  double  spaces",
    "混合 mixed 文本 with «quotes» — and dashes",
)


@pytest.mark.parametrize("text", SAMPLES)
def test_round_trip_is_lossless(small_tokenizer: Tokenizer, text: str) -> None:
    """decode(encode(text)) == text for Chinese, English and odd characters."""
    ids = small_tokenizer.encode(text).ids
    assert small_tokenizer.decode(ids, skip_special_tokens=False) == text


def test_special_tokens_have_fixed_ids(small_tokenizer: Tokenizer) -> None:
    """Control tokens take ids 0..10 in SPECIAL_TOKENS order; pad/bos/eos/unk are 0..3."""
    assert special_ids(small_tokenizer) == {t: i for i, t in enumerate(SPECIAL_TOKENS)}
    assert role_ids(small_tokenizer) == {"pad": 0, "bos": 1, "eos": 2, "unk": 3}


def test_control_tokens_are_single_tokens(small_tokenizer: Tokenizer) -> None:
    """Each control token in a prompt encodes as exactly one id."""
    encoding = small_tokenizer.encode(f"<|bos|><|task|>ad{COPY}")
    assert encoding.tokens[:2] == ["<|bos|>", "<|task|>"]
    assert encoding.tokens[-1] == COPY


def test_values_tokenise_the_same_in_prompt_and_copy(small_tokenizer: Tokenizer) -> None:
    """A price and a Chinese title give the same tokens after '=' as inside copy text."""
    for value in ("199.00", "澜科充电宝"):
        alone = small_tokenizer.encode(value).ids
        in_prompt = small_tokenizer.encode(f"price={value}").ids
        in_copy = small_tokenizer.encode(f"只要{value}元").ids
        assert in_prompt[-len(alone) :] == alone
        assert any(in_copy[i : i + len(alone)] == alone for i in range(len(in_copy)))

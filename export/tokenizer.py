"""Byte-level BPE tokenizer for zh + en copy, with the prompt's control tokens as specials.

Pre-tokenisation is chosen for copying, not compression: each CJK character and each digit
is its own pre-token, so a title or a price tokenises the same way in the prompt
("title=…", "price=199.00 CNY") as in the copy ("…只要199.00元"). The model then copies
token for token instead of learning several spellings of one value.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

from export.hanzi import LEVEL1, gb2312_hanzi
from workers.prompt import BOS, EOS, PAD, SPECIAL_TOKENS, UNK

VOCAB_SIZE = 8000
# CJK Unified Ideographs, CJK punctuation and full-width forms: one pre-token each.
_CJK = Regex(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def new_tokenizer() -> Tokenizer:
    tokenizer = Tokenizer(models.BPE(unk_token=None, byte_fallback=False))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(_CJK, behavior="isolated"),
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
        ]
    )
    tokenizer.decoder = decoders.ByteLevel()
    return tokenizer


def train_tokenizer(texts: Iterable[str], vocab_size: int = VOCAB_SIZE) -> Tokenizer:
    """Train on ``texts`` (plus the common hanzi); specials get ids 0..len(SPECIAL_TOKENS)-1."""
    tokenizer = new_tokenizer()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    hanzi = gb2312_hanzi()

    def corpus() -> Iterable[str]:
        yield from texts
        # Every GB2312 hanzi, so a real catalog's characters are whole tokens; level 1 twice,
        # so at the vocabulary cap the rarest level-2 characters are the ones left as bytes.
        yield hanzi[:LEVEL1]
        yield hanzi

    tokenizer.train_from_iterator(corpus(), trainer=trainer)
    return tokenizer


def special_ids(tokenizer: Tokenizer) -> dict[str, int]:
    """Every control token with its id; raises if one is missing."""
    ids = {}
    for token in SPECIAL_TOKENS:
        token_id = tokenizer.token_to_id(token)
        if token_id is None:
            raise ValueError(f"special token {token} missing from the tokenizer")
        ids[token] = token_id
    return ids


def role_ids(tokenizer: Tokenizer) -> dict[str, int]:
    """pad/bos/eos/unk ids, as the runtime needs them."""
    ids = special_ids(tokenizer)
    return {"pad": ids[PAD], "bos": ids[BOS], "eos": ids[EOS], "unk": ids[UNK]}


def save(tokenizer: Tokenizer, path: str | Path) -> None:
    tokenizer.save(str(path))


def load(path: str | Path) -> Tokenizer:
    return Tokenizer.from_file(str(path))

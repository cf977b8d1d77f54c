"""Fluency: each pair of neighbouring words in a draft must occur in the model's training copy.

Our models learn copy from a compositional grammar (``export.copywriter``): every text they
were taught is phrases of that grammar joined by its punctuation. When a small model loses
its way on a product it has not seen, it glues fragments into text that is not Chinese or
English at all: "颜色选一带" (colour: a region), "来自推开", "现价到手都方便", "a staple for XXL,
size staple for Japanese-style". Every value in them is the request's own and every claim
guard passes; a reader still sees nonsense, and at times a false statement.

So the guard reads a draft as the evaluation does (``workers.generator.coverage.units``:
single characters in Chinese, words in English, punctuation kept) with each of the
request's values masked as one mark (``§``), and refuses a draft with a pair of neighbouring
units that never occurs in the training copy. The table of pairs is counted from that copy
by ``python -m export.word_pairs`` into the model folder (``word_pairs.json``, hashed in the
manifest) and read with the model, so it is the copy this model learnt and no other. A model
folder without one (a user's own model) has no fluency verdict.

Measured with the committed small model (``copyflow eval``; one-off script over the drafts it
published before this guard): it flagged 7 of 200 held-out texts and 8 of 120 demo texts,
each of them garbled or false on reading; none of the others.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from workers.domain import ContentRequest, Locale
from workers.generator.coverage import units
from workers.guards.result import GuardResult
from workers.slots import slot_values, value_pattern

FLUENCY = "fluency"
WORD_PAIRS_FILE = "word_pairs.json"
VALUE_MARK = "§"


def masked_units(text: str, request: ContentRequest) -> list[str]:
    """``text``'s units with each of the request's values (longest first) as one mark."""
    values = {
        value
        for name, value in slot_values(request).items()
        # The grammar writes the currency code as text, not as a slot.
        if value and not name.endswith(".currency")
    }
    for value in sorted(values, key=len, reverse=True):
        text = value_pattern(value).sub(f" {VALUE_MARK} ", text)
    return units(text)


def _pairs(found: list[str]) -> Iterable[tuple[str, str]]:
    return pairwise(found)


@dataclass(frozen=True, slots=True)
class WordPairs:
    """The pairs of neighbouring units in a model's training copy, per locale."""

    pairs: dict[str, frozenset[tuple[str, str]]]

    @classmethod
    def count(cls, texts: Iterable[tuple[str, ContentRequest]]) -> WordPairs:
        """Count the pairs of (published text, its request) examples."""
        found: dict[str, set[tuple[str, str]]] = {}
        for text, request in texts:
            found.setdefault(request.locale, set()).update(_pairs(masked_units(text, request)))
        return cls({locale: frozenset(pairs) for locale, pairs in found.items()})

    def save(self, path: Path) -> None:
        body = {
            locale: sorted(f"{a}\t{b}" for a, b in pairs)
            for locale, pairs in sorted(self.pairs.items())
        }
        path.write_text(json.dumps(body, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> WordPairs:
        body = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(body, dict):
            raise ValueError(f"{path}: not a table of word pairs")
        pairs: dict[str, frozenset[tuple[str, str]]] = {}
        for locale, rows in body.items():
            split = [tuple(row.split("\t")) for row in rows]
            if any(len(pair) != 2 for pair in split):
                raise ValueError(f"{path}: a {locale} row is not two units")
            pairs[str(locale)] = frozenset((a, b) for a, b in split)
        return cls(pairs)

    def unseen(self, text: str, request: ContentRequest) -> list[tuple[str, str]]:
        """The pairs of ``text`` (values masked) that the training copy never has."""
        known = self.pairs.get(request.locale, frozenset())
        return [pair for pair in _pairs(masked_units(text, request)) if pair not in known]

    def check(self, text: str, request: ContentRequest) -> GuardResult:
        unseen = self.unseen(text, request)
        if not unseen:
            return GuardResult(FLUENCY, True)
        shown = ", ".join(_show(pair, request.locale) for pair in dict.fromkeys(unseen))
        return GuardResult(FLUENCY, False, f"words never seen together: {shown}"[:200])


def _show(pair: tuple[str, str], locale: Locale) -> str:
    a, b = pair
    return f"'{a}{b}'" if locale == "zh" else f"'{a} {b}'"


__all__ = ["FLUENCY", "VALUE_MARK", "WORD_PAIRS_FILE", "WordPairs", "masked_units"]

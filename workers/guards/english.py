"""Is a Latin word ordinary English? The facts guard asks before calling a word a name.

Inflections are undone by rule (plurals, -ed, -ing, -er, -est, doubled consonants) and then
looked up in a hand-curated list. Adverbs in -ly are not derived: "Brightly" or "Kitchenly"
must not pass as ordinary words just because "bright" and "kitchen" are.
"""

from __future__ import annotations

from workers.guards._words import COMMON_WORDS, CONTRACTION_STEMS


def _candidates(word: str) -> list[str]:
    """Possible dictionary forms of an inflected word, most specific first."""
    out = [word]
    if word.endswith("ies") or word.endswith("ied"):
        out.append(word[:-3] + "y")
    if word.endswith("es"):
        out.append(word[:-2])
    if word.endswith("s") and not word.endswith("ss"):
        out.append(word[:-1])
    for suffix in ("ed", "ing", "er", "est"):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            stem = word[: -len(suffix)]
            out += [stem, stem + "e"]
            if len(stem) > 2 and stem[-1] == stem[-2]:
                out.append(stem[:-1])  # "shopping" → "shop", "bigger" → "big"
            if stem.endswith("i"):
                out.append(stem[:-1] + "y")  # "tidier" → "tidy"
    return out


def is_common_word(word: str) -> bool:
    """Whether ``word`` (any case) is, or inflects, a common English word."""
    folded = word.casefold()
    if folded in CONTRACTION_STEMS:
        return True
    return any(candidate in COMMON_WORDS for candidate in _candidates(folded))

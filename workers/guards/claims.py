"""Category claims: a qualitative benefit is published only for the kind of product it is about.

The copy grammar's benefits belong to a category ("clear vocals with rich detail" to
headphones, "keeps your desk tidy and simple" to electronics; ``export.lexicon``). A small
model writing for a product it has not seen picks whichever benefit it likes: running
shoes got "Clear vocals with rich detail.", an electric toothbrush "Brings order to your
home." No fact guard sees that (there is no number in it), yet it is a false claim.

So every grammar benefit found in a text must belong to the category of one of the
request's items, recognised by its category path (a category name or product-type noun
of the lexicon, in either locale). A product of a category the lexicon does not know gets
no benefit at all: its copy says what its attributes say.

The grammar writes a benefit as a clause of its own ("… a linen body. Easy to clean. Now
$5.99!", "…来了，清洁打理方便，颜色选银色。"), so ``strip_claims`` cuts such a clause out
and the rest of the draft, facts and all, can still be published (every guard then runs
on what is left). A benefit inside some other clause is not cut; the guard fails it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from workers.domain import ContentRequest, Item
from workers.guards._text import ZH_CLAUSE_EDGES, cut_zh_clause
from workers.guards.result import GuardResult, listing

CLAIMS = "claims"


@dataclass(frozen=True, slots=True)
class ClaimTable:
    """Benefit phrases (lower case) -> category keys; category words -> category key."""

    benefits: dict[str, frozenset[str]]
    categories: dict[str, str]

    def category_of(self, item: Item) -> str | None:
        for part in reversed(item.category_path):
            key = self.categories.get(part.strip().lower())
            if key is not None:
                return key
        return None

    def allowed(self, request: ContentRequest) -> set[str]:
        """The categories ``request``'s items are in (known to the lexicon)."""
        return {key for item in request.items if (key := self.category_of(item)) is not None}


@lru_cache(maxsize=1)
def grammar_claims() -> ClaimTable:
    """The lexicon's benefits and category words (built once)."""
    # Plain data (no torch): the guard reads the lexicon the training copy was written from.
    from export.lexicon import CATEGORIES

    benefits: dict[str, set[str]] = {}
    categories: dict[str, str] = {}
    for category in CATEGORIES:
        for zh, en in category.benefits:
            for phrase in (zh, en):
                benefits.setdefault(phrase.lower(), set()).add(category.key)
        for word in (*category.name, *(w for t in category.types for w in t.noun)):
            categories[word.lower()] = category.key
    return ClaimTable({p: frozenset(k) for p, k in benefits.items()}, categories)


def check_claims(
    text: str, request: ContentRequest, table: ClaimTable | None = None
) -> GuardResult:
    """Fail when ``text`` makes a benefit claim of a category none of its items is in."""
    table = table or grammar_claims()
    lowered = text.lower()
    allowed = table.allowed(request)
    wrong = [
        phrase
        for phrase, keys in table.benefits.items()
        if phrase in lowered and not keys & allowed
    ]
    if wrong:
        return GuardResult(CLAIMS, False, listing("benefits of another category", wrong))
    return GuardResult(CLAIMS, True)


# An English benefit is a sentence of its own: after a stop, colon or dash, up to its stop.
_EN_BEFORE = re.compile(r"(?:^|[.!?:\u2014-]\s+)$")
_EN_STOP = re.compile(r"[.!?]\s*")


def _cut_span(text: str, start: int, end: int) -> str | None:
    """``text`` without the clause at [start, end), if it is a clause of its own, else None."""
    before, after = text[:start], text[end:]
    if (not before or before[-1] in ZH_CLAUSE_EDGES) and (not after or after[0] in ZH_CLAUSE_EDGES):
        return cut_zh_clause(text, start, end)
    if before.endswith("| ") and (not after or after.startswith(" |")):
        # A search ad's segments: "X | benefit | Y" -> "X | Y".
        return before.rstrip(" |") + after
    stop = _EN_STOP.match(after)
    if _EN_BEFORE.search(before) and (stop is not None or not after):
        # "A. Benefit. B" -> "A. B": the sentence, its stop and the space after it.
        rest = after[stop.end() :] if stop is not None else ""
        return before + rest if rest else before.rstrip()
    return None


def strip_claims(
    text: str, request: ContentRequest, table: ClaimTable | None = None
) -> tuple[str, list[str]]:
    """``text`` without the clauses that claim another category's benefits, and those
    benefits. A benefit that is not a clause of its own stays (``check_claims`` fails it)."""
    table = table or grammar_claims()
    allowed = table.allowed(request)
    removed: list[str] = []
    lowered = text.lower()
    # Longest first, so a benefit that contains a shorter one is cut whole.
    for phrase in sorted(table.benefits, key=len, reverse=True):
        if table.benefits[phrase] & allowed:
            continue
        start = lowered.find(phrase)
        if start < 0:
            continue
        cut = _cut_span(text, start, start + len(phrase))
        if cut is not None and cut.strip():
            text, lowered = cut, cut.lower()
            removed.append(phrase)
    return text, removed

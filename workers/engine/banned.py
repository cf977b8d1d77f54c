"""Decode-time mask that keeps banned terms out of generated text.

Approach (exact, not heuristic). Matching is done on UTF-8 bytes with ASCII letters folded to
lower case (so "Best" and "BEST" are caught; CJK has no case). UTF-8 is self-synchronising, so
a term occurs in the text iff its bytes occur in the text's bytes, and bytes also cover
byte-level BPE tokens that hold half a Chinese character.

A row's text never contains a term (invariant). Appending token bytes ``b`` to it creates a
term ``t`` in exactly one of two ways:

1. ``t`` lies inside ``b``: such tokens are banned outright. ``always`` is a vocab-sized mask
   computed once per term set.
2. ``t`` straddles the boundary: ``t = x + y`` with ``x`` a non-empty suffix of the text so
   far and ``y`` a non-empty prefix of ``b``. For every split of every term we precompute the
   ids whose bytes start with ``y`` (one bisect over the sorted vocab each), grouped by ``x``.
   At each step a row checks which ``x`` its text ends with (``endswith`` on a short tail)
   and bans the union of the matching id sets.

So each step costs a few dozen ``endswith`` calls on a tail of at most ``max term bytes - 1``
bytes plus one masked write, with no per-candidate decoding; the result is exact for any
candidate, so sampling filters (top-k/top-p) see only allowed tokens. Special tokens add no
bytes (they are dropped from customer text) and so are never banned here.

Limit: matching is by substring, as the guard's compliance check is. "cure" therefore also
blocks "secure"; give the narrowest forms that the compliance list really needs.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]
IdArray = npt.NDArray[np.int64]


def fold(data: bytes) -> bytes:
    """Case-fold for matching: ``bytes.lower`` touches ASCII letters only, never UTF-8 bytes."""
    return data.lower()


def normalize_terms(terms: Iterable[str]) -> tuple[bytes, ...]:
    """Folded, de-duplicated, sorted UTF-8 terms; empty ones dropped (they would ban all)."""
    return tuple(sorted({fold(term.strip().encode("utf-8")) for term in terms if term.strip()}))


def _prefix_end(prefix: bytes) -> bytes | None:
    """Smallest byte string greater than every string starting with ``prefix``."""
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        return None
    return stripped[:-1] + bytes([stripped[-1] + 1])


@dataclass(frozen=True, slots=True)
class BannedTermIndex:
    """Precomputed ban structure for one set of terms over one vocabulary."""

    terms: tuple[bytes, ...]
    always: BoolArray
    # Needed tail suffix x -> ids whose bytes start with the rest of some term after x;
    # looked up by the tail's suffixes (``banned_now``).
    heads: dict[bytes, IdArray] = field(compare=False, repr=False)
    folded_tokens: tuple[bytes, ...]
    tail_bytes: int

    @classmethod
    def build(cls, terms: Iterable[str], token_bytes: Sequence[bytes]) -> BannedTermIndex:
        folded_terms = normalize_terms(terms)
        folded = tuple(fold(token) for token in token_bytes)
        always = np.fromiter(
            (any(term in token for term in folded_terms) for token in folded),
            dtype=np.bool_,
            count=len(folded),
        )
        ordered = sorted(range(len(folded)), key=folded.__getitem__)
        keys = [folded[i] for i in ordered]
        by_suffix: dict[bytes, set[int]] = {}
        for term in folded_terms:
            for split in range(1, len(term)):
                head, rest = term[:split], term[split:]
                lo = bisect.bisect_left(keys, rest)
                end = _prefix_end(rest)
                hi = len(keys) if end is None else bisect.bisect_left(keys, end)
                if hi > lo:
                    by_suffix.setdefault(head, set()).update(ordered[lo:hi])
        heads = {head: np.fromiter(sorted(ids), dtype=np.int64) for head, ids in by_suffix.items()}
        longest = max((len(term) for term in folded_terms), default=1)
        return cls(folded_terms, always, heads, folded, max(0, longest - 1))

    @property
    def empty(self) -> bool:
        return not self.terms

    def advance(self, tail: bytes, token_id: int) -> bytes:
        """The row's new tail after emitting ``token_id``: only what a future match can use."""
        if not self.tail_bytes:
            return b""
        return (tail + self.folded_tokens[token_id])[-self.tail_bytes :]

    def banned_now(self, tail: bytes) -> list[IdArray]:
        """Id sets that would complete a term straddling the end of ``tail``.

        ``tail`` must come from ``advance`` (it is folded and trimmed there, once per token).
        """
        if not tail:
            return []
        # Look up each suffix of the tail (at most ``tail_bytes`` of them) rather than test
        # every head against the tail: the terms have thousands of heads between them.
        found = (self.heads.get(tail[-k:]) for k in range(1, len(tail) + 1))
        return [ids for ids in found if ids is not None]

    def apply(self, logits: FloatArray, tail: bytes) -> None:
        """Set every token that would create a banned term to ``-inf``, in place."""
        if self.empty:
            return
        logits[self.always] = -np.inf
        for ids in self.banned_now(tail):
            logits[ids] = -np.inf

    def creates_term(self, tail: bytes, token_id: int) -> bool:
        """Slow reference check for one candidate (tests and debugging)."""
        window = tail + self.folded_tokens[token_id]
        return any(term in window for term in self.terms)

"""Text normalisation shared by the guards, so each side of a comparison is read alike."""

from __future__ import annotations

import sys
import unicodedata

from workers.prompt import sanitize_value

# ASCII letters and digits: the boundary class for Latin terms, ids and model codes. CJK
# characters are deliberately not in it, so "用户u123" still shows the id "u123".
ASCII_ALNUM = "A-Za-z0-9"

# What ends a clause of Chinese copy: the grammar joins its clauses with these, so one can
# be cut out of a draft without touching the others (guards.claims, guards.frames).
ZH_CLAUSE_EDGES = "，。！？；｜、"


def cut_zh_clause(text: str, start: int, end: int) -> str:
    """``text`` without the clause at [start, end) (edges at both ends, or the text's ends):
    "A，x，B" -> "A，B" and "A，x。" -> "A。" (the edge before it goes); "x，B" -> "B"."""
    return text[: start - 1] + text[end:] if start > 0 else text[end + 1 :]


# NFKC folds full-width digits and letters ("１９９", "Ｘ２００") to ASCII, which is what we
# want, but it also folds the Chinese comma "，" to ",", which would glue "199，299" into the
# thousands number 199,299. A following space keeps the two numbers apart.
_PRE_NFKC = str.maketrans({"，": ", ", "’": "'", "‘": "'"})


def normalize(text: str) -> str:
    """NFKC, control characters as spaces, whitespace collapsed: the form every guard reads."""
    return sanitize_value(text.translate(_PRE_NFKC), sys.maxsize)


def fold(text: str) -> str:
    """``normalize`` then case-fold, for case-insensitive matching."""
    return normalize(text).casefold()


def squeeze(text: str) -> str:
    """Folded text without whitespace or format characters, for matching CJK terms.

    Chinese has no spaces between words, so "最 佳" or "最\u200b佳" can only be an attempt to
    hide "最佳"; dropping them costs nothing.
    """
    folded = unicodedata.normalize("NFKC", text.translate(_PRE_NFKC)).casefold()
    return "".join(ch for ch in folded if not ch.isspace() and unicodedata.category(ch)[0] != "C")

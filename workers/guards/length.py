"""Length and form guards: the text fits its channel and is clean, publishable text.

Counting. en counts characters. zh counts display width, the way a phone lays the text out:
a CJK or full-width character counts 1, a half-width one (Latin letter, digit, ASCII
punctuation, space) counts 0.5. So a push "降噪耳机 Q5 仅¥399" is 9 wide, not 14 characters,
and a title full of model codes is not cut for space it does not take. Combining marks count
0 in both, as they add no width.

Form. Copy is one line of visible text. Empty or blank text, control characters (newlines
included: consumers render copy as one line), format characters (zero-width, bidi),
private-use or unassigned code points, U+FFFD (a decoding error) and leftover special tokens
such as "<|" or "</s>" all mean the decoder went wrong, whatever the rest says.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from types import MappingProxyType

from workers.domain import Channel, ContentRequest, Locale
from workers.guards.result import GuardResult, listing

LENGTH = "length"
FORM = "form"

LengthLimits = Mapping[tuple[Channel, Locale], float]

# The one table of limits, in units of ``length_units``. Pass another mapping to override.
LENGTH_LIMITS: LengthLimits = MappingProxyType(
    {
        ("push", "zh"): 30,
        ("push", "en"): 80,
        ("feed_card", "zh"): 60,
        ("feed_card", "en"): 140,
        ("search_ad", "zh"): 40,
        ("search_ad", "en"): 100,
        ("detail_page", "zh"): 300,
        ("detail_page", "en"): 600,
    }
)

# Markers that only a tokenizer or a prompt puts in text: ours ("<|...|>") and those of the
# model families that export/ accepts (GPT-2, Llama, Qwen, BERT-style vocabularies).
LEFTOVER_MARKERS: tuple[str, ...] = (
    "<|",
    "|>",
    "<s>",
    "</s>",
    "<unk>",
    "<pad>",
    "<eos>",
    "<bos>",
    "[UNK]",
    "[PAD]",
    "[CLS]",
    "[SEP]",
    "[MASK]",
    "\ufffd",
)

# Cc control, Cf format, Co private use, Cs surrogate, Cn unassigned.
_BAD_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn"})


def length_units(text: str, locale: Locale) -> float:
    """How long ``text`` is for the limits table: width for zh, characters for en."""
    total = 0.0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        if locale == "zh":
            total += 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.5
        else:
            total += 1.0
    return total


def limit_for(request: ContentRequest, limits: LengthLimits = LENGTH_LIMITS) -> float:
    """The length limit that applies to ``request``."""
    return limits[(request.channel, request.locale)]


def check_length(
    text: str, request: ContentRequest, limits: LengthLimits = LENGTH_LIMITS
) -> GuardResult:
    """Fail when the stripped text is longer than its channel allows in its locale."""
    size = length_units(text.strip(), request.locale)
    limit = limit_for(request, limits)
    if size > limit:
        return GuardResult(
            LENGTH, False, f"length {size:g} > {limit:g} ({request.channel}, {request.locale})"
        )
    return GuardResult(LENGTH, True)


def form_problems(text: str) -> list[str]:
    """What makes ``text`` unpublishable as a line of copy; empty when it is clean."""
    if not text.strip():
        return ["empty"]
    problems = []
    bad = sorted({f"U+{ord(ch):04X}" for ch in text if unicodedata.category(ch) in _BAD_CATEGORIES})
    if bad:
        problems.append(listing("control characters", bad, limit=4))
    # NFKC so that full-width "＜｜" counts as "<|".
    folded = unicodedata.normalize("NFKC", text).casefold()
    markers = [m for m in LEFTOVER_MARKERS if m.casefold() in folded]
    if markers:
        problems.append(listing("special tokens", [ascii(m) for m in markers], limit=4))
    return problems


# Chinese, Japanese and Korean letters and their full-width punctuation ("。", "，", "｜").
_CJK = re.compile(
    r"[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef]"
)


# In Chinese copy: an English word (lower case, two letters or more) or ASCII brackets and
# semicolons. Model names ("Plus", "Neo", "X") are capitalized; our zh copy puts none of
# these outside the request's values, so a zh draft holding one has drifted.
_EN_WORD = re.compile(r"(?<![A-Za-z])[a-z]{2,}(?![A-Za-z])")
_ASCII_MARKS = re.compile(r"[;()\[\]{}<>]")
# "…for new cooks.brandformat out": a word glued to the next after a full stop, which our copy
# never writes outside the request's values (where "e.g." or a domain name may stand).
_GLUED = re.compile(r"[A-Za-z]+\.[a-z]+")


def _outside_values(text: str, request: ContentRequest) -> str:
    """``text`` with every request value (title, brand, category, attributes) blanked."""
    values: list[str] = []
    for item in request.items:
        values += [item.title, item.brand, *item.category_path, *item.attributes.values()]
    for value in sorted(values, key=len, reverse=True):
        if value:
            text = text.replace(value, " ")
    return text


def _balanced(text: str) -> bool:
    """Every ASCII bracket closes what opened last ("87); brown)," does not)."""
    pairs = {")": "(", "]": "["}
    stack: list[str] = []
    for char in text:
        if char in "([":
            stack.append(char)
        elif char in pairs and (not stack or stack.pop() != pairs[char]):
            return False
    return not stack


def script_problems(text: str, request: ContentRequest) -> list[str]:
    """Copy that drifted into the other language, outside the request's own values.

    A sample of a bilingual model can slide into the other language mid-sentence
    ("...and a Sonora,T马上身。来自Headphones.", "现 is here.price..."); a brand or a colour may
    legitimately be in either script, so the request's values are taken out before looking.
    """
    rest = _outside_values(text, request)
    problems: list[str] = []
    if request.locale == "en":
        stray = _CJK.findall(rest)
        if stray:
            problems.append("Chinese or other CJK text in English copy: " + "".join(stray[:12]))
        if not _balanced(rest):
            problems.append("unbalanced brackets")
        glued = _GLUED.findall(rest)
        if glued:
            problems.append("words glued across a full stop: " + " ".join(glued[:4]))
        return problems
    words = _EN_WORD.findall(rest)
    if words:
        problems.append("English words in Chinese copy: " + " ".join(words[:8]))
    marks = _ASCII_MARKS.findall(rest)
    if marks:
        problems.append("ASCII brackets or semicolons in Chinese copy: " + "".join(marks[:8]))
    return problems


def check_form(text: str, request: ContentRequest) -> GuardResult:
    """Fail on empty text, control or format characters, leftover special tokens, and
    English copy in another script."""
    problems = form_problems(text) + script_problems(text, request)
    if problems:
        return GuardResult(FORM, False, "; ".join(problems))
    return GuardResult(FORM, True)

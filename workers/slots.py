"""Delexicalized copy: the model writes slots such as ``{1.price}``, we fill in the values.

Why: a small model that must *copy* brand names, model codes and prices token by token from
the prompt gets them wrong often; one that writes ``{1.brand}`` only has to choose *which*
attribute to mention. Values then come verbatim from the request, so the published numbers
and names are exactly the attributes (the facts guard still checks every text).

Slot syntax: ``{N.key}``: item N (1-based, in prompt order) and a key from the prompt
(``title``, ``brand``, ``category``, ``price`` (the number only), ``currency``, or a free
attribute key). An unknown slot is never guessed: it stays unresolved and the draft fails.
"""

from __future__ import annotations

import re
from functools import lru_cache

from workers.domain import ContentRequest
from workers.prompt import MAX_ITEMS, item_fields

SLOT = re.compile(r"\{(\d{1,2})\.([a-z0-9_]{1,24})\}")

# Slot roles: the words right before a slot say what kind of value it may be. The decode mask
# (workers.engine.slot_mask) keeps a row to them and the slot-role guard checks drafts with
# them. They hold for every text of the training grammar (tests check it).
PRICE_KEYS = frozenset({b"price", b"original_price"})
MAKER_KEYS = frozenset({b"brand", b"author"})
# Keys that are never an attribute's value: names and prices.
NOT_ATTRIBUTE_KEYS = frozenset({b"title", b"brand", b"category"}) | PRICE_KEYS

# "现价{1.category}" (now priced: a frying pan), "只要{1.shoe_size}码" (only size 40): the
# Chinese grammar's price words are followed by a price whenever a slot follows them, and
# which price is in the word: "原价" / "was $" give the earlier price, "现价" / "now $" the
# current one ("原价{1.price}元" would invent a discount).
_PRICE_BEFORE = re.compile("(?:\\$|¥|(?:到手价|售价|只要|现价|原价|降到|到手)\\s*)$".encode())
_ORIGINAL_PRICE_BEFORE = re.compile(
    "(?:原价\\s*|(?<![A-Za-z])(?:[Ww]as|[Dd]own from)\\s+\\$)$".encode()
)
_CURRENT_PRICE_BEFORE = re.compile(
    "(?:(?:到手价|售价|只要|现价|降到|到手)\\s*|(?<![A-Za-z])[Nn]ow\\s+\\$)$".encode()
)
_MAKER_BEFORE = re.compile("(?:(?<![A-Za-z])(?:[Bb]y|[Ff]rom)\\s+|来自\\s*)$".encode())
_ATTRIBUTE_BEFORE = re.compile(
    "(?:(?<![A-Za-z])(?:[Aa]n?|[Jj]ust|[Ww]ith|[Aa]nd|[Oo]f|[Ii]ncludes?)\\s+"
    "|(?:选用|采用|颜色选|用料|约|功率|续航|容量|规格|尺寸|重量|厚度|长度|材质|可达|屏幕|电池)\\s*)$".encode()
)


_FRAME_ROLE = "frame:"


@lru_cache(maxsize=1)
def _frames_before() -> tuple[re.Pattern[bytes], dict[str, frozenset[bytes]]]:
    """One pattern for every attribute frame of the grammar that stands before a value
    ("容量", "a weight of"; ``workers.guards.frames``), and the keys each admits: its own
    and those of the shorter frames it ends with ("电池容量" ends with "容量")."""
    from workers.guards.frames import grammar_table  # the guards import this module

    keys: dict[str, set[bytes]] = {}
    for locale in ("zh", "en"):
        for frame, owners in grammar_table(locale).before.items():
            keys.setdefault(frame, set()).update(k.encode() for k in owners)
    admits = {
        frame: frozenset(
            k
            for other, owners in keys.items()
            # A Chinese frame ends with another anywhere; an English one at a word.
            if frame == other or frame.endswith(other if not other.isascii() else " " + other)
            for k in owners
        )
        for frame in keys
    }
    alternatives = b"|".join(re.escape(f.encode()) for f in sorted(keys, key=len, reverse=True))
    pattern = re.compile(
        b"(?<![A-Za-z])(" + alternatives + rb")(?:\s+(?:an?|the))?\s*$", re.IGNORECASE
    )
    return pattern, admits


def slot_role(before: bytes) -> str | None:
    """The kind of value a slot opened right after ``before`` must be, if the text says:
    "price" after $, ¥ or a Chinese price word (现价, 只要…), narrowed to "original price"
    after 原价 / was $ and "current price" after 现价 / now $; "maker" after by / from / 来自;
    an attribute frame's own keys after it ("frame:容量", "frame:a weight of"); "attribute"
    after a / with / 选用…"""
    tail = before[-24:]
    if _ORIGINAL_PRICE_BEFORE.search(tail):
        return "original price"
    if _CURRENT_PRICE_BEFORE.search(tail):
        return "current price"
    if _PRICE_BEFORE.search(tail):
        return "price"
    if _MAKER_BEFORE.search(tail):
        return "maker"
    frame = _frames_before()[0].search(tail)
    if frame is not None:
        return _FRAME_ROLE + frame.group(1).decode("utf-8", "replace").lower()
    if _ATTRIBUTE_BEFORE.search(tail):
        return "attribute"
    return None


def role_admits(role: str | None, key: bytes) -> bool:
    """Whether a slot with ``key`` may stand where ``role`` says."""
    if role == "price":
        return key in PRICE_KEYS
    if role == "original price":
        return key == b"original_price"
    if role == "current price":
        return key == b"price"
    if role == "maker":
        return key in MAKER_KEYS
    if role == "attribute":
        return key not in NOT_ATTRIBUTE_KEYS
    if role is not None and role.startswith(_FRAME_ROLE):
        return key in _frames_before()[1].get(role[len(_FRAME_ROLE) :], frozenset())
    return True


# "a {1.color}" → "an Oatmeal …": English articles depend on the value filled in.
_A_AN = re.compile(r"\b([Aa]) (?=(?:[AEIOaeio]|8|11\b|11[^0-9]|18\b|18[^0-9]|u(?!s)))")


def slot_values(request: ContentRequest) -> dict[str, str]:
    """Every slot a text for ``request`` may use, mapped to its sanitized value."""
    values: dict[str, str] = {}
    for n, item in enumerate(request.items[:MAX_ITEMS], start=1):
        for key, value in item_fields(item):
            if key == "price":
                # The prompt shows "199.00 CNY"; copy writes the number and its own unit.
                values[f"{n}.price"] = item.price
                values[f"{n}.currency"] = item.currency
            else:
                values[f"{n}.{key}"] = value
    return values


def allowed_slots(request: ContentRequest) -> tuple[str, ...]:
    """The slot strings a draft for ``request`` may contain, e.g. ``("{1.price}", ...)``."""
    return tuple("{" + name + "}" for name in slot_values(request))


_AN_A = re.compile(r"\b([Aa])n (?=[0-9]|[BCDFGJKLMNPQRSTVWXYZbcdfgjklmnpqrstvwxyz])(?!8|11|18)")


def fix_articles(text: str) -> str:
    """'a Oatmeal finish' → 'an Oatmeal finish', 'a 8GB' → 'an 8GB', 'an 50g' → 'a 50g'."""
    text = _AN_A.sub(lambda m: m.group(1) + " ", text)
    return _A_AN.sub(lambda m: m.group(1) + "n ", text)


def realize(text: str, request: ContentRequest) -> tuple[str, list[str]]:
    """Fill the slots of a draft; return the text and the slots that could not be filled."""
    if "{" not in text and "}" not in text:
        # Nothing to fill and no brace left over.
        return (fix_articles(text) if request.locale == "en" else text), []
    values = slot_values(request)
    unresolved: list[str] = []

    def fill(match: re.Match[str]) -> str:
        name = f"{int(match.group(1))}.{match.group(2)}"
        value = values.get(name)
        if value is None:
            unresolved.append(match.group(0))
            return match.group(0)
        return value

    # One pass: a value that itself looks like a slot is never expanded again.
    filled = SLOT.sub(fill, text)
    if not unresolved and ("{" in filled or "}" in filled):
        # A slot cut short (or a stray brace): values are sanitized free of braces, so any
        # brace left is the model's, and the draft cannot be published.
        unresolved.append(
            re.sub(
                r"\s+", " ", filled[filled.find("{") if "{" in filled else filled.find("}") :][:24]
            )
        )
    if request.locale == "en":
        filled = fix_articles(filled)
    return filled, unresolved


def value_pattern(value: str) -> re.Pattern[str]:
    """A value as it stands in a text: whole, at word edges where it begins or ends in Latin."""
    # Latin and digit edges need word boundaries ("M" is a size, not every capital M).
    left = r"(?<![A-Za-z0-9])" if value[:1].isascii() and value[:1].isalnum() else ""
    right = r"(?![A-Za-z0-9])" if value[-1:].isascii() and value[-1:].isalnum() else ""
    return re.compile(left + re.escape(value) + right)


def delexicalize(text: str, request: ContentRequest) -> str | None:
    """Replace attribute values in a reference copy with their slots (training targets).

    Longest values first, so a title wins over the brand inside it. Returns None when the
    result does not realize back to ``text`` exactly: such a target would teach a wrong slot.
    """
    values = slot_values(request)
    # The first item that has a value owns it: equal values realize to the same text anyway.
    owner: dict[str, str] = {}
    for name, value in values.items():
        if name.endswith(".currency") or len(value) < 1:
            continue
        owner.setdefault(value, name)
    placeholders: list[str] = []
    out = text
    for value in sorted(owner, key=len, reverse=True):
        pattern = value_pattern(value)
        if not pattern.search(out):
            continue
        placeholders.append("{" + owner[value] + "}")
        # Private-use sentinels keep later, shorter values from matching inside a slot.
        out = pattern.sub(chr(0xE000 + len(placeholders) - 1), out)
    for index, slot in enumerate(placeholders):
        out = out.replace(chr(0xE000 + index), slot)
    realized, unresolved = realize(out, request)
    if unresolved or realized != (fix_articles(text) if request.locale == "en" else text):
        return None
    return out

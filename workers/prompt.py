"""The structured control prefix that conditions every generator.

The prompt is not free text. Control words are special tokens that the tokenizer never
produces from user data, and every attribute value passes through ``sanitize_value`` first,
so a product title cannot inject instructions: at worst it is odd-looking data.

Format v1 (one line, no spaces around control tokens)::

    <|bos|><|task|>ad<|locale|>zh<|channel|>feed_card<|persona|>price_sensitive
    <|item|><|attr|>title=...<|attr|>brand=...<|attr|>price=199.00 CNY ...<|copy|>

The model writes the copy after ``<|copy|>`` and ends it with ``<|eos|>``. Since format v2 the
copy names attribute values through slots (``{1.brand}``, ``{2.price}``), which
``workers.slots.realize`` fills in from the request; see that module for why.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from workers.attribute_keys import model_key
from workers.domain import ContentRequest, Item

PROMPT_FORMAT_VERSION = "2"  # 2: the copy is written with {N.key} slots (workers/slots.py)

PAD = "<|pad|>"
BOS = "<|bos|>"
EOS = "<|eos|>"
UNK = "<|unk|>"
TASK = "<|task|>"
LOCALE = "<|locale|>"
CHANNEL = "<|channel|>"
PERSONA = "<|persona|>"
ITEM = "<|item|>"
ATTR = "<|attr|>"
COPY = "<|copy|>"

SPECIAL_TOKENS: tuple[str, ...] = (
    PAD,
    BOS,
    EOS,
    UNK,
    TASK,
    LOCALE,
    CHANNEL,
    PERSONA,
    ITEM,
    ATTR,
    COPY,
)

MAX_TITLE_CHARS = 80
MAX_VALUE_CHARS = 48
MAX_KEY_CHARS = 24
MAX_FREE_ATTRIBUTES = 8
MAX_ITEMS = 4

# Anything that could be read as a control token or a slot ({1.price}).
_CONTROL_FRAGMENT = re.compile(r"<\||\|>|[{}]")
_WHITESPACE = re.compile(r"\s+")


# Values up to this long are memoized: a product's fields are sanitized for the prompt, the
# slots, the guards and the template, for each of its requests and drafts. Longer (hostile)
# values are not kept, so the cache stays small whatever comes in.
_MEMO_CHARS = 256


def sanitize_value(raw: str, limit: int = MAX_VALUE_CHARS) -> str:
    """Make one attribute value safe to place in the prompt: data, never control."""
    if len(raw) <= _MEMO_CHARS:
        return _sanitize_memo(raw, limit)
    return _sanitize(raw, limit)


@lru_cache(maxsize=8192)
def _sanitize_memo(raw: str, limit: int) -> str:
    return _sanitize(raw, limit)


def _sanitize(raw: str, limit: int) -> str:
    text = unicodedata.normalize("NFKC", raw)
    # Control and format characters (Cc, Cf) include NUL, bidi overrides and zero-width
    # joiners that could hide text from a reviewer; they never carry product facts.
    # (A printable string has none: the per-character pass is skipped for ordinary text.)
    if not text.isprintable():
        text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in text)
    while _CONTROL_FRAGMENT.search(text):  # "<<||" would reassemble after one pass
        text = _CONTROL_FRAGMENT.sub("", text)
    text = _WHITESPACE.sub(" ", text).strip()
    return text[:limit].strip()


def sanitize_key(raw: str) -> str:
    """Attribute keys are identifiers: lower case, no separator, bounded."""
    key = sanitize_value(raw, MAX_KEY_CHARS).lower().replace("=", "_").replace(" ", "_")
    return key


def _model_attributes(item: Item) -> list[tuple[str, str]]:
    """The item's free attributes under the model's own keys ("display" -> "screen",
    ``workers.attribute_keys``), sorted by key as the training prompts are. A key keeps its
    catalog name when the item already has the one it maps to, or an earlier key took it."""
    catalog = sorted(
        (sanitize_key(k), sanitize_value(v)) for k, v in item.attributes.items() if sanitize_key(k)
    )
    taken = {key for key, _ in catalog}
    out: list[tuple[str, str]] = []
    for key, value in catalog:
        mapped = model_key(key, value)
        if mapped != key and mapped not in taken:
            taken.add(mapped)
            key = mapped
        out.append((key, value))
    return sorted(out)


def item_fields(item: Item) -> list[tuple[str, str]]:
    """The ordered (key, value) pairs that describe one item in the prompt."""
    fields: list[tuple[str, str]] = [
        ("title", sanitize_value(item.title, MAX_TITLE_CHARS)),
        ("brand", sanitize_value(item.brand)),
    ]
    if item.category_path:
        fields.append(("category", sanitize_value(item.category_path[-1])))
    fields.append(("price", sanitize_value(f"{item.price} {item.currency}")))
    reserved = {"title", "brand", "category", "price"}
    for key, value in _model_attributes(item):
        if key in reserved or not value:
            continue
        fields.append((key, value))
        reserved.add(key)
        if len(fields) >= 4 + MAX_FREE_ATTRIBUTES:
            break
    return [(k, v) for k, v in fields if v]


def build_prompt(request: ContentRequest) -> str:
    """Render the control prefix for one request (format v1)."""
    segment = request.persona.segment if request.persona else "general"
    parts = [
        BOS,
        TASK,
        request.kind,
        LOCALE,
        request.locale,
        CHANNEL,
        request.channel,
        PERSONA,
        segment,
    ]
    for item in request.items[:MAX_ITEMS]:
        parts.append(ITEM)
        for key, value in item_fields(item):
            parts.append(f"{ATTR}{key}={value}")
    parts.append(COPY)
    return "".join(parts)

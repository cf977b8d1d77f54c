"""The slot grammar lets a row write only its request's own {N.key} slots."""

from __future__ import annotations

import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from workers.engine.slot_mask import SlotMask, SlotSet

VOCAB = [
    b"{",
    b"1",
    b".",
    b"price",
    b"}",
    b"pr",
    b"ice",
    b"}\xe5\x85\x83",
    b"color",
    b"{1.",
    b"weight",
    b"2",
    b" only",
    b"{2.",
    b"}.",
    b"title}",
    b"abc",
    b"{1.price}",
]
SLOTS = SlotSet(["{1.price}", "{1.color}", "{2.title}"])


def _allowed(mask: SlotMask, fragment: bytes | None) -> set[bytes]:
    logits = np.zeros(len(VOCAB), dtype=np.float32)
    mask.apply(logits, fragment, SLOTS)
    return {VOCAB[i] for i in range(len(VOCAB)) if np.isfinite(logits[i])}


def test_outside_a_slot_only_openers_are_checked() -> None:
    """Plain text is free; an opener must start one of the request's slots."""
    allowed = _allowed(SlotMask(VOCAB), None)
    assert {b" only", b"abc", b"price", b"{", b"{1.", b"{2.", b"{1.price}"} <= allowed


def test_outside_a_slot_no_digit_and_no_stray_brace() -> None:
    """Numbers come from slots, so a digit is never text; a '}' that closes nothing neither."""
    allowed = _allowed(SlotMask(VOCAB), None)
    for token in (b"1", b"2", b"}", b"}.", b"title}", b"}\xe5\x85\x83"):
        assert token not in allowed
    # Inside a slot digits are the item number, and '}.' closes a full slot.
    assert b"1" in _allowed(SlotMask(VOCAB), b"{")
    assert b"}." in _allowed(SlotMask(VOCAB), b"{1.price")


def test_a_closed_slot_is_not_written_again() -> None:
    """After '{1.price}' the row may name its other slots but not the price again."""
    mask = SlotMask(VOCAB)
    done = mask.completed(b"{1.price", VOCAB.index(b"}."))
    assert done == [b"{1.price}"]
    assert mask.completed(None, VOCAB.index(b"{1.price}")) == [b"{1.price}"]
    assert mask.completed(b"{1.pr", VOCAB.index(b"ice")) == []
    rest = SLOTS.without(done)
    logits = np.zeros(len(VOCAB), dtype=np.float32)
    mask.apply(logits, b"{1.", rest)
    assert not np.isfinite(logits[VOCAB.index(b"price")])
    assert np.isfinite(logits[VOCAB.index(b"color")])
    outside = np.zeros(len(VOCAB), dtype=np.float32)
    mask.apply(outside, None, rest)
    assert not np.isfinite(outside[VOCAB.index(b"{1.price}")])


def test_inside_a_slot_only_allowed_continuations() -> None:
    """After '{1.' only keys the request has may follow; '}' closes only a full slot."""
    allowed = _allowed(SlotMask(VOCAB), b"{1.")
    assert b"price" in allowed and b"color" in allowed and b"pr" in allowed
    assert b"weight" not in allowed and b"}" not in allowed and b" only" not in allowed
    closing = _allowed(SlotMask(VOCAB), b"{1.price")
    assert closing == {b"}", b"}\xe5\x85\x83", b"}."}
    assert b"title}" in _allowed(SlotMask(VOCAB), b"{2.")


def test_advance_tracks_the_open_slot() -> None:
    """The fragment grows inside a slot and clears when it closes."""
    mask = SlotMask(VOCAB)
    frag = mask.advance(None, VOCAB.index(b"{1."))
    assert frag == b"{1."
    frag = mask.advance(frag, VOCAB.index(b"pr"))
    assert frag == b"{1.pr"
    assert mask.advance(frag, VOCAB.index(b"ice")) == b"{1.price"
    assert mask.advance(b"{1.price", VOCAB.index(b"}.")) is None
    assert mask.advance(None, VOCAB.index(b" only")) is None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, len(VOCAB) - 1), max_size=30), st.randoms(use_true_random=False))
def test_masked_decoding_never_writes_a_foreign_slot(picks: list[int], rnd) -> None:  # type: ignore[no-untyped-def]
    """Whatever the model prefers, every closed slot in the text is one of the request's,
    each is written once, and no digit or stray '}' is written outside a slot."""
    mask = SlotMask(VOCAB)
    slots = SLOTS
    fragment: bytes | None = None
    text = b""
    for pick in picks:
        logits = np.zeros(len(VOCAB), dtype=np.float32)
        logits[pick] = 5.0
        mask.apply(logits, fragment, slots)
        finite = np.flatnonzero(np.isfinite(logits))
        if not len(finite):
            break  # the engine ends the row (EOS) when a mask leaves nothing
        token = pick if np.isfinite(logits[pick]) else int(rnd.choice(list(finite)))
        text += VOCAB[token]
        slots = slots.without(mask.completed(fragment, token))
        fragment = mask.advance(fragment, token)
    closed = re.findall(rb"\{[^{}]*\}", text)
    assert all(slot in SLOTS.slots for slot in closed)
    assert len(closed) == len(set(closed))
    outside = re.sub(rb"\{[^{}]*\}", b"", text)
    if fragment is not None:
        outside = outside[: outside.rfind(b"{")]
    assert b"}" not in outside and not re.search(rb"[0-9]", outside)


def test_for_item_keeps_names_and_the_current_items_slots() -> None:
    """Several items: before a name only names; after {2.title} only item 2's other slots."""
    pool = SlotSet(["{1.title}", "{1.price}", "{2.title}", "{2.brand}", "{2.price}", "{2.color}"])
    assert pool.items == {b"1", b"2"}
    assert pool.for_item(None).slots == {b"{1.title}", b"{2.title}", b"{2.brand}"}
    assert pool.for_item(b"2").slots == {
        b"{1.title}",
        b"{2.title}",
        b"{2.brand}",
        b"{2.price}",
        b"{2.color}",
    }


def test_slot_role_reads_the_words_before_the_slot() -> None:
    from workers.engine.slot_mask import slot_role

    assert slot_role(b"Only $") == "price"
    assert slot_role("到手价¥".encode()) == "price"
    # Which price is in the words: the current one, or the earlier one.
    assert slot_role(b"Now $") == "current price"
    assert slot_role("现价".encode()) == "current price"
    assert slot_role("只要".encode()) == "current price"
    assert slot_role("原价".encode()) == "original price"
    assert slot_role(b"Was $") == "original price"
    assert slot_role(b"Designed by ") == "maker"
    assert slot_role("来自".encode()) == "maker"
    assert slot_role(b"It offers a ") == "attribute"
    assert slot_role("选用".encode()) == "attribute"
    assert slot_role(b"Say hello to the ") is None
    assert slot_role(b"Nearby ") is None  # "by" inside a word is not a maker
    assert slot_role(b"down from $") == "original price"


def test_after_a_dollar_only_a_price_slot_may_open() -> None:
    mask = SlotMask(VOCAB)
    slots = SlotSet(["{1.price}", "{1.color}", "{1.brand}"])
    logits = np.zeros(len(VOCAB), dtype=np.float32)
    mask.apply(logits, None, slots, b"Only $")
    allowed = {VOCAB[i] for i in range(len(VOCAB)) if np.isfinite(logits[i])}
    assert b"{1.price}" in allowed
    # Opening "{1." is allowed only because {1.price} can follow: inside, the scope decides.
    price_only = slots.for_role("price")
    assert price_only.slots == frozenset({b"{1.price}"})
    assert not price_only.ok_inside(b"{1.", b"color")


def test_after_a_word_for_attributes_no_name_or_price_may_open() -> None:
    mask = SlotMask(VOCAB)
    logits = np.zeros(len(VOCAB), dtype=np.float32)
    mask.apply(logits, None, SlotSet(["{1.price}", "{1.title}"]), b"It offers a ")
    allowed = {VOCAB[i] for i in range(len(VOCAB)) if np.isfinite(logits[i])}
    assert not allowed & {b"{", b"{1.", b"{1.price}"}


def test_inside_index_agrees_with_checking_every_continuer() -> None:
    """``SlotMask.inside`` (lookups from the slots' remainders) allows exactly the tokens
    that ``ok_inside`` accepts, for every open fragment of the real model's vocabulary."""
    from pathlib import Path

    from workers.engine.tokenizer import TextTokenizer

    folder = Path(__file__).resolve().parents[3] / "models" / "copyflow-small-v1"
    table = TextTokenizer.from_file(folder / "tokenizer.json").token_bytes()
    mask = SlotMask(table)
    slots = SlotSet(
        ["{1.price}", "{1.original_price}", "{1.color}", "{1.brand}", "{2.title}", "{2.price}"]
    )
    fragments = sorted(slots.prefixes | {b"{"})
    checked = 0
    for fragment in fragments:
        if not fragment.startswith(b"{"):
            continue
        expected = [i for i in mask.continuers if slots.ok_inside(fragment, table[i])]
        assert mask.inside(fragment, slots) == expected, fragment
        checked += 1
    assert checked > 30

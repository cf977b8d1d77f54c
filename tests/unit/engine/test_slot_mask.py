"""The slot grammar lets a row write only its request's own {N.key} slots."""

from __future__ import annotations

import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from workers.engine.slot_mask import SlotMask, SlotSet

VOCAB = [b"{", b"1", b".", b"price", b"}", b"pr", b"ice", b"}\xe5\x85\x83", b"color", b"{1.",
         b"weight", b"2", b" only", b"{2.", b"}.", b"title}", b"abc", b"{1.price}"]
SLOTS = SlotSet(["{1.price}", "{1.color}", "{2.title}"])


def _allowed(mask: SlotMask, fragment: bytes | None) -> set[bytes]:
    logits = np.zeros(len(VOCAB), dtype=np.float32)
    mask.apply(logits, fragment, SLOTS)
    return {VOCAB[i] for i in range(len(VOCAB)) if np.isfinite(logits[i])}


def test_outside_a_slot_only_openers_are_checked() -> None:
    """Plain text is free; an opener must start one of the request's slots."""
    allowed = _allowed(SlotMask(VOCAB), None)
    assert {b" only", b"abc", b"price", b"{", b"{1.", b"{2.", b"{1.price}"} <= allowed


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
    """Whatever the model prefers, every closed slot in the text is one of the request's."""
    mask = SlotMask(VOCAB)
    fragment: bytes | None = None
    text = b""
    for pick in picks:
        logits = np.zeros(len(VOCAB), dtype=np.float32)
        logits[pick] = 5.0
        mask.apply(logits, fragment, SLOTS)
        finite = np.flatnonzero(np.isfinite(logits))
        token = pick if np.isfinite(logits[pick]) else int(rnd.choice(list(finite)))
        text += VOCAB[token]
        fragment = mask.advance(fragment, token)
    for slot in re.findall(rb"\{[^{}]*\}", text):
        assert slot in SLOTS.slots

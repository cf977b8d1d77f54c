"""Decode-time grammar for slots: a row may only write the ``{N.key}`` slots its request has.

The model writes attribute values as slots (see ``workers.slots``). A slot the request does
not have (``{1.material}`` for a product without a material) can never be filled, and the
draft would be thrown away. This mask keeps every slot the row opens on a path to one of the
request's own slots, so the model chooses *which* attribute to name, never an absent one.

State per row: the bytes of the slot being written (from its ``{``), or None outside one.
- Outside a slot, only tokens that contain ``{`` can open one; each is checked.
- Inside a slot, a token is allowed when the slot so far plus the token is a prefix of an
  allowed slot, or completes one (``}``) followed by text that opens no new slot. EOS is not
  allowed inside a slot.
Only tokens made of slot characters (before any ``}``) can continue a slot, so each step inside
a slot checks that short, precomputed list rather than the whole vocabulary.

Outside a slot, two more things are never written:
- a ``}`` that closes nothing, which would leave a broken slot in the text;
- a digit: in slot copy every number is an attribute value and comes from a slot, so a digit
  written as text is a number the request does not have (the facts guard would throw the
  draft away; the mask makes the model write the slot instead).
A slot already written is not written again (``SlotSet.without``): naming the same colour
twice says nothing new, and the next slot the model opens names another attribute.

What comes right before a slot narrows which slots it may be (``workers.slots.slot_role``):
after "$" or "¥" only a price; after "by" / "from" / "来自" only a brand or an author; after
"a", "with", "of", "选用"... never a name or a price. A small model facing attribute keys it
has not seen otherwise writes "Yours for ${1.category}" or "By {1.price}" (every value is the
request's own, so no facts check minds it, yet the text says something false). The rules
hold for all of the grammar's copy; ``workers.guards.slot_roles`` checks them and more on the
draft.

In a text about several items (a recommendation list) a slot's item must be the one the
text is talking about (``SlotSet.for_item``): after ``{2.title}`` the price written is
``{2.price}``, never ``{3.price}``. Only names (``title``, ``brand``) move the text to
another item, and before the first name no other slot may be written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from workers.slots import role_admits, slot_role

__all__ = ["NAME_KEYS", "SlotMask", "SlotSet", "slot_parts", "slot_role"]

FloatArray = npt.NDArray[np.float32]

_SLOT_CHARS = frozenset(b"0123456789abcdefghijklmnopqrstuvwxyz_.")
_DIGITS = frozenset(b"0123456789")


def _stray(text: bytes) -> bool:
    """Text outside a slot that must not be written: a digit or an unopened ``}``."""
    return b"}" in text or any(c in _DIGITS for c in text)


# Slot keys that name an item, and so may move a text on to another item.
NAME_KEYS = frozenset({b"title", b"brand"})


def slot_parts(slot: bytes) -> tuple[bytes, bytes]:
    """``b"{2.price}"`` → ``(b"2", b"price")``."""
    item, _, key = slot[1:-1].partition(b".")
    return item, key


class SlotSet:
    """The slots one request may write, as bytes, with every proper prefix."""

    def __init__(self, slots: Iterable[str | bytes]) -> None:
        self.slots = frozenset(s.encode("utf-8") if isinstance(s, str) else s for s in slots)
        self.prefixes = frozenset(s[:k] for s in self.slots for k in range(1, len(s)))
        self._by_role: dict[str | None, SlotSet] = {None: self}

    @property
    def items(self) -> frozenset[bytes]:
        """The item numbers the slots belong to."""
        return frozenset(slot_parts(s)[0] for s in self.slots)

    def for_role(self, role: str | None) -> SlotSet:
        """The slots that fit ``role`` (see ``workers.slots.slot_role``); all for None."""
        narrowed = self._by_role.get(role)
        if narrowed is None:  # asked at every step outside a slot: built once per role
            narrowed = SlotSet(s for s in self.slots if role_admits(role, slot_parts(s)[1]))
            self._by_role[role] = narrowed
        return narrowed

    def without(self, used: Iterable[bytes]) -> SlotSet:
        """The same set less ``used``: each attribute is named once per text."""
        return SlotSet(self.slots.difference(used))

    def for_item(self, item: bytes | None) -> SlotSet:
        """Every item's names, and the other slots of ``item`` only (none before a name)."""
        return SlotSet(
            s for s in self.slots if slot_parts(s)[1] in NAME_KEYS or slot_parts(s)[0] == item
        )

    def ok_inside(self, fragment: bytes, token: bytes) -> bool:
        text = fragment + token
        end = text.find(b"}")
        if end < 0:
            return text in self.prefixes
        return text[: end + 1] in self.slots and self.ok_outside(text[end + 1 :])

    def ok_outside(self, token: bytes) -> bool:
        start = token.find(b"{")
        if start < 0:
            return not _stray(token)
        return not _stray(token[:start]) and self.ok_inside(b"", token[start:])


class SlotMask:
    """Vocabulary-side index shared by every row of one model."""

    def __init__(self, token_bytes: Sequence[bytes]) -> None:
        self.token_bytes = list(token_bytes)
        self.vocab = len(self.token_bytes)
        # Tokens that are never right outside a slot, whatever the request (masked at once),
        # and tokens that open one (checked against the row's slots one by one).
        self.strays = np.fromiter(
            (i for i, t in enumerate(self.token_bytes) if _stray(t.split(b"{", 1)[0])),
            dtype=np.int64,
        )
        self.openers = np.fromiter(
            (
                i
                for i, t in enumerate(self.token_bytes)
                if b"{" in t and not _stray(t.split(b"{", 1)[0])
            ),
            dtype=np.int64,
        )
        self.continuers = np.fromiter(
            (
                i
                for i, t in enumerate(self.token_bytes)
                if t and all(c in _SLOT_CHARS for c in t.split(b"}", 1)[0])
            ),
            dtype=np.int64,
        )
        # For ``inside``: continuers by their bytes, and those that run on past a ``}`` by
        # the part up to and including it.
        self._by_bytes: dict[bytes, list[int]] = {}
        self._by_head: dict[bytes, list[int]] = {}
        for i in self.continuers.tolist():
            token = self.token_bytes[i]
            self._by_bytes.setdefault(token, []).append(i)
            close = token.find(b"}")
            if 0 <= close < len(token) - 1:
                self._by_head.setdefault(token[: close + 1], []).append(i)

    def apply(
        self, logits: FloatArray, fragment: bytes | None, slots: SlotSet, before: bytes = b""
    ) -> None:
        """Mask (in place) every token that would write a slot outside ``slots``.

        ``before``: the text written so far (its last bytes suffice), which decides the role
        of a slot opened now; inside a slot, ``slots`` is already the set for its role.
        """
        if fragment is None:
            logits[self.strays[self.strays < logits.shape[0]]] = -np.inf
            scoped: dict[str | None, SlotSet] = {}
            for i in self.openers:
                token = self.token_bytes[i]
                role = slot_role(before + token[: token.find(b"{")])
                if role not in scoped:
                    scoped[role] = slots.for_role(role)
                if not scoped[role].ok_outside(token):
                    logits[i] = -np.inf
            return
        keep = np.zeros(self.vocab, dtype=np.bool_)
        keep[self.inside(fragment, slots)] = True
        logits[~keep[: logits.shape[0]]] = -np.inf

    def inside(self, fragment: bytes, slots: SlotSet) -> list[int]:
        """Ids allowed next inside the open slot ``fragment``: ``ok_inside`` for every
        continuer, found from the slots' remainders instead of testing each continuer.

        A token continues ``fragment`` only if it is a prefix of what some slot still needs
        (its remainder, which ends in ``}``), or that whole remainder followed by text that
        may stand outside a slot. So each remainder's prefixes are looked up by their bytes,
        and the tokens that run past a remainder come from an index by their head.
        """
        allowed: set[int] = set()
        for slot in slots.slots:
            if not slot.startswith(fragment) or len(slot) == len(fragment):
                continue
            rest = slot[len(fragment) :]
            for end in range(1, len(rest) + 1):
                allowed.update(self._by_bytes.get(rest[:end], ()))
            for i in self._by_head.get(rest, ()):
                if slots.ok_outside(self.token_bytes[i][len(rest) :]):
                    allowed.add(i)
        return sorted(allowed)

    def completed(self, fragment: bytes | None, token_id: int) -> list[bytes]:
        """The slots that ``token_id`` closes, given the open slot's bytes."""
        token = self.token_bytes[token_id] if token_id < self.vocab else b""
        if b"}" not in token:
            return []
        text = (fragment or b"") + token
        return [
            b"{" + part.split(b"}", 1)[0] + b"}" for part in text.split(b"{")[1:] if b"}" in part
        ]

    def advance(self, fragment: bytes | None, token_id: int) -> bytes | None:
        """The open slot's bytes after appending ``token_id`` (None when outside a slot)."""
        token = self.token_bytes[token_id] if token_id < self.vocab else b""
        text = token if fragment is None else fragment + token
        start = text.rfind(b"{")
        if start < 0:
            return None if fragment is None or b"}" in token else text
        tail = text[start:]
        return None if b"}" in tail else tail

"""Drafted tokens for speculative decoding: an n-gram table of the model's training copy.

Our copy is written from a grammar, so after a few tokens the next ones are often certain
("{1.brand} {1.model}" is followed by " features"). A decoding step can then feed a row's
chosen token plus a few drafted ones and read the logits of every position in one pass
(``KvRunner.forward_span``); the row keeps each drafted token the model itself would have
chosen at that position, with the same sampling state and random draws, and the first
disagreement is the token the model chose there. The text is exactly what one-token steps
give (up to float rounding between span shapes): drafts only decide how many tokens one
pass can confirm. Rejected tokens stay in the cache as masked positions.

The table maps each context of 1..order tokens seen in training copy to its most frequent
next token, kept only where that token is frequent and dominant enough to be worth a place
in the span (``build_table``). Drafting backs off from the longest context.

File format (``ngrams.npz``): ``order`` (scalar), ``contexts`` [n, order] int32 left-padded
with -1 for shorter contexts, ``next`` [n] int32.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from workers.engine.errors import ModelLoadError

NGRAM_FILE = "ngrams.npz"
DEFAULT_ORDER = 4


class NgramTable:
    """Most likely next token for contexts of 1..``order`` tokens; drafts by back-off."""

    def __init__(self, order: int, best: Mapping[tuple[int, ...], int]) -> None:
        if order < 1:
            raise ValueError(f"order must be >= 1, got {order}")
        self.order = order
        # One dict per context length, so a lookup never builds a key it cannot find.
        self._by_length: list[dict[tuple[int, ...], int]] = [{} for _ in range(order + 1)]
        for context, token in best.items():
            if not 1 <= len(context) <= order:
                raise ValueError(f"context of {len(context)} tokens in an order-{order} table")
            self._by_length[len(context)][tuple(context)] = int(token)

    def __len__(self) -> int:
        return sum(len(table) for table in self._by_length)

    def next_token(self, context: Sequence[int]) -> int | None:
        """The table's guess after ``context``, from the longest known suffix; None if none."""
        for length in range(min(self.order, len(context)), 0, -1):
            token = self._by_length[length].get(tuple(context[-length:]))
            if token is not None:
                return token
        return None

    def draft(self, context: Sequence[int], count: int, stop_ids: frozenset[int]) -> list[int]:
        """Up to ``count`` tokens that may follow ``context``; a stop id ends the draft."""
        if count <= 0:
            return []
        tail = list(context[-self.order :])
        out: list[int] = []
        while len(out) < count:
            token = self.next_token(tail)
            if token is None:
                break
            out.append(token)
            if token in stop_ids:
                break
            tail.append(token)
            del tail[0 : len(tail) - self.order]
        return out

    def save(self, path: Path) -> None:
        rows = [
            (*(-1,) * (self.order - len(context)), *context, token)
            for table in self._by_length
            for context, token in sorted(table.items())
        ]
        data = np.array(rows, dtype=np.int32).reshape(-1, self.order + 1)
        with path.open("wb") as handle:
            np.savez_compressed(
                handle, order=np.int32(self.order), contexts=data[:, :-1], next=data[:, -1]
            )

    @classmethod
    def load(cls, path: Path) -> NgramTable:
        try:
            with np.load(path, allow_pickle=False) as data:
                order = int(data["order"])
                contexts = np.asarray(data["contexts"], dtype=np.int64)
                tokens = np.asarray(data["next"], dtype=np.int64)
        except (OSError, KeyError, ValueError) as exc:
            raise ModelLoadError(f"cannot read the n-gram table {path}: {exc}") from exc
        if contexts.ndim != 2 or contexts.shape != (len(tokens), order):
            raise ModelLoadError(f"{path}: contexts {contexts.shape} for {len(tokens)} tokens")
        best: dict[tuple[int, ...], int] = {}
        for row, token in zip(contexts.tolist(), tokens.tolist(), strict=True):
            context = tuple(t for t in row if t >= 0)
            if not context or token < 0:
                raise ModelLoadError(f"{path}: an empty context or a negative token id")
            best[context] = token
        try:
            return cls(order, best)
        except ValueError as exc:
            raise ModelLoadError(f"{path}: {exc}") from exc


def build_table(
    sequences: Iterable[Sequence[int]],
    order: int = DEFAULT_ORDER,
    min_count: int = 3,
    min_share: float = 0.5,
) -> NgramTable:
    """Count every context of 1..order tokens in ``sequences`` (each ending with its stop
    token) and keep the contexts whose most frequent next token was seen ``min_count``
    times and follows at least ``min_share`` of the time (a weaker guess would mostly
    widen the span for nothing). Ties go to the smaller id, so the table is deterministic."""
    counts: defaultdict[tuple[int, ...], Counter[int]] = defaultdict(Counter)
    for sequence in sequences:
        ids = list(sequence)
        for end in range(1, len(ids)):
            for length in range(1, min(order, end) + 1):
                counts[tuple(ids[end - length : end])][ids[end]] += 1
    best: dict[tuple[int, ...], int] = {}
    for context, following in counts.items():
        total = sum(following.values())
        token, seen = min(following.items(), key=lambda item: (-item[1], item[0]))
        if seen >= min_count and seen >= min_share * total:
            best[context] = token
    return NgramTable(order, best)

"""The verdict every guard returns, and the shape of a guard."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from workers.domain import ContentRequest


@dataclass(frozen=True, slots=True)
class GuardResult:
    """One guard's verdict on one text; ``detail`` says what failed (empty when passed)."""

    name: str
    passed: bool
    detail: str = ""


# A guard is a pure function of the text and the request it was written for.
Guard = Callable[[str, ContentRequest], GuardResult]


def listing(label: str, items: list[str], limit: int = 8) -> str:
    """``label: a, b, c`` with duplicates dropped; long lists are cut so a record stays small."""
    unique = list(dict.fromkeys(items))
    shown = ", ".join(unique[:limit])
    more = f" (+{len(unique) - limit} more)" if len(unique) > limit else ""
    return f"{label}: {shown}{more}"

"""Guards: checks every text must pass before it is published.

Each guard is a pure function ``(text, request) -> GuardResult``. ``check_all`` runs all of
them, never stopping at the first failure, so a record shows every reason a draft was
rejected. The writer re-samples or falls back to ``workers.templates.fallback_text`` when
``passed`` is false; a failing text is never published.
"""

from __future__ import annotations

from collections.abc import Iterable

from workers.domain import ContentRequest
from workers.guards.brands import KNOWN_BRANDS, BrandGroups
from workers.guards.claims import check_claims
from workers.guards.compliance import ALL_BANNED_TERMS, BANNED_TERMS, check_compliance
from workers.guards.facts import check_facts
from workers.guards.length import LENGTH_LIMITS, LengthLimits, check_form, check_length
from workers.guards.pairing import check_pairing
from workers.guards.privacy import check_privacy
from workers.guards.result import Guard, GuardResult

__all__ = [
    "ALL_BANNED_TERMS",
    "BANNED_TERMS",
    "KNOWN_BRANDS",
    "LENGTH_LIMITS",
    "Guard",
    "GuardResult",
    "check_all",
    "passed",
]


def check_all(
    text: str,
    request: ContentRequest,
    *,
    limits: LengthLimits = LENGTH_LIMITS,
    brands: BrandGroups = KNOWN_BRANDS,
) -> list[GuardResult]:
    """Run every guard on ``text`` for ``request``: form, length, compliance, privacy, facts,
    pairing (each price next to its own item) and claims (benefits of the item's category)."""
    return [
        check_form(text, request),
        check_length(text, request, limits),
        check_compliance(text, request),
        check_privacy(text, request),
        check_facts(text, request, brands),
        check_pairing(text, request),
        check_claims(text, request),
    ]


def passed(results: Iterable[GuardResult]) -> bool:
    """Whether every guard passed (an empty list passes nothing: no verdict, no publish)."""
    verdicts = [result.passed for result in results]
    return bool(verdicts) and all(verdicts)

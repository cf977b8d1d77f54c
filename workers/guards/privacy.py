"""Privacy guard: copy never carries the user's id or anything that looks like contact data.

A recommendation is written for one user, but what it says must be safe on a lock screen or
in a screenshot: no user id, e-mail address or phone number. The persona is features only
(see ``workers.domain.Persona``), so the id is the one personal datum a request carries.

The id matches case-insensitively after NFKC, at ASCII letter/digit boundaries (so id
"u12" is not found inside "u123", but is found in "用户u12"). Long letter/digit runs of the
id are searched too, because a model that leaks "u-88421973" may well write "88421973".
An id with no letter or digit cannot identify anyone in text and is ignored.
"""

from __future__ import annotations

import re

from workers.domain import ContentRequest
from workers.guards._text import ASCII_ALNUM, fold
from workers.guards.result import GuardResult, listing

NAME = "privacy"

# Runs of the id this long are identifying on their own; shorter ones ("u", "12") are not,
# and searching for them would fail ordinary copy.
MIN_ID_FRAGMENT = 6

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Mainland mobile numbers and +country-code numbers; an 11-digit "1[3-9]..." is never a price.
_PHONE = re.compile(
    r"(?<!\d)(?:1[3-9]\d{9}|\+\d{1,3}[\s-]?\d{3,4}[\s-]?\d{3,4}[\s-]?\d{0,4})(?!\d)"
)
_ALNUM_RUN = re.compile(f"[{ASCII_ALNUM}]+")


def id_needles(user_id: str | None) -> list[str]:
    """The folded strings whose presence in text would leak ``user_id``."""
    if not user_id:
        return []
    folded = fold(user_id)
    if not any(ch.isalnum() for ch in folded):
        return []
    needles = [folded]
    needles += [run for run in _ALNUM_RUN.findall(folded) if len(run) >= MIN_ID_FRAGMENT]
    return list(dict.fromkeys(needles))


def _bounded(needle: str) -> re.Pattern[str]:
    head = f"(?<![{ASCII_ALNUM}])" if needle[0].isascii() and needle[0].isalnum() else ""
    tail = f"(?![{ASCII_ALNUM}])" if needle[-1].isascii() and needle[-1].isalnum() else ""
    return re.compile(f"{head}{re.escape(needle)}{tail}")


def personal_data_in(text: str, user_id: str | None) -> list[str]:
    """Labels for the personal data found in ``text`` (never the data itself: logs are wide)."""
    folded = fold(text)
    found: list[str] = []
    if any(_bounded(needle).search(folded) for needle in id_needles(user_id)):
        found.append("user id")
    if _EMAIL.search(folded):
        found.append("e-mail address")
    if _PHONE.search(folded):
        found.append("phone number")
    return found


def check_privacy(text: str, request: ContentRequest) -> GuardResult:
    """Fail when the text holds the request's user id, an e-mail address or a phone number."""
    found = personal_data_in(text, request.user_id)
    if found:
        return GuardResult(NAME, False, listing("personal data", found))
    return GuardResult(NAME, True)

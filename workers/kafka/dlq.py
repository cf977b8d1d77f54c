"""Dead-letter records: the original bytes and headers, plus why, where and when."""

from __future__ import annotations

import time

from workers.envelope import Envelope

HEADER_PREFIX = "copyflow.dlq."


def dead_letter_headers(env: Envelope, stage: str, reason: str) -> list[tuple[str, bytes]]:
    """Original headers first, then the dead-letter facts as ``copyflow.dlq.*`` headers."""
    extra = {
        "reason": reason[:2000],
        "stage": stage,
        "source.topic": env.topic,
        "source.partition": str(env.partition),
        "source.offset": str(env.offset),
        "source.timestamp": str(env.timestamp_ms),
        "timestamp": str(int(time.time() * 1000)),
    }
    return [*env.headers, *((HEADER_PREFIX + k, v.encode("utf-8")) for k, v in extra.items())]


def dlq_facts(headers: list[tuple[str, bytes]] | None) -> dict[str, str]:
    """Read the ``copyflow.dlq.*`` headers back (for inspection and redrive)."""
    facts: dict[str, str] = {}
    for key, value in headers or []:
        if key.startswith(HEADER_PREFIX):
            facts[key[len(HEADER_PREFIX) :]] = (value or b"").decode("utf-8", "replace")
    return facts

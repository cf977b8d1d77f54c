"""Deterministic ids and seeds: a replay of the same event with the same model is identical."""

from __future__ import annotations

import hashlib

from workers.domain import ContentRequest


def _digest(*parts: str) -> bytes:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()


def content_id(req: ContentRequest, model_version: str) -> str:
    """The same source event, kind, channel, locale and model always give the same id."""
    return _digest(
        req.source.event_id, req.request_id, req.kind, req.channel, req.locale, model_version
    ).hex()[:32]


def sampling_seed(req: ContentRequest, model_version: str, attempt: int = 0) -> int:
    """A 63-bit seed from the request and model version; attempts re-sample differently."""
    raw = _digest(req.request_id, model_version, str(attempt))
    return int.from_bytes(raw[:8], "big") & ((1 << 63) - 1)

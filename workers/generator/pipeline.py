"""One micro-batch through the stages: decode → requests → write (generate, guard) → encode.

Pure with respect to Kafka: envelopes in, outcomes out. Only ``loop.py`` touches Kafka.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import structlog

from workers.domain import ContentRequest, Kind
from workers.envelope import Envelope
from workers.errors import BadInput
from workers.generator.identity import content_id
from workers.generator.requests import request_from_avro, requests_from_product
from workers.generator.writer import TextGenerator, WrittenCopy, write_copy
from workers.serde import Codec
from workers.settings import TopicSettings

log = structlog.get_logger("copyflow.generator")


@dataclass(frozen=True, slots=True)
class Output:
    """A record to publish."""

    topic: str
    key: bytes
    value: bytes
    headers: tuple[tuple[str, bytes], ...]
    source: Envelope
    fallback: bool


# Why a record was dead-lettered, for triage and for the loop's broken-generator breaker:
# - "bad_input": malformed or invalid (undecodable, wrong schema, missing or out-of-range
#   fields); fix the producer, then redrive;
# - "unprocessable": valid, but no text can ever pass the guards for it;
# - "unexpected": an exception nobody classified (a bug); redrive once it is fixed.
ErrorClass = Literal["bad_input", "unprocessable", "unexpected"]


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """An input that can never be processed as it is, with the reason."""

    source: Envelope
    stage: str
    reason: str
    error_class: ErrorClass = "bad_input"


Outcome = Output | DeadLetter


@dataclass(slots=True)
class Pipeline:
    """What a batch needs: codecs, the generator and where outputs go."""

    topics: TopicSettings
    product_codec: Codec
    request_codec: Codec
    content_codec: Codec
    generator: TextGenerator
    max_attempts: int = 3
    # Drafts written per request and attempt; the passing one naming most attributes wins.
    drafts: int = 1
    # Extra attempts for a detail-page text that leaves an attribute out (see the writer).
    completion_retries: int = 0
    # Replays set this: created_at becomes the source record's timestamp and latency_ms 0,
    # so the same range replayed twice yields byte-identical records.
    deterministic: bool = False
    # Replays that regenerate only some kinds (a description backfill) drop the other requests
    # before generation: the model's time is what a replay costs. None: every kind.
    kinds: frozenset[str] | None = None

    def output_topic(self, kind: Kind) -> str:
        return {
            "description": self.topics.descriptions,
            "ad": self.topics.ads,
            "recommendation": self.topics.recommendations,
        }[kind]


def _decode(env: Envelope, p: Pipeline) -> list[ContentRequest]:
    if env.topic == p.topics.product_created:
        return requests_from_product(p.product_codec.decode(env.value, env.topic), env)
    if env.topic == p.topics.content_requests:
        return [request_from_avro(p.request_codec.decode(env.value, env.topic))]
    raise BadInput("route", f"no decoder for topic {env.topic}")


def _output_key(req: ContentRequest) -> bytes:
    # Recommendations are per user; descriptions and ads are per product.
    if req.kind == "recommendation" and req.user_id:
        return req.user_id.encode("utf-8")
    return req.items[0].product_id.encode("utf-8")


def _encode(copy: WrittenCopy, env: Envelope, p: Pipeline) -> Output:
    req = copy.request
    gen = p.generator
    cid = content_id(req, gen.model_version)
    record = {
        "content_id": cid,
        "kind": req.kind,
        "locale": req.locale,
        "channel": req.channel,
        "text": copy.text,
        "product_ids": [i.product_id for i in req.items],
        "user_id": req.user_id,
        "model_name": gen.model_name,
        "model_version": gen.model_version,
        "model_sha256": gen.model_sha256,
        "seed": copy.seed,
        "source_topic": env.topic,
        "source_partition": env.partition,
        "source_offset": env.offset,
        "source_event_id": req.source.event_id,
        "guards": [{"name": g.name, "passed": g.passed, "detail": g.detail} for g in copy.guards],
        "attempts": copy.attempts,
        "fallback": copy.fallback,
        "latency_ms": 0.0 if p.deterministic else copy.latency_ms,
        "created_at": env.timestamp_ms if p.deterministic else int(time.time() * 1000),
    }
    topic = p.output_topic(req.kind)
    return Output(
        topic=topic,
        key=_output_key(req),
        value=p.content_codec.encode(record, topic),
        headers=(("copyflow.content_id", cid.encode()), ("copyflow.kind", req.kind.encode())),
        source=env,
        fallback=copy.fallback,
    )


def handle(batch: Sequence[Envelope], p: Pipeline) -> list[Outcome]:
    """Decode, generate and guard one micro-batch; never raises for bad input."""
    outcomes: list[Outcome] = []
    requests: list[ContentRequest] = []
    owners: list[Envelope] = []
    for env in batch:
        try:
            decoded = _decode(env, p)
        except BadInput as exc:
            outcomes.append(DeadLetter(env, exc.stage, exc.reason))
            continue
        if p.kinds is not None:
            decoded = [r for r in decoded if r.kind in p.kinds]
        requests.extend(decoded)
        owners.extend([env] * len(decoded))
    if requests:
        written = write_copy(
            requests,
            p.generator,
            p.max_attempts,
            drafts=p.drafts,
            completion_retries=p.completion_retries,
        )
        failed: set[int] = set()
        encoded: list[tuple[Envelope, Output]] = []
        for env, copy in zip(owners, written, strict=True):
            if not copy.publishable:
                if id(env) not in failed:
                    failed.add(id(env))
                    detail = "; ".join(f"{g.name}: {g.detail}" for g in copy.guards if not g.passed)
                    outcomes.append(
                        DeadLetter(
                            env, "guard", f"no text passes the guards: {detail}", "unprocessable"
                        )
                    )
                continue
            try:
                encoded.append((env, _encode(copy, env, p)))
            except BadInput as exc:
                if id(env) not in failed:
                    failed.add(id(env))
                    outcomes.append(DeadLetter(env, exc.stage, exc.reason))
        # An input is all-or-nothing: if one of its outputs failed, it goes to the DLQ whole.
        outcomes.extend(out for env, out in encoded if id(env) not in failed)
    return outcomes

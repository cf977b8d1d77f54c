"""Create the topics copyflow uses, idempotently."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from workers.settings import Settings


def all_topics(settings: Settings) -> list[str]:
    t = settings.topics
    return [
        t.product_created,
        t.user_behavior,
        t.content_requests,
        t.descriptions,
        t.ads,
        t.recommendations,
        t.dead_letter,
    ]


def ensure_topics(
    conf: Mapping[str, Any], names: Iterable[str], partitions: int = 3, replication: int = 1
) -> list[str]:
    """Create missing topics; return the names that were created."""
    admin = AdminClient(dict(conf))
    existing = set(admin.list_topics(timeout=10).topics)
    wanted = [n for n in dict.fromkeys(names) if n not in existing]
    if not wanted:
        return []
    futures = admin.create_topics(
        [NewTopic(n, num_partitions=partitions, replication_factor=replication) for n in wanted],
        operation_timeout=30,
    )
    created: list[str] = []
    for name, fut in futures.items():
        try:
            fut.result()
            created.append(name)
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise
    return created

"""Shared fixtures: a real Kafka broker for the whole session, fresh topics per test.

Broker choice, in order: ``KAFKA_BOOTSTRAP`` when set (``make test`` starts the dev broker and
sets it); else testcontainers' Kafka when a Docker engine answers; else the dev broker from
the cached Maven jars, started here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


def _docker_available() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
    except Exception:  # noqa: BLE001 - any failure means "no engine"
        return False
    return True


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """The bootstrap address of a real Apache Kafka broker."""
    env = os.environ.get("KAFKA_BOOTSTRAP")
    if env:
        yield env
        return
    if _docker_available():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer("apache/kafka:3.9.1").with_kraft() as kafka:
            yield kafka.get_bootstrap_server()
        return
    from workers import devbroker

    # A broker that was already running belongs to someone else: use it, never stop it.
    started_here = devbroker.status() is None
    bootstrap = devbroker.start()
    os.environ["KAFKA_BOOTSTRAP"] = bootstrap
    try:
        yield bootstrap
    finally:
        if started_here:
            devbroker.stop()
        os.environ.pop("KAFKA_BOOTSTRAP", None)

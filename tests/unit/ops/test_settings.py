"""Ops settings turn into librdkafka properties only when asked for."""

from __future__ import annotations

import pytest

from workers.ops.settings import OpsSettings


def test_defaults_add_no_client_properties() -> None:
    """Out of the box the worker keeps librdkafka's defaults and dynamic membership."""
    ops = OpsSettings()
    assert ops.consumer_overrides("w1") == {}
    assert ops.producer_overrides() == {}
    assert ops.generator == "model" and ops.health_port is None


def test_static_membership_uses_the_instance_id() -> None:
    """With static membership the instance id becomes group.instance.id, with a scaled heartbeat."""
    ops = OpsSettings(static_membership=True, session_timeout_ms=6000)
    assert ops.consumer_overrides("w2") == {
        "group.instance.id": "w2",
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 1200,
    }


def test_environment_is_read_with_the_ops_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    """COPYFLOW_OPS_* variables configure the ops settings (built in main, never at import)."""
    monkeypatch.setenv("COPYFLOW_OPS_GENERATOR", "canned")
    monkeypatch.setenv("COPYFLOW_OPS_HEALTH_PORT", "8081")
    monkeypatch.setenv("COPYFLOW_OPS_TRANSACTION_TIMEOUT_MS", "15000")
    ops = OpsSettings()
    assert (ops.generator, ops.health_port) == ("canned", 8081)
    assert ops.producer_overrides() == {"transaction.timeout.ms": 15000}

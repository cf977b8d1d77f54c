"""The /health endpoint answers 200 or 503 with JSON; the probe turns that into exit codes."""

from __future__ import annotations

import socket
import urllib.request
from collections.abc import Iterator

import pytest

from workers.ops.health import HealthReport, HealthServer, probe, prometheus_text


@pytest.fixture
def verdict() -> list[HealthReport]:
    """A mutable report the server answers with."""
    return [
        HealthReport(
            True, (), {"consumed": 3, "partitions": {"in[0]": {"lag": 2, "stalled": False}}}
        )
    ]


@pytest.fixture
def server(verdict: list[HealthReport]) -> Iterator[HealthServer]:
    """A health server on a free port, stopped after the test."""
    s = HealthServer(lambda: verdict[0], port=0).start()
    yield s
    s.stop()


def test_healthy_answers_200_and_exit_0(server: HealthServer) -> None:
    """A healthy worker answers 200 with its facts; the probe exits 0."""
    result = probe(f"http://127.0.0.1:{server.port}/health")
    assert (result.exit_code, result.status) == (0, 200)
    assert (
        result.body is not None and result.body["status"] == "ok" and result.body["consumed"] == 3
    )


def test_unhealthy_answers_503_and_exit_1(
    server: HealthServer, verdict: list[HealthReport]
) -> None:
    """An unhealthy worker answers 503 with its reasons; the probe exits 1."""
    verdict[0] = HealthReport(False, ("stalled partitions: in[0]",), {})
    result = probe(f"http://127.0.0.1:{server.port}/health")
    assert (result.exit_code, result.status) == (1, 503)
    assert result.body is not None and result.body["reasons"] == ["stalled partitions: in[0]"]


def test_metrics_are_prometheus_text(server: HealthServer) -> None:
    """/metrics exposes the numeric facts and per-partition gauges."""
    with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/metrics", timeout=3) as resp:
        text = resp.read().decode()
    assert "copyflow_healthy 1" in text and "copyflow_consumed 3" in text
    assert 'copyflow_partition_lag{topic="in",partition="0"} 2' in text


def test_unknown_path_is_404(server: HealthServer) -> None:
    """Only the documented paths answer."""
    result = probe(f"http://127.0.0.1:{server.port}/nope")
    assert (result.exit_code, result.status) == (2, 404)


def test_unreachable_probe_exits_2() -> None:
    """Nobody listening is exit 2 (unreachable), never an exception."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = probe(f"http://127.0.0.1:{port}/health", timeout_s=1)
    assert result.exit_code == 2 and result.status is None and result.error


def test_prometheus_text_counts_booleans_as_ints() -> None:
    """Booleans become 0/1 and unhealthy reports say copyflow_healthy 0."""
    text = prometheus_text(HealthReport(False, ("x",), {"fenced": True, "name": "w"}))
    assert "copyflow_healthy 0" in text and "copyflow_fenced 1" in text and "name" not in text

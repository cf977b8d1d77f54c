"""The supervised worker: health verdicts, the shutdown guard and the worker it builds."""

from __future__ import annotations

import threading

import pytest

from workers.generator.pipeline import Pipeline
from workers.ops import worker as worker_module
from workers.ops.liveness import LagMonitor
from workers.ops.settings import OpsSettings
from workers.ops.worker import ShutdownGuard, build_worker, health_report
from workers.settings import Settings


def test_build_worker_applies_membership_and_transaction_tuning(
    settings: Settings, canned_pipeline: Pipeline
) -> None:
    """Static membership and the transaction timeout reach the clients' configuration."""
    ops = OpsSettings(
        static_membership=True, transaction_timeout_ms=15000, max_unexpected_in_a_row=7
    )
    w = build_worker(settings, ops, canned_pipeline, "w3")
    assert w.consumer_overrides["group.instance.id"] == "w3"
    assert w.producer_overrides == {"transaction.timeout.ms": 15000}
    assert w.max_unexpected_in_a_row == 7 and w.instance_id == "w3"


def test_health_turns_unhealthy_when_the_loop_stops_polling(
    settings: Settings, canned_pipeline: Pipeline
) -> None:
    """A loop that has not polled within liveness_timeout_s is reported, with the reason."""
    w = build_worker(settings, OpsSettings(), canned_pipeline, "w1")
    ops = OpsSettings(liveness_timeout_s=10)
    fresh = health_report(w, LagMonitor(), ops, "running", now=w.last_poll + 1)
    stale = health_report(w, LagMonitor(), ops, "running", now=w.last_poll + 11)
    assert fresh.healthy and fresh.facts["instance"] == "w1"
    assert not stale.healthy and "has not polled" in stale.reasons[0]


def test_health_reports_stalled_partitions(settings: Settings, canned_pipeline: Pipeline) -> None:
    """A stalled partition makes the worker unhealthy and is named in the reasons."""
    w = build_worker(settings, OpsSettings(), canned_pipeline, "w1")
    monitor = LagMonitor(stall_after_s=1)
    monitor.observe(("in", 0), 1, 5, now=0)
    monitor.observe(("in", 0), 1, 6, now=2)
    report = health_report(w, monitor, OpsSettings(), "running", now=w.last_poll)
    assert not report.healthy and report.reasons == ("stalled partitions: in[0]",)
    assert report.facts["stalled_partitions"] == 1


def test_first_signal_stops_and_arms_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGTERM sets stop; if shutdown overruns the grace period the process exits hard."""
    exits: list[int] = []
    fired = threading.Event()

    def _exit(code: int) -> None:
        exits.append(code)
        fired.set()

    monkeypatch.setattr("workers.ops.worker.os._exit", _exit)
    stop = threading.Event()
    guard = ShutdownGuard(stop, grace_s=0.05)
    guard(15)
    assert stop.is_set() and guard.requested_at is not None
    assert fired.wait(2)
    assert exits == [worker_module.EXIT_GRACE_EXCEEDED]


def test_second_signal_exits_at_once_and_cancel_disarms(monkeypatch: pytest.MonkeyPatch) -> None:
    """A second SIGTERM exits immediately; a finished shutdown cancels the deadline."""
    exits: list[int] = []
    monkeypatch.setattr("workers.ops.worker.os._exit", exits.append)
    guard = ShutdownGuard(threading.Event(), grace_s=0.2)
    guard(15)
    guard.cancel()
    guard(2)
    assert exits == [worker_module.EXIT_GRACE_EXCEEDED]
    threading.Event().wait(0.3)
    assert exits == [worker_module.EXIT_GRACE_EXCEEDED]  # the cancelled timer never fired


def test_watchdog_exits_when_the_loop_stops_polling(
    settings: Settings, canned_pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A loop stuck past the liveness timeout makes the process exit (70) for a restart."""
    exits: list[int] = []
    fired = threading.Event()

    def _exit(code: int) -> None:
        exits.append(code)
        fired.set()

    monkeypatch.setattr("workers.ops.worker.os._exit", _exit)
    w = build_worker(settings, OpsSettings(), canned_pipeline, "w1")
    w.last_poll -= 10.0
    dog = worker_module.Watchdog(w, timeout_s=5.0, every_s=0.01).start()
    try:
        assert fired.wait(2)
    finally:
        dog.stop()
    assert exits == [worker_module.EXIT_FATAL] and dog.stuck_for() >= 10.0

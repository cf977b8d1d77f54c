"""The generator worker under supervision: signals, bounded shutdown, health, stall detection.

``run_worker`` wraps ``GeneratorWorker`` with what an orchestrator expects:
- SIGTERM/SIGINT: stop taking batches, finish (or abort) the batch in hand, commit, close the
  consumer (which leaves the group) and exit 0, all within ``shutdown_grace_s``; past that
  bound, or on a second signal, exit hard. With transactions a hard exit loses nothing: the
  open transaction is aborted by the broker or fenced by the successor.
- ``/health`` and ``/metrics`` on ``COPYFLOW_OPS_HEALTH_PORT`` (opt-in);
- a lag monitor that logs ``partition_stalled`` when a partition has lag and no progress.

``python -m workers.ops.worker`` runs it from a shell; ``COPYFLOW_OPS_GENERATOR=template`` or
``canned`` selects a fast test generator (see ``workers.ops.fast_generators``).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from types import FrameType

import structlog

from workers.errors import Fatal
from workers.generator.loop import GeneratorWorker, default_instance_id
from workers.generator.pipeline import Pipeline
from workers.ops.health import HealthReport, HealthServer
from workers.ops.liveness import LagMonitor, watermark_client
from workers.ops.settings import OpsSettings
from workers.settings import Settings

log = structlog.get_logger("copyflow.worker")

EXIT_FATAL = 70  # EX_SOFTWARE: the orchestrator should restart us
EXIT_GRACE_EXCEEDED = 75  # shutdown took longer than shutdown_grace_s


def health_report(
    worker: GeneratorWorker,
    monitor: LagMonitor,
    ops: OpsSettings,
    state: str,
    now: float | None = None,
) -> HealthReport:
    """Healthy while the loop polls in time and no partition is stalled."""
    now = time.monotonic() if now is None else now
    poll_age = now - worker.last_poll
    reasons: list[str] = []
    if state == "running" and poll_age > ops.liveness_timeout_s:
        reasons.append(f"loop has not polled for {poll_age:.0f}s")
    stalled = monitor.stalled()
    if stalled:
        reasons.append("stalled partitions: " + ", ".join(stalled))
    if state == "failed":
        reasons.append("worker failed")
    s = worker.stats
    facts = {
        "state": state,
        "instance": worker.instance_id,
        "delivery": "exactly_once" if worker.exactly_once else "at_least_once",
        "consumed": s.consumed,
        "published": s.published,
        "dead_lettered": s.dead_lettered,
        "fallbacks": s.fallbacks,
        "batches": s.batches,
        "aborted_batches": s.aborted_batches,
        "rewound_batches": s.rewound_batches,
        "assigned_partitions": len(worker.assignment),
        "stalled_partitions": len(stalled),
        "stall_events": monitor.stall_events,
        "last_poll_age_s": round(poll_age, 3),
        "last_progress_age_s": round(now - worker.last_progress, 3),
        "partitions": monitor.snapshot(),
    }
    return HealthReport(not reasons, tuple(reasons), facts)


class ShutdownGuard:
    """First signal: ask the loop to stop and arm a hard deadline. Second signal: exit now."""

    def __init__(self, stop: threading.Event, grace_s: float) -> None:
        self.stop = stop
        self.grace_s = grace_s
        self.requested_at: float | None = None
        self._timer: threading.Timer | None = None

    def __call__(self, signum: int, _frame: FrameType | None = None) -> None:
        if self.requested_at is not None:
            log.warning("shutdown_forced", signal=signum)
            os._exit(EXIT_GRACE_EXCEEDED)
            return  # only reached when _exit is replaced (tests)
        self.requested_at = time.monotonic()
        log.info("shutdown_requested", signal=signum, grace_s=self.grace_s)
        self.stop.set()
        self._timer = threading.Timer(self.grace_s, self._expired)
        self._timer.daemon = True
        self._timer.start()

    def _expired(self) -> None:
        log.error("shutdown_grace_exceeded", grace_s=self.grace_s)
        os._exit(EXIT_GRACE_EXCEEDED)

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def install(self) -> None:
        signal.signal(signal.SIGTERM, self)
        signal.signal(signal.SIGINT, self)


class Watchdog:
    """Exit the process when the loop stops polling (only if asked to; see OpsSettings)."""

    def __init__(self, worker: GeneratorWorker, timeout_s: float, every_s: float = 1.0) -> None:
        self.worker = worker
        self.timeout_s = timeout_s
        self.every_s = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="watchdog", daemon=True)

    def start(self) -> Watchdog:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def stuck_for(self, now: float | None = None) -> float:
        return (time.monotonic() if now is None else now) - self.worker.last_poll

    def _watch(self) -> None:
        while not self._stop.wait(self.every_s):
            stuck = self.stuck_for()
            if stuck > self.timeout_s:
                log.error(
                    "worker_unresponsive", instance=self.worker.instance_id, stuck_s=round(stuck, 1)
                )
                os._exit(EXIT_FATAL)
                return  # only reached when _exit is replaced (tests)


def build_worker(
    settings: Settings, ops: OpsSettings, pipeline: Pipeline, instance_id: str | None = None
) -> GeneratorWorker:
    """A GeneratorWorker with the membership and transaction tuning from ``ops``."""
    instance = instance_id or default_instance_id()
    return GeneratorWorker(
        settings,
        pipeline,
        instance_id=instance,
        consumer_overrides=ops.consumer_overrides(instance),
        producer_overrides=ops.producer_overrides(),
        max_unexpected_in_a_row=ops.max_unexpected_in_a_row,
    )


def run_worker(
    settings: Settings,
    ops: OpsSettings,
    instance_id: str | None = None,
    idle_timeout_s: float | None = None,
    pipeline: Pipeline | None = None,
    install_signals: bool = True,
    stop: threading.Event | None = None,
) -> int:
    """Run one supervised worker until signalled, idle or fatal; return the exit code."""
    from workers.ops.pipelines import build_pipeline_with, make_generator

    stop = stop or threading.Event()
    guard = ShutdownGuard(stop, ops.shutdown_grace_s)
    if install_signals:
        guard.install()
    if pipeline is None:
        pipeline = build_pipeline_with(settings, make_generator(settings, ops))
    worker = build_worker(settings, ops, pipeline, instance_id)
    monitor = LagMonitor(
        ops.stall_after_s,
        ops.lag_check_interval_s,
        watermarks=watermark_client(settings.kafka_common()),
    )
    watchdog = (
        Watchdog(worker, ops.liveness_timeout_s).start() if ops.exit_when_unresponsive else None
    )
    state = {"value": "running"}
    server: HealthServer | None = None
    if ops.health_port is not None:
        server = HealthServer(
            lambda: health_report(worker, monitor, ops, state["value"]),
            ops.health_port,
            ops.health_host,
        ).start()
    log.info(
        "worker_starting",
        instance=worker.instance_id,
        delivery=settings.delivery,
        generator=ops.generator,
        model=pipeline.generator.model_name,
        model_version=pipeline.generator.model_version,
        topics=worker.topics,
    )
    code = 0
    try:
        worker.run(stop, idle_timeout_s=idle_timeout_s, tick=monitor.tick)
    except Fatal as exc:
        state["value"] = "failed"
        log.error("worker_fatal", instance=worker.instance_id, error=str(exc))
        code = EXIT_FATAL
    finally:
        guard.cancel()
        monitor.close()
        if watchdog is not None:
            watchdog.stop()
        if server is not None:
            server.stop()
    s = worker.stats
    shutdown_s = (
        None if guard.requested_at is None else round(time.monotonic() - guard.requested_at, 3)
    )
    log.info(
        "worker_stopped",
        instance=worker.instance_id,
        consumed=s.consumed,
        published=s.published,
        dead_lettered=s.dead_lettered,
        aborted_batches=s.aborted_batches,
        shutdown_s=shutdown_s,
        exit_code=code,
    )
    print(
        f"consumed={s.consumed} published={s.published} "
        f"dead_lettered={s.dead_lettered} fallbacks={s.fallbacks}",
        flush=True,
    )
    return code


def main(argv: Sequence[str] | None = None) -> int:
    from workers.logs import configure_logging

    parser = argparse.ArgumentParser(prog="python -m workers.ops.worker", description=__doc__)
    parser.add_argument("--instance-id", default=None, help="stable id; fences older instances")
    parser.add_argument(
        "--idle-timeout", type=float, default=None, help="exit after S idle seconds"
    )
    args = parser.parse_args(argv)
    settings = Settings()
    configure_logging(settings.log_format, settings.log_level)
    return run_worker(settings, OpsSettings(), args.instance_id, args.idle_timeout)


if __name__ == "__main__":
    sys.exit(main())

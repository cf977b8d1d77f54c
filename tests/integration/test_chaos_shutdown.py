"""Liveness with real worker processes: graceful SIGTERM, the shutdown bound, /health and stalls.

Workers are ``python -m workers.ops.worker`` subprocesses with a fast test generator
(``workers.ops.fast_generators``); the template generator is used where a batch must take a
few seconds, so that SIGTERM lands in the middle of one.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from confluent_kafka import Producer

from tests.integration.kafka_helpers import plain_avro_encode, produce
from workers.ops.audit import audit, expect_outputs
from workers.ops.chaos import first_event_after, log_events, wait_until, worker_env
from workers.ops.health import probe
from workers.ops.lag import group_lag, total_lag
from workers.sample_catalog import sample_products
from workers.serde import PlainAvroCodec
from workers.settings import Settings

pytestmark = pytest.mark.integration

KINDS = ("description", "ad")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _send(settings: Settings, n: int, seed: int) -> list[tuple[int, int]]:
    products = sample_products(n, seed=seed)
    return produce(
        settings.bootstrap_servers,
        settings.topics.product_created,
        [(p["product_id"].encode(), plain_avro_encode("ProductCreated", p)) for p in products],
    )


@contextmanager
def _worker(
    settings: Settings, log: Path, instance: str = "w0", **env: str
) -> Iterator[subprocess.Popen[bytes]]:
    """A worker subprocess logging JSON to ``log``; killed at the end if still running."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "workers.ops.worker", "--instance-id", instance],
            env=worker_env(settings, **env),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def _committed(settings: Settings) -> int:
    lags = group_lag(settings.kafka_common(), settings.group_id, [settings.topics.product_created])
    return sum(p.committed or 0 for p in lags)


def _outputs(settings: Settings, placed: list[tuple[int, int]]) -> int:
    report = audit(
        settings.kafka_common(),
        [settings.topics.descriptions, settings.topics.ads],
        settings.topics.dead_letter,
        expect_outputs(settings.topics.product_created, placed, KINDS),
        set(),
        PlainAvroCodec("GeneratedContent").decode,
    )
    assert report.outputs.duplicated == 0 and report.outputs.extra == 0, report.text()
    return report.outputs.seen


def _group_probe(settings: Settings) -> subprocess.CompletedProcess[str]:
    """``copyflow health --max-lag 0``: the group's lag read from the broker, no worker needed."""
    return subprocess.run(
        [sys.executable, "-m", "workers.cli", "health", "--max-lag", "0"],
        env=worker_env(settings),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _event(log: Path, name: str) -> dict[str, object] | None:
    return next((e for e in log_events(log) if e.get("event") == name), None)


def test_sigterm_finishes_the_batch_commits_and_exits_zero(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """SIGTERM mid-batch: the batch is finished and committed, the group left, exit 0 in time."""
    settings = make_settings()
    # Enough inputs that the signal lands mid-run: the template worker on a quiet machine
    # wrote 300 inputs within the half second below (a CI run committed all 300).
    total = 3000
    placed = _send(settings, total, seed=41)
    log = tmp_path / "w0.log"
    with _worker(
        settings,
        log,
        COPYFLOW_OPS_GENERATOR="template",
        COPYFLOW_MAX_BATCH_SIZE="40",
        COPYFLOW_OPS_SHUTDOWN_GRACE_S="60",
    ) as proc:
        assert wait_until(lambda: first_event_after(log, "batch_done", 0) is not None, 120)
        time.sleep(0.5)  # batches run back to back: the next one is in hand now
        sent_at = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(90)
        took = time.monotonic() - sent_at
    stopped = _event(log, "worker_stopped")
    requested = _event(log, "shutdown_requested")
    assert code == 0 and stopped is not None and requested is not None
    events = [e["event"] for e in log_events(log)]
    # The batch in hand was finished and committed after the signal, then the group was left.
    after = events[events.index("shutdown_requested") :]
    assert "batch_done" in after and "partitions_revoked" in after
    committed = _committed(settings)
    print(f"\nsigterm: exit 0 after {took:.1f}s; committed {committed} inputs; {stopped}")
    assert committed == stopped["consumed"] and 0 < committed < total
    assert _outputs(settings, placed) == 2 * committed
    assert took < 60


def test_shutdown_past_the_grace_exits_hard_and_loses_nothing(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """A batch longer than the grace period: hard exit 75, nothing half-published, then done."""
    settings = make_settings()
    placed = _send(settings, 200, seed=42)
    log = tmp_path / "slow.log"
    with _worker(
        settings,
        log,
        COPYFLOW_OPS_GENERATOR="slow",
        COPYFLOW_OPS_SLOW_GENERATE_S="30",
        COPYFLOW_MAX_BATCH_SIZE="200",
        COPYFLOW_OPS_SHUTDOWN_GRACE_S="1",
        # A hard exit never leaves the group: keep the successor's wait for it short.
        COPYFLOW_OPS_SESSION_TIMEOUT_MS="6000",
    ) as proc:
        assert wait_until(lambda: _event(log, "partitions_assigned") is not None, 120)
        time.sleep(1.0)  # the 200-record batch is in the slow generator for 30 s
        sent_at = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(30)
        took = time.monotonic() - sent_at
    assert code == 75 and took < 10
    assert _event(log, "shutdown_grace_exceeded") is not None
    assert _outputs(settings, placed) == 0  # the open transaction never became visible
    lagging = _group_probe(settings)
    assert lagging.returncode == 1 and "total lag 200" in lagging.stdout
    with _worker(
        settings,
        tmp_path / "next.log",
        COPYFLOW_OPS_GENERATOR="canned",
        COPYFLOW_OPS_SESSION_TIMEOUT_MS="6000",
    ) as proc:
        assert wait_until(lambda: _committed(settings) == 200, 120)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
    assert _outputs(settings, placed) == 400
    assert _group_probe(settings).returncode == 0
    print(f"\ngrace: hard exit 75 after {took:.1f}s; the successor published all 400 outputs once")


def test_health_endpoint_stall_detection_and_cli_probe(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """An open upstream transaction stalls a partition: logged, 503, probe exit 1, then recovery."""
    settings = make_settings()
    port = _free_port()
    log = tmp_path / "w0.log"
    url = f"http://127.0.0.1:{port}/health"
    cli = [sys.executable, "-m", "workers.cli", "health", "--port", str(port)]
    with _worker(
        settings,
        log,
        COPYFLOW_OPS_GENERATOR="canned",
        COPYFLOW_OPS_HEALTH_PORT=str(port),
        COPYFLOW_OPS_STALL_AFTER_S="3",
        COPYFLOW_OPS_LAG_CHECK_INTERVAL_S="1",
    ) as proc:
        assert wait_until(lambda: probe(url).exit_code == 0, 60)
        ok = subprocess.run(cli, capture_output=True, timeout=30, check=False)
        assert ok.returncode == 0 and json.loads(ok.stdout)["status"] == "ok"
        # An upstream producer opens a transaction on partition 0 and leaves it open: a
        # read_committed reader cannot pass it, so the records after it pile up as lag.
        upstream = Producer(
            {
                "bootstrap.servers": settings.bootstrap_servers,
                "transactional.id": f"up-{settings.group_id}",
            }
        )
        upstream.init_transactions(30)
        upstream.begin_transaction()
        product = sample_products(1, seed=43)[0]
        upstream.produce(
            settings.topics.product_created,
            plain_avro_encode("ProductCreated", product),
            partition=0,
        )
        upstream.flush(10)
        plain = Producer({"bootstrap.servers": settings.bootstrap_servers})
        for p in sample_products(5, seed=44):
            plain.produce(
                settings.topics.product_created, plain_avro_encode("ProductCreated", p), partition=0
            )
        plain.flush(10)
        assert wait_until(lambda: probe(url).exit_code == 1, 60), "the stall was not reported"
        body = probe(url).body or {}
        assert any("stalled partitions" in r for r in body.get("reasons", []))
        bad = subprocess.run(cli, capture_output=True, timeout=30, check=False)
        assert bad.returncode == 1
        stall = _event(log, "partition_stalled")
        assert stall is not None and stall["partition"] == 0 and int(str(stall["lag"])) >= 5
        upstream.abort_transaction(30)
        assert wait_until(lambda: probe(url).exit_code == 0, 60), "no recovery after the abort"
        assert _event(log, "partition_recovered") is not None
        lag = total_lag(
            group_lag(settings.kafka_common(), settings.group_id, [settings.topics.product_created])
        )
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
            metrics = resp.read().decode()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
    gone = subprocess.run(cli, capture_output=True, timeout=30, check=False)
    print(
        f"\nhealth: stall {stall}; lag after recovery {lag}; probe after exit rc={gone.returncode}"
    )
    assert gone.returncode == 2
    assert "copyflow_stall_events 1" in metrics

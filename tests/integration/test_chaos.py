"""Chaos against a real broker: SIGKILLs, scaling 1→3→1 and a broker restart, audited exactly-once.

Every scenario runs real worker processes (``python -m workers.ops.worker``, the supervised
production loop) with the canned generator (``COPYFLOW_OPS_GENERATOR=canned``; see
``workers.ops.fast_generators``): same writer, guards, encoding and Kafka transactions as
production, minus the model, with micro-batches of 200 records per transaction.

The scenarios run on a private broker (own ports and log dir, see ``workers.ops.broker``): the
restart drill needs one whose data survives a restart, and chaos must not disturb, or be
disturbed by, anything else using the shared dev broker.

Sizes (the issue's, in full):
- kills: 3 workers work through 50,000 inputs, fed while they run, and a driver SIGKILLs a
  random one and restarts it 20 times, at random points spread over the whole run (one per
  twenty-first of the inputs, wherever the fleet has got to): ~90,000 outputs;
- scale 1→3→1: 10,000 inputs, scaled out at 10%, 6,000 more once all three own partitions,
  and back in once both new workers committed work; broker restart: 12,000 inputs, broker
  down 3 s.
Each input is a product (→ description + ad), a content request (→ recommendation) or garbage
(→ one dead letter), and a read_committed audit counts lost, duplicated and extra records.

Measured here (two cores shared with other work): the kill drill runs at 600-750 inputs/s
including the kills (a steady 3-worker fleet did 140 inputs/s before the guards were made
cheaper, 1,200 now), so it takes under two minutes and the module about three and a half.
``pytest -s`` prints the figures: inputs/s, kills, recovery times, lost/duplicated/extra.
"""

from __future__ import annotations

import random
import socket
import statistics
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.integration.kafka_helpers import plain_avro_encode, produce
from workers.domain import ContentRequest, Persona, Provenance
from workers.generator.requests import item_from_product, request_to_avro
from workers.kafka.topics import all_topics, ensure_topics
from workers.ops.audit import AuditReport, InputKey, OutputKey, audit
from workers.ops.broker import PrivateBroker
from workers.ops.chaos import (
    Fleet,
    kill_at_marks,
    log_events,
    measure_recovery,
    spread_marks,
    wait_until,
    worker_env,
)
from workers.ops.lag import PartitionLag, group_lag, total_lag
from workers.sample_catalog import sample_products
from workers.serde import PlainAvroCodec
from workers.settings import Settings, TopicSettings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PARTITIONS = 6
KILLS = 20
KILL_INPUTS = 50_000
FEED_CHUNK = 2_500
BATCH_SIZE = 200


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def private_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateBroker]:
    """A broker of our own that can be restarted with its data."""
    broker = PrivateBroker(tmp_path_factory.mktemp("broker"), _free_port(), _free_port())
    broker.start_fresh()
    try:
        yield broker
    finally:
        broker.destroy()


@dataclass
class Scenario:
    """Fresh topics and group on the private broker, the inputs sent, and what they call for."""

    settings: Settings
    log_dir: Path
    outputs: set[OutputKey] = field(default_factory=set)
    dead: set[InputKey] = field(default_factory=set)
    sent: int = 0
    _seed: int = 0

    @property
    def input_topics(self) -> list[str]:
        return [self.settings.topics.product_created, self.settings.topics.content_requests]

    def env(self, **extra: str) -> dict[str, str]:
        return worker_env(
            self.settings,
            COPYFLOW_OPS_GENERATOR="canned",
            COPYFLOW_MAX_BATCH_SIZE=str(BATCH_SIZE),
            COPYFLOW_OPS_SHUTDOWN_GRACE_S="30",
            **extra,
        )

    def send(self, n: int) -> None:
        """``n`` inputs: ~88% products, ~10% content requests, ~2% garbage."""
        self._seed += 1
        rng = random.Random(self._seed)
        products = sample_products(n, seed=100 + self._seed)
        t = self.settings.topics
        prod: list[tuple[bytes | None, bytes]] = []
        reqs: list[tuple[bytes | None, bytes]] = []
        junk: list[tuple[bytes | None, bytes]] = []
        for i, p in enumerate(products):
            roll = rng.random()
            if roll < 0.02:
                junk.append((p["product_id"].encode(), b"\x00chaos garbage " + str(i).encode()))
            elif roll < 0.12:
                req = ContentRequest(
                    request_id=f"{p['event_id']}:rec",
                    kind="recommendation",
                    locale=p["locale"],
                    channel="feed_card",
                    items=(item_from_product(p),),
                    source=Provenance("user-behavior", 0, i, f"{p['event_id']}:rec"),
                    created_at_ms=1_700_000_000_000,
                    persona=Persona("general"),
                    user_id=f"u{self._seed}-{i}",
                )
                reqs.append(
                    (
                        req.user_id.encode() if req.user_id else None,
                        plain_avro_encode("ContentRequest", request_to_avro(req)),
                    )
                )
            else:
                prod.append((p["product_id"].encode(), plain_avro_encode("ProductCreated", p)))
        boot = self.settings.bootstrap_servers
        for pos in produce(boot, t.product_created, prod):
            self.outputs |= {
                (t.product_created, *pos, "description"),
                (t.product_created, *pos, "ad"),
            }
        for pos in produce(boot, t.content_requests, reqs):
            self.outputs.add((t.content_requests, *pos, "recommendation"))
        for pos in produce(boot, t.product_created, junk):
            self.dead.add((t.product_created, *pos))
        self.sent += n

    def _lags(self) -> list[PartitionLag] | None:
        try:
            return group_lag(
                self.settings.kafka_common(), self.settings.group_id, self.input_topics, 5
            )
        except Exception:  # noqa: BLE001 - the broker may be restarting
            return None

    def lag(self) -> int | None:
        lags = self._lags()
        return None if lags is None else total_lag(lags)

    def processed(self) -> int | None:
        """Input records the group has committed past (None while the broker is away)."""
        lags = self._lags()
        if lags is None:
            return None
        return sum(max(0, (p.committed or p.low) - p.low) for p in lags)

    def drained(self) -> bool:
        return self.lag() == 0

    def done_at_least(self, fraction: float, total: int) -> bool:
        """At least ``fraction`` of ``total`` processed (False while the lag is unknown)."""
        lag = self.lag()
        return lag is not None and lag <= total * (1.0 - fraction)

    def audit(self) -> AuditReport:
        t = self.settings.topics
        return audit(
            self.settings.kafka_common(),
            [t.descriptions, t.ads, t.recommendations],
            t.dead_letter,
            self.outputs,
            self.dead,
            PlainAvroCodec("GeneratedContent").decode,
        )


@pytest.fixture
def scenario(private_broker: PrivateBroker, tmp_path: Path) -> Scenario:
    """Fresh topics (6 partitions each) and a fresh group on the private broker."""
    run = uuid.uuid4().hex[:8]
    topics = TopicSettings(**{k: f"c-{run}-{v}" for k, v in TopicSettings().model_dump().items()})
    settings = Settings(
        topics=topics, group_id=f"g-{run}", transactional_id_prefix=f"tx-{run}"
    ).model_copy(update={"bootstrap_servers": private_broker.bootstrap})
    ensure_topics(settings.kafka_common(), all_topics(settings), partitions=PARTITIONS)
    return Scenario(settings, tmp_path / "logs")


def _feed(scn: Scenario, total: int, chunk: int) -> tuple[threading.Thread, list[Exception]]:
    """Send ``total`` inputs in chunks, back to back, while the fleet works (a live catalog)."""
    errors: list[Exception] = []

    def _run() -> None:
        try:
            while scn.sent < total:
                scn.send(min(chunk, total - scn.sent))
        except Exception as exc:  # noqa: BLE001 - surfaced by the test
            errors.append(exc)

    thread = threading.Thread(target=_run, daemon=True)
    thread.start()
    return thread, errors


def _committed_batches(log_dir: Path, instance: str) -> int:
    """How many batches the starts of ``instance`` logged as committed."""
    return sum(
        1
        for log in log_dir.glob(f"{instance}-*.log")
        for e in log_events(log)
        if e.get("event") == "batch_done"
    )


def _owned(fleet: Fleet) -> set[str]:
    """The partitions the fleet's running processes own, from their assign/revoke logs."""
    owned: set[str] = set()
    for proc in fleet.procs.values():
        if proc.popen.poll() is not None:
            continue
        mine: set[str] = set()
        for e in log_events(proc.log):
            if e.get("event") == "partitions_assigned":
                mine |= set(e["partitions"])
            elif e.get("event") in ("partitions_revoked", "partitions_lost"):
                mine -= set(e["partitions"])
        owned |= mine
    return owned


def _report(title: str, scn: Scenario, report: AuditReport, began: float, extra: str = "") -> None:
    print(
        f"\n[{title}] inputs={scn.sent} time={time.monotonic() - began:.1f}s {extra}\n"
        f"[{title}] {report.text()}"
    )


def test_twenty_sigkills_lose_and_duplicate_nothing(scenario: Scenario) -> None:
    """Three workers work through 50k inputs; one is SIGKILLed and restarted 20 times: exact."""
    scn = scenario
    fleet = Fleet(
        scn.env(COPYFLOW_OPS_STATIC_MEMBERSHIP="true", COPYFLOW_OPS_SESSION_TIMEOUT_MS="6000"),
        scn.log_dir,
    )
    rng = random.Random(20)
    marks = spread_marks(KILL_INPUTS, KILLS, rng)
    began = time.monotonic()
    feeder, feed_errors = _feed(scn, KILL_INPUTS, FEED_CHUNK)
    try:
        fleet.scale_to(3)
        kills = kill_at_marks(fleet, marks, rng, scn.processed, timeout_s=180)
        feeder.join(120)
        assert not feeder.is_alive() and not feed_errors, feed_errors
        assert wait_until(scn.drained, 300, fleet.supervise, 1.0), f"lag stuck at {scn.lag()}"
        took = time.monotonic() - began
        stopped = fleet.stop_all()
    finally:
        fleet.stop_all()
    report = scn.audit()
    measured = measure_recovery(kills)
    recovered = [r.recovered_s for r in measured if r.recovered_s is not None]
    # A successor counts as recovered at its first committed batch. Some never commit one:
    # killed again first (the victim is random), or its partitions had no work left (each
    # worker keeps its own partitions, so one can be done while another still has a backlog).
    rekilled = sum(
        1
        for i, r in enumerate(measured)
        if r.recovered_s is None and any(k.instance == r.instance for k in measured[i + 1 :])
    )
    at = [100 * (r.progress or 0) / KILL_INPUTS for r in kills]
    figures = (
        f"inputs/s={scn.sent / took:.0f} kills={len(kills)} (at {min(at):.0f}%..{max(at):.0f}% "
        f"of the inputs) restarts_after_exit={fleet.restarts_after_exit} "
        f"recovery_s median={statistics.median(recovered or [-1]):.1f} "
        f"max={max(recovered or [-1]):.1f} "
        f"(measured {len(recovered)}/{len(kills)}; {rekilled} killed again before a batch, "
        f"{len(kills) - len(recovered) - rekilled} with no work left on their partitions)"
    )
    _report("sigkill", scn, report, began, figures)
    assert scn.sent == KILL_INPUTS
    assert len(kills) == KILLS
    # Every kill hit a fleet with work left, the last ones included.
    assert all(r.progress is not None and r.progress < KILL_INPUTS for r in kills)
    assert [code for _i, code, _t in stopped] == [0, 0, 0]
    assert recovered, "no restarted worker ever committed a batch"
    assert report.exact, report.text()
    assert report.outputs.expected > 80_000 and report.dead_letters.expected > 500


def test_scale_out_and_in_mid_run(scenario: Scenario) -> None:
    """1 → 3 → 1 workers while records flow: every input is still handled exactly once."""
    scn = scenario
    scn.send(10_000)
    fleet = Fleet(scn.env(), scn.log_dir)
    began = time.monotonic()
    total = scn.sent
    added = ("w1", "w2")
    try:
        fleet.scale_to(1)
        assert wait_until(lambda: scn.done_at_least(0.1, total), 300, fleet.supervise)
        fleet.scale_to(3)
        # Once every partition has one of the three owners, more inputs arrive on every
        # partition: the new workers then have work of their own whatever the first worker
        # had already drained (it reads some partitions to the end before others).
        assert wait_until(
            lambda: (
                len(_owned(fleet)) == 2 * PARTITIONS
                and all(
                    any(
                        e.get("event") == "partitions_assigned" and e["partitions"]
                        for e in log_events(fleet.procs[i].log)
                    )
                    for i in added
                )
            ),
            120,
            fleet.supervise,
        ), "the new workers were never given partitions"
        scn.send(6_000)
        # Scaled out once both new workers have committed work of their own.
        assert wait_until(
            lambda: all(_committed_batches(scn.log_dir, i) for i in added), 120, fleet.supervise
        ), "the new workers never committed a batch"
        left_at_scale_in = scn.lag()
        scale_in = [fleet.terminate(i) for i in added]
        assert wait_until(scn.drained, 240, fleet.supervise, 1.0), f"lag stuck at {scn.lag()}"
        fleet.stop_all()
    finally:
        fleet.stop_all()
    report = scn.audit()
    joined = {i: _committed_batches(scn.log_dir, i) for i in added}
    _report(
        "scale",
        scn,
        report,
        began,
        f"batches by the scaled-out workers {joined}; lag at scale-in {left_at_scale_in}; "
        f"scale-in exits={scale_in}",
    )
    # Both the scale-out and the scale-in happened with records still to process.
    assert left_at_scale_in, "the backlog drained before the scale-in"
    assert [code for code, _took in scale_in] == [0, 0]
    assert all(took < 30 for _code, took in scale_in)
    assert report.exact, report.text()


def test_broker_restart_mid_run(scenario: Scenario, private_broker: PrivateBroker) -> None:
    """The broker stops for 3 s and comes back with its data: nothing is lost or doubled."""
    scn = scenario
    scn.send(12_000)
    # After a full restart of a single broker librdkafka can leave a transactional call waiting
    # on a stale coordinator (librdkafka #5456, #5511): the watchdog exits a worker whose loop
    # stopped polling, the fleet restarts it, and static membership gives it its partitions
    # back without waiting for the dead member's session to expire.
    fleet = Fleet(
        scn.env(
            COPYFLOW_OPS_EXIT_WHEN_UNRESPONSIVE="true",
            COPYFLOW_OPS_LIVENESS_TIMEOUT_S="15",
            COPYFLOW_OPS_STATIC_MEMBERSHIP="true",
            COPYFLOW_OPS_SESSION_TIMEOUT_MS="6000",
        ),
        scn.log_dir,
    )
    began = time.monotonic()
    total = scn.sent
    try:
        fleet.scale_to(2)
        # Restart once the group is steady (every partition owned). A restart ~1.5 s after
        # the first join, while the cooperative hand-over of half the partitions from the
        # first member to the second was still in flight, once left six partitions owned by
        # neither static member, for good (seen once in three runs; not fixed here).
        assert wait_until(lambda: len(_owned(fleet)) == 2 * PARTITIONS, 120, fleet.supervise), (
            f"partitions owned: {sorted(_owned(fleet))}"
        )
        assert wait_until(lambda: scn.done_at_least(0.15, total), 300, fleet.supervise)
        before = scn.lag()
        assert before, "the backlog drained before the restart"
        away = private_broker.restart(down_s=3.0)
        back = time.monotonic()
        assert wait_until(lambda: (scn.lag() or before) < before, 300, fleet.supervise, 1.0)
        resumed_after = time.monotonic() - back
        assert wait_until(scn.drained, 300, fleet.supervise, 1.0), f"lag stuck at {scn.lag()}"
        drained_after = time.monotonic() - back
        fleet.stop_all()
    finally:
        fleet.stop_all()
    report = scn.audit()
    crashed = [(i, c) for i, c in fleet.exit_codes if c not in (0,)]
    _report(
        "broker-restart",
        scn,
        report,
        began,
        f"lag at restart {before}; broker away {away:.1f}s; progress resumed "
        f"{resumed_after:.1f}s and drained {drained_after:.1f}s after it was back; "
        f"worker exits {crashed}; "
        f"restarts_after_exit={fleet.restarts_after_exit}",
    )
    assert report.exact, report.text()

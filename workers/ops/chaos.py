"""Chaos drills: a fleet of real worker processes to kill, restart and scale, and a clock.

The fleet runs ``python -m workers.ops.worker`` processes (the supervised production worker)
with an environment chosen by the caller, one log file per process start (JSON lines), and
plays the orchestrator: ``supervise()`` restarts any process that exited on its own, as a
Deployment would. Recovery after a kill is read from the logs: the time from the kill to the
restarted process's first committed batch.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

WORKER_MODULE = "workers.ops.worker"


@dataclass(slots=True)
class KillRecord:
    """One SIGKILL: whom, when (wall clock) and how long until the successor committed."""

    instance: str
    killed_at: float
    restarted_at: float
    log: Path
    recovered_s: float | None = None
    progress: int | None = None  # records processed when the kill happened, where known


@dataclass(slots=True)
class _Proc:
    instance: str
    popen: subprocess.Popen[bytes]
    log: Path
    handle: IO[bytes]


def parse_log_time(value: str) -> float:
    """Wall-clock seconds from structlog's ISO timestamp."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def log_events(path: Path) -> list[dict[str, Any]]:
    """The JSON log lines of one process start (other lines are skipped)."""
    events: list[dict[str, Any]] = []
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return events
    for line in lines:
        if line.startswith("{"):
            try:
                events.append(json.loads(line))
            except ValueError:
                continue
    return events


def first_event_after(path: Path, event: str, after: float) -> float | None:
    """Wall time of the first ``event`` logged in ``path`` at or after ``after``."""
    for e in log_events(path):
        if e.get("event") == event and "timestamp" in e:
            t = parse_log_time(str(e["timestamp"]))
            if t >= after:
                return t
    return None


@dataclass(slots=True)
class Fleet:
    """Worker processes by instance id; ``desired`` is what ``supervise()`` keeps running."""

    env: Mapping[str, str]
    log_dir: Path
    python: str = sys.executable
    procs: dict[str, _Proc] = field(default_factory=dict)
    desired: set[str] = field(default_factory=set)
    starts: int = 0
    restarts_after_exit: int = 0
    exit_codes: list[tuple[str, int]] = field(default_factory=list)

    def start(self, instance: str) -> _Proc:
        self.starts += 1
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_dir / f"{instance}-{self.starts:03d}.log"
        handle = log.open("wb")
        popen = subprocess.Popen(
            [self.python, "-m", WORKER_MODULE, "--instance-id", instance],
            env=dict(self.env),
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        proc = _Proc(instance, popen, log, handle)
        self.procs[instance] = proc
        self.desired.add(instance)
        return proc

    def alive(self, instance: str) -> bool:
        p = self.procs.get(instance)
        return p is not None and p.popen.poll() is None

    def _reap(self, proc: _Proc) -> None:
        code = proc.popen.wait()
        proc.handle.close()
        self.exit_codes.append((proc.instance, code))

    def kill(self, instance: str, sig: int = signal.SIGKILL) -> float:
        """Send ``sig`` and wait for the process to be gone; return the wall time of the kill."""
        proc = self.procs[instance]
        at = time.time()
        os.kill(proc.popen.pid, sig)
        self._reap(proc)
        return at

    def terminate(self, instance: str, timeout_s: float = 60.0) -> tuple[int, float]:
        """SIGTERM (graceful) and wait; return (exit code, seconds it took)."""
        proc = self.procs[instance]
        self.desired.discard(instance)
        began = time.monotonic()
        proc.popen.send_signal(signal.SIGTERM)
        try:
            proc.popen.wait(timeout_s)
        except subprocess.TimeoutExpired:
            proc.popen.kill()
        self._reap(proc)
        return proc.popen.returncode, time.monotonic() - began

    def supervise(self) -> list[str]:
        """Restart every desired process that exited on its own (as an orchestrator would)."""
        restarted = []
        for instance in sorted(self.desired):
            proc = self.procs.get(instance)
            if proc is not None and proc.popen.poll() is not None:
                self._reap(proc)
                self.restarts_after_exit += 1
                self.start(instance)
                restarted.append(instance)
        return restarted

    def scale_to(self, n: int, prefix: str = "w") -> None:
        """Run exactly ``prefix0 .. prefix{n-1}``: start the missing, SIGTERM the rest."""
        wanted = {f"{prefix}{i}" for i in range(n)}
        for instance in sorted(wanted - {i for i in self.desired if self.alive(i)}):
            self.start(instance)
        for instance in sorted(self.desired - wanted):
            self.terminate(instance)

    def stop_all(self, timeout_s: float = 60.0) -> list[tuple[str, int, float]]:
        """SIGTERM everything still running; return (instance, exit code, seconds)."""
        out = []
        for instance in sorted(self.procs):
            if self.alive(instance):
                code, took = self.terminate(instance, timeout_s)
                out.append((instance, code, took))
        self.desired.clear()
        return out


def kill_and_restart(
    fleet: Fleet,
    kills: int,
    rng: random.Random,
    gap_s: tuple[float, float],
    keep_going: Callable[[], bool] = lambda: True,
) -> list[KillRecord]:
    """``kills`` times: wait a random gap, SIGKILL a random live worker, restart it at once."""
    records: list[KillRecord] = []
    for _ in range(kills):
        deadline = time.monotonic() + rng.uniform(*gap_s)
        while time.monotonic() < deadline:
            fleet.supervise()
            time.sleep(0.05)
        if not keep_going():
            break
        live = sorted(i for i in fleet.desired if fleet.alive(i))
        if not live:
            continue
        victim = rng.choice(live)
        killed_at = fleet.kill(victim, signal.SIGKILL)
        proc = fleet.start(victim)
        records.append(KillRecord(victim, killed_at, time.time(), proc.log))
    return records


def spread_marks(total: int, kills: int, rng: random.Random, jitter: float = 0.4) -> list[int]:
    """``kills`` progress marks spread over ``total``: one per equal slot, at a random point.

    Mark ``i`` lies within ``jitter`` of a slot's width around ``total * (i + 1) / (kills + 1)``,
    so the kills cover the whole run however fast the fleet is, and never bunch up.
    """
    width = total / (kills + 1)
    return [int(width * (i + 1) + rng.uniform(-jitter, jitter) * width) for i in range(kills)]


def kill_at_marks(
    fleet: Fleet,
    marks: Sequence[int],
    rng: random.Random,
    progress: Callable[[], int | None],
    timeout_s: float,
    interval_s: float = 0.5,
) -> list[KillRecord]:
    """At each mark of ``progress()`` (records processed), SIGKILL a random live worker and
    restart it at once; raise ``TimeoutError`` if progress stops short of a mark for
    ``timeout_s``.
    """
    records: list[KillRecord] = []
    seen: list[int | None] = [None]
    for mark in marks:

        def reached(mark: int = mark) -> bool:
            seen[0] = progress()
            return seen[0] is not None and seen[0] >= mark

        if not wait_until(reached, timeout_s, fleet.supervise, interval_s):
            raise TimeoutError(f"progress stuck at {seen[0]} before mark {mark}")
        fleet.supervise()
        live = sorted(i for i in fleet.desired if fleet.alive(i))
        victim = rng.choice(live)
        killed_at = fleet.kill(victim, signal.SIGKILL)
        proc = fleet.start(victim)
        records.append(KillRecord(victim, killed_at, time.time(), proc.log, progress=seen[0]))
    return records


def measure_recovery(records: Sequence[KillRecord]) -> list[KillRecord]:
    """Fill ``recovered_s``: kill → the successor's first committed batch (from its log)."""
    for r in records:
        t = first_event_after(r.log, "batch_done", r.killed_at)
        r.recovered_s = None if t is None else t - r.killed_at
    return list(records)


def wait_until(
    predicate: Callable[[], bool],
    timeout_s: float,
    every: Callable[[], object] = lambda: None,
    interval_s: float = 0.5,
) -> bool:
    """Poll ``predicate`` (calling ``every`` between polls) until true or out of time."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        every()
        time.sleep(interval_s)
    return predicate()


def worker_env(settings: Any, **extra: str) -> dict[str, str]:
    """The environment that makes ``python -m workers.ops.worker`` use ``settings``.

    Topics, group, transactional id prefix and bootstrap come from ``settings``; logs are JSON
    (so drills can read them); ``extra`` adds or overrides variables (``COPYFLOW_OPS_*``).
    """
    env = dict(os.environ)
    env.update(
        KAFKA_BOOTSTRAP=settings.bootstrap_servers,
        COPYFLOW_GROUP_ID=settings.group_id,
        COPYFLOW_TRANSACTIONAL_ID_PREFIX=settings.transactional_id_prefix,
        COPYFLOW_DELIVERY=settings.delivery,
        COPYFLOW_LOG_FORMAT="json",
        COPYFLOW_USE_GPU="false",
    )
    env.update({f"COPYFLOW_TOPIC_{k.upper()}": v for k, v in settings.topics.model_dump().items()})
    env.update(extra)
    return env

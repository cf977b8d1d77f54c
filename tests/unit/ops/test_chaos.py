"""The chaos fleet: real processes started, killed, restarted and scaled; recovery from logs."""

from __future__ import annotations

import json
import os
import random
import stat
import time
from pathlib import Path

import pytest

from workers.ops.chaos import (
    Fleet,
    KillRecord,
    first_event_after,
    kill_and_restart,
    kill_at_marks,
    measure_recovery,
    parse_log_time,
    spread_marks,
)


@pytest.fixture
def fake_python(tmp_path: Path) -> str:
    """A stand-in interpreter: logs one JSON batch_done line, then runs until killed."""
    script = tmp_path / "fake-python"
    script.write_text(
        "#!/bin/sh\n"
        "ts=$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)\n"
        'echo "{\\"event\\": \\"batch_done\\", \\"timestamp\\": \\"$ts\\"}"\n'
        "exec sleep 30\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_parse_log_time_reads_structlog_iso() -> None:
    """structlog's ISO UTC timestamps become wall-clock seconds."""
    assert parse_log_time("2023-11-14T22:13:20.500000Z") == pytest.approx(1_700_000_000.5)


def test_first_event_after_skips_older_and_non_json_lines(tmp_path: Path) -> None:
    """Only JSON lines count, and only events at or after the given time."""
    log = tmp_path / "w.log"
    lines = [
        json.dumps({"event": "batch_done", "timestamp": "2023-11-14T22:13:10Z"}),
        "consumed=3 published=6",
        json.dumps({"event": "batch_done", "timestamp": "2023-11-14T22:13:30Z"}),
    ]
    log.write_text("\n".join(lines))
    assert first_event_after(log, "batch_done", 1_700_000_000.0) == pytest.approx(1_700_000_010.0)
    assert first_event_after(tmp_path / "missing.log", "batch_done", 0) is None


def test_fleet_kills_restarts_and_scales(tmp_path: Path, fake_python: str) -> None:
    """Kills are restarted by kill_and_restart, exits by supervise, extras stopped by scale_to."""
    fleet = Fleet(env=dict(os.environ), log_dir=tmp_path / "logs", python=fake_python)
    try:
        fleet.scale_to(2)
        assert sorted(fleet.desired) == ["w0", "w1"] and fleet.alive("w0") and fleet.alive("w1")
        records = kill_and_restart(fleet, 3, random.Random(1), gap_s=(0.3, 0.4))
        assert len(records) == 3 and all(fleet.alive(i) for i in ("w0", "w1"))
        assert [c for _, c in fleet.exit_codes] == [-9, -9, -9]
        time.sleep(0.3)  # let the restarted processes log their first line
        os.kill(fleet.procs["w1"].popen.pid, 9)
        fleet.procs["w1"].popen.wait()
        assert fleet.supervise() == ["w1"] and fleet.restarts_after_exit == 1
        fleet.scale_to(1)
        assert fleet.desired == {"w0"} and not fleet.alive("w1")
        measured = measure_recovery(records)
        assert all(r.recovered_s is not None and r.recovered_s < 5 for r in measured)
    finally:
        fleet.stop_all(timeout_s=5)
    assert not any(fleet.alive(i) for i in fleet.procs)


def test_unmeasured_recovery_stays_none(tmp_path: Path) -> None:
    """A kill whose successor never committed a batch has no recovery time."""
    (tmp_path / "w.log").write_text("")
    [r] = measure_recovery([KillRecord("w0", time.time(), time.time(), tmp_path / "w.log")])
    assert r.recovered_s is None


def test_spread_marks_cover_the_run_one_per_slot() -> None:
    """Marks rise through the run, one in each equal slot, none at its ends."""
    marks = spread_marks(50_000, 20, random.Random(3))
    width = 50_000 / 21
    assert len(marks) == 20 and marks == sorted(marks)
    for i, mark in enumerate(marks):
        assert abs(mark - width * (i + 1)) <= 0.4 * width
    assert marks[0] > 0 and marks[-1] < 50_000


def test_kill_at_marks_kills_when_progress_reaches_each_mark(
    tmp_path: Path, fake_python: str
) -> None:
    """One kill and restart per mark, taken once progress passed it; a stall times out."""
    fleet = Fleet(env=dict(os.environ), log_dir=tmp_path / "logs", python=fake_python)
    done = iter(range(0, 1000, 10))
    try:
        fleet.scale_to(2)
        records = kill_at_marks(fleet, [30, 60], random.Random(1), lambda: next(done), 5, 0.01)
        assert [r.progress for r in records] == [30, 60]
        assert [c for _, c in fleet.exit_codes] == [-9, -9]
        assert all(fleet.alive(i) for i in ("w0", "w1"))
        with pytest.raises(TimeoutError, match="mark 10000"):
            kill_at_marks(fleet, [10_000], random.Random(1), lambda: 5, 0.2, 0.05)
    finally:
        fleet.stop_all(timeout_s=5)

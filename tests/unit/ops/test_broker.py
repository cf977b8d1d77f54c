"""The private broker keeps its data dir; it refuses to start one it never formatted."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from workers.ops.broker import PrivateBroker, _alive


def test_start_kept_needs_an_earlier_start(tmp_path: Path) -> None:
    """Restarting with kept data needs a formatted log dir from a first start."""
    broker = PrivateBroker(tmp_path, port=1, controller_port=2)
    assert broker.bootstrap == "127.0.0.1:1"
    with pytest.raises(RuntimeError, match="no broker was ever started"):
        broker.start_kept()
    assert broker.stop() is False


def test_alive_reaps_our_own_dead_children() -> None:
    """A child that exited reads as dead at once (reaped), not as a lingering zombie."""
    proc = subprocess.Popen(["true"])
    time.sleep(0.3)  # exited but not waited for: a zombie that kill(0) still finds
    assert not _alive(proc.pid)
    sleeper = subprocess.Popen(["sleep", "5"])
    try:
        assert _alive(sleeper.pid)
    finally:
        sleeper.kill()
        sleeper.wait()

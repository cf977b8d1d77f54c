"""The progress bar redraws in place on a terminal and logs periodically elsewhere."""

from __future__ import annotations

import io

import pytest

from workers.ops.progress import Progress, render


def test_render_shows_fraction_counters_rate_and_eta() -> None:
    """Half done in 5 s at 100/s leaves an ETA of 5 s."""
    line = render(500, 1000, {"generated": 900}, elapsed_s=5.0, width=10)
    assert line.startswith("[#####.....]  50.0% 500/1000")
    assert "generated=900" in line and "100/s" in line and "eta 5s" in line


def test_tty_redraws_at_most_every_interval() -> None:
    """On a terminal the line is rewritten with a carriage return, throttled, then ended."""
    clock = [0.0]
    out = io.StringIO()
    p = Progress(10, stream=out, clock=lambda: clock[0], tty=True, interval_s=1.0)
    p.update(1, {})
    p.update(2, {})  # too soon: not drawn
    clock[0] = 2.0
    p.update(3, {})
    p.finish()
    text = out.getvalue()
    assert text.count("\r") == 2 and "3/10" in text and text.endswith("\n")


def test_non_tty_logs_progress(capsys: pytest.CaptureFixture[str]) -> None:
    """Without a terminal, progress goes to the log as replay_progress events."""
    p = Progress(10, stream=io.StringIO(), clock=lambda: 0.0, tty=False)
    p.update(4, {"generated": 8}, force=True)
    assert "replay_progress" in capsys.readouterr().out

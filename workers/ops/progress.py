"""A one-line progress bar on a terminal; a periodic log line anywhere else."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

import structlog

log = structlog.get_logger("copyflow.ops")


def render(
    done: int, total: int, counters: dict[str, int], elapsed_s: float, width: int = 28
) -> str:
    """``[#####.....]  47% 4700/10000 | generated=9400 ... | 812/s | eta 6s``."""
    frac = min(1.0, done / total) if total else 1.0
    filled = round(frac * width)
    rate = done / elapsed_s if elapsed_s > 0 else 0.0
    eta = (total - done) / rate if rate > 0 and total > done else 0.0
    parts = " ".join(f"{k}={v}" for k, v in counters.items())
    return (
        f"[{'#' * filled}{'.' * (width - filled)}] {frac * 100:5.1f}% {done}/{total} | {parts} "
        f"| {rate:.0f}/s | eta {eta:.0f}s"
    )


class Progress:
    """Call ``update`` as often as you like; it draws at most every ``interval_s``."""

    def __init__(
        self,
        total: int,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
        tty: bool | None = None,
        interval_s: float | None = None,
    ) -> None:
        self.total = total
        self.stream = stream or sys.stderr
        self.clock = clock
        self.tty = self.stream.isatty() if tty is None else tty
        # A terminal redraws in place; a log gets a line every few seconds.
        self.interval_s = interval_s if interval_s is not None else (0.2 if self.tty else 5.0)
        self.started = clock()
        self._drawn_at: float | None = None
        self.last_line = ""

    def update(self, done: int, counters: dict[str, int], force: bool = False) -> None:
        now = self.clock()
        if not force and self._drawn_at is not None and now - self._drawn_at < self.interval_s:
            return
        self._drawn_at = now
        self.last_line = render(done, self.total, counters, now - self.started)
        if self.tty:
            self.stream.write("\r" + self.last_line)
            self.stream.flush()
        else:
            log.info("replay_progress", done=done, total=self.total, **counters)

    def finish(self) -> None:
        if self.tty and self._drawn_at is not None:
            self.stream.write("\n")
            self.stream.flush()

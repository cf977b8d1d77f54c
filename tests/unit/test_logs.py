"""Logging set-up survives a swapped stderr (test capture, daemons, embedding apps)."""

from __future__ import annotations

import io
import sys

import pytest
import structlog

from workers.logs import configure_logging


def test_log_lines_follow_the_current_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    """Configured while one stderr was live, logging after it closed goes to the new one."""
    first = io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    configure_logging("json")
    try:
        log = structlog.get_logger("copyflow.test")
        log.info("before_swap")
        first.close()
        second = io.StringIO()
        monkeypatch.setattr(sys, "stderr", second)
        log.info("after_swap")  # raised "I/O operation on closed file" when stderr was bound
        assert '"event": "after_swap"' in second.getvalue()
    finally:
        structlog.reset_defaults()

"""One small error hierarchy. Each failure is bad input, transient, or fatal.

- ``BadInput``: the record can never succeed as it is → dead-letter topic, commit, go on.
- ``Transient``: the world may heal (broker away, timeout) → bounded retry.
- ``Fatal``: the process cannot go on correctly (fenced, misconfigured) → exit loudly;
  the orchestrator restarts it.
"""

from __future__ import annotations


class CopyflowError(Exception):
    """Base of every error this project raises on purpose."""


class BadInput(CopyflowError):
    """A record that can never be processed as it is; it goes to the dead-letter topic."""

    def __init__(self, stage: str, reason: str) -> None:
        super().__init__(f"{stage}: {reason}")
        self.stage = stage
        self.reason = reason


class Transient(CopyflowError):
    """A failure that may pass: retry with a bound."""


class Fatal(CopyflowError):
    """The process must stop; restarting it is the orchestrator's job."""

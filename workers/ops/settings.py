"""Operational settings (prefix ``COPYFLOW_OPS_``), built once in ``main()`` and passed in.

Kept apart from ``workers.settings.Settings`` so that the generator's core settings stay
small; every field here tunes how a process is run and watched, not what it writes.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class OpsSettings(BaseSettings):
    """How a worker is supervised: health endpoint, stall detection, shutdown, membership."""

    model_config = SettingsConfigDict(env_prefix="COPYFLOW_OPS_", extra="ignore")

    # "model" runs the ONNX model from Settings.model_dir. "template" and "canned" are test
    # modes (chaos tests, fuzzing, benchmarks) that replace only the model and keep the writer,
    # guards, encoding and the Kafka transaction path; see workers.ops.fast_generators.
    # "slow" is "canned" that takes slow_generate_s per model call: a batch as long as the
    # model's, on demand (shutdown-grace drills).
    generator: Literal["model", "template", "canned", "slow"] = "model"
    slow_generate_s: float = Field(default=5.0, ge=0.0)

    health_port: int | None = Field(default=None, description="serve /health here; off when unset")
    health_host: str = "127.0.0.1"
    # The loop is alive while it polled within this many seconds (a batch counts as a poll).
    liveness_timeout_s: float = 120.0
    # Exit (code 70) when the loop has not polled for liveness_timeout_s: a Kafka call wedged
    # past its timeout cannot be interrupted, and a restart is safe with transactions. Off by
    # default because a Kubernetes liveness probe on /health does the same from outside.
    exit_when_unresponsive: bool = False
    # A partition with lag that has not advanced for this long is reported stalled.
    stall_after_s: float = 60.0
    lag_check_interval_s: float = 10.0
    # After SIGTERM: finish the batch, commit and close within this bound, else exit hard
    # (safe with transactions: the open one is aborted by the broker or by the successor).
    shutdown_grace_s: float = 30.0

    # Static membership (group.instance.id = instance id): a restarted instance takes its
    # partitions back at once, without a rebalance. Use with stable instance ids.
    static_membership: bool = False
    session_timeout_ms: int | None = None
    transaction_timeout_ms: int | None = None
    # The generator is considered broken after this many unexpected failures in a row (0: off).
    max_unexpected_in_a_row: int = 32

    def consumer_overrides(self, instance_id: str) -> dict[str, Any]:
        """librdkafka consumer properties these settings imply."""
        conf: dict[str, Any] = {}
        if self.static_membership:
            conf["group.instance.id"] = instance_id
        if self.session_timeout_ms is not None:
            conf["session.timeout.ms"] = self.session_timeout_ms
            conf["heartbeat.interval.ms"] = max(500, self.session_timeout_ms // 5)
        return conf

    def producer_overrides(self) -> dict[str, Any]:
        """librdkafka producer properties these settings imply."""
        if self.transaction_timeout_ms is None:
            return {}
        return {"transaction.timeout.ms": self.transaction_timeout_ms}

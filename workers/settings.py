"""Settings from the environment (prefix ``COPYFLOW_``), built once in ``main()`` and passed in.

``KAFKA_BOOTSTRAP`` is honoured as well, because every tool in the project (tests, scripts,
the demo) uses that one name to point at a broker.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_BOOTSTRAP = "127.0.0.1:9092"
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL_DIR = REPO_ROOT / "models" / "copyflow-small-v1"


class TopicSettings(BaseSettings):
    """Topic names; see the README's topic table for keys and schemas."""

    model_config = SettingsConfigDict(env_prefix="COPYFLOW_TOPIC_")

    product_created: str = "product-created"
    user_behavior: str = "user-behavior"
    content_requests: str = "content-requests"
    descriptions: str = "content-descriptions"
    ads: str = "content-ads"
    recommendations: str = "content-recommendations"
    dead_letter: str = "copyflow-dlq"


class Settings(BaseSettings):
    """Everything a copyflow process can be told from outside."""

    model_config = SettingsConfigDict(
        env_prefix="COPYFLOW_",
        env_nested_delimiter="__",
        extra="ignore",
        # Code may pass bootstrap_servers=...; the aliases are for the environment.
        populate_by_name=True,
    )

    bootstrap_servers: str = Field(
        default=DEFAULT_BOOTSTRAP,
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP", "COPYFLOW_BOOTSTRAP_SERVERS"),
    )
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None

    schema_registry_url: str | None = None
    schema_registry_basic_auth: SecretStr | None = None

    group_id: str = "copyflow-generator"
    delivery: Literal["exactly_once", "at_least_once"] = "exactly_once"
    transactional_id_prefix: str = "copyflow-generator"

    model_dir: Path = DEFAULT_MODEL_DIR
    use_gpu: bool = True
    cpu_threads: int = Field(default=0, description="0 = one per physical core")
    # On the CPU, decode with the model folder's in-place graph when it has one
    # (export.inplace: same weights, the KV cache written in place instead of copied).
    inplace_graph: bool = True
    # Speculative decoding with the folder's n-gram table (workers.engine.speculate): the
    # same text in fewer steps. It runs model.onnx (the in-place graph takes no span), and
    # on a CPU it pays at small batches only: see GeneratorConfig.speculate.
    speculate: bool = False

    max_batch_size: int = 16
    max_batch_wait_ms: int = 50
    max_resample_attempts: int = 2
    # Drafts per request and attempt; of those that pass the guards the one naming the most
    # attributes is published. Held-out attribute coverage: 0.870 with 1, 0.899 with 3,
    # 0.907 with 5 (``copyflow eval --drafts N``). The drafts share one prefill of their
    # prompt, so on the CPU 5 cost about 4x the time of 1 (writer: 9.4 vs 2.3 texts/s).
    drafts_per_attempt: int = Field(default=5, ge=1, le=16)
    # Extra attempts for a detail page's description or ad whose best draft leaves an
    # attribute out (writer.wants_every_attribute): coverage 0.892 -> 0.902 for 14% more drafts.
    completion_retries: int = Field(default=1, ge=0, le=2)
    locales_for_catalog: tuple[str, ...] = ()

    log_format: Literal["console", "json"] = "console"
    log_level: str = "INFO"

    topics: TopicSettings = Field(default_factory=TopicSettings)

    def kafka_common(self) -> dict[str, str]:
        """librdkafka properties shared by every client of this process."""
        conf = {
            "bootstrap.servers": self.bootstrap_servers,
            "security.protocol": self.security_protocol,
        }
        if self.sasl_mechanism:
            conf["sasl.mechanism"] = self.sasl_mechanism
        if self.sasl_username:
            conf["sasl.username"] = self.sasl_username
        if self.sasl_password:
            conf["sasl.password"] = self.sasl_password.get_secret_value()
        return conf


def bootstrap_from_env(default: str = DEFAULT_BOOTSTRAP) -> str:
    """The broker every tool should use: KAFKA_BOOTSTRAP, else the dev broker."""
    return os.environ.get("KAFKA_BOOTSTRAP") or default

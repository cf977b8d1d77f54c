"""The chaos-test generator: real writer path, no model, thousands of records per second.

It returns an empty draft for every job. The writer treats that like a model that wrote
nothing: the form guard rejects it, the writer re-samples up to its bound, and then publishes
the deterministic fallback template (``workers.templates.fallback_text``) with
``fallback=true``. Everything after the model (guards, encoding, the Kafka transaction) is the
production code. Use it for chaos tests, fuzzing and benchmarks of the delivery path; never in
production, where ``fallback=true`` on every record would be a page.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from workers.generator.writer import PromptJob

TEMPLATE_MODEL_NAME = "copyflow-template"
TEMPLATE_MODEL_VERSION = "template-1"


class TemplateTextGenerator:
    """A TextGenerator whose drafts are always empty, so the fallback template is used."""

    def __init__(self, version: str = TEMPLATE_MODEL_VERSION) -> None:
        self._version = version
        self.calls = 0

    @property
    def model_name(self) -> str:
        return TEMPLATE_MODEL_NAME

    @property
    def model_version(self) -> str:
        return self._version

    @property
    def model_sha256(self) -> str:
        # A stable 64-hex digest, so records look like any other model's.
        return hashlib.sha256(f"{TEMPLATE_MODEL_NAME}:{self._version}".encode()).hexdigest()

    def generate(self, jobs: Sequence[PromptJob], /) -> list[str]:
        self.calls += 1
        return ["" for _ in jobs]

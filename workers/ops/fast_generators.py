"""Fast stand-ins for the model, for chaos tests, fuzzing and delivery benchmarks.

Both are real ``TextGenerator`` implementations: everything after the model (the writer's
guards and re-sampling, encoding, the Kafka transaction) is production code. They differ in
how much of the writer they exercise:

- ``TemplateTextGenerator`` returns an empty draft for every job. The writer treats that like
  a model that wrote nothing: the form guard rejects it, the writer re-samples up to its bound
  and then publishes the deterministic fallback template (``workers.templates.fallback_text``)
  with ``fallback=true``. About 20 ms of CPU per request here, mostly guards.
- ``CannedTextGenerator`` returns one fixed, guard-clean line per locale, accepted on the first
  attempt: one guard pass per request (about 4 ms here), so a chaos run can push thousands of
  records through the transaction path on two cores.

Never run either in production: every record would be a template or the same line.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence

from workers.generator.writer import PromptJob

TEMPLATE_MODEL_NAME = "copyflow-template"
CANNED_MODEL_NAME = "copyflow-canned"
FAST_MODEL_VERSION = "test-1"

# Short, fact-free and free of banned terms, so every guard passes for any request.
CANNED_TEXT = {"zh": "新品上市，欢迎选购。", "en": "New in store now."}


class _FastGenerator:
    name = ""
    # The text ignores the seed, so the writer asks for one draft per attempt (factory).
    samples = False

    def __init__(self, version: str = FAST_MODEL_VERSION) -> None:
        self._version = version
        self.calls = 0
        self.jobs = 0

    @property
    def model_name(self) -> str:
        return self.name

    @property
    def model_version(self) -> str:
        return self._version

    @property
    def model_sha256(self) -> str:
        # A stable 64-hex digest, so records look like any other model's.
        return hashlib.sha256(f"{self.name}:{self._version}".encode()).hexdigest()

    def _text(self, job: PromptJob) -> str:
        raise NotImplementedError

    def generate(self, jobs: Sequence[PromptJob], /) -> list[str]:
        self.calls += 1
        self.jobs += len(jobs)
        return [self._text(j) for j in jobs]


class TemplateTextGenerator(_FastGenerator):
    """Empty drafts: every request ends on the deterministic fallback template."""

    name = TEMPLATE_MODEL_NAME

    def _text(self, job: PromptJob) -> str:
        return ""


class CannedTextGenerator(_FastGenerator):
    """One fixed guard-clean line per locale, accepted on the first attempt."""

    name = CANNED_MODEL_NAME

    def _text(self, job: PromptJob) -> str:
        return CANNED_TEXT[job.locale]


class SlowTextGenerator(CannedTextGenerator):
    """The canned line, after ``delay_s`` per call: a batch that takes as long as a model's.

    The guards got fast enough that no fast generator's batch outlasts a shutdown grace
    period any more; drills that need one in flight ask for it explicitly.
    """

    def __init__(self, delay_s: float, version: str = FAST_MODEL_VERSION) -> None:
        super().__init__(version)
        self.delay_s = delay_s

    def generate(self, jobs: Sequence[PromptJob], /) -> list[str]:
        time.sleep(self.delay_s)
        return super().generate(jobs)

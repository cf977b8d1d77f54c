"""The fast test generators drive the real writer: template falls back, canned passes at once."""

from __future__ import annotations

import re

from tests.unit.factories import request
from workers.generator.writer import write_copy
from workers.ops.fast_generators import CANNED_TEXT, CannedTextGenerator, TemplateTextGenerator


def test_template_generator_ends_on_the_fallback_template() -> None:
    """Empty drafts fail the form guard, so the published text is the guarded template."""
    gen = TemplateTextGenerator()
    [copy] = write_copy([request()], gen, max_attempts=2)
    assert copy.fallback and copy.publishable
    assert copy.text.strip()
    assert gen.calls == 2  # both attempts were made before falling back


def test_canned_generator_passes_every_guard_first_time() -> None:
    """The canned line is accepted on the first attempt, for both locales."""
    gen = CannedTextGenerator()
    copies = write_copy([request(locale="en"), request(locale="zh")], gen, max_attempts=3)
    assert [c.text for c in copies] == [CANNED_TEXT["en"], CANNED_TEXT["zh"]]
    assert all(c.attempts == 1 and not c.fallback for c in copies)


def test_fast_generators_identify_themselves_like_models() -> None:
    """Name, version and a 64-hex digest fill the record's model fields deterministically."""
    a, b = TemplateTextGenerator(), CannedTextGenerator()
    assert a.model_name != b.model_name
    assert re.fullmatch(r"[0-9a-f]{64}", a.model_sha256)
    assert a.model_sha256 == TemplateTextGenerator().model_sha256 != b.model_sha256

"""Content ids and seeds are deterministic per request and model version."""

from __future__ import annotations

from tests.unit.factories import request
from workers.generator.identity import content_id, sampling_seed


def test_content_id_is_stable_and_version_sensitive() -> None:
    """Same request and version give the same id; a new model version gives a new one."""
    req = request()
    assert content_id(req, "1.0.0") == content_id(request(), "1.0.0")
    assert content_id(req, "1.0.0") != content_id(req, "1.1.0")
    assert content_id(req, "1.0.0") != content_id(
        request(request_id="evt-1:description:detail_page"), "1.0.0"
    )


def test_seed_changes_with_attempt_and_fits_63_bits() -> None:
    """Re-sampling attempts use different seeds; seeds fit Avro long."""
    req = request()
    seeds = {sampling_seed(req, "1", a) for a in range(5)}
    assert len(seeds) == 5
    assert all(0 <= s < 2**63 for s in seeds)
    assert sampling_seed(req, "1", 0) == sampling_seed(request(), "1", 0)

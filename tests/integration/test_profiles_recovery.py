"""Profiles survive a restart: state comes back from the changelog topics, not a replay."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.integration.profiles_support import (
    behavior,
    catalog,
    make_config,
    running,
    send_behavior,
    send_products,
    wait_for,
)
from workers.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_profile_recovers_from_changelog_after_restart(
    make_settings: Callable[..., Settings],
) -> None:
    """Stop the worker, start a new one with the same app id: same profile, same catalog."""
    settings = make_settings()
    products = catalog()
    cfg = make_config()
    en = [p["product_id"] for p in products if p["locale"] == "en"]
    events = [behavior("gina", "view", en[n % 6], n) for n in range(12)]
    events.append(behavior("gina", "purchase", en[3], 12))
    with running(settings, cfg) as first:
        send_products(settings, products)
        wait_for(lambda: first.metrics().products == len(products), what="catalog loaded")
        send_behavior(settings, events)
        wait_for(lambda: first.metrics().applied == len(events), what="events applied")
        before = first.profile("gina")
    assert before is not None and before["n"] == len(events)

    with running(settings, cfg) as second:
        after = second.profile("gina")
        restored = second.worker.call(lambda engine: len(engine.state.catalog))
        replayed = second.metrics()
        # A redelivered event must not count twice; a new one counts once.
        send_behavior(settings, [events[5], behavior("gina", "view", en[7], 20)])
        wait_for(lambda: second.metrics().behavior_events == 2, what="two more events")
        final = second.profile("gina")
        stats = second.metrics()
    assert after == before  # every float, list and event id, exactly
    assert restored == len(products)
    assert replayed.behavior_events == 0 and replayed.products == 0  # from changelogs only
    assert final is not None and final["n"] == len(events) + 1
    assert stats.duplicates == 1 and final["viewed"][-1] == en[7]

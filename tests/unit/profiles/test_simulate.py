"""The simulated shop is deterministic and physically consistent."""

from __future__ import annotations

from workers.profiles.simulate import make_world


def test_world_is_deterministic_per_seed() -> None:
    """The same seed gives the same catalog and histories; another seed does not."""
    a, b, c = (
        make_world(seed=1, users=30),
        make_world(seed=1, users=30),
        make_world(seed=2, users=30),
    )
    assert a.histories == b.histories
    assert [p.entry for p in a.products] == [p.entry for p in b.products]
    assert a.histories != c.histories


def test_histories_are_ordered_and_respect_launch_dates() -> None:
    """Events are in time order, before now, and never touch an unlaunched product."""
    world = make_world(seed=3, users=50)
    launched = {p.entry["product_id"]: p.created_at_ms for p in world.products}
    for user in world.users:
        events = world.histories[user.user_id]
        assert events, "every user does something"
        stamps = [e.ts_ms for e in events]
        assert stamps == sorted(stamps) and stamps[-1] < world.now_ms
        assert all(e.ts_ms >= launched[e.product_id] for e in events if e.product_id)
        assert len({e.event_id for e in events}) == len(events)


def test_tech_users_shop_electronics() -> None:
    """The tech archetype's favourite categories are all electronics."""
    world = make_world(seed=4, users=200)
    tech = [u for u in world.users if u.archetype == "tech_enthusiast"]
    assert tech and all(c.startswith("Electronics/") for u in tech for c in u.categories)

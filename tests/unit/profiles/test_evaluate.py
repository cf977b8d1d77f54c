"""The offline eval on a small world: it beats popularity and renders a report."""

from __future__ import annotations

from workers.profiles.evaluate import render_markdown, run_eval


def test_small_eval_beats_popularity_and_personalizes() -> None:
    """Even on 400 users the recommender beats popularity and requests differ per archetype."""
    report = run_eval(seed=5, users=400)
    seen, unseen = report.rankings
    assert seen.setting == "seen" and unseen.setting == "unseen"
    assert seen.ours.hit_rate > 2 * seen.baseline.hit_rate
    assert unseen.ours.hit_rate > unseen.baseline.hit_rate
    assert 0 < seen.ours.ndcg <= seen.ours.hit_rate
    p = report.personalization
    assert p.pairs > 100 and p.items_differ > 0.9 and p.prompts_with_user_id == 0
    assert report.segment_accuracy > 0.5
    text = render_markdown(report)
    assert "| seen |" in text and "Prompts containing the user id: 0." in text

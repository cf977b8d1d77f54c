"""``copyflow eval`` end to end on a few held-out requests with the real model, and its metrics."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.factories import request
from workers.cli import main
from workers.evaluation.metrics import distinct_n, slot_recall
from workers.settings import DEFAULT_MODEL_DIR, Settings


def test_distinct_n_counts_unique_grams_over_all_texts() -> None:
    assert distinct_n(["a b c", "a b c"], 2) == pytest.approx(2 / 4)
    assert distinct_n(["a b", "c d"], 2) == 1.0
    assert distinct_n(["好好"], 1) == 0.5  # Chinese counts characters


def test_slot_recall_counts_what_the_reference_names() -> None:
    req = request()  # Sonora, 129.99 USD, 35 hours, Black
    reference = "Sonora headphones in Black for 129.99 USD."
    assert slot_recall("Sonora, now 129.99 USD.", reference, req) == (2, 3)
    assert slot_recall("In Black, 129.99 USD, by Sonora.", reference, req) == (3, 3)
    assert slot_recall("Sonora for 129.99.", reference, req) == (2, 3)  # 129.99 without unit


@pytest.mark.skipif(
    not (DEFAULT_MODEL_DIR / "manifest.json").is_file(), reason=f"no model at {DEFAULT_MODEL_DIR}"
)
def test_eval_command_writes_report_and_chart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["eval", "--count", "6", "--variants-for", "2", "--out", str(tmp_path)])
    assert code == 0
    printed = dict(
        line.split(None, 1) for line in capsys.readouterr().out.splitlines() if " " in line
    )
    for key in ("attribute_coverage", "distinct_2", "fallback_rate", "perplexity"):
        assert key in printed
    assert float(printed["unsupported_fact_rate_published"]) == 0.0
    assert float(printed["banned_term_rate_published"]) == 0.0
    assert 0.0 < float(printed["distinct_2"]) <= 1.0
    assert 0.0 <= float(printed["attribute_coverage"]) <= 1.0
    assert int(printed["drafts_per_attempt"]) == Settings().drafts_per_attempt
    report = (tmp_path / "eval.md").read_text(encoding="utf-8")
    assert "attribute_coverage" in report and "## Samples" in report
    assert (tmp_path / "eval.png").stat().st_size > 1000


def test_misworded_and_foreign_benefit_drafts_are_counted_whether_cut_or_refused() -> None:
    from workers.evaluation.run import _foreign_benefit, _misworded
    from workers.guards import GuardResult

    refused = [GuardResult("slots", False, "battery worded as screen: {1.battery} then '大屏'")]
    cut = [GuardResult("slots", True, "cut: {1.battery}大屏")]
    other = [GuardResult("slots", False, "price without its currency: {1.price}")]
    assert _misworded(refused) and _misworded(cut) and not _misworded(other)
    assert _foreign_benefit([GuardResult("claims", True, "cut: easy to clean")])
    assert _foreign_benefit([GuardResult("claims", False, "benefits of another category: x")])
    assert not _foreign_benefit([GuardResult("claims", True)])

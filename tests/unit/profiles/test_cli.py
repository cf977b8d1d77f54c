"""`copyflow profiles ...` registers under the main parser and runs eval and bench."""

from __future__ import annotations

from pathlib import Path

import pytest

from workers.cli import build_parser, main


def test_profiles_subcommands_are_registered() -> None:
    """worker, eval and bench parse with their options."""
    parser = build_parser()
    assert parser.parse_args(["profiles", "worker", "--run-for", "3"]).run_for == 3.0
    assert parser.parse_args(["profiles", "eval", "--users", "10"]).users == 10
    assert parser.parse_args(["profiles", "bench", "--no-kafka"]).no_kafka


def test_eval_prints_figures_and_writes_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The eval command prints hit-rate and NDCG against popularity and writes markdown."""
    out = tmp_path / "r" / "eval.md"
    code = main(["profiles", "eval", "--users", "300", "--seed", "3", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code in (0, 1)
    assert "hit-rate@10" in printed and "NDCG@10" in printed and "personalization" in printed
    assert out.read_text().startswith("# Profiles offline eval")


def test_bench_without_kafka(capsys: pytest.CaptureFixture[str]) -> None:
    """The bench command runs on its own and prints events/s and memory."""
    code = main(
        [
            "profiles",
            "bench",
            "--no-kafka",
            "--events",
            "2000",
            "--users",
            "50",
            "--memory-profiles",
            "200",
        ]
    )
    assert code == 0 and "events/s" in capsys.readouterr().out

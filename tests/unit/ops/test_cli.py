"""The ops subcommands: registered on the copyflow CLI, clear errors and exit codes."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from workers.cli import build_parser, main
from workers.errors import BadInput, Fatal, Transient
from workers.ops import cli as ops_cli
from workers.ops.health import HealthReport, HealthServer
from workers.settings import Settings


@pytest.fixture(autouse=True)
def _keep_logging(monkeypatch: pytest.MonkeyPatch) -> None:
    """main() configures structlog for the process; here that would outlive pytest's capture."""
    monkeypatch.setattr(ops_cli, "_configure_logs", Settings)


def test_subcommands_are_registered() -> None:
    """copyflow dlq inspect|redrive, replay and health parse with their defaults."""
    parser = build_parser()
    a = parser.parse_args(["dlq", "inspect", "--stage", "decode"])
    assert (a.stage, a.samples, a.json) == ("decode", 5, False)
    b = parser.parse_args(["dlq", "redrive", "--reason", "price"])
    assert b.execute is False and b.max_redrives == 3
    c = parser.parse_args(
        ["replay", "--source", "s", "--from", "earliest", "--to", "latest", "--out", "o"]
    )
    assert c.execute is False and c.batch_size == 64
    assert parser.parse_args(["health", "--port", "9"]).port == 9


@pytest.mark.parametrize(
    ("error", "code"),
    [(BadInput("cli", "nope"), 2), (Transient("broker away"), 75), (Fatal("fenced"), 1)],
)
def test_errors_map_to_exit_codes(
    error: Exception, code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad input exits 2, a temporary failure 75, a fatal one 1, each with one stderr line."""

    def _boom(_args: argparse.Namespace) -> int:
        raise error

    assert ops_cli._guarded(_boom)(argparse.Namespace()) == code
    assert capsys.readouterr().err.startswith("error")


def test_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    """--model must name a folder with a manifest; otherwise BadInput before anything runs."""
    with pytest.raises(BadInput, match="model not found"):
        ops_cli.resolve_model_dir(str(tmp_path / "nope"), tmp_path)
    (tmp_path / "m").mkdir()
    with pytest.raises(BadInput, match=r"no manifest\.json"):
        ops_cli.resolve_model_dir(str(tmp_path / "m"), tmp_path)
    (tmp_path / "m" / "manifest.json").write_text("{}")
    assert ops_cli.resolve_model_dir(str(tmp_path / "m"), tmp_path) == tmp_path / "m"


def test_replay_with_bad_rate_exits_2_without_a_broker(capsys: pytest.CaptureFixture[str]) -> None:
    """Argument errors are caught before any broker or model is touched."""
    code = main(
        ["replay", "--source", "s", "--from", "0", "--to", "1", "--out", "o", "--rate", "-5"]
    )
    assert code == 2 and "--rate must be positive" in capsys.readouterr().err


def test_replay_with_missing_model_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A replay naming a model folder that does not exist says so and exits 2."""
    monkeypatch.delenv("COPYFLOW_OPS_GENERATOR", raising=False)
    code = main(
        [
            "replay",
            "--source",
            "s",
            "--from",
            "0",
            "--to",
            "1",
            "--out",
            "o",
            "--model",
            str(tmp_path / "v9"),
        ]
    )
    assert code == 2 and "model not found" in capsys.readouterr().err


def test_redrive_execute_needs_a_filter(capsys: pytest.CaptureFixture[str]) -> None:
    """Redriving the whole DLQ needs --all, so a forgotten filter cannot flood the inputs."""
    assert main(["dlq", "redrive", "--execute"]) == 2
    assert "--all" in capsys.readouterr().err


def test_health_probe_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    """copyflow health --url exits 0 when healthy and 1 when the worker says 503."""
    verdict = [HealthReport(True, (), {"consumed": 1})]
    server = HealthServer(lambda: verdict[0], port=0).start()
    try:
        assert main(["health", "--port", str(server.port)]) == 0
        verdict[0] = HealthReport(False, ("loop has not polled for 300s",), {})
        assert main(["health", "--url", f"http://127.0.0.1:{server.port}/health"]) == 1
    finally:
        server.stop()
    assert "loop has not polled" in capsys.readouterr().out

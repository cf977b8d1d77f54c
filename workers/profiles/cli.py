"""``copyflow profiles worker|eval|bench``, registered by ``workers.cli`` through ``register``."""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from workers.settings import REPO_ROOT, Settings

if TYPE_CHECKING:
    from workers.domain import ContentRequest
    from workers.profiles.text_leads import TextLeads

DEFAULT_REPORT = REPO_ROOT / "reports" / "profiles_eval.md"


def _cmd_worker(args: argparse.Namespace) -> int:
    from workers.kafka.topics import ensure_topics
    from workers.logs import configure_logging
    from workers.profiles.app import ProfilesWorker
    from workers.profiles.config import ProfilesConfig
    from workers.settings import Settings

    settings = Settings()
    cfg = ProfilesConfig()
    configure_logging(settings.log_format, settings.log_level)
    t = settings.topics
    ensure_topics(
        settings.kafka_common(),
        [t.product_created, t.user_behavior, t.content_requests, t.dead_letter],
    )
    stop = threading.Event()

    def _graceful(signum: int, _frame: FrameType | None) -> None:
        stop.set()  # faust commits offsets and flushes the changelogs on the way out

    signal.signal(signal.SIGTERM, _graceful)
    signal.signal(signal.SIGINT, _graceful)
    if args.run_for:
        threading.Timer(args.run_for, stop.set).start()
    metrics = ProfilesWorker(settings, cfg).run(stop)
    print(" ".join(f"{k}={v}" for k, v in metrics.as_dict().items()))
    return 0


def _write_and_compare(pairs: Sequence[tuple[ContentRequest, ContentRequest]]) -> TextLeads:
    """The worker's writer (default model and settings) on each request of ``pairs``."""
    from workers.generator.factory import (
        OnnxTextGenerator,
        completion_retries_for,
        drafts_for,
        generator_config,
        runtime_options,
    )
    from workers.generator.writer import write_copy
    from workers.profiles.text_leads import compare_leads

    settings = Settings()
    generator = OnnxTextGenerator.from_folder(
        settings.model_dir,
        runtime_options(settings),
        settings.max_batch_size,
        generator_config(settings),
    )
    unique = list({r.request_id: r for pair in pairs for r in pair}.values())
    written = write_copy(
        unique,
        generator,
        max_attempts=settings.max_resample_attempts + 1,
        drafts=drafts_for(generator, settings),
        completion_retries=completion_retries_for(generator, settings),
    )
    return compare_leads(pairs, {w.request.request_id: w.text for w in written})


def _cmd_eval(args: argparse.Namespace) -> int:
    from workers.profiles.evaluate import render_markdown, run_eval

    report = run_eval(seed=args.seed, users=args.users)
    if args.texts > 0:
        pairs = report.personalization
        report.text_leads = _write_and_compare(pairs.request_pairs[: args.texts])
        report.ad_text_leads = _write_and_compare(pairs.ad_pairs[: args.texts])
    text = render_markdown(report)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    for r in report.rankings:
        ours, base = r.ours, r.baseline
        print(
            f"{r.setting:7s} hit-rate@10 {ours.hit_rate:.3f} (popularity {base.hit_rate:.3f},"
            f" {r.lift:.1f}x)  NDCG@10 {ours.ndcg:.3f} (popularity {base.ndcg:.3f})"
        )
    p = report.personalization
    print(
        f"personalization: {p.segment_and_items_differ:.1%} of {p.pairs} request pairs differ in "
        f"segment and items; lead differs in {p.lead_differs:.1%}; prompts with a user id: "
        f"{p.prompts_with_user_id}; segment accuracy {report.segment_accuracy:.1%}"
    )
    for what, leads in (("recommendations", report.text_leads), ("ads", report.ad_text_leads)):
        if leads is not None:
            print(
                f"written {what}: {leads.lead_differs:.1%} of {leads.pairs} pairs lead with a "
                f"different attribute ({leads.lead_key_differs:.1%} with a different kind, "
                f"{leads.detail_key_differs:.1%} after the price); "
                f"{leads.without_lead} texts name none"
            )
    print(f"report: {out}")
    best = min(r.lift for r in report.rankings)
    leads = report.text_leads
    texts_ok = leads is None or leads.lead_differs >= 0.8
    return 0 if best >= 2.0 and p.segment_and_items_differ >= 0.8 and texts_ok else 1


def bench_main(argv: Sequence[str] | None = None) -> int:
    """Entry point shared by ``copyflow profiles bench`` and ``bench/bench_profiles.py``."""
    parser = argparse.ArgumentParser(prog="bench_profiles", description=__doc__)
    add_bench_arguments(parser)
    return _cmd_bench(parser.parse_args(argv))


def add_bench_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--memory-profiles", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3, help="alternating measurement rounds")
    parser.add_argument(
        "--no-kafka", action="store_true", help="skip the consume comparison (no broker)"
    )
    parser.add_argument(
        "--worker",
        action="store_true",
        help="also run the faust worker against the broker (per-event and batched)",
    )
    parser.add_argument("--worker-events", type=int, default=50_000)


def _cmd_bench(args: argparse.Namespace) -> int:
    from workers.logs import configure_logging
    from workers.profiles.bench import render, run_bench
    from workers.settings import Settings

    # Logging as the worker command sets it up, so the worker bench pays what it pays.
    base = Settings()
    configure_logging(base.log_format, base.log_level)
    settings = None if args.no_kafka else base
    conf = None if settings is None else dict(settings.kafka_common())
    result = run_bench(
        args.events,
        args.users,
        args.memory_profiles,
        conf,
        rounds=args.rounds,
        worker_settings=settings if args.worker else None,
        worker_events=args.worker_events,
    )
    print(render(result))
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``copyflow profiles ...``."""
    p = sub.add_parser("profiles", help="personalization: profile worker, offline eval, bench")
    psub = p.add_subparsers(dest="profiles_command", required=True)

    w = psub.add_parser("worker", help="run the profiles worker (faust; Ctrl-C stops it)")
    w.add_argument("--run-for", type=float, default=None, help="stop after S seconds")
    w.set_defaults(func=_cmd_worker)

    e = psub.add_parser("eval", help="offline eval on a simulated population")
    e.add_argument("--seed", type=int, default=7)
    e.add_argument("--users", type=int, default=2000)
    e.add_argument("--out", default=str(DEFAULT_REPORT), help="markdown report path")
    e.add_argument(
        "--texts",
        type=int,
        default=60,
        help="user pairs whose texts (a recommendation and an ad each) the default model "
        "writes, to compare what they lead with (0: requests only)",
    )
    e.set_defaults(func=_cmd_eval)

    b = psub.add_parser("bench", help="events/s, ratio to raw consume, memory per 1M users")
    add_bench_arguments(b)
    b.set_defaults(func=_cmd_bench)

"""``copyflow dlq``, ``copyflow replay`` and ``copyflow health``: the SRE's commands.

Exit codes: 0 done (or healthy); 1 unhealthy or failed; 2 bad input on the command line
(nothing was written); 75 the broker or a transaction failed for now (retry later; a replay
resumes where it stopped); 130 interrupted (a replay resumes when rerun).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

EXIT_OK = 0
EXIT_UNHEALTHY = 1
EXIT_USAGE = 2
EXIT_TEMPFAIL = 75
EXIT_INTERRUPTED = 130

Command = Callable[[argparse.Namespace], int]

REPLAY_HELP = """\
Regenerate a bounded range of a source topic into a side topic. Dry run by default: prints the
plan (records per partition); --execute runs it. Reads with assign() and never touches the live
consumer group; each batch's outputs and the replay's checkpoint commit in one transaction, so
rerunning the same command after an interruption resumes where it stopped.

TIME|OFFSET: earliest, latest, 1234 (every partition), 0:12,1:40 (per partition),
2025-03-01T12:00:00Z or 2025-03-01 (UTC), @<epoch ms>, now, -2h. Ranges are [from, to).

Backfill every description with a new model version:
  copyflow replay --source product-created --from earliest --to latest \\
      --out content-descriptions-v2 --kinds description --model models/copyflow-tiny-v2
  (check the plan, then add --execute; --rate 200 keeps the brokers calm)
"""


def _guarded(command: Command) -> Command:
    """Map the error hierarchy to exit codes with one clear line on stderr."""

    def run(args: argparse.Namespace) -> int:
        from confluent_kafka import KafkaException

        from workers.errors import BadInput, Fatal, Transient

        try:
            return command(args)
        except BadInput as exc:
            print(f"error: {exc.reason}", file=sys.stderr)
            return EXIT_USAGE
        except (Transient, KafkaException) as exc:
            print(f"error (temporary, retry later): {exc}", file=sys.stderr)
            return EXIT_TEMPFAIL
        except Fatal as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_UNHEALTHY

    return run


def _configure_logs() -> Any:
    from workers.logs import configure_logging
    from workers.settings import Settings

    settings = Settings()
    configure_logging(settings.log_format, settings.log_level)
    return settings


def _interrupt_event() -> threading.Event:
    """SIGINT/SIGTERM ask a long command to stop after its current transaction."""
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    return stop


# -- dlq ---------------------------------------------------------------------------------
def _filters(args: argparse.Namespace) -> Any:
    from workers.ops.dlq_inspect import Filters, parse_offsets

    return Filters(
        stage=args.stage,
        reason=args.reason,
        source_topic=args.source_topic,
        error_class=args.error_class,
        offsets=parse_offsets(args.offsets) if args.offsets else None,
    )


def _read_dlq(args: argparse.Namespace) -> tuple[Any, str, list[Any], Any]:
    from workers.ops.bounds import BrokerLookup, cli_error, parse_partitions
    from workers.ops.dlq_inspect import read_dead_letters

    settings = _configure_logs()
    conf = settings.kafka_common()
    topic = args.topic or settings.topics.dead_letter
    lookup = BrokerLookup(conf)
    try:
        available = lookup.topic_partitions(topic)
        if available is None:
            raise cli_error(f"unknown topic: {topic}")
        partitions = parse_partitions(args.partitions, available)
        rows = read_dead_letters(conf, topic, lookup, partitions)
        topics = lookup.all_topics()
    finally:
        lookup.close()
    return conf, topic, rows, topics


def _cmd_dlq_inspect(args: argparse.Namespace) -> int:
    from workers.ops.dlq_inspect import format_summary, summarize

    filters = _filters(args)
    _conf, topic, rows, _topics = _read_dlq(args)
    summary = summarize(rows, filters, samples=args.samples)
    if args.json:
        print(json.dumps({"topic": topic, **summary.to_json()}, ensure_ascii=False, indent=2))
    else:
        print(format_summary(summary, topic))
    return EXIT_OK


def _cmd_dlq_redrive(args: argparse.Namespace) -> int:
    from workers.ops.bounds import cli_error
    from workers.ops.dlq_redrive import execute_redrive, plan_redrive

    filters = _filters(args)
    chosen = any(
        v is not None
        for v in (args.stage, args.reason, args.source_topic, args.error_class, args.offsets)
    )
    if args.execute and not chosen and not args.all:
        raise cli_error(
            "redrive --execute needs a filter (--stage, --reason, --offsets ...) or --all"
        )
    conf, topic, rows, topics = _read_dlq(args)
    plan = plan_redrive(rows, filters, topics, max_redrives=args.max_redrives)
    print(plan.text(topic, args.execute))
    if not args.execute:
        return EXIT_OK
    sent = execute_redrive(plan, conf, topic)
    print(f"sent {sent} records back to their source topics")
    return EXIT_OK


# -- replay ------------------------------------------------------------------------------
def resolve_model_dir(name: str | None, default: Path) -> Path:
    """``--model`` as a folder path, or a name under ``models/``; BadInput if neither exists."""
    from workers.ops.bounds import cli_error
    from workers.settings import REPO_ROOT

    candidates = [default] if name is None else [Path(name), REPO_ROOT / "models" / name]
    for c in candidates:
        if c.is_dir():
            if not (c / "manifest.json").is_file():
                raise cli_error(f"model folder {c} has no manifest.json")
            return c
    raise cli_error(f"model not found: {name or default} (a model folder, or a name under models/)")


def _replay_generator(args: argparse.Namespace, settings: Any) -> Any:
    from workers.ops.bounds import cli_error
    from workers.ops.pipelines import load_model_generator, make_generator
    from workers.ops.settings import OpsSettings

    ops = OpsSettings()
    if ops.generator != "model":
        if args.model:
            raise cli_error(f"--model cannot be used with COPYFLOW_OPS_GENERATOR={ops.generator}")
        return make_generator(settings, ops)
    model_dir = resolve_model_dir(args.model, settings.model_dir)
    from workers.engine import ModelLoadError

    try:
        return load_model_generator(settings, model_dir)
    except ModelLoadError as exc:
        raise cli_error(f"model {model_dir} cannot be loaded: {exc}") from exc


def replay_topics(settings: Any, plan: Any) -> Any:
    """Topic settings for a replay pipeline: the source decodes by its schema, all kinds → out."""
    from workers.settings import TopicSettings

    topics = settings.topics.model_dump()
    if plan.source_schema == "product-created":
        topics["product_created"] = plan.source
    else:
        topics["content_requests"] = plan.source
    topics.update(descriptions=plan.out, ads=plan.out, recommendations=plan.out)
    topics["dead_letter"] = plan.dlq or topics["dead_letter"]
    return TopicSettings(**topics)


def _cmd_replay(args: argparse.Namespace) -> int:
    from workers.ops.bounds import BrokerLookup, cli_error
    from workers.ops.pipelines import build_pipeline_with
    from workers.ops.progress import Progress
    from workers.ops.replay_plan import PlanStore, ReplayArgs, make_plan
    from workers.ops.replay_run import ReplayRunner, committed_offsets

    settings = _configure_logs()
    conf = settings.kafka_common()
    kinds = tuple(k.strip() for k in args.kinds.split(",") if k.strip())
    if args.rate is not None and args.rate <= 0:
        raise cli_error("--rate must be positive")
    if args.batch_size < 1:
        raise cli_error("--batch-size must be at least 1")
    rargs = ReplayArgs(
        source=args.source,
        start=args.start,
        end=args.end,
        out=args.out,
        partitions=args.partitions,
        kinds=kinds,  # checked against KINDS in make_plan
        dlq=args.dlq,
        allow_live=args.allow_live,
        source_schema=args.source_schema,
        fresh=args.fresh,
    )
    generator = _replay_generator(args, settings)
    store = PlanStore(Path(args.checkpoint_dir))
    key = store.args_key(rargs, generator.model_version)
    stored = None if args.fresh else store.load(key)
    lookup = BrokerLookup(conf)
    try:
        if stored is not None:
            plan, status = stored
            if status == "complete":
                print(f"replay {plan.replay_id} already completed; pass --fresh to run it again")
                return EXIT_OK
            print(f"resuming replay {plan.replay_id} from its checkpoint (plan of the first run)")
        else:
            plan = make_plan(rargs, settings, lookup, generator.model_name, generator.model_version)
    finally:
        lookup.close()
    done = committed_offsets(conf, plan)
    print(plan.describe(done))
    if not args.execute:
        print("dry run: nothing was written; add --execute to run it")
        return EXIT_OK
    store.save(key, plan, "running")
    stop = _interrupt_event()
    pipeline = build_pipeline_with(
        settings,
        generator,
        topics=replay_topics(settings, plan),
        deterministic=True,
        kinds=frozenset(plan.kinds),
    )
    runner = ReplayRunner(
        plan,
        conf,
        pipeline,
        batch_size=args.batch_size,
        rate_per_s=args.rate,
        progress=Progress(plan.total),
        stop=stop,
    )
    summary = runner.run()
    print(summary.text())
    if summary.complete:
        store.save(key, plan, "complete")
        return EXIT_OK
    return EXIT_INTERRUPTED if summary.interrupted else EXIT_TEMPFAIL


# -- health ------------------------------------------------------------------------------
def _cmd_health(args: argparse.Namespace) -> int:
    from workers.ops.health import probe

    if args.url or args.port:
        url = args.url or f"http://127.0.0.1:{args.port}/health"
        result = probe(url, args.timeout)
        if result.body is not None:
            print(json.dumps(result.body, indent=2, default=str))
        if result.error and result.exit_code == 2:
            print(f"unreachable: {result.error}", file=sys.stderr)
        return result.exit_code
    from workers.ops.lag import group_lag, total_lag
    from workers.settings import Settings

    settings = Settings()
    topics = (
        args.topics.split(",")
        if args.topics
        else [
            settings.topics.product_created,
            settings.topics.content_requests,
        ]
    )
    group = args.group or settings.group_id
    try:
        lags = group_lag(settings.kafka_common(), group, topics, timeout_s=args.timeout)
    except Exception as exc:  # noqa: BLE001 - any failure to reach the broker is "unreachable"
        print(f"unreachable: broker {settings.bootstrap_servers}: {exc}", file=sys.stderr)
        return 2
    for p in lags:
        print(f"{p.topic}[{p.partition}] committed={p.committed} end={p.high} lag={p.lag}")
    lag = total_lag(lags)
    print(f"group {group}: total lag {lag}")
    if args.max_lag is not None and lag > args.max_lag:
        return EXIT_UNHEALTHY
    return EXIT_OK


# -- registration --------------------------------------------------------------------------
def _dlq_filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--topic", default=None, help="dead-letter topic (default: the configured one)")
    p.add_argument("--partitions", default=None, help="DLQ partitions, e.g. 0,2 or 0-3")
    p.add_argument("--stage", default=None, help="decode, validate, route, guard, encode, generate")
    p.add_argument("--reason", default=None, help="substring of the reason (case-insensitive)")
    p.add_argument("--source-topic", default=None)
    p.add_argument(
        "--class", dest="error_class", default=None, help="bad_input, unprocessable, unexpected"
    )
    p.add_argument("--offsets", default=None, help="DLQ offsets: 0:10-20,1:5")


def register(sub: Any) -> None:
    """Add ``dlq``, ``replay`` and ``health`` to the ``copyflow`` command line."""
    dlq = sub.add_parser("dlq", help="inspect and redrive dead letters")
    dlq_sub = dlq.add_subparsers(dest="dlq_command", required=True)
    p = dlq_sub.add_parser("inspect", help="counts by stage/class/reason/source and sample rows")
    _dlq_filters(p)
    p.add_argument("--samples", type=int, default=5)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_guarded(_cmd_dlq_inspect))
    p = dlq_sub.add_parser("redrive", help="re-publish chosen dead letters to their source topic")
    _dlq_filters(p)
    p.add_argument("--max-redrives", type=int, default=3, help="refuse records redriven this often")
    p.add_argument("--all", action="store_true", help="allow --execute without any filter")
    p.add_argument("--execute", action="store_true", help="send (default: dry run)")
    p.set_defaults(func=_guarded(_cmd_dlq_redrive))

    from workers.ops.replay_plan import default_checkpoint_dir

    p = sub.add_parser(
        "replay",
        help="regenerate a bounded range of a topic into a side topic",
        description=REPLAY_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--source", required=True, help="topic to read (product-created or content requests)"
    )
    p.add_argument("--from", dest="start", required=True, help="TIME|OFFSET (inclusive)")
    p.add_argument("--to", dest="end", required=True, help="TIME|OFFSET (exclusive)")
    p.add_argument("--out", required=True, help="topic for every output kind")
    p.add_argument("--partitions", default=None, help="source partitions, e.g. 0,2 or 0-3")
    p.add_argument("--rate", type=float, default=None, help="input records per second")
    p.add_argument("--model", default=None, help="model folder (or name under models/)")
    p.add_argument("--kinds", default="description,ad,recommendation", help="kinds to write")
    p.add_argument("--dlq", default=None, help="dead letters here (default: counted only)")
    p.add_argument("--source-schema", choices=["product-created", "content-request"], default=None)
    p.add_argument("--batch-size", type=int, default=64, help="records per transaction")
    p.add_argument(
        "--allow-live", action="store_true", help="allow --out to be a live output topic"
    )
    p.add_argument("--fresh", action="store_true", help="ignore an earlier run's checkpoint")
    p.add_argument("--checkpoint-dir", default=str(default_checkpoint_dir()))
    p.add_argument(
        "--execute", action="store_true", help="run it (default: dry run, print the plan)"
    )
    p.set_defaults(func=_guarded(_cmd_replay))

    p = sub.add_parser("health", help="probe a worker's /health, or the group's lag on the broker")
    p.add_argument("--url", default=None, help="e.g. http://127.0.0.1:8081/health")
    p.add_argument(
        "--port", type=int, default=None, help="shorthand for http://127.0.0.1:PORT/health"
    )
    p.add_argument("--group", default=None, help="consumer group (default: the generator's)")
    p.add_argument("--topics", default=None, help="input topics, comma-separated")
    p.add_argument("--max-lag", type=int, default=None, help="unhealthy above this total lag")
    p.add_argument("--timeout", type=float, default=5.0)
    p.set_defaults(func=_guarded(_cmd_health))

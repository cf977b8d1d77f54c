"""The ``copyflow`` command line. Settings are built here, once, and passed down."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence


def _cmd_dev_broker(args: argparse.Namespace) -> int:
    from workers import devbroker

    if args.action == "start":
        print(devbroker.start(port=args.port, controller_port=args.port + 1))
        return 0
    if args.action == "stop":
        print("stopped" if devbroker.stop() else "not running")
        return 0
    pid = devbroker.status()
    print(f"running pid={pid}" if pid else "not running")
    return 0 if pid else 3


def _cmd_topics(args: argparse.Namespace) -> int:
    from workers.kafka.topics import all_topics, ensure_topics
    from workers.settings import Settings

    settings = Settings()
    created = ensure_topics(
        settings.kafka_common(), all_topics(settings), partitions=args.partitions
    )
    print("created: " + (", ".join(created) if created else "nothing (all exist)"))
    return 0


def _cmd_produce_sample(args: argparse.Namespace) -> int:
    from workers.demo import produce_products
    from workers.sample_catalog import sample_products
    from workers.settings import Settings

    settings = Settings()
    products = sample_products(args.count, seed=args.seed)
    produce_products(settings.kafka_common(), settings.topics.product_created, products)
    print(f"sent {len(products)} products to {settings.topics.product_created}")
    return 0


def _cmd_worker(args: argparse.Namespace) -> int:
    from workers.logs import configure_logging
    from workers.ops.settings import OpsSettings
    from workers.ops.worker import run_worker
    from workers.settings import Settings

    settings = Settings()
    configure_logging(settings.log_format, settings.log_level)
    # The supervised worker: bounded SIGTERM shutdown, /health (COPYFLOW_OPS_HEALTH_PORT),
    # stalled-partition detection and the transactional watchdog (see workers/ops).
    return run_worker(settings, OpsSettings(), args.instance_id, args.idle_timeout)


def _cmd_demo(args: argparse.Namespace) -> int:
    from workers.demo import run_demo

    return run_demo(count=args.count)


def _cmd_export(args: argparse.Namespace) -> int:
    try:
        from export.cli import main as export_main
    except ImportError as exc:  # torch lives in the optional extra
        print(f"copyflow export needs the export extra (pip install -e '.[export]'): {exc}")
        return 2
    return int(export_main(args.rest))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="copyflow", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("dev-broker", help="start/stop/status a local Apache Kafka (KRaft)")
    p.add_argument("action", choices=["start", "stop", "status"])
    p.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("COPYFLOW_DEV_BROKER_PORT", "9092")),
        help="listener port (controller uses port+1); env COPYFLOW_DEV_BROKER_PORT",
    )
    p.set_defaults(func=_cmd_dev_broker)

    p = sub.add_parser("topics", help="create copyflow's topics (idempotent)")
    p.add_argument("--partitions", type=int, default=3)
    p.set_defaults(func=_cmd_topics)

    p = sub.add_parser("produce-sample", help="send the embedded sample catalog")
    p.add_argument("--count", type=int, default=60)
    p.add_argument("--seed", type=int, default=7)
    p.set_defaults(func=_cmd_produce_sample)

    p = sub.add_parser("worker", help="run the generator worker")
    p.add_argument("--idle-timeout", type=float, default=None, help="exit after S idle seconds")
    p.add_argument("--instance-id", default=None, help="stable id; fences older instances")
    p.set_defaults(func=_cmd_worker)

    p = sub.add_parser("demo", help="broker + sample catalog + worker + table of copy")
    p.add_argument("--count", type=int, default=60)
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("export", help="export a local causal LM checkpoint to a model folder")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=_cmd_export)

    # Subcommands that live with their own subsystems register themselves here.
    for module in (
        "workers.ops.cli",
        "workers.profiles.cli",
        "workers.evaluation.cli",
        "workers.generator.cli",
    ):
        try:
            register = importlib.import_module(module).register
        except ModuleNotFoundError as exc:
            if exc.name is not None and module.startswith(exc.name):
                continue  # that subsystem is not installed in this build
            raise
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())

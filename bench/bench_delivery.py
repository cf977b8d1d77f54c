"""Exactly-once vs at-least-once throughput of the generator loop, measured in one run.

    KAFKA_BOOTSTRAP=127.0.0.1:9092 .venv/bin/python -m bench.bench_delivery [--products 2000]
        [--batch-sizes 16,64] [--rounds 2] [--generator canned|template|model]

For each batch size, the two delivery modes run alternately (EOS, ALO, EOS, ALO, ...) on fresh
topics with the same inputs, so drift on a noisy machine hits both; each run times the span
from the first batch to the last (set-up excluded). The ratio printed is EOS throughput over
ALO throughput: the cost of transactions. The canned generator (default) leaves Kafka as
the main cost, so it shows the worst case; with the model the ratio moves towards 1.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from tests.integration.kafka_helpers import plain_avro_encode, produce
from workers.envelope import Envelope
from workers.generator.loop import GeneratorWorker
from workers.kafka.topics import all_topics, ensure_topics
from workers.logs import configure_logging
from workers.ops.pipelines import build_pipeline_with, make_generator
from workers.ops.settings import OpsSettings
from workers.sample_catalog import sample_products
from workers.settings import Settings, TopicSettings


class TimedWorker(GeneratorWorker):
    """Records when the first batch started and the last one committed."""

    first: float | None = None
    last: float | None = None

    def process(self, consumer: Any, producer: Any, batch: Sequence[Envelope]) -> None:
        if self.first is None:
            self.first = time.perf_counter()
        super().process(consumer, producer, batch)
        self.last = time.perf_counter()


@dataclass(frozen=True, slots=True)
class Run:
    """One timed run."""

    delivery: str
    batch_size: int
    inputs: int
    seconds: float

    @property
    def per_s(self) -> float:
        return self.inputs / self.seconds


def one_run(delivery: str, batch_size: int, products: list[dict[str, Any]], generator: str) -> Run:
    run = uuid.uuid4().hex[:8]
    topics = TopicSettings(
        **{k: f"bench-{run}-{v}" for k, v in TopicSettings().model_dump().items()}
    )
    settings = Settings(
        topics=topics,
        group_id=f"bench-{run}",
        transactional_id_prefix=f"bench-{run}",
        delivery=delivery,  # type: ignore[arg-type]
        max_batch_size=batch_size,
    )
    ensure_topics(settings.kafka_common(), all_topics(settings), partitions=3)
    produce(
        settings.bootstrap_servers,
        topics.product_created,
        [(p["product_id"].encode(), plain_avro_encode("ProductCreated", p)) for p in products],
    )
    ops = OpsSettings(generator=generator)  # type: ignore[arg-type]  # checked by argparse
    pipeline = build_pipeline_with(settings, make_generator(settings, ops))
    worker = TimedWorker(settings, pipeline, instance_id=f"bench-{run}")
    worker.run(until=lambda s: s.consumed >= len(products))
    assert worker.first is not None and worker.last is not None
    return Run(delivery, batch_size, len(products), worker.last - worker.first)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--batch-sizes", default="16,64")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--generator", choices=["canned", "template", "model"], default="canned")
    parser.add_argument("--json", action="store_true", help="also print the runs as JSON")
    args = parser.parse_args(argv)
    configure_logging("console", "WARNING")  # per-record debug logs would be what we measure
    products = sample_products(args.products, seed=77)
    runs: list[Run] = []
    for batch_size in (int(b) for b in args.batch_sizes.split(",")):
        for _ in range(args.rounds):
            for delivery in ("exactly_once", "at_least_once"):
                r = one_run(delivery, batch_size, products, args.generator)
                runs.append(r)
                print(
                    f"  {delivery:>14} batch={batch_size:<4} {r.inputs} inputs "
                    f"in {r.seconds:6.2f}s = {r.per_s:7.1f}/s",
                    file=sys.stderr,
                )
    print(
        f"delivery benchmark: {args.products} products (2 outputs each), generator={args.generator}"
    )
    print(f"{'batch':>6} {'exactly_once/s':>15} {'at_least_once/s':>16} {'EOS/ALO':>8}")
    summary = []
    for batch_size in sorted({r.batch_size for r in runs}):
        eos = statistics.median(
            r.per_s for r in runs if r.batch_size == batch_size and r.delivery == "exactly_once"
        )
        alo = statistics.median(
            r.per_s for r in runs if r.batch_size == batch_size and r.delivery == "at_least_once"
        )
        summary.append(
            {
                "batch_size": batch_size,
                "exactly_once_per_s": eos,
                "at_least_once_per_s": alo,
                "ratio": eos / alo,
            }
        )
        print(f"{batch_size:>6} {eos:>15.1f} {alo:>16.1f} {eos / alo:>8.2f}")
    if args.json:
        print(json.dumps({"runs": [asdict(r) for r in runs], "summary": summary}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

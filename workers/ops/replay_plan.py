"""Plan a replay: check every input, resolve the range, name the replay. Writes nothing to Kafka.

Every check that can fail runs here, before the first record is written: unknown topics,
writing into a live or input topic, bad or inverted bounds, bounds before retention, a
missing model. The plan names the replay by a hash of what it will do; that name is the
consumer group whose committed offsets are the replay's checkpoint and the transactional id
that fences a second copy of the same replay.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from workers.domain import KINDS, Kind
from workers.ops.bounds import (
    Bound,
    OffsetLookup,
    PartitionRange,
    cli_error,
    parse_bound,
    parse_partitions,
    resolve_ranges,
)
from workers.settings import Settings

SourceSchema = Literal["product-created", "content-request"]


class TopicLookup(OffsetLookup, Protocol):
    """Bounds resolution plus topic existence (``BrokerLookup`` fits)."""

    def topic_partitions(self, topic: str) -> list[int] | None: ...


@dataclass(frozen=True, slots=True)
class ReplayArgs:
    """What the SRE asked for, as typed on the command line."""

    source: str
    start: str
    end: str
    out: str
    partitions: str | None = None
    kinds: tuple[Kind, ...] = KINDS
    dlq: str | None = None
    allow_live: bool = False
    source_schema: SourceSchema | None = None
    fresh: bool = False


@dataclass(frozen=True, slots=True)
class ReplayPlan:
    """A resolved, named replay; serializable so an interrupted replay resumes the same plan."""

    replay_id: str
    source: str
    source_schema: SourceSchema
    out: str
    dlq: str | None
    kinds: tuple[Kind, ...]
    ranges: tuple[PartitionRange, ...]
    model_name: str
    model_version: str
    created_at_ms: int
    bounds: tuple[str, str] = field(default=("", ""))

    @property
    def group_id(self) -> str:
        return f"copyflow-replay-{self.replay_id}"

    @property
    def transactional_id(self) -> str:
        return f"copyflow-replay-{self.replay_id}"

    @property
    def total(self) -> int:
        return sum(r.count for r in self.ranges)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ranges"] = [asdict(r) for r in self.ranges]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReplayPlan:
        return cls(
            replay_id=data["replay_id"],
            source=data["source"],
            source_schema=data["source_schema"],
            out=data["out"],
            dlq=data["dlq"],
            kinds=tuple(data["kinds"]),
            ranges=tuple(PartitionRange(**r) for r in data["ranges"]),
            model_name=data["model_name"],
            model_version=data["model_version"],
            created_at_ms=int(data["created_at_ms"]),
            bounds=(str(data["bounds"][0]), str(data["bounds"][1])),
        )

    def describe(self, done: Mapping[int, int] | None = None) -> str:
        """The dry-run table: per partition the range, its size and what is already done."""
        done = done or {}
        lines = [
            f"replay {self.replay_id}: {self.source} ({self.source_schema}) -> {self.out}",
            f"  range [{self.bounds[0]}, {self.bounds[1]}), kinds {','.join(self.kinds)}",
            f"  model {self.model_name} {self.model_version}; dead letters -> "
            + (self.dlq or "counted only (the originals are in the live DLQ already)"),
            f"  checkpoint: group {self.group_id} (offsets commit with each transaction)",
            "  partition      from        to   records   done",
        ]
        for r in self.ranges:
            did = max(0, min(done.get(r.partition, r.start), r.end) - r.start)
            lines.append(f"  {r.partition:>9} {r.start:>9} {r.end:>9} {r.count:>9} {did:>6}")
        total_done = sum(
            max(0, min(done.get(r.partition, r.start), r.end) - r.start) for r in self.ranges
        )
        lines.append(f"  {'total':>9} {'':>9} {'':>9} {self.total:>9} {total_done:>6}")
        return "\n".join(lines)


def guess_schema(source: str, settings: Settings) -> SourceSchema | None:
    if source == settings.topics.product_created or "product" in source:
        return "product-created"
    if source == settings.topics.content_requests or "request" in source:
        return "content-request"
    return None


def check_topics(args: ReplayArgs, settings: Settings, lookup: TopicLookup) -> list[int]:
    """Refuse writes into live topics and unknown topics; return the source's partitions."""
    t = settings.topics
    inputs = {t.product_created, t.content_requests, t.user_behavior}
    live_outputs = {t.descriptions, t.ads, t.recommendations, t.dead_letter}
    for name, role in ((args.out, "--out"), (args.dlq, "--dlq")):
        if name is None:
            continue
        if name == args.source:
            raise cli_error(f"{role} {name} is the source topic: a replay must not feed itself")
        if name in inputs:
            raise cli_error(
                f"{role} {name} is a live input topic: the live workers would consume it"
            )
        if name in live_outputs and not args.allow_live:
            raise cli_error(
                f"{role} {name} is a live output topic; replay into a side topic, or pass "
                "--allow-live if you really mean to publish to consumers"
            )
    if args.dlq is not None and args.dlq == args.out:
        raise cli_error("--dlq and --out must differ")
    missing = [
        name
        for name in (args.source, args.out, args.dlq)
        if name is not None and lookup.topic_partitions(name) is None
    ]
    if missing:
        raise cli_error(
            f"unknown topic(s): {', '.join(missing)} (create them first; replay never auto-creates)"
        )
    partitions = lookup.topic_partitions(args.source)
    assert partitions is not None
    return partitions


def replay_id(fields: Sequence[object]) -> str:
    return hashlib.sha256(
        json.dumps(list(fields), sort_keys=True, default=str).encode()
    ).hexdigest()[:16]


def make_plan(
    args: ReplayArgs,
    settings: Settings,
    lookup: TopicLookup,
    model_name: str,
    model_version: str,
    now_ms: int | None = None,
) -> ReplayPlan:
    """Check everything and resolve the range; raise BadInput("cli") on any bad input."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    if not args.kinds or any(k not in KINDS for k in args.kinds):
        raise cli_error(f"--kinds must be some of {','.join(KINDS)}")
    schema = args.source_schema or guess_schema(args.source, settings)
    if schema is None:
        raise cli_error(
            f"cannot tell the schema of {args.source}; "
            "pass --source-schema product-created|content-request"
        )
    start: Bound = parse_bound(args.start, now_ms)
    end: Bound = parse_bound(args.end, now_ms)
    available = check_topics(args, settings, lookup)
    partitions = parse_partitions(args.partitions, available)
    ranges = resolve_ranges(args.source, partitions, start, end, lookup)
    fields: list[object] = [
        args.source,
        schema,
        args.out,
        args.dlq,
        list(args.kinds),
        [asdict(r) for r in ranges],
        model_version,
    ]
    if args.fresh:
        fields.append(now_ms)  # a new name: a new group, so nothing counts as done
    return ReplayPlan(
        replay_id=replay_id(fields),
        source=args.source,
        source_schema=schema,
        out=args.out,
        dlq=args.dlq,
        kinds=tuple(args.kinds),
        ranges=tuple(ranges),
        model_name=model_name,
        model_version=model_version,
        created_at_ms=now_ms,
        bounds=(args.start, args.end),
    )


def default_checkpoint_dir() -> Path:
    base = os.environ.get("COPYFLOW_CACHE") or os.path.join(Path.home(), ".cache", "copyflow")
    return Path(base) / "replay"


class PlanStore:
    """Plan files keyed by the command's arguments, so rerunning a command resumes its plan.

    Progress itself lives in Kafka (the replay group's offsets, committed atomically with the
    outputs); the file only pins what ``latest``, ``now`` or ``-2h`` resolved to the first time.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @staticmethod
    def args_key(args: ReplayArgs, model_version: str) -> str:
        fields = [
            args.source,
            args.start,
            args.end,
            args.out,
            args.partitions,
            list(args.kinds),
            args.dlq,
            args.source_schema,
            model_version,
        ]
        return replay_id(fields)

    def path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def load(self, key: str) -> tuple[ReplayPlan, str] | None:
        """The stored plan and its status ("running" or "complete"), if any."""
        try:
            data = json.loads(self.path(key).read_text(encoding="utf-8"))
            return ReplayPlan.from_json(data["plan"]), str(data["status"])
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError):
            return None  # unreadable: plan afresh rather than guess

    def save(self, key: str, plan: ReplayPlan, status: str) -> None:
        """Write atomically (rename), so a crash never leaves half a plan file."""
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = self.path(key).with_suffix(".tmp")
        tmp.write_text(
            json.dumps({"status": status, "plan": plan.to_json()}, indent=2), encoding="utf-8"
        )
        tmp.replace(self.path(key))

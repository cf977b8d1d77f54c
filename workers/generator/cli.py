"""``copyflow write``: copy for one product, printed, with variants (no broker needed).

For copywriters and model upgrades: see what the worker would publish for a product and
how different its variants are, before anything reaches a topic.

    copyflow write --sample 3 --variants 5
    copyflow write --product product.json --persona price_sensitive --channel search_ad
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from workers.domain import CHANNELS, KINDS, SEGMENTS, Channel, ContentRequest, Kind, Persona
from workers.envelope import Envelope
from workers.errors import BadInput


def _product(args: argparse.Namespace) -> dict[str, Any]:
    if args.product:
        try:
            record = json.loads(Path(args.product).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BadInput("decode", f"cannot read {args.product}: {exc}") from exc
        if not isinstance(record, dict):
            raise BadInput("decode", f"{args.product} holds no JSON object")
        record.setdefault("event_id", f"cli-{record.get('product_id', 'product')}")
        return record
    from workers.sample_catalog import sample_products

    if args.sample < 0:
        raise BadInput("validate", f"--sample must not be negative, not {args.sample}")
    sample: dict[str, Any] = sample_products(max(args.sample + 1, 2))[args.sample]
    return sample


def _default_channel(kind: Kind) -> Channel:
    """The channel the worker writes ``kind`` for (recommendations: the feed card)."""
    from workers.generator.requests import PRODUCT_OUTPUTS

    return dict(PRODUCT_OUTPUTS).get(kind, "feed_card")


def build_requests(record: dict[str, Any], args: argparse.Namespace) -> list[ContentRequest]:
    from workers.generator.requests import requests_from_product

    env = Envelope("cli", 0, 0, None, b"", (), 0)
    requests = requests_from_product(record, env)
    persona = Persona(segment=args.persona)
    if args.kind or args.channel:
        base = requests[0]
        kind = args.kind or base.kind
        channel = args.channel or _default_channel(kind)
        requests = [
            dataclasses.replace(
                base,
                kind=kind,
                channel=channel,
                request_id=f"{base.source.event_id}:{kind}:{channel}",
            )
        ]
    return [dataclasses.replace(r, persona=persona) for r in requests]


def _cmd_write(args: argparse.Namespace) -> int:
    from workers.generator.factory import (
        OnnxTextGenerator,
        generator_config,
        runtime_options,
    )
    from workers.generator.variants import write_variants
    from workers.settings import Settings

    settings = Settings()
    try:
        requests = build_requests(_product(args), args)
    except BadInput as exc:
        print(f"copyflow write: bad product ({exc.stage}): {exc.reason}", file=sys.stderr)
        return 2
    model_dir = Path(args.model) if args.model else settings.model_dir
    generator = OnnxTextGenerator.from_folder(
        model_dir, runtime_options(settings), settings.max_batch_size, generator_config(settings)
    )
    all_variants = write_variants(
        requests,
        generator,
        count=args.variants,
        pool=args.pool if args.variants > 1 else 0,
        drafts=settings.drafts_per_attempt,
        max_attempts=settings.max_resample_attempts + 1,
    )
    for request, texts in zip(requests, all_variants, strict=True):
        print(f"# {request.locale} {request.kind} / {request.channel} / {args.persona}")
        for n, text in enumerate(texts, start=1):
            print(f"{n}. {text}")
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("write", help="print the copy (and variants) for one product")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--product", help="a ProductCreated record as JSON (price as text)")
    source.add_argument("--sample", type=int, default=0, help="index into the sample catalog")
    p.add_argument("--kind", choices=KINDS, default=None)
    p.add_argument("--channel", choices=CHANNELS, default=None)
    p.add_argument("--persona", choices=SEGMENTS, default="general")
    p.add_argument("--variants", type=int, default=1, help="texts per request, all publishable")
    p.add_argument("--pool", type=int, default=12, help="drafts the variants are picked from")
    p.add_argument("--model", default=None, help="model folder (default: COPYFLOW_MODEL_DIR)")
    p.set_defaults(func=_cmd_write)

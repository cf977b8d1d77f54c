"""``copyflow write``: the copy and its variants for one product, without a broker."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.unit.factories import request
from workers.cli import main
from workers.guards import check_all, passed
from workers.settings import DEFAULT_MODEL_DIR

needs_model = pytest.mark.skipif(
    not (DEFAULT_MODEL_DIR / "manifest.json").is_file(), reason=f"no model at {DEFAULT_MODEL_DIR}"
)


@needs_model
def test_variants_of_a_product_are_distinct_and_publishable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    product = {
        "product_id": "P9",
        "title": "Noise Cancelling Headphones H7",
        "brand": "Sonora",
        "category_path": ["Electronics", "Headphones"],
        "price": "129.99",
        "currency": "USD",
        # The grammar's key for hours of listening (a "battery" holds mAh there: a value in
        # hours under it has no wording of its own, guards.frames).
        "attributes": {"battery_life": "35 hours", "color": "Black"},
        "locale": "en",
    }
    path = tmp_path / "product.json"
    path.write_text(json.dumps(product), encoding="utf-8")
    code = main(["write", "--product", str(path), "--kind", "ad", "--variants", "3"])
    assert code == 0
    out = capsys.readouterr().out
    assert out.startswith("# en ad / feed_card / general")
    texts = re.findall(r"^\d\. (.+)$", out, flags=re.M)
    assert len(texts) == 3 and len(set(texts)) == 3
    # The same guards the worker runs: each variant could be published as it is.
    req = request(items=(request().items[0],), kind="ad", channel="feed_card")
    assert all(passed(check_all(t, req)) for t in texts)


def test_an_unreadable_product_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "product.json"
    path.write_text("{not json", encoding="utf-8")
    assert main(["write", "--product", str(path)]) == 2
    assert "bad product (decode)" in capsys.readouterr().err


def test_a_product_without_currency_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "product.json"
    path.write_text(json.dumps({"product_id": "P1", "locale": "en", "price": "1"}))
    assert main(["write", "--product", str(path)]) == 2
    assert "currency" in capsys.readouterr().err

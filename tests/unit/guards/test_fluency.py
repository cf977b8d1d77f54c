"""Fluency: words the model's training copy never put side by side are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.factories import item, request
from workers.domain import ContentRequest
from workers.generator.writer import judge, write_copy
from workers.guards import passed
from workers.guards.fluency import FLUENCY, WORD_PAIRS_FILE, WordPairs, masked_units
from workers.settings import DEFAULT_MODEL_DIR

TABLE = DEFAULT_MODEL_DIR / WORD_PAIRS_FILE
needs_table = pytest.mark.skipif(not TABLE.is_file(), reason=f"no word pair table at {TABLE}")


@pytest.fixture(scope="module")
def pairs() -> WordPairs:
    return WordPairs.load(TABLE)


def _tracker() -> ContentRequest:
    """The sample catalog's zh fitness tracker, as the demo wrote for it."""
    tracker = item(
        title="智能手环 S3",
        brand="悦动",
        category_path=("数码", "穿戴设备"),
        price="249.00",
        currency="CNY",
        attributes={"display": "1.47英寸", "water_resistance": "5ATM", "color": "雾蓝"},
    )
    return request(locale="zh", kind="description", channel="detail_page", items=(tracker,))


def test_values_are_one_mark() -> None:
    """Each of the request's values, however long, is one unit: "§"."""
    units = masked_units("智能手环 S3来了，雾蓝外观，悦动出品。", _tracker())
    assert units == ["§", "来", "了", "，", "§", "外", "观", "，", "§", "出", "品", "。"]


def test_a_table_round_trips(tmp_path: Path) -> None:
    table = WordPairs.count([("The Sonora Headphones. Now $129.99.", request())])
    table.save(tmp_path / "pairs.json")
    assert WordPairs.load(tmp_path / "pairs.json") == table
    assert ("now", "$") in table.pairs["en"] and ("$", "§") in table.pairs["en"]


def test_a_broken_table_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "pairs.json"
    path.write_text('{"en": ["one"]}', encoding="utf-8")
    with pytest.raises(ValueError, match="not two units"):
        WordPairs.load(path)


@needs_table
@pytest.mark.parametrize(
    "text",
    [
        # Seen in `make demo` and the held-out eval: published before this guard.
        "好物推荐！智能手环 S3来了，雾蓝外观，悦动出品。5ATM防水，颜色选一带，电量更安心。"
        "原价249.00元。",
        "新品上架：这款智能手环 S3，来自悦动，249.00元就能入手一带。久穿舒适用键盘。来自推开。",
    ],
)
def test_garbled_chinese_copy_is_refused(pairs: WordPairs, text: str) -> None:
    verdict = pairs.check(text, _tracker())
    assert not verdict.passed and verdict.name == FLUENCY
    assert verdict.detail.startswith("words never seen together: ")


@needs_table
def test_garbled_english_copy_is_refused(pairs: WordPairs) -> None:
    tee = item(
        title="Northline Plus Relaxed T-Shirt",
        brand="Northline",
        category_path=("Apparel", "T-Shirts"),
        attributes={"size": "XXL", "color": "Navy", "style": "Japanese-style"},
    )
    req = request(kind="description", channel="detail_page", items=(tee,))
    text = (
        "Today's pick! The Northline Plus Relaxed T-Shirt is here. Highlights include a "
        "staple for XXL, a Navy finish, size staple for Japanese-style. Now $129.99."
    )
    verdict = pairs.check(text, req)
    assert not verdict.passed and "'size staple'" in verdict.detail


@needs_table
def test_the_grammar_copy_the_model_learnt_passes(pairs: WordPairs) -> None:
    """Every training target passes: the guard refuses no text the model was taught."""
    import json

    from export.corpus import train_examples

    recipe = json.loads((DEFAULT_MODEL_DIR / "manifest.json").read_text())["fluency"]["corpus"]
    examples = train_examples(2000, seed=recipe["seed"], per_category=recipe["per_category"])
    refused = [e.target for e in examples if pairs.unseen(e.target, e.request)]
    assert refused == []


@needs_table
def test_the_writer_refuses_a_garbled_draft_and_takes_the_next(pairs: WordPairs) -> None:
    """With the model's table, judge adds the verdict and the writer moves on."""
    garbled = "{1.title}来了，{1.color}外观，{1.brand}出品。颜色选一带，售价{1.price}元。"
    fine = "{1.title}来了，{1.color}外观，{1.brand}出品。{1.waterproof}防水，售价{1.price}元。"
    req = _tracker()
    _, guards = judge(garbled, req, pairs)
    assert [g.name for g in guards if not g.passed] == [FLUENCY]
    # Without a table (a model folder that has none) there is no fluency verdict.
    assert all(g.name != FLUENCY for g in judge(garbled, req)[1])

    class Scripted:
        model_name, model_version, model_sha256 = "scripted", "0.0.1", "0" * 64
        word_pairs = pairs

        def generate(self, jobs: object, /) -> list[str]:
            return [garbled, fine]

    [copy] = write_copy([req], Scripted(), max_attempts=1, drafts=2)
    assert not copy.fallback and "5ATM防水" in copy.text and passed(copy.guards)
    assert any(g.name == FLUENCY and g.passed for g in copy.guards)

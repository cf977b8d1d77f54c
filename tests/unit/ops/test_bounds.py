"""``TIME|OFFSET`` parsing and per-partition resolution, with clear errors for bad ranges."""

from __future__ import annotations

import pytest

from tests.unit.ops.lookup import two_partitions
from workers.errors import BadInput
from workers.ops.bounds import (
    PartitionRange,
    parse_bound,
    parse_partitions,
    resolve_bound,
    resolve_ranges,
)


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("earliest", "earliest", None),
        ("LATEST", "latest", None),
        ("1234", "offset", 1234),
        ("@1700000000000", "time", 1_700_000_000_000),
        ("2023-11-14T22:13:20Z", "time", 1_700_000_000_000),
        ("2023-11-14T22:13:20", "time", 1_700_000_000_000),  # no zone means UTC
        ("now", "time", 5_000_000),
        ("-2h", "time", 5_000_000 - 7_200_000),
    ],
)
def test_parse_bound_forms(text: str, kind: str, value: int | None) -> None:
    """Every documented form parses to its kind and value."""
    b = parse_bound(text, now_ms=5_000_000)
    assert b.kind == kind
    assert (b.offset if kind == "offset" else b.time_ms) == value


def test_parse_per_partition_offsets() -> None:
    """``0:12,1:40`` gives an offset per partition; a partition listed twice is refused."""
    assert parse_bound("0:12,1:40").per_partition == {0: 12, 1: 40}
    with pytest.raises(BadInput, match="twice"):
        parse_bound("0:1,0:2")


def test_garbage_bound_is_a_cli_error() -> None:
    """Neither a time nor an offset: a BadInput at stage cli that names the accepted forms."""
    with pytest.raises(BadInput, match="not a time or an offset") as info:
        parse_bound("yesterday-ish")
    assert info.value.stage == "cli"


def test_time_range_resolves_half_open() -> None:
    """--from 3000 --to 6000 covers the records stamped 3000, 4000 and 5000."""
    ranges = resolve_ranges(
        "src", [0], parse_bound("@3000"), parse_bound("@6000"), two_partitions()
    )
    assert ranges == [PartitionRange(0, 2, 5)]
    assert ranges[0].count == 3


def test_time_after_the_last_record_resolves_to_the_end() -> None:
    """A time past the last record means the end of the log (offsets_for_times says -1)."""
    assert resolve_bound(parse_bound("@99999"), "to", "src", 1, two_partitions()) == 10


def test_inverted_ranges_are_refused() -> None:
    """From after to is an error, for times before any broker call and for resolved offsets."""
    with pytest.raises(BadInput, match="inverted"):
        resolve_ranges("src", [0], parse_bound("@6000"), parse_bound("@3000"), two_partitions())
    with pytest.raises(BadInput, match="inverted"):
        resolve_ranges("src", [0], parse_bound("7"), parse_bound("2"), two_partitions())
    with pytest.raises(BadInput, match="inverted"):
        resolve_ranges("src", [0], parse_bound("0:8"), parse_bound("@3000"), two_partitions())


def test_offsets_before_retention_or_past_the_end_are_refused() -> None:
    """An offset deleted by retention, or beyond the log, is a clear error."""
    lookup = two_partitions(low=100)
    with pytest.raises(BadInput, match="deleted by retention"):
        resolve_bound(parse_bound("50"), "from", "src", 0, lookup)
    with pytest.raises(BadInput, match="past the end"):
        resolve_bound(parse_bound("500"), "to", "src", 0, lookup)


def test_time_before_retention_is_refused_only_when_records_were_deleted() -> None:
    """A time older than the first retained record is an error if the log start moved."""
    with pytest.raises(BadInput, match="before the oldest retained record"):
        resolve_bound(parse_bound("@10"), "from", "src", 0, two_partitions(low=100))
    assert resolve_bound(parse_bound("@10"), "from", "src", 0, two_partitions(low=0)) == 0


def test_per_partition_bound_must_name_every_partition() -> None:
    """A per-partition bound that skips a selected partition is refused."""
    with pytest.raises(BadInput, match="no offset for partition 1"):
        resolve_ranges("src", [0, 1], parse_bound("0:1"), parse_bound("latest"), two_partitions())


def test_parse_partitions() -> None:
    """Lists and spans are accepted; partitions the topic lacks are refused."""
    assert parse_partitions(None, [2, 0, 1]) == [0, 1, 2]
    assert parse_partitions("0-1,3", [0, 1, 2, 3]) == [0, 1, 3]
    with pytest.raises(BadInput, match="no such partitions"):
        parse_partitions("5", [0, 1])
    with pytest.raises(BadInput, match="bad --partitions"):
        parse_partitions("x", [0])

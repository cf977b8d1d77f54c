"""Types of the compiled hot path (workers/profiles/_hot.pyx); see hot.py."""

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from workers.domain import Provenance
from workers.envelope import Envelope
from workers.profiles.config import ProfilesConfig
from workers.profiles.logic import Outcome, SearchMatch
from workers.profiles.records import Behavior, CoEntry, ProductView, Profile

FAST_READER: bool

def read_behavior(data: bytes) -> Behavior: ...
def event_hash(event_id: str) -> str: ...
def erased_key(user_id: str) -> str: ...
def apply_event(
    profile: Profile,
    event: Behavior,
    product: ProductView | None,
    now_ms: int,
    cfg: ProfilesConfig,
    search: SearchMatch | None = None,
) -> Outcome: ...
def add_pairs(entry: CoEntry, kind: str, others: Iterable[str], cap: int) -> None: ...
def evict_weakest(counts: dict[str, float], cap: int) -> None: ...

class HotEngine:
    def __init__(self, engine: Any) -> None: ...
    def apply(
        self, event: Behavior, source: Provenance | Envelope, now_ms: int
    ) -> Outcome | None: ...
    def on_behavior_batch(
        self,
        envs: Sequence[Any],
        now_ms: int,
        envelope_of: Callable[[Any], Envelope] | None = None,
    ) -> list[Any]: ...

class FaustJson:
    def __init__(self, fallback: Callable[[Any], bytes]) -> None: ...
    def __call__(self, obj: Any) -> bytes: ...
    def records(
        self, topic: str, writes: dict[Any, Any]
    ) -> list[tuple[str, bytes, bytes | None]]: ...

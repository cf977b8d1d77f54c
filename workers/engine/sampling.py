"""Next-token selection for one row, in plain numpy.

Determinism is the point of this module. Each row owns a ``numpy.random.Generator`` seeded
from its request's seed and draws exactly one uniform per sampled step, so a row's tokens
depend only on (its logits, its seed): never on which other requests share the batch, nor on
their order. Ties are broken by the lowest token id everywhere (argmax, stable sorts), so the
same logits always give the same token.

Order of operations (the Hugging Face order, so tuned settings carry over): repetition
penalty, banned-token mask (applied by the caller), temperature, top-k, top-p, then draw.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from workers.engine.errors import InvalidRequestError

FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]

_SEED_MASK = (1 << 64) - 1


@dataclass(frozen=True, slots=True)
class SamplingParams:
    """Decoding knobs for one request; the defaults are greedy decoding."""

    do_sample: bool = False
    temperature: float = 1.0
    top_k: int = 0  # 0 disables top-k
    top_p: float = 1.0  # 1.0 disables top-p
    repetition_penalty: float = 1.0  # 1.0 disables it; > 1 discourages repeats

    def __post_init__(self) -> None:
        if not (math.isfinite(self.temperature) and self.temperature > 0):
            raise InvalidRequestError(f"temperature must be > 0, got {self.temperature}")
        if self.top_k < 0:
            raise InvalidRequestError(f"top_k must be >= 0, got {self.top_k}")
        if not (0.0 < self.top_p <= 1.0):
            raise InvalidRequestError(f"top_p must be in (0, 1], got {self.top_p}")
        if not (math.isfinite(self.repetition_penalty) and self.repetition_penalty > 0):
            raise InvalidRequestError(
                f"repetition_penalty must be > 0, got {self.repetition_penalty}"
            )


def derive_seed(*parts: str) -> int:
    """A stable 64-bit seed from text parts, e.g. ``derive_seed(request_id, model_version)``.

    sha256 rather than ``hash()``: Python salts ``hash`` per process, and a replay in another
    process must draw the same numbers.
    """
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "little")


def row_rng(seed: int) -> np.random.Generator:
    """The private random stream of one row."""
    return np.random.Generator(np.random.PCG64(seed & _SEED_MASK))


def apply_repetition_penalty(logits: FloatArray, seen: BoolArray, penalty: float) -> None:
    """CTRL-style penalty in place: divide positive, multiply negative logits of seen ids."""
    if penalty == 1.0 or not seen.any():
        return
    picked = logits[seen]
    logits[seen] = np.where(picked > 0, picked / penalty, picked * penalty)


def _top_k_filter(logits: FloatArray, k: int) -> None:
    if 0 < k < logits.shape[0]:
        # Keep every logit tied with the k-th largest: which of equal tokens to drop would
        # otherwise depend on the partition algorithm.
        kth = np.partition(logits, -k)[-k]
        logits[logits < kth] = -np.inf


def _probabilities(logits: FloatArray) -> npt.NDArray[np.float64]:
    # float64 so that the cumulative sums behind top-p and the draw are not order-sensitive.
    shifted = logits.astype(np.float64) - np.max(logits)
    probs: npt.NDArray[np.float64] = np.exp(shifted)
    probs /= probs.sum()
    return probs


def _top_p_filter(probs: npt.NDArray[np.float64], top_p: float) -> npt.NDArray[np.float64]:
    if top_p >= 1.0:
        return probs
    order = np.argsort(-probs, kind="stable")
    sorted_probs = probs[order]
    mass_before = np.cumsum(sorted_probs) - sorted_probs
    # A token stays while the mass of strictly more likely tokens is below top_p; the most
    # likely token always stays.
    drop = order[mass_before >= top_p]
    kept = probs.copy()
    kept[drop] = 0.0
    kept /= kept.sum()
    return kept


def select_token(logits: FloatArray, params: SamplingParams, rng: np.random.Generator) -> int:
    """Pick the next token from one row's masked, penalised logits (modified in place).

    Banned tokens must already be ``-inf``. At least one logit must be finite.
    """
    if not params.do_sample:
        return int(np.argmax(logits))
    if params.temperature != 1.0:
        logits /= np.float32(params.temperature)
    _top_k_filter(logits, params.top_k)
    probs = _top_p_filter(_probabilities(logits), params.top_p)
    # Inverse-CDF with exactly one uniform per step keeps the row's stream aligned across
    # runs whatever the vocabulary or filters do.
    cdf = np.cumsum(probs)
    index = int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right"))
    if index >= probs.shape[0] or probs[index] == 0.0:
        # Only float rounding at the very top of the CDF lands here: take the last allowed id.
        index = int(np.flatnonzero(probs)[-1])
    return index

"""Next-token selection, in plain numpy, vectorised over the batch where rows allow it.

Determinism is the point of this module. Each row owns a ``numpy.random.Generator`` seeded
from its request's seed and draws exactly one uniform per sampled step, so a row's tokens
depend only on (its logits, its seed): never on which other requests share the batch, nor on
their order. Ties are broken by the lowest token id everywhere (argmax, stable sorts), so the
same logits always give the same token.

Order of operations (the Hugging Face order, so tuned settings carry over): repetition
penalty, banned-token mask (applied by the caller), temperature, top-k, top-p, then draw.

Batch-wide steps (penalty, temperature, the top-k cut value, greedy argmax) are elementwise or
exact per row, so doing them on a ``[batch, vocab]`` matrix gives each row bit-for-bit what
it would get alone; only the small per-row remainder (softmax over the candidates, nucleus,
draw) runs in a Python loop. With an 8k vocabulary this keeps host work per step well under
the model's own step time.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from workers.engine.errors import InvalidRequestError

FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]
IdArray = npt.NDArray[np.intp]

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


def apply_repetition_penalty(
    logits: FloatArray, seen: BoolArray, penalties: FloatArray | float
) -> None:
    """CTRL-style penalty in place: divide positive, multiply negative logits of seen ids.

    ``logits`` and ``seen`` are ``[batch, vocab]`` (or one ``[vocab]`` row), ``penalties``
    one value per row (or a scalar). A penalty of 1 leaves its row bit-for-bit unchanged.
    """
    factor = np.asarray(penalties, dtype=np.float32)
    if np.all(factor == 1.0):
        return
    if logits.ndim == 2 and factor.ndim == 1:
        factor = factor[:, None]
    penalised = np.where(logits > 0, logits / factor, logits * factor)
    np.copyto(logits, penalised, where=seen)


def _top_k_thresholds(logits: FloatArray, top_ks: Sequence[int]) -> FloatArray:
    """Per row, the k-th largest logit (-inf where top-k is off); one partition per distinct k."""
    rows, vocab = logits.shape
    thresholds = np.full(rows, -np.inf, dtype=np.float32)
    for k in set(top_ks):
        if 0 < k < vocab:
            members = [i for i, row_k in enumerate(top_ks) if row_k == k]
            part = np.partition(logits[members], vocab - k, axis=1)
            thresholds[members] = part[:, vocab - k]
    return thresholds


def _softmax(logits: FloatArray) -> npt.NDArray[np.float64]:
    # float64 so that cumulative sums behind top-p and the draw are not order-sensitive.
    shifted = logits.astype(np.float64) - np.max(logits)
    probs: npt.NDArray[np.float64] = np.exp(shifted)
    probs /= probs.sum()
    return probs


def _nucleus(probs: npt.NDArray[np.float64], top_p: float) -> IdArray:
    """Positions of the top-p nucleus, most likely first (ties: lowest position first).

    Equal to a full stable sort followed by a cumulative-mass cut, but sorts only a top slice
    that grows until it holds the nucleus: with 8k-token vocabularies the full sort was the
    most expensive thing on the host.
    """
    size = probs.shape[0]
    width = 64
    while True:
        if width >= size:
            order = np.argsort(-probs, kind="stable")
        else:
            kth = np.partition(probs, size - width)[size - width]
            top = np.flatnonzero(probs >= kth)  # ascending, with every tie of the cut value
            order = top[np.argsort(-probs[top], kind="stable")]
        sorted_probs = probs[order]
        cumulative = np.cumsum(sorted_probs)
        # cumsum is sequential, so this prefix has exactly the sums a full sort would have.
        if width >= size or cumulative[-1] >= top_p:
            mass_before = cumulative - sorted_probs
            # A token stays while the mass of more likely tokens is below top_p; the most
            # likely token always stays.
            return order[mass_before < top_p]
        width *= 4


def _draw(probs: npt.NDArray[np.float64], rng: np.random.Generator) -> int:
    """Inverse-CDF draw with exactly one uniform, so a row's stream stays aligned."""
    cdf = np.cumsum(probs)
    index = int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right"))
    if index >= probs.shape[0] or probs[index] == 0.0:
        # Only float rounding at the very top of the CDF lands here: take the last allowed id.
        index = int(np.flatnonzero(probs)[-1])
    return index


def _sample_row(
    logits: FloatArray, threshold: float, top_p: float, rng: np.random.Generator
) -> int:
    """Top-k (via its cut value), top-p and the draw for one temperature-scaled row."""
    # Keeping every tie with the k-th value makes the candidate set independent of how the
    # partition happened to order equal values.
    candidates = None if threshold == -np.inf else np.flatnonzero(logits >= threshold)
    # After top-k the distribution is renormalised over the survivors (as Hugging Face does),
    # so working on the small candidate vector alone is exact.
    probs = _softmax(logits if candidates is None else logits[candidates])
    if top_p < 1.0:
        nucleus = _nucleus(probs, top_p)
        picked = int(nucleus[_draw(probs[nucleus], rng)])
    else:
        picked = _draw(probs, rng)
    return picked if candidates is None else int(candidates[picked])


def select_tokens(
    logits: FloatArray,
    params: Sequence[SamplingParams],
    rngs: Sequence[np.random.Generator],
) -> list[int]:
    """Next token per row of ``[batch, vocab]`` penalised, masked logits (scaled in place).

    Banned tokens must already be ``-inf``; every row must keep at least one finite logit.
    """
    chosen = [0] * logits.shape[0]
    greedy = [i for i, p in enumerate(params) if not p.do_sample]
    if greedy:
        for i, token in zip(greedy, np.argmax(logits[greedy], axis=1), strict=True):
            chosen[i] = int(token)
    sampled = [i for i, p in enumerate(params) if p.do_sample]
    if not sampled:
        return chosen
    rows = logits[sampled]  # a copy: scaling it never touches greedy rows
    temperatures = np.array([params[i].temperature for i in sampled], dtype=np.float32)
    if np.any(temperatures != 1.0):
        rows /= temperatures[:, None]
    thresholds = _top_k_thresholds(rows, [params[i].top_k for i in sampled])
    for j, i in enumerate(sampled):
        chosen[i] = _sample_row(rows[j], float(thresholds[j]), params[i].top_p, rngs[i])
    return chosen


def select_token(logits: FloatArray, params: SamplingParams, rng: np.random.Generator) -> int:
    """``select_tokens`` for a single ``[vocab]`` row."""
    return select_tokens(logits[None, :], [params], [rng])[0]

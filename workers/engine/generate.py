"""Batched decoding with a KV cache: ``OnnxGenerator.generate``.

The batch is LEFT padded, so every row's newest token sits in the last column and one
``[batch, 1]`` step serves all rows. Padding is invisible to a row: its attention mask hides
pad keys, and ``position_ids = cumsum(mask) - 1`` (clipped at 0) gives its real tokens the
positions they would have alone. Sampling state is per row (see ``sampling``), so a row's
output does not depend on what else is in the batch, up to float rounding differences between
batch shapes in the graph's own kernels.

Flow: encode -> one prefill over the padded prompts -> per step: choose a token per live
row on the host (penalty, banned mask, filters, draw), stop rows on a stop id or their own
``max_new_tokens``, drop finished rows from the cache when the runner says it pays, feed the
new tokens as a one-column step. Presents of step t are the pasts of step t+1.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from workers.engine.banned import BannedTermIndex, normalize_terms
from workers.engine.errors import EngineError, InvalidRequestError, ModelLoadError
from workers.engine.model import TOKENIZER_FILE, LoadedModel, RuntimeOptions, load_model
from workers.engine.prefill import DEFAULT_SLACK, join_caches, length_groups
from workers.engine.records import (
    FinishReason,
    GenerationRequest,
    GenerationResult,
    GenerationTiming,
)
from workers.engine.runner import BoundRunner, HostRunner, InPlaceRunner, KvRunner, SpanRunner
from workers.engine.sampling import apply_repetition_penalty, row_rng, select_tokens
from workers.engine.slot_mask import NAME_KEYS, SlotMask, SlotSet, slot_parts, slot_role
from workers.engine.speculate import NgramTable
from workers.engine.tokenizer import TextTokenizer

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]

DEFAULT_EOS = "<|eos|>"
DEFAULT_PAD = "<|pad|>"


@dataclass(frozen=True, slots=True)
class GeneratorConfig:
    """Engine knobs that are not per request."""

    # Extra ids that end a row like EOS does (EOS itself is always a stop id).
    stop_token_ids: tuple[int, ...] = ()
    # None: IO binding when the session runs on CUDA, or runs the in-place graph (on the
    # CPU, InPlaceRunner); False: plain session.run, the in-place graph as a drop-in.
    use_io_binding: bool | None = None
    # BoundRunner drops finished rows once live rows <= this fraction of the batch.
    device_compact_below: float = 0.5
    # Banned-term indexes are built once per distinct term set (one per locale in practice).
    banned_cache_size: int = 16
    # Host (CPU) prefill in groups of similar prompt length, each group padded to at most
    # this many positions per real token (workers.engine.prefill); None: one padded block.
    prefill_slack: float | None = DEFAULT_SLACK
    # Speculative steps (``workers.engine.speculate``): when on, the model folder has an
    # n-gram table and the graph takes a span (model.onnx; not the in-place graph), each
    # step feeds up to ``max_draft_tokens`` drafted tokens per row after its chosen one,
    # and at most ``span_tokens`` positions over the whole batch (a wider step costs more
    # than its drafts save: 16 rows get 2 drafts each, 4 rows 6). Same text either way.
    # Off by default: on this 2-core CPU it pays at small batches only (64 held-out
    # prompts: 1.97x at batch 1, 1.24x at 4, 1.0x at 8, 0.95-1.09x at 16 against the
    # in-place graph), where a step's cost is overhead rather than arithmetic.
    speculate: bool = False
    max_draft_tokens: int = 6
    span_tokens: int = 48


@dataclass(slots=True)
class _Row:
    """Decoding state of one request inside a batch."""

    request: GenerationRequest
    prompt_len: int
    rng: np.random.Generator
    banned: BannedTermIndex | None
    # max_new_tokens, cut so the row never runs past the trained context (by its own
    # length, not the padded width, so the cut does not depend on the batch).
    max_tokens: int
    slots: SlotSet | None = None
    slot_fragment: bytes | None = None
    # Slots not written yet (``slots`` is this, narrowed to the current item when the
    # request has several), and the item the text last named.
    slot_pool: SlotSet | None = None
    slot_item: bytes | None = None
    several_items: bool = False
    # The last bytes written (the role of a slot opened next, see slot_mask.slot_role), and
    # the slots the open slot may still become, given the role it was opened in.
    recent: bytes = b""
    slot_scope: SlotSet | None = None
    tail: bytes = b""
    tokens: list[int] = field(default_factory=list)
    finish: FinishReason | None = None


def left_pad(encoded: Sequence[Sequence[int]], pad_id: int) -> tuple[IntArray, IntArray, IntArray]:
    """input_ids, attention_mask and position_ids for a left-padded batch."""
    width = max(len(ids) for ids in encoded)
    input_ids = np.full((len(encoded), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(encoded), width), dtype=np.int64)
    for row, ids in enumerate(encoded):
        input_ids[row, width - len(ids) :] = ids
        mask[row, width - len(ids) :] = 1
    positions = np.clip(np.cumsum(mask, axis=1) - 1, 0, None)
    return input_ids, mask, positions


def _compact(
    runner: KvRunner, batch: list[_Row], live: list[int], *arrays: npt.NDArray[Any]
) -> tuple[list[_Row], list[npt.NDArray[Any]]]:
    """Drop finished rows from the runner's cache, the batch and each per-row array."""
    keep = np.asarray(live, dtype=np.int64)
    runner.keep_rows(keep)
    return [batch[j] for j in live], [array[keep] for array in arrays]


def _special_id(
    model: LoadedModel, tokenizer: TextTokenizer, role: str, default: str
) -> int | None:
    """Resolve a special token id from the manifest, cross-checked against the tokenizer."""
    entry = model.manifest.special_tokens.get(role)
    text = entry.token if entry and entry.token else default
    from_tokenizer = tokenizer.token_to_id(text)
    if entry is not None and entry.id is not None:
        if from_tokenizer is not None and from_tokenizer != entry.id:
            raise ModelLoadError(
                f"manifest says {role} {text!r} is id {entry.id}, tokenizer says {from_tokenizer}"
            )
        return entry.id
    return from_tokenizer


class OnnxGenerator:
    """Writes texts for batches of requests with one loaded model.

    Not thread-safe (it caches banned-term indexes): use one per decoding thread, which is
    what a single-threaded Kafka poll loop gives anyway.
    """

    def __init__(
        self,
        model: LoadedModel,
        tokenizer: TextTokenizer,
        config: GeneratorConfig | None = None,
        ngrams: NgramTable | None = None,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.config = config or GeneratorConfig()
        self.ngrams = ngrams
        eos = _special_id(model, tokenizer, "eos", DEFAULT_EOS)
        if eos is None:
            raise ModelLoadError("no eos token in the manifest or the tokenizer")
        pad = _special_id(model, tokenizer, "pad", DEFAULT_PAD)
        self.eos_id = eos
        # Pad content never matters (masked), but it must be a valid id.
        self.pad_id = eos if pad is None else pad
        self.stop_ids = frozenset((eos, *self.config.stop_token_ids))
        self.vocab_size = self._check_vocab()
        # Ids past the tokenizer's vocab are padding in the graph: never emit them.
        self._first_padded_id = tokenizer.vocab_size
        # Built now (tens of ms for 8k tokens) so the first batch does not pay for it; ids the
        # graph pads on add no text.
        padding = (b"",) * (self.vocab_size - tokenizer.vocab_size)
        self._token_bytes = tokenizer.token_bytes() + padding
        self._banned: OrderedDict[tuple[bytes, ...], BannedTermIndex] = OrderedDict()
        self._slot_mask = SlotMask(self._token_bytes)

    @classmethod
    def from_folder(
        cls,
        folder: str | Path,
        options: RuntimeOptions | None = None,
        config: GeneratorConfig | None = None,
    ) -> OnnxGenerator:
        """Load, verify and wrap a model folder (model.onnx, tokenizer.json, manifest.json)."""
        model = load_model(folder, options)
        tokenizer = TextTokenizer.from_file(Path(folder) / TOKENIZER_FILE)
        table = model.ngram_file
        ngrams = NgramTable.load(Path(folder) / table) if table is not None else None
        return cls(model, tokenizer, config, ngrams)

    @property
    def model_name(self) -> str:
        return self.model.name

    @property
    def model_version(self) -> str:
        return self.model.version

    @property
    def model_sha256(self) -> str:
        return self.model.model_sha256

    @property
    def providers(self) -> tuple[str, ...]:
        return self.model.providers

    def _check_vocab(self) -> int:
        """The logits width: graph first, then manifest, then tokenizer."""
        vocab = self.tokenizer.vocab_size
        width = self.model.signature.vocab_size or self.model.manifest.vocab_size or vocab
        # The graph may pad its vocab (e.g. to a multiple of 64); it may never be smaller.
        if width < vocab:
            raise ModelLoadError(f"model vocab {width} < tokenizer vocab {vocab}")
        return width

    def check(self, request: GenerationRequest) -> None:
        """Raise ``InvalidRequestError`` if the request cannot be served (route it to the DLQ)."""
        self._check_one(request, len(self.tokenizer.encode(request.prompt)))

    def _check_one(self, request: GenerationRequest, prompt_len: int) -> None:
        if request.max_new_tokens < 1:
            raise InvalidRequestError(f"max_new_tokens must be >= 1, got {request.max_new_tokens}")
        if prompt_len == 0:
            raise InvalidRequestError("prompt encodes to no tokens")
        limit = self.model.manifest.max_positions
        if limit is not None and prompt_len >= limit:
            raise InvalidRequestError(f"prompt has {prompt_len} tokens, model context is {limit}")

    def banned_index(self, terms: Iterable[str]) -> BannedTermIndex | None:
        """The (cached) mask structure for a term set; None when there is nothing to ban.

        Call it once per locale's term list at start-up to keep the build off the first batch.
        """
        key = normalize_terms(terms)
        if not key:
            return None
        index = self._banned.get(key)
        if index is None:
            index = BannedTermIndex.build((term.decode() for term in key), self._token_bytes)
            self._banned[key] = index
            while len(self._banned) > self.config.banned_cache_size:
                self._banned.popitem(last=False)
        else:
            self._banned.move_to_end(key)
        return index

    def _runner(self, batch: int, room: int) -> KvRunner:
        """The runner for this session; ``room``: positions the decoding may still add."""
        bind = self.config.use_io_binding
        if self.model.inplace and bind is not False:
            return InPlaceRunner(self.model.session, self.model.signature, batch, room)
        if bind is None:
            bind = self.model.on_cuda
        if not bind:
            return HostRunner(self.model.session, self.model.signature, batch)
        device = "cuda" if self.model.on_cuda else "cpu"
        return BoundRunner(
            self.model.session,
            self.model.signature,
            batch,
            device=device,
            compact_below=self.config.device_compact_below,
        )

    def _new_row(self, request: GenerationRequest, ids: Sequence[int]) -> _Row:
        row = _Row(
            request=request,
            prompt_len=len(ids),
            rng=row_rng(request.seed),
            banned=self.banned_index(request.banned_terms),
            max_tokens=self._token_budget(request, len(ids)),
        )
        if request.slots:
            row.slot_pool = SlotSet(request.slots)
            row.several_items = len(row.slot_pool.items) > 1
            row.slots = self._active_slots(row)
        return row

    @staticmethod
    def _active_slots(row: _Row) -> SlotSet | None:
        pool = row.slot_pool
        if pool is None or not row.several_items:
            return pool
        return pool.for_item(row.slot_item)

    def _token_budget(self, request: GenerationRequest, prompt_len: int) -> int:
        limit = self.model.manifest.max_positions
        if limit is None:
            return request.max_new_tokens
        return max(1, min(request.max_new_tokens, limit - prompt_len))

    def _choose(self, rows: Sequence[_Row], logits: FloatArray, seen: BoolArray) -> list[int]:
        """Next token for each of ``rows`` from their logits (modified in place)."""
        if np.isnan(logits).any():
            raise EngineError("model produced NaN logits")
        logits[:, self._first_padded_id :] = -np.inf
        params = [row.request.sampling for row in rows]
        penalties = np.array([p.repetition_penalty for p in params], dtype=np.float32)
        apply_repetition_penalty(logits, seen, penalties)
        masked = False
        for j, row in enumerate(rows):
            if row.banned is not None:
                row.banned.apply(logits[j], row.tail)
                masked = True
            if row.slots is not None:
                inside = row.slot_fragment is not None and row.slot_scope is not None
                scope = row.slot_scope if inside and row.slot_scope is not None else row.slots
                self._slot_mask.apply(logits[j], row.slot_fragment, scope, row.recent)
                masked = True
        # A mask that left a row nothing (EOS adds no text, so it never is banned) ends it.
        exhausted = ~np.isfinite(logits).any(axis=1) if masked else np.zeros(len(rows), bool)
        if exhausted.any():
            logits[exhausted, self.eos_id] = 0.0
        return select_tokens(logits, params, [row.rng for row in rows])

    def _advance(self, row: _Row, token: int) -> None:
        if token in self.stop_ids:
            row.finish = "eos"
            return
        row.tokens.append(token)
        if row.slots is not None:
            done = self._slot_mask.completed(row.slot_fragment, token)
            if done and row.slot_pool is not None:
                # Naming an attribute twice says nothing new; the model names another.
                row.slot_pool = row.slot_pool.without(done)
                for slot in done:
                    item, key = slot_parts(slot)
                    if key in NAME_KEYS:
                        row.slot_item = item
                row.slots = self._active_slots(row)
            opened_in = row.slot_fragment is None
            row.slot_fragment = self._slot_mask.advance(row.slot_fragment, token)
            text = self._token_bytes[token] if token < len(self._token_bytes) else b""
            if row.slot_fragment is not None and (opened_in or b"}" in text):
                # A slot opened with this token: it keeps the role of the text before it.
                before = row.recent + text[: text.rfind(b"{")]
                row.slot_scope = row.slots.for_role(slot_role(before)) if row.slots else None
            row.recent = (row.recent + text)[-24:]
        if row.banned is not None:
            row.tail = row.banned.advance(row.tail, token)
        if len(row.tokens) >= row.max_tokens:
            row.finish = "length"

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        """Write one text per request, in order. Raises ``InvalidRequestError`` on bad input."""
        if not requests:
            return []
        encoded = self.tokenizer.encode_batch([request.prompt for request in requests])
        for position, (request, ids) in enumerate(zip(requests, encoded, strict=True)):
            try:
                self._check_one(request, len(ids))
            except InvalidRequestError as exc:
                raise InvalidRequestError(f"request {position}: {exc}") from exc
        rows = [self._new_row(request, ids) for request, ids in zip(requests, encoded, strict=True)]
        input_ids, mask, positions = left_pad(encoded, self.pad_id)
        # Repetition penalty covers prompt and generated tokens (CTRL); pads are not seen.
        seen = np.zeros((len(rows), self.vocab_size), dtype=np.bool_)
        for j, ids in enumerate(encoded):
            seen[j, ids] = True

        started = time.perf_counter()
        runner = self._runner(len(rows), max(row.max_tokens for row in rows) + 1)
        logits = self._prefill(runner, encoded, input_ids, mask, positions)
        prefill_s = time.perf_counter() - started
        if self._speculates() and isinstance(runner, HostRunner | BoundRunner):
            # Not InPlaceRunner: onnxruntime's GroupQueryAttention takes one new position
            # per row once it has a past ("batch_size must be 1 when sequence_length > 1
            # and past context is given"), so that graph decodes one token per step.
            steps = self._decode_drafted(runner, rows, logits, mask, seen)
        else:
            steps = self._decode(runner, rows, logits, mask, seen)
        decode_s = time.perf_counter() - started - prefill_s

        timing = GenerationTiming(
            batch_size=len(rows),
            padded_prompt_tokens=int(input_ids.shape[1]),
            steps=steps,
            prefill_s=prefill_s,
            decode_s=decode_s,
        )
        return [self._result(row, timing) for row in rows]

    def _prefill(
        self,
        runner: KvRunner,
        encoded: Sequence[Sequence[int]],
        input_ids: IntArray,
        mask: IntArray,
        positions: IntArray,
    ) -> FloatArray:
        """Last-position logits of every prompt; the runner holds the batch's cache after.

        On the host, each distinct prompt is prefilled once (a request's drafts share their
        prompt and differ only in seed), in groups of similar length (``prefill``); rows with
        the same prompt then get copies of its cache and logits.
        """
        slack = self.config.prefill_slack
        if slack is None or not isinstance(runner, HostRunner | InPlaceRunner):
            return runner.forward(input_ids, mask, positions)
        first_of: dict[tuple[int, ...], int] = {}
        unique: list[Sequence[int]] = []
        source: list[int] = []  # batch row -> its prompt's index in ``unique``
        for prompt in encoded:
            index = first_of.setdefault(tuple(prompt), len(unique))
            if index == len(unique):
                unique.append(prompt)
            source.append(index)
        groups = length_groups([len(prompt) for prompt in unique], slack)
        if len(groups) == 1 and len(unique) == len(encoded):
            return runner.forward(input_ids, mask, positions)
        logits: FloatArray | None = None
        parts = []
        for rows in groups:
            part = HostRunner(self.model.session, self.model.signature, len(rows))
            part_ids, part_mask, part_positions = left_pad([unique[r] for r in rows], self.pad_id)
            part_logits = part.forward(part_ids, part_mask, part_positions)
            if logits is None:
                logits = np.empty((len(unique), part_logits.shape[1]), dtype=np.float32)
            logits[rows] = part_logits
            parts.append((rows, part.caches))
        assert logits is not None  # there is at least one prompt
        width = int(input_ids.shape[1])
        shared = len(unique) < len(encoded)
        caches = join_caches(
            parts,
            len(unique),
            width,
            capacity=runner.cache_capacity(width),
            rows_of=source if shared else None,
        )
        runner.load_caches(caches, filled=width)
        return logits[np.asarray(source, dtype=np.int64)] if shared else logits

    def _decode(
        self,
        runner: KvRunner,
        rows: list[_Row],
        logits: FloatArray,
        mask: IntArray,
        seen: BoolArray,
    ) -> int:
        """Step until every row has finished; return the number of steps."""
        batch = rows  # rows still in the runner's batch, in its row order
        steps = 0
        while True:
            live = [j for j, row in enumerate(batch) if row.finish is None]
            all_live = len(live) == len(batch)
            chosen = self._choose(
                [batch[j] for j in live],
                logits if all_live else logits[live],
                seen if all_live else seen[live],
            )
            next_ids = np.full((len(batch), 1), self.pad_id, dtype=np.int64)
            for j, token in zip(live, chosen, strict=True):
                self._advance(batch[j], token)
                seen[j, token] = True
                next_ids[j, 0] = token
            steps += 1
            live = [j for j, row in enumerate(batch) if row.finish is None]
            if not live:
                return steps
            if runner.should_compact(len(live), len(batch)):
                batch, (mask, seen, next_ids) = _compact(runner, batch, live, mask, seen, next_ids)
            # The new token's position is the count of real tokens before it. Rows that
            # finished but still ride along (no compaction) get a masked pad column.
            step_positions = mask.sum(axis=1, keepdims=True)
            new_column = np.array(
                [[1 if row.finish is None else 0] for row in batch], dtype=np.int64
            )
            mask = np.concatenate([mask, new_column], axis=1)
            logits = runner.forward(next_ids, mask, step_positions)

    def _speculates(self) -> bool:
        return (
            self.config.speculate and self.ngrams is not None and self.config.max_draft_tokens > 0
        )

    def _drafts(self, batch: list[_Row]) -> list[list[int]]:
        """Drafted tokens per row of the batch (none for finished rows), within budget."""
        assert self.ngrams is not None
        room = min(self.config.max_draft_tokens, self.config.span_tokens // len(batch) - 1)
        drafts: list[list[int]] = []
        for row in batch:
            if row.finish is not None or room <= 0:
                drafts.append([])
                continue
            # Never past the row's own budget: the step would confirm tokens it cannot keep.
            count = min(room, row.max_tokens - len(row.tokens))
            # The chosen token was advanced when chosen: it is the last of ``row.tokens``.
            drafts.append(self.ngrams.draft(row.tokens[-self.ngrams.order :], count, self.stop_ids))
        return drafts

    def _decode_drafted(
        self,
        runner: SpanRunner,
        rows: list[_Row],
        logits: FloatArray,
        mask: IntArray,
        seen: BoolArray,
    ) -> int:
        """``_decode`` with drafted tokens: each step feeds every live row's chosen token
        plus its drafts, and keeps the drafts the model confirms (``speculate``)."""
        batch = rows
        # The first token of every row comes from the prefill's logits, as in ``_decode``.
        for j, token in enumerate(self._choose(rows, logits, seen)):
            self._advance(batch[j], token)
            seen[j, token] = True
        steps = 1
        while True:
            live = [j for j, row in enumerate(batch) if row.finish is None]
            if not live:
                return steps
            if runner.should_compact(len(live), len(batch)):
                batch, (mask, seen) = _compact(runner, batch, live, mask, seen)
            drafts = self._drafts(batch)
            span = 1 + max(len(d) for d in drafts)
            ids = np.full((len(batch), span), self.pad_id, dtype=np.int64)
            columns = np.zeros((len(batch), span), dtype=np.int64)
            for j, row in enumerate(batch):
                if row.finish is None:
                    # A live row's chosen token is its last: a stop token would have ended it.
                    ids[j, 0] = row.tokens[-1]
                    ids[j, 1 : 1 + len(drafts[j])] = drafts[j]
                    columns[j, : 1 + len(drafts[j])] = 1
            positions = mask.sum(axis=1, keepdims=True) + np.arange(span, dtype=np.int64)
            mask = np.concatenate([mask, columns], axis=1)
            span_logits = runner.forward_span(ids, mask, positions)
            steps += 1
            # Position by position: a row stays while the model confirms its drafts.
            checking = [j for j, row in enumerate(batch) if row.finish is None]
            width = mask.shape[1]
            for i in range(span):
                if not checking:
                    break
                index = np.asarray(checking, dtype=np.int64)
                picks = self._choose(
                    [batch[j] for j in checking], span_logits[index, i], seen[index]
                )
                still: list[int] = []
                for j, token in zip(checking, picks, strict=True):
                    row = batch[j]
                    self._advance(row, token)
                    seen[j, token] = True
                    draft = drafts[j]
                    if row.finish is None and i < len(draft) and draft[i] == token:
                        still.append(j)  # the drafted token at position i + 1 stands
                        continue
                    # Drafts after this position were fed but not chosen: mask them out.
                    mask[j, width - span + i + 1 :] = 0
                checking = still

    def _result(self, row: _Row, timing: GenerationTiming) -> GenerationResult:
        finish: FinishReason = row.finish or "length"
        return GenerationResult(
            text=self.tokenizer.decode(row.tokens),
            token_ids=tuple(row.tokens),
            num_new_tokens=len(row.tokens) + (1 if finish == "eos" else 0),
            prompt_tokens=row.prompt_len,
            finish_reason=finish,
            timing=timing,
        )

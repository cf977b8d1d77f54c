"""Run one forward step of the graph and keep its KV cache between steps.

Two runners share one interface so the decoding loop does not care where tensors live:

- ``HostRunner`` calls ``session.run`` with numpy arrays. On CPU that is already zero-copy
  enough, and dropping finished rows is a cheap numpy take, so it compacts eagerly.
- ``BoundRunner`` uses IO binding: presents stay on the device as ``OrtValue``s and are bound
  straight back as the next step's pasts, so the growing cache never crosses PCIe. Only the
  logits come back to the host for sampling. Dropping rows from a device cache needs a host
  round trip, so it compacts only once at least half the rows have finished; until then
  finished rows ride along on pad tokens, which costs a GPU almost nothing.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from workers.engine.signature import ModelSignature

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


class KvRunner(Protocol):
    """One decoding session's forward passes over a batch with a private KV cache."""

    def forward(
        self, input_ids: IntArray, attention_mask: IntArray, position_ids: IntArray
    ) -> FloatArray:
        """Run new tokens against the cache; return last-position logits [batch, vocab]."""
        ...

    def keep_rows(self, rows: IntArray) -> None:
        """Drop every batch row not listed in ``rows`` from the cache, in that order."""
        ...

    def should_compact(self, live: int, batch: int) -> bool:
        """Whether dropping finished rows now pays for itself."""
        ...


class SpanRunner(KvRunner, Protocol):
    """A runner that also takes several new tokens per row after the prefill (not
    ``InPlaceRunner``: its fused attention refuses that for more than one row)."""

    def forward_span(
        self, input_ids: IntArray, attention_mask: IntArray, position_ids: IntArray
    ) -> FloatArray:
        """Like ``forward``, with the logits of every new position: [batch, seq, vocab]
        (a step that checks drafted tokens, see ``workers.engine.speculate``)."""
        ...


def empty_pasts(signature: ModelSignature, batch: int) -> list[npt.NDArray[Any]]:
    """Zero-length pasts for the prefill, in the graph's KV dtype (fp32 or fp16)."""
    shape = (batch, signature.num_kv_heads, 0, signature.head_dim)
    return [np.zeros(shape, dtype=signature.kv_dtype) for _ in range(2 * signature.num_layers)]


def past_names(signature: ModelSignature) -> list[str]:
    """Past input names interleaved key/value per layer, matching ``output_names[1:]``."""
    names: list[str] = []
    for key, value in zip(signature.past_keys, signature.past_values, strict=True):
        names.extend((key, value))
    return names


_KEEP_LAST = np.array(1, dtype=np.int64)


def _keep(count: int) -> npt.NDArray[np.int64]:
    return _KEEP_LAST if count == 1 else np.array(count, dtype=np.int64)


def _small_inputs(
    signature: ModelSignature,
    ids: IntArray,
    mask: IntArray,
    positions: IntArray,
    keep: int = 1,
) -> dict[str, npt.NDArray[Any]]:
    feed: dict[str, npt.NDArray[Any]] = {signature.input_ids: ids.astype(signature.ids_dtype)}
    if signature.attention_mask is not None:
        feed[signature.attention_mask] = mask.astype(signature.mask_dtype)
    if signature.position_ids is not None:
        feed[signature.position_ids] = positions.astype(signature.position_dtype)
    if signature.logits_to_keep is not None:
        # Only the last ``keep`` positions are sampled from: a prefill skips the head for
        # the rest.
        feed[signature.logits_to_keep] = _keep(keep)
    return feed


def _last_logits(logits: npt.NDArray[Any]) -> FloatArray:
    # fp16 graphs return fp16 logits; sampling always works in fp32 (copy, never a view).
    return np.array(logits[:, -1, :], dtype=np.float32)


def _span_logits(logits: npt.NDArray[Any], seq: int) -> FloatArray:
    # A graph without logits_to_keep returns every position; the span is the last ``seq``.
    return np.array(logits[:, -seq:, :], dtype=np.float32)


class _Spans:
    """``forward`` and ``forward_span`` of a runner whose ``_run`` returns the graph's logits
    for the last ``keep`` positions (host and bound runners)."""

    def _run(
        self, input_ids: IntArray, attention_mask: IntArray, position_ids: IntArray, keep: int
    ) -> npt.NDArray[Any]:
        raise NotImplementedError

    def forward(
        self, input_ids: IntArray, attention_mask: IntArray, position_ids: IntArray
    ) -> FloatArray:
        return _last_logits(self._run(input_ids, attention_mask, position_ids, 1))

    def forward_span(
        self, input_ids: IntArray, attention_mask: IntArray, position_ids: IntArray
    ) -> FloatArray:
        seq = input_ids.shape[1]
        return _span_logits(self._run(input_ids, attention_mask, position_ids, seq), seq)


class HostRunner(_Spans):
    """``session.run`` with numpy pasts; for CPU sessions."""

    def __init__(self, session: Any, signature: ModelSignature, batch: int) -> None:
        self._session = session
        self._signature = signature
        self._output_names = list(signature.output_names)
        self._past_names = past_names(signature)
        self._pasts: list[npt.NDArray[Any]] = empty_pasts(signature, batch)

    def _run(
        self, input_ids: IntArray, attention_mask: IntArray, position_ids: IntArray, keep: int
    ) -> npt.NDArray[Any]:
        feed = _small_inputs(self._signature, input_ids, attention_mask, position_ids, keep)
        feed.update(zip(self._past_names, self._pasts, strict=True))
        outputs = self._session.run(self._output_names, feed)
        self._pasts = list(outputs[1:])
        logits: npt.NDArray[Any] = outputs[0]
        return logits

    def keep_rows(self, rows: IntArray) -> None:
        self._pasts = [past[rows] for past in self._pasts]

    @property
    def caches(self) -> list[npt.NDArray[Any]]:
        """The cache tensors, interleaved key/value per layer (for a grouped prefill)."""
        return self._pasts

    def cache_capacity(self, width: int) -> int:
        """Positions a cache loaded after a prefill of ``width`` should hold: exactly it."""
        return width

    def load_caches(self, caches: list[npt.NDArray[Any]], filled: int | None = None) -> None:
        """Replace the cache, e.g. with the joined caches of a grouped prefill."""
        if len(caches) != len(self._pasts):
            raise ValueError(f"{len(caches)} cache tensors for {len(self._pasts)} inputs")
        if filled is not None and any(cache.shape[2] != filled for cache in caches):
            raise ValueError(f"caches must hold exactly {filled} positions here")
        self._pasts = list(caches)

    def should_compact(self, live: int, batch: int) -> bool:
        return live < batch


class InPlaceRunner:
    """IO binding on the CPU with each past bound as its own present (``export.inplace``).

    The cache of each layer is one buffer ``[batch, kv_heads, capacity, head_dim]``; the
    graph's fused attention reads the first ``mask width - 1`` positions and writes the new
    key and value right after them, so a step copies no cache at all (``HostRunner``'s
    graph concatenates, copying every layer's cache once per step). The attention mask
    still says which positions are real, as in every other runner.

    The first ``forward`` (the prefill, zero-length pasts) runs like ``HostRunner``; its
    presents, or caches given to ``load_caches``, are copied once into buffers with
    ``room`` more positions. A step past the capacity grows the buffers (one copy).
    Dropping finished rows copies the cache too, so it waits until half the rows have
    finished: until then they ride along on masked pad tokens. (Timed on 64 held-out
    prompts at batch 16, best of three: 2.65-2.71 s waiting for half, 2.98 s for a
    quarter, 3.23 s compacting on every finished row, 2.98 s never.)
    """

    def __init__(
        self,
        session: Any,
        signature: ModelSignature,
        batch: int,
        room: int,
        compact_below: float = 0.5,
    ) -> None:
        self._session = session
        self._signature = signature
        self._room = max(1, room)
        self._compact_below = compact_below
        self._past_names = past_names(signature)
        self._present_names = list(signature.output_names[1:])
        self._prefill: HostRunner | None = HostRunner(session, signature, batch)
        self._buffers: list[npt.NDArray[Any]] = []
        self._binding: Any = None
        self._keep_last = _KEEP_LAST.copy()  # bound once; must outlive the binding

    @property
    def capacity(self) -> int:
        """Positions each buffer holds (0 before the prefill)."""
        return self._buffers[0].shape[2] if self._buffers else 0

    def forward(
        self, input_ids: IntArray, attention_mask: IntArray, position_ids: IntArray
    ) -> FloatArray:
        if self._prefill is not None:
            logits = self._prefill.forward(input_ids, attention_mask, position_ids)
            self.load_caches(self._prefill.caches)
            return logits
        filled = attention_mask.shape[1] - input_ids.shape[1]
        if attention_mask.shape[1] > self.capacity:
            self._rebind(self._buffers, filled, attention_mask.shape[1] + self._room)
        binding = self._binding
        for name, array in _small_inputs(
            self._signature, input_ids, attention_mask, position_ids
        ).items():
            if name != self._signature.logits_to_keep:  # bound once, with the buffers
                binding.bind_cpu_input(name, array)
        self._session.run_with_iobinding(binding)
        return _last_logits(binding.get_outputs()[0].numpy())

    def cache_capacity(self, width: int) -> int:
        """Positions a cache loaded after a prefill of ``width`` should hold: with room."""
        return width + self._room

    def load_caches(self, caches: list[npt.NDArray[Any]], filled: int | None = None) -> None:
        """Take prefilled caches ``[batch, heads, capacity, dim]`` whose first ``filled``
        positions are written: as the buffers when they have room (``cache_capacity``),
        else copied into fresh ones. ``filled`` None: the whole width is written."""
        if len(caches) != len(self._past_names):
            raise ValueError(f"{len(caches)} cache tensors for {len(self._past_names)} inputs")
        width = caches[0].shape[2]
        filled = width if filled is None else filled
        self._prefill = None  # from now on the buffers are the cache
        if width > filled and all(c.flags.c_contiguous and c.flags.writeable for c in caches):
            self._buffers = list(caches)
            self._bind_buffers()
        else:
            self._rebind(caches, filled, filled + self._room)

    def keep_rows(self, rows: IntArray) -> None:
        # Fancy indexing copies only the kept rows, into new contiguous buffers.
        self._buffers = [buffer[rows] for buffer in self._buffers]
        self._bind_buffers()

    def should_compact(self, live: int, batch: int) -> bool:
        return live < batch and live <= self._compact_below * batch

    def _rebind(self, caches: list[npt.NDArray[Any]], filled: int, capacity: int) -> None:
        """New buffers of ``capacity`` positions holding the first ``filled`` of ``caches``."""
        buffers = []
        for cache in caches:
            shape = (cache.shape[0], cache.shape[1], capacity, cache.shape[3])
            # Zeros, not empty: positions past the fill are never read, but stay finite.
            buffer = np.zeros(shape, dtype=cache.dtype)
            buffer[:, :, :filled] = cache[:, :, :filled]
            buffers.append(buffer)
        self._buffers = buffers
        self._bind_buffers()

    def _bind_buffers(self) -> None:
        binding = self._session.io_binding()
        # Logits first, so they are ``get_outputs()[0]``; small ([batch, 1, vocab]), so
        # onnxruntime allocates them.
        binding.bind_output(self._signature.logits, "cpu")
        for past, present, buffer in zip(
            self._past_names, self._present_names, self._buffers, strict=True
        ):
            # One OrtValue over the numpy buffer (no copy) as both input and output: the
            # kernel sees past and present share memory and appends in place.
            value = ort.OrtValue.ortvalue_from_numpy(buffer)
            binding.bind_ortvalue_input(past, value)
            binding.bind_ortvalue_output(present, value)
        if self._signature.logits_to_keep is not None:
            binding.bind_cpu_input(self._signature.logits_to_keep, self._keep_last)
        self._binding = binding


class BoundRunner(_Spans):
    """IO binding with pasts kept on ``device`` (``"cuda"``; ``"cpu"`` exercises it in tests)."""

    def __init__(
        self,
        session: Any,
        signature: ModelSignature,
        batch: int,
        device: str = "cuda",
        device_id: int = 0,
        compact_below: float = 0.5,
    ) -> None:
        self._session = session
        self._signature = signature
        self._device = device
        self._device_id = device_id
        self._compact_below = compact_below
        self._past_names = past_names(signature)
        self._present_names = list(signature.output_names[1:])
        # Host arrays for the prefill (zero-length, nothing to copy), OrtValues afterwards.
        self._pasts: list[Any] = list(empty_pasts(signature, batch))

    def _run(
        self, input_ids: IntArray, attention_mask: IntArray, position_ids: IntArray, keep: int
    ) -> npt.NDArray[Any]:
        binding = self._session.io_binding()
        for name, array in _small_inputs(
            self._signature, input_ids, attention_mask, position_ids, keep
        ).items():
            binding.bind_cpu_input(name, array)
        for name, past in zip(self._past_names, self._pasts, strict=True):
            if isinstance(past, np.ndarray):
                binding.bind_cpu_input(name, past)
            else:
                binding.bind_ortvalue_input(name, past)
        binding.bind_output(self._signature.logits, "cpu")
        for name in self._present_names:
            # Let onnxruntime allocate presents on the device; we get OrtValues back.
            binding.bind_output(name, self._device, self._device_id)
        self._session.run_with_iobinding(binding)
        outputs = binding.get_outputs()
        self._pasts = list(outputs[1:])
        logits: npt.NDArray[Any] = outputs[0].numpy()
        return logits

    def keep_rows(self, rows: IntArray) -> None:
        kept: list[Any] = []
        for past in self._pasts:
            host = past if isinstance(past, np.ndarray) else past.numpy()
            sliced = np.ascontiguousarray(host[rows])
            if self._device == "cpu":
                # A CPU OrtValue would alias the numpy buffer; binding the array is simpler.
                kept.append(sliced)
            else:
                kept.append(ort.OrtValue.ortvalue_from_numpy(sliced, self._device, self._device_id))
        self._pasts = kept

    def should_compact(self, live: int, batch: int) -> bool:
        return live < batch and live <= self._compact_below * batch

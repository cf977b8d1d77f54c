"""A thin wrapper over a Hugging Face ``tokenizers`` file.

Two rules matter here. Encoding adds no special tokens: the prompt string already carries
``<|bos|>`` and its control tokens, and a post-processor adding a second BOS would shift every
position the model was trained on. Decoding skips special tokens, so control tokens the model
might emit never reach a customer.

``token_bytes`` gives the exact UTF-8 bytes each token contributes to decoded text. The
banned-term mask needs bytes, not strings: a byte-level BPE often splits one Chinese character
over two tokens, and decoding such a token alone yields U+FFFD, which would hide "最" from
any string-based check.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from tokenizers import Tokenizer

from workers.engine.errors import ModelLoadError

_BYTE_FALLBACK = re.compile(r"^<0x([0-9A-Fa-f]{2})>$")


@cache
def _byte_decoder() -> dict[str, int]:
    """GPT-2's printable-unicode alphabet for bytes, inverted (what ByteLevel decoding does)."""
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    chars = list(printable)
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            chars.append(256 + extra)
            extra += 1
    return {chr(char): byte for byte, char in zip(printable, chars, strict=True)}


def _component_types(decoder: Any) -> set[str]:
    """Decoder type names, looking inside a ``Sequence`` decoder."""
    if not isinstance(decoder, dict):
        return set()
    types = {str(decoder.get("type"))}
    for inner in decoder.get("decoders") or ():
        types |= _component_types(inner)
    return types


class TextTokenizer:
    """Encode prompts and decode generated ids the way the model was trained."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        self._tok = tokenizer
        self._token_bytes: tuple[bytes, ...] | None = None

    @classmethod
    def from_file(cls, path: str | Path) -> TextTokenizer:
        try:
            return cls(Tokenizer.from_file(str(path)))
        except Exception as exc:  # tokenizers raises a bare Exception on bad files
            raise ModelLoadError(f"cannot load tokenizer {path}: {exc}") from exc

    @property
    def vocab_size(self) -> int:
        return int(self._tok.get_vocab_size(with_added_tokens=True))

    def token_to_id(self, token: str) -> int | None:
        found = self._tok.token_to_id(token)
        return None if found is None else int(found)

    def id_to_token(self, token_id: int) -> str | None:
        token = self._tok.id_to_token(token_id)
        return None if token is None else str(token)

    def encode(self, text: str) -> list[int]:
        """Ids for ``text``; only the special tokens written in it, none added."""
        return list(self._tok.encode(text, add_special_tokens=False).ids)

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        encodings = self._tok.encode_batch(list(texts), add_special_tokens=False)
        return [list(encoding.ids) for encoding in encodings]

    def decode(self, ids: Sequence[int]) -> str:
        """Customer-facing text: special tokens dropped."""
        return str(self._tok.decode(list(ids), skip_special_tokens=True))

    def special_ids(self) -> frozenset[int]:
        """Ids of added tokens flagged special (dropped by ``decode``)."""
        spec = json.loads(self._tok.to_str())
        return frozenset(
            int(added["id"]) for added in spec.get("added_tokens") or () if added.get("special")
        )

    def token_bytes(self) -> tuple[bytes, ...]:
        """UTF-8 bytes each id adds to ``decode`` output, for the whole vocab (cached).

        Exact for byte-level BPE (GPT-2, Llama-3, Qwen) and for byte-fallback tokens. For
        other decoders (Metaspace, WordPiece) each token is decoded after a fixed anchor
        token so word-initial spaces survive; that is a close approximation, and the
        post-generation guard re-checks the final text anyway.
        """
        if self._token_bytes is None:
            self._token_bytes = tuple(self._compute_token_bytes())
        return self._token_bytes

    def _compute_token_bytes(self) -> list[bytes]:
        spec = json.loads(self._tok.to_str())
        added = {int(a["id"]): a for a in spec.get("added_tokens") or ()}
        decoder_types = _component_types(spec.get("decoder"))
        byte_level = "ByteLevel" in decoder_types
        byte_fallback = "ByteFallback" in decoder_types
        table = _byte_decoder()
        anchor = None if byte_level else self._anchor_id()
        out: list[bytes] = []
        for token_id in range(self.vocab_size):
            if token_id in added:
                entry = added[token_id]
                out.append(b"" if entry.get("special") else str(entry["content"]).encode())
                continue
            token = self._tok.id_to_token(token_id)
            if token is None:
                out.append(b"")
            elif byte_level and all(char in table for char in token):
                out.append(bytes(table[char] for char in token))
            elif byte_fallback and (match := _BYTE_FALLBACK.match(token)):
                out.append(bytes([int(match.group(1), 16)]))
            else:
                out.append(self._contextual_bytes(token_id, anchor))
        return out

    def _anchor_id(self) -> int | None:
        """A token decoding to one ASCII letter, used as left context in ``_contextual_bytes``."""
        for letter in "aeoxAEOX":
            for candidate in (letter, f"▁{letter}", f"Ġ{letter}"):
                token_id = self._tok.token_to_id(candidate)
                if token_id is not None:
                    return int(token_id)
        return None

    def _contextual_bytes(self, token_id: int, anchor: int | None) -> bytes:
        if anchor is not None:
            prefix: str = self._tok.decode([anchor], skip_special_tokens=True)
            both: str = self._tok.decode([anchor, token_id], skip_special_tokens=True)
            if both.startswith(prefix):
                return both[len(prefix) :].encode()
        alone: str = self._tok.decode([token_id], skip_special_tokens=True)
        return alone.encode()

"""Read a model folder's ``manifest.json`` defensively.

The exporter owns the manifest's full shape and it will grow (training recipe, eval figures).
The engine reads only the few fields it needs, tolerates extra ones, and turns a missing or
malformed required field into one clear ``ModelLoadError`` instead of a ``KeyError`` deep
inside the decoding loop.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workers.engine.errors import ModelLoadError

MANIFEST_FILE = "manifest.json"

# Different exporters name the context length differently (Llama, GPT-2, ours).
_CONTEXT_KEYS = ("max_position_embeddings", "n_positions", "max_seq_len", "context_length")


@dataclass(frozen=True, slots=True)
class SpecialToken:
    """One special token as the manifest names it; ``id`` is None when only text was given."""

    token: str
    id: int | None


@dataclass(frozen=True, slots=True)
class Manifest:
    """The fields of ``manifest.json`` the engine uses; ``raw`` keeps the rest for callers."""

    name: str
    version: str
    num_layers: int | None
    num_kv_heads: int | None
    head_dim: int | None
    vocab_size: int | None
    max_positions: int | None
    special_tokens: Mapping[str, SpecialToken]
    file_sha256: Mapping[str, str]
    raw: Mapping[str, Any] = field(repr=False)
    # A second graph of the same weights with fused, in-place attention (export.inplace),
    # for CPU sessions; None when the folder has none.
    inplace_graph: str | None = None
    # The n-gram table that drafts tokens for speculative steps (workers.engine.speculate);
    # None when the folder has none.
    ngram_table: str | None = None
    # The training copy's neighbouring word pairs for the fluency guard
    # (workers.guards.fluency); None when the folder has none.
    word_pairs: str | None = None


def _optional_int(section: Mapping[str, Any], *keys: str) -> int | None:
    for key in keys:
        value = section.get(key)
        # bool is an int subclass; a flag is never a size.
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def _special_tokens(raw: Any) -> dict[str, SpecialToken]:
    if not isinstance(raw, Mapping):
        return {}
    tokens: dict[str, SpecialToken] = {}
    for role, entry in raw.items():
        # Accept {"token": "<|eos|>", "id": 2}, a bare "<|eos|>" or a bare id.
        if isinstance(entry, Mapping) and isinstance(entry.get("token"), str):
            token_id = entry.get("id")
            valid_id = isinstance(token_id, int) and not isinstance(token_id, bool)
            tokens[str(role)] = SpecialToken(entry["token"], token_id if valid_id else None)
        elif isinstance(entry, str):
            tokens[str(role)] = SpecialToken(entry, None)
        elif isinstance(entry, int) and not isinstance(entry, bool):
            tokens[str(role)] = SpecialToken("", entry)
    return tokens


def _file_hashes(raw: Any) -> dict[str, str]:
    if not isinstance(raw, Mapping):
        return {}
    hashes: dict[str, str] = {}
    for name, entry in raw.items():
        digest = entry.get("sha256") if isinstance(entry, Mapping) else entry
        if isinstance(digest, str) and digest:
            hashes[str(name)] = digest.lower()
    return hashes


def parse_manifest(data: Mapping[str, Any], source: str = MANIFEST_FILE) -> Manifest:
    """Build a ``Manifest`` from decoded JSON; raise ``ModelLoadError`` on a missing field."""
    name = data.get("name")
    version = data.get("version")
    if not isinstance(name, str) or not name:
        raise ModelLoadError(f"{source}: 'name' must be a non-empty string")
    if not isinstance(version, str | int) or isinstance(version, bool) or version == "":
        raise ModelLoadError(f"{source}: 'version' must be a non-empty string")
    arch = data.get("architecture")
    arch = arch if isinstance(arch, Mapping) else {}
    return Manifest(
        name=name,
        version=str(version),
        # Exporters spell these several ways (ours, HF config names, export.arch field names).
        num_layers=_optional_int(arch, "num_layers", "num_hidden_layers", "n_layer", "layers"),
        num_kv_heads=_optional_int(arch, "num_kv_heads", "num_key_value_heads", "kv_heads"),
        head_dim=_optional_int(arch, "head_dim"),
        vocab_size=_optional_int(arch, "vocab_size"),
        max_positions=_optional_int(arch, *_CONTEXT_KEYS),
        special_tokens=_special_tokens(data.get("special_tokens")),
        # The exporter writes a top-level {"file": sha256} map; older folders nest it in "files".
        file_sha256=_file_hashes(data.get("sha256") or data.get("files")),
        raw=dict(data),
        inplace_graph=_folder_file(data.get("files"), "onnx_inplace", ".onnx"),
        ngram_table=_folder_file(data.get("files"), "ngrams", ".npz"),
        word_pairs=_folder_file(data.get("files"), "word_pairs", ".json"),
    )


def _folder_file(files: Any, role: str, suffix: str) -> str | None:
    """``files.<role>``: a plain file name inside the folder, never a path out of it."""
    name = files.get(role) if isinstance(files, Mapping) else None
    if name is None:
        return None
    if not isinstance(name, str) or not name.endswith(suffix) or "/" in name or "\\" in name:
        raise ModelLoadError(f"files.{role} must be a {suffix} file name, got {name!r}")
    return name


def load_manifest(folder: Path) -> Manifest:
    """Read and parse ``folder/manifest.json``."""
    path = folder / MANIFEST_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelLoadError(f"model folder {folder} has no {MANIFEST_FILE}") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, Mapping):
        raise ModelLoadError(f"{path}: top level must be a JSON object")
    return parse_manifest(data, str(path))

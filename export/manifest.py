"""manifest.json for a model folder: what the runtime needs, how it was made, and hashes.

No torch here: the runtime side (and the no-torch test) can verify a folder with this module.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
SCHEMA = "copyflow.generator-manifest/1"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def hash_folder(folder: Path) -> dict[str, str]:
    """sha256 of every file in ``folder`` (recursively) except the manifest itself."""
    return {
        path.relative_to(folder).as_posix(): sha256_file(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != MANIFEST
    }


def write_manifest(folder: Path, body: dict[str, Any]) -> dict[str, Any]:
    """Write ``body`` plus the folder's hashes as manifest.json; return what was written."""
    manifest = {"schema": SCHEMA, **body, "sha256": hash_folder(folder)}
    text = json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=False)
    (folder / MANIFEST).write_text(text + "\n", encoding="utf-8")
    return manifest


def list_file(
    folder: Path, manifest: dict[str, Any], role: str, name: str, command: str, **sections: Any
) -> dict[str, Any]:
    """Write ``manifest`` again with ``name`` listed as ``files.<role>``, ``sections`` set
    and ``command`` recorded once in ``created_with``; the folder's hashes are taken anew."""
    body = {k: v for k, v in manifest.items() if k not in ("schema", "sha256")}
    body["files"] = {**body.get("files", {}), role: name}
    body.update(sections)
    if command not in body.get("created_with", []):
        body["created_with"] = [*body.get("created_with", []), command]
    return write_manifest(folder, body)


def read_manifest(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    return data


def verify_hashes(folder: Path) -> list[str]:
    """Problems found (empty when every listed file exists, matches, and none is unlisted)."""
    expected: dict[str, str] = read_manifest(folder).get("sha256", {})
    actual = hash_folder(folder)
    problems = [f"missing: {name}" for name in expected if name not in actual]
    problems += [f"unlisted: {name}" for name in actual if name not in expected]
    problems += [
        f"mismatch: {name}"
        for name, digest in expected.items()
        if name in actual and actual[name] != digest
    ]
    return problems

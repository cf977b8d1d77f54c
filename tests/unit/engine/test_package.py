"""The engine package stays light: no torch, no onnx, no side effects on import."""

from __future__ import annotations

import subprocess
import sys


def test_import_pulls_in_no_training_stack() -> None:
    """Importing workers.engine loads neither torch nor onnx (export-only dependencies)."""
    code = (
        "import sys, workers.engine; "
        "print(sorted(m for m in ('torch', 'onnx', 'transformers') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "[]"

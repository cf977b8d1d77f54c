"""bench/gpu_check.py is run only when a GPU is lent, for minutes: it must not break in
between. Here it runs on the CPU provider (onnxruntime falls back), with tiny sizes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.engine.test_real_model import REAL_MODEL

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.slow
@pytest.mark.skipif(
    not (REAL_MODEL / "manifest.json").is_file(), reason=f"no model folder at {REAL_MODEL}"
)
def test_the_gpu_check_runs_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "gpu.json"
    subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "gpu_check.py"),
            "--model",
            str(REAL_MODEL),
            "--prompts",
            "2",
            "--new-tokens",
            "3",
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    result = json.loads(out.read_text())
    assert "fp16_error" not in result and "speculative_error" not in result, result
    assert result["greedy_rows_identical_cuda_vs_cpu"] == "2/2"
    assert result["speculative_rows_identical_to_cuda"] == "2/2"
    assert set(result["cuda_fp32"]) == {"1", "8", "16", "32", "64"}

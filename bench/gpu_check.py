"""A short, prepared GPU check for the engine (run on a machine with onnxruntime-gpu).

Checks: the CUDA execution provider is chosen by itself; IO binding keeps the KV cache on the
device; greedy outputs agree with the CPU provider; tokens/s at batch 1..64 on CUDA against
the CPU provider in the same run; and an fp16 conversion of the model on CUDA.
Writes a JSON summary to the path given by --out.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _requests(prompts: list[str], new_tokens: int) -> list:
    from workers.engine import GenerationRequest

    return [GenerationRequest(p, seed=i, max_new_tokens=new_tokens) for i, p in enumerate(prompts)]


def _speed(engine, prompts: list[str], batch: int, new_tokens: int) -> dict:
    reqs = _requests(prompts, new_tokens)
    engine.generate(reqs[:batch])
    tokens = 0
    started = time.perf_counter()
    for start in range(0, len(reqs), batch):
        tokens += sum(r.num_new_tokens for r in engine.generate(reqs[start : start + batch]))
    elapsed = time.perf_counter() - started
    return {
        "tokens_per_s": round(tokens / elapsed, 1),
        "copies_per_s": round(len(reqs) / elapsed, 2),
    }


def fp16_folder(src: Path, dst: Path) -> Path:
    """model.onnx converted to float16 (inputs/outputs too), with a fresh manifest hash."""
    import hashlib

    import onnx
    from onnxruntime.transformers.float16 import convert_float_to_float16

    dst.mkdir(parents=True, exist_ok=True)
    model = convert_float_to_float16(onnx.load(str(src / "model.onnx")), keep_io_types=False)
    onnx.save(model, str(dst / "model.onnx"))
    for name in ("tokenizer.json", "config.json", "ngrams.npz", "word_pairs.json"):
        if (src / name).exists():
            shutil.copy(src / name, dst / name)
    manifest = json.loads((src / "manifest.json").read_text())
    digest = hashlib.sha256((dst / "model.onnx").read_bytes()).hexdigest()
    # The in-place twin links model.onnx's fp32 bytes; CUDA never runs it: leave it out.
    inplace = manifest.get("files", {}).pop("onnx_inplace", None)
    if isinstance(manifest.get("sha256"), dict):
        manifest["sha256"]["model.onnx"] = digest
        manifest["sha256"].pop(inplace, None)
    else:
        manifest["files"]["model.onnx"]["sha256"] = digest
    (dst / "manifest.json").write_text(json.dumps(manifest))
    return dst


def main() -> int:
    import onnxruntime as ort

    from export.corpus import eval_examples
    from workers.engine import GeneratorConfig, OnnxGenerator, RuntimeOptions

    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, default=REPO / "models" / "copyflow-small-v1")
    parser.add_argument("--prompts", type=int, default=128)
    parser.add_argument("--new-tokens", type=int, default=48)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if hasattr(ort, "preload_dlls"):
        # CUDA and cuDNN from the nvidia-* pip packages, when that is how they are installed.
        ort.preload_dlls()
    result: dict = {"ort": ort.__version__, "available": ort.get_available_providers()}
    prompts = [e.prompt for e in eval_examples(args.prompts)]
    gpu = OnnxGenerator.from_folder(args.model, RuntimeOptions(allow_cuda=True))
    cpu = OnnxGenerator.from_folder(args.model, RuntimeOptions(allow_cuda=False))
    result["providers_chosen"] = list(gpu.providers)
    result["io_binding"] = type(gpu._runner(1, 1)).__name__  # the check is about this runner
    print("providers:", gpu.providers, "runner:", result["io_binding"], flush=True)

    sample = _requests(prompts[:32], args.new_tokens)
    a = [r.token_ids for r in gpu.generate(sample)]
    b = [r.token_ids for r in cpu.generate(sample)]
    same = sum(x == y for x, y in zip(a, b, strict=True))
    result["greedy_rows_identical_cuda_vs_cpu"] = f"{same}/{len(a)}"
    print("greedy identical:", result["greedy_rows_identical_cuda_vs_cpu"], flush=True)

    result["cuda_fp32"] = {b: _speed(gpu, prompts, b, args.new_tokens) for b in (1, 8, 16, 32, 64)}
    print("cuda fp32:", result["cuda_fp32"], flush=True)
    try:
        # Speculative steps (n-gram drafts): on a GPU a step is latency, not arithmetic, so
        # confirming several tokens per step should pay at every batch size.
        spec = OnnxGenerator.from_folder(
            args.model, RuntimeOptions(allow_cuda=True), GeneratorConfig(speculate=True)
        )
        d = [r.token_ids for r in spec.generate(sample)]
        result["speculative_rows_identical_to_cuda"] = (
            f"{sum(x == y for x, y in zip(a, d, strict=True))}/{len(a)}"
        )
        result["cuda_speculative"] = {
            b: _speed(spec, prompts, b, args.new_tokens) for b in (1, 16, 64)
        }
        print("cuda speculative:", result["cuda_speculative"], flush=True)
    except Exception as exc:  # noqa: BLE001 - record, do not lose the other figures
        result["speculative_error"] = f"{type(exc).__name__}: {exc}"
    result["cpu_same_machine"] = {b: _speed(cpu, prompts[:32], b, args.new_tokens) for b in (1, 16)}
    print("cpu:", result["cpu_same_machine"], flush=True)
    try:
        half = OnnxGenerator.from_folder(
            fp16_folder(args.model, Path("/tmp/fp16")), RuntimeOptions(allow_cuda=True)
        )
        c = [r.token_ids for r in half.generate(sample)]
        result["fp16_greedy_rows_identical_to_fp32"] = (
            f"{sum(x == y for x, y in zip(a, c, strict=True))}/{len(a)}"
        )
        result["cuda_fp16"] = {b: _speed(half, prompts, b, args.new_tokens) for b in (1, 16, 64)}
        print(
            "cuda fp16:",
            result["cuda_fp16"],
            result["fp16_greedy_rows_identical_to_fp32"],
            flush=True,
        )
    except Exception as exc:  # noqa: BLE001 - record, do not lose the other figures
        result["fp16_error"] = f"{type(exc).__name__}: {exc}"
    args.out.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

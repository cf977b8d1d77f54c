"""Load a model folder into a verified, tuned onnxruntime session.

Loading is the one place where a broken deployment can be caught before any text is written,
so it is strict: every file the manifest lists must exist and hash to the listed sha256, and
``model.onnx`` must be listed. ``model_sha256`` is exposed so each output record can say
exactly which weights wrote it (replays compare it).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import onnxruntime as ort
import psutil

from workers.engine.errors import ModelIntegrityError, ModelLoadError
from workers.engine.manifest import Manifest, load_manifest
from workers.engine.signature import ModelSignature, read_signature

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"

_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class RuntimeOptions:
    """How to run the model; built from the worker's settings, never read from the env here."""

    allow_cuda: bool = True
    cuda_device_id: int = 0
    # None means one thread per physical core: decoding is memory-bound, and hyper-threads
    # sharing a core mostly fight over the same caches.
    intra_op_num_threads: int | None = None
    # Spinning keeps threads hot between the many small decode steps (faster) but burns a
    # core while idle; a worker sharing a small machine with its Kafka client may turn it off.
    allow_spinning: bool = True
    verify_sha256: bool = True
    # Use the folder's in-place graph (manifest ``files.onnx_inplace``) on a CPU session:
    # the same weights and function, with the KV cache written in place (export.inplace).
    inplace_graph: bool = True


@dataclass(frozen=True, slots=True)
class LoadedModel:
    """A verified model folder and its session."""

    path: Path
    manifest: Manifest
    session: Any  # onnxruntime.InferenceSession (untyped library)
    signature: ModelSignature
    model_sha256: str
    providers: tuple[str, ...]
    # The graph file the session runs: model.onnx, or the in-place twin on a CPU.
    graph_file: str = MODEL_FILE

    @property
    def inplace(self) -> bool:
        """Whether the session runs the in-place graph (``runner.InPlaceRunner`` applies)."""
        return self.graph_file != MODEL_FILE

    @property
    def ngram_file(self) -> str | None:
        """The folder's n-gram table for drafted tokens, when the manifest lists one (and,
        verifying, hashes it: ``verify_files`` checked every listed file)."""
        name = self.manifest.ngram_table
        if name is None or name not in self.manifest.file_sha256:
            return None
        return name

    @property
    def word_pairs_file(self) -> str | None:
        """The folder's table for the fluency guard, when the manifest lists and hashes one."""
        name = self.manifest.word_pairs
        if name is None or name not in self.manifest.file_sha256:
            return None
        return name

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def version(self) -> str:
        return self.manifest.version

    @property
    def on_cuda(self) -> bool:
        return bool(self.providers) and self.providers[0] == CUDA


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks so a multi-GB model never sits in memory twice."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify_files(folder: Path, manifest: Manifest) -> dict[str, str]:
    """Check every file the manifest lists; return name -> actual sha256."""
    if MODEL_FILE not in manifest.file_sha256:
        raise ModelIntegrityError(f"{folder}/manifest.json lists no sha256 for {MODEL_FILE}")
    actual: dict[str, str] = {}
    for name, expected in sorted(manifest.file_sha256.items()):
        path = folder / name
        if not path.is_file():
            raise ModelLoadError(f"{path} is listed in the manifest but missing")
        digest = sha256_file(path)
        if digest != expected:
            raise ModelIntegrityError(f"{path}: sha256 {digest} does not match manifest {expected}")
        actual[name] = digest
    return actual


def physical_cores() -> int:
    """Physical cores this process may use (cgroup/affinity aware where the OS says)."""
    physical = psutil.cpu_count(logical=False)
    logical = os.cpu_count() or 1
    allowed = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else logical
    # With an affinity mask smaller than the machine, count the allowed share of cores.
    cores = physical or logical
    if allowed < logical:
        cores = max(1, cores * allowed // logical)
    return max(1, cores)


def choose_providers(options: RuntimeOptions, available: list[str]) -> list[Any]:
    """CUDA first when this onnxruntime build has it and the settings allow it, else CPU."""
    if options.allow_cuda and CUDA in available:
        return [(CUDA, {"device_id": str(options.cuda_device_id)}), CPU]
    return [CPU]


def session_options(options: RuntimeOptions) -> Any:
    """CPU-tuned session options; harmless on CUDA, where most nodes leave the CPU anyway."""
    so = ort.SessionOptions()
    so.intra_op_num_threads = options.intra_op_num_threads or physical_cores()
    # One request stream and a sequential graph: parallel node execution only adds contention.
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.add_session_config_entry(
        "session.intra_op.allow_spinning", "1" if options.allow_spinning else "0"
    )
    return so


def load_model(folder: str | Path, options: RuntimeOptions | None = None) -> LoadedModel:
    """Verify the folder and open an inference session on the best allowed provider."""
    options = options or RuntimeOptions()
    path = Path(folder)
    if not path.is_dir():
        raise ModelLoadError(f"model folder {path} does not exist")
    manifest = load_manifest(path)
    model_path = path / MODEL_FILE
    if not model_path.is_file():
        raise ModelLoadError(f"{model_path} is missing")
    if options.verify_sha256:
        model_sha = verify_files(path, manifest)[MODEL_FILE]
    else:
        model_sha = sha256_file(model_path)
    providers = choose_providers(options, list(ort.get_available_providers()))
    graph_file = MODEL_FILE
    # The in-place graph's fused attention is a CPU contrib kernel (fp32); CUDA keeps
    # model.onnx. Its hash was checked with the others: it must be listed to be used.
    if (
        options.inplace_graph
        and manifest.inplace_graph is not None
        and providers == [CPU]
        and (manifest.inplace_graph in manifest.file_sha256 or not options.verify_sha256)
    ):
        graph_file = manifest.inplace_graph
    graph_path = path / graph_file
    try:
        session = ort.InferenceSession(
            str(graph_path), sess_options=session_options(options), providers=providers
        )
    except Exception as exc:  # onnxruntime raises its own untyped errors
        raise ModelLoadError(f"onnxruntime cannot load {graph_path}: {exc}") from exc
    signature = read_signature(session.get_inputs(), session.get_outputs(), manifest)
    return LoadedModel(
        path=path,
        manifest=manifest,
        session=session,
        signature=signature,
        # The weights' identity (output records carry it); both graphs share these weights.
        model_sha256=model_sha,
        # What the session really uses: a CUDA build without a usable driver falls back.
        providers=tuple(session.get_providers()),
        graph_file=graph_file,
    )

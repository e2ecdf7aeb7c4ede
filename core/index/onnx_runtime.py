"""ONNX Runtime sessions for the embedders (index and guard): one place sets threads and memory.

onnxruntime is imported here, at first use, never when `core` is imported.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import onnxruntime


def cpu_count() -> int:
    """Cores this process may run on (the affinity mask, not the machine's total)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def intra_op_threads(requested: int | None = None) -> int:
    """`requested`, else ENCLAVE_ONNX_THREADS, else every core this process may use."""
    if requested:
        return max(1, requested)
    env = os.environ.get("ENCLAVE_ONNX_THREADS", "")
    return max(1, int(env)) if env.isdigit() else cpu_count()


def session(
    path: str | os.PathLike[str], threads: int | None = None
) -> onnxruntime.InferenceSession:
    """A CPU inference session: intra-op threads from the CPU count, one inter-op thread
    (the graphs we run are a chain; parallel branches would only fight for the cores),
    all graph optimizations."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = intra_op_threads(threads)
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # warnings about unused initializers are noise here
    return ort.InferenceSession(str(Path(path)), options, providers=["CPUExecutionProvider"])


def shrinking_run_options() -> onnxruntime.RunOptions:
    """Run options that hand the CPU arena's growth back after each run.

    The arena keeps the largest buffers any batch shape needed; with batches of every
    length up to the model's limit, a MiniLM embedder grew to 1.1 GB RSS over 40 batches
    of 32 (measured), 216 MB with shrinkage, at the same speed within noise (188.8 vs
    183.2 s on a loaded box). An ingest's memory must not depend on what it has seen.
    """
    import onnxruntime as ort

    options = ort.RunOptions()
    options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
    return options

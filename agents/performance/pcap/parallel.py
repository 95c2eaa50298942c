"""Several capture files of one question analysed on all cores.

With the compiled kernel each file gets a thread: the kernel walks the records with the GIL
released, so threads run on every core, sharing nothing but the process (no start-up, no
pickling). The pure-Python path holds the GIL, so there each file goes to a worker process
that reads it itself and sends back its `AnalysisResult` (results pickle: counts, flows and
sketches, never the packets); workers are spawned, not forked, so a caller with threads of its
own (the agent's event loop) is safe, and they stay quiet about the missing kernel, which this
process has already said. One file, or one core, takes no pool at all.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

from agents.performance.pcap import AnalysisResult, analyze_path, kernel


def usable_cores() -> int:
    """Cores this process may run on (its affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def analyze_paths(
    paths: Sequence[str | Path], *, deadline_s: float | None = 30.0, workers: int | None = None
) -> list[AnalysisResult]:
    """`analyze_path` of every file, in the order given, `workers` (default: all cores) at a time."""
    workers = min(len(paths), workers or usable_cores())
    if workers <= 1:
        return [analyze_path(path, deadline_s=deadline_s) for path in paths]
    with _pool(workers) as pool:
        futures = [pool.submit(_analyze_quietly, path, deadline_s) for path in paths]
        return [_outcome(future, str(path)) for future, path in zip(futures, paths, strict=True)]


def _pool(workers: int) -> Executor:
    if kernel.use_kernel():  # says once, here, when it is not built
        return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pcap")
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


def _analyze_quietly(path: str | Path, deadline_s: float | None) -> AnalysisResult:
    kernel.mark_noticed()  # a worker process: the parent said why there is no kernel
    return analyze_path(path, deadline_s=deadline_s)


def _outcome(future, name: str) -> AnalysisResult:
    """The worker's result; a worker that died (killed, out of memory) is that file's error."""
    try:
        return future.result()
    except Exception as exc:  # BrokenProcessPool and the like: the other files still count
        return AnalysisResult(file=name, error=f"the analysis process failed on this file ({type(exc).__name__})")

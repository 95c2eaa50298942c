"""Several capture files of one question analysed on all cores, one worker process per file at a time.

The analysis is pure Python and CPU-bound, so threads would share one core: each file goes to
a worker process instead, which reads it itself and sends back its `AnalysisResult` (results
pickle: they hold counts, flows and sketches, never the packets). Workers are spawned, not
forked, so a caller with threads of its own (the agent's event loop) is safe. One file, or one
core, takes no process at all.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from agents.performance.pcap import AnalysisResult, analyze_path


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
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(analyze_path, path, deadline_s=deadline_s) for path in paths]
        return [_outcome(future, str(path)) for future, path in zip(futures, paths, strict=True)]


def _outcome(future, name: str) -> AnalysisResult:
    """The worker's result; a worker that died (killed, out of memory) is that file's error."""
    try:
        return future.result()
    except Exception as exc:  # BrokenProcessPool and the like: the other files still count
        return AnalysisResult(file=name, error=f"the analysis process failed on this file ({type(exc).__name__})")

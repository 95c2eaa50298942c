"""Cost of the step metrics (the TraceConfig.on_finish hook every process runs) against tracing alone, same run.

Run: `uv run python bench/bench_metrics.py` (about 10 s). Each round records traces of 40 steps with
the names a diagnosis uses (so normalisation and series caches work as in production); the baseline
round records the same traces with no hook. Rounds alternate to share the machine's noise; the best
of each counts. The last line is the ratio with metrics / without (what metrics add to tracing).
"""

from __future__ import annotations

import gc
import time

from agents.observability.metrics import ProcessMetrics
from agents.traceability import CallType, TraceConfig, TraceStep, start_trace

TRACES = 500
ROUNDS = 9
NAMES = [
    "networkflowmonitor.start_query",
    "networkflowmonitor.get_query_results",
    "cloudwatch.network_flow_monitor_metrics",
    "ec2.describe_traffic_mirroring",
    "s3.list_captures",
    "analyze capture-20261201-162900.pcap",
]


def one_round(config: TraceConfig) -> float:
    start = time.perf_counter_ns()
    for _ in range(TRACES):
        with start_trace(config=config), TraceStep("Performance_Agent", CallType.AGENT):
            for i in range(39):
                with TraceStep(NAMES[i % len(NAMES)], CallType.TOOL):
                    pass
    return (time.perf_counter_ns() - start) / (TRACES * 40)


def main() -> None:
    metrics = ProcessMetrics("netops-performance")
    with_metrics, without = TraceConfig(on_finish=metrics.steps.observe_trace), TraceConfig()
    one_round(with_metrics), one_round(without)  # warm caches and the interpreter
    gc.disable()
    try:
        timings = [(one_round(without), one_round(with_metrics)) for _ in range(ROUNDS)]
    finally:
        gc.enable()
    base, measured = min(t[0] for t in timings), min(t[1] for t in timings)
    print(f"tracing alone: {base / 1000:.2f} µs per step; with the step metrics: {measured / 1000:.2f} µs per step")
    added = measured - base
    print(f"metrics add {added / 1000:.2f} µs per step ({added * 40 / 1e6:.3f} ms per 40-step trace)")
    print(f"ratio with metrics / tracing alone: {measured / base:.2f}")


if __name__ == "__main__":
    main()

"""Cost of one TraceStep enter+exit against one OpenTelemetry SDK span start+end, same run.

Run: `uv run python bench/bench_trace.py` (about 10 s). Both sides record: the TraceStep into
the current tracer (as in production), the span into a TracerProvider with no processor
attached, the cheapest the SDK offers, so the baseline is as fast as OpenTelemetry gets.
Rounds alternate between the two to share the machine's noise; the best round of each
counts. The last line is the ratio TraceStep / OpenTelemetry (goal: <= 1.0).
"""

from __future__ import annotations

import gc
import time

from opentelemetry.sdk.trace import TracerProvider

from agents.traceability import CallType, TraceStep, start_trace

OPS = 20_000
ROUNDS = 15


def trace_step_round() -> float:
    with start_trace(), TraceStep("agent", CallType.AGENT):
        start = time.perf_counter_ns()
        for _ in range(OPS):
            with TraceStep("tool", CallType.TOOL):
                pass
        return (time.perf_counter_ns() - start) / OPS


def otel_round(tracer) -> float:
    start = time.perf_counter_ns()
    for _ in range(OPS):
        span = tracer.start_span("tool")
        span.end()
    return (time.perf_counter_ns() - start) / OPS


def main() -> None:
    provider = TracerProvider()
    tracer = provider.get_tracer("bench")
    trace_step_round(), otel_round(tracer)  # warm up
    ours, theirs = [], []
    gc.disable()
    try:
        for _ in range(ROUNDS):
            ours.append(trace_step_round())
            theirs.append(otel_round(tracer))
            gc.collect()
    finally:
        gc.enable()
    best_ours, best_theirs = min(ours), min(theirs)
    for label, rounds in (("TraceStep enter+exit", ours), ("OpenTelemetry span start+end", theirs)):
        print(f"{label:30s} best {min(rounds) / 1000:6.2f} us   median {sorted(rounds)[ROUNDS // 2] / 1000:6.2f} us")
    print(f"{OPS} operations x {ROUNDS} rounds each, alternating")
    print(f"ratio TraceStep/OpenTelemetry: {best_ours / best_theirs:.2f}")


if __name__ == "__main__":
    main()

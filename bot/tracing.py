"""The bot's side of the traceability extension: the HOST step, and what the thread shows.

This is the one module of `bot/` that knows `agents.traceability`; it reduces a trace to a
`TraceView` (plain data the Block Kit builders and Redis handle) right where it arrives.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from agents.traceability import (
    CallType,
    ResponseTrace,
    TraceConfig,
    TraceStep,
    start_trace,
    summarize,
    trace_from_metadata,
)
from agents.traceability.redaction import redact_text
from bot.trace_view import StepView, TraceView


def trace_view(trace: ResponseTrace) -> TraceView:
    """The summary and step tree of `trace`, as the thread and the modal show them."""
    summary = summarize(trace)
    latest = {step.step_id: step for step in trace.steps}
    steps = tuple(
        StepView(
            step_id=step.step_id,
            parent_step_id=step.parent_step_id,
            name=step.name or step.step_id,
            call_type=getattr(step.call_type, "value", str(step.call_type)),
            latency_ms=step.latency_ms,
            cost_usd=step.cost,
            tokens=step.tokens(),
            error=redact_text(step.error) if step.error else None,  # the modal is posted: mask like the summary
        )
        for step in latest.values()
    )
    return TraceView(
        trace_id=summary.trace_id,
        step_count=summary.step_count,
        latency_ms=summary.latency_ms,
        total_tokens=summary.total_tokens,
        total_cost_usd=summary.total_cost_usd,
        has_model_calls=summary.has_model_calls,
        cost_label=summary.cost_label,
        failing_step=summary.failing_step.name if summary.failing_step else None,
        failing_error=summary.failing_step.error if summary.failing_step else None,
        slowest_step=summary.slowest_step.name if summary.slowest_step else None,
        slowest_ms=summary.slowest_step.latency_ms if summary.slowest_step else None,
        steps=steps,
    )


def trace_view_from_metadata(metadata: dict[str, Any] | None) -> TraceView | None:
    """The trace an agent attached to an artifact or status, or None when it sent none."""
    trace = trace_from_metadata(metadata)
    return trace_view(trace) if trace is not None and trace.steps else None


@contextmanager
def host_trace(name: str, config: TraceConfig | None = None, **parameters: Any) -> Iterator[Any]:
    """A new trace whose root is the bot's HOST step; yields the tracer (its `.trace()` is the whole trace).

    `config` is the process's one `TraceConfig` (prices, tracebacks, OpenTelemetry export).
    """
    with start_trace(config=config) as tracer, TraceStep(name, CallType.HOST, parameters=parameters):
        yield tracer

"""One trace as a waterfall: each step a bar placed by its start offset and sized by its duration (pure).

Rows come in tree order (a parent, then its children by start time), so the bar under a step is
what it waited on. `lane` says which part did the work (the bot, the collaborator, the agent),
found from the nearest server-side AGENT step above (client-side "call X" steps stay with the
caller); the call type says whether it was the agent itself or one of its tools.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agents.traceability.model import SKIPPED_STEP_TYPE, CallType, ResponseTrace, StepRecord
from agents.traceability.plan import SKIPPED_BECAUSE
from agents.traceability.redaction import redact_text
from agents.traceability.store import CAPTURED_AT
from agents.traceability.tree import tree_order

CLIENT_STEP_PREFIX = "call "


@dataclass(frozen=True)
class Bar:
    step_id: str
    name: str
    call_type: str
    lane: str
    depth: int
    offset_ms: float
    duration_ms: float
    error: str | None
    skipped: str | None  # why it did not run, for a planned step that never ran
    running: bool  # not finished when the trace was captured (a live trace's snapshot)
    attributes: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Waterfall:
    trace_id: str
    total_ms: float
    bars: tuple[Bar, ...]


def _tree_order(steps: list[StepRecord]) -> list[tuple[int, StepRecord]]:
    """Tree order with siblings by start time (unknown starts last)."""
    by_start = sorted(steps, key=lambda s: s.start_time if s.start_time is not None else float("inf"))
    return tree_order(by_start, lambda s: s.step_id, lambda s: s.parent_step_id)


def _lane(step: StepRecord, by_id: dict[str, StepRecord]) -> str:
    """The part that did the work: the nearest server-side AGENT step at or above (its name is the
    agent's), or the bot when the walk reaches the HOST step first."""
    current: StepRecord | None = step
    seen: set[str] = set()
    while current is not None and current.step_id not in seen:
        seen.add(current.step_id)
        if current.call_type is CallType.AGENT and not (current.name or "").startswith(CLIENT_STEP_PREFIX):
            return current.name or "agent"
        if current.call_type is CallType.HOST:
            return "bot"
        current = by_id.get(current.parent_step_id or "")
    return "unknown"


def _attributes(step: StepRecord) -> tuple[tuple[str, str], ...]:
    pairs: dict[str, Any] = {"step_id": step.step_id}
    for key in ("model", "input_tokens", "output_tokens", "cost", "error_type"):
        value = getattr(step, key)
        if value is not None:
            pairs[key] = value
    pairs.update(step.parameters or {})
    pairs.update(step.additional_attributes)
    return tuple((str(k), redact_text(str(v))[:300]) for k, v in pairs.items())


def waterfall(trace: ResponseTrace) -> Waterfall:
    """A snapshot of a running trace (`captured_at` in its extra) draws unfinished steps up to that moment."""
    latest = {s.step_id: s for s in trace.steps}
    steps = list(latest.values())
    starts = [s.start_time for s in steps if s.start_time is not None]
    origin = min(starts) if starts else 0.0
    captured = trace.extra.get(CAPTURED_AT)
    ends = [s.end_time for s in steps if s.end_time is not None]
    if isinstance(captured, (int, float)):
        ends.append(float(captured))
    total_ms = max(0.0, (max(ends) - origin) * 1000.0) if ends else 0.0
    bars = []
    for depth, step in _tree_order(steps):
        offset = ((step.start_time - origin) * 1000.0) if step.start_time is not None else 0.0
        running = step.end_time is None and step.step_type != SKIPPED_STEP_TYPE
        duration = step.latency_ms or 0.0
        if running and isinstance(captured, (int, float)) and step.start_time is not None:
            duration = (float(captured) - step.start_time) * 1000.0
        skipped = step.additional_attributes.get(SKIPPED_BECAUSE) if step.step_type == SKIPPED_STEP_TYPE else None
        bars.append(
            Bar(
                step_id=step.step_id,
                name=step.name or step.step_id,
                call_type=step.call_type.value if isinstance(step.call_type, CallType) else str(step.call_type),
                lane=_lane(step, latest),
                depth=depth,
                offset_ms=max(0.0, offset),
                duration_ms=max(0.0, duration),
                running=running,
                error=redact_text(step.error) if step.error else None,
                skipped=str(skipped) if step.step_type == SKIPPED_STEP_TYPE else None,
                attributes=_attributes(step),
            )
        )
    return Waterfall(trace.trace_id, total_ms, tuple(bars))

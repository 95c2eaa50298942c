"""The few numbers a Slack thread shows about a trace, computed from the flat step list.

Each step carries only its own cost and tokens (an AGENT step never rolls up its children),
and a trace holds each step_id once, so summing over unique steps counts nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agents.traceability.model import CallType, ResponseTrace, StepRecord
from agents.traceability.redaction import redact_text


@dataclass(frozen=True, slots=True)
class FailingStep:
    step_id: str
    name: str
    error: str
    path: tuple[str, ...]  # names from the root to this step


@dataclass(frozen=True, slots=True)
class SlowestStep:
    step_id: str
    name: str
    latency_ms: float
    path: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TraceSummary:
    trace_id: str
    total_cost_usd: float | None  # None: no step reported a cost
    total_tokens: int
    latency_ms: float | None  # wall clock from the first start to the last end
    step_count: int
    failing_step: FailingStep | None
    slowest_step: SlowestStep | None
    cost_by_call_type: dict[str, float] = field(default_factory=dict)
    has_model_calls: bool = False
    unpriced_models: tuple[str, ...] = ()

    @property
    def cost_label(self) -> str:
        """What to print for cost: never a bare "$0.0000" for a trace that called no model."""
        if not self.has_model_calls and not self.total_cost_usd:
            return "no model calls"
        if self.total_cost_usd is None:
            return "cost unknown (no price for " + ", ".join(self.unpriced_models or ("the model",)) + ")"
        label = f"${self.total_cost_usd:.4f}"
        if self.unpriced_models:
            label += " (excludes " + ", ".join(self.unpriced_models) + ")"
        return label


def summarize(trace: ResponseTrace) -> TraceSummary:
    steps = _unique(trace.steps)
    by_id = {s.step_id: s for s in steps}
    children: dict[str | None, int] = {}
    for s in steps:
        children[s.parent_step_id] = children.get(s.parent_step_id, 0) + 1

    total_cost: float | None = None
    by_type: dict[str, float] = {}
    total_tokens = 0
    has_model_calls = False
    unpriced: list[str] = []
    for s in steps:
        if s.cost is not None:
            total_cost = (total_cost or 0.0) + s.cost
            key = s.call_type.value if isinstance(s.call_type, CallType) else str(s.call_type)
            by_type[key] = by_type.get(key, 0.0) + s.cost
        tokens = s.tokens()
        if tokens is not None:
            total_tokens += tokens
        if s.model or s.input_tokens is not None or s.output_tokens is not None or s.total_tokens:
            has_model_calls = True
            if s.cost is None and s.model and s.model not in unpriced:
                unpriced.append(s.model)

    return TraceSummary(
        trace_id=trace.trace_id,
        total_cost_usd=total_cost,
        total_tokens=total_tokens,
        latency_ms=_wall_clock_ms(steps),
        step_count=len(steps),
        failing_step=_failing(steps, by_id),
        slowest_step=_slowest(steps, by_id, children),
        cost_by_call_type=by_type,
        has_model_calls=has_model_calls,
        unpriced_models=tuple(unpriced),
    )


def step_path(step: StepRecord, by_id: dict[str, StepRecord]) -> tuple[str, ...]:
    """Names from the root down to `step`; stops at a missing parent or a cycle in foreign data."""
    names = [step.name or step.step_id]
    seen = {step.step_id}
    parent = by_id.get(step.parent_step_id) if step.parent_step_id else None
    while parent is not None and parent.step_id not in seen:
        names.append(parent.name or parent.step_id)
        seen.add(parent.step_id)
        parent = by_id.get(parent.parent_step_id) if parent.parent_step_id else None
    return tuple(reversed(names))


def _unique(steps: list[StepRecord]) -> list[StepRecord]:
    """The last record of each step_id (a later snapshot of the same step supersedes)."""
    latest: dict[str, StepRecord] = {}
    for s in steps:
        latest[s.step_id] = s
    return list(latest.values())


def _wall_clock_ms(steps: list[StepRecord]) -> float | None:
    starts = [s.start_time for s in steps if s.start_time is not None]
    ends = [s.end_time for s in steps if s.end_time is not None]
    if not starts or not ends:
        return None
    return max(0.0, (max(ends) - min(starts)) * 1000.0)


def _failing(steps: list[StepRecord], by_id: dict[str, StepRecord]) -> FailingStep | None:
    """The first cause, not the last symptom: of the failed steps with no failed step below them
    (a parent fails because its child did), the one that ended first (later ones often failed
    only because it had)."""
    failed = [s for s in steps if s.error is not None]
    if not failed:
        return None
    above_a_failure: set[str] = set()
    for s in failed:
        parent = by_id.get(s.parent_step_id) if s.parent_step_id else None
        while parent is not None and parent.step_id not in above_a_failure:
            above_a_failure.add(parent.step_id)
            parent = by_id.get(parent.parent_step_id) if parent.parent_step_id else None
    causes = [s for s in failed if s.step_id not in above_a_failure] or failed

    def when(s: StepRecord) -> tuple[float, float]:
        end = s.end_time if s.end_time is not None else float("inf")
        return (end, s.start_time if s.start_time is not None else float("inf"))

    step = min(causes, key=when)
    # The summary is what gets posted (Slack): its error text is masked like an exported trace.
    error = redact_text(step.error or "")
    return FailingStep(step.step_id, step.name or step.step_id, error, step_path(step, by_id))


def _slowest(
    steps: list[StepRecord], by_id: dict[str, StepRecord], children: dict[str | None, int]
) -> SlowestStep | None:
    """The slowest leaf step: parents contain their children's time, so a leaf is where time went."""
    timed = [s for s in steps if s.latency_ms is not None]
    leaves = [s for s in timed if children.get(s.step_id, 0) == 0] or timed
    if not leaves:
        return None
    step = max(leaves, key=lambda s: s.latency_ms or 0.0)
    return SlowestStep(step.step_id, step.name or step.step_id, step.latency_ms or 0.0, step_path(step, by_id))

"""What the bot shows of a trace, as plain data that survives a round trip through Redis.

The trace itself (`agents.traceability`) is rich and may grow; the bot keeps only what the
thread and the "View trace" modal display, so a stored result renders the same later and
the Block Kit builders stay pure functions of JSON-friendly values.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class StepView:
    step_id: str
    parent_step_id: str | None
    name: str
    call_type: str
    latency_ms: float | None = None
    cost_usd: float | None = None
    tokens: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class TraceView:
    trace_id: str
    step_count: int
    latency_ms: float | None
    total_tokens: int
    total_cost_usd: float | None
    has_model_calls: bool
    cost_label: str  # "$0.0142", "no model calls", "cost unknown (…)": decided by the summary
    failing_step: str | None = None  # step name
    failing_error: str | None = None
    slowest_step: str | None = None
    slowest_ms: float | None = None
    steps: tuple[StepView, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TraceView:
        values = dict(data)
        values["steps"] = tuple(StepView(**step) for step in values.get("steps") or ())
        return cls(**values)

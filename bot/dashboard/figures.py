"""The dashboard's headline figures over a window, from trace records (pure).

Active and completed traces, average and p95 latency, error rate and the cost trend, as the
traceability article's monitoring dashboard lists them. Latency and error rate count only
finished traces: a running one has neither yet.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from agents.traceability.store import FAILED, PARTIAL, RUNNING, TraceRecord

COST_BUCKETS = 12


@dataclass(frozen=True)
class CostPoint:
    start: float  # epoch seconds: the bucket's start
    cost_usd: float
    traces: int


@dataclass(frozen=True)
class Figures:
    window_s: float
    active: int
    completed: int
    with_errors: int  # failed, or answered with a failed step on the way
    average_latency_ms: float | None
    p95_latency_ms: float | None
    total_cost_usd: float
    has_cost: bool  # some trace reported a cost: without one, "$0" would claim what nobody measured
    cost_trend: tuple[CostPoint, ...]

    @property
    def error_rate(self) -> float | None:
        """The share of finished traces with an error, as the traceability article counts it."""
        return self.with_errors / self.completed if self.completed else None


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100): always one of the values, as an operator expects."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[rank - 1]


LOST = "lost"  # still "running" long after any question could: the bot that ran it stopped


def shown_status(record: TraceRecord, *, now: float, stale_after_s: float) -> str:
    """The record's status, except that a trace running past `stale_after_s` is shown as lost."""
    if record.status == RUNNING and now - record.started_at > stale_after_s:
        return LOST
    return record.status


def window_figures(
    records: list[TraceRecord], *, now: float, window_s: float, stale_after_s: float = float("inf")
) -> Figures:
    """Lost traces count as finished with an error, without a latency: nobody saw them end."""
    since = now - window_s
    inside = [r for r in records if r.started_at >= since]
    statuses = {r.trace_id: shown_status(r, now=now, stale_after_s=stale_after_s) for r in inside}
    done = [r for r in inside if statuses[r.trace_id] != RUNNING]
    latencies = [r.latency_ms for r in done if r.latency_ms is not None]
    return Figures(
        window_s=window_s,
        active=sum(1 for r in inside if statuses[r.trace_id] == RUNNING),
        completed=len(done),
        with_errors=sum(1 for r in done if statuses[r.trace_id] in (FAILED, PARTIAL, LOST)),
        average_latency_ms=sum(latencies) / len(latencies) if latencies else None,
        p95_latency_ms=percentile(latencies, 95),
        total_cost_usd=sum(r.cost_usd or 0.0 for r in done),
        has_cost=any(r.cost_usd is not None for r in done),
        cost_trend=cost_trend(done, since=since, window_s=window_s),
    )


def cost_trend(records: list[TraceRecord], *, since: float, window_s: float) -> tuple[CostPoint, ...]:
    """Cost per equal slice of the window, oldest first, empty slices included (a trend needs its zeros)."""
    width = window_s / COST_BUCKETS
    costs = [0.0] * COST_BUCKETS
    counts = [0] * COST_BUCKETS
    for record in records:
        index = min(COST_BUCKETS - 1, max(0, int((record.started_at - since) // width)))
        costs[index] += record.cost_usd or 0.0
        counts[index] += 1
    return tuple(CostPoint(since + i * width, costs[i], counts[i]) for i in range(COST_BUCKETS))

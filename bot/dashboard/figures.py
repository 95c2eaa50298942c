"""The dashboard's headline figures over a window, from trace records (pure).

Active and completed traces, average and p95 latency, error rate and the cost trend, as the
traceability article's monitoring dashboard lists them. Latency and error rate count only
finished traces: a running one has neither yet.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from agents.traceability.store import FAILED, RUNNING, TraceRecord

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
    failed: int
    average_latency_ms: float | None
    p95_latency_ms: float | None
    total_cost_usd: float
    cost_trend: tuple[CostPoint, ...]

    @property
    def error_rate(self) -> float | None:
        return self.failed / self.completed if self.completed else None


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100): always one of the values, as an operator expects."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[rank - 1]


def window_figures(records: list[TraceRecord], *, now: float, window_s: float) -> Figures:
    since = now - window_s
    inside = [r for r in records if r.started_at >= since]
    done = [r for r in inside if r.status != RUNNING]
    latencies = [r.latency_ms for r in done if r.latency_ms is not None]
    return Figures(
        window_s=window_s,
        active=sum(1 for r in inside if r.status == RUNNING),
        completed=len(done),
        failed=sum(1 for r in done if r.status == FAILED),
        average_latency_ms=sum(latencies) / len(latencies) if latencies else None,
        p95_latency_ms=percentile(latencies, 95),
        total_cost_usd=sum(r.cost_usd or 0.0 for r in done),
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

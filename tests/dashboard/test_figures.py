"""The window's figures: active and completed traces, average and p95 latency, error rate, cost trend."""

from __future__ import annotations

import pytest

from agents.traceability.store import ANSWERED, FAILED, PARTIAL, RUNNING, TraceRecord
from bot.dashboard.figures import COST_BUCKETS, LOST, percentile, shown_status, window_figures

NOW = 1_800_000_000.0


def _record(started_ago_s: float, status: str = ANSWERED, latency_ms: float | None = 100.0, cost: float | None = None):
    return TraceRecord(
        f"trace-{started_ago_s}", "q", "question", status, NOW - started_ago_s, None, latency_ms, 3, 0, cost
    )


def test_p95_is_a_latency_that_was_actually_seen() -> None:
    assert percentile([float(ms) for ms in range(1, 101)], 95) == 95.0
    assert percentile([5.0], 95) == 5.0
    assert percentile([], 95) is None


def test_only_finished_traces_count_for_latency_and_error_rate() -> None:
    records = [
        _record(10, RUNNING, latency_ms=None),
        _record(20, ANSWERED, 100.0),
        _record(30, PARTIAL, 300.0),
        _record(40, FAILED, 500.0),
        _record(50, ANSWERED, 100.0),
    ]
    figures = window_figures(records, now=NOW, window_s=3600)
    assert (figures.active, figures.completed, figures.with_errors) == (1, 4, 2)
    assert figures.error_rate == 0.5
    assert figures.average_latency_ms == 250.0
    assert figures.p95_latency_ms == 500.0


def test_traces_started_before_the_window_are_left_out() -> None:
    figures = window_figures([_record(10), _record(7200, FAILED)], now=NOW, window_s=3600)
    assert (figures.completed, figures.with_errors) == (1, 0)


def test_a_trace_running_past_its_deadline_is_lost_and_counts_as_an_error() -> None:
    stuck = _record(900, RUNNING, latency_ms=None)
    assert shown_status(stuck, now=NOW, stale_after_s=240) == LOST
    assert shown_status(_record(60, RUNNING, None), now=NOW, stale_after_s=240) == RUNNING
    figures = window_figures([stuck], now=NOW, window_s=3600, stale_after_s=240)
    assert (figures.active, figures.completed, figures.error_rate) == (0, 1, 1.0)


def test_the_cost_trend_has_a_point_per_slice_with_the_cost_of_traces_started_in_it() -> None:
    records = [_record(3590, cost=0.01), _record(3580, cost=0.02), _record(5, cost=0.5), _record(6, cost=None)]
    figures = window_figures(records, now=NOW, window_s=3600)
    trend = figures.cost_trend
    assert len(trend) == COST_BUCKETS
    assert trend[0].cost_usd == pytest.approx(0.03) and trend[0].traces == 2
    assert trend[-1].cost_usd == pytest.approx(0.5) and trend[-1].traces == 2
    assert [p.cost_usd for p in trend[1:-1]] == [0.0] * (COST_BUCKETS - 2)
    assert figures.has_cost and figures.total_cost_usd == pytest.approx(0.53)


def test_a_window_without_model_calls_has_no_cost_to_show() -> None:
    assert not window_figures([_record(5)], now=NOW, window_s=3600).has_cost

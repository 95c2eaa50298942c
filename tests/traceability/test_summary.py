"""summarize: totals once per step, the deepest failure with its path, the slowest leaf, no-model traces."""

from __future__ import annotations

import pytest

from agents.traceability import CallType, ResponseTrace, StepRecord, summarize


def _step(step_id, parent, name, call_type=CallType.TOOL, start=0.0, latency_ms=10.0, **fields) -> StepRecord:
    step = StepRecord(step_id, "t", parent, call_type, name, None, start)
    step.latency_ms = latency_ms
    step.end_time = start + latency_ms / 1000
    for key, value in fields.items():
        setattr(step, key, value)
    return step


def _tree() -> ResponseTrace:
    return ResponseTrace(
        "t",
        [
            _step("h", None, "slack", CallType.HOST, start=100.0, latency_ms=2000),
            _step("a1", "h", "collaborator", CallType.AGENT, start=100.1, latency_ms=1800, error="RuntimeError: x"),
            _step(
                "llm",
                "a1",
                "route",
                start=100.2,
                latency_ms=300,
                model="gpt-4o",
                input_tokens=100,
                output_tokens=20,
                cost=0.01,
            ),
            _step(
                "a2",
                "a1",
                "performance",
                CallType.AGENT,
                start=100.5,
                latency_ms=1000,
                error="RuntimeError: x",
                cost=0.002,
            ),
            _step("t1", "a2", "flow_monitor", start=100.6, latency_ms=700),
            _step("t2", "a2", "s3_capture", start=100.7, latency_ms=200, error="ClientError: AccessDenied"),
        ],
    )


def test_costs_are_summed_once_per_step():
    summary = summarize(_tree())
    assert summary.total_cost_usd == pytest.approx(0.012)
    assert summary.cost_by_call_type == pytest.approx({"TOOL": 0.01, "AGENT": 0.002})


def test_a_step_repeated_by_a_later_snapshot_counts_once():
    trace = _tree()
    trace.steps.append(_step("llm", "a1", "route", start=100.2, latency_ms=300, cost=0.01, total_tokens=120))
    summary = summarize(trace)
    assert summary.total_cost_usd == pytest.approx(0.012)
    assert summary.step_count == 6
    assert summary.total_tokens == 120


def test_the_failing_step_is_the_deepest_failure_with_its_path():
    failing = summarize(_tree()).failing_step
    assert failing.step_id == "t2"
    assert failing.error == "ClientError: AccessDenied"
    assert failing.path == ("slack", "collaborator", "performance", "s3_capture")


def test_the_slowest_step_is_the_slowest_leaf():
    slowest = summarize(_tree()).slowest_step
    assert slowest.name == "flow_monitor"
    assert slowest.latency_ms == 700


def test_latency_is_the_traces_wall_clock():
    assert summarize(_tree()).latency_ms == pytest.approx(2000.0)


def test_tokens_count_input_plus_output_when_no_total_was_given():
    assert summarize(_tree()).total_tokens == 120


def test_a_trace_without_model_calls_says_so():
    trace = ResponseTrace("t", [_step("h", None, "slack", CallType.HOST)])
    summary = summarize(trace)
    assert summary.has_model_calls is False
    assert summary.total_cost_usd is None
    assert summary.cost_label == "no model calls"


def test_a_model_call_with_zero_cost_shows_zero():
    trace = ResponseTrace("t", [_step("l", None, "llm", model="free", input_tokens=5, output_tokens=0, cost=0.0)])
    assert summarize(trace).cost_label == "$0.0000"


def test_an_unpriced_model_is_named_instead_of_costing_zero():
    trace = ResponseTrace("t", [_step("l", None, "llm", model="local-llama", input_tokens=5, output_tokens=5)])
    assert summarize(trace).cost_label == "cost unknown (no price for local-llama)"


def test_no_failure_means_no_failing_step():
    trace = ResponseTrace("t", [_step("h", None, "slack", CallType.HOST)])
    assert summarize(trace).failing_step is None


def test_a_parent_cycle_in_foreign_data_does_not_hang():
    trace = ResponseTrace("t", [_step("a", "b", "x", error="E"), _step("b", "a", "y")])
    assert summarize(trace).failing_step.path == ("y", "x")


def test_the_failing_steps_error_is_masked_for_posting():
    trace = ResponseTrace("t", [_step("a", None, "call", error="HTTPError: 401 for token=abc123")])
    assert summarize(trace).failing_step.error == "HTTPError: 401 for token=[redacted]"

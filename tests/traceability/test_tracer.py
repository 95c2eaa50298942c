"""Tracer.merge: a called agent's steps join the caller's tree once, wherever they came from."""

from __future__ import annotations

from agents.traceability import CallType, ResponseTrace, StepRecord, TraceStep, start_trace


def _remote(*steps: tuple[str, str | None], trace_id: str = "their-trace", cost: float | None = None) -> ResponseTrace:
    records = []
    for step_id, parent in steps:
        record = StepRecord(step_id, trace_id, parent, CallType.TOOL, step_id, None, 1.0)
        record.cost = cost
        records.append(record)
    return ResponseTrace(trace_id, records)


def test_a_foreign_traces_roots_hang_under_the_call_step_and_take_our_trace_id():
    with start_trace() as tracer, TraceStep("call sample", CallType.AGENT) as call:
        tracer.merge(_remote(("r", None), ("c", "r")), under=call.step_id)
    by_id = {s.step_id: s for s in tracer.steps}
    assert by_id["r"].parent_step_id == call.step_id
    assert by_id["c"].parent_step_id == "r"
    assert {s.trace_id for s in tracer.steps} == {tracer.trace_id}


def test_a_later_snapshot_replaces_the_earlier_one_instead_of_adding_to_it():
    with start_trace() as tracer, TraceStep("call", CallType.AGENT) as call:
        tracer.merge(_remote(("r", None), cost=None), under=call.step_id)
        tracer.merge(_remote(("r", None), ("c", "r"), cost=0.5), under=call.step_id)
    assert [s.step_id for s in tracer.steps] == [call.step_id, "r", "c"]
    assert {s.step_id: s.cost for s in tracer.steps}["r"] == 0.5


def test_an_echo_of_our_own_step_does_not_overwrite_it():
    with start_trace() as tracer, TraceStep("call", CallType.AGENT) as call:
        echo = _remote((call.step_id, None), cost=99.0)
        assert tracer.merge(echo, under=call.step_id) == 0
    assert tracer.steps[0] is call.record
    assert call.record.cost is None


def test_a_snapshot_is_not_changed_by_later_work():
    with start_trace() as tracer, TraceStep("agent", CallType.AGENT) as agent:
        snapshot = tracer.trace()
        agent.set_attribute("rows", 3)
    assert snapshot.steps[0].additional_attributes == {}
    assert snapshot.steps[0].end_time is None

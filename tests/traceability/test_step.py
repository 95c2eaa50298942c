"""TraceStep and traced: timing, errors, zero values, end_step, and parents found through contextvars."""

from __future__ import annotations

import asyncio
import time

import pytest

from agents.traceability import (
    CallType,
    PriceTable,
    TraceConfig,
    TraceStep,
    current_step,
    current_tracer,
    start_trace,
    traced,
)
from agents.traceability.cost import ModelPrice


class Boom(Exception):
    pass


def _by_name(tracer):
    return {s.name: s for s in tracer.steps}


def test_a_step_records_into_the_current_tracer_with_its_parameters():
    with start_trace() as tracer, TraceStep("query", CallType.TOOL, parameters={"monitor": "m1"}) as step:
        pass
    [record] = tracer.steps
    assert record is step.record
    assert record.trace_id == tracer.trace_id
    assert record.parameters == {"monitor": "m1"}
    assert record.call_type is CallType.TOOL
    assert record.end_time >= record.start_time
    assert record.latency_ms >= 0


def test_nested_steps_get_their_parent_by_themselves():
    with start_trace() as tracer, TraceStep("agent", CallType.AGENT) as outer:
        with TraceStep("tool") as inner:
            assert current_step() is inner
        assert current_step() is outer
    assert current_step() is None
    assert _by_name(tracer)["tool"].parent_step_id == outer.step_id
    assert _by_name(tracer)["agent"].parent_step_id is None


def test_a_continued_trace_hangs_root_steps_under_the_callers_step():
    with start_trace(trace_id="trace-x", parent_step_id="step-caller") as tracer, TraceStep("agent", CallType.AGENT):
        pass
    assert tracer.steps[0].trace_id == "trace-x"
    assert tracer.steps[0].parent_step_id == "step-caller"


def test_the_original_exception_propagates_unchanged_and_is_recorded():
    error = Boom("monitor m1 not found")
    with start_trace() as tracer, pytest.raises(Boom) as caught, TraceStep("query"):
        raise error
    assert caught.value is error
    record = tracer.steps[0]
    assert record.error == "Boom: monitor m1 not found"
    assert record.error_type == "Boom"
    assert record.traceback is None


def test_tracebacks_are_recorded_only_when_configured():
    with start_trace(config=TraceConfig(tracebacks=True)) as tracer, pytest.raises(Boom), TraceStep("query"):
        raise Boom("x")
    assert "raise Boom" in tracer.steps[0].traceback


def test_cancellation_is_not_recorded_as_a_failure():
    with start_trace() as tracer, pytest.raises(asyncio.CancelledError), TraceStep("wait"):
        raise asyncio.CancelledError()
    assert tracer.steps[0].error is None
    assert tracer.steps[0].additional_attributes["interrupted"] == "CancelledError"


def test_zero_cost_and_zero_tokens_are_recorded_as_zero():
    with start_trace() as tracer, TraceStep("llm") as step:
        step.end_step(cost=0, total_tokens=0)
    assert tracer.steps[0].cost == 0.0
    assert tracer.steps[0].total_tokens == 0


def test_end_step_inside_the_block_is_not_overwritten_on_exit():
    with start_trace() as tracer, TraceStep("work") as step:
        step.end_step(error="gave up early")
        end_time = step.record.end_time
        latency = step.record.latency_ms
        ended_at = time.perf_counter_ns()
        while time.perf_counter_ns() - ended_at < 1_000_000:  # 1 ms of work after end_step
            pass
    record = tracer.steps[0]
    assert record.end_time == end_time
    assert record.latency_ms == latency
    assert record.error == "gave up early"


def test_end_step_error_is_kept_when_the_block_then_raises():
    with start_trace() as tracer, pytest.raises(Boom), TraceStep("work") as step:
        step.end_step(error="no rows")
        raise Boom("after")
    assert tracer.steps[0].error == "no rows"


def test_usage_is_priced_from_the_table():
    config = TraceConfig(prices=PriceTable({"m": ModelPrice(3.0, 15.0)}))
    with start_trace(config=config) as tracer, TraceStep("llm") as step:
        step.record_usage(model="m", input_tokens=1_000_000, output_tokens=100_000)
    record = tracer.steps[0]
    assert record.cost == pytest.approx(4.5)
    assert record.tokens() == 1_100_000


def test_a_directly_reported_cost_wins_over_the_price_table():
    config = TraceConfig(prices=PriceTable({"m": ModelPrice(3.0, 15.0)}))
    with start_trace(config=config) as tracer, TraceStep("llm") as step:
        step.record_cost(0.5)
        step.record_usage(model="m", input_tokens=1_000_000, output_tokens=0)
    assert tracer.steps[0].cost == 0.5


def test_an_unpriced_model_has_no_cost_and_says_why():
    with start_trace() as tracer, TraceStep("llm") as step:
        step.record_usage(model="local-llama", input_tokens=10, output_tokens=10)
    assert tracer.steps[0].cost is None
    assert "local-llama" in tracer.steps[0].additional_attributes["cost_note"]


def test_a_root_step_outside_any_trace_starts_its_own():
    with TraceStep("slack", CallType.HOST) as host:
        assert current_tracer() is host.tracer
        with TraceStep("call") as child:
            pass
    assert current_tracer() is None
    assert [s.step_id for s in host.tracer.steps] == [host.step_id, child.step_id]
    assert child.record.parent_step_id == host.step_id


async def test_async_steps_nest_across_await_and_new_tasks():
    async def tool(name: str) -> str:
        async with TraceStep(name) as step:
            await asyncio.sleep(0)
            return step.record.parent_step_id

    with start_trace() as tracer:
        async with TraceStep("agent", CallType.AGENT) as agent:
            await asyncio.sleep(0)
            parents = await asyncio.gather(tool("a"), asyncio.create_task(tool("b")))
            in_thread = await asyncio.to_thread(lambda: current_step())
    assert parents == [agent.step_id, agent.step_id]
    assert in_thread is agent
    assert {s.name for s in tracer.steps} == {"agent", "a", "b"}


async def test_async_step_reraises_the_original_exception():
    with start_trace() as tracer, pytest.raises(Boom):
        async with TraceStep("tool"):
            await asyncio.sleep(0)
            raise Boom("late")
    assert tracer.steps[0].error == "Boom: late"


def test_traced_records_a_function_call_with_its_arguments():
    @traced("lookup", CallType.TOOL)
    def lookup(monitor: str, limit: int = 5) -> int:
        return current_step().record.parameters["limit"]

    with start_trace() as tracer:
        assert lookup("m1", limit=7) == 7
    assert tracer.steps[0].name == "lookup"
    assert tracer.steps[0].parameters == {"monitor": "m1", "limit": 7}


async def test_traced_coroutine_nests_and_records_failure():
    class Tools:
        @traced()
        async def fetch(self, key: str) -> None:
            raise Boom(key)

    with start_trace() as tracer:
        async with TraceStep("agent", CallType.AGENT) as agent:
            with pytest.raises(Boom):
                await Tools().fetch("k1")
    record = _by_name(tracer)["test_traced_coroutine_nests_and_records_failure.<locals>.Tools.fetch"]
    assert record.parent_step_id == agent.step_id
    assert record.parameters == {"key": "k1"}
    assert record.error == "Boom: k1"


def test_using_a_step_before_entering_it_says_how_to_use_it():
    with pytest.raises(RuntimeError, match="with TraceStep"):
        TraceStep("x").record_cost(1.0)


def test_an_exporter_failure_does_not_break_the_request():
    def broken(trace):
        raise OSError("collector down")

    with start_trace(config=TraceConfig(on_finish=broken)) as tracer, TraceStep("x"):
        pass
    assert len(tracer.steps) == 1

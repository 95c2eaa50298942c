"""Propagation proof: two real a2a-sdk 1.3 servers, the first calling the second through
traced_send_message, the test a HOST step: one tree, right parents, the deep failure found,
costs summed once."""

from __future__ import annotations

import uuid

import pytest
from a2a.client import ClientCallContext
from a2a.helpers.proto_helpers import new_text_part
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.server.tasks import TaskUpdater
from a2a.types import Message, Part, Role, SendMessageRequest, Task, TaskState, TaskStatus

from agents.traceability import (
    TRACE_EXTENSION_URI,
    TRACE_METADATA_KEY,
    CallType,
    PriceTable,
    TraceConfig,
    TraceStep,
    summarize,
)
from agents.traceability.a2a import TracingAgentExecutor, trace_from_stream_response, traced_send_message
from agents.traceability.cost import ModelPrice

PRICES = TraceConfig(prices=PriceTable({"test-model": ModelPrice(1.0, 2.0)}))


class CaptureError(Exception):
    pass


def _question(text: str) -> SendMessageRequest:
    return SendMessageRequest(
        message=Message(message_id=str(uuid.uuid4()), role=Role.ROLE_USER, parts=[Part(text=text)])
    )


async def _start(context: RequestContext, queue: EventQueue) -> TaskUpdater:
    task = context.current_task or Task(
        id=context.task_id,
        context_id=context.context_id,
        status=TaskStatus(state=TaskState.TASK_STATE_SUBMITTED),
        history=[context.message],
    )
    await queue.enqueue_event(task)
    updater = TaskUpdater(queue, task.id, task.context_id)
    await updater.start_work()
    return updater


class PerformanceLike(AgentExecutor):
    """The second agent: a priced model call, a tool that works, a tool that fails deep down."""

    def __init__(self, *, raise_out: bool = False) -> None:
        self.raise_out = raise_out

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        updater = await _start(context, event_queue)
        async with TraceStep("plan", CallType.TOOL) as plan:
            plan.record_usage(model="test-model", input_tokens=1000, output_tokens=500)  # $0.002
        async with TraceStep("flow_monitor", CallType.TOOL, parameters={"monitor": "m1", "api_key": "hunter2"}):
            pass
        try:
            async with (
                TraceStep("captures", CallType.TOOL),
                TraceStep("read_capture", CallType.TOOL, parameters={"key": "raw-captures/x.pcap"}),
            ):
                raise CaptureError("capture raw-captures/x.pcap is truncated")
        except CaptureError:
            if self.raise_out:
                raise
        await updater.add_artifact([new_text_part("diagnosis: partial")], name="diagnosis")
        await updater.complete()

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        raise NotImplementedError


class CollaboratorLike(AgentExecutor):
    """The first agent: routes with a priced model call, then forwards to the second agent."""

    def __init__(self, connect, url: str) -> None:
        self.connect = connect
        self.url = url

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        updater = await _start(context, event_queue)
        async with TraceStep("route", CallType.TOOL) as route:
            route.record_usage(model="test-model", input_tokens=2000, output_tokens=0)  # $0.002
        client = await self.connect(self.url)
        request = _question(context.get_user_input())
        async for response in traced_send_message(client, request, agent_name="second"):
            if response.HasField("artifact_update"):
                artifact = response.artifact_update.artifact
                await updater.add_artifact(list(artifact.parts), name=artifact.name)
        await updater.complete()

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        raise NotImplementedError


async def _ask(a2a_connect, url: str, **kwargs):
    client = await a2a_connect(url)
    with TraceStep("slack /netops", CallType.HOST) as host:
        responses = [r async for r in traced_send_message(client, _question("why slow?"), agent_name="first", **kwargs)]
    return host, responses


@pytest.fixture
async def two_agents(agent_server, a2a_connect):
    async with agent_server("second", TracingAgentExecutor(PerformanceLike(), name="second", config=PRICES)) as second:
        first_executor = TracingAgentExecutor(CollaboratorLike(a2a_connect, second), name="first", config=PRICES)
        async with agent_server("first", first_executor) as first:
            yield first


async def test_two_hops_make_one_tree_with_the_right_parents(two_agents, a2a_connect):
    host, _ = await _ask(a2a_connect, two_agents)
    trace = host.tracer.trace()
    by_name = {s.name: s for s in trace.steps}
    by_id = {s.step_id: s for s in trace.steps}
    parent_of = {s.name: by_id[s.parent_step_id].name if s.parent_step_id else None for s in trace.steps}
    assert parent_of == {
        "slack /netops": None,
        "call first": "slack /netops",
        "first": "call first",
        "route": "first",
        "call second": "first",
        "second": "call second",
        "plan": "second",
        "flow_monitor": "second",
        "captures": "second",
        "read_capture": "captures",
    }
    assert {s.trace_id for s in trace.steps} == {host.tracer.trace_id}
    assert by_name["first"].call_type is CallType.AGENT
    assert by_name["slack /netops"].call_type is CallType.HOST
    assert all(s.finished for s in trace.steps)


async def test_the_deep_failing_tool_is_the_summarys_failing_step(two_agents, a2a_connect):
    host, _ = await _ask(a2a_connect, two_agents)
    failing = summarize(host.tracer.trace()).failing_step
    assert failing.name == "read_capture"
    assert failing.error == "CaptureError: capture raw-captures/x.pcap is truncated"
    assert failing.path == ("slack /netops", "call first", "first", "call second", "second", "captures", "read_capture")


async def test_costs_across_agents_are_summed_once(two_agents, a2a_connect):
    host, _ = await _ask(a2a_connect, two_agents)
    summary = summarize(host.tracer.trace())
    assert summary.step_count == 10
    assert summary.total_cost_usd == pytest.approx(0.004)
    assert summary.total_tokens == 3500
    assert summary.cost_by_call_type == pytest.approx({"TOOL": 0.004})


async def test_artifacts_and_final_status_carry_the_trace_with_the_extension_uri(two_agents, a2a_connect):
    _, responses = await _ask(a2a_connect, two_agents)
    artifacts = [r.artifact_update.artifact for r in responses if r.HasField("artifact_update")]
    final = [
        r.status_update
        for r in responses
        if r.HasField("status_update") and r.status_update.status.state == TaskState.TASK_STATE_COMPLETED
    ]
    assert artifacts and final
    assert all(TRACE_EXTENSION_URI in a.extensions for a in artifacts)
    final_trace = trace_from_stream_response(responses[-1])
    assert {s.name for s in final_trace.steps} >= {"first", "second", "read_capture"}


async def test_secrets_in_parameters_do_not_cross_the_wire(two_agents, a2a_connect):
    _, responses = await _ask(a2a_connect, two_agents)
    final_trace = trace_from_stream_response(responses[-1])
    flow = next(s for s in final_trace.steps if s.name == "flow_monitor")
    assert flow.parameters == {"monitor": "m1", "api_key": "[redacted]"}


async def test_an_executor_that_raises_ends_the_turn_failed_with_its_trace(agent_server, a2a_connect):
    executor = TracingAgentExecutor(PerformanceLike(raise_out=True), name="second", config=PRICES)
    async with agent_server("second", executor) as url:
        host, responses = await _ask(a2a_connect, url)
    last = responses[-1]
    assert last.status_update.status.state == TaskState.TASK_STATE_FAILED
    assert "CaptureError" in last.status_update.status.message.parts[0].text
    summary = summarize(host.tracer.trace())
    assert summary.failing_step.name == "read_capture"
    second = next(s for s in host.tracer.steps if s.name == "second")
    assert second.error == "CaptureError: capture raw-captures/x.pcap is truncated"


async def test_no_trace_is_returned_unless_the_extension_is_requested(agent_server, a2a_connect):
    async with agent_server("second", TracingAgentExecutor(PerformanceLike(), name="second")) as url:
        client = await a2a_connect(url)
        responses = [r async for r in client.send_message(_question("plain"))]
    assert responses
    assert all(trace_from_stream_response(r) is None for r in responses)


async def test_the_older_x_a2a_extensions_header_is_accepted(agent_server, a2a_connect):
    async with agent_server("second", TracingAgentExecutor(PerformanceLike(), name="second")) as url:
        client = await a2a_connect(url)
        context = ClientCallContext(service_parameters={"X-A2A-Extensions": TRACE_EXTENSION_URI})
        responses = [r async for r in client.send_message(_question("legacy"), context=context)]
    assert trace_from_stream_response(responses[-1]) is not None


async def test_a_non_streaming_call_reads_the_trace_from_the_task(agent_server, a2a_connect):
    async with agent_server("second", TracingAgentExecutor(PerformanceLike(), name="second")) as url:
        client = await a2a_connect(url, streaming=False)
        with TraceStep("host", CallType.HOST) as host:
            responses = [r async for r in traced_send_message(client, _question("poll"), agent_name="second")]
    assert responses[-1].HasField("task")
    assert {"second", "read_capture"} <= {s.name for s in host.tracer.steps}


async def test_a_transport_failure_is_recorded_on_the_call_step_and_reraised(a2a_connect, agent_server):
    async with agent_server("second", TracingAgentExecutor(PerformanceLike(), name="second")) as url:
        client = await a2a_connect(url)
    # the server is gone now: the call fails at the transport
    with TraceStep("host", CallType.HOST) as host, pytest.raises(Exception) as caught:
        async for _ in traced_send_message(client, _question("x"), agent_name="gone"):
            pass
    call = next(s for s in host.tracer.steps if s.name == "call gone")
    assert call.error is not None
    assert call.error_type == type(caught.value).__name__


async def test_trace_context_in_the_request_metadata_is_continued_too(agent_server, a2a_connect):
    async with agent_server("second", TracingAgentExecutor(PerformanceLike(), name="second")) as url:
        client = await a2a_connect(url)
        request = _question("request-level metadata")
        request.metadata.update({TRACE_METADATA_KEY: {"trace_id": "trace-req", "parent_step_id": "step-req"}})
        context = ClientCallContext(service_parameters={"A2A-Extensions": TRACE_EXTENSION_URI})
        responses = [r async for r in client.send_message(request, context=context)]
    trace = trace_from_stream_response(responses[-1])
    agent = next(s for s in trace.steps if s.name == "second")
    assert (trace.trace_id, agent.parent_step_id) == ("trace-req", "step-req")


class FailsAtOnce(AgentExecutor):
    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        async with TraceStep("load_credentials", CallType.TOOL):
            raise PermissionError("no credentials for role netops-reader")

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        raise NotImplementedError


async def test_an_executor_that_raises_before_creating_its_task_still_fails_with_a_trace(agent_server, a2a_connect):
    async with agent_server("second", TracingAgentExecutor(FailsAtOnce(), name="second")) as url:
        host, responses = await _ask(a2a_connect, url)
    final = responses[-1]
    task = final.task if final.HasField("task") else None
    state = task.status.state if task else final.status_update.status.state
    assert state == TaskState.TASK_STATE_FAILED
    assert summarize(host.tracer.trace()).failing_step.path == (
        "slack /netops",
        "call first",
        "second",
        "load_credentials",
    )


async def test_the_failure_log_is_masked(agent_server, a2a_connect, caplog):
    class LeaksSecret(AgentExecutor):
        async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
            raise RuntimeError("login failed with password=hunter2")

        async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
            raise NotImplementedError

    async with agent_server("second", TracingAgentExecutor(LeaksSecret(), name="second")) as url:
        _, responses = await _ask(a2a_connect, url)
    assert "hunter2" not in caplog.text
    assert "password=[redacted]" in caplog.text
    final = responses[-1].task.status.message.parts[0].text
    assert final == (
        "The agent failed (RuntimeError: login failed with password=[redacted]);"
        " see the trace's failing step, or the agent's log."
    )

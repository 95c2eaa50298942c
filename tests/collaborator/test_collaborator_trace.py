"""One trace for the whole question: the collaborator's steps with the remote agent's under its call."""

from __future__ import annotations

from collab_cards import performance_card
from collab_harness import CollaboratorUnderTest
from collab_servers import Running, failing_rpc_app, serve

from agents.traceability import CallType, ResponseTrace, summarize, trace_from_metadata


def final_trace(events) -> ResponseTrace:
    return trace_from_metadata(events[-1].status_update.metadata)


def tree(trace: ResponseTrace) -> list[tuple[str, str | None, CallType]]:
    by_id = {s.step_id: s for s in trace.steps}
    return sorted(
        (s.name, by_id[s.parent_step_id].name if s.parent_step_id in by_id else None, s.call_type) for s in trace.steps
    )


async def test_the_final_answer_carries_one_trace_with_the_remote_steps_under_the_call(
    collaborator: CollaboratorUnderTest, perf_agent: Running
) -> None:
    collaborator.use(perf_agent.url)
    events = await collaborator.ask("retransmissions on the orders service", trace=True)

    assert tree(final_trace(events)) == [
        ("NetOps_Collaborator", None, CallType.AGENT),
        ("Performance_Agent", "call Performance_Agent", CallType.AGENT),
        ("call Performance_Agent", "NetOps_Collaborator", CallType.AGENT),
        ("discover agents", "NetOps_Collaborator", CallType.TOOL),
        ("select agent", "NetOps_Collaborator", CallType.TOOL),
    ]
    call = next(s for s in final_trace(events).steps if s.name == "call Performance_Agent")
    assert call.latency_ms is not None and call.error is None  # the call had ended when the answer was sent
    artifact = next(e.artifact_update.artifact for e in events if e.HasField("artifact_update"))
    assert any(s.name == "Performance_Agent" for s in trace_from_metadata(artifact.metadata).steps)


async def test_the_selection_step_records_the_scores_and_the_reason(
    collaborator: CollaboratorUnderTest, perf_agent: Running, conn_agent: Running
) -> None:
    collaborator.use(perf_agent.url, conn_agent.url)
    events = await collaborator.ask("retransmissions in the traffic-mirroring capture", trace=True)
    selection = next(s for s in final_trace(events).steps if s.name == "select agent")

    assert set(selection.additional_attributes["scores"]) == {"Performance_Agent", "Connectivity_Agent"}
    assert "matched tags traffic-mirroring" in selection.additional_attributes["decision"]


async def test_a_failed_call_is_the_traces_failing_step_with_the_same_sentence(
    collaborator: CollaboratorUnderTest,
) -> None:
    async with serve(lambda url: failing_rpc_app(performance_card(url), status=502)) as agent:
        collaborator.use(agent.url)
        events = await collaborator.ask("retransmissions on the orders service", trace=True)
    failing = summarize(final_trace(events)).failing_step

    sentence = "Performance_Agent answered HTTP 502 instead of an A2A response; check its logs."
    assert failing.name == "call Performance_Agent" and failing.error == sentence
    assert events[-1].status_update.status.message.parts[0].text == sentence


async def test_when_no_agent_can_answer_the_selection_step_fails_with_the_reason(
    collaborator: CollaboratorUnderTest,
) -> None:
    collaborator.use()
    events = await collaborator.ask("retransmissions on the orders service", trace=True)
    failing = summarize(final_trace(events)).failing_step
    assert failing.name == "select agent" and failing.error.startswith("No agent is available to answer")


async def test_a_missed_deadline_is_named_on_the_call_step(
    hurried_collaborator: CollaboratorUnderTest, perf_agent: Running
) -> None:
    hurried_collaborator.use(perf_agent.url)
    events = await hurried_collaborator.ask("retransmissions, then hang", trace=True)
    failing = summarize(final_trace(events)).failing_step
    assert failing.name == "call Performance_Agent"
    assert failing.error.startswith("Performance_Agent did not finish within the 1 s deadline")

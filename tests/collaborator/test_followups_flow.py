"""Follow-ups in a conversation, through a real collaborator to a real test agent that diagnoses."""

from __future__ import annotations

import pytest
from a2a.types import StreamResponse
from collab_harness import CollaboratorUnderTest
from collab_servers import Running, ScriptedExecutor
from diagnosis_fixture import APP, DIAGNOSIS, FLOW, LAST_5_MINUTES, RATIONALE
from google.protobuf.json_format import MessageToDict

from agents.traceability.a2a import trace_from_stream_response


@pytest.fixture
def perf_executor() -> ScriptedExecutor:
    return ScriptedExecutor("Performance_Agent", answer=DIAGNOSIS)


def answer_data(events: list[StreamResponse]) -> dict:
    (artifact,) = [e.artifact_update.artifact for e in events if e.HasField("artifact_update")]
    return MessageToDict(artifact.parts[1].data)


def answer_text(events: list[StreamResponse]) -> str:
    (artifact,) = [e.artifact_update.artifact for e in events if e.HasField("artifact_update")]
    return artifact.parts[0].text


async def diagnosed(collaborator: CollaboratorUnderTest, perf_agent: Running) -> str:
    collaborator.use(perf_agent.url)
    first = await collaborator.ask("why are TCP retransmissions high between app and db?")
    return first[0].task.context_id


async def answered_from_last(
    collaborator: CollaboratorUnderTest, perf_agent: Running, perf_executor: ScriptedExecutor, reply: str
) -> list[StreamResponse]:
    """Diagnose, then send `reply` in the same conversation; the agent must not be asked again."""
    context_id = await diagnosed(collaborator, perf_agent)
    events = await collaborator.ask(reply, context_id=context_id)
    assert len(perf_executor.received) == 1
    return events


async def test_which_instance_is_answered_from_the_last_answer_without_asking_the_agent(
    collaborator: CollaboratorUnderTest, perf_agent: Running, perf_executor: ScriptedExecutor
) -> None:
    events = await answered_from_last(collaborator, perf_agent, perf_executor, "which instance exactly?")

    data = answer_data(events)
    assert data["kind"] == "netops.followup/v1" and data["topic"] == "instance"
    assert data["headline"]["text"] == f"The last answer was about instance `{APP}`. Flow: `{FLOW}`."


async def test_why_a_change_was_recommended_is_answered_from_the_recorded_rationale_in_korean(
    collaborator: CollaboratorUnderTest, perf_agent: Running, perf_executor: ScriptedExecutor
) -> None:
    events = await answered_from_last(collaborator, perf_agent, perf_executor, "왜 window scaling을 권했어?")

    text = answer_text(events)
    assert text.startswith(f"권장한 이유: {RATIONALE}")
    assert f"`{APP}` `net.ipv4.tcp_window_scaling`: 0 → 1 (both ends)" in text
    assert "이 스레드의 마지막 답변" in text


async def test_a_new_window_asks_the_agent_again_with_the_rest_of_the_scope_carried(
    collaborator: CollaboratorUnderTest, perf_agent: Running, perf_executor: ScriptedExecutor
) -> None:
    context_id = await diagnosed(collaborator, perf_agent)
    events = await collaborator.ask("and what about the last 5 minutes?", context_id=context_id, trace=True)

    assert len(perf_executor.received) == 2
    assert perf_executor.received[1].metadata["netops"]["scope"] == LAST_5_MINUTES
    assert perf_executor.received[1].metadata["netops"]["channel"] == "C1"
    trace = [t for t in map(trace_from_stream_response, events) if t is not None][-1]  # the whole tree, at the end
    (select,) = [step for step in trace.steps if step.name == "select agent"]
    assert select.additional_attributes["carried"] == ["instances", "ips", "region"]
    assert select.additional_attributes["follow_up_to"] == "Performance_Agent"


async def test_a_reply_naming_another_tier_carries_the_region_and_window_but_not_the_hosts(
    collaborator: CollaboratorUnderTest, perf_agent: Running, perf_executor: ScriptedExecutor
) -> None:
    context_id = await diagnosed(collaborator, perf_agent)
    await collaborator.ask("what about the db?", context_id=context_id)

    assert perf_executor.received[1].metadata["netops"]["scope"] == {
        "region": "us-east-1",
        "window_minutes": 30,
        "since": None,
        "carried": ["region", "window_minutes"],
    }


async def test_another_conversation_does_not_see_this_ones_last_answer(
    collaborator: CollaboratorUnderTest, perf_agent: Running, perf_executor: ScriptedExecutor
) -> None:
    await diagnosed(collaborator, perf_agent)
    elsewhere = await collaborator.ask("which instance exactly?")
    again = await collaborator.ask("retransmissions in the last 5 minutes?")

    assert not [e for e in elsewhere if e.HasField("artifact_update")]  # asked back: nothing to answer from
    assert len(perf_executor.received) == 2
    assert "scope" not in perf_executor.received[1].metadata["netops"]
    assert again[0].task.context_id != elsewhere[0].task.context_id

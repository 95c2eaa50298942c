"""Questions through a real collaborator to real test agents, over HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib

from a2a.client import A2ACardResolver, ClientConfig, ClientFactory
from a2a.types import CancelTaskRequest, Message, Part, Role, SendMessageRequest, StreamResponse, TaskState
from collab_cards import performance_card
from collab_harness import CollaboratorUnderTest
from collab_servers import Running, ScriptedExecutor, agent_app, serve
from google.protobuf.json_format import MessageToDict

REMEDIATE = {
    "kind": "netops.remediate/v1",
    "approval_token": "signed-elsewhere",
    "instance_id": "i-0123456789abcdef0",
    "stack_name": "netops-lab",
}


def states(events: list[StreamResponse]) -> list[str]:
    return [TaskState.Name(e.status_update.status.state) for e in events if e.HasField("status_update")]


def status_texts(events: list[StreamResponse]) -> list[str]:
    return [
        " ".join(p.text for p in e.status_update.status.message.parts)
        for e in events
        if e.HasField("status_update") and e.status_update.status.HasField("message")
    ]


def artifacts(events: list[StreamResponse]):
    return [e.artifact_update.artifact for e in events if e.HasField("artifact_update")]


def final_text(events: list[StreamResponse]) -> str:
    return status_texts(events)[-1]


async def test_a_question_reaches_the_fitting_agent_and_its_answer_streams_back_unchanged(
    collaborator: CollaboratorUnderTest, perf_agent: Running, conn_agent: Running, perf_executor: ScriptedExecutor
) -> None:
    collaborator.use(conn_agent.url, perf_agent.url)
    question = "Why are there TCP retransmissions between the app and the database?"
    events = await collaborator.ask(question)

    assert states(events) == ["TASK_STATE_WORKING", "TASK_STATE_WORKING", "TASK_STATE_COMPLETED"]
    routed, remote_status, _ = status_texts(events)
    assert routed.startswith("Asking Performance_Agent (analyze_network_performance")
    assert remote_status == f"Performance_Agent is looking at: {question}"
    (artifact,) = artifacts(events)
    assert artifact.name == "answer"
    assert artifact.parts[0].text == f"Performance_Agent answer to: {question}"
    assert MessageToDict(artifact.parts[1].data) == {"kind": "test.answer/v1", "agent": "Performance_Agent"}
    assert MessageToDict(artifact.metadata)["origin"] == "Performance_Agent"
    assert [r.text for r in perf_executor.received] == [question]


async def test_the_callers_metadata_reaches_the_agent(
    collaborator: CollaboratorUnderTest, perf_agent: Running, perf_executor: ScriptedExecutor
) -> None:
    collaborator.use(perf_agent.url)
    await collaborator.ask("retransmissions on the orders service")
    assert perf_executor.received[0].metadata["netops"] == {"channel": "C1", "thread_ts": "1.0", "user": "U1"}


async def test_follow_ups_in_a_conversation_reach_the_same_remote_context(
    collaborator: CollaboratorUnderTest, perf_agent: Running, perf_executor: ScriptedExecutor
) -> None:
    collaborator.use(perf_agent.url)
    first = await collaborator.ask("retransmissions on the orders service")
    context_id = first[0].task.context_id
    await collaborator.ask("and what about latency since 09:00?", context_id=context_id)
    other = await collaborator.ask("latency on the payments service")

    one, two, three = perf_executor.received
    assert two.context_id == one.context_id
    assert three.context_id != one.context_id
    assert other[0].task.context_id != context_id


async def test_the_answer_ends_without_waiting_for_the_conversation_to_be_saved(
    collaborator: CollaboratorUnderTest, perf_agent: Running, perf_executor: ScriptedExecutor, monkeypatch
) -> None:
    collaborator.use(perf_agent.url)
    store = collaborator.parts.store
    real_save, gate, saved = store.save_conversation, asyncio.Event(), []

    async def held_save(context_id, conversation) -> None:
        await gate.wait()
        await real_save(context_id, conversation)
        saved.append(context_id)

    monkeypatch.setattr(store, "save_conversation", held_save)
    async with asyncio.timeout(5):  # an answer that waited for the held save would never end
        first = await collaborator.ask("retransmissions on the orders service")
    assert states(first)[-1] == "TASK_STATE_COMPLETED" and saved == []

    gate.set()
    await collaborator.parts.executor.drain()
    await collaborator.ask("and what about latency since 09:00?", context_id=first[0].task.context_id)
    one, two = perf_executor.received
    assert saved[0] == first[0].task.context_id and two.context_id == one.context_id


async def test_shutdown_does_not_wait_forever_for_a_save_redis_never_answers(
    collaborator: CollaboratorUnderTest, perf_agent: Running, monkeypatch
) -> None:
    collaborator.use(perf_agent.url)
    gate = asyncio.Event()

    async def stuck_save(context_id, conversation) -> None:
        await gate.wait()

    monkeypatch.setattr(collaborator.parts.store, "save_conversation", stuck_save)
    await collaborator.ask("retransmissions on the orders service")
    async with asyncio.timeout(5):
        await collaborator.parts.executor.drain(timeout_s=0.05)
    gate.set()


async def test_an_agents_question_is_relayed_and_the_reply_returns_to_its_task(
    collaborator: CollaboratorUnderTest, perf_agent: Running, perf_executor: ScriptedExecutor
) -> None:
    collaborator.use(perf_agent.url)
    first = await collaborator.ask("retransmissions, ask me which instance")
    task = first[0].task
    reply = await collaborator.ask("i-0abc", context_id=task.context_id, task_id=task.id)
    again = await collaborator.ask("thanks, and the latency?", context_id=task.context_id)

    assert states(first)[-1] == "TASK_STATE_INPUT_REQUIRED" and final_text(first) == "Which instance?"
    asked, answered, later = perf_executor.received
    assert (answered.task_id, answered.context_id) == (asked.task_id, asked.context_id)
    assert answered.text == "i-0abc"  # routed back to the asking agent although it scores nothing
    assert states(reply)[-1] == "TASK_STATE_COMPLETED"
    assert later.context_id == asked.context_id and later.task_id != asked.task_id
    assert states(again)[-1] == "TASK_STATE_COMPLETED"


async def test_an_ambiguous_question_is_asked_back_and_the_reply_completes_it(
    collaborator: CollaboratorUnderTest,
    perf_agent: Running,
    conn_agent: Running,
    perf_executor: ScriptedExecutor,
    conn_executor: ScriptedExecutor,
) -> None:
    collaborator.use(perf_agent.url, conn_agent.url)
    first = await collaborator.ask("something is wrong with the network")
    context_id = first[0].task.context_id
    assert not perf_executor.received and not conn_executor.received
    second = await collaborator.ask("we see retransmissions", context_id=context_id)

    assert states(first) == ["TASK_STATE_INPUT_REQUIRED"]
    clarification = final_text(first)
    assert "Performance_Agent: why traffic is slow or lossy" in clarification
    assert "Connectivity_Agent: whether one resource can reach another" in clarification
    assert states(second)[-1] == "TASK_STATE_COMPLETED"
    assert [r.text for r in perf_executor.received] == ["something is wrong with the network\nwe see retransmissions"]
    assert "read together with your earlier question: something is wrong with the network" in status_texts(second)[0]
    final = [e.status_update for e in second if e.HasField("status_update")][-1]
    assert MessageToDict(final.metadata)["netops"] == {"read_together": "something is wrong with the network"}


async def test_a_reply_that_is_a_question_of_its_own_drops_the_unanswered_ask_back(
    collaborator: CollaboratorUnderTest, perf_agent: Running, conn_agent: Running, perf_executor: ScriptedExecutor
) -> None:
    collaborator.use(perf_agent.url, conn_agent.url)
    first = await collaborator.ask("something is wrong")
    await collaborator.ask("why are TCP retransmissions high between app and db?", context_id=first[0].task.context_id)

    assert [r.text for r in perf_executor.received] == ["why are TCP retransmissions high between app and db?"]


async def test_a_remediation_goes_only_to_the_agent_with_a_remediation_skill(
    collaborator: CollaboratorUnderTest, perf_agent: Running, conn_agent: Running, perf_executor: ScriptedExecutor
) -> None:
    collaborator.use(conn_agent.url, perf_agent.url)
    events = await collaborator.ask("check the route tables", data=REMEDIATE)  # words that favour Connectivity

    assert states(events)[-1] == "TASK_STATE_COMPLETED"
    assert "remediate_tcp_retransmissions" in status_texts(events)[0]
    assert perf_executor.received[0].text == "check the route tables"


async def test_a_remediation_fails_when_no_agent_can_remediate(
    collaborator: CollaboratorUnderTest, conn_agent: Running, conn_executor: ScriptedExecutor
) -> None:
    collaborator.use(conn_agent.url)
    events = await collaborator.ask("apply TCP fixes to i-0123456789abcdef0", data=REMEDIATE)

    assert states(events) == ["TASK_STATE_FAILED"]
    assert final_text(events).startswith("No available agent declares a remediation skill")
    assert not conn_executor.received


async def test_a_remediation_with_a_malformed_instance_id_is_rejected(
    collaborator: CollaboratorUnderTest, perf_agent: Running, perf_executor: ScriptedExecutor
) -> None:
    collaborator.use(perf_agent.url)
    events = await collaborator.ask("apply fixes", data={**REMEDIATE, "instance_id": "i-1; rm -rf /"})

    assert states(events) == ["TASK_STATE_REJECTED"]
    assert "no valid EC2 instance id" in final_text(events)
    assert not perf_executor.received


async def test_cancelling_a_question_cancels_the_remote_task(
    collaborator: CollaboratorUnderTest, perf_agent: Running, perf_executor: ScriptedExecutor
) -> None:
    collaborator.use(perf_agent.url)
    asking = asyncio.create_task(collaborator.ask("retransmissions, then hang"))
    await asyncio.wait_for(perf_executor.asked.wait(), timeout=10)
    (task,) = await collaborator.tasks()
    cancelled = await (await collaborator.client()).cancel_task(CancelTaskRequest(id=task.id))
    await asyncio.wait_for(perf_executor.cancelled.wait(), timeout=10)

    assert TaskState.Name(cancelled.status.state) == "TASK_STATE_CANCELED"
    asking.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await asking


async def test_a_caller_that_does_not_stream_gets_the_finished_task(
    collaborator: CollaboratorUnderTest, perf_agent: Running
) -> None:
    collaborator.use(perf_agent.url)
    card = await A2ACardResolver(collaborator.http, collaborator.url).get_agent_card()
    client = ClientFactory(ClientConfig(httpx_client=collaborator.http, streaming=False)).create(card)
    message = Message(message_id="m-1", role=Role.ROLE_USER, parts=[Part(text="retransmissions on orders")])
    (event,) = [e async for e in client.send_message(SendMessageRequest(message=message))]

    assert TaskState.Name(event.task.status.state) == "TASK_STATE_COMPLETED"
    assert event.task.artifacts[0].parts[0].text == "Performance_Agent answer to: retransmissions on orders"


async def test_an_agent_that_does_not_stream_is_relayed_from_its_finished_task(
    collaborator: CollaboratorUnderTest, perf_executor: ScriptedExecutor
) -> None:
    def build(url: str):
        card = performance_card(url)
        card.capabilities.streaming = False
        return agent_app(card, perf_executor)

    async with serve(build) as agent:
        collaborator.use(agent.url)
        events = await collaborator.ask("retransmissions on orders")
    assert states(events)[-1] == "TASK_STATE_COMPLETED"
    assert artifacts(events)[0].parts[0].text == "Performance_Agent answer to: retransmissions on orders"


async def test_a_reply_carrying_only_the_task_id_still_reaches_the_asking_agent(
    collaborator: CollaboratorUnderTest, perf_agent: Running, perf_executor: ScriptedExecutor
) -> None:
    collaborator.use(perf_agent.url)
    first = await collaborator.ask("retransmissions, ask me which instance")
    reply = await collaborator.ask("i-0abc", task_id=first[0].task.id)  # the SDK invents a context here

    asked, answered = perf_executor.received
    assert (answered.task_id, answered.context_id) == (asked.task_id, asked.context_id)
    assert states(reply)[-1] == "TASK_STATE_COMPLETED"

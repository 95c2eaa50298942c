"""Every way a remote agent can fail ends the task with one sentence naming the agent and what happened."""

from __future__ import annotations

import httpx
from collab_cards import performance_card
from collab_harness import CollaboratorUnderTest
from collab_servers import Running, ScriptedExecutor, agent_app, dead_url, failing_rpc_app, serve
from test_collaborator_flow import final_text, states


async def test_broken_and_dead_agents_do_not_stop_the_others_from_answering(
    collaborator: CollaboratorUnderTest, perf_agent: Running, broken_agent: Running
) -> None:
    collaborator.use(broken_agent.url, dead_url(), perf_agent.url)
    events = await collaborator.ask("retransmissions on the orders service")
    assert states(events)[-1] == "TASK_STATE_COMPLETED"


async def test_a_korean_question_hears_the_failure_in_korean(collaborator: CollaboratorUnderTest) -> None:
    async with serve(lambda url: failing_rpc_app(performance_card(url), status=503)) as agent:
        collaborator.use(agent.url)
        events = await collaborator.ask("app과 db 사이 재전송이 왜 많아?")
    assert final_text(events) == "Performance_Agent이(가) A2A 응답 대신 HTTP 503로 답했습니다. 로그를 확인해 주세요."


async def test_no_reachable_agent_fails_naming_each_and_why(
    collaborator: CollaboratorUnderTest, broken_agent: Running
) -> None:
    nowhere = dead_url()
    collaborator.use(nowhere, broken_agent.url)
    events = await collaborator.ask("retransmissions on the orders service")

    assert states(events) == ["TASK_STATE_FAILED"]
    text = final_text(events)
    assert text.startswith("No agent is available to answer; check NETOPS_AGENT_URLS")
    assert f"agent at {nowhere} is down: nothing accepts connections there" in text
    assert f"agent at {broken_agent.url} is unusable: its agent card lacks required fields" in text


async def test_an_agent_answering_5xx_fails_the_task_with_its_status(collaborator: CollaboratorUnderTest) -> None:
    async with serve(lambda url: failing_rpc_app(performance_card(url), status=503)) as agent:
        collaborator.use(agent.url)
        events = await collaborator.ask("retransmissions on the orders service")
    assert states(events)[-2:] == ["TASK_STATE_WORKING", "TASK_STATE_FAILED"]
    assert final_text(events) == "Performance_Agent answered HTTP 503 instead of an A2A response; check its logs."


async def test_an_agent_answering_nonsense_fails_the_task(collaborator: CollaboratorUnderTest) -> None:
    async with serve(lambda url: failing_rpc_app(performance_card(url), status=200, body="hello there")) as agent:
        collaborator.use(agent.url)
        events = await collaborator.ask("retransmissions on the orders service")
    assert states(events)[-1] == "TASK_STATE_FAILED"
    assert final_text(events).startswith("Performance_Agent answered something that is not A2A (")


async def test_an_agent_going_silent_mid_stream_times_out(
    impatient_collaborator: CollaboratorUnderTest, perf_agent: Running, perf_executor: ScriptedExecutor
) -> None:
    impatient_collaborator.use(perf_agent.url)
    events = await impatient_collaborator.ask("retransmissions, then hang")
    assert states(events)[-1] == "TASK_STATE_FAILED"
    assert final_text(events) == "Performance_Agent went silent mid-answer and timed out; check its logs and try again."
    assert perf_executor.received  # it was asked, and then said nothing


async def test_the_overall_deadline_ends_a_slow_answer(
    hurried_collaborator: CollaboratorUnderTest, perf_agent: Running
) -> None:
    hurried_collaborator.use(perf_agent.url)
    events = await hurried_collaborator.ask("retransmissions, then hang")
    assert states(events)[-1] == "TASK_STATE_FAILED"
    assert final_text(events) == (
        "Performance_Agent did not finish within the 1 s deadline; try again later or raise NETOPS_REQUEST_TIMEOUT_S."
    )


async def test_an_agent_that_stopped_after_discovery_fails_the_task_and_is_marked_down(
    collaborator: CollaboratorUnderTest, perf_executor: ScriptedExecutor
) -> None:
    async with serve(lambda url: agent_app(performance_card(url), perf_executor)) as agent:
        collaborator.use(agent.url)
        await collaborator.parts.refresh()  # the card is now cached
    events = await collaborator.ask("retransmissions on the orders service")
    (status,) = await collaborator.parts.discovery.discover([agent.url])

    assert states(events)[-1] == "TASK_STATE_FAILED"
    assert final_text(events).startswith("Performance_Agent is down: nothing accepts connections at its address")
    assert status.source == "down"


async def test_with_a_token_set_callers_without_it_are_refused(
    guarded_collaborator: CollaboratorUnderTest,
) -> None:
    async with httpx.AsyncClient() as http:
        card = await http.get(guarded_collaborator.url + "/.well-known/agent-card.json")
        rpc = await http.post(guarded_collaborator.url + "/", json={"jsonrpc": "2.0", "id": 1, "method": "GetTask"})
    assert card.status_code == 200
    assert card.json()["securitySchemes"]["bearer"]["httpAuthSecurityScheme"]["scheme"] == "Bearer"
    assert rpc.status_code == 401 and "NETOPS_AGENT_TOKEN" in rpc.json()["error"]


async def test_with_a_token_set_the_agents_receive_it(
    guarded_collaborator: CollaboratorUnderTest, perf_agent: Running, perf_executor: ScriptedExecutor
) -> None:
    guarded_collaborator.use(perf_agent.url)
    guarded_collaborator.http.headers["Authorization"] = "Bearer s3cret-token"
    events = await guarded_collaborator.ask("retransmissions on the orders service")
    assert states(events)[-1] == "TASK_STATE_COMPLETED"
    assert perf_executor.received[0].headers["authorization"] == "Bearer s3cret-token"

"""The bot in front of the real collaborator (agents.collaborator), which routes to the test agent."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from bot_fake_agent import DIAGNOSIS, HEALTHY, FakeAgent
from bot_fake_slack import action_values, block_text
from bot_harness import APPROVER, make_settings, redis_url_of
from bot_servers import serving
from bot_slack_requests import block_action_body, message_event

from agents.approval_token import verify
from agents.collaborator.registry import Registry
from agents.collaborator.server import Collaborator
from bot.blocks.ids import ACTION_APPLY

QUESTION = "why are TCP retransmissions high between the app and the database?"


@contextlib.asynccontextmanager
async def running_collaborator(redis_client: aioredis.Redis, agent: FakeAgent, **extra: Any) -> AsyncIterator[str]:
    settings = make_settings(redis_client, "http://127.0.0.1:1/api/", agent_urls=[agent.url], **extra)
    collaborator = Collaborator(
        settings,
        redis=aioredis.from_url(redis_url_of(redis_client)),
        http=httpx.AsyncClient(timeout=httpx.Timeout(10.0, read=None)),
        registry=Registry(lambda: [agent.url]),
    )
    async with serving(lambda url: collaborator.app(url + "/"), lifespan="on") as url:
        yield url


@pytest.fixture
async def collaborator_url(redis_client: aioredis.Redis, agent: FakeAgent) -> AsyncIterator[str]:
    async with running_collaborator(redis_client, agent) as url:
        yield url


def _answers(slack, needle: str) -> list[dict]:  # type: ignore[no-untyped-def]
    return [m for m in slack.messages().values() if needle in block_text(m.get("blocks"))]


async def test_an_answer_through_the_collaborator_carries_one_trace_across_three_processes(
    harness_factory, collaborator_url: str
) -> None:  # type: ignore[no-untyped-def]
    harness = await harness_factory(collaborator_url=collaborator_url)
    await harness.command(QUESTION)
    result = (await harness.slack.wait_for(lambda s: _answers(s, "Packet loss")))[0]
    assert harness.agent.received[0].text == QUESTION
    stored = await harness.runtime.services.results.get(action_values(result["blocks"], "view_trace")[0])
    assert stored is not None and stored.trace is not None
    by_id = {step.step_id: step for step in stored.trace.steps}
    names = {step.name: step for step in stored.trace.steps}
    assert {
        "netops bot: question",
        "NetOps_Collaborator",
        "Performance_Agent",
        "analyze_traffic_mirroring_logs",
    } <= set(names)
    # Nested across processes: tool → performance agent → … → collaborator → … → the bot's HOST step.
    step = names["analyze_traffic_mirroring_logs"]
    chain = []
    while step is not None:
        chain.append(step.name)
        step = by_id.get(step.parent_step_id) if step.parent_step_id else None
    assert chain[0] == "analyze_traffic_mirroring_logs" and chain[-1] == "netops bot: question"
    assert chain.index("Performance_Agent") < chain.index("NetOps_Collaborator")
    assert all(step.latency_ms is not None for step in stored.trace.steps), "every step ended before it was shown"
    summary = next(b for b in result["blocks"] if b["type"] == "context" and "trace" in b["elements"][0]["text"])
    assert "1,120 tokens · $0.0142" in summary["elements"][0]["text"]


async def test_a_thread_follow_up_through_the_collaborator_keeps_the_agent_context(
    harness_factory, collaborator_url: str
) -> None:  # type: ignore[no-untyped-def]
    harness = await harness_factory(collaborator_url=collaborator_url)
    harness.agent.answers = [DIAGNOSIS, HEALTHY]
    await harness.command(QUESTION)
    await harness.slack.wait_for(lambda s: _answers(s, "Packet loss"))
    root_ts = harness.slack.of("chat.postMessage")[0].response["ts"]
    await harness.event(
        message_event("and what about TCP latency on the db side?", ts="1700001999.000100", thread_ts=root_ts)
    )
    await harness.slack.wait_for(lambda s: _answers(s, "database side is healthy"))
    first, second = harness.agent.received
    assert second.context_id == first.context_id


async def test_an_approval_through_the_collaborator_reaches_the_remediation_skill_once(
    harness_factory, collaborator_url: str
) -> None:  # type: ignore[no-untyped-def]
    harness = await harness_factory(collaborator_url=collaborator_url)
    await harness.command(QUESTION)
    result_ts, result = next(
        (ts, m)
        for ts, m in (
            await harness.slack.wait_for(lambda s: s.messages() if _answers(s, "Packet loss") else None)
        ).items()
        if action_values(m.get("blocks"), ACTION_APPLY)
    )
    approval_id = action_values(result["blocks"], ACTION_APPLY)[0]
    body = block_action_body(
        ACTION_APPLY, approval_id, user=APPROVER, message_ts=result_ts, thread_ts=result["thread_ts"]
    )
    await harness.form(body)
    fix = (await harness.slack.wait_for(lambda s: _answers(s, "SSM command")))[0]
    assert "`net.core.rmem_max`: 212992 → 134217728" in block_text(fix["blocks"])
    assert harness.agent.remediations == [approval_id]
    token = harness.agent.received[-1].data[0]["approval_token"]
    assert verify(token, "test-approval-secret").approver == APPROVER


async def test_a_collaborator_that_wants_a_token_the_bot_lacks_is_reported_with_the_setting_to_fix(
    harness_factory, redis_client: aioredis.Redis, agent: FakeAgent
) -> None:  # type: ignore[no-untyped-def]
    async with running_collaborator(redis_client, agent, agent_token="collab-token") as url:
        without = await harness_factory(collaborator_url=url, agent_token=None)
        await without.command(QUESTION)
        refused = await without.slack.wait_for(lambda s: _answers(s, "refused the bot's credentials"))
        assert "NETOPS_AGENT_TOKEN" in block_text(refused[0]["blocks"])
        assert "collab-token" not in block_text(refused[0]["blocks"])
        assert agent.received == []


async def test_with_the_right_token_the_bot_is_let_through(
    harness_factory, redis_client: aioredis.Redis, agent: FakeAgent
) -> None:  # type: ignore[no-untyped-def]
    async with running_collaborator(redis_client, agent, agent_token="collab-token") as url:
        harness = await harness_factory(collaborator_url=url, agent_token="collab-token")
        await harness.command(QUESTION)
        await harness.slack.wait_for(lambda s: _answers(s, "Packet loss"))
